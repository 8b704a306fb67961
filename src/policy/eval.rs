//! `evaluate`: IAM policy documents + a request context → a [`Decision`].
//!
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! and sts-api.md §7. Invariants:
//!
//! - A statement applies when its principal, action, resource and every condition hold, checked
//!   in that order (the trace reports the first that did not).
//! - An applicable `Deny` anywhere wins; otherwise an applicable `Allow`; otherwise
//!   [`Decision::NotApplicable`], which callers treat as the implicit deny.
//! - Evaluation never panics and its work is bounded: every glob step, comparison and
//!   substituted character is charged to one budget of [`MAX_EVALUATION_STEPS`]. If it runs out,
//!   the decision is an [`Decision::ExplicitDeny`] without a Sid (fail closed) and the trace
//!   marks the affected statements with [`Mismatch::WorkLimit`].
//!
//! Principal semantics (our callers are [`CallerPrincipal`]s):
//! - `"*"` matches every caller, including an anonymous one; `{"AWS":"*"}` every AWS caller;
//!   `{"Federated":"*"}` every federated caller.
//! - An account id or `arn:…:iam::ACCT:root` matches every AWS caller of that account.
//! - Any other ARN matches the caller with exactly that ARN; an IAM role ARN
//!   (`arn:…:iam::ACCT:role/[path/]NAME`) also matches that role's sessions
//!   (`arn:…:sts::ACCT:assumed-role/NAME/SESSION`), which is how role chaining is trusted.
//! - A unique id (`AIDA…`, `AROA…`) matches the caller with that id (an `AROA…:session` id
//!   matches by its role part).
//! - `{"Federated": X}` matches a federated caller whose provider is exactly X.
//! - `Service` and `CanonicalUser` principals never match: no bridge caller is one.
//! - `NotPrincipal` applies to every caller the same element would not match.
//!
//! Resources: a statement without `Resource`/`NotResource` (trust policies) applies to every
//! resource. A request without a resource (trust-policy checks) matches only statements
//! without a resource element or whose `Resource` contains `*`. `NotResource` applies when no
//! pattern matches; a pattern that cannot be decided (unresolved policy variable) makes it not
//! apply, as for negated condition operators.

use std::fmt;

use super::condition::{ConditionFailure, check_entry, split_arn};
use super::context::{CallerPrincipal, RequestContext};
use super::glob::{StepBudget, glob_match_tokens};
use super::model::{
    ActionClause, ConditionOperator, Effect, Policy, PolicyVersion, PrincipalClause, PrincipalKind,
    PrincipalSpec, ResourceClause, ResourcePattern, Statement,
};
use super::variables::expand;

/// Work allowed for one evaluation, in matcher steps. Realistic policies use a few thousand;
/// the cap keeps a hostile session policy or a huge request value from costing more than a few
/// milliseconds.
pub(crate) const MAX_EVALUATION_STEPS: u64 = 4_000_000;

/// The outcome of evaluating policies for one request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An applicable `Allow` statement and no applicable `Deny`; `sid` is the first such
    /// statement's.
    Allow { sid: Option<String> },
    /// An applicable `Deny` statement (the first one's `sid`), or the evaluation exceeded its
    /// work limit (`sid` is `None`).
    ExplicitDeny { sid: Option<String> },
    /// No statement applied: the implicit deny.
    NotApplicable,
}

impl Decision {
    /// Whether the request may proceed on the strength of these policies.
    #[cfg(test)]
    pub(crate) const fn is_allow(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }

    /// The Sid of the deciding statement, if it has one.
    #[cfg(test)]
    pub(crate) fn sid(&self) -> Option<&str> {
        match self {
            Self::Allow { sid } | Self::ExplicitDeny { sid } => sid.as_deref(),
            Self::NotApplicable => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, sid) = match self {
            Self::Allow { sid } => ("allow", sid),
            Self::ExplicitDeny { sid } => ("explicit deny", sid),
            Self::NotApplicable => return f.write_str("not applicable (implicit deny)"),
        };
        match sid {
            Some(sid) => write!(f, "{word} (statement {sid})"),
            None => f.write_str(word),
        }
    }
}

/// Why a statement did not apply: the first element that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Mismatch {
    /// `Principal`/`NotPrincipal` did not cover the caller.
    Principal,
    /// `Action`/`NotAction` did not cover the action.
    Action,
    /// `Resource`/`NotResource` did not cover the resource.
    Resource,
    /// One condition key did not hold.
    Condition {
        operator: ConditionOperator,
        /// The key as written in the policy.
        key: String,
        failure: ConditionFailure,
    },
    /// The evaluation ran out of work budget before this statement could be decided.
    WorkLimit,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Principal => f.write_str("principal did not match"),
            Self::Action => f.write_str("action did not match"),
            Self::Resource => f.write_str("resource did not match"),
            Self::Condition {
                operator,
                key,
                failure,
            } => write!(
                f,
                "condition key {key} with operator {operator} did not match: {failure}"
            ),
            Self::WorkLimit => f.write_str("evaluation work limit exceeded"),
        }
    }
}

/// What happened to one statement during an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StatementTrace {
    /// Index into the `policies` slice given to [`evaluate_with_trace`].
    pub(crate) policy: usize,
    /// Index of the statement within its policy.
    pub(crate) statement: usize,
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    /// `None` when the statement applied; otherwise the first reason it did not.
    pub(crate) mismatch: Option<Mismatch>,
}

impl StatementTrace {
    #[cfg(test)]
    pub(crate) const fn applied(&self) -> bool {
        self.mismatch.is_none()
    }
}

impl fmt::Display for StatementTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {} statement {}", self.policy, self.statement)?;
        if let Some(sid) = &self.sid {
            write!(f, " ({sid})")?;
        }
        write!(f, " {}: ", self.effect)?;
        match &self.mismatch {
            None => f.write_str("applied"),
            Some(mismatch) => write!(f, "not applied, {mismatch}"),
        }
    }
}

/// The decision of `policies` for `ctx`: an explicit deny in any statement of any policy
/// wins; else any applicable allow; else [`Decision::NotApplicable`] (implicit deny).
pub(crate) fn evaluate(policies: &[&Policy], ctx: &RequestContext) -> Decision {
    run(policies, ctx, None)
}

/// [`evaluate`], plus for every statement whether it applied and, if not, the first reason.
/// For `stsbridge rules explain` and for decision logs.
pub(crate) fn evaluate_with_trace(
    policies: &[&Policy],
    ctx: &RequestContext,
) -> (Decision, Vec<StatementTrace>) {
    let mut trace = Vec::new();
    let decision = run(policies, ctx, Some(&mut trace));
    (decision, trace)
}

/// Shared by both entry points; without a trace, stops at the first applicable deny.
fn run(
    policies: &[&Policy],
    ctx: &RequestContext,
    mut trace: Option<&mut Vec<StatementTrace>>,
) -> Decision {
    let mut budget = StepBudget::new(MAX_EVALUATION_STEPS);
    let mut first_allow: Option<Option<String>> = None;
    let mut first_deny: Option<Option<String>> = None;
    for (policy_index, policy) in policies.iter().enumerate() {
        for (statement_index, statement) in policy.statements.iter().enumerate() {
            let mismatch = check_statement(statement, policy.version, ctx, &mut budget).err();
            // Fail closed both ways: an undecidable condition never grants (Allow does not
            // apply) and never lets a Deny slip (the Deny applies).
            let undecided_deny = statement.effect == Effect::Deny
                && matches!(
                    &mismatch,
                    Some(Mismatch::Condition {
                        failure: ConditionFailure::Undecidable,
                        ..
                    })
                );
            if mismatch.is_none() || undecided_deny {
                let first = match statement.effect {
                    Effect::Allow => &mut first_allow,
                    Effect::Deny => &mut first_deny,
                };
                first.get_or_insert_with(|| statement.sid.clone());
            }
            match trace.as_deref_mut() {
                Some(trace) => trace.push(StatementTrace {
                    policy: policy_index,
                    statement: statement_index,
                    sid: statement.sid.clone(),
                    effect: statement.effect,
                    mismatch,
                }),
                None => {
                    if let Some(sid) = first_deny {
                        return Decision::ExplicitDeny { sid };
                    }
                }
            }
        }
    }
    if let Some(sid) = first_deny {
        return Decision::ExplicitDeny { sid };
    }
    if budget.is_exhausted() {
        tracing::warn!(
            action = ctx.action(),
            "policy evaluation exceeded its work limit; denying"
        );
        return Decision::ExplicitDeny { sid: None };
    }
    match first_allow {
        Some(sid) => Decision::Allow { sid },
        None => Decision::NotApplicable,
    }
}

/// Whether `statement` applies to `ctx`, or the first element that does not hold.
fn check_statement(
    statement: &Statement,
    version: PolicyVersion,
    ctx: &RequestContext,
    budget: &mut StepBudget,
) -> Result<(), Mismatch> {
    match check_elements(statement, version, ctx, budget) {
        // Resource and condition checks draw on the budget; once it has run out, their
        // failure may be nothing but that.
        Err(Mismatch::Resource | Mismatch::Condition { .. }) if budget.is_exhausted() => {
            Err(Mismatch::WorkLimit)
        }
        result => result,
    }
}

fn check_elements(
    statement: &Statement,
    version: PolicyVersion,
    ctx: &RequestContext,
    budget: &mut StepBudget,
) -> Result<(), Mismatch> {
    if let Some(clause) = &statement.principal {
        let matched = principal_matches(clause.spec(), ctx.principal());
        let applies = match clause {
            PrincipalClause::Principal(_) => matched,
            PrincipalClause::NotPrincipal(_) => !matched,
        };
        if !applies {
            return Err(Mismatch::Principal);
        }
    }

    let action = ctx.action();
    let listed = statement
        .action
        .patterns()
        .iter()
        .any(|pattern| pattern.matches(action));
    let applies = match statement.action {
        ActionClause::Action(_) => listed,
        ActionClause::NotAction(_) => !listed,
    };
    if !applies {
        return Err(Mismatch::Action);
    }

    if let Some(clause) = &statement.resource
        && !resource_applies(clause, version, ctx, budget)
    {
        return Err(Mismatch::Resource);
    }

    for block in &statement.condition {
        for entry in &block.entries {
            check_entry(block.operator, entry, version, ctx, budget).map_err(|failure| {
                Mismatch::Condition {
                    operator: block.operator,
                    key: entry.key.as_str().to_owned(),
                    failure,
                }
            })?;
        }
    }
    Ok(())
}

/// Whether a `Principal` element names the caller (see the module doc).
fn principal_matches(spec: &PrincipalSpec, caller: Option<&CallerPrincipal>) -> bool {
    let entries = match spec {
        PrincipalSpec::Anyone => return true,
        PrincipalSpec::Entries(entries) => entries,
    };
    let Some(caller) = caller else {
        return false;
    };
    entries.iter().any(|(kind, ids)| {
        ids.iter().any(|id| match (kind, caller) {
            (
                PrincipalKind::Aws,
                CallerPrincipal::Aws {
                    arn,
                    account,
                    unique_id,
                },
            ) => aws_id_matches(id, arn, account, unique_id.as_deref()),
            (PrincipalKind::Federated, CallerPrincipal::Federated { provider }) => {
                id == "*" || id == provider
            }
            (
                PrincipalKind::Aws
                | PrincipalKind::Federated
                | PrincipalKind::Service
                | PrincipalKind::CanonicalUser,
                _,
            ) => false,
        })
    })
}

fn aws_id_matches(id: &str, arn: &str, account: &str, unique_id: Option<&str>) -> bool {
    if id == "*" {
        return true;
    }
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return id == account;
    }
    if let Some([_, partition, service, _, id_account, resource]) = split_arn(id) {
        if service == "iam" && resource == "root" {
            return id_account == account;
        }
        if id == arn {
            return true;
        }
        return service == "iam"
            && resource.strip_prefix("role/").is_some_and(|role_path| {
                let role_name = role_path.rsplit('/').next().unwrap_or(role_path);
                is_session_of_role(arn, partition, id_account, role_name)
            });
    }
    unique_id.is_some_and(|unique_id| {
        unique_id == id
            || unique_id
                .split_once(':')
                .is_some_and(|(role_id, _)| role_id == id)
    })
}

/// Whether `caller_arn` is `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE_NAME/<session>`.
fn is_session_of_role(caller_arn: &str, partition: &str, account: &str, role_name: &str) -> bool {
    split_arn(caller_arn).is_some_and(|[_, p, service, _, a, resource]| {
        p == partition
            && service == "sts"
            && a == account
            && resource
                .strip_prefix("assumed-role/")
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(name, session)| name == role_name && !session.is_empty())
    })
}

/// Whether a `Resource`/`NotResource` element covers the request's resource.
fn resource_applies(
    clause: &ResourceClause,
    version: PolicyVersion,
    ctx: &RequestContext,
    budget: &mut StepBudget,
) -> bool {
    let patterns = clause.patterns();
    let Some(resource) = ctx.resource() else {
        return match clause {
            ResourceClause::Resource(_) => patterns.contains(&ResourcePattern::Any),
            ResourceClause::NotResource(_) => false,
        };
    };
    let mut undecided = false;
    let mut matched = false;
    for pattern in patterns {
        let result = match pattern {
            ResourcePattern::Any => Some(true),
            ResourcePattern::Arn(text) => expand(text, version, ctx, budget)
                .and_then(|tokens| glob_match_tokens(&tokens, resource, false, budget)),
        };
        match result {
            Some(true) => {
                matched = true;
                break;
            }
            Some(false) => {}
            None => undecided = true,
        }
    }
    match clause {
        ResourceClause::Resource(_) => matched,
        ResourceClause::NotResource(_) => !matched && !undecided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::ContextValue;
    use crate::policy::{PolicyKind, parse_policy};
    use proptest::prelude::*;

    const ACCOUNT: &str = "123456789012";
    const OIDC_PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/accounts.example.com";
    const SAML_PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/corp";

    fn trust(text: &str) -> Policy {
        parse_policy(text, PolicyKind::Trust).unwrap()
    }

    fn identity(text: &str) -> Policy {
        parse_policy(text, PolicyKind::Identity).unwrap()
    }

    #[test]
    fn an_undecidable_condition_never_allows_and_always_denies() {
        let allow_all = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        );
        let deny_young = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Young","Effect":"Deny","Action":"*","Resource":"*",
                "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#,
        );
        let allow_young = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#,
        );
        let mut ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/k"));
        ctx.set(
            "aws:MultiFactorAuthAge",
            ContextValue::Single("not a number".into()),
        );
        assert_eq!(
            evaluate(&[&allow_all, &deny_young], &ctx),
            Decision::ExplicitDeny {
                sid: Some("Young".into())
            }
        );
        assert_eq!(evaluate(&[&allow_young], &ctx), Decision::NotApplicable);
        ctx.set(
            "aws:MultiFactorAuthAge",
            ContextValue::Single("7200".into()),
        );
        assert!(evaluate(&[&allow_all, &deny_young], &ctx).is_allow());
    }

    /// A trust policy with one statement allowing `action` for `principal` (JSON).
    fn trust_for(principal: &str, action: &str) -> Policy {
        trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"T","Effect":"Allow",
                "Principal":{principal},"Action":"{action}"}}}}"#
        ))
    }

    fn not_trust_for(principal: &str) -> Policy {
        trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",
                "NotPrincipal":{principal},"Action":"sts:AssumeRole"}}}}"#
        ))
    }

    fn user(name: &str) -> CallerPrincipal {
        CallerPrincipal::Aws {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            account: ACCOUNT.into(),
            unique_id: Some("AIDAEXAMPLEUSERID01".into()),
        }
    }

    fn session(role: &str, session: &str) -> CallerPrincipal {
        CallerPrincipal::Aws {
            arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
            account: ACCOUNT.into(),
            unique_id: Some(format!("AROAEXAMPLEROLEID01:{session}")),
        }
    }

    fn other_account_user() -> CallerPrincipal {
        CallerPrincipal::Aws {
            arn: "arn:aws:iam::210987654321:user/mallory".into(),
            account: "210987654321".into(),
            unique_id: None,
        }
    }

    fn federated(provider: &str) -> CallerPrincipal {
        CallerPrincipal::Federated {
            provider: provider.into(),
        }
    }

    fn assume(caller: Option<CallerPrincipal>) -> RequestContext {
        let ctx = RequestContext::new("sts:AssumeRole", None);
        match caller {
            Some(caller) => ctx.with_principal(caller),
            None => ctx,
        }
    }

    fn allows(policy: &Policy, ctx: &RequestContext) -> bool {
        evaluate(&[policy], ctx).is_allow()
    }

    #[test]
    fn principal_forms() {
        let anyone = trust_for(r#""*""#, "sts:AssumeRole");
        assert!(allows(&anyone, &assume(Some(user("alice")))));
        assert!(allows(&anyone, &assume(Some(federated(OIDC_PROVIDER)))));
        assert!(allows(&anyone, &assume(None)), "\"*\" includes anonymous");

        let any_aws = trust_for(r#"{"AWS":"*"}"#, "sts:AssumeRole");
        assert!(allows(&any_aws, &assume(Some(other_account_user()))));
        assert!(!allows(&any_aws, &assume(Some(federated(OIDC_PROVIDER)))));
        assert!(!allows(&any_aws, &assume(None)));

        for account in [
            r#"{"AWS":"123456789012"}"#,
            r#"{"AWS":"arn:aws:iam::123456789012:root"}"#,
        ] {
            let policy = trust_for(account, "sts:AssumeRole");
            assert!(allows(&policy, &assume(Some(user("alice")))), "{account}");
            assert!(
                allows(&policy, &assume(Some(session("ops", "s")))),
                "{account}"
            );
            assert!(
                !allows(&policy, &assume(Some(other_account_user()))),
                "{account}"
            );
            assert!(
                !allows(&policy, &assume(Some(federated(OIDC_PROVIDER)))),
                "{account}"
            );
        }

        let alice = trust_for(
            r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#,
            "sts:AssumeRole",
        );
        assert!(allows(&alice, &assume(Some(user("alice")))));
        assert!(!allows(&alice, &assume(Some(user("bob")))));

        let by_id = trust_for(r#"{"AWS":"AIDAEXAMPLEUSERID01"}"#, "sts:AssumeRole");
        assert!(allows(&by_id, &assume(Some(user("renamed")))));
        assert!(!allows(&by_id, &assume(Some(other_account_user()))));
        let by_role_id = trust_for(r#"{"AWS":"AROAEXAMPLEROLEID01"}"#, "sts:AssumeRole");
        assert!(allows(&by_role_id, &assume(Some(session("ops", "s1")))));

        let exact_session = trust_for(
            r#"{"AWS":"arn:aws:sts::123456789012:assumed-role/ops/s1"}"#,
            "sts:AssumeRole",
        );
        assert!(allows(&exact_session, &assume(Some(session("ops", "s1")))));
        assert!(!allows(&exact_session, &assume(Some(session("ops", "s2")))));

        // A role ARN (with a path) trusts every session of that role: role chaining.
        let role = trust_for(
            r#"{"AWS":"arn:aws:iam::123456789012:role/team/ops"}"#,
            "sts:AssumeRole",
        );
        assert!(allows(&role, &assume(Some(session("ops", "any")))));
        assert!(!allows(&role, &assume(Some(session("dev", "any")))));
        assert!(!allows(&role, &assume(Some(user("ops")))));

        let oidc = trust_for(
            &format!(r#"{{"Federated":"{OIDC_PROVIDER}"}}"#),
            "sts:AssumeRoleWithWebIdentity",
        );
        let web = |caller| {
            RequestContext::new("sts:AssumeRoleWithWebIdentity", None).with_principal(caller)
        };
        assert!(allows(&oidc, &web(federated(OIDC_PROVIDER))));
        assert!(!allows(&oidc, &web(federated(SAML_PROVIDER))));
        assert!(
            !allows(&oidc, &web(federated("accounts.example.com"))),
            "exact"
        );
        assert!(!allows(&oidc, &web(user("alice"))));

        let google = trust_for(
            r#"{"Federated":"accounts.google.com"}"#,
            "sts:AssumeRoleWithWebIdentity",
        );
        assert!(allows(&google, &web(federated("accounts.google.com"))));

        let any_federated = trust_for(r#"{"Federated":"*"}"#, "sts:AssumeRoleWithWebIdentity");
        assert!(allows(&any_federated, &web(federated(SAML_PROVIDER))));
        assert!(!allows(&any_federated, &web(user("alice"))));

        for never in [
            r#"{"Service":"ec2.amazonaws.com"}"#,
            r#"{"Service":"*"}"#,
            r#"{"CanonicalUser":"abc123"}"#,
        ] {
            let policy = trust_for(never, "sts:AssumeRole");
            assert!(!allows(&policy, &assume(Some(user("alice")))), "{never}");
            assert!(
                !allows(&policy, &assume(Some(federated(OIDC_PROVIDER)))),
                "{never}"
            );
        }

        let mixed = trust_for(
            r#"{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::123456789012:user/alice"}"#,
            "sts:AssumeRole",
        );
        assert!(allows(&mixed, &assume(Some(user("alice")))));
    }

    #[test]
    fn not_principal() {
        let everyone_but_alice = not_trust_for(r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#);
        assert!(!allows(&everyone_but_alice, &assume(Some(user("alice")))));
        assert!(allows(&everyone_but_alice, &assume(Some(user("bob")))));
        assert!(allows(
            &everyone_but_alice,
            &assume(Some(federated(SAML_PROVIDER)))
        ));
        assert!(allows(&everyone_but_alice, &assume(None)));

        let not_account = not_trust_for(r#"{"AWS":"123456789012"}"#);
        assert!(!allows(&not_account, &assume(Some(session("ops", "s")))));
        assert!(allows(&not_account, &assume(Some(other_account_user()))));

        let nobody = not_trust_for(r#""*""#);
        assert!(!allows(&nobody, &assume(Some(user("alice")))));
        assert!(!allows(&nobody, &assume(None)));
    }

    #[test]
    fn actions_and_not_actions() {
        let wildcard = trust_for(r#""*""#, "sts:AssumeRole*");
        for action in [
            "sts:AssumeRole",
            "sts:AssumeRoleWithSAML",
            "STS:assumerolewithwebidentity",
        ] {
            assert!(
                allows(&wildcard, &RequestContext::new(action, None)),
                "{action}"
            );
        }
        assert!(!allows(
            &wildcard,
            &RequestContext::new("sts:TagSession", None)
        ));
        let single = trust_for(r#""*""#, "sts:Assume?ole");
        assert!(allows(
            &single,
            &RequestContext::new("sts:AssumeRole", None)
        ));

        let policy = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
                "NotAction":["iam:*","sts:Get*"],"Resource":"*"}}"#,
        );
        let at = |action| RequestContext::new(action, Some("arn:aws:s3:::b"));
        assert!(allows(&policy, &at("s3:GetObject")));
        assert!(allows(&policy, &at("sts:AssumeRole")));
        assert!(!allows(&policy, &at("iam:CreateUser")));
        assert!(!allows(&policy, &at("sts:GetCallerIdentity")));
    }

    #[test]
    fn resources_and_not_resources() {
        let policy = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "Resource":["arn:aws:s3:::bucket/home/*","arn:aws:s3:::b?"]}}"#,
        );
        let on = |resource: Option<&str>| RequestContext::new("s3:GetObject", resource);
        assert!(allows(
            &policy,
            &on(Some("arn:aws:s3:::bucket/home/a/b.txt"))
        ));
        assert!(allows(&policy, &on(Some("arn:aws:s3:::bx"))));
        assert!(!allows(&policy, &on(Some("arn:aws:s3:::bxx"))));
        assert!(
            !allows(&policy, &on(Some("arn:aws:s3:::BUCKET/home/a"))),
            "case-sensitive"
        );
        assert!(!allows(&policy, &on(None)), "no resource: only * matches");

        let star = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        );
        assert!(allows(&star, &on(None)));
        assert!(allows(&star, &on(Some("arn:aws:s3:::anything"))));

        let not_resource = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "NotResource":"arn:aws:s3:::secret/*"}}"#,
        );
        assert!(allows(&not_resource, &on(Some("arn:aws:s3:::public/x"))));
        assert!(!allows(&not_resource, &on(Some("arn:aws:s3:::secret/x"))));
        assert!(!allows(&not_resource, &on(None)));

        // Trust policies have no Resource element and apply to any resource.
        let trust_policy = trust_for(r#""*""#, "sts:AssumeRole");
        let ctx = RequestContext::new("sts:AssumeRole", Some("arn:aws:iam::123456789012:role/r"));
        assert!(allows(&trust_policy, &ctx));
    }

    #[test]
    fn deny_wins_across_policies() {
        let allow_all = identity(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}}"#,
        );
        let deny_iam = identity(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Other","Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Sid":"NoIam","Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
        );
        let iam = RequestContext::new("iam:CreateUser", Some("arn:aws:iam::123456789012:user/x"));
        let s3 = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/k"));
        let expected_deny = Decision::ExplicitDeny {
            sid: Some("NoIam".into()),
        };
        assert_eq!(evaluate(&[&allow_all, &deny_iam], &iam), expected_deny);
        assert_eq!(evaluate(&[&deny_iam, &allow_all], &iam), expected_deny);
        assert_eq!(
            evaluate(&[&allow_all, &deny_iam], &s3),
            Decision::Allow {
                sid: Some("All".into())
            }
        );
        assert_eq!(evaluate(&[], &s3), Decision::NotApplicable);
        assert_eq!(
            evaluate(
                &[&deny_iam],
                &RequestContext::new("ec2:RunInstances", Some("arn:aws:ec2:::x"))
            ),
            Decision::NotApplicable
        );

        let (decision, trace) = evaluate_with_trace(&[&allow_all, &deny_iam], &iam);
        assert_eq!(decision, expected_deny);
        assert_eq!(trace.len(), 3);
        assert!(trace[0].applied());
        assert_eq!(trace[1].mismatch, Some(Mismatch::Action));
        assert!(trace[2].applied());
        assert_eq!((trace[2].policy, trace[2].statement), (1, 1));
    }

    #[test]
    fn revocation_policy_denies_older_sessions() {
        let revoke = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],
                "Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-21T23:47:00Z"}}}]}"#,
        );
        let ctx = |issued: Option<&str>| {
            let ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/k"));
            match issued {
                Some(time) => ctx.with("aws:TokenIssueTime", time),
                None => ctx,
            }
        };
        assert_eq!(
            evaluate(&[&revoke], &ctx(Some("2026-11-21T23:00:00Z"))),
            Decision::ExplicitDeny { sid: None }
        );
        assert_eq!(
            evaluate(&[&revoke], &ctx(Some("2026-11-22T00:00:00Z"))),
            Decision::NotApplicable
        );
        assert_eq!(evaluate(&[&revoke], &ctx(None)), Decision::NotApplicable);
    }

    #[test]
    fn policy_variables_in_resources_and_conditions() {
        let home = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#,
        );
        let get = |key: &str, user: Option<&str>| {
            let ctx = RequestContext::new("s3:GetObject", Some(key));
            match user {
                Some(user) => ctx.with("aws:username", user),
                None => ctx,
            }
        };
        assert!(allows(
            &home,
            &get("arn:aws:s3:::bucket/home/alice/x", Some("alice"))
        ));
        assert!(!allows(
            &home,
            &get("arn:aws:s3:::bucket/home/bob/x", Some("alice"))
        ));
        assert!(
            !allows(&home, &get("arn:aws:s3:::bucket/home//x", None)),
            "absent: no match"
        );
        assert!(
            !allows(&home, &get("arn:aws:s3:::bucket/home/bob/x", Some("*"))),
            "value is literal"
        );
        assert!(allows(
            &home,
            &get("arn:aws:s3:::bucket/home/*/x", Some("*"))
        ));

        let team = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}}"#,
        );
        let ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::bucket/shared/x"));
        assert!(allows(&team, &ctx));
        assert!(!allows(
            &team,
            &ctx.clone().with("aws:PrincipalTag/team", "red")
        ));

        let escapes = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "Resource":"arn:aws:s3:::b/${*}${?}${$}/*"}}"#,
        );
        let on = |resource| RequestContext::new("s3:GetObject", Some(resource));
        assert!(allows(&escapes, &on("arn:aws:s3:::b/*?$/k")));
        assert!(!allows(&escapes, &on("arn:aws:s3:::b/xy$/k")));

        let saml = trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
                "Action":"sts:AssumeRoleWithSAML",
                "Condition":{"StringEquals":{"sts:RoleSessionName":"${saml:sub}"},
                             "StringLike":{"accounts.example.com:sub":"user:${aws:username}:*"}}}}"#,
        );
        let ctx = RequestContext::new("sts:AssumeRoleWithSAML", None)
            .with("saml:sub", "alice")
            .with("sts:RoleSessionName", "alice")
            .with("aws:username", "al*")
            .with("accounts.example.com:sub", "user:al*:42");
        assert!(allows(&saml, &ctx));
        let widened = ctx
            .clone()
            .with("accounts.example.com:sub", "user:alice:42");
        assert!(!allows(&saml, &widened), "substituted * is literal");
        let mut absent = ctx.clone();
        absent.remove("saml:sub");
        absent.set("sts:RoleSessionName", ContextValue::from(""));
        assert!(!allows(&saml, &absent), "never an empty-string match");

        let negated = trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
                "Action":"sts:AssumeRole",
                "Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:missing}"}}}}"#,
        );
        let ctx = RequestContext::new("sts:AssumeRole", None).with("aws:PrincipalTag/team", "red");
        assert!(!allows(&negated, &ctx), "unresolved variable fails closed");
    }

    #[test]
    fn version_2008_keeps_variables_literal() {
        let old = identity(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
                "Resource":"arn:aws:s3:::bucket/${aws:username}/*",
                "Condition":{"StringEquals":{"test:literal":"${aws:username}"}}}}"#,
        );
        let ctx = |resource| {
            RequestContext::new("s3:GetObject", Some(resource))
                .with("aws:username", "alice")
                .with("test:literal", "${aws:username}")
        };
        assert!(allows(&old, &ctx("arn:aws:s3:::bucket/${aws:username}/x")));
        assert!(!allows(&old, &ctx("arn:aws:s3:::bucket/alice/x")));
    }

    /// OIDC: provider ARN principal, audience pinned, subject pattern (GitHub-Actions style).
    #[test]
    fn oidc_trust_policy() {
        let policy = trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Ci","Effect":"Allow",
                "Principal":{{"Federated":"{OIDC_PROVIDER}"}},
                "Action":"sts:AssumeRoleWithWebIdentity",
                "Condition":{{
                  "StringEquals":{{"accounts.example.com:aud":"sts.amazonaws.com"}},
                  "StringLike":{{"accounts.example.com:sub":"repo:org/app:*"}}}}}}]}}"#
        ));
        let ctx = |aud: &str, sub: &str| {
            RequestContext::new("sts:AssumeRoleWithWebIdentity", None)
                .with_principal(federated(OIDC_PROVIDER))
                .with("accounts.example.com:aud", aud)
                .with("accounts.example.com:sub", sub)
        };
        assert_eq!(
            evaluate(
                &[&policy],
                &ctx("sts.amazonaws.com", "repo:org/app:ref:refs/heads/main")
            ),
            Decision::Allow {
                sid: Some("Ci".into())
            }
        );
        let (decision, trace) =
            evaluate_with_trace(&[&policy], &ctx("other-client", "repo:org/app:ref:main"));
        assert_eq!(decision, Decision::NotApplicable);
        assert_eq!(
            trace[0].mismatch,
            Some(Mismatch::Condition {
                operator: ConditionOperator::from_name("StringEquals").unwrap(),
                key: "accounts.example.com:aud".into(),
                failure: ConditionFailure::NoValueMatched,
            })
        );
        assert!(
            trace[0].to_string().contains("accounts.example.com:aud"),
            "{}",
            trace[0]
        );
        let (_, trace) = evaluate_with_trace(
            &[&policy],
            &ctx("sts.amazonaws.com", "repo:evil/app:ref:main"),
        );
        assert!(matches!(
            &trace[0].mismatch,
            Some(Mismatch::Condition { key, .. }) if key == "accounts.example.com:sub"
        ));
        let wrong_idp =
            ctx("sts.amazonaws.com", "repo:org/app:x").with_principal(federated(SAML_PROVIDER));
        let (_, trace) = evaluate_with_trace(&[&policy], &wrong_idp);
        assert_eq!(trace[0].mismatch, Some(Mismatch::Principal));
        let wrong_action = RequestContext::new("sts:AssumeRoleWithSAML", None)
            .with_principal(federated(OIDC_PROVIDER));
        let (_, trace) = evaluate_with_trace(&[&policy], &wrong_action);
        assert_eq!(trace[0].mismatch, Some(Mismatch::Action));
        let no_keys = RequestContext::new("sts:AssumeRoleWithWebIdentity", None)
            .with_principal(federated(OIDC_PROVIDER));
        assert!(!allows(&policy, &no_keys));
    }

    /// SAML: provider ARN principal and the `SAML:aud` (ACS URL) check, key case-insensitive.
    #[test]
    fn saml_trust_policy() {
        let policy = trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow",
                "Principal":{{"Federated":"{SAML_PROVIDER}"}},
                "Action":["sts:AssumeRoleWithSAML","sts:TagSession"],
                "Condition":{{"StringEquals":{{"SAML:aud":"https://signin.aws.amazon.com/saml"}},
                  "ForAllValues:StringLike":{{"saml:edupersonaffiliation":["staff","faculty*"]}}}}}}}}"#
        ));
        let ctx = |action: &str| {
            RequestContext::new(action, None)
                .with_principal(federated(SAML_PROVIDER))
                .with("saml:aud", "https://signin.aws.amazon.com/saml")
        };
        assert!(allows(&policy, &ctx("sts:AssumeRoleWithSAML")));
        assert!(allows(&policy, &ctx("sts:TagSession")));
        assert!(!allows(&policy, &ctx("sts:AssumeRoleWithWebIdentity")));
        let staff = ctx("sts:AssumeRoleWithSAML").with(
            "saml:edupersonaffiliation",
            vec!["staff".to_owned(), "faculty-emeritus".to_owned()],
        );
        assert!(allows(&policy, &staff));
        let student = ctx("sts:AssumeRoleWithSAML").with(
            "saml:edupersonaffiliation",
            vec!["staff".to_owned(), "student".to_owned()],
        );
        assert!(!allows(&policy, &student));
        let other_acs = ctx("sts:AssumeRoleWithSAML").with("SAML:AUD", "https://evil.example/saml");
        assert!(!allows(&policy, &other_acs));
    }

    /// AssumeRole: account root principal, MFA required, external id when given; a deny for
    /// everyone else.
    #[test]
    fn assume_role_trust_policy() {
        let policy = trust(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Admins","Effect":"Allow",
                 "Principal":{"AWS":"arn:aws:iam::123456789012:root"},
                 "Action":"sts:AssumeRole",
                 "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},
                              "StringEqualsIfExists":{"sts:ExternalId":"ext-42"},
                              "NumericLessThan":{"aws:MultiFactorAuthAge":3600}}},
                {"Sid":"NoSourceIp","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
                 "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}]}"#,
        );
        let ctx = |caller: CallerPrincipal| {
            RequestContext::new("sts:AssumeRole", None)
                .with_principal(caller)
                .with("aws:MultiFactorAuthPresent", true)
                .with("aws:MultiFactorAuthAge", "120")
                .with("aws:SourceIp", "192.0.2.10")
        };
        assert_eq!(
            evaluate(&[&policy], &ctx(user("alice"))),
            Decision::Allow {
                sid: Some("Admins".into())
            }
        );
        assert!(allows(&policy, &ctx(session("ops", "s"))));
        assert!(allows(
            &policy,
            &ctx(user("alice")).with("sts:ExternalId", "ext-42")
        ));
        assert!(!allows(
            &policy,
            &ctx(user("alice")).with("sts:ExternalId", "ext-43")
        ));
        assert!(!allows(
            &policy,
            &ctx(user("alice")).with("aws:MultiFactorAuthPresent", false)
        ));
        assert!(!allows(
            &policy,
            &ctx(user("alice")).with("aws:MultiFactorAuthAge", "7200")
        ));
        let mut long_term = ctx(user("alice"));
        long_term.remove("aws:MultiFactorAuthPresent");
        assert!(
            !allows(&policy, &long_term),
            "Bool on an absent key is false"
        );
        assert!(!allows(&policy, &ctx(other_account_user())));
        assert_eq!(
            evaluate(
                &[&policy],
                &ctx(user("alice")).with("aws:SourceIp", "198.51.100.7")
            ),
            Decision::ExplicitDeny {
                sid: Some("NoSourceIp".into())
            }
        );
    }

    #[test]
    fn trace_covers_every_statement_and_matches_evaluate() {
        let policy = trust(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"A","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"},
                {"Sid":"B","Effect":"Allow","Principal":{"Federated":"accounts.google.com"},
                 "Action":"sts:AssumeRoleWithWebIdentity"},
                {"Sid":"C","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
                 "Condition":{"Null":{"aws:SourceIp":"true"}}}]}"#,
        );
        let ctx = assume(Some(user("alice"))).with("aws:SourceIp", "192.0.2.1");
        let (decision, trace) = evaluate_with_trace(&[&policy], &ctx);
        assert_eq!(decision, evaluate(&[&policy], &ctx));
        assert_eq!(decision.sid(), Some("A"));
        let reasons: Vec<String> = trace.iter().map(ToString::to_string).collect();
        assert_eq!(reasons[0], "policy 0 statement 0 (A) Allow: applied");
        assert_eq!(
            reasons[1],
            "policy 0 statement 1 (B) Allow: not applied, principal did not match"
        );
        assert!(
            reasons[2].contains("aws:SourceIp with operator Null"),
            "{}",
            reasons[2]
        );
        assert_eq!(decision.to_string(), "allow (statement A)");
    }

    #[test]
    fn work_limit_fails_closed() {
        // 40 values, each a worst case for the matcher (a long literal run after one `*` that
        // almost matches everywhere), against a long request value: about 16M steps.
        let patterns: Vec<String> = (0..40)
            .map(|i| format!("\"*{}b{i}\"", "a".repeat(100)))
            .collect();
        let policy = identity(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{{"StringLike":{{"test:key":[{}]}}}}}}}}"#,
            patterns.join(",")
        ));
        let ctx = RequestContext::new("s3:GetObject", None).with("test:key", "a".repeat(4_000));
        let (decision, trace) = evaluate_with_trace(&[&policy], &ctx);
        assert_eq!(decision, Decision::ExplicitDeny { sid: None });
        assert_eq!(trace[0].mismatch, Some(Mismatch::WorkLimit));
        assert_eq!(
            evaluate(&[&policy], &ctx),
            Decision::ExplicitDeny { sid: None }
        );
    }

    /// Policies covering every operator family, principal form and element, for the property
    /// test below.
    fn sample_policies() -> Vec<Policy> {
        let mut policies = vec![
            trust(&format!(
                r#"{{"Version":"2012-10-17","Statement":[
                  {{"Effect":"Allow","Principal":{{"Federated":"{OIDC_PROVIDER}","AWS":["123456789012","arn:aws:iam::123456789012:role/r"]}},
                   "Action":"sts:AssumeRole*","Condition":{{
                     "StringLike":{{"k:a":"${{k:b}}*${{k:c, 'd'}}"}},
                     "ForAllValues:StringEqualsIgnoreCase":{{"k:b":["X","y"]}},
                     "ForAnyValue:NumericGreaterThan":{{"k:c":0}},
                     "DateLessThanIfExists":{{"k:d":"2030-01-01T00:00:00Z"}},
                     "BoolIfExists":{{"k:e":true}},
                     "Null":{{"k:f":"false"}}}}}},
                  {{"Effect":"Deny","NotPrincipal":{{"AWS":"AIDAEXAMPLEUSERID01"}},"NotAction":"sts:TagSession",
                   "Condition":{{"NotIpAddress":{{"k:a":["10.0.0.0/8","::1"]}},
                     "ArnNotLike":{{"k:b":"arn:aws:iam::*:role/${{k:a}}"}},
                     "BinaryEquals":{{"k:c":"QQ=="}},
                     "StringNotEqualsIfExists":{{"k:d":"${{*}}${{k:e}}"}}}}}}]}}"#
            )),
            identity(
                r#"{"Version":"2012-10-17","Statement":[
                  {"Effect":"Allow","Action":"*","Resource":["arn:aws:s3:::${k:a}/*","*"],
                   "Condition":{"ArnLike":{"k:b":"arn:*:*:*:*:*"},"NumericNotEquals":{"k:c":"1.5"},
                     "DateNotEquals":{"k:d":1700000000},"StringNotLike":{"k:e":["*?*","${k:f}"]}}},
                  {"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::${k:b, 'x'}?",
                   "Condition":{"ForAllValues:IpAddress":{"k:f":"192.0.2.0/24"}}}]}"#,
            ),
        ];
        policies.push(identity(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*",
               "Resource":"arn:aws:s3:::${k:a}","Condition":{"StringEquals":{"k:a":"${k:a}"}}}}"#,
        ));
        policies
    }

    fn any_caller() -> impl Strategy<Value = Option<CallerPrincipal>> {
        prop_oneof![
            Just(None),
            Just(Some(user("alice"))),
            Just(Some(session("r", "s"))),
            Just(Some(other_account_user())),
            Just(Some(federated(OIDC_PROVIDER))),
            ".{0,40}".prop_map(|provider| Some(federated(&provider))),
            (".{0,60}", "[0-9]{0,12}", proptest::option::of(".{0,20}")).prop_map(
                |(arn, account, unique_id)| Some(CallerPrincipal::Aws {
                    arn,
                    account,
                    unique_id
                })
            ),
        ]
    }

    fn any_value() -> impl Strategy<Value = ContextValue> {
        let text = prop_oneof![
            ".{0,30}",
            "[0-9.eE+-]{0,12}",
            "(true|false|TRUE)",
            "[0-9a-f:./]{0,24}",
            "arn:[a-z*?]{0,4}:[a-z]{0,4}:[a-z0-9-]{0,6}:[0-9]{0,12}:[a-z/*?:]{0,12}",
            "20[0-9]{2}-[01][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z)?",
            "\\$\\{[a-z:*?$]{0,6}\\}",
        ];
        prop_oneof![
            text.clone().prop_map(ContextValue::Single),
            proptest::collection::vec(text, 0..4).prop_map(ContextValue::Multi),
        ]
    }

    proptest! {
        #[test]
        fn evaluate_never_panics(
            caller in any_caller(),
            action in prop_oneof![Just("sts:AssumeRole".to_owned()), Just("s3:GetObject".to_owned()), ".{0,20}"],
            resource in proptest::option::of(prop_oneof![Just("arn:aws:s3:::x/y".to_owned()), ".{0,30}"]),
            keys in proptest::collection::vec(("k:[a-f]", any_value()), 0..8),
        ) {
            let policies = sample_policies();
            let refs: Vec<&Policy> = policies.iter().collect();
            let mut ctx = RequestContext::new(&action, resource.as_deref());
            if let Some(caller) = caller {
                ctx = ctx.with_principal(caller);
            }
            for (key, value) in keys {
                ctx.set(&key, value);
            }
            let decision = evaluate(&refs, &ctx);
            let (traced, trace) = evaluate_with_trace(&refs, &ctx);
            prop_assert_eq!(decision, traced);
            prop_assert_eq!(trace.len(), policies.iter().map(|p| p.statements.len()).sum::<usize>());
        }
    }
}
