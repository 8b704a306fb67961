//! The STS endpoint: one thin function per action over an already parsed and authenticated
//! [`StsCall`], and the rendering of results and errors. Every decision lives in `authn`, `sts`
//! or the typed parameter parsers.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use super::action::{
    Action, AssumeRoleParams, AssumeRoleWithSamlParams, AssumeRoleWithWebIdentityParams,
    DecodeAuthorizationMessageParams, GetAccessKeyInfoParams, GetFederationTokenParams,
    GetSessionTokenParams, parse_revoke_sessions,
};
use super::error::StsError;
use super::extract::StsCall;
use super::xml::{
    ActionResult, AssumeRoleResult, AssumeRoleWithSamlResult, AssumeRoleWithWebIdentityResult,
    AssumedRoleUserXml, DecodeAuthorizationMessageResult, FederatedUserXml, GetAccessKeyInfoResult,
    GetCallerIdentityResult, GetFederationTokenResult, GetSessionTokenResult, RevokeSessionsResult,
    render_error, render_success,
};
use crate::sts::assume_role::AssumeRoleRequest;
use crate::sts::bridge::Bridge;
use crate::sts::saml::{self, SamlRequest};
use crate::sts::{self, web_identity, web_identity::WebIdentityRequest};
use crate::telemetry::RequestId;

pub async fn sts_endpoint(
    State(state): State<Arc<Bridge>>,
    request_id: RequestId,
    call: StsCall,
) -> Response {
    let started = std::time::Instant::now();
    let mut facts = Validated::default();
    let outcome = dispatch(&state, &call, &mut facts).await;
    record_metrics(&call, &facts, outcome.as_ref(), started.elapsed());
    if let Some(event) = super::audit::sts_event(
        &call,
        &facts,
        request_id.as_str(),
        state.clock.now(),
        outcome.as_ref(),
    ) {
        state.audit.record(event);
    }
    let rendered = outcome.and_then(|result| render_success(&result, request_id.as_str()));
    match rendered {
        Ok(xml) => xml_response(StatusCode::OK, xml),
        Err(mut e) => {
            if let Some(cause) = e.denial.take() {
                append_encoded_denial(&state, &call, &facts, &mut e, cause);
            }
            error_response(&e, &request_id)
        }
    }
}

/// What the action validated about its request, for metrics and the audit trail: nothing from
/// the raw parameters reaches either, so a caller can neither grow `/metrics` with made-up
/// values nor make a call look as if it came through a provider it never used.
#[derive(Debug, Default)]
pub(super) struct Validated {
    /// The typed `RoleArn` of a role-taking action, once it parsed.
    pub role_arn: Option<String>,
    /// `RoleSessionName` (or GetFederationToken's `Name`), once it parsed.
    pub session_name: Option<String>,
    /// A configured provider this call went through: the verified token's issuer, or a
    /// `PrincipalArn` naming a configured SAML provider. Never for AssumeRole, which has none.
    pub provider: Option<String>,
    /// The configured role's ARN once credentials for it were issued (a metric label).
    pub issued_role: Option<String>,
}

/// Seals why a request was refused into its `AccessDenied` message, for
/// DecodeAuthorizationMessage. Sealing cannot fail short of a broken keyring; then the plain
/// refusal is still correct, only less helpful.
fn append_encoded_denial(
    state: &Bridge,
    call: &StsCall,
    facts: &Validated,
    e: &mut StsError,
    cause: super::error::DenialCause,
) {
    let record = crate::seal::denial::Denial {
        principal: call.principal.as_ref().map(crate::authn::Principal::arn),
        action: format!("sts:{}", call.action.name()),
        // Only the actions that aim at a role name one; their RoleArn was validated.
        resource: facts.role_arn.clone(),
        reason: cause.reason,
        explicit_deny: cause.explicit,
        at: state.clock.now(),
    };
    match crate::seal::denial::seal(&state.keyring, &record) {
        Ok(encoded) => {
            let stop = if e.message.ends_with('.') { "" } else { "." };
            e.message = format!(
                "{}{stop} Encoded authorization failure message: {encoded}",
                e.message
            );
        }
        Err(err) => tracing::warn!(error = %err, "could not seal the denial message"),
    }
}

/// Request count, latency and, for issuance, which role through which provider. Labels are
/// fixed strings or configured names (the issued role, a configured provider).
fn record_metrics(
    call: &StsCall,
    facts: &Validated,
    outcome: Result<&ActionResult, &StsError>,
    elapsed: std::time::Duration,
) {
    let m = crate::metrics::global();
    let action = call.action.name();
    match outcome {
        Ok(result) => {
            m.request(action, "ok", elapsed);
            let role = facts.issued_role.as_deref().unwrap_or("?");
            let provider = facts.provider.as_deref().unwrap_or("iam");
            let issued = match result {
                ActionResult::AssumeRoleWithWebIdentityResult(_)
                | ActionResult::AssumeRoleWithSamlResult(_)
                | ActionResult::AssumeRoleResult(_) => Some((role, provider)),
                ActionResult::GetSessionTokenResult(_) => Some(("(session token)", "iam")),
                ActionResult::GetFederationTokenResult(_) => Some(("(federated user)", "iam")),
                _ => None,
            };
            if let Some((role, provider)) = issued {
                m.issued(role, provider);
            }
        }
        Err(e) => m.request(action, e.code.as_str(), elapsed),
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

async fn dispatch(
    state: &Bridge,
    call: &StsCall,
    facts: &mut Validated,
) -> Result<ActionResult, StsError> {
    if let Some(principal) = &call.principal {
        let action = format!("sts:{}", call.action.name());
        sts::permissions::refuse_if_role_denies(
            &state.config,
            principal,
            &action,
            call.source_ip,
            state.clock.now(),
        )?;
    }
    match call.action {
        Action::GetCallerIdentity => get_caller_identity(call),
        Action::AssumeRoleWithWebIdentity => {
            assume_role_with_web_identity(state, call, facts).await
        }
        Action::AssumeRoleWithSaml => assume_role_with_saml(state, call, facts).await,
        Action::GetAccessKeyInfo => get_access_key_info(state, call),
        Action::AssumeRole => assume_role(state, call, facts).await,
        Action::GetSessionToken => get_session_token(state, call).await,
        Action::GetFederationToken => get_federation_token(state, call, facts),
        Action::DecodeAuthorizationMessage => decode_authorization_message(state, call),
        Action::RevokeSessions => revoke_sessions(state, call).await,
    }
}

async fn assume_role_with_web_identity(
    state: &Bridge,
    call: &StsCall,
    facts: &mut Validated,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithWebIdentityParams::parse(&call.params)?;
    facts.role_arn = Some(p.role_arn.to_string());
    facts.session_name = Some(p.role_session_name.clone());
    let req = WebIdentityRequest {
        role_arn: &p.role_arn,
        role_session_name: &p.role_session_name,
        token: &p.web_identity_token,
        duration_seconds: p.duration_seconds,
        policy: p.policy.as_deref(),
        policy_arns: &p.policy_arns,
        source_ip: call.source_ip,
        subject_limit: Some(&state.limiters.per_subject),
    };
    let out = web_identity::assume_role_with_web_identity(
        &state.config,
        &state.oidc,
        &state.keyring,
        &state.revocations,
        req,
        state.clock.now(),
    )
    .await?;
    facts.provider = Some(out.provider.clone());
    facts.issued_role = configured_role(state, &p.role_arn);
    tracing::Span::current().record("principal", out.session.assumed_role_arn.as_str());
    Ok(ActionResult::AssumeRoleWithWebIdentityResult(
        AssumeRoleWithWebIdentityResult {
            credentials: (&out.session.credentials).into(),
            subject: out.subject,
            assumed_role_user: AssumedRoleUserXml {
                arn: out.session.assumed_role_arn,
                assumed_role_id: out.session.assumed_role_id,
            },
            packed_policy_size: out.session.packed_policy_size,
            provider: out.provider,
            audience: out.audience,
            source_identity: out.source_identity,
        },
    ))
}

async fn assume_role_with_saml(
    state: &Bridge,
    call: &StsCall,
    facts: &mut Validated,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithSamlParams::parse(&call.params)?;
    facts.role_arn = Some(p.role_arn.to_string());
    facts.provider = state
        .config
        .saml_providers
        .iter()
        .find(|provider| provider.arn == p.principal_arn)
        .map(|provider| provider.arn.clone());
    let req = SamlRequest {
        role_arn: &p.role_arn,
        principal_arn: &p.principal_arn,
        assertion: &p.saml_assertion,
        duration_seconds: p.duration_seconds,
        policy: p.policy.as_deref(),
        policy_arns: &p.policy_arns,
        source_ip: call.source_ip,
        subject_limit: Some(&state.limiters.per_subject),
    };
    let out = saml::assume_role_with_saml(
        &state.config,
        &state.saml,
        state.store.as_ref(),
        &state.keyring,
        &state.revocations,
        req,
        state.clock.now(),
    )
    .await?;
    facts.issued_role = configured_role(state, &p.role_arn);
    tracing::Span::current().record("principal", out.session.assumed_role_arn.as_str());
    Ok(ActionResult::AssumeRoleWithSamlResult(
        AssumeRoleWithSamlResult {
            credentials: (&out.session.credentials).into(),
            assumed_role_user: AssumedRoleUserXml {
                arn: out.session.assumed_role_arn,
                assumed_role_id: out.session.assumed_role_id,
            },
            packed_policy_size: out.session.packed_policy_size,
            subject: out.subject,
            subject_type: out.subject_type,
            issuer: out.issuer,
            audience: out.audience,
            name_qualifier: out.name_qualifier,
            source_identity: out.source_identity,
        },
    ))
}

/// The configured role's own ARN, for the issuance metric's label.
fn configured_role(state: &Bridge, arn: &crate::types::RoleArn) -> Option<String> {
    state.config.role_by_arn(arn).map(|r| r.arn.to_string())
}

/// What the MFA checks of AssumeRole and GetSessionToken need from the application.
fn mfa_checker(state: &Bridge) -> sts::mfa::MfaChecker<'_> {
    sts::mfa::MfaChecker {
        config: &state.config,
        store: state.store.as_ref(),
        per_user: &state.limiters.mfa_per_user,
    }
}

async fn assume_role(
    state: &Bridge,
    call: &StsCall,
    facts: &mut Validated,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleParams::parse(&call.params)?;
    facts.role_arn = Some(p.role_arn.to_string());
    facts.session_name = Some(p.role_session_name.clone());
    let caller = call.principal()?;
    let now = state.clock.now();
    let tags: Vec<(String, String)> = p
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let req = AssumeRoleRequest {
        role_arn: &p.role_arn,
        role_session_name: &p.role_session_name,
        duration_seconds: p.duration_seconds,
        policy: p.policy.as_deref(),
        policy_arns: &p.policy_arns,
        tags: &tags,
        transitive_tag_keys: &p.transitive_tag_keys,
        external_id: p.external_id.as_deref(),
        source_identity: p.source_identity.as_deref(),
        mfa_verified_at: None,
        source_ip: call.source_ip,
    };
    let mfa = sts::mfa::MfaParams {
        serial_number: p.serial_number.as_deref(),
        token_code: p.token_code.as_deref(),
    };
    let out = sts::assume_role::assume_role_with_mfa(
        mfa_checker(state),
        &state.keyring,
        caller,
        &req,
        mfa,
        now,
    )
    .await?;
    facts.issued_role = configured_role(state, &p.role_arn);
    Ok(ActionResult::AssumeRoleResult(AssumeRoleResult {
        credentials: (&out.credentials).into(),
        assumed_role_user: AssumedRoleUserXml {
            arn: out.assumed_role_arn,
            assumed_role_id: out.assumed_role_id,
        },
        packed_policy_size: out.packed_policy_size,
        source_identity: out.source_identity,
    }))
}

async fn get_session_token(state: &Bridge, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = GetSessionTokenParams::parse(&call.params)?;
    let caller = call.principal()?;
    let mfa = sts::mfa::MfaParams {
        serial_number: p.serial_number.as_deref(),
        token_code: p.token_code.as_deref(),
    };
    let credentials = sts::tokens::get_session_token_with_mfa(
        mfa_checker(state),
        &state.keyring,
        caller,
        p.duration_seconds,
        mfa,
        state.clock.now(),
    )
    .await?;
    Ok(ActionResult::GetSessionTokenResult(GetSessionTokenResult {
        credentials: (&credentials).into(),
    }))
}

fn get_federation_token(
    state: &Bridge,
    call: &StsCall,
    facts: &mut Validated,
) -> Result<ActionResult, StsError> {
    let p = GetFederationTokenParams::parse(&call.params)?;
    facts.session_name = Some(p.name.clone());
    let tags = p
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let out = sts::tokens::get_federation_token(
        &state.config,
        &state.keyring,
        call.principal()?,
        &p.name,
        p.policy.as_deref(),
        &p.policy_arns,
        tags,
        p.duration_seconds,
        state.clock.now(),
    )?;
    Ok(ActionResult::GetFederationTokenResult(
        GetFederationTokenResult {
            credentials: (&out.credentials).into(),
            federated_user: FederatedUserXml {
                federated_user_id: out.federated_user_id,
                arn: out.arn,
            },
            packed_policy_size: out.packed_policy_size,
        },
    ))
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

fn get_access_key_info(state: &Bridge, call: &StsCall) -> Result<ActionResult, StsError> {
    call.principal()?;
    GetAccessKeyInfoParams::parse(&call.params)?;
    let account = sts::get_access_key_info(&state.config);
    Ok(ActionResult::GetAccessKeyInfoResult(
        GetAccessKeyInfoResult {
            account: account.to_string(),
        },
    ))
}

fn decode_authorization_message(state: &Bridge, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = DecodeAuthorizationMessageParams::parse(&call.params)?;
    let decoded = sts::decode::decode_authorization_message(
        &state.config,
        &state.keyring,
        call.principal()?,
        &p.encoded_message,
        call.source_ip,
        state.clock.now(),
    )?;
    Ok(ActionResult::DecodeAuthorizationMessageResult(
        DecodeAuthorizationMessageResult {
            decoded_message: decoded,
        },
    ))
}

async fn revoke_sessions(state: &Bridge, call: &StsCall) -> Result<ActionResult, StsError> {
    let req = parse_revoke_sessions(&call.params)?;
    let record = sts::revoke::revoke_signed(
        &state.config,
        state.store.as_ref(),
        call.principal()?,
        &req,
        call.source_ip,
        state.clock.now(),
    )
    .await?;
    // This replica honours it before answering; the others on their next refresh.
    state.refresh_revocations().await;
    Ok(ActionResult::RevokeSessionsResult(RevokeSessionsResult {
        revoked: sts::revoke::describe_target(&record),
        issued_before: record
            .issued_before
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}
