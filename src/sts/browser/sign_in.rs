//! What follows a verified browser sign-in, OIDC or SAML alike: a fresh web session, the roles
//! on offer, and credentials minted through the API's own code path, at once when exactly one
//! role is offered or when the chooser's form names one. The form is only a wish: the choice is
//! checked against the offers again.

use std::net::IpAddr;

use chrono::TimeDelta;
use url::Url;

use super::audit::AuditNote;
use super::error::BrowserError;
use super::session::{ActiveRole, WebSession};
use super::state::SavedSession;
use crate::sts::bridge::Bridge;
use crate::sts::error::ServiceError;
use crate::sts::offers::{RoleOffer, SignedIn, offered_roles};
use crate::sts::web_identity::RoleChoice;
use crate::types::RoleArn;
use crate::types::duration::DEFAULT_ROLE_SESSION_SECONDS;

/// The shortest role session: a sign-in with less left cannot take another role.
const MIN_ROLE_SESSION: u32 = 900;

/// The browser a sign-in happens in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignInContext<'a> {
    pub(crate) ip: IpAddr,
    /// The bearer id of the session this browser had, if any: a new sign-in ends it.
    pub(crate) previous_session: Option<&'a str>,
}

/// The first step of a sign-in: where to send the browser, and the sealed cookie that
/// remembers the sign-in until the IdP answers (for as long as the sign-in may take).
#[derive(Debug)]
pub(crate) struct SignInRedirect {
    pub(crate) url: String,
    pub(crate) cookie: String,
    pub(crate) max_age: TimeDelta,
}

/// Where the browser goes once signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterSignIn {
    /// To the role chooser: several roles on offer, or none (the chooser explains why).
    Roles,
    /// To the credentials page of the one role on offer.
    Credentials,
    /// The one role's credentials are issued and the IdP's RelayState names an allowed
    /// console destination.
    Destination(Url),
}

/// A finished sign-in: the new session, where to go, and what to audit.
#[derive(Debug)]
pub(crate) struct SignedInSession {
    pub(crate) session: SavedSession,
    pub(crate) next: AfterSignIn,
    pub(crate) audit: AuditNote,
}

impl Bridge {
    /// Opens the browser session of a verified identity. `relay_state` is the IdP's to echo;
    /// the browser follows it only to an allowed console destination, and only once it holds
    /// credentials.
    pub(super) async fn sign_in(
        &self,
        identity: SignedIn,
        browser: SignInContext<'_>,
        relay_state: Option<&str>,
    ) -> Result<SignedInSession, BrowserError> {
        // A new sign-in replaces whatever session this browser had: end the old one for good.
        if let Some(old) = browser.previous_session
            && self.load_web_session(old).await?.is_some()
        {
            self.end_web_session(old).await?;
        }
        let now = self.clock.now();
        let hard_end = match &identity {
            SignedIn::Saml(a) => a.session_not_on_or_after,
            SignedIn::Oidc(_) => None,
        };
        let offers = self.role_offers(&identity, browser.ip);
        let mut audit = AuditNote::new("BrowserSignIn").identity(&identity);
        let mut web = WebSession::signed_in(identity, now, hard_end);
        if let [only] = offers.as_slice() {
            let duration = DEFAULT_ROLE_SESSION_SECONDS.min(only.max_duration);
            let active = self.activate_role(&web, &only.role_arn, duration, browser.ip)?;
            audit = audit.issued(&active).matched(&only.why);
            web.active = Some(active);
        }
        let session = self.create_web_session(&web).await?;
        let next = match (web.active.is_some(), self.relay_destination(relay_state)) {
            (true, Some(destination)) => AfterSignIn::Destination(destination),
            (true, None) => AfterSignIn::Credentials,
            (false, _) => AfterSignIn::Roles,
        };
        Ok(SignedInSession {
            session,
            next,
            audit,
        })
    }

    /// A RelayState the browser may be sent to: an allowed console destination.
    fn relay_destination(&self, relay_state: Option<&str>) -> Option<Url> {
        let relay = relay_state.filter(|r| !r.is_empty())?;
        let allowed = Url::parse(relay)
            .ok()
            .filter(|u| self.console_destination_allowed(u));
        if allowed.is_none() {
            tracing::info!("ignoring a RelayState that is not an allowed destination");
        }
        allowed
    }

    /// What the chooser offers this identity from this address, now.
    pub(crate) fn role_offers(&self, identity: &SignedIn, ip: IpAddr) -> Vec<RoleOffer> {
        offered_roles(
            &self.config,
            &self.revocations,
            identity,
            Some(ip),
            self.clock.now(),
        )
    }

    /// `POST /roles`: mints the chosen role, if it is still on offer, for at most `duration`
    /// seconds (the role's default when none is given), and saves it in the session behind
    /// `bearer`. The caller has checked the form's CSRF token.
    pub(crate) async fn choose_role(
        &self,
        bearer: &str,
        mut web: WebSession,
        role_arn: &RoleArn,
        duration: Option<u32>,
        ip: IpAddr,
    ) -> Result<(SavedSession, AuditNote), BrowserError> {
        let identity = web
            .identity
            .clone()
            .ok_or(BrowserError::CredentialsOnlySession)?;
        let offers = self.role_offers(&identity, ip);
        let offer = offers
            .iter()
            .find(|o| &o.role_arn == role_arn)
            .ok_or(BrowserError::RoleNotOffered)?;
        let duration = duration
            .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS)
            .clamp(MIN_ROLE_SESSION, offer.max_duration);
        let active = self.activate_role(&web, role_arn, duration, ip)?;
        let audit = AuditNote::new("ChooseRole")
            .identity(&identity)
            .issued(&active)
            .matched(&offer.why);
        web.active = Some(active);
        let saved = self.save_web_session(bearer, &web).await?;
        Ok((saved, audit))
    }

    /// Mints the role's credentials through the API's code path, never past the sign-in.
    fn activate_role(
        &self,
        web: &WebSession,
        role_arn: &RoleArn,
        duration: u32,
        ip: IpAddr,
    ) -> Result<ActiveRole, BrowserError> {
        let identity = web
            .identity
            .as_ref()
            .ok_or(BrowserError::CredentialsOnlySession)?;
        let now = self.clock.now();
        // A role switch never outlives the sign-in: cap the request at what is left of it.
        let left = (web.signed_in_until - now).num_seconds();
        if left < i64::from(MIN_ROLE_SESSION) {
            return Err(BrowserError::SignInEnding);
        }
        let duration = duration.min(u32::try_from(left).unwrap_or(u32::MAX));
        let choice = RoleChoice {
            role_arn,
            role_session_name: None,
            duration_seconds: Some(duration),
            policy: None,
            policy_arns: &[],
            source_ip: Some(ip),
        };
        let issued = identity
            .assume(&self.config, &self.keyring, &self.revocations, &choice, now)
            .map_err(|e| match e {
                ServiceError::Internal(detail) => BrowserError::Internal(detail),
                ServiceError::Mint(detail) => BrowserError::Internal(detail.to_string()),
                ServiceError::Store(detail) => BrowserError::Unavailable(detail.to_string()),
                other => BrowserError::RoleRefused(other),
            })?;
        let c = issued.credentials;
        Ok(ActiveRole {
            role_arn: role_arn.to_string(),
            assumed_role_arn: issued.assumed_role_arn,
            access_key_id: c.access_key_id.to_string(),
            secret_access_key: crate::types::Secret::new(c.secret_access_key.expose()),
            session_token: c.session_token,
            expiration: c.expiration,
        })
    }
}
