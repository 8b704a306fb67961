//! Console sign-in, as AWS's federation endpoint works: getSigninToken turns valid temporary
//! credentials into a single-use sign-in token that lives [`SIGNIN_TOKEN_TTL`]; login spends
//! it, opens a browser session holding those credentials, and sends the browser to a console
//! destination, but only one on `[server] console_destinations` (default: the bridge's own
//! `/console`), so the endpoint is never an open redirect.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::audit::AuditNote;
use super::error::BrowserError;
use super::session::{ActiveRole, WebSession, random_token};
use super::state::{SavedSession, storage_id};
use super::urls::own_console;
use crate::authn::authenticate_session_credentials;
use crate::seal::SessionPrincipal;
use crate::sts::bridge::Bridge;
use crate::types::Secret;

const NAMESPACE: &str = "signin-token";
const SEAL_KIND: &str = "signin-token";
/// A sign-in token is good for one use within this time.
pub(crate) const SIGNIN_TOKEN_TTL: TimeDelta = TimeDelta::minutes(15);
/// The console session's length when getSigninToken names no `SessionDuration` (AWS's).
const DEFAULT_CONSOLE_SESSION: TimeDelta = TimeDelta::hours(12);
/// Longest sign-in token taken to the store.
const MAX_SIGNIN_TOKEN_LEN: usize = 256;

/// AWS's `Session` parameter of getSigninToken; the field names are AWS's.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)]
pub(crate) struct ConsoleCredentials {
    session_id: String,
    session_key: Secret,
    session_token: Secret,
}

/// What a sign-in token stands for (sealed, in the store).
#[derive(Debug, Serialize, Deserialize)]
struct PendingSignin {
    active: ActiveRole,
    /// How long the console session may last (`SessionDuration`), capped by the credentials.
    session_until: DateTime<Utc>,
}

/// How a console login left this browser's session.
#[derive(Debug)]
pub(crate) enum ConsoleLogin {
    /// The browser's session already holds these very credentials ("open in console" from
    /// the bridge's own page), and keeps them and its sign-in (for "switch role").
    Kept,
    /// A new session holding the token's credentials replaced the browser's.
    Opened(SavedSession),
}

impl Bridge {
    /// getSigninToken: a sign-in token for `credentials`, which must be live temporary
    /// credentials of this bridge, for a console session of at most `session_duration`.
    pub(crate) async fn get_signin_token(
        &self,
        credentials: ConsoleCredentials,
        session_duration: Option<TimeDelta>,
    ) -> Result<(String, AuditNote), BrowserError> {
        let claims = authenticate_session_credentials(
            &self.config,
            &self.keyring,
            &self.revocations,
            &credentials.session_id,
            credentials.session_key.expose(),
            credentials.session_token.expose(),
            self.clock.now(),
        )
        .map_err(|e| {
            tracing::info!(error = %e, "getSigninToken refused");
            BrowserError::InvalidSessionCredentials
        })?;
        // The API's per-access-key limit (the same bucket as signed calls with these
        // credentials), once they verified, as the API applies it: checking it before would
        // let anyone who knows a key id (not a secret) drain its owner's bucket. What a failed
        // attempt costs is one AES-GCM open and a constant-time compare, no store work; what
        // the bucket guards is the store write of a sign-in token.
        self.admit(&self.limiters.per_access_key, claims.access_key_id.as_str())?;
        let active = ActiveRole {
            role_arn: match &claims.principal {
                SessionPrincipal::AssumedRole { role_arn, .. } => role_arn.to_string(),
                other => other.arn(),
            },
            assumed_role_arn: claims.principal.arn(),
            access_key_id: credentials.session_id,
            secret_access_key: credentials.session_key,
            session_token: credentials.session_token,
            expiration: claims.expires_at,
        };
        let audit = AuditNote::new("GetSigninToken")
            .issued(&active)
            .principal(&active.assumed_role_arn);
        let token = self.issue_signin_token(&active, session_duration).await?;
        Ok((token, audit))
    }

    /// Stores a single-use sign-in token for `active` and returns it.
    pub(crate) async fn issue_signin_token(
        &self,
        active: &ActiveRole,
        session_duration: Option<TimeDelta>,
    ) -> Result<String, BrowserError> {
        let now = self.clock.now();
        let wanted = now + session_duration.unwrap_or(DEFAULT_CONSOLE_SESSION);
        let pending = PendingSignin {
            active: active.clone(),
            session_until: wanted.min(active.expiration),
        };
        let token = random_token();
        let id = storage_id(&token);
        let sealed = self.seal_browser_state(SEAL_KIND, &id, &pending)?;
        let expires = (now + SIGNIN_TOKEN_TTL).min(active.expiration);
        self.store
            .put_state(NAMESPACE, &id, &sealed, expires)
            .await?;
        Ok(token)
    }

    /// login: spends `token` for a browser whose session is `previous_session` (if any), on
    /// the way to `destination`.
    pub(crate) async fn console_login(
        &self,
        destination: &Url,
        token: Option<&str>,
        previous_session: Option<&str>,
    ) -> Result<(ConsoleLogin, AuditNote), BrowserError> {
        if !self.console_destination_allowed(destination) {
            return Err(BrowserError::DestinationNotAllowed);
        }
        let token = token
            .filter(|t| !t.is_empty() && t.len() <= MAX_SIGNIN_TOKEN_LEN)
            .ok_or(BrowserError::MissingSigninToken)?;
        let now = self.clock.now();
        let id = storage_id(token);
        let sealed = self
            .store
            .take_state(NAMESPACE, &id, now)
            .await?
            .ok_or(BrowserError::UnknownSigninToken)?;
        let pending: PendingSignin = self
            .open_browser_state(SEAL_KIND, &id, &sealed)
            .ok_or(BrowserError::InvalidSigninToken)?;
        if pending.active.expiration <= now {
            return Err(BrowserError::CredentialsExpired);
        }
        let audit = AuditNote::new("FederationLogin").issued(&pending.active);
        if let Some(old) = previous_session
            && let Some(web) = self.load_web_session(old).await?
        {
            let same = web
                .active
                .is_some_and(|a| a.access_key_id == pending.active.access_key_id);
            if same {
                return Ok((ConsoleLogin::Kept, audit));
            }
            self.end_web_session(old).await?;
        }
        let mut web = WebSession::with_credentials(pending.active, now);
        web.signed_in_until = web.signed_in_until.min(pending.session_until);
        let saved = self.create_web_session(&web).await?;
        Ok((ConsoleLogin::Opened(saved), audit))
    }

    /// Whether `destination` is on the allow-list: same origin as an allowed URL and under
    /// its path, with no credentials in it. With no list configured, only the bridge's own
    /// `/console` is allowed.
    pub(crate) fn console_destination_allowed(&self, destination: &Url) -> bool {
        let configured = &self.config.server.console_destinations;
        let own: Vec<Url> = if configured.is_empty() {
            Url::parse(&own_console(&self.config))
                .ok()
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        configured.iter().chain(&own).any(|a| {
            a.origin() == destination.origin()
                && destination.username().is_empty()
                && destination.password().is_none()
                && path_under(destination.path(), a.path())
        })
    }
}

fn path_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
        || prefix.is_empty()
}

#[cfg(test)]
mod tests {
    use super::path_under;

    #[test]
    fn paths_are_matched_by_segment() {
        assert!(path_under("/console", "/console"));
        assert!(path_under("/console/x", "/console"));
        assert!(!path_under("/consolex", "/console"));
        assert!(path_under("/anything", "/"));
    }
}
