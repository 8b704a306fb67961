//! Browser state at rest: sealed cookies (a sign-in in progress) and web sessions in the store.
//! Everything is sealed under the keyring's web-state key, bound to its kind (and, for stored
//! records, to its storage key), so a box made for one purpose or one record never opens as
//! another, and a database copy reveals nothing. Stored records are keyed by the SHA-256 of the
//! bearer value, so the database never holds what the browser presents either.

use chrono::TimeDelta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::BrowserError;
use super::session::{WebSession, random_token};
use crate::seal::web_state;
use crate::sts::bridge::Bridge;

const SESSION_NAMESPACE: &str = "web-session";
const SESSION_SEAL_KIND: &str = "web-session";

/// A saved web session: the bearer id its cookie carries, and how long the cookie lives (as
/// long as the record).
#[derive(Debug, Clone)]
pub(crate) struct SavedSession {
    pub(crate) bearer: String,
    pub(crate) max_age: TimeDelta,
}

/// The store key of a bearer value (session id, sign-in token).
pub(super) fn storage_id(bearer: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bearer.as_bytes()).as_ref())
}

impl Bridge {
    /// Seals `value` as browser state of `kind`, bound to `binding` (a record's storage key,
    /// or empty for a self-contained cookie).
    pub(super) fn seal_browser_state<T: Serialize>(
        &self,
        kind: &str,
        binding: &str,
        value: &T,
    ) -> Result<String, BrowserError> {
        web_state::seal(&self.keyring, kind, binding, value)
            .map_err(|e| BrowserError::Internal(format!("cannot seal {kind}: {e}")))
    }

    /// Opens what [`Self::seal_browser_state`] made for the same kind and binding; `None` for
    /// anything else (a rotated-out key, tampering, another kind).
    pub(super) fn open_browser_state<T: DeserializeOwned>(
        &self,
        kind: &str,
        binding: &str,
        sealed: &str,
    ) -> Option<T> {
        web_state::open(&self.keyring, kind, binding, sealed).ok()
    }

    /// The live session behind `bearer`, if there is one.
    pub(crate) async fn load_web_session(
        &self,
        bearer: &str,
    ) -> Result<Option<WebSession>, BrowserError> {
        let id = storage_id(bearer);
        let Some(sealed) = self
            .store
            .get_state(SESSION_NAMESPACE, &id, self.clock.now())
            .await?
        else {
            return Ok(None);
        };
        // A record that does not open is no session at all.
        Ok(self.open_browser_state(SESSION_SEAL_KIND, &id, &sealed))
    }

    /// Saves `session` under `bearer`, until the session expires.
    pub(crate) async fn save_web_session(
        &self,
        bearer: &str,
        session: &WebSession,
    ) -> Result<SavedSession, BrowserError> {
        let now = self.clock.now();
        let expires = session.expires_at(now);
        let id = storage_id(bearer);
        let sealed = self.seal_browser_state(SESSION_SEAL_KIND, &id, session)?;
        self.store
            .put_state(SESSION_NAMESPACE, &id, &sealed, expires)
            .await?;
        Ok(SavedSession {
            bearer: bearer.to_owned(),
            max_age: expires - now,
        })
    }

    /// Saves `session` under a fresh bearer id: a new one at every sign-in, so a session id
    /// planted before sign-in is never the signed-in one (no fixation).
    pub(crate) async fn create_web_session(
        &self,
        session: &WebSession,
    ) -> Result<SavedSession, BrowserError> {
        self.save_web_session(&random_token(), session).await
    }

    /// Ends the session behind `bearer` for good.
    pub(crate) async fn end_web_session(&self, bearer: &str) -> Result<(), BrowserError> {
        self.store
            .delete_state(SESSION_NAMESPACE, &storage_id(bearer))
            .await?;
        Ok(())
    }
}
