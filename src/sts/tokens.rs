//! GetSessionToken and GetFederationToken: temporary credentials for a configured user's own
//! long-term keys (never for session credentials, as AWS).
//!
//! - GetSessionToken: the user itself, optionally MFA-authenticated; no permission needed
//!   beyond calling with the user's long-term keys, which is checked before any MFA code.
//! - GetFederationToken: a federated user `Name` whose permissions are the user's intersected
//!   with the session policies given (without any, the session can do nothing but
//!   GetCallerIdentity); needs `sts:GetFederationToken` on the federated-user ARN.

use chrono::{DateTime, TimeDelta, Utc};

use super::error::ServiceError;
use super::mfa::{self, MfaChecker, MfaParams};
use super::permissions::{caller_context, identity_decision};
use super::session::{packed_size, session_policies};
use crate::authn::Principal;
use crate::config::Config;
use crate::policy::Decision;
use crate::seal::{Keyring, SessionClaims, SessionPrincipal, mint_credentials};
use crate::types::tag::check_tag_set;
use crate::types::{AccessKeyId, AccessKeyKind, Arn, SecretAccessKey, TemporaryCredentials};

/// Default lifetime of both: 12 hours (AWS).
pub const DEFAULT_SECONDS: u32 = 43_200;

/// The configured user behind long-term keys; session credentials are refused.
fn long_term_user<'a>(
    caller: &'a Principal,
    action: &'static str,
) -> Result<(&'a str, &'a str), ServiceError> {
    match caller {
        Principal::User { name, user_id, .. } => Ok((name, user_id)),
        Principal::Session(_) => Err(ServiceError::AccessDenied {
            action,
            reason: format!(
                "Cannot call {} with session credentials",
                action.trim_start_matches("sts:")
            ),
            explicit: false,
        }),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the session's facts, each a separate claim"
)]
fn mint(
    keyring: &Keyring,
    principal: SessionPrincipal,
    issuer: String,
    seconds: u32,
    session_policy: Option<String>,
    policy_arns: Vec<String>,
    tags: Vec<(String, String)>,
    mfa_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<TemporaryCredentials, ServiceError> {
    let claims = SessionClaims {
        access_key_id: AccessKeyId::generate(AccessKeyKind::Temporary),
        secret_access_key: SecretAccessKey::generate(),
        issued_at: now,
        expires_at: now + TimeDelta::seconds(i64::from(seconds)),
        principal,
        issuer,
        federated: None,
        source_identity: None,
        session_policy,
        policy_arns,
        tags,
        transitive_tag_keys: Vec::new(),
        mfa_authenticated: mfa_at.is_some(),
        mfa_at,
        chain_depth: 0,
        ancestors: Vec::new(),
        origin_issued_at: None,
    };
    Ok(mint_credentials(keyring, &claims)?)
}

pub fn get_session_token(
    config: &Config,
    keyring: &Keyring,
    caller: &Principal,
    duration_seconds: Option<u32>,
    mfa_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<TemporaryCredentials, ServiceError> {
    let (name, user_id) = long_term_user(caller, "sts:GetSessionToken")?;
    let principal = SessionPrincipal::User {
        account: config.server.account_id,
        name: name.to_owned(),
        user_id: user_id.to_owned(),
    };
    mint(
        keyring,
        principal,
        caller.arn(),
        duration_seconds.unwrap_or(DEFAULT_SECONDS),
        None,
        Vec::new(),
        Vec::new(),
        mfa_at,
        now,
    )
}

/// GetSessionToken carrying the request's `SerialNumber` and `TokenCode`, if any. The code is
/// looked at only for a caller that may call GetSessionToken (long-term keys): session
/// credentials are refused whatever the code, and nothing is counted against the device.
pub async fn get_session_token_with_mfa(
    checker: MfaChecker<'_>,
    keyring: &Keyring,
    caller: &Principal,
    duration_seconds: Option<u32>,
    mfa: MfaParams<'_>,
    now: DateTime<Utc>,
) -> Result<TemporaryCredentials, ServiceError> {
    let code = mfa.code()?;
    long_term_user(caller, "sts:GetSessionToken")?;
    let mfa_at = match code {
        Some(code) => Some(mfa::verify_mfa(checker, caller, code, now).await?),
        None => None,
    };
    get_session_token(
        checker.config,
        keyring,
        caller,
        duration_seconds,
        mfa_at,
        now,
    )
}

/// What GetFederationToken reports besides the credentials.
#[derive(Debug)]
pub struct FederationToken {
    pub credentials: TemporaryCredentials,
    pub federated_user_id: String,
    pub arn: String,
    pub packed_policy_size: u32,
}

#[expect(clippy::too_many_arguments, reason = "the action's parameters")]
pub fn get_federation_token(
    config: &Config,
    keyring: &Keyring,
    caller: &Principal,
    name: &str,
    policy: Option<&str>,
    policy_arns: &[Arn],
    tags: Vec<(String, String)>,
    duration_seconds: Option<u32>,
    now: DateTime<Utc>,
) -> Result<FederationToken, ServiceError> {
    const ACTION: &str = "sts:GetFederationToken";
    long_term_user(caller, ACTION)?;
    let account = config.server.account_id;
    let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
    let ctx = caller_context(caller, ACTION, Some(&arn), None, now);
    let decision = identity_decision(config, caller, &ctx);
    if !matches!(decision, Decision::Allow { .. }) {
        return Err(ServiceError::AccessDenied {
            action: ACTION,
            reason: format!(
                "{} may not call {ACTION} for {arn}: {decision}",
                caller.arn()
            ),
            explicit: matches!(decision, Decision::ExplicitDeny { .. }),
        });
    }
    check_tag_set(&tags, &[]).map_err(|e| ServiceError::InvalidParameter(e.to_string()))?;
    let (session_policy, policy_arns) = session_policies(config, policy, policy_arns)?;
    let packed_policy_size = packed_size(session_policy.as_deref(), &policy_arns, &tags)?;
    let principal = SessionPrincipal::FederatedUser {
        account,
        name: name.to_owned(),
    };
    let credentials = mint(
        keyring,
        principal,
        caller.arn(),
        duration_seconds.unwrap_or(DEFAULT_SECONDS),
        session_policy,
        policy_arns,
        tags,
        None,
        now,
    )?;
    Ok(FederationToken {
        credentials,
        federated_user_id: format!("{account}:{name}"),
        arn,
        packed_policy_size,
    })
}
