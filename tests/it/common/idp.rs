//! A test OpenID provider on 127.0.0.1:0: discovery and JWKS over HTTP, tokens signed with
//! real RSA and EC keys (TEST-ONLY keys from certs/). It can publish a rotated key and count
//! JWKS fetches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
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

type Codes = Arc<Mutex<HashMap<String, (Option<String>, String, String)>>>;

#[derive(Clone)]
struct Published {
    issuer: String,
    keys: Arc<Mutex<Vec<Jwk>>>,
    jwks_fetches: Arc<AtomicUsize>,
    /// Fetches of the attacker's key URL (tokens point `jku`/`x5u` at it).
    evil_fetches: Arc<AtomicUsize>,
    /// Browser login: issued codes → (nonce, PKCE challenge, redirect_uri).
    codes: Codes,
    /// Misbehaviours for negative tests.
    pub(crate) knobs: Knobs,
}

/// How the test IdP's browser login misbehaves, for negative tests.
#[derive(Clone, Default)]
pub(crate) struct Knobs {
    /// Put another nonce than the one the bridge sent into the ID token.
    pub(crate) wrong_nonce: Arc<AtomicBool>,
    /// Insist on client_secret_basic with [`CLIENT_SECRET`] (a confidential client).
    pub(crate) require_secret: Arc<AtomicBool>,
    /// Token requests that presented the right client secret.
    pub(crate) secret_seen: Arc<AtomicUsize>,
}

/// TEST-ONLY client secret for the confidential-client test.
pub(crate) const CLIENT_SECRET: &str = "test-only-client-secret";

pub(crate) struct TestIdp {
    pub(crate) issuer: String,
    published: Published,
    _task: tokio::task::JoinHandle<()>,
}

impl TestIdp {
    /// Serves discovery and a JWKS with the RSA and EC keys (not yet the rotated one).
    pub(crate) async fn start() -> Self {
        stsbridge::demo::install_jwt_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/idp", listener.local_addr().unwrap());
        let published = Published {
            issuer: issuer.clone(),
            keys: Arc::new(Mutex::new(vec![Key::Rsa.jwk(), Key::Ec.jwk()])),
            jwks_fetches: Arc::new(AtomicUsize::new(0)),
            evil_fetches: Arc::new(AtomicUsize::new(0)),
            codes: Arc::new(Mutex::new(HashMap::new())),
            knobs: Knobs::default(),
        };
        let app = Router::new()
            .route("/idp/.well-known/openid-configuration", get(discovery))
            .route("/idp/jwks", get(jwks))
            .route("/evil/jwks", get(evil_jwks))
            .route("/idp/authorize", get(authorize))
            .route("/idp/token", post(token_endpoint))
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

    pub(crate) fn knobs(&self) -> &Knobs {
        &self.published.knobs
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
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "response_types_supported": ["id_token", "code"],
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

/// The browser user every test sign-in becomes.
pub(crate) const BROWSER_SUB: &str = "browser-user";

/// `GET /idp/authorize`: signs the browser in at once (no page) and sends it back with a code.
async fn authorize(
    State(p): State<Published>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("response_type").map(String::as_str) != Some("code")
        || q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let (Some(redirect), Some(challenge)) = (q.get("redirect_uri"), q.get("code_challenge")) else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri and code_challenge are required",
        )
            .into_response();
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    p.codes.lock().unwrap().insert(
        code.clone(),
        (q.get("nonce").cloned(), challenge.clone(), redirect.clone()),
    );
    let mut target = url::Url::parse(redirect).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", q.get("state").map_or("", String::as_str));
    Redirect::to(target.as_str()).into_response()
}

/// `POST /idp/token`: PKCE S256 checked; the secret too when the knob asks for it.
async fn token_endpoint(
    State(p): State<Published>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response()
    };
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let secret_ok = headers
        .get("authorization")
        .is_some_and(|v| v.to_str().unwrap_or_default() == basic);
    if secret_ok {
        p.knobs.secret_seen.fetch_add(1, Ordering::SeqCst);
    } else if p.knobs.require_secret.load(Ordering::SeqCst) {
        return refuse("client authentication failed");
    }
    let Some((nonce, challenge, redirect)) = f
        .get("code")
        .and_then(|c| p.codes.lock().unwrap().remove(c))
    else {
        return refuse("unknown or used code");
    };
    if f.get("redirect_uri") != Some(&redirect) {
        return refuse("redirect_uri mismatch");
    }
    let Some(verifier) = f.get("code_verifier") else {
        return refuse("code_verifier missing");
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    if base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()) != challenge {
        return refuse("code_verifier does not match");
    }
    let now = SystemClock.now().timestamp();
    let nonce = if p.knobs.wrong_nonce.load(Ordering::SeqCst) {
        Some("not-the-nonce-you-sent".to_owned())
    } else {
        nonce
    };
    let claims = json!({
        "iss": p.issuer, "sub": BROWSER_SUB, "aud": CLIENT_ID, "iat": now, "exp": now + 3600,
        "email": "browser-user@test.invalid", "groups": ["dev"], "nonce": nonce,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(Key::Rsa.kid().to_owned());
    let id_token = sign_with(&header, Key::Rsa, &claims);
    axum::Json(json!({"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}))
        .into_response()
}
