//! A test OpenID provider on 127.0.0.1:0: discovery and JWKS over HTTP, tokens signed with
//! real RSA and EC keys (TEST-ONLY keys from certs/). It can publish a rotated key and count
//! JWKS fetches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use stsbridge::clock::{Clock, SystemClock};

pub(crate) const CLIENT_ID: &str = "test-app";

#[derive(Clone, Copy, Debug)]
pub(crate) enum Key {
    Rsa,
    Rsa2,
    Ec,
}

impl Key {
    fn kid(self) -> &'static str {
        match self {
            Self::Rsa => "rsa-1",
            Self::Rsa2 => "rsa-2",
            Self::Ec => "ec-1",
        }
    }

    fn alg(self) -> Algorithm {
        match self {
            Self::Rsa | Self::Rsa2 => Algorithm::RS256,
            Self::Ec => Algorithm::ES256,
        }
    }

    pub(crate) fn encoding_key(self) -> EncodingKey {
        match self {
            Self::Rsa => {
                EncodingKey::from_rsa_pem(include_bytes!("../../../certs/test-idp-rsa-key.pem"))
                    .unwrap()
            }
            Self::Rsa2 => {
                EncodingKey::from_rsa_pem(include_bytes!("../../../certs/test-idp-rsa2-key.pem"))
                    .unwrap()
            }
            Self::Ec => {
                EncodingKey::from_ec_pem(include_bytes!("../../../certs/test-idp-ec-key.pem"))
                    .unwrap()
            }
        }
    }

    pub(crate) fn jwk(self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding_key(), self.alg()).unwrap();
        jwk.common.key_id = Some(self.kid().to_owned());
        jwk
    }
}

#[derive(Clone)]
struct Published {
    issuer: String,
    keys: Arc<Mutex<Vec<Jwk>>>,
    jwks_fetches: Arc<AtomicUsize>,
    /// Fetches of the attacker's key URL (tokens point `jku`/`x5u` at it).
    evil_fetches: Arc<AtomicUsize>,
}

pub(crate) struct TestIdp {
    pub(crate) issuer: String,
    published: Published,
    _task: tokio::task::JoinHandle<()>,
}

impl TestIdp {
    /// Serves discovery and a JWKS with the RSA and EC keys (not yet the rotated one).
    pub(crate) async fn start() -> Self {
        stsbridge::demo_idp::install_jwt_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/idp", listener.local_addr().unwrap());
        let published = Published {
            issuer: issuer.clone(),
            keys: Arc::new(Mutex::new(vec![Key::Rsa.jwk(), Key::Ec.jwk()])),
            jwks_fetches: Arc::new(AtomicUsize::new(0)),
            evil_fetches: Arc::new(AtomicUsize::new(0)),
        };
        let app = Router::new()
            .route("/idp/.well-known/openid-configuration", get(discovery))
            .route("/idp/jwks", get(jwks))
            .route("/evil/jwks", get(evil_jwks))
            .with_state(published.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            issuer,
            published,
            _task: task,
        }
    }

    /// The provider's trust-policy key prefix: the issuer without its scheme.
    pub(crate) fn prefix(&self) -> &str {
        self.issuer.trim_start_matches("http://")
    }

    pub(crate) fn provider_arn(&self) -> String {
        format!("arn:aws:iam::123456789012:oidc-provider/{}", self.prefix())
    }

    /// Adds the second RSA key to the served JWKS, as an IdP does when it rotates.
    pub(crate) fn publish_rotated_key(&self) {
        self.published.keys.lock().unwrap().push(Key::Rsa2.jwk());
    }

    /// A live URL serving the attacker's key (never published by the IdP itself).
    pub(crate) fn evil_url(&self) -> String {
        self.issuer.replace("/idp", "/evil/jwks")
    }

    pub(crate) fn evil_fetches(&self) -> usize {
        self.published.evil_fetches.load(Ordering::SeqCst)
    }

    pub(crate) fn jwks_fetches(&self) -> usize {
        self.published.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Valid claims for `sub`, issued now, valid one hour.
    pub(crate) fn claims(&self, sub: &str) -> Value {
        let now = SystemClock.now().timestamp();
        json!({"iss": self.issuer, "sub": sub, "aud": CLIENT_ID, "iat": now, "exp": now + 3600})
    }

    #[expect(
        clippy::unused_self,
        reason = "reads as idp.sign(..), beside the IdP that publishes the key"
    )]
    pub(crate) fn sign(&self, key: Key, claims: &Value) -> String {
        let mut header = Header::new(key.alg());
        header.kid = Some(key.kid().to_owned());
        sign_with(&header, key, claims)
    }

    /// A valid RS256 token for `sub`.
    pub(crate) fn token(&self, sub: &str) -> String {
        self.sign(Key::Rsa, &self.claims(sub))
    }
}

/// Signs `claims` under any header (for forged-header tests).
pub(crate) fn sign_with(header: &Header, key: Key, claims: &Value) -> String {
    jsonwebtoken::encode(header, claims, &key.encoding_key()).unwrap()
}

async fn discovery(State(p): State<Published>) -> axum::Json<Value> {
    axum::Json(json!({
        "issuer": p.issuer,
        "jwks_uri": format!("{}/jwks", p.issuer),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

async fn jwks(State(p): State<Published>) -> axum::Json<JwkSet> {
    p.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    axum::Json(JwkSet {
        keys: p.keys.lock().unwrap().clone(),
    })
}

async fn evil_jwks(State(p): State<Published>) -> axum::Json<JwkSet> {
    p.evil_fetches.fetch_add(1, Ordering::SeqCst);
    axum::Json(JwkSet {
        keys: vec![Key::Rsa2.jwk()],
    })
}
