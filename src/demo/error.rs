//! The demo layer's one error enum: what can go wrong building the demo (a `--listen` that is
//! not loopback, the embedded configuration, the committed demo keys) or signing with it.

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// `--listen` must name a loopback `ip:port`: the demo's keys and IdP are public.
    #[error("--listen {0}: the demo listens on a loopback ip:port only (e.g. 127.0.0.1:8080)")]
    NotLoopback(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("demo IdP: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("demo IdP: JWKS: {0}")]
    Jwks(#[from] serde_json::Error),
    #[error("SAML IdP: key or certificate: {0}")]
    SamlKey(#[from] openssl::error::ErrorStack),
    #[error("SAML IdP: signing: {0}")]
    SamlSign(#[from] samael::crypto::CryptoError),
    #[error("demo SAML provider: {0}")]
    ProviderArn(#[from] crate::types::provider_arn::ProviderArnError),
}
