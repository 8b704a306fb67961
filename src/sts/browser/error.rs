//! Why a browser step did not go through. Each variant's text is what the person at the
//! browser reads, in words they can act on; the page edge (`web`) picks the status and the
//! page title by variant, as `protocol` picks the AWS code for a [`ServiceError`]. Faults of
//! ours or of the store carry their detail for the log, and the page says only whose fault it
//! was.

use crate::authn::saml::SamlError;
use crate::store::StoreError;
use crate::sts::error::ServiceError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum BrowserError {
    /// A `[limits]` bucket said no; whoever checked it has counted it in
    /// `stsbridge_throttled_total`.
    #[error("Rate exceeded")]
    Throttled,
    #[error("There is no such sign-in provider.")]
    NoSuchProvider,

    // OpenID Connect sign-in.
    /// Discovery of the provider's browser endpoints is pending or failed (an outage).
    #[error("login endpoints of {0} are not known yet (discovery pending or failed)")]
    LoginEndpointsUnknown(String),
    #[error(
        "This sign-in has no login cookie (it expired, or it was started in another browser). Start again from the sign-in page."
    )]
    NoLoginCookie,
    #[error(
        "This sign-in took longer than 10 minutes and expired. Start again from the sign-in page."
    )]
    LoginExpired,
    #[error(
        "The sign-in answer does not belong to this browser's sign-in (state mismatch). Start again from the sign-in page."
    )]
    StateMismatch,
    /// RFC 9207: the answer names another issuer than the sign-in went to (mix-up).
    #[error("The answer comes from another identity provider than this sign-in went to.")]
    IssuerMixUp,
    /// The IdP's OAuth error, already bounded and stripped of control characters.
    #[error("The identity provider answered \"{error}\"{}{description}", if description.is_empty() { "" } else { ": " })]
    IdpAnswered { error: String, description: String },
    #[error("The identity provider sent no authorization code.")]
    NoCode,
    #[error("This sign-in provider is no longer configured.")]
    ProviderGone,
    /// The token endpoint looked at the code and said no (wrong verifier, used code).
    #[error("The code exchange failed: the identity provider answered {0}")]
    CodeRefused(String),
    /// The token endpoint could not be reached or answered something unusable.
    #[error("The code exchange failed: {0}")]
    ExchangeFailed(String),
    #[error("The token endpoint returned no ID token.")]
    NoIdToken,
    #[error("The ID token was refused: {0}")]
    IdTokenRefused(ServiceError),
    #[error("The ID token was issued for another provider or client.")]
    WrongAudience,
    #[error("The ID token does not carry this sign-in's nonce (a replayed or injected token).")]
    NonceMismatch,

    // SAML sign-in.
    #[error(
        "This provider has no sign-in endpoint for browsers; sign in from your identity provider's portal instead."
    )]
    NoSsoEndpoint,
    /// An AuthnRequest could not be made (metadata not loaded, signing failed): an outage.
    #[error("SAML login for {provider}: {reason}")]
    AuthnRequest { provider: String, reason: String },
    #[error("The POST carries no SAMLResponse.")]
    NoSamlResponse,
    #[error("The SAMLResponse is too large.")]
    SamlResponseTooLarge,
    #[error(
        "The SAML response names no Issuer of its own, and several SAML providers are configured here, so the bridge cannot tell which one sent it. The identity provider must put its Issuer in the Response (outside the assertion)."
    )]
    NoIssuer,
    /// The Response could not even be read far enough to pick its provider.
    #[error("The SAML response was refused: {0}")]
    UnreadableResponse(SamlError),
    #[error("The SAML response was refused: {0}")]
    ResponseRefused(ServiceError),
    #[error("No SAML provider configured here trusts the issuer of this response.")]
    NoTrustingProvider,
    #[error(
        "This SAML response answers a sign-in request this browser did not make, or one that expired."
    )]
    NotOurRequest,

    // The web session and the role chooser.
    #[error(
        "This form did not come from your session (missing or wrong CSRF token). Reload the page and try again."
    )]
    CsrfMismatch,
    #[error(
        "This session was opened with credentials, not a sign-in: it cannot take another role."
    )]
    CredentialsOnlySession,
    /// What is left of the sign-in is shorter than the shortest role session.
    #[error("Your sign-in is about to end. Sign in again for new credentials.")]
    SignInEnding,
    #[error("That role is not offered to you.")]
    RoleNotOffered,
    #[error("You cannot take this role: {0}")]
    RoleRefused(ServiceError),

    // Console sign-in (`/federation`).
    /// getSigninToken's `Session` is not a live set of this bridge's temporary credentials.
    #[error("The session credentials are not valid temporary credentials of this bridge.")]
    InvalidSessionCredentials,
    #[error("That Destination is not on this bridge's list of console destinations.")]
    DestinationNotAllowed,
    #[error("SigninToken is required.")]
    MissingSigninToken,
    #[error(
        "This sign-in token is unknown, already used or expired (they last 15 minutes and work once)."
    )]
    UnknownSigninToken,
    #[error("This sign-in token is not valid.")]
    InvalidSigninToken,
    #[error("These credentials have expired.")]
    CredentialsExpired,

    // Faults.
    /// A value out of the store's bounds: only our own values reach the store, so this is an
    /// identity too large to keep (thousands of SAML attributes), which retrying will not fix.
    #[error(
        "This sign-in carries more than the bridge can keep for a browser session ({0}). Ask your administrator to release fewer attributes to the bridge."
    )]
    TooLargeToKeep(&'static str),
    /// The store (or another service the step needs) did not answer; retrying may help.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of ours (a task that died, a value that would not seal).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for BrowserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidKey(what) => Self::TooLargeToKeep(what),
            other => Self::Unavailable(other.to_string()),
        }
    }
}
