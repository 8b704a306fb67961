//! The browser side's one error type: a readable page with the status, what went wrong in
//! words a person can act on, and the request id. Handlers return it; the page layer turns it
//! into HTML once the request id is at hand. Internal details go to the log only.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::sts::browser::BrowserError;
use crate::telemetry::RequestId;

#[derive(Debug, Clone)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: String,
}

impl PageError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "That did not work",
            message: message.into(),
        }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            title: "Not allowed",
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            title: "Not found",
            message: message.into(),
        }
    }

    /// An IdP that could not be reached or answered something we cannot use.
    pub(crate) fn idp(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            title: "Your identity provider did not sign you in",
            message: message.into(),
        }
    }

    /// The IdP answered, and its answer was no (an OAuth error, a refused code): not a
    /// failure of ours or of the IdP's service.
    pub(crate) fn idp_refused(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            title: "Your identity provider did not sign you in",
            message: message.into(),
        }
    }

    /// Logged in full; the page says only that it was our fault.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "browser request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Something went wrong on our side",
            message: "The bridge could not finish this request. Try again; if it keeps happening, give the request id to an administrator.".into(),
        }
    }

    /// A rate limit of `[limits]` said no (the same limits as the API's); whoever checked the
    /// limit has counted it in `stsbridge_throttled_total`.
    pub(crate) fn throttled() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            title: "Too many requests",
            message: "Too many sign-in attempts in a short time. Wait a few seconds and try again."
                .into(),
        }
    }

    pub(crate) fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "browser request could not be served");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Temporarily unavailable",
            message: "The bridge cannot serve this right now. Try again in a moment.".into(),
        }
    }
}

impl From<BrowserError> for PageError {
    /// The status and title of each refusal; its text is the variant's own.
    fn from(e: BrowserError) -> Self {
        use BrowserError as E;
        let message = e.to_string();
        match e {
            E::Throttled => Self::throttled(),
            E::NoSuchProvider | E::NoSsoEndpoint => Self::not_found(message),
            E::NoLoginCookie
            | E::LoginExpired
            | E::StateMismatch
            | E::IssuerMixUp
            | E::NoCode
            | E::ProviderGone
            | E::NonceMismatch
            | E::NoSamlResponse
            | E::SamlResponseTooLarge
            | E::NoIssuer
            | E::UnreadableResponse(_)
            | E::CredentialsOnlySession
            | E::MissingSigninToken
            | E::TooLargeToKeep(_) => Self::bad_request(message),
            E::ResponseRefused(_)
            | E::NoTrustingProvider
            | E::NotOurRequest
            | E::CsrfMismatch
            | E::SignInEnding
            | E::RoleNotOffered
            | E::RoleRefused(_)
            | E::InvalidSessionCredentials
            | E::DestinationNotAllowed
            | E::UnknownSigninToken
            | E::InvalidSigninToken
            | E::CredentialsExpired => Self::forbidden(message),
            E::IdpAnswered { .. } | E::CodeRefused(_) => Self::idp_refused(message),
            E::ExchangeFailed(_) | E::NoIdToken | E::IdTokenRefused(_) | E::WrongAudience => {
                Self::idp(message)
            }
            E::LoginEndpointsUnknown(_) | E::AuthnRequest { .. } | E::Unavailable(_) => {
                Self::unavailable(message)
            }
            E::Internal(_) => Self::internal(message),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Rendered by the page layer with `render` below, which knows the request id and the
        // base path.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    base: &'a str,
    account: &'a str,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// Renders a [`PageError`] response as the error page.
pub(crate) fn render(
    err: &PageError,
    request_id: &RequestId,
    base: &str,
    account: &str,
) -> Response {
    let page = ErrorPage {
        base,
        account,
        title: err.title,
        message: &err.message,
        request_id: request_id.as_str(),
    };
    let mut response = match page.render() {
        Ok(html) => (err.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page did not render");
            (
                err.status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{}\n\nRequest id: {}\n", err.message, request_id.as_str()),
            )
                .into_response()
        }
    };
    if err.status == StatusCode::TOO_MANY_REQUESTS {
        // The buckets hold one second's worth of requests.
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}
