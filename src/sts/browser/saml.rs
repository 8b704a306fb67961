//! Browser sign-in with SAML: SP-initiated requests (an AuthnRequest over HTTP-Redirect) and
//! the assertion consumer service for SP- and IdP-initiated responses, through
//! AssumeRoleWithSAML's validator, replay cache and per-subject limit
//! ([`verify_saml_response`]).
//!
//! The SP-initiated request this browser waits on travels in a sealed cookie: the ACS accepts
//! a response to one of our requests only in the browser that made it (no login CSRF), and
//! nothing is written anywhere for a request nobody completes.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::error::BrowserError;
use super::sign_in::{SignInContext, SignInRedirect, SignedInSession};
use super::urls::{saml_acs_url, saml_entity_id};
use crate::authn::saml::authn_request::{self, AuthnRequestError, AuthnRequestParams};
use crate::authn::saml::{Candidates, VerifiedAssertion};
use crate::sts::bridge::Bridge;
use crate::sts::error::ServiceError;
use crate::sts::offers::SignedIn;
use crate::types::Secret;

const REQUEST_SEAL_KIND: &str = "saml-request";
/// Time allowed at the IdP for an SP-initiated sign-in.
const REQUEST_TTL: TimeDelta = TimeDelta::minutes(10);
/// A SAMLResponse larger than this is refused before decoding (the API's bound).
const MAX_RESPONSE_B64: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct PendingRequest {
    request_id: String,
    provider: String,
    expires_at: DateTime<Utc>,
}

/// A SAML sign-in as the ACS finished it.
#[derive(Debug)]
pub(crate) struct SamlSignIn {
    pub(crate) signed_in: SignedInSession,
    /// The browser's request cookie was live: clear it, its request is answered or void.
    pub(crate) request_cookie_spent: bool,
}

impl Bridge {
    /// Whether `provider`'s metadata names an SSO endpoint, so a browser can start there.
    pub(crate) fn saml_sign_in_available(&self, provider: &str) -> bool {
        self.saml.sso_redirect_url(provider).is_some()
    }

    /// `GET /saml/login/{provider}`: an AuthnRequest URL (signed when the SP has a key), and
    /// the cookie that remembers its ID.
    pub(crate) fn start_saml_sign_in(
        &self,
        provider: &str,
    ) -> Result<SignInRedirect, BrowserError> {
        let p = self
            .config
            .saml_providers
            .iter()
            .find(|p| p.name == provider)
            .ok_or(BrowserError::NoSuchProvider)?;
        let id = authn_request::new_request_id();
        let now = self.clock.now();
        let entity = saml_entity_id(&self.config);
        let acs = saml_acs_url(&self.config);
        let params = AuthnRequestParams {
            id: &id,
            issuer: &entity,
            acs_url: &acs,
            issue_instant: now,
            relay_state: None,
        };
        let url = self
            .saml
            .authn_request_url(&p.name, &params)
            .map_err(|e| match e {
                AuthnRequestError::NoSsoEndpoint | AuthnRequestError::NoSuchProvider => {
                    BrowserError::NoSsoEndpoint
                }
                other => BrowserError::AuthnRequest {
                    provider: p.name.clone(),
                    reason: other.to_string(),
                },
            })?;
        let pending = PendingRequest {
            request_id: id,
            provider: p.name.clone(),
            expires_at: now + REQUEST_TTL,
        };
        let cookie = self.seal_browser_state(REQUEST_SEAL_KIND, "", &pending)?;
        Ok(SignInRedirect {
            url,
            cookie,
            max_age: REQUEST_TTL,
        })
    }

    /// `POST /saml/acs`: verifies the response, which must answer the request this browser
    /// made (its `request_cookie`) when it claims to answer one at all, then opens the
    /// browser session. The caller has applied the per-IP limit before reading the form.
    pub(crate) async fn finish_saml_sign_in(
        &self,
        response: Option<String>,
        relay_state: Option<&str>,
        request_cookie: Option<&str>,
        browser: SignInContext<'_>,
    ) -> Result<SamlSignIn, BrowserError> {
        let b64 = response
            .filter(|r| !r.is_empty())
            .ok_or(BrowserError::NoSamlResponse)?;
        if b64.len() > MAX_RESPONSE_B64 {
            return Err(BrowserError::SamlResponseTooLarge);
        }
        let now = self.clock.now();
        let pending: Option<PendingRequest> = request_cookie
            .and_then(|c| self.open_browser_state(REQUEST_SEAL_KIND, "", c))
            .filter(|p: &PendingRequest| p.expires_at > now);
        let verified = self
            .verify_for_its_provider(&Secret::new(b64), pending.as_ref(), now)
            .await?;
        if let Some(request_id) = &verified.in_response_to {
            let answers_ours = pending
                .as_ref()
                .is_some_and(|p| &p.request_id == request_id && p.provider == verified.provider);
            if !answers_ours {
                return Err(BrowserError::NotOurRequest);
            }
        }
        let signed_in = self
            .sign_in(SignedIn::Saml(verified), browser, relay_state)
            .await?;
        Ok(SamlSignIn {
            signed_in,
            request_cookie_spent: pending.is_some(),
        })
    }

    /// Verifies the response against the provider its own `Issuer` names (the Response's,
    /// which is outside an EncryptedAssertion): one provider, or the few that share that IdP
    /// (the request's provider first). A Response naming no Issuer is tried only when exactly
    /// one provider is configured or when it answers this browser's own request (its sealed
    /// cookie names the provider), so an anonymous POST costs at most the configured IdP's
    /// share of XML and RSA work, never one try per provider.
    async fn verify_for_its_provider(
        &self,
        response: &Secret,
        pending: Option<&PendingRequest>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedAssertion, BrowserError> {
        let mut candidates = match self.saml.candidates_for_response(response.expose()) {
            Candidates::Named(names) => names,
            // The Issuer is optional in a Response; for an answer to our own request the
            // provider is the one this browser's sealed request cookie names (sealed by us, so
            // not the sender's claim), and only that one is tried.
            Candidates::NoIssuer => match pending {
                Some(p) => vec![p.provider.clone()],
                None => return Err(BrowserError::NoIssuer),
            },
            Candidates::Unreadable(e) => {
                return Err(BrowserError::UnreadableResponse(e));
            }
        };
        if let Some(p) = pending
            && let Some(at) = candidates.iter().position(|c| c == &p.provider)
        {
            let first = candidates.remove(at);
            candidates.insert(0, first);
        }
        let mut last_error = None;
        for provider in candidates {
            match self.verify_saml_response(&provider, response, now).await {
                Ok(v) => return Ok(v),
                // Counted by the validator (`per_subject`); the assertion is not spent.
                Err(ServiceError::Throttled) => return Err(BrowserError::Throttled),
                Err(e) => last_error = Some(e),
            }
        }
        Err(match last_error {
            Some(ServiceError::Store(e)) => BrowserError::Unavailable(e.to_string()),
            Some(e) => BrowserError::ResponseRefused(e),
            None => BrowserError::NoTrustingProvider,
        })
    }
}
