//! Browser sign-in with OpenID Connect: authorization code + PKCE (S256), with the openidconnect
//! crate for the protocol steps. `state`, `nonce` and the PKCE verifier travel in a short-lived
//! sealed cookie, so no server state is needed before the IdP answers. The ID token the IdP
//! returns is verified by the very validator AssumeRoleWithWebIdentity uses, with its
//! per-subject limit ([`verify_web_identity_token`]); on top of it come the checks only a
//! browser sign-in has: the token's `aud` holds our login client, and its nonce is this
//! sign-in's.

use chrono::{DateTime, TimeDelta, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySet, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::error::BrowserError;
use super::sign_in::{SignInContext, SignInRedirect, SignedInSession};
use super::urls::oidc_redirect_uri;
use crate::authn::oidc::{LoginEndpoints, VerifiedIdToken};
use crate::config::OidcProvider;
use crate::sts::bridge::Bridge;
use crate::sts::error::ServiceError;
use crate::sts::offers::SignedIn;

const SEAL_KIND: &str = "oidc-login";
/// Time allowed at the IdP between leaving and coming back.
const LOGIN_TTL: TimeDelta = TimeDelta::minutes(10);
/// Longest authorization code taken to the token endpoint.
const MAX_CODE_LEN: usize = 4096;

/// A sign-in waiting for the IdP's answer: what the login cookie carries (sealed).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PendingLogin {
    issuer: String,
    state: String,
    nonce: String,
    pkce_verifier: String,
    expires_at: DateTime<Utc>,
}

/// The IdP's answer, as the callback's query carries it.
#[derive(Debug, Deserialize)]
pub(crate) struct OidcAnswer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207 authorization-response issuer, when the IdP sends it.
    iss: Option<String>,
}

/// Bounds what an IdP may put on our page.
fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

impl Bridge {
    /// `GET /oidc/login/{provider}`: the IdP's authorization URL, with state, nonce and an
    /// S256 PKCE challenge, and the cookie that remembers them.
    pub(crate) fn start_oidc_sign_in(&self, index: &str) -> Result<SignInRedirect, BrowserError> {
        let p = index
            .parse::<usize>()
            .ok()
            .and_then(|i| self.config.oidc_providers.get(i))
            .filter(|p| p.login_client_id.is_some())
            .ok_or(BrowserError::NoSuchProvider)?;
        let ends = self.login_endpoints(p)?;
        let client = login_client(p)?
            .set_auth_uri(AuthUrl::from_url(ends.authorization))
            .set_redirect_uri(self.redirect_uri()?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in p.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = PendingLogin {
            issuer: p.issuer.clone(),
            state: csrf.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            expires_at: self.clock.now() + LOGIN_TTL,
        };
        let cookie = self.seal_browser_state(SEAL_KIND, "", &pending)?;
        Ok(SignInRedirect {
            url: url.into(),
            cookie,
            max_age: LOGIN_TTL,
        })
    }

    /// The sign-in a callback answers: the login cookie, if present, sealed by us, unexpired,
    /// and for the `state` in the answer. Nothing else of the answer is believed or shown
    /// before this holds: a forged link to the callback neither puts its text on our page nor
    /// ends a sign-in in progress.
    pub(crate) fn pending_oidc_sign_in(
        &self,
        cookie: Option<&str>,
        answer: &OidcAnswer,
    ) -> Result<PendingLogin, BrowserError> {
        let pending: PendingLogin = cookie
            .and_then(|c| self.open_browser_state(SEAL_KIND, "", c))
            .ok_or(BrowserError::NoLoginCookie)?;
        if pending.expires_at <= self.clock.now() {
            return Err(BrowserError::LoginExpired);
        }
        let returned_state = answer.state.as_deref().unwrap_or_default();
        if !bool::from(returned_state.as_bytes().ct_eq(pending.state.as_bytes())) {
            return Err(BrowserError::StateMismatch);
        }
        Ok(pending)
    }

    /// `GET /oidc/callback`, once [`Self::pending_oidc_sign_in`] matched: exchanges the code
    /// with the PKCE verifier (and the client secret for confidential clients), verifies the
    /// ID token, its audience and nonce, then opens the browser session.
    pub(crate) async fn finish_oidc_sign_in(
        &self,
        pending: PendingLogin,
        answer: OidcAnswer,
        browser: SignInContext<'_>,
    ) -> Result<SignedInSession, BrowserError> {
        // RFC 9207: an IdP that names itself must be the one this sign-in went to (mix-up).
        if answer
            .iss
            .as_deref()
            .is_some_and(|iss| iss != pending.issuer)
        {
            return Err(BrowserError::IssuerMixUp);
        }
        if let Some(error) = &answer.error {
            return Err(BrowserError::IdpAnswered {
                error: short(error),
                description: answer
                    .error_description
                    .as_deref()
                    .map(short)
                    .unwrap_or_default(),
            });
        }
        let now = self.clock.now();
        let code = answer
            .code
            .filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN)
            .ok_or(BrowserError::NoCode)?;
        let p = self
            .config
            .oidc_providers
            .iter()
            .find(|p| p.issuer == pending.issuer && p.login_client_id.is_some())
            .ok_or(BrowserError::ProviderGone)?;
        let id_token = self.exchange(p, code, pending.pkce_verifier).await?;
        // The API's validator and per-subject limit (counted there as `per_subject`).
        let verified = self
            .verify_web_identity_token(&id_token, now)
            .await
            .map_err(|e| match e {
                ServiceError::Throttled => BrowserError::Throttled,
                other => BrowserError::IdTokenRefused(other),
            })?;
        check_login_token(&verified, p, &pending.nonce)?;
        self.sign_in(SignedIn::Oidc(verified), browser, None).await
    }

    fn login_endpoints(&self, p: &OidcProvider) -> Result<LoginEndpoints, BrowserError> {
        self.oidc
            .login_endpoints(&p.issuer)
            .ok_or_else(|| BrowserError::LoginEndpointsUnknown(p.issuer.clone()))
    }

    fn redirect_uri(&self) -> Result<RedirectUrl, BrowserError> {
        RedirectUrl::new(oidc_redirect_uri(&self.config))
            .map_err(|e| BrowserError::Internal(e.to_string()))
    }

    /// The code exchange at the token endpoint; returns the raw ID token, unverified.
    async fn exchange(
        &self,
        p: &OidcProvider,
        code: String,
        verifier: String,
    ) -> Result<String, BrowserError> {
        let ends = self.login_endpoints(p)?;
        let mut client = login_client(p)?
            .set_token_uri(TokenUrl::from_url(ends.token))
            .set_redirect_uri(self.redirect_uri()?);
        if let Some(secret) = &p.login_client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // The IdP looked at the code and said no (wrong verifier, used code): bad
                // input, not an outage.
                openidconnect::RequestTokenError::ServerResponse(refusal) => {
                    BrowserError::CodeRefused(short(&refusal.to_string()))
                }
                other => BrowserError::ExchangeFailed(short(&other.to_string())),
            })?;
        response
            .id_token()
            .map(ToString::to_string)
            .ok_or(BrowserError::NoIdToken)
    }
}

/// The provider's login client, without endpoints yet (the two steps need different ones).
fn login_client(p: &OidcProvider) -> Result<CoreClient, BrowserError> {
    let issuer =
        IssuerUrl::new(p.issuer.clone()).map_err(|e| BrowserError::Internal(e.to_string()))?;
    Ok(CoreClient::new(
        ClientId::new(p.login_client_id.clone().unwrap_or_default()),
        issuer,
        JsonWebKeySet::default(),
    ))
}

/// What a browser sign-in's ID token must carry beyond what the API's validator checks.
fn check_login_token(
    verified: &VerifiedIdToken,
    p: &OidcProvider,
    nonce: &str,
) -> Result<(), BrowserError> {
    // OIDC Core 3.1.3.7: `aud` must contain our client id (the API's validator accepts any
    // configured client, and prefers `azp`).
    let login_client = p.login_client_id.as_deref().unwrap_or_default();
    let aud_has_us = match verified.claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == login_client,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a == login_client),
        _ => false,
    };
    if verified.issuer != p.issuer || verified.audience != login_client || !aud_has_us {
        return Err(BrowserError::WrongAudience);
    }
    let nonce_ok = verified
        .claims
        .get("nonce")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(nonce.as_bytes())));
    if nonce_ok {
        Ok(())
    } else {
        Err(BrowserError::NonceMismatch)
    }
}
