//! The STS endpoint: one thin function per action over an already parsed and authenticated
//! [`StsCall`], and the rendering of results and errors. Every decision lives in `authn`, `sts`
//! or the typed parameter parsers.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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
use crate::app::AppState;
use crate::sts::assume_role::AssumeRoleRequest;
use crate::sts::saml::{self, SamlRequest};
use crate::sts::{self, web_identity, web_identity::WebIdentityRequest};
use crate::telemetry::RequestId;

pub async fn sts_endpoint(
    State(state): State<AppState>,
    request_id: RequestId,
    call: StsCall,
) -> Response {
    let started = std::time::Instant::now();
    let outcome = dispatch(&state, &call).await;
    record_metrics(&call, outcome.as_ref(), started.elapsed());
    if let Some(event) = super::audit::sts_event(
        &call,
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
                append_encoded_denial(&state, &call, &mut e, cause);
            }
            error_response(&e, &request_id)
        }
    }
}

/// Seals why a request was refused into its `AccessDenied` message, for
/// DecodeAuthorizationMessage. Sealing cannot fail short of a broken keyring; then the plain
/// refusal is still correct, only less helpful.
fn append_encoded_denial(
    state: &AppState,
    call: &StsCall,
    e: &mut StsError,
    cause: super::error::DenialCause,
) {
    let record = crate::mint::denial::Denial {
        principal: call.principal.as_ref().map(crate::authn::Principal::arn),
        action: format!("sts:{}", call.action.name()),
        // Only the actions that aim at a role name one; their RoleArn was validated.
        resource: matches!(
            call.action,
            Action::AssumeRole | Action::AssumeRoleWithWebIdentity | Action::AssumeRoleWithSaml
        )
        .then(|| call.params.get("RoleArn").map(str::to_owned))
        .flatten(),
        reason: cause.reason,
        explicit_deny: cause.explicit,
        at: state.clock.now(),
    };
    match crate::mint::denial::seal(&state.keyring, &record) {
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

/// Request count, latency and, for issuance, which role through which provider.
fn record_metrics(
    call: &StsCall,
    outcome: Result<&ActionResult, &StsError>,
    elapsed: std::time::Duration,
) {
    let m = crate::metrics::global();
    let action = call.action.name();
    match outcome {
        Ok(result) => {
            m.request(action, "ok", elapsed);
            let role = call.params.get("RoleArn");
            let provider = call
                .params
                .get("PrincipalArn")
                .or_else(|| call.params.get("ProviderId"));
            let issued = match result {
                ActionResult::AssumeRoleWithWebIdentityResult(r) => {
                    Some((role.unwrap_or("?"), r.provider.as_str()))
                }
                ActionResult::AssumeRoleWithSamlResult(_) | ActionResult::AssumeRoleResult(_) => {
                    Some((role.unwrap_or("?"), provider.unwrap_or("iam")))
                }
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

async fn dispatch(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
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
        Action::AssumeRoleWithWebIdentity => assume_role_with_web_identity(state, call).await,
        Action::AssumeRoleWithSaml => assume_role_with_saml(state, call).await,
        Action::GetAccessKeyInfo => get_access_key_info(state, call),
        Action::AssumeRole => assume_role(state, call).await,
        Action::GetSessionToken => get_session_token(state, call).await,
        Action::GetFederationToken => get_federation_token(state, call),
        Action::DecodeAuthorizationMessage => decode_authorization_message(state, call),
        Action::RevokeSessions => revoke_sessions(state, call).await,
    }
}

async fn assume_role_with_web_identity(
    state: &AppState,
    call: &StsCall,
) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithWebIdentityParams::parse(&call.params)?;
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

async fn assume_role_with_saml(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = AssumeRoleWithSamlParams::parse(&call.params)?;
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

/// What the MFA checks of AssumeRole and GetSessionToken need from the application.
fn mfa_checker(state: &AppState) -> sts::mfa::MfaChecker<'_> {
    sts::mfa::MfaChecker {
        config: &state.config,
        store: state.store.as_ref(),
        per_user: &state.limiters.mfa_per_user,
    }
}

async fn assume_role(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = AssumeRoleParams::parse(&call.params)?;
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

async fn get_session_token(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
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

fn get_federation_token(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
    let p = GetFederationTokenParams::parse(&call.params)?;
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

fn decode_authorization_message(
    state: &AppState,
    call: &StsCall,
) -> Result<ActionResult, StsError> {
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

async fn revoke_sessions(state: &AppState, call: &StsCall) -> Result<ActionResult, StsError> {
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
