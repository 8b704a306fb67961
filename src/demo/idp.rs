//! The built-in demo identity provider, served under `/demo-idp` only by the embedded demo
//! configuration: it mints ID tokens and signed SAML Responses for any user and groups a person
//! picks or types. DEMO ONLY: it signs with the public keys in `certs/`, it answers loopback
//! peers only, and the demo refuses non-loopback listen addresses.
//!
//! This file owns the keys and what they sign; `routes` lists the endpoints, `endpoints`,
//! `oauth` and `saml_pages` serve them.

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::error::DemoError;
use super::pending::Pending;
use super::saml_idp::{SamlIdp, SamlResponseSpec};
use crate::clock::SharedClock;

/// The demo IdP's signing key (DEMO ONLY, public).
const DEMO_KEY_PEM: &[u8] = include_bytes!("../../certs/demo-idp-rsa-key.pem");
const DEMO_KID: &str = "stsbridge-demo-1";
/// The audience (client id) demo tokens carry and the demo provider accepts.
pub(super) const DEMO_CLIENT_ID: &str = "demo-app";
/// Path prefix of the demo IdP on the bridge.
pub(crate) const DEMO_IDP_PATH: &str = "/demo-idp";

/// The demo SAML IdP's key and certificate (DEMO ONLY, public).
const DEMO_SAML_KEY_PEM: &[u8] = include_bytes!("../../certs/demo-saml-idp-key.pem");
const DEMO_SAML_CERT_PEM: &[u8] = include_bytes!("../../certs/demo-saml-idp-cert.pem");
/// The demo SAML provider's name (`arn:aws:iam::<account>:saml-provider/demo-saml`).
pub(super) const DEMO_SAML_PROVIDER: &str = "demo-saml";

/// The demo issuer: OIDC key, JWKS and issuer URL, and the SAML side.
pub struct DemoIdp {
    pub(super) issuer: String,
    key: EncodingKey,
    jwks_json: String,
    pub(super) clock: SharedClock,
    saml: SamlIdp,
    /// Browser sign-ins in progress and issued codes (in memory: demo only).
    pub(super) pending: Pending,
    /// The bridge's base URL: SAML audience `<base>/saml/metadata`, ACS `<base>/saml/acs`.
    pub(super) bridge_url: String,
    pub(super) account: String,
}

impl std::fmt::Debug for DemoIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoIdp")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// jsonwebtoken needs its crypto backend chosen once per process (the OIDC module owns that).
pub fn install_jwt_crypto() {
    crate::authn::oidc::install_crypto_provider();
}

impl DemoIdp {
    /// `issuer` is the bridge's public URL plus [`DEMO_IDP_PATH`].
    pub(crate) fn new(
        issuer: String,
        account: &str,
        clock: SharedClock,
    ) -> Result<Self, DemoError> {
        let bridge_url = issuer.trim_end_matches(DEMO_IDP_PATH).to_owned();
        let saml = SamlIdp::from_pem(
            &format!("{issuer}/saml"),
            DEMO_SAML_KEY_PEM,
            DEMO_SAML_CERT_PEM,
        )?;
        install_jwt_crypto();
        let key = EncodingKey::from_rsa_pem(DEMO_KEY_PEM)?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)?;
        jwk.common.key_id = Some(DEMO_KID.to_owned());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let jwks_json = serde_json::to_string(&JwkSet { keys: vec![jwk] })?;
        Ok(Self {
            issuer,
            key,
            jwks_json,
            saml,
            bridge_url,
            account: account.to_owned(),
            clock,
            pending: Pending::default(),
        })
    }

    pub(super) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The bridge's base path ("" at the root), for links on the demo pages.
    pub(super) fn bridge_path(&self) -> String {
        url::Url::parse(&self.bridge_url)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    /// The demo IdP's own path (`/demo-idp` under the bridge's base path).
    pub(super) fn issuer_path(&self) -> String {
        format!("{}{DEMO_IDP_PATH}", self.bridge_path())
    }

    /// The public keys, as a JWKS document (the demo provider is configured with these, so the
    /// bridge never has to fetch from itself).
    pub(super) fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// An RS256 ID token for `user` in `groups`, valid for one hour; `nonce` is a browser
    /// sign-in's.
    pub(super) fn mint(
        &self,
        user: &str,
        groups: &[String],
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, DemoError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(DEMO_KID.to_owned());
        let mut claims = json!({
            "iss": self.issuer,
            "sub": format!("demo|{user}"),
            "aud": DEMO_CLIENT_ID,
            "iat": now.timestamp(),
            "exp": now.timestamp() + 3600,
            "email": format!("{user}@demo.invalid"),
            "preferred_username": user,
            "groups": groups,
        });
        if let (Some(n), Some(obj)) = (nonce, claims.as_object_mut()) {
            obj.insert("nonce".into(), json!(n));
        }
        Ok(jsonwebtoken::encode(&header, &claims, &self.key)?)
    }

    /// The SAML IdP's metadata (the demo provider is configured with it directly).
    pub(super) fn saml_metadata_xml(&self) -> String {
        self.saml.metadata_xml_with_redirect(
            &format!("{}/saml/response", self.issuer),
            Some(&format!("{}/saml/sso", self.issuer)),
        )
    }

    /// A signed, IdP-initiated SAML Response for `user` (see [`Self::saml_response_to`]).
    pub fn saml_response(
        &self,
        user: &str,
        groups: &[String],
        now: DateTime<Utc>,
    ) -> Result<String, DemoError> {
        self.saml_response_to(user, groups, None, now)
    }

    /// A signed SAML Response for `user`, answering AuthnRequest `in_response_to` when the
    /// bridge started the sign-in, listing the demo roles the user may choose (`demo-admin` for
    /// group `admins`, `demo-developer` for everyone).
    pub fn saml_response_to(
        &self,
        user: &str,
        groups: &[String],
        in_response_to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, DemoError> {
        let provider = format!(
            "arn:aws:iam::{}:saml-provider/{DEMO_SAML_PROVIDER}",
            self.account
        );
        let role = |name: &str| {
            (
                format!("arn:aws:iam::{}:role/{name}", self.account),
                provider.clone(),
            )
        };
        let mut roles = vec![role("demo-developer")];
        if groups.iter().any(|g| g == "admins") {
            roles.push(role("demo-admin"));
        }
        self.saml.response_b64(&SamlResponseSpec {
            name_id: &format!("{user}@demo.invalid"),
            recipient: &format!("{}/saml/acs", self.bridge_url),
            audience: &format!("{}/saml/metadata", self.bridge_url),
            role_session_name: user,
            roles: &roles,
            groups,
            extra_attributes: &[],
            now,
            valid_for: chrono::TimeDelta::minutes(5),
            in_response_to,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn mints_verifiable_tokens_with_its_published_key() {
        let idp = DemoIdp::new(
            "http://127.0.0.1:8080/demo-idp".into(),
            "000000000000",
            Arc::new(ManualClock::starting_now()),
        )
        .unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let jwt = idp.mint("alice", &["admins".into()], None, now).unwrap();
        let set: JwkSet = serde_json::from_str(idp.jwks_json()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0]).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.set_audience(&[DEMO_CLIENT_ID]);
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation).unwrap();
        assert_eq!(data.claims["sub"], "demo|alice");
        assert_eq!(data.claims["groups"][0], "admins");
        assert_eq!(data.header.kid.as_deref(), Some(DEMO_KID));
    }
}
