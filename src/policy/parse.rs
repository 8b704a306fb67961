//! `parse_policy`: untrusted policy JSON text → [`Policy`], strictly.
//!
//! Two stages. [`super::json`] turns bounded text into a JSON tree with unique keys and bounded
//! depth; this module then walks that tree against the IAM grammar
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>) and the
//! rules of the document's [`PolicyKind`]. Anything the grammar does not define is refused
//! rather than ignored: an element we silently dropped could be one the author relied on.

use std::collections::{BTreeMap, HashSet};

use super::error::{PolicyError, excerpt};
use super::json::{Json, MAX_POLICY_BYTES, TreeError, parse_tree};
use super::model::{
    ActionClause, ActionPattern, ConditionBlock, ConditionEntry, ConditionKey, ConditionOperator,
    ConditionValue, Effect, Policy, PolicyVersion, PrincipalClause, PrincipalKind, PrincipalSpec,
    ResourceClause, ResourcePattern, Statement,
};

/// The actions a role trust policy may name: the three role-assumption APIs and the
/// permission-only actions checked in the same trust policy.
pub(crate) const TRUST_POLICY_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Where a policy document is used, which decides the elements a statement must or must not
/// have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PolicyKind {
    /// Attached to a role or user: `Resource` required, no `Principal`.
    Identity,
    /// A role's assume-role policy: `Principal` required, no `Resource`, sts actions only.
    Trust,
    /// Passed with an `AssumeRole*` call to narrow the session: same shape as `Identity`.
    Session,
}

const POLICY_FIELDS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

const STRING_OR_LIST: &str = "a string or a non-empty array of strings";

type Object = BTreeMap<String, Json>;

/// Parses and validates a policy document of the given kind.
pub(crate) fn parse_policy(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge { len: text.len() });
    }
    let tree = parse_tree(text).map_err(|err| match err {
        TreeError::DuplicateKey { line, column } => PolicyError::DuplicateKey { line, column },
        TreeError::TooDeep => PolicyError::TooDeep,
        TreeError::Syntax(detail) => PolicyError::Syntax(detail),
    })?;
    let Json::Object(mut document) = tree else {
        return Err(PolicyError::WrongType {
            field: "Policy document",
            expected: "a JSON object",
        });
    };
    reject_unknown_fields(&document, &POLICY_FIELDS, "Policy document")?;

    // IAM defaults a missing Version to 2008-10-17, silently disabling policy variables; we
    // require it so the author's intent is explicit.
    let version = match document.remove("Version") {
        Some(Json::String(date)) => PolicyVersion::from_date(&date)
            .ok_or_else(|| PolicyError::UnsupportedVersion(excerpt(&date)))?,
        Some(_) => {
            return Err(PolicyError::WrongType {
                field: "Version",
                expected: "a string",
            });
        }
        None => return Err(PolicyError::MissingField("Version")),
    };
    let id = match document.remove("Id") {
        Some(Json::String(id)) => Some(id),
        Some(_) => {
            return Err(PolicyError::WrongType {
                field: "Id",
                expected: "a string",
            });
        }
        None => None,
    };
    let statements = match document.remove("Statement") {
        Some(Json::Object(statement)) => vec![parse_statement(statement, kind)?],
        Some(Json::Array(items)) if items.is_empty() => {
            return Err(PolicyError::EmptyList("Statement"));
        }
        Some(Json::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Json::Object(statement) => parse_statement(statement, kind),
                _ => Err(PolicyError::WrongType {
                    field: "Statement",
                    expected: "an object or a non-empty array of objects",
                }),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(PolicyError::WrongType {
                field: "Statement",
                expected: "an object or a non-empty array of objects",
            });
        }
        None => return Err(PolicyError::MissingField("Statement")),
    };
    check_unique_sids(&statements)?;
    Ok(Policy {
        version,
        id,
        statements,
    })
}

fn reject_unknown_fields(
    object: &Object,
    allowed: &[&str],
    context: &'static str,
) -> Result<(), PolicyError> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(PolicyError::UnknownField {
            context,
            name: excerpt(key),
        }),
        None => Ok(()),
    }
}

/// Which half of an element pair (`Action`/`NotAction`, ...) a statement used.
enum Pair {
    Neither,
    Positive(Json),
    Negative(Json),
}

fn take_pair(
    statement: &mut Object,
    positive: &'static str,
    negative: &'static str,
) -> Result<Pair, PolicyError> {
    match (statement.remove(positive), statement.remove(negative)) {
        (Some(_), Some(_)) => Err(PolicyError::ConflictingFields(positive, negative)),
        (Some(value), None) => Ok(Pair::Positive(value)),
        (None, Some(value)) => Ok(Pair::Negative(value)),
        (None, None) => Ok(Pair::Neither),
    }
}

fn parse_statement(mut statement: Object, kind: PolicyKind) -> Result<Statement, PolicyError> {
    reject_unknown_fields(&statement, &STATEMENT_FIELDS, "Statement")?;
    let sid = statement.remove("Sid").map(parse_sid).transpose()?;
    let effect = match statement.remove("Effect") {
        Some(Json::String(effect)) => match effect.as_str() {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            other => return Err(PolicyError::InvalidEffect(excerpt(other))),
        },
        Some(_) => {
            return Err(PolicyError::WrongType {
                field: "Effect",
                expected: "a string",
            });
        }
        None => return Err(PolicyError::MissingField("Effect")),
    };

    let principal = match (
        kind,
        take_pair(&mut statement, "Principal", "NotPrincipal")?,
    ) {
        (PolicyKind::Trust, Pair::Neither) => return Err(PolicyError::MissingField("Principal")),
        (PolicyKind::Trust, Pair::Positive(value)) => {
            Some(PrincipalClause::Principal(parse_principal(value)?))
        }
        (PolicyKind::Trust, Pair::Negative(value)) => {
            Some(PrincipalClause::NotPrincipal(parse_principal(value)?))
        }
        (PolicyKind::Identity | PolicyKind::Session, Pair::Neither) => None,
        (PolicyKind::Identity | PolicyKind::Session, Pair::Positive(_) | Pair::Negative(_)) => {
            return Err(PolicyError::PrincipalNotAllowed);
        }
    };

    let action = match take_pair(&mut statement, "Action", "NotAction")? {
        Pair::Positive(value) => ActionClause::Action(parse_actions(value, "Action", kind)?),
        Pair::Negative(value) => ActionClause::NotAction(parse_actions(value, "NotAction", kind)?),
        Pair::Neither => return Err(PolicyError::MissingField("Action")),
    };

    let resource = match (kind, take_pair(&mut statement, "Resource", "NotResource")?) {
        (PolicyKind::Trust, Pair::Neither) => None,
        (PolicyKind::Trust, Pair::Positive(_)) => {
            return Err(PolicyError::ProhibitedField("Resource"));
        }
        (PolicyKind::Trust, Pair::Negative(_)) => {
            return Err(PolicyError::ProhibitedField("NotResource"));
        }
        (PolicyKind::Identity | PolicyKind::Session, Pair::Neither) => {
            return Err(PolicyError::MissingField("Resource"));
        }
        (PolicyKind::Identity | PolicyKind::Session, Pair::Positive(value)) => Some(
            ResourceClause::Resource(parse_resources(value, "Resource")?),
        ),
        (PolicyKind::Identity | PolicyKind::Session, Pair::Negative(value)) => Some(
            ResourceClause::NotResource(parse_resources(value, "NotResource")?),
        ),
    };

    let condition = match statement.remove("Condition") {
        Some(value) => parse_condition(value)?,
        None => Vec::new(),
    };

    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        condition,
    })
}

fn parse_sid(value: Json) -> Result<String, PolicyError> {
    match value {
        Json::String(sid) if sid.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(sid),
        Json::String(_) => Err(PolicyError::InvalidSid),
        _ => Err(PolicyError::WrongType {
            field: "Sid",
            expected: "a string",
        }),
    }
}

/// Sids label statements in logs and decisions, so two statements may not share one. An empty
/// Sid labels nothing and is exempt.
fn check_unique_sids(statements: &[Statement]) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for sid in statements.iter().filter_map(|s| s.sid.as_deref()) {
        if !sid.is_empty() && !seen.insert(sid) {
            return Err(PolicyError::DuplicateSid(excerpt(sid)));
        }
    }
    Ok(())
}

/// A string, or a non-empty array of strings.
fn string_list(value: Json, field: &'static str) -> Result<Vec<String>, PolicyError> {
    let wrong_type = PolicyError::WrongType {
        field,
        expected: STRING_OR_LIST,
    };
    match value {
        Json::String(s) => Ok(vec![s]),
        Json::Array(items) if items.is_empty() => Err(PolicyError::EmptyList(field)),
        Json::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Json::String(s) => Ok(s),
                _ => Err(wrong_type.clone()),
            })
            .collect(),
        _ => Err(wrong_type),
    }
}

fn parse_principal(value: Json) -> Result<PrincipalSpec, PolicyError> {
    let entries = match value {
        Json::String(s) if s == "*" => return Ok(PrincipalSpec::Anyone),
        Json::String(s) => return Err(PolicyError::InvalidPrincipal(excerpt(&s))),
        Json::Object(entries) => entries,
        _ => {
            return Err(PolicyError::WrongType {
                field: "Principal",
                expected: "\"*\" or an object",
            });
        }
    };
    if entries.is_empty() {
        return Err(PolicyError::EmptyList("Principal"));
    }
    let mut spec = BTreeMap::new();
    for (name, ids) in entries {
        let kind = PrincipalKind::from_name(&name)
            .ok_or_else(|| PolicyError::UnknownPrincipalKind(excerpt(&name)))?;
        let ids = string_list(ids, "Principal")?;
        if let Some(bad) = ids.iter().find(|id| !is_valid_principal_id(kind, id)) {
            return Err(PolicyError::InvalidPrincipal(excerpt(bad)));
        }
        spec.insert(kind, ids);
    }
    Ok(PrincipalSpec::Entries(spec))
}

/// Shape checks only; whether the entity exists is not the parser's business.
///
/// IAM refuses partial wildcards in principals (only a whole `"*"` is allowed), so `*` and `?`
/// elsewhere are refused: a principal `arn:aws:iam::*:root` must not look like it matches.
fn is_valid_principal_id(kind: PrincipalKind, id: &str) -> bool {
    if id == "*" {
        return true;
    }
    if id.is_empty() || id.contains(['*', '?']) || id.chars().any(char::is_control) {
        return false;
    }
    match kind {
        // Account id, ARN, or the unique id (AIDA…/AROA…) IAM shows once the named entity has
        // been deleted; a policy read back from IAM can contain those.
        PrincipalKind::Aws => {
            is_account_id(id)
                || looks_like_arn(id)
                || (id.len() >= 16
                    && id.starts_with('A')
                    && id
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        }
        // Provider ARN, or a built-in web identity provider host such as accounts.google.com.
        PrincipalKind::Federated => looks_like_arn(id) || is_host_name(id),
        PrincipalKind::Service => is_host_name(id),
        PrincipalKind::CanonicalUser => id.chars().all(|c| c.is_ascii_alphanumeric()),
    }
}

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())
}

/// `arn:partition:service:region:account:resource` has at least five colons.
fn looks_like_arn(text: &str) -> bool {
    text.starts_with("arn:") && text.matches(':').count() >= 5
}

fn is_host_name(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn parse_actions(
    value: Json,
    field: &'static str,
    kind: PolicyKind,
) -> Result<Vec<ActionPattern>, PolicyError> {
    let patterns = string_list(value, field)?
        .iter()
        .map(|text| parse_action(text))
        .collect::<Result<Vec<_>, _>>()?;
    if kind == PolicyKind::Trust
        && let Some(bad) = patterns.iter().find(|p| !is_trust_action(p))
    {
        return Err(PolicyError::TrustActionNotAllowed(excerpt(
            &bad.to_string(),
        )));
    }
    Ok(patterns)
}

/// `*` or `service:NameGlob`. The service prefix is letters, digits and `-` (no wildcards) and
/// is stored lowercase, since IAM compares it case-insensitively; the name is letters, digits
/// and the wildcards `*`/`?`.
fn parse_action(text: &str) -> Result<ActionPattern, PolicyError> {
    if text == "*" {
        return Ok(ActionPattern::Any);
    }
    let invalid = || PolicyError::InvalidAction(excerpt(text));
    let (service, name) = text.split_once(':').ok_or_else(invalid)?;
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
    if !service_ok || !name_ok {
        return Err(invalid());
    }
    Ok(ActionPattern::Service {
        service: service.to_ascii_lowercase(),
        name: name.to_owned(),
    })
}

/// A trust policy can only ever be asked about the role-assumption actions, so any other
/// action is a mistake (most likely an identity policy pasted in the wrong place). A wildcard
/// pattern is accepted if it covers at least one of them.
fn is_trust_action(pattern: &ActionPattern) -> bool {
    match pattern {
        ActionPattern::Any => true,
        ActionPattern::Service { service, .. } => {
            service == "sts"
                && TRUST_POLICY_ACTIONS
                    .iter()
                    .any(|action| pattern.matches(action))
        }
    }
}

fn parse_resources(value: Json, field: &'static str) -> Result<Vec<ResourcePattern>, PolicyError> {
    string_list(value, field)?
        .into_iter()
        .map(|text| {
            if text == "*" {
                Ok(ResourcePattern::Any)
            } else if looks_like_arn(&text) && !text.chars().any(char::is_control) {
                Ok(ResourcePattern::Arn(text))
            } else {
                Err(PolicyError::InvalidResource(excerpt(&text)))
            }
        })
        .collect()
}

fn parse_condition(value: Json) -> Result<Vec<ConditionBlock>, PolicyError> {
    let Json::Object(operators) = value else {
        return Err(PolicyError::WrongType {
            field: "Condition",
            expected: "an object",
        });
    };
    operators
        .into_iter()
        .map(|(name, body)| {
            let operator = ConditionOperator::from_name(&name)
                .ok_or_else(|| PolicyError::UnknownConditionOperator(excerpt(&name)))?;
            let entries = parse_condition_entries(body)?;
            Ok(ConditionBlock { operator, entries })
        })
        .collect()
}

fn parse_condition_entries(body: Json) -> Result<Vec<ConditionEntry>, PolicyError> {
    let Json::Object(keys) = body else {
        return Err(PolicyError::WrongType {
            field: "Condition operator",
            expected: "an object of condition keys",
        });
    };
    if keys.is_empty() {
        return Err(PolicyError::EmptyList("Condition operator"));
    }
    let mut seen = HashSet::new();
    keys.into_iter()
        .map(|(key, values)| {
            if !is_valid_condition_key(&key) {
                return Err(PolicyError::InvalidConditionKey(excerpt(&key)));
            }
            let key = ConditionKey::new(key);
            if !seen.insert(key.lowercase().to_owned()) {
                return Err(PolicyError::DuplicateConditionKey(excerpt(key.as_str())));
            }
            Ok(ConditionEntry {
                key,
                values: parse_condition_values(values)?,
            })
        })
        .collect()
}

/// `vendor:name`, e.g. `aws:SourceIp`, `saml:aud`, `accounts.google.com:sub`,
/// `aws:PrincipalTag/team`.
fn is_valid_condition_key(key: &str) -> bool {
    key.split_once(':').is_some_and(|(vendor, name)| {
        !vendor.is_empty() && !name.is_empty() && !key.chars().any(char::is_control)
    })
}

fn parse_condition_values(value: Json) -> Result<Vec<ConditionValue>, PolicyError> {
    match value {
        Json::Array(items) if items.is_empty() => Err(PolicyError::EmptyList("Condition value")),
        Json::Array(items) => items.into_iter().map(condition_scalar).collect(),
        scalar => Ok(vec![condition_scalar(scalar)?]),
    }
}

fn condition_scalar(value: Json) -> Result<ConditionValue, PolicyError> {
    match value {
        Json::String(s) => Ok(ConditionValue::String(s)),
        Json::Number(n) => Ok(ConditionValue::Number(n)),
        Json::Bool(b) => Ok(ConditionValue::Bool(b)),
        Json::Null | Json::Array(_) | Json::Object(_) => Err(PolicyError::WrongType {
            field: "Condition value",
            expected: "a string, number or boolean, or a non-empty array of them",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::model::{BaseOperator, SetQualifier};
    use proptest::prelude::*;

    const ADMIN: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    const S3_READ: &str = r#"{
        "Version": "2012-10-17",
        "Id": "S3ReadOnly",
        "Statement": [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::logs"]
            },
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": "arn:aws:s3:::reports/${aws:username}/*",
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}
            },
            {
                "Effect": "Deny",
                "NotAction": "s3:Get*",
                "NotResource": "arn:aws:s3:::reports/*"
            }
        ]
    }"#;

    const SAML_TRUST: &str = r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/corp"},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
        }
    }"#;

    const OIDC_TRUST: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Google",
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"},
                "StringLike": {"accounts.google.com:sub": "1098*"},
                "ForAnyValue:StringEquals": {"accounts.google.com:amr": ["authenticated", "mfa"]}
            }
        }]
    }"#;

    const ASSUME_ROLE_TRUST: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admins",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/admin"]},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "StringEqualsIfExists": {"sts:ExternalId": "ext-42"},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600}
                }
            },
            {
                "Sid": "NobodyElse",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/admin"},
                "NotAction": ["sts:TagSession", "sts:Set*"]
            }
        ]
    }"#;

    fn identity(text: &str) -> Result<Policy, PolicyError> {
        parse_policy(text, PolicyKind::Identity)
    }

    fn trust(text: &str) -> Result<Policy, PolicyError> {
        parse_policy(text, PolicyKind::Trust)
    }

    /// A one-statement identity policy with `statement` as the statement body.
    fn identity_statement(statement: &str) -> Result<Policy, PolicyError> {
        identity(&format!(
            r#"{{"Version":"2012-10-17","Statement":{statement}}}"#
        ))
    }

    /// A one-statement trust policy with `statement` as the statement body.
    fn trust_statement(statement: &str) -> Result<Policy, PolicyError> {
        trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":{statement}}}"#
        ))
    }

    fn assert_round_trips(policy: &Policy, kind: PolicyKind) {
        let json = policy.to_canonical_json().unwrap();
        let again = parse_policy(&json, kind).unwrap();
        assert_eq!(&again, policy, "{json}");
        assert_eq!(again.to_canonical_json().unwrap(), json);
    }

    // ---- accepted documents ------------------------------------------------------------

    #[test]
    fn admin_policy() {
        let policy = identity(ADMIN).unwrap();
        assert_eq!(policy.version, PolicyVersion::V2012_10_17);
        assert_eq!(policy.id, None);
        let [statement] = policy.statements.as_slice() else {
            panic!("one statement expected")
        };
        assert_eq!(statement.effect, Effect::Allow);
        assert_eq!(statement.principal, None);
        assert_eq!(
            statement.action,
            ActionClause::Action(vec![ActionPattern::Any])
        );
        assert_eq!(
            statement.resource,
            Some(ResourceClause::Resource(vec![ResourcePattern::Any]))
        );
        assert!(statement.condition.is_empty());
        // The admin policy is already in canonical form, so it serialises to itself.
        assert_eq!(policy.to_canonical_json().unwrap(), ADMIN);
        // Session policies have the same shape.
        assert_eq!(parse_policy(ADMIN, PolicyKind::Session).unwrap(), policy);
    }

    #[test]
    fn s3_read_policy_with_lists() {
        let policy = identity(S3_READ).unwrap();
        assert_eq!(policy.id.as_deref(), Some("S3ReadOnly"));
        assert_eq!(policy.statements.len(), 3);
        let list = &policy.statements[0];
        assert_eq!(list.sid.as_deref(), Some("ListBuckets"));
        assert_eq!(list.action.patterns().len(), 2);
        assert!(list.action.patterns()[0].matches("s3:listbucket"));
        let read = &policy.statements[1];
        assert_eq!(
            read.resource,
            Some(ResourceClause::Resource(vec![ResourcePattern::Arn(
                "arn:aws:s3:::reports/${aws:username}/*".into()
            )]))
        );
        let [block] = read.condition.as_slice() else {
            panic!("one condition block expected")
        };
        assert_eq!(block.operator.base, BaseOperator::IpAddress);
        assert_eq!(block.entries[0].values.len(), 2);
        let deny = &policy.statements[2];
        assert_eq!(deny.effect, Effect::Deny);
        assert!(deny.action.is_negated());
        assert!(
            deny.resource
                .as_ref()
                .is_some_and(ResourceClause::is_negated)
        );
        assert_round_trips(&policy, PolicyKind::Identity);
    }

    #[test]
    fn saml_trust_policy() {
        let policy = trust(SAML_TRUST).unwrap();
        let statement = &policy.statements[0];
        let Some(PrincipalClause::Principal(PrincipalSpec::Entries(entries))) =
            &statement.principal
        else {
            panic!("principal map expected")
        };
        assert_eq!(
            entries.get(&PrincipalKind::Federated).map(Vec::as_slice),
            Some(["arn:aws:iam::123456789012:saml-provider/corp".to_owned()].as_slice())
        );
        assert!(statement.action.patterns()[0].matches("sts:AssumeRoleWithSAML"));
        assert!(!statement.action.patterns()[0].matches("sts:AssumeRole"));
        let entry = &statement.condition[0].entries[0];
        assert_eq!(entry.key.as_str(), "SAML:aud");
        assert_eq!(entry.key.lowercase(), "saml:aud");
        assert_eq!(
            entry.values,
            vec![ConditionValue::String(
                "https://signin.aws.amazon.com/saml".into()
            )]
        );
        assert_round_trips(&policy, PolicyKind::Trust);
    }

    #[test]
    fn oidc_trust_policy() {
        let policy = trust(OIDC_TRUST).unwrap();
        let statement = &policy.statements[0];
        let operators: Vec<String> = statement
            .condition
            .iter()
            .map(|block| block.operator.to_string())
            .collect();
        // Blocks come out in canonical (sorted) order, not document order.
        assert_eq!(
            operators,
            ["ForAnyValue:StringEquals", "StringEquals", "StringLike"]
        );
        let any = &statement.condition[0].operator;
        assert_eq!(any.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(any.base, BaseOperator::StringEquals);
        assert!(!any.if_exists);
        assert_eq!(
            statement.condition[2].entries[0].key.as_str(),
            "accounts.google.com:sub"
        );
        assert_round_trips(&policy, PolicyKind::Trust);
    }

    #[test]
    fn assume_role_trust_policy() {
        let policy = trust(ASSUME_ROLE_TRUST).unwrap();
        let admins = &policy.statements[0];
        let Some(PrincipalClause::Principal(PrincipalSpec::Entries(entries))) = &admins.principal
        else {
            panic!("principal map expected")
        };
        assert_eq!(entries[&PrincipalKind::Aws].len(), 2);
        let mfa = admins
            .condition
            .iter()
            .find(|block| block.operator.base == BaseOperator::Bool)
            .unwrap();
        assert_eq!(mfa.entries[0].key.lowercase(), "aws:multifactorauthpresent");
        assert_eq!(mfa.entries[0].values[0].as_text(), "true");
        let if_exists = admins
            .condition
            .iter()
            .find(|block| block.operator.if_exists)
            .unwrap();
        assert_eq!(if_exists.operator.base, BaseOperator::StringEquals);
        let age = admins
            .condition
            .iter()
            .find(|block| block.operator.base == BaseOperator::NumericLessThan)
            .unwrap();
        assert_eq!(
            age.entries[0].values,
            vec![ConditionValue::Number(3600.into())]
        );

        let others = &policy.statements[1];
        assert!(
            others
                .principal
                .as_ref()
                .is_some_and(PrincipalClause::is_negated)
        );
        assert!(others.action.is_negated());
        assert_round_trips(&policy, PolicyKind::Trust);
    }

    #[test]
    fn accepts_equivalent_spellings() {
        let anyone =
            trust_statement(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole*"}"#)
                .unwrap();
        assert_eq!(
            anyone.statements[0].principal,
            Some(PrincipalClause::Principal(PrincipalSpec::Anyone))
        );
        // Account id, unique id and service principals; the 2008 version; scalar Statement.
        let mixed = trust(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow",
                "Principal":{"AWS":["123456789012","AROAEXAMPLEID1234567"],"Service":"ec2.amazonaws.com"},
                "Action":"*"}}"#,
        )
        .unwrap();
        assert_eq!(mixed.version, PolicyVersion::V2008_10_17);
        assert_round_trips(&mixed, PolicyKind::Trust);
        // Mixed-case service prefixes are folded; names kept as written.
        let folded =
            identity_statement(r#"{"Effect":"Allow","Action":"S3:getObject","Resource":"*"}"#)
                .unwrap();
        assert_eq!(
            folded.statements[0].action.patterns()[0].to_string(),
            "s3:getObject"
        );
        // Boolean and numeric condition values, an empty Condition, an empty Sid.
        let typed = identity_statement(
            r#"{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*",
                "Condition":{"Bool":{"aws:SecureTransport":true},"Null":{"aws:TokenIssueTime":[false]},
                "NumericGreaterThan":{"s3:max-keys":1.5}}}"#,
        )
        .unwrap();
        assert_round_trips(&typed, PolicyKind::Identity);
        let empty_condition = identity_statement(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}"#,
        )
        .unwrap();
        assert!(empty_condition.statements[0].condition.is_empty());
    }

    // ---- refused documents -------------------------------------------------------------

    #[test]
    fn rejects_oversized_input() {
        let padding = " ".repeat(MAX_POLICY_BYTES);
        let text = format!("{ADMIN}{padding}");
        assert_eq!(
            identity(&text),
            Err(PolicyError::TooLarge { len: text.len() })
        );
        // Exactly at the bound is fine.
        let at_bound = format!("{ADMIN}{}", " ".repeat(MAX_POLICY_BYTES - ADMIN.len()));
        assert!(identity(&at_bound).is_ok());
    }

    #[test]
    fn rejects_non_objects_and_bad_json() {
        assert!(matches!(identity("[]"), Err(PolicyError::WrongType { .. })));
        assert!(matches!(
            identity(r#""x""#),
            Err(PolicyError::WrongType { .. })
        ));
        assert!(matches!(identity(""), Err(PolicyError::Syntax(_))));
        assert!(matches!(identity("{"), Err(PolicyError::Syntax(_))));
        assert!(matches!(
            identity(&format!("{ADMIN},")),
            Err(PolicyError::Syntax(_))
        ));
        assert_eq!(identity(&"[".repeat(50)), Err(PolicyError::TooDeep));
    }

    #[test]
    fn rejects_duplicate_keys_at_every_level() {
        let top = r#"{"Version":"2012-10-17","Version":"2008-10-17","Statement":[]}"#;
        assert!(matches!(
            identity(top),
            Err(PolicyError::DuplicateKey { line: 1, .. })
        ));
        let statement = r#"{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}"#;
        assert!(matches!(
            identity_statement(statement),
            Err(PolicyError::DuplicateKey { .. })
        ));
        let operator = r#"{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:username":"b"}}}"#;
        assert!(matches!(
            identity_statement(operator),
            Err(PolicyError::DuplicateKey { .. })
        ));
        let key = r#"{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}"#;
        assert!(matches!(
            identity_statement(key),
            Err(PolicyError::DuplicateKey { .. })
        ));
        // Condition keys are case-insensitive, so differently-cased spellings collide too.
        let folded = r#"{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}"#;
        assert_eq!(
            identity_statement(folded),
            Err(PolicyError::DuplicateConditionKey("aws:username".into()))
        );
    }

    #[test]
    fn rejects_bad_top_level() {
        let no_version = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(
            identity(no_version),
            Err(PolicyError::MissingField("Version"))
        );
        let old = r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(
            identity(old),
            Err(PolicyError::UnsupportedVersion("2012-10-18".into()))
        );
        let numeric = r#"{"Version":2012,"Statement":[]}"#;
        assert!(matches!(
            identity(numeric),
            Err(PolicyError::WrongType {
                field: "Version",
                ..
            })
        ));
        let empty = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(identity(empty), Err(PolicyError::EmptyList("Statement")));
        let no_statement = r#"{"Version":"2012-10-17"}"#;
        assert_eq!(
            identity(no_statement),
            Err(PolicyError::MissingField("Statement"))
        );
        let scalar = r#"{"Version":"2012-10-17","Statement":"Allow"}"#;
        assert!(matches!(
            identity(scalar),
            Err(PolicyError::WrongType { .. })
        ));
        let extra = r#"{"Version":"2012-10-17","Statement":[],"Comment":"x"}"#;
        assert_eq!(
            identity(extra),
            Err(PolicyError::UnknownField {
                context: "Policy document",
                name: "Comment".into()
            })
        );
    }

    #[test]
    fn rejects_bad_statement_shape() {
        let unknown = r#"{"Effect":"Allow","Action":"*","Resource":"*","effect":"Deny"}"#;
        assert!(matches!(
            identity_statement(unknown),
            Err(PolicyError::UnknownField { .. })
        ));
        let no_effect = r#"{"Action":"*","Resource":"*"}"#;
        assert_eq!(
            identity_statement(no_effect),
            Err(PolicyError::MissingField("Effect"))
        );
        let bad_effect = r#"{"Effect":"allow","Action":"*","Resource":"*"}"#;
        assert!(matches!(
            identity_statement(bad_effect),
            Err(PolicyError::InvalidEffect(_))
        ));
        let no_action = r#"{"Effect":"Allow","Resource":"*"}"#;
        assert_eq!(
            identity_statement(no_action),
            Err(PolicyError::MissingField("Action"))
        );
        let both = r#"{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}"#;
        assert_eq!(
            identity_statement(both),
            Err(PolicyError::ConflictingFields("Action", "NotAction"))
        );
        let empty_actions = r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#;
        assert_eq!(
            identity_statement(empty_actions),
            Err(PolicyError::EmptyList("Action"))
        );
        let nested = r#"{"Effect":"Allow","Action":[["s3:*"]],"Resource":"*"}"#;
        assert!(matches!(
            identity_statement(nested),
            Err(PolicyError::WrongType { .. })
        ));
        for action in [
            "s3",
            "s3:",
            ":GetObject",
            "s*:Get",
            "s3:Get:Object",
            "s3:Get Object",
            "**",
        ] {
            let text = format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"*"}}"#);
            assert!(
                matches!(
                    identity_statement(&text),
                    Err(PolicyError::InvalidAction(_))
                ),
                "{action}"
            );
        }
        for resource in ["bucket", "arn:aws:s3", ""] {
            let text = format!(r#"{{"Effect":"Allow","Action":"*","Resource":"{resource}"}}"#);
            assert!(
                matches!(
                    identity_statement(&text),
                    Err(PolicyError::InvalidResource(_))
                ),
                "{resource}"
            );
        }
    }

    #[test]
    fn rejects_bad_sids() {
        let dashed = r#"{"Sid":"read-only","Effect":"Allow","Action":"*","Resource":"*"}"#;
        assert_eq!(identity_statement(dashed), Err(PolicyError::InvalidSid));
        let numeric = r#"{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}"#;
        assert!(matches!(
            identity_statement(numeric),
            Err(PolicyError::WrongType { .. })
        ));
        let twice = r#"[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},
                        {"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]"#;
        assert_eq!(
            identity_statement(twice),
            Err(PolicyError::DuplicateSid("A".into()))
        );
    }

    #[test]
    fn identity_and_session_policies_refuse_principals() {
        for kind in [PolicyKind::Identity, PolicyKind::Session] {
            for element in ["Principal", "NotPrincipal"] {
                let text = format!(
                    r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","{element}":"*","Action":"*","Resource":"*"}}}}"#
                );
                assert_eq!(
                    parse_policy(&text, kind),
                    Err(PolicyError::PrincipalNotAllowed)
                );
            }
            let no_resource =
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}"#;
            assert_eq!(
                parse_policy(no_resource, kind),
                Err(PolicyError::MissingField("Resource"))
            );
        }
    }

    #[test]
    fn trust_policies_refuse_resources_and_need_principals() {
        let resource =
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}"#;
        assert_eq!(
            trust_statement(resource),
            Err(PolicyError::ProhibitedField("Resource"))
        );
        let not_resource =
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":"*"}"#;
        assert_eq!(
            trust_statement(not_resource),
            Err(PolicyError::ProhibitedField("NotResource"))
        );
        let no_principal = r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#;
        assert_eq!(
            trust_statement(no_principal),
            Err(PolicyError::MissingField("Principal"))
        );
        let both =
            r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}"#;
        assert_eq!(
            trust_statement(both),
            Err(PolicyError::ConflictingFields("Principal", "NotPrincipal"))
        );
    }

    #[test]
    fn trust_policies_refuse_non_sts_actions() {
        for action in [
            "s3:GetObject",
            "sts:GetCallerIdentity",
            "sts:Get*",
            "iam:*",
            "s*s:AssumeRole",
        ] {
            let text = format!(r#"{{"Effect":"Allow","Principal":"*","Action":"{action}"}}"#);
            let result = trust_statement(&text);
            assert!(
                matches!(
                    result,
                    Err(PolicyError::TrustActionNotAllowed(_) | PolicyError::InvalidAction(_))
                ),
                "{action}: {result:?}"
            );
        }
        for action in [
            "*",
            "sts:*",
            "sts:AssumeRole",
            "STS:assumerolewithsaml",
            "sts:Set*",
            "sts:?agSession",
        ] {
            let text = format!(r#"{{"Effect":"Allow","Principal":"*","Action":"{action}"}}"#);
            assert!(trust_statement(&text).is_ok(), "{action}");
        }
    }

    #[test]
    fn rejects_bad_principals() {
        for principal in [
            r#""arn:aws:iam::123456789012:root""#,
            "{}",
            r#"{"aws":"123456789012"}"#,
            r#"{"User":"123456789012"}"#,
            r#"{"AWS":[]}"#,
            r#"{"AWS":"arn:aws:iam::*:root"}"#,
            r#"{"AWS":"12345"}"#,
            r#"{"AWS":""}"#,
            r#"{"Federated":"bad host/name"}"#,
            r#"["*"]"#,
        ] {
            let text = format!(
                r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}"#
            );
            assert!(trust_statement(&text).is_err(), "{principal}");
        }
    }

    #[test]
    fn rejects_bad_conditions() {
        let cases = [
            (
                r#"{"StringEqualz":{"aws:username":"a"}}"#,
                "unknown operator",
            ),
            (r#"{"stringequals":{"aws:username":"a"}}"#, "operator case"),
            (
                r#"{"NullIfExists":{"aws:username":"true"}}"#,
                "NullIfExists",
            ),
            (
                r#"{"ForEveryValue:StringEquals":{"aws:username":"a"}}"#,
                "qualifier",
            ),
            (r#"{"StringEquals":{}}"#, "empty operator"),
            (r#"{"StringEquals":"aws:username"}"#, "operator not object"),
            (r#"{"StringEquals":{"username":"a"}}"#, "key without vendor"),
            (r#"{"StringEquals":{"aws:":"a"}}"#, "key without name"),
            (r#"{"StringEquals":{"aws:username":[]}}"#, "empty values"),
            (r#"{"StringEquals":{"aws:username":null}}"#, "null value"),
            (
                r#"{"StringEquals":{"aws:username":{"a":"b"}}}"#,
                "object value",
            ),
            (
                r#"{"StringEquals":{"aws:username":[["a"]]}}"#,
                "nested value",
            ),
            (r#"["StringEquals"]"#, "condition not object"),
        ];
        for (condition, why) in cases {
            let text = format!(
                r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}"#
            );
            assert!(identity_statement(&text).is_err(), "{why}");
        }
        let unknown = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"aws:username":"a"}}}"#;
        assert_eq!(
            identity_statement(unknown),
            Err(PolicyError::UnknownConditionOperator(
                "StringMatches".into()
            ))
        );
    }

    // ---- properties --------------------------------------------------------------------

    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\"",
        "\"Version\"",
        "\"2012-10-17\"",
        "\"Id\"",
        "\"Statement\"",
        "\"Sid\"",
        "\"Effect\"",
        "\"Allow\"",
        "\"Deny\"",
        "\"Action\"",
        "\"NotAction\"",
        "\"*\"",
        "\"sts:AssumeRole\"",
        "\"s3:Get*\"",
        "\"Resource\"",
        "\"arn:aws:s3:::b/*\"",
        "\"Principal\"",
        "\"NotPrincipal\"",
        "\"AWS\"",
        "\"Federated\"",
        "\"123456789012\"",
        "\"Condition\"",
        "\"StringEquals\"",
        "\"ForAnyValue:StringLike\"",
        "\"BoolIfExists\"",
        "\"aws:username\"",
        "\"AWS:UserName\"",
        "1",
        "-0",
        "1e400",
        "2.5",
        "true",
        "null",
        "\"\\u0000\"",
        "\"\\ud800\"",
    ];

    fn any_kind() -> impl Strategy<Value = PolicyKind> {
        prop_oneof![
            Just(PolicyKind::Identity),
            Just(PolicyKind::Trust),
            Just(PolicyKind::Session),
        ]
    }

    /// Whatever comes out of a successful parse survives a canonical round trip.
    fn check_round_trip(text: &str, kind: PolicyKind) -> Result<(), TestCaseError> {
        if let Ok(policy) = parse_policy(text, kind) {
            let json = policy
                .to_canonical_json()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parse_policy(&json, kind), Ok(policy));
        }
        Ok(())
    }

    /// Valid policy text assembled from known-good parts, with the statement keys in random
    /// order and random single-vs-array spelling.
    fn valid_statement() -> impl Strategy<Value = String> {
        let actions = prop::collection::vec(
            prop::sample::select(vec![
                "*",
                "s3:GetObject",
                "s3:List*",
                "ec2:Describe?nstances",
            ]),
            1..4,
        );
        let resources = prop::collection::vec(
            prop::sample::select(vec![
                "*",
                "arn:aws:s3:::bucket",
                "arn:aws:s3:::bucket/${aws:username}/*",
            ]),
            1..3,
        );
        let value = prop_oneof![
            "[a-z0-9/*]{0,6}".prop_map(|s| format!("\"{s}\"")),
            any::<i32>().prop_map(|n| n.to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
        ];
        let condition = prop::collection::vec(
            (
                prop::sample::select(BaseOperator::ALL.to_vec()),
                any::<bool>(),
                prop::sample::select(vec!["", "ForAllValues:", "ForAnyValue:"]),
                prop::sample::select(vec![
                    "aws:username",
                    "aws:SourceIp",
                    "saml:aud",
                    "aws:PrincipalTag/team",
                ]),
                prop::collection::vec(value, 1..3),
            ),
            0..4,
        );
        (actions, resources, condition, any::<bool>(), "[A-Za-z0-9]{0,4}").prop_map(
            |(actions, resources, condition, deny, sid)| {
                let list = |items: &[&str]| {
                    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
                    if quoted.len() == 1 { quoted.concat() } else { format!("[{}]", quoted.join(",")) }
                };
                let mut blocks = BTreeMap::new();
                for (base, if_exists, qualifier, key, values) in condition {
                    let suffix = if if_exists && base != BaseOperator::Null { "IfExists" } else { "" };
                    let name = format!("{qualifier}{}{suffix}", base.name());
                    blocks
                        .entry(name)
                        .or_insert_with(BTreeMap::new)
                        .insert(key, format!("[{}]", values.join(",")));
                }
                let blocks: Vec<String> = blocks
                    .into_iter()
                    .map(|(op, keys)| {
                        let keys: Vec<String> =
                            keys.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                        format!("\"{op}\":{{{}}}", keys.join(","))
                    })
                    .collect();
                format!(
                    r#"{{"Condition":{{{}}},"Resource":{},"Sid":"{sid}","Action":{},"Effect":"{}"}}"#,
                    blocks.join(","),
                    list(&resources),
                    list(&actions),
                    if deny { "Deny" } else { "Allow" },
                )
            },
        )
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in any::<String>(), kind in any_kind()) {
            let _ = parse_policy(&text, kind);
        }

        #[test]
        fn never_panics_on_json_like_text(
            tokens in prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..48),
            kind in any_kind(),
        ) {
            let text = tokens.concat();
            check_round_trip(&text, kind)?;
            // The same tokens as the body of a well-formed envelope reach the grammar stage.
            let wrapped = format!(r#"{{"Version":"2012-10-17","Statement":{{{text}}}}}"#);
            check_round_trip(&wrapped, kind)?;
        }

        #[test]
        fn generated_identity_policies_parse_and_round_trip(
            statements in prop::collection::vec(valid_statement(), 1..4),
        ) {
            // Generated Sids may repeat; number them apart so the policy stays valid.
            let statements: Vec<String> = statements
                .iter()
                .enumerate()
                .map(|(i, s)| s.replacen(r#""Sid":""#, &format!(r#""Sid":"S{i}"#), 1))
                .collect();
            let text = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
            let policy = parse_policy(&text, PolicyKind::Identity);
            prop_assert!(policy.is_ok(), "{}: {:?}", text, policy);
            check_round_trip(&text, PolicyKind::Identity)?;
        }
    }
}
