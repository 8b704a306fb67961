//! The demo IdP's browser sign-ins in progress and the codes it issued, in memory (demo only):
//! every id is unguessable and single-use, every entry expires, and each map is bounded however
//! many sign-ins are started and abandoned.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};

/// How long a sign-in may take, from the first page to the code's redemption.
const TTL: TimeDelta = TimeDelta::minutes(10);
const MAX_PENDING: usize = 1000;

/// What a sign-in in progress will answer once the person picks a user.
#[derive(Debug, Clone)]
pub(super) enum SignIn {
    /// An OAuth 2.0 authorization request from the bridge's OIDC login.
    Oidc(AuthzRequest),
    /// A SAML sign-in: IdP-initiated, or answering the bridge's AuthnRequest with this ID.
    Saml { in_response_to: Option<String> },
}

#[derive(Debug, Clone)]
pub(super) struct AuthzRequest {
    pub(super) redirect_uri: String,
    pub(super) state: String,
    pub(super) nonce: Option<String>,
    pub(super) code_challenge: String,
}

/// An authorization code's grant: the request it answers and the picked user.
#[derive(Debug, Clone)]
pub(super) struct IssuedCode {
    pub(super) request: AuthzRequest,
    pub(super) user: String,
    pub(super) groups: Vec<String>,
}

/// Entries by id, each with the instant it expires.
#[derive(Debug)]
struct Bounded<V>(Mutex<HashMap<String, (V, DateTime<Utc>)>>);

impl<V> Default for Bounded<V> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<V> Bounded<V> {
    /// Stores `value` under a fresh id unless the map is full of live entries (`None` then).
    fn insert(&self, value: V, expires: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, (_, until)| *until > now);
        if map.len() >= MAX_PENDING {
            return None;
        }
        let id = unguessable();
        map.insert(id.clone(), (value, expires));
        Some(id)
    }

    /// The entry under `id`, removed (single use); `None` when unknown or expired.
    fn take(&self, id: &str, now: DateTime<Utc>) -> Option<(V, DateTime<Utc>)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
            .filter(|(_, until)| *until > now)
    }
}

#[derive(Debug, Default)]
pub(super) struct Pending {
    sign_ins: Bounded<SignIn>,
    /// Each code expires with the sign-in it was issued for.
    codes: Bounded<IssuedCode>,
}

impl Pending {
    /// Starts a sign-in; its id, or `None` when too many are in progress.
    pub(super) fn start(&self, sign_in: SignIn, now: DateTime<Utc>) -> Option<String> {
        self.sign_ins.insert(sign_in, now + TTL, now)
    }

    /// The live sign-in `id` names, spent now, and when it expires.
    pub(super) fn take(&self, id: &str, now: DateTime<Utc>) -> Option<(SignIn, DateTime<Utc>)> {
        self.sign_ins.take(id, now)
    }

    /// A code for `grant` that lives until `expires`; `None` when too many are outstanding.
    pub(super) fn issue_code(
        &self,
        grant: IssuedCode,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<String> {
        self.codes.insert(grant, expires, now)
    }

    /// The grant behind a live `code`, spent now.
    pub(super) fn redeem(&self, code: &str, now: DateTime<Utc>) -> Option<IssuedCode> {
        self.codes.take(code, now).map(|(grant, _)| grant)
    }
}

/// 192 random bits, URL-safe: sign-in ids, codes and access tokens.
pub(super) fn unguessable() -> String {
    let mut b = [0u8; 24];
    crate::types::secret::fill_random(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}
