//! The request side of the wire: an axum extractor that turns an HTTP request into an
//! [`StsCall`] (bounded body, strictly decoded parameters, a known action, and the caller
//! authenticated as that action requires). Handlers never see an unauthenticated signed call.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::action::{Action, AuthRequirement};
use super::error::{ErrorCode, StsError};
use super::params::Params;
use super::response::error_response;
use crate::sts::bridge::Bridge;
use crate::sts::call::{Caller, Origin, Refusal};
use crate::telemetry::{RequestId, user_agent};

/// Largest accepted body. The biggest legitimate input is a 100,000-character SAML assertion,
/// which form-encoding grows by a few percent; 256 KiB leaves room and bounds everything else.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A parsed and authenticated STS request.
#[derive(Debug)]
pub struct StsCall {
    pub action: Action,
    pub params: Params,
    /// `Some` exactly when the action requires a signature.
    pub principal: Option<Caller>,
    /// The TCP peer (`aws:SourceIp`). Behind a proxy this is the proxy: forwarding headers are
    /// not trusted.
    pub source_ip: Option<IpAddr>,
    /// For the audit trail (bounded).
    pub user_agent: Option<String>,
}

impl StsCall {
    /// The signer of a signed action. The extractor guarantees it for signed actions, so a
    /// `None` here is a server bug, reported as one.
    pub fn principal(&self) -> Result<&Caller, StsError> {
        self.principal.as_ref().ok_or_else(StsError::internal)
    }

    /// Where the call came from, for its audit event.
    pub fn origin<'a>(&'a self, request_id: &'a RequestId) -> Origin<'a> {
        Origin {
            source_ip: self.source_ip,
            user_agent: self.user_agent.as_deref(),
            request_id: request_id.as_str(),
        }
    }
}

/// A refused request: the error document, rendered with the request's id.
#[derive(Debug)]
pub struct StsRejection {
    error: StsError,
    request_id: RequestId,
}

impl IntoResponse for StsRejection {
    fn into_response(self) -> Response {
        error_response(&self.error, &self.request_id)
    }
}

impl FromRequest<Arc<Bridge>> for StsCall {
    type Rejection = StsRejection;

    async fn from_request(req: Request, state: &Arc<Bridge>) -> Result<Self, Self::Rejection> {
        let request_id = RequestId::of(&req);
        let source_ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip());
        let user_agent = user_agent(req.headers());
        let mut action = None;
        read_call(req, state, &mut action).await.map_err(|error| {
            let origin = Origin {
                source_ip,
                user_agent: user_agent.as_deref(),
                request_id: request_id.as_str(),
            };
            // Refused before an action ran (bad signature, unknown key, malformed request):
            // a denial all the same.
            let refusal = Refusal {
                code: error.code.as_str(),
                message: &error.message,
                matched: None,
            };
            state.refused_early(action.map(Action::name), origin, refusal);
            StsRejection { error, request_id }
        })
    }
}

async fn read_call(
    req: Request,
    state: &Bridge,
    seen_action: &mut Option<Action>,
) -> Result<StsCall, StsError> {
    let user_agent = user_agent(req.headers());
    let source_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    let (parts, body) = req.into_parts();
    let body = read_body(&parts.headers, body).await?;
    let form: &[u8] = if is_form(&parts.headers, &body)? {
        &body
    } else {
        &[]
    };
    let params = Params::parse(&[parts.uri.query().unwrap_or_default().as_bytes(), form])?;
    let action = Action::from_params(&params)?;
    *seen_action = Some(action);
    tracing::Span::current().record("action", action.name());
    let principal = match action.auth() {
        // Only the federation actions cost real work (signature checks) without a key.
        AuthRequirement::Anonymous
            if matches!(
                action,
                Action::AssumeRoleWithWebIdentity | Action::AssumeRoleWithSaml
            ) =>
        {
            state.admit_unsigned(source_ip)?;
            None
        }
        AuthRequirement::Anonymous => None,
        AuthRequirement::Signed => Some(state.authenticate(&parts, &body)?),
    };
    Ok(StsCall {
        action,
        params,
        principal,
        source_ip,
        user_agent,
    })
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] before buffering it when the client
/// declares the length, and while reading when it does not.
pub(super) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, StsError> {
    let too_large = || {
        StsError::new(
            ErrorCode::RequestEntityTooLarge,
            format!("The request body must not exceed {MAX_BODY_BYTES} bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            let is_limit = std::error::Error::source(&e).is_some_and(
                <dyn std::error::Error + 'static>::is::<http_body_util::LengthLimitError>,
            );
            if is_limit {
                too_large()
            } else {
                StsError::new(
                    ErrorCode::InvalidParameterValue,
                    "The request body could not be read.",
                )
            }
        })
}

/// Bodies are form-encoded parameters (what every SDK sends, with or without `; charset=`).
/// An empty body needs no type; a non-empty one in another type is refused, not guessed at.
fn is_form(headers: &HeaderMap, body: &[u8]) -> Result<bool, StsError> {
    if body.is_empty() {
        return Ok(false);
    }
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(true);
    };
    let media = ct
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    if media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(true)
    } else {
        Err(StsError::new(
            ErrorCode::InvalidParameterValue,
            "The request body must be application/x-www-form-urlencoded.",
        ))
    }
}
