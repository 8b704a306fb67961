//! The STS endpoint: read the request (bounded), find the action, authenticate as the action
//! requires, validate its parameters, call the service, render XML. Handlers stay thin; every
//! decision lives in `authn`, `sts` or the typed parameter parsers.

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::action::{Action, AssumeRoleParams, AuthRequirement, GetAccessKeyInfoParams};
use super::error::{ErrorCode, StsError};
use super::params::Params;
use super::xml::{
    ActionResult, GetAccessKeyInfoResult, GetCallerIdentityResult, render_error, render_success,
};
use crate::app::AppState;
use crate::authn::{self, Principal, sigv4::SignedRequest};
use crate::sts;
use crate::telemetry::RequestId;

/// Largest accepted body. The biggest legitimate input is a 100,000-character SAML assertion,
/// which form-encoding grows by a few percent; 256 KiB leaves room and bounds everything else.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub async fn sts_endpoint(
    State(state): State<AppState>,
    request_id: RequestId,
    req: Request,
) -> Response {
    match handle(&state, req).await {
        Ok(result) => match render_success(&result, request_id.as_str()) {
            Ok(xml) => xml_response(StatusCode::OK, xml),
            Err(e) => error_response(&e, &request_id),
        },
        Err(e) => error_response(&e, &request_id),
    }
}

/// Renders an error document with the request id; used by the layers around the router too.
pub fn error_response(e: &StsError, request_id: &RequestId) -> Response {
    if e.code.status().is_server_error() {
        tracing::warn!(code = e.code.as_str(), "request failed on the server side");
    } else {
        tracing::info!(code = e.code.as_str(), "request refused");
    }
    xml_response(e.code.status(), render_error(e, request_id.as_str()))
}

fn xml_response(status: StatusCode, xml: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"))],
        xml,
    )
        .into_response()
}

async fn handle(state: &AppState, req: Request) -> Result<ActionResult, StsError> {
    let (parts, body) = req.into_parts();
    let body = read_body(&parts.headers, body).await?;
    let form: &[u8] = if is_form(&parts.headers, &body)? {
        &body
    } else {
        &[]
    };
    let params = Params::parse(&[parts.uri.query().unwrap_or_default().as_bytes(), form])?;
    let action = Action::from_params(&params)?;
    tracing::Span::current().record("action", action.name());
    let principal = match action.auth() {
        AuthRequirement::Anonymous => None,
        AuthRequirement::Signed => {
            let signed = SignedRequest {
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                body: &body,
            };
            let principal = authn::authenticate_signed(
                &signed,
                &state.config,
                &state.keyring,
                state.clock.now(),
            )?;
            tracing::Span::current().record("principal", principal.arn());
            Some(principal)
        }
    };
    dispatch(state, action, &params, principal.as_ref())
}

fn dispatch(
    state: &AppState,
    action: Action,
    params: &Params,
    principal: Option<&Principal>,
) -> Result<ActionResult, StsError> {
    let signed = || principal.ok_or_else(StsError::internal);
    match action {
        Action::GetCallerIdentity => {
            let id = sts::get_caller_identity(signed()?);
            Ok(ActionResult::GetCallerIdentityResult(
                GetCallerIdentityResult {
                    user_id: id.user_id,
                    account: id.account.to_string(),
                    arn: id.arn,
                },
            ))
        }
        Action::GetAccessKeyInfo => {
            signed()?;
            let p = GetAccessKeyInfoParams::parse(params)?;
            let key = p.parsed().ok_or_else(|| {
                StsError::new(
                    ErrorCode::InvalidParameterValue,
                    "The access key id is not one this service issues.",
                )
            })?;
            let account = sts::get_access_key_info(&state.config, &key);
            Ok(ActionResult::GetAccessKeyInfoResult(
                GetAccessKeyInfoResult {
                    account: account.to_string(),
                },
            ))
        }
        Action::AssumeRole => {
            // Parameters are validated already, so clients get precise errors today.
            AssumeRoleParams::parse(params)?;
            Err(not_yet(action))
        }
        Action::AssumeRoleWithSaml
        | Action::AssumeRoleWithWebIdentity
        | Action::GetSessionToken
        | Action::GetFederationToken
        | Action::DecodeAuthorizationMessage => Err(not_yet(action)),
    }
}

fn not_yet(action: Action) -> StsError {
    StsError::new(
        ErrorCode::InvalidAction,
        format!(
            "The action {} is not available on this server yet.",
            action.name()
        ),
    )
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] before buffering it when the client
/// declares the length, and while reading when it does not.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, StsError> {
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
