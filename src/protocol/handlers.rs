//! The STS endpoint: one thin function per action over an already parsed and authenticated
//! [`StsCall`] — typed parameters in, one [`Bridge`] method, the XML result out — and the
//! rendering of results and errors. Every decision lives in `sts` or the parameter parsers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::action::Action;
use super::error::StsError;
use super::extract::StsCall;
use super::requests::{
    AssumeRoleParams, AssumeRoleWithSamlParams, AssumeRoleWithWebIdentityParams,
    DecodeAuthorizationMessageParams, GetAccessKeyInfoParams, GetFederationTokenParams,
    GetSessionTokenParams, parse_revoke_sessions,
};
use super::response::{error_response, xml_response};
use super::xml::{
    ActionResult, DecodeAuthorizationMessageResult, GetAccessKeyInfoResult,
    GetCallerIdentityResult, GetSessionTokenResult, RevokeSessionsResult, render_success,
};
use crate::sts::bridge::Bridge;
use crate::sts::call::{CallRecord, Refusal};
use crate::telemetry::RequestId;

/// `POST /` (and `GET /?Action=…`): one call, its audit event and metric, its answer.
pub async fn sts_endpoint(
    State(bridge): State<Arc<Bridge>>,
    request_id: RequestId,
    call: StsCall,
) -> Response {
    let origin = call.origin(&request_id);
    let (mut record, permitted) = bridge.begin(call.action.name(), call.principal.as_ref(), origin);
    let outcome = match permitted {
        Ok(()) => dispatch(&bridge, &call, &mut record).await,
        Err(e) => Err(e.into()),
    };
    match outcome.and_then(|result| render_success(&result, request_id.as_str())) {
        Ok(xml) => {
            bridge.finish(record, None);
            xml_response(StatusCode::OK, xml)
        }
        Err(e) => refused(&bridge, record, e, &request_id),
    }
}

/// Ends a refused call: its audit event and metric, and the error document, whose
/// `AccessDenied` message carries the sealed reason for DecodeAuthorizationMessage.
fn refused(bridge: &Bridge, record: CallRecord<'_>, mut e: StsError, id: &RequestId) -> Response {
    let cause = e.denial.take();
    let sealed = cause
        .as_ref()
        .and_then(|c| bridge.seal_denial(&record, &c.reason, c.explicit));
    let matched = cause.as_ref().map(|c| c.reason.as_str());
    let refusal = Refusal {
        code: e.code.as_str(),
        message: &e.message,
        matched,
    };
    bridge.finish(record, Some(refusal));
    if let Some(encoded) = sealed {
        let stop = if e.message.ends_with('.') { "" } else { "." };
        e.message = format!(
            "{}{stop} Encoded authorization failure message: {encoded}",
            e.message
        );
    }
    error_response(&e, id)
}

async fn dispatch(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    match call.action {
        Action::GetCallerIdentity => get_caller_identity(bridge, call, record),
        Action::AssumeRoleWithWebIdentity => {
            assume_role_with_web_identity(bridge, call, record).await
        }
        Action::AssumeRoleWithSaml => assume_role_with_saml(bridge, call, record).await,
        Action::GetAccessKeyInfo => get_access_key_info(bridge, call, record),
        Action::AssumeRole => assume_role(bridge, call, record).await,
        Action::GetSessionToken => get_session_token(bridge, call, record).await,
        Action::GetFederationToken => get_federation_token(bridge, call, record),
        Action::DecodeAuthorizationMessage => decode_authorization_message(bridge, call),
        Action::RevokeSessions => revoke_sessions(bridge, call, record).await,
    }
}

async fn assume_role_with_web_identity(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithWebIdentityParams::parse(&call.params)?;
    let req = p.request(call.source_ip);
    Ok(bridge
        .assume_role_with_web_identity(record, req)
        .await?
        .into())
}

async fn assume_role_with_saml(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithSamlParams::parse(&call.params)?;
    let req = p.request(call.source_ip);
    Ok(bridge.assume_role_with_saml(record, req).await?.into())
}

async fn assume_role(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleParams::parse(&call.params)?;
    let (req, caller) = (p.request(call.source_ip), call.principal()?);
    Ok(bridge
        .assume_role(record, caller, &req, p.mfa())
        .await?
        .into())
}

async fn get_session_token(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let p = GetSessionTokenParams::parse(&call.params)?;
    let caller = call.principal()?;
    let credentials = bridge
        .get_session_token(record, caller, p.duration_seconds, p.mfa())
        .await?;
    Ok(ActionResult::GetSessionTokenResult(GetSessionTokenResult {
        credentials: (&credentials).into(),
    }))
}

fn get_federation_token(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let p = GetFederationTokenParams::parse(&call.params)?;
    let caller = call.principal()?;
    Ok(bridge
        .get_federation_token(record, caller, p.request())?
        .into())
}

fn get_caller_identity(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let id = bridge.get_caller_identity(record, call.principal()?);
    Ok(ActionResult::GetCallerIdentityResult(
        GetCallerIdentityResult {
            user_id: id.user_id,
            account: id.account.to_string(),
            arn: id.arn,
        },
    ))
}

fn get_access_key_info(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    call.principal()?;
    GetAccessKeyInfoParams::parse(&call.params)?;
    let account = bridge.get_access_key_info(record);
    Ok(ActionResult::GetAccessKeyInfoResult(
        GetAccessKeyInfoResult {
            account: account.to_string(),
        },
    ))
}

fn decode_authorization_message(bridge: &Bridge, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = DecodeAuthorizationMessageParams::parse(&call.params)?;
    let decoded = bridge.decode_authorization_message(
        call.principal()?,
        &p.encoded_message,
        call.source_ip,
    )?;
    Ok(ActionResult::DecodeAuthorizationMessageResult(
        DecodeAuthorizationMessageResult {
            decoded_message: decoded,
        },
    ))
}

async fn revoke_sessions(
    bridge: &Bridge,
    call: &StsCall,
    record: &mut CallRecord<'_>,
) -> Result<ActionResult, StsError> {
    let req = parse_revoke_sessions(&call.params)?;
    let out = bridge
        .revoke_sessions(record, call.principal()?, &req, call.source_ip)
        .await?;
    Ok(ActionResult::RevokeSessionsResult(RevokeSessionsResult {
        revoked: out.described,
        issued_before: out
            .issued_before
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}
