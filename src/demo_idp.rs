//! The built-in demo identity provider, served under `/demo-idp` only by the embedded demo
//! configuration: OIDC discovery, its JWKS, and a token endpoint that mints an ID token for any
//! user and groups a person types. DEMO ONLY: it signs with `certs/demo-idp-rsa-key.pem`, which is
//! public, it answers loopback peers only, and the demo refuses non-loopback listen addresses.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::json;

use crate::clock::SharedClock;

mod browser;
use crate::saml_idp::{SamlIdp, SamlResponseSpec};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use browser::read_authn_request;

/// The demo IdP's signing key (DEMO ONLY, public).
const DEMO_KEY_PEM: &[u8] = include_bytes!("../certs/demo-idp-rsa-key.pem");
const DEMO_KID: &str = "stsbridge-demo-1";
/// The audience (client id) demo tokens carry and the demo provider accepts.
pub const DEMO_CLIENT_ID: &str = "demo-app";
/// Path prefix of the demo IdP on the bridge.
pub const DEMO_IDP_PATH: &str = "/demo-idp";

#[derive(Debug, thiserror::Error)]
#[error("demo IdP: {0}")]
pub struct DemoIdpError(String);

/// The demo SAML IdP's key and certificate (DEMO ONLY, public).
const DEMO_SAML_KEY_PEM: &[u8] = include_bytes!("../certs/demo-saml-idp-key.pem");
const DEMO_SAML_CERT_PEM: &[u8] = include_bytes!("../certs/demo-saml-idp-cert.pem");
/// The demo SAML provider's name (`arn:aws:iam::<account>:saml-provider/demo-saml`).
pub const DEMO_SAML_PROVIDER: &str = "demo-saml";

/// The demo issuer: OIDC key, JWKS and issuer URL, and the SAML side.
pub struct DemoIdp {
    issuer: String,
    key: EncodingKey,
    jwks_json: String,
    clock: SharedClock,
    saml: SamlIdp,
    /// Browser sign-ins in progress and issued codes (in memory: demo only).
    pending: browser::Pending,
    /// The bridge's base URL: SAML audience `<base>/saml/metadata`, ACS `<base>/saml/acs`.
    bridge_url: String,
    account: String,
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
    pub fn new(issuer: String, account: &str, clock: SharedClock) -> Result<Self, DemoIdpError> {
        let bridge_url = issuer.trim_end_matches(DEMO_IDP_PATH).to_owned();
        let saml = SamlIdp::from_pem(
            &format!("{issuer}/saml"),
            DEMO_SAML_KEY_PEM,
            DEMO_SAML_CERT_PEM,
        )
        .map_err(|e| DemoIdpError(e.to_string()))?;
        install_jwt_crypto();
        let key =
            EncodingKey::from_rsa_pem(DEMO_KEY_PEM).map_err(|e| DemoIdpError(e.to_string()))?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)
            .map_err(|e| DemoIdpError(e.to_string()))?;
        jwk.common.key_id = Some(DEMO_KID.to_owned());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let jwks_json = serde_json::to_string(&JwkSet { keys: vec![jwk] })
            .map_err(|e| DemoIdpError(e.to_string()))?;
        Ok(Self {
            issuer,
            key,
            jwks_json,
            saml,
            bridge_url,
            account: account.to_owned(),
            clock,
            pending: browser::Pending::default(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The bridge's base path ("" at the root), for links on the demo pages.
    fn bridge_path(&self) -> String {
        url::Url::parse(&self.bridge_url)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    /// The demo IdP's own path (`/demo-idp` under the bridge's base path).
    fn issuer_path(&self) -> String {
        format!("{}{DEMO_IDP_PATH}", self.bridge_path())
    }

    /// The public keys, as a JWKS document (the demo provider is configured with these, so the
    /// bridge never has to fetch from itself).
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    /// An RS256 ID token for `user` in `groups`, valid for one hour.
    pub fn mint(
        &self,
        user: &str,
        groups: &[String],
        now: DateTime<Utc>,
    ) -> Result<String, DemoIdpError> {
        self.mint_with_nonce(user, groups, None, now)
    }

    /// [`Self::mint`], with the `nonce` of a browser sign-in.
    pub fn mint_with_nonce(
        &self,
        user: &str,
        groups: &[String],
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, DemoIdpError> {
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
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| DemoIdpError(e.to_string()))
    }

    /// The SAML IdP's metadata (the demo provider is configured with it directly).
    pub fn saml_metadata_xml(&self) -> String {
        self.saml.metadata_xml_with_redirect(
            &format!("{}/saml/response", self.issuer),
            Some(&format!("{}/saml/sso", self.issuer)),
        )
    }

    pub fn saml_entity_id(&self) -> &str {
        self.saml.entity_id()
    }

    /// A signed SAML Response for `user`, listing the demo roles the user may choose
    /// (`demo-admin` for group `admins`, `demo-developer` for everyone).
    pub fn saml_response(
        &self,
        user: &str,
        groups: &[String],
        now: DateTime<Utc>,
    ) -> Result<String, DemoIdpError> {
        self.saml_response_to(user, groups, None, now)
    }

    /// [`Self::saml_response`] answering AuthnRequest `in_response_to` (SP-initiated).
    pub fn saml_response_to(
        &self,
        user: &str,
        groups: &[String],
        in_response_to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, DemoIdpError> {
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
        self.saml
            .response_b64(&SamlResponseSpec {
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
            .map_err(|e| DemoIdpError(e.to_string()))
    }

    /// Discovery, JWKS and the token endpoint, under [`DEMO_IDP_PATH`].
    pub fn routes<S: Clone + Send + Sync + 'static>(self: Arc<Self>) -> Router<S> {
        Router::new()
            .route(
                &format!("{DEMO_IDP_PATH}/.well-known/openid-configuration"),
                get(discovery),
            )
            .route(&format!("{DEMO_IDP_PATH}/jwks"), get(jwks))
            .route(&format!("{DEMO_IDP_PATH}/token"), post(token))
            .route(
                &format!("{DEMO_IDP_PATH}/saml/metadata"),
                get(saml_metadata),
            )
            .route(
                &format!("{DEMO_IDP_PATH}/saml/response"),
                post(saml_response),
            )
            .route(
                &format!("{DEMO_IDP_PATH}/authorize"),
                get(browser::authorize).post(browser::approve),
            )
            .route(
                &format!("{DEMO_IDP_PATH}/oauth/token"),
                post(browser::token_endpoint),
            )
            .route(&format!("{DEMO_IDP_PATH}/saml/sso"), get(browser::saml_sso))
            .route(
                &format!("{DEMO_IDP_PATH}/saml/login"),
                get(browser::saml_login).post(browser::saml_approve),
            )
            .with_state(self)
    }
}

async fn discovery(State(idp): State<Arc<DemoIdp>>) -> Response {
    axum::Json(json!({
        "issuer": idp.issuer,
        "jwks_uri": format!("{}/jwks", idp.issuer),
        "token_endpoint": format!("{}/token", idp.issuer),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

async fn jwks(State(idp): State<Arc<DemoIdp>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        idp.jwks_json.clone(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    user: String,
    /// Comma-separated.
    #[serde(default)]
    groups: String,
}

/// `POST /demo-idp/token` with `user=alice&groups=admins,dev`: the ID token as plain text, so
/// `TOKEN=$(curl -s -d user=alice …)` works in a shell.
async fn token(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (user, groups) = match checked_form(peer, &form) {
        Ok(ok) => ok,
        Err(refusal) => return *refusal,
    };
    match idp.mint(user, &groups, idp.clock.now()) {
        Ok(jwt) => ([(header::CONTENT_TYPE, "text/plain")], jwt).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "demo IdP could not sign");
            (StatusCode::INTERNAL_SERVER_ERROR, "signing failed\n").into_response()
        }
    }
}

/// Both demo sign-in endpoints: loopback peers only, and user/group names from a small
/// alphabet (they end up in tokens, session names and tags).
fn checked_form(peer: SocketAddr, form: &TokenForm) -> Result<(&str, Vec<String>), Box<Response>> {
    if !peer.ip().is_loopback() {
        return Err(Box::new(
            (
                StatusCode::FORBIDDEN,
                "the demo IdP signs in loopback clients only\n",
            )
                .into_response(),
        ));
    }
    let name_ok = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
    };
    let groups: Vec<String> = form
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    if !name_ok(&form.user) || groups.len() > 20 || !groups.iter().all(|g| name_ok(g)) {
        return Err(Box::new(
            (
                StatusCode::BAD_REQUEST,
                "user and groups are 1-64 characters of A-Z a-z 0-9 . _ @ -\n",
            )
                .into_response(),
        ));
    }
    Ok((&form.user, groups))
}

async fn saml_metadata(State(idp): State<Arc<DemoIdp>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        idp.saml_metadata_xml(),
    )
        .into_response()
}

/// `POST /demo-idp/saml/response` with `user=alice&groups=admins`: a signed, base64 SAMLResponse
/// as plain text, for `aws sts assume-role-with-saml --saml-assertion "$SAML"`.
async fn saml_response(
    State(idp): State<Arc<DemoIdp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (user, groups) = match checked_form(peer, &form) {
        Ok(ok) => ok,
        Err(refusal) => return *refusal,
    };
    match idp.saml_response(user, &groups, idp.clock.now()) {
        Ok(b64) => ([(header::CONTENT_TYPE, "text/plain")], b64).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "demo IdP could not sign");
            (StatusCode::INTERNAL_SERVER_ERROR, "signing failed\n").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
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
        let jwt = idp.mint("alice", &["admins".into()], now).unwrap();
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
