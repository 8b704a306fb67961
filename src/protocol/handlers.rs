//! The STS endpoint: one thin function per action over an already parsed and authenticated
//! [`StsCall`], and the rendering of results and errors. Every decision lives in `authn`, `sts`
//! or the typed parameter parsers.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::action::{Action, AssumeRoleParams, GetAccessKeyInfoParams};
use super::error::{ErrorCode, StsError};
use super::extract::StsCall;
use super::xml::{
    ActionResult, GetAccessKeyInfoResult, GetCallerIdentityResult, render_error, render_success,
};
use crate::app::AppState;
use crate::sts;
use crate::telemetry::RequestId;

pub async fn sts_endpoint(
    State(state): State<AppState>,
    request_id: RequestId,
    call: StsCall,
) -> Response {
    let rendered =
        dispatch(&state, &call).and_then(|result| render_success(&result, request_id.as_str()));
    match rendered {
        Ok(xml) => xml_response(StatusCode::OK, xml),
        Err(e) => error_response(&e, &request_id),
    }
}

/// Renders an error document with the request id; used by the extractor and the layers too.
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

fn dispatch(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
    match call.action {
        Action::GetCallerIdentity => get_caller_identity(call),
        Action::GetAccessKeyInfo => get_access_key_info(state, call),
        Action::AssumeRole => {
            // Parameters are validated already, so clients get precise errors today.
            AssumeRoleParams::parse(&call.params)?;
            Err(not_yet(call.action))
        }
        Action::AssumeRoleWithSaml
        | Action::AssumeRoleWithWebIdentity
        | Action::GetSessionToken
        | Action::GetFederationToken
        | Action::DecodeAuthorizationMessage => Err(not_yet(call.action)),
    }
}

fn get_caller_identity(call: &StsCall) -> Result<ActionResult, StsError> {
    let id = sts::get_caller_identity(call.principal()?);
    Ok(ActionResult::GetCallerIdentityResult(
        GetCallerIdentityResult {
            user_id: id.user_id,
            account: id.account.to_string(),
            arn: id.arn,
        },
    ))
}

fn get_access_key_info(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
    call.principal()?;
    GetAccessKeyInfoParams::parse(&call.params)?;
    let account = sts::get_access_key_info(&state.config);
    Ok(ActionResult::GetAccessKeyInfoResult(
        GetAccessKeyInfoResult {
            account: account.to_string(),
        },
    ))
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
