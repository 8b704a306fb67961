//! The audit event of one STS call: who asked for what, what was issued (identifiers only)
//! or why it was refused. Successful read-only calls (GetCallerIdentity, GetAccessKeyInfo) are
//! not decisions and are not recorded; every refusal is.

use super::action::Action;
use super::error::StsError;
use super::extract::StsCall;
use super::handlers::Validated;
use super::xml::ActionResult;
use crate::audit::AuditEvent;

/// The event for `call`'s outcome, or `None` for a successful read-only call.
pub(super) fn sts_event(
    call: &StsCall,
    facts: &Validated,
    request_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    outcome: Result<&ActionResult, &StsError>,
) -> Option<AuditEvent> {
    if outcome.is_ok()
        && matches!(
            call.action,
            Action::GetCallerIdentity | Action::GetAccessKeyInfo
        )
    {
        return None;
    }
    let mut e = AuditEvent::new("sts", call.action.name(), request_id);
    e.event_time = now;
    e.source_ip_address = call.source_ip.map(|ip| ip.to_string());
    e.user_agent.clone_from(&call.user_agent);
    e.principal = call.principal.as_ref().map(crate::authn::Principal::arn);
    // Only what the action validated: a raw parameter would let any caller write what it
    // likes into the trail (an AssumeRole "through" a SAML provider it never used).
    e.role.clone_from(&facts.role_arn);
    e.session_name.clone_from(&facts.session_name);
    e.provider.clone_from(&facts.provider);
    match outcome {
        Ok(result) => issued(&mut e, result),
        Err(err) => {
            e.error_code = Some(err.code.as_str().to_owned());
            e.error_message = Some(err.message.clone());
            e.matched = err.denial.as_ref().map(|d| d.reason.clone());
        }
    }
    Some(e)
}

/// Identifiers of what was issued; never the secret or the token.
fn issued(e: &mut AuditEvent, result: &ActionResult) {
    match result {
        ActionResult::AssumeRoleResult(r) => {
            e.issued_arn = Some(r.assumed_role_user.arn.clone());
            e.access_key_id = Some(r.credentials.access_key_id.clone());
        }
        ActionResult::AssumeRoleWithWebIdentityResult(r) => {
            e.issued_arn = Some(r.assumed_role_user.arn.clone());
            e.access_key_id = Some(r.credentials.access_key_id.clone());
            e.subject = Some(r.subject.clone());
        }
        ActionResult::AssumeRoleWithSamlResult(r) => {
            e.issued_arn = Some(r.assumed_role_user.arn.clone());
            e.access_key_id = Some(r.credentials.access_key_id.clone());
            e.subject = Some(r.subject.clone());
        }
        ActionResult::GetSessionTokenResult(r) => {
            e.issued_arn.clone_from(&e.principal);
            e.access_key_id = Some(r.credentials.access_key_id.clone());
        }
        ActionResult::GetFederationTokenResult(r) => {
            e.issued_arn = Some(r.federated_user.arn.clone());
            e.access_key_id = Some(r.credentials.access_key_id.clone());
        }
        ActionResult::RevokeSessionsResult(r) => {
            e.matched = Some(format!("revoked {}", r.revoked));
        }
        ActionResult::GetCallerIdentityResult(_)
        | ActionResult::GetAccessKeyInfoResult(_)
        | ActionResult::DecodeAuthorizationMessageResult(_) => {}
    }
}
