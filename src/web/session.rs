//! Browser sessions: a random bearer id in an HttpOnly cookie, the state server-side in the
//! store (sealed), so any replica serves the next request and a database copy reveals nothing.
//!
//! Lifetimes: a session that has not chosen a role lives [`CHOOSER_TTL`]; once credentials are
//! issued it lives exactly as long as they do; and never past `signed_in_until`, fixed at
//! sign-in (at most [`MAX_SIGN_IN`], or the IdP's SessionNotOnOrAfter), so switching roles
//! cannot stretch one sign-in forever. The cookie's Max-Age matches the record's expiry.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::seal::web_state;
use crate::sts::bridge::Bridge;
use crate::sts::offers::SignedIn;
use crate::types::Secret;
use crate::types::secret::fill_random;

use super::error::PageError;

/// The session cookie's name over http (loopback development); over https it is
/// [`SECURE_SESSION_COOKIE`], whose `__Host-` prefix makes browsers refuse it unless it is
/// Secure, host-only and for path `/`, so no sibling subdomain can plant or shadow it.
pub const SESSION_COOKIE: &str = "stsbridge_session";
pub const SECURE_SESSION_COOKIE: &str = "__Host-stsbridge_session";
const NAMESPACE: &str = "web-session";
const SEAL_KIND: &str = "web-session";
/// Time to pick a role after signing in.
pub const CHOOSER_TTL: TimeDelta = TimeDelta::minutes(15);
/// The longest one sign-in lasts, role switches included (AWS's longest role session).
pub const MAX_SIGN_IN: TimeDelta = TimeDelta::hours(12);

/// Credentials issued to this browser session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActiveRole {
    pub role_arn: String,
    pub assumed_role_arn: String,
    pub access_key_id: String,
    #[serde(with = "exposed")]
    pub secret_access_key: Secret,
    #[serde(with = "exposed")]
    pub session_token: Secret,
    pub expiration: DateTime<Utc>,
}

/// `Secret` serialises as `<redacted>` everywhere, on purpose; the session record is sealed
/// before it leaves memory, so here (and only here) the real value is written.
mod exposed {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::types::Secret;

    pub(super) fn serialize<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// What the store holds for one browser session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebSession {
    /// Who signed in; `None` for a session opened through `/federation` with credentials.
    pub identity: Option<SignedIn>,
    pub signed_in_at: DateTime<Utc>,
    pub signed_in_until: DateTime<Utc>,
    /// Anti-CSRF token every POST form of this session carries.
    pub csrf: String,
    pub active: Option<ActiveRole>,
}

impl WebSession {
    pub fn signed_in(
        identity: SignedIn,
        now: DateTime<Utc>,
        hard_end: Option<DateTime<Utc>>,
    ) -> Self {
        let cap = now + MAX_SIGN_IN;
        Self {
            identity: Some(identity),
            signed_in_at: now,
            signed_in_until: hard_end.map_or(cap, |end| end.min(cap)),
            csrf: random_token(),
            active: None,
        }
    }

    /// A session holding credentials it was handed (console federation login).
    pub fn with_credentials(active: ActiveRole, now: DateTime<Utc>) -> Self {
        Self {
            identity: None,
            signed_in_at: now,
            signed_in_until: active.expiration,
            csrf: random_token(),
            active: Some(active),
        }
    }

    /// When the record (and the cookie) expire.
    pub fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let end = match &self.active {
            Some(active) => active.expiration,
            None => now + CHOOSER_TTL,
        };
        end.min(self.signed_in_until)
    }

    /// Constant-time check of a form's CSRF token.
    pub fn csrf_ok(&self, presented: &str) -> bool {
        !presented.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The store key of a bearer id: its SHA-256, so the database never holds the cookie value.
fn storage_id(bearer: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bearer.as_bytes()).as_ref())
}

/// The session cookie's name for this deployment.
pub fn session_cookie_name(state: &Bridge) -> &'static str {
    cookie_name(state, SESSION_COOKIE, SECURE_SESSION_COOKIE)
}

/// A cookie's name for this deployment: `secure` (the `__Host-` form) over https, `plain`
/// over http, where browsers would refuse a `__Host-` cookie (it must be Secure).
pub fn cookie_name(state: &Bridge, plain: &'static str, secure: &'static str) -> &'static str {
    if state.config.server.public_url.scheme() == "https" {
        secure
    } else {
        plain
    }
}

/// The value of cookie `name` in the request, if it is there exactly once and well-formed.
/// Other cookies of the site may hold any bytes: the header is read bytewise, so one non-ASCII
/// cookie of another application does not hide ours.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        for pair in value.as_bytes().split(|b| *b == b';') {
            let Ok(pair) = std::str::from_utf8(pair) else {
                continue;
            };
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
            {
                if found.is_some() {
                    return None; // two cookies of one name: refuse both (cookie tossing)
                }
                found = Some(v);
            }
        }
    }
    found.filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over https.
pub fn set_cookie(state: &Bridge, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.config.server.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        max_age_s.max(0)
    );
    // Names are ours and values base64url, so this cannot fail; an empty header would only
    // mean no cookie, never a wrong one.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Clears cookie `name`.
pub fn clear_cookie(state: &Bridge, name: &str) -> HeaderValue {
    set_cookie(state, name, "", 0)
}

/// The browser's session, if its cookie names a live one.
pub async fn load(
    state: &Bridge,
    headers: &HeaderMap,
) -> Result<Option<(String, WebSession)>, PageError> {
    let Some(bearer) = cookie(headers, session_cookie_name(state)) else {
        return Ok(None);
    };
    let id = storage_id(bearer);
    let now = state.clock.now();
    let Some(sealed) = state.store.get_state(NAMESPACE, &id, now).await? else {
        return Ok(None);
    };
    // A record that does not open (rotated-out key, tampering) is no session at all.
    Ok(
        web_state::open::<WebSession>(&state.keyring, SEAL_KIND, &id, &sealed)
            .ok()
            .map(|s| (bearer.to_owned(), s)),
    )
}

/// Saves `session` under `bearer` and returns the cookie that carries it.
pub async fn save(
    state: &Bridge,
    bearer: &str,
    session: &WebSession,
) -> Result<HeaderValue, PageError> {
    let now = state.clock.now();
    let expires = session.expires_at(now);
    let id = storage_id(bearer);
    let sealed = web_state::seal(&state.keyring, SEAL_KIND, &id, session)
        .map_err(|e| PageError::internal(format!("cannot seal web session: {e}")))?;
    state
        .store
        .put_state(NAMESPACE, &id, &sealed, expires)
        .await?;
    Ok(set_cookie(
        state,
        session_cookie_name(state),
        bearer,
        (expires - now).num_seconds(),
    ))
}

/// Starts a new session (a fresh id at every sign-in: no fixation) and returns its cookie.
pub async fn create(state: &Bridge, session: &WebSession) -> Result<HeaderValue, PageError> {
    save(state, &random_token(), session).await
}

/// Ends the session behind `bearer`.
pub async fn destroy(state: &Bridge, bearer: &str) -> Result<(), PageError> {
    state
        .store
        .delete_state(NAMESPACE, &storage_id(bearer))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_once_or_not_at_all() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; stsbridge_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("stsbridge_session=evil"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xstsbridge_session=abc"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
    }

    #[test]
    fn session_lifetime_is_capped_by_sign_in_and_credentials() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let token = crate::authn::oidc::VerifiedIdToken {
            provider_index: 0,
            issuer: "https://idp.example".into(),
            provider_arn: "arn:aws:iam::000000000000:oidc-provider/idp.example".into(),
            subject: "alice".into(),
            audience: "app".into(),
            claims: serde_json::Map::new(),
            expires_at: now,
            issued_at: None,
        };
        let mut s = WebSession::signed_in(SignedIn::Oidc(token), now, None);
        assert_eq!(s.expires_at(now), now + CHOOSER_TTL);
        s.active = Some(ActiveRole {
            role_arn: String::new(),
            assumed_role_arn: String::new(),
            access_key_id: String::new(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: now + TimeDelta::hours(1),
        });
        assert_eq!(s.expires_at(now), now + TimeDelta::hours(1));
        if let Some(a) = s.active.as_mut() {
            a.expiration = now + TimeDelta::hours(36);
        }
        assert_eq!(s.expires_at(now), now + MAX_SIGN_IN);
        assert!(s.csrf_ok(&s.csrf.clone()));
        assert!(!s.csrf_ok(""));
        assert!(!s.csrf_ok("nope"));
    }
}
