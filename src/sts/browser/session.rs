//! What a browser session holds: who signed in, until when, its anti-CSRF token and the
//! credentials it was issued. The record is kept server-side, sealed ([`super::state`]); the
//! browser holds only a random bearer id.
//!
//! Lifetimes: a session that has not chosen a role lives [`CHOOSER_TTL`]; once credentials are
//! issued it lives exactly as long as they do; and never past `signed_in_until`, fixed at
//! sign-in (at most [`MAX_SIGN_IN`], or the IdP's SessionNotOnOrAfter), so switching roles
//! cannot stretch one sign-in forever.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::error::BrowserError;
use crate::sts::offers::SignedIn;
use crate::types::Secret;
use crate::types::secret::fill_random;

/// Time to pick a role after signing in.
pub(crate) const CHOOSER_TTL: TimeDelta = TimeDelta::minutes(15);
/// The longest one sign-in lasts, role switches included (AWS's longest role session).
pub(crate) const MAX_SIGN_IN: TimeDelta = TimeDelta::hours(12);

/// Credentials issued to this browser session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ActiveRole {
    pub(crate) role_arn: String,
    pub(crate) assumed_role_arn: String,
    pub(crate) access_key_id: String,
    #[serde(with = "exposed")]
    pub(crate) secret_access_key: Secret,
    #[serde(with = "exposed")]
    pub(crate) session_token: Secret,
    pub(crate) expiration: DateTime<Utc>,
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
pub(crate) struct WebSession {
    /// Who signed in; `None` for a session opened through `/federation` with credentials.
    pub(crate) identity: Option<SignedIn>,
    pub(crate) signed_in_at: DateTime<Utc>,
    pub(crate) signed_in_until: DateTime<Utc>,
    /// Anti-CSRF token every POST form of this session carries.
    pub(crate) csrf: String,
    pub(crate) active: Option<ActiveRole>,
}

impl WebSession {
    pub(crate) fn signed_in(
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
    pub(crate) fn with_credentials(active: ActiveRole, now: DateTime<Utc>) -> Self {
        Self {
            identity: None,
            signed_in_at: now,
            signed_in_until: active.expiration,
            csrf: random_token(),
            active: Some(active),
        }
    }

    /// When the record (and the cookie) expire.
    pub(crate) fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let end = match &self.active {
            Some(active) => active.expiration,
            None => now + CHOOSER_TTL,
        };
        end.min(self.signed_in_until)
    }

    /// Constant-time check of a form's CSRF token.
    pub(crate) fn check_csrf(&self, presented: &str) -> Result<(), BrowserError> {
        let matches =
            !presented.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()));
        if matches {
            Ok(())
        } else {
            Err(BrowserError::CsrfMismatch)
        }
    }
}

/// 256 random bits, base64url: bearer ids, CSRF tokens, sign-in tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(s.check_csrf(&s.csrf.clone()).is_ok());
        assert!(s.check_csrf("").is_err());
        assert!(s.check_csrf("nope").is_err());
    }
}
