//! The signed STS actions as methods of the [`Bridge`]: each records what it validated and
//! what it issued on the call's [`CallRecord`], then hands the decision to its module
//! (`assume_role`, `tokens`, `decode`, `revoke`). AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML live with their verification, in `web_identity` and `saml`.

use chrono::{DateTime, Utc};

use super::assume_role::AssumeRoleRequest;
use super::bridge::Bridge;
use super::call::{CallRecord, Caller};
use super::error::ServiceError;
use super::mfa::{MfaChecker, MfaParams};
use super::session::IssuedSession;
use super::tokens::FederationToken;
use super::{CallerIdentity, revoke};
use crate::types::TemporaryCredentials;
use crate::types::{AccountId, Arn, RoleArn};

/// GetFederationToken's parameters.
#[derive(Debug, Clone, Copy)]
pub struct FederationRequest<'a> {
    pub name: &'a str,
    pub policy: Option<&'a str>,
    pub policy_arns: &'a [Arn],
    pub tags: &'a [(String, String)],
    pub duration_seconds: Option<u32>,
}

/// What RevokeSessions reports.
#[derive(Debug, Clone)]
pub struct RevokedSessions {
    /// What was revoked, in words ("sessions of … issued before …").
    pub described: String,
    pub issued_before: DateTime<Utc>,
}

impl Bridge {
    fn mfa_checker(&self) -> MfaChecker<'_> {
        MfaChecker {
            config: &self.config,
            store: self.store.as_ref(),
            per_user: &self.limiters.mfa_per_user,
            metrics: &self.metrics,
        }
    }

    /// Records the issuance of a role session: its identifiers for the audit trail and the
    /// configured role as the metric label.
    pub(crate) fn issued_role(
        &self,
        record: &mut CallRecord<'_>,
        role_arn: &RoleArn,
        session: &IssuedSession,
        subject: &str,
    ) {
        let subject = (!subject.is_empty()).then_some(subject);
        record.issued(
            &session.assumed_role_arn,
            session.credentials.access_key_id.as_str(),
            subject,
        );
        let role = self.config.role_by_arn(role_arn).map(|r| r.arn.to_string());
        record.facts.issued_for = Some(role.unwrap_or_else(|| "?".to_owned()));
        tracing::Span::current().record("principal", session.assumed_role_arn.as_str());
    }

    /// GetCallerIdentity needs no permission and succeeds even under an explicit deny (AWS
    /// semantics): being authenticated is enough.
    pub fn get_caller_identity(
        &self,
        record: &mut CallRecord<'_>,
        caller: &Caller,
    ) -> CallerIdentity {
        record.read_only();
        super::get_caller_identity(&caller.0)
    }

    /// GetAccessKeyInfo: the account that owns a key id (this bridge's, for any well-formed id).
    pub fn get_access_key_info(&self, record: &mut CallRecord) -> AccountId {
        record.read_only();
        super::get_access_key_info(&self.config)
    }

    /// AssumeRole, with an MFA code when the request carries one.
    pub async fn assume_role(
        &self,
        record: &mut CallRecord<'_>,
        caller: &Caller,
        req: &AssumeRoleRequest<'_>,
        mfa: MfaParams<'_>,
    ) -> Result<IssuedSession, ServiceError> {
        record.facts.role_arn = Some(req.role_arn.to_string());
        record.facts.session_name = Some(req.role_session_name.to_string());
        let out = super::assume_role::assume_role_with_mfa(
            self.mfa_checker(),
            &self.keyring,
            &caller.0,
            req,
            mfa,
            self.clock.now(),
        )
        .await?;
        self.issued_role(record, req.role_arn, &out, "");
        Ok(out)
    }

    /// GetSessionToken, with an MFA code when the request carries one.
    pub async fn get_session_token(
        &self,
        record: &mut CallRecord<'_>,
        caller: &Caller,
        duration_seconds: Option<u32>,
        mfa: MfaParams<'_>,
    ) -> Result<TemporaryCredentials, ServiceError> {
        let out = super::tokens::get_session_token_with_mfa(
            self.mfa_checker(),
            &self.keyring,
            &caller.0,
            duration_seconds,
            mfa,
            self.clock.now(),
        )
        .await?;
        record.issued(&caller.arn(), out.access_key_id.as_str(), None);
        record.facts.issued_for = Some("(session token)".to_owned());
        Ok(out)
    }

    pub fn get_federation_token(
        &self,
        record: &mut CallRecord<'_>,
        caller: &Caller,
        req: FederationRequest<'_>,
    ) -> Result<FederationToken, ServiceError> {
        record.facts.session_name = Some(req.name.to_owned());
        let out = super::tokens::get_federation_token(
            &self.config,
            &self.keyring,
            &caller.0,
            req.name,
            req.policy,
            req.policy_arns,
            req.tags.to_vec(),
            req.duration_seconds,
            self.clock.now(),
        )?;
        record.issued(&out.arn, out.credentials.access_key_id.as_str(), None);
        record.facts.issued_for = Some("(federated user)".to_owned());
        Ok(out)
    }

    /// DecodeAuthorizationMessage: opens a denial sealed by [`Bridge::seal_denial`].
    pub fn decode_authorization_message(
        &self,
        caller: &Caller,
        encoded: &str,
        source_ip: Option<std::net::IpAddr>,
    ) -> Result<String, ServiceError> {
        super::decode::decode_authorization_message(
            &self.config,
            &self.keyring,
            &caller.0,
            encoded,
            source_ip,
            self.clock.now(),
        )
    }

    /// RevokeSessions: stored for every replica, honoured by this one before it answers.
    pub async fn revoke_sessions(
        &self,
        record: &mut CallRecord<'_>,
        caller: &Caller,
        req: &revoke::RevokeRequest,
        source_ip: Option<std::net::IpAddr>,
    ) -> Result<RevokedSessions, ServiceError> {
        let stored = revoke::revoke_signed(
            &self.config,
            self.store.as_ref(),
            &caller.0,
            req,
            source_ip,
            self.clock.now(),
        )
        .await?;
        // This replica honours it before answering; the others on their next refresh.
        self.refresh_revocations().await;
        let described = revoke::describe_target(&stored);
        record.matched(format!("revoked {described}"));
        Ok(RevokedSessions {
            described,
            issued_before: stored.issued_before,
        })
    }
}
