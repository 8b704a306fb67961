//! The STS actions: names, what authentication each needs, and their typed, validated
//! parameters. Validation follows the STS model (`shared/reference/sts-api.md` §2) and reports
//! violations the way AWS does, all at once.

use super::error::{ErrorCode, StsError, Violations};
use super::params::Params;
use crate::sts::revoke::RevokeRequest;
use crate::types::arn::{ARN_MAX_LEN, ARN_MIN_LEN, is_iam_name_char};
use crate::types::tag::{MAX_TAGS, TAG_KEY_MAX, TAG_VALUE_MAX, is_tag_char};
use crate::types::{Arn, RoleArn, Secret};

pub const API_VERSION: &str = "2011-06-15";

/// Every action of the 2011-06-15 API that this server knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AssumeRole,
    AssumeRoleWithSaml,
    AssumeRoleWithWebIdentity,
    GetSessionToken,
    GetFederationToken,
    GetCallerIdentity,
    GetAccessKeyInfo,
    DecodeAuthorizationMessage,
    /// stsbridge's own admin action (not in AWS's API): store a revocation.
    RevokeSessions,
}

/// How a caller must prove who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRequirement {
    /// The federation actions carry their own proof (assertion, ID token); any signature or
    /// stale session token a client attaches is ignored, as AWS does.
    Anonymous,
    /// SigV4 with long-term or temporary keys.
    Signed,
}

impl Action {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "AssumeRole" => Self::AssumeRole,
            "AssumeRoleWithSAML" => Self::AssumeRoleWithSaml,
            "AssumeRoleWithWebIdentity" => Self::AssumeRoleWithWebIdentity,
            "GetSessionToken" => Self::GetSessionToken,
            "GetFederationToken" => Self::GetFederationToken,
            "GetCallerIdentity" => Self::GetCallerIdentity,
            "GetAccessKeyInfo" => Self::GetAccessKeyInfo,
            "DecodeAuthorizationMessage" => Self::DecodeAuthorizationMessage,
            "RevokeSessions" => Self::RevokeSessions,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::AssumeRole => "AssumeRole",
            Self::AssumeRoleWithSaml => "AssumeRoleWithSAML",
            Self::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            Self::GetSessionToken => "GetSessionToken",
            Self::GetFederationToken => "GetFederationToken",
            Self::GetCallerIdentity => "GetCallerIdentity",
            Self::GetAccessKeyInfo => "GetAccessKeyInfo",
            Self::DecodeAuthorizationMessage => "DecodeAuthorizationMessage",
            Self::RevokeSessions => "RevokeSessions",
        }
    }

    pub fn auth(self) -> AuthRequirement {
        match self {
            Self::AssumeRoleWithSaml | Self::AssumeRoleWithWebIdentity => {
                AuthRequirement::Anonymous
            }
            Self::AssumeRole
            | Self::GetSessionToken
            | Self::GetFederationToken
            | Self::GetCallerIdentity
            | Self::GetAccessKeyInfo
            | Self::DecodeAuthorizationMessage
            | Self::RevokeSessions => AuthRequirement::Signed,
        }
    }

    /// Reads `Action` and `Version` and checks the pair exists.
    pub fn from_params(params: &Params) -> Result<Self, StsError> {
        let name = params.get("Action").ok_or_else(|| {
            StsError::new(
                ErrorCode::MissingAction,
                "The request must contain the parameter Action",
            )
        })?;
        let version = params.required("Version")?;
        let action = Self::parse(name);
        match action {
            Some(a) if version == API_VERSION => Ok(a),
            _ => Err(StsError::new(
                ErrorCode::InvalidAction,
                format!(
                    "Could not find operation {} for version {}",
                    echo(name),
                    echo(version)
                ),
            )),
        }
    }
}

/// Names echoed into messages are bounded and stripped of control characters.
fn echo(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// `[\w+=,.@-]*` 2..=64: RoleSessionName, SourceIdentity; 2..=32 for federated user names.
const NAME_PATTERN: &str = r"Member must satisfy regular expression pattern: [\w+=,.@-]*";

fn check_len(
    v: &mut Violations,
    member: &str,
    value: &str,
    min: usize,
    max: usize,
    sensitive: bool,
) -> bool {
    let n = value.chars().count();
    let shown = (!sensitive).then_some(value);
    if n < min {
        v.push(
            member,
            shown,
            &format!("Member must have length greater than or equal to {min}"),
        );
        false
    } else if n > max {
        v.push(
            member,
            shown,
            &format!("Member must have length less than or equal to {max}"),
        );
        false
    } else {
        true
    }
}

fn check_name(v: &mut Violations, member: &str, value: &str, max: usize) {
    if check_len(v, member, value, 2, max, false) && !value.chars().all(is_iam_name_char) {
        v.push(member, Some(value), NAME_PATTERN);
    }
}

fn check_pattern(
    v: &mut Violations,
    member: &str,
    value: &str,
    allowed: impl Fn(char) -> bool,
    pattern: &str,
) {
    if !value.chars().all(allowed) {
        v.push(
            member,
            Some(value),
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        );
    }
}

/// Printable characters of the model's `arnType` pattern.
fn arn_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_arn(v: &mut Violations, member: &str, value: &str) -> bool {
    let ok =
        check_len(v, member, value, ARN_MIN_LEN, ARN_MAX_LEN, false) && value.chars().all(arn_char);
    if !ok && value.chars().count() >= ARN_MIN_LEN {
        v.push(member, Some(value), "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+");
    }
    ok
}

/// Integers are range-checked in i64 first, so `DurationSeconds=99999999999` is a clean
/// validation error, never an overflow.
fn check_duration(
    v: &mut Violations,
    member: &str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Option<u32> {
    let d = value?;
    if d < min {
        v.push(
            member,
            Some(&d.to_string()),
            &format!("Member must have value greater than or equal to {min}"),
        );
        None
    } else if d > max {
        v.push(
            member,
            Some(&d.to_string()),
            &format!("Member must have value less than or equal to {max}"),
        );
        None
    } else {
        u32::try_from(d).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Parameters of AssumeRole (validated; authorisation is the service's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleParams {
    pub role_arn: RoleArn,
    pub role_session_name: String,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<Arn>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
    pub source_identity: Option<String>,
}

/// Reads `PolicyArns.member.N.arn` (at most 10).
fn policy_arns(params: &Params, v: &mut Violations) -> Result<Vec<Arn>, StsError> {
    let rows = params.struct_list("PolicyArns")?.unwrap_or_default();
    if rows.len() > 10 {
        v.push(
            "policyArns",
            None,
            "Member must have length less than or equal to 10",
        );
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let member = format!("policyArns.{}.member.arn", i + 1);
        let text = row.get("arn").map(String::as_str).unwrap_or_default();
        if check_arn(v, &member, text) {
            match text.parse::<Arn>() {
                Ok(arn) => out.push(arn),
                Err(_) => v.push(&member, Some(text), "Member must be a valid ARN"),
            }
        }
    }
    Ok(out)
}

/// Reads `Tags.member.N.Key/Value` (at most 50).
fn tags(params: &Params, v: &mut Violations) -> Result<Vec<Tag>, StsError> {
    let rows = params.struct_list("Tags")?.unwrap_or_default();
    if rows.len() > MAX_TAGS {
        v.push(
            "tags",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let (Some(key), Some(value)) = (row.get("Key"), row.get("Value")) else {
            v.push(
                &format!("tags.{n}.member"),
                None,
                "Member must have both Key and Value",
            );
            continue;
        };
        let key_member = format!("tags.{n}.member.key");
        if check_len(v, &key_member, key, 1, TAG_KEY_MAX, false) {
            check_pattern(
                v,
                &key_member,
                key,
                is_tag_char,
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            );
        }
        let value_member = format!("tags.{n}.member.value");
        if check_len(v, &value_member, value, 0, TAG_VALUE_MAX, false) {
            check_pattern(
                v,
                &value_member,
                value,
                is_tag_char,
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            );
        }
        out.push(Tag {
            key: key.clone(),
            value: value.clone(),
        });
    }
    Ok(out)
}

/// Reads `TransitiveTagKeys.member.N` (at most 50, each a tag key).
fn transitive_tag_keys(params: &Params, v: &mut Violations) -> Result<Vec<String>, StsError> {
    let keys = params.list("TransitiveTagKeys")?.unwrap_or_default();
    if keys.len() > MAX_TAGS {
        v.push(
            "transitiveTagKeys",
            None,
            "Member must have length less than or equal to 50",
        );
    }
    for (i, k) in keys.iter().enumerate() {
        let member = format!("transitiveTagKeys.{}.member", i + 1);
        if check_len(v, &member, k, 1, TAG_KEY_MAX, false) {
            check_pattern(v, &member, k, is_tag_char, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+");
        }
    }
    Ok(keys)
}

/// Semantic tag rules, checked once the syntax is valid (`types::tag::check_tag_set`).
fn check_tag_set(tags: &[Tag], transitive: &[String]) -> Result<(), StsError> {
    let pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    crate::types::tag::check_tag_set(&pairs, transitive)
        .map_err(|e| StsError::new(ErrorCode::InvalidParameterValue, e.to_string()))
}

/// `RoleArn`: the model's `arnType`, and then it must be a role's ARN.
fn role_arn(v: &mut Violations, text: &str) -> Option<RoleArn> {
    if !check_arn(v, "roleArn", text) {
        return None;
    }
    text.parse::<RoleArn>()
        .map_err(|e| {
            v.push(
                "roleArn",
                Some(text),
                &format!("Member must be a role ARN: {e}"),
            );
        })
        .ok()
}

/// Requested duration, inline session policy, session policy ARNs.
type SessionScope = (Option<u32>, Option<String>, Vec<Arn>);

/// `DurationSeconds` (900..=43,200), `Policy` and `PolicyArns`, in the model's order: the part
/// every AssumeRole* action shares. The model sets no maximum for the policy; 2048 characters
/// is the documented plaintext limit, and bounding it here keeps policy parsing bounded later.
fn role_session_scope(params: &Params, v: &mut Violations) -> Result<SessionScope, StsError> {
    let duration_seconds = check_duration(
        v,
        "durationSeconds",
        params.int("DurationSeconds")?,
        900,
        43_200,
    );
    let policy = optional_policy(params, v, 2048);
    let policy_arns = policy_arns(params, v)?;
    Ok((duration_seconds, policy, policy_arns))
}

fn optional_policy(params: &Params, v: &mut Violations, max: usize) -> Option<String> {
    let policy = params.get("Policy")?;
    if check_len(v, "policy", policy, 1, max, false) {
        check_pattern(
            v,
            "policy",
            policy,
            |c| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{FF}'),
            r"[\u0009\u000A\u000D\u0020-\u00FF]+",
        );
    }
    Some(policy.to_owned())
}

impl AssumeRoleParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let role_arn_text = params.required("RoleArn")?;
        let session_name = params.required("RoleSessionName")?;
        let mut v = Violations::default();
        let role_arn = role_arn(&mut v, role_arn_text);
        check_name(&mut v, "roleSessionName", session_name, 64);
        let (duration_seconds, policy, policy_arns) = role_session_scope(params, &mut v)?;
        let tags = tags(params, &mut v)?;
        let transitive_tag_keys = transitive_tag_keys(params, &mut v)?;
        let external_id = params.get("ExternalId").map(str::to_owned);
        if let Some(e) = &external_id
            && check_len(&mut v, "externalId", e, 2, 1224, false)
        {
            check_pattern(
                &mut v,
                "externalId",
                e,
                |c| is_iam_name_char(c) || c == ':' || c == '/',
                r"[\w+=,.@:\/-]*",
            );
        }
        let (serial_number, token_code) = mfa_params(params, &mut v);
        let source_identity = params.get("SourceIdentity").map(str::to_owned);
        if let Some(s) = &source_identity {
            check_name(&mut v, "sourceIdentity", s, 64);
        }
        v.into_result()?;
        check_tag_set(&tags, &transitive_tag_keys)?;
        Ok(Self {
            role_arn: role_arn.ok_or_else(StsError::internal)?,
            role_session_name: session_name.to_owned(),
            duration_seconds,
            policy,
            policy_arns,
            tags,
            transitive_tag_keys,
            external_id,
            serial_number,
            token_code,
            source_identity,
        })
    }
}

/// Parameters of AssumeRoleWithWebIdentity.
#[derive(Debug, Clone)]
pub struct AssumeRoleWithWebIdentityParams {
    pub role_arn: RoleArn,
    pub role_session_name: String,
    /// The ID token; never logged or echoed.
    pub web_identity_token: Secret,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<Arn>,
}

/// The model's `clientTokenType` bounds.
pub const WEB_IDENTITY_TOKEN_MAX: usize = 20_000;

impl AssumeRoleWithWebIdentityParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let role_arn_text = params.required("RoleArn")?;
        let session_name = params.required("RoleSessionName")?;
        let token = params.required("WebIdentityToken")?;
        let mut v = Violations::default();
        let role_arn = role_arn(&mut v, role_arn_text);
        check_name(&mut v, "roleSessionName", session_name, 64);
        // Token files end with a newline that SDKs send verbatim; the bound applies to the token.
        let token = token.trim();
        check_len(
            &mut v,
            "webIdentityToken",
            token,
            4,
            WEB_IDENTITY_TOKEN_MAX,
            true,
        );
        if let Some(provider_id) = params.get("ProviderId") {
            check_len(&mut v, "providerId", provider_id, 4, 2048, false);
        }
        let (duration_seconds, policy, policy_arns) = role_session_scope(params, &mut v)?;
        v.into_result()?;
        // ProviderId selects OAuth 2.0 access tokens (Login with Amazon, Facebook), validated by
        // calling those providers; this bridge accepts OpenID Connect ID tokens only.
        if params.get("ProviderId").is_some() {
            return Err(StsError::new(
                ErrorCode::InvalidParameterValue,
                "ProviderId is for OAuth 2.0 access tokens, which this service does not accept; send an OpenID Connect ID token without ProviderId.",
            ));
        }
        Ok(Self {
            role_arn: role_arn.ok_or_else(StsError::internal)?,
            role_session_name: session_name.to_owned(),
            web_identity_token: Secret::new(token),
            duration_seconds,
            policy,
            policy_arns,
        })
    }
}

/// Parameters of AssumeRoleWithSAML.
#[derive(Debug, Clone)]
pub struct AssumeRoleWithSamlParams {
    pub role_arn: RoleArn,
    /// `arn:aws:iam::<account>:saml-provider/<name>`, as text: the service resolves it.
    pub principal_arn: String,
    /// Base64 of the whole `samlp:Response`; never logged or echoed.
    pub saml_assertion: Secret,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<Arn>,
}

/// The model's `SAMLAssertionType` bounds.
pub const SAML_ASSERTION_MAX: usize = 100_000;

impl AssumeRoleWithSamlParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let role_arn_text = params.required("RoleArn")?;
        let principal_arn = params.required("PrincipalArn")?;
        let assertion = params.required("SAMLAssertion")?;
        let mut v = Violations::default();
        let role_arn = role_arn(&mut v, role_arn_text);
        check_arn(&mut v, "principalArn", principal_arn);
        // Browsers and some clients wrap base64 at 76 columns; the bound applies to the text.
        check_len(
            &mut v,
            "sAMLAssertion",
            assertion,
            4,
            SAML_ASSERTION_MAX,
            true,
        );
        let (duration_seconds, policy, policy_arns) = role_session_scope(params, &mut v)?;
        v.into_result()?;
        Ok(Self {
            role_arn: role_arn.ok_or_else(StsError::internal)?,
            principal_arn: principal_arn.to_owned(),
            saml_assertion: Secret::new(assertion),
            duration_seconds,
            policy,
            policy_arns,
        })
    }
}

/// An optional `SerialNumber` + `TokenCode` pair (checked for shape here, for truth by the service).
fn mfa_params(params: &Params, v: &mut Violations) -> (Option<String>, Option<String>) {
    let serial_number = params.get("SerialNumber").map(str::to_owned);
    if let Some(s) = &serial_number
        && check_len(v, "serialNumber", s, 9, 256, false)
    {
        check_pattern(
            v,
            "serialNumber",
            s,
            |c| is_iam_name_char(c) || c == ':' || c == '/',
            r"[\w+=/:,.@-]*",
        );
    }
    let token_code = params.get("TokenCode").map(str::to_owned);
    if let Some(t) = &token_code
        && check_len(v, "tokenCode", t, 6, 6, true)
        && !t.chars().all(|c| c.is_ascii_digit())
    {
        // One-time codes are never echoed back.
        v.push(
            "tokenCode",
            None,
            r"Member must satisfy regular expression pattern: [\d]*",
        );
    }
    (serial_number, token_code)
}

/// Parameters of GetSessionToken.
#[derive(Debug, Clone)]
pub struct GetSessionTokenParams {
    pub duration_seconds: Option<u32>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

impl GetSessionTokenParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let mut v = Violations::default();
        let duration_seconds = check_duration(
            &mut v,
            "durationSeconds",
            params.int("DurationSeconds")?,
            900,
            129_600,
        );
        let (serial_number, token_code) = mfa_params(params, &mut v);
        v.into_result()?;
        Ok(Self {
            duration_seconds,
            serial_number,
            token_code,
        })
    }
}

/// Parameters of GetFederationToken.
#[derive(Debug, Clone)]
pub struct GetFederationTokenParams {
    pub name: String,
    pub policy: Option<String>,
    pub policy_arns: Vec<Arn>,
    pub tags: Vec<Tag>,
    pub duration_seconds: Option<u32>,
}

impl GetFederationTokenParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let name = params.required("Name")?;
        let mut v = Violations::default();
        check_name(&mut v, "name", name, 32);
        let policy = optional_policy(params, &mut v, 2048);
        let policy_arns = policy_arns(params, &mut v)?;
        let tags = tags(params, &mut v)?;
        let duration_seconds = check_duration(
            &mut v,
            "durationSeconds",
            params.int("DurationSeconds")?,
            900,
            129_600,
        );
        v.into_result()?;
        Ok(Self {
            name: name.to_owned(),
            policy,
            policy_arns,
            tags,
            duration_seconds,
        })
    }
}

/// GetAccessKeyInfo: which account owns a key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAccessKeyInfoParams {
    pub access_key_id: String,
}

impl GetAccessKeyInfoParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let id = params.required("AccessKeyId")?;
        let mut v = Violations::default();
        if check_len(&mut v, "accessKeyId", id, 16, 128, false) {
            check_pattern(
                &mut v,
                "accessKeyId",
                id,
                |c| c.is_ascii_alphanumeric() || c == '_',
                r"[\w]*",
            );
        }
        v.into_result()?;
        Ok(Self {
            access_key_id: id.to_owned(),
        })
    }
}

/// DecodeAuthorizationMessage: the text after "Encoded authorization failure message: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeAuthorizationMessageParams {
    pub encoded_message: String,
}

impl DecodeAuthorizationMessageParams {
    pub fn parse(params: &Params) -> Result<Self, StsError> {
        let message = params.required("EncodedMessage")?;
        let mut v = Violations::default();
        check_len(&mut v, "encodedMessage", message, 1, 10_240, false);
        v.into_result()?;
        Ok(Self {
            encoded_message: message.to_owned(),
        })
    }
}

/// RevokeSessions: exactly one of `AccessKeyId`, `Role`, `Provider` (with or without
/// `Subject`); `IssuedBefore` (`now` or RFC 3339); an optional `Reason`. Which combination is
/// valid is the revocation service's call; here only lengths are checked.
pub fn parse_revoke_sessions(params: &Params) -> Result<RevokeRequest, StsError> {
    let mut v = Violations::default();
    let mut field = |name: &str, wire: &str, max: usize| {
        let value = params.get(wire)?;
        check_len(&mut v, name, value, 1, max, false);
        Some(value.to_owned())
    };
    let parsed = RevokeRequest {
        access_key_id: field("accessKeyId", "AccessKeyId", 128),
        role: field("role", "Role", ARN_MAX_LEN),
        provider: field("provider", "Provider", ARN_MAX_LEN),
        subject: field("subject", "Subject", 255),
        issued_before: field("issuedBefore", "IssuedBefore", 64),
        reason: field("reason", "Reason", 256),
    };
    v.into_result()?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Params {
        Params::parse(&[s.as_bytes()]).unwrap()
    }

    #[test]
    fn action_and_version() {
        assert_eq!(
            Action::from_params(&params("Action=GetCallerIdentity&Version=2011-06-15")),
            Ok(Action::GetCallerIdentity)
        );
        let e = |s: &str| Action::from_params(&params(s)).unwrap_err().code;
        assert_eq!(e("Version=2011-06-15"), ErrorCode::MissingAction);
        assert_eq!(e("Action=GetCallerIdentity"), ErrorCode::MissingParameter);
        assert_eq!(
            e("Action=Explode&Version=2011-06-15"),
            ErrorCode::InvalidAction
        );
        assert_eq!(
            e("Action=GetCallerIdentity&Version=2010-05-08"),
            ErrorCode::InvalidAction
        );
    }

    /// T8 of the wire reference: every list type, as botocore sends them.
    #[test]
    fn assume_role_t8() {
        let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=alice\
            &DurationSeconds=3600&ExternalId=ext-123&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fbob&TokenCode=123456\
            &SourceIdentity=bob&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp1\
            &PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&Policy=%7B%22Version%22%3A%222012-10-17%22%7D\
            &Tags.member.1.Key=team&Tags.member.1.Value=blue&Tags.member.2.Key=cost&Tags.member.2.Value=42\
            &TransitiveTagKeys.member.1=team";
        let p = AssumeRoleParams::parse(&params(body)).unwrap();
        assert_eq!(
            p.role_arn.to_string(),
            "arn:aws:iam::123456789012:role/demo"
        );
        assert_eq!(p.duration_seconds, Some(3600));
        assert_eq!(
            p.policy_arns[1].to_string(),
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        );
        assert_eq!(
            p.tags[1],
            Tag {
                key: "cost".into(),
                value: "42".into()
            }
        );
        assert_eq!(p.transitive_tag_keys, vec!["team".to_owned()]);
        assert_eq!(p.token_code.as_deref(), Some("123456"));
    }

    #[test]
    fn assume_role_violations_are_reported_together() {
        let e = AssumeRoleParams::parse(&params(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=a%3Ab&DurationSeconds=99999999999&TokenCode=12ab56",
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert!(e.message.starts_with("3 validation errors detected: Value 'a:b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"), "{}", e.message);
        assert!(e.message.contains("Value '99999999999' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"));
        assert!(
            e.message.contains("Value at 'tokenCode'"),
            "token codes are not echoed: {}",
            e.message
        );
        let base = "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=abc";
        let dup = AssumeRoleParams::parse(&params(&format!(
            "{base}&Tags.member.1.Key=Team&Tags.member.1.Value=a&Tags.member.2.Key=team&Tags.member.2.Value=b"
        )))
        .unwrap_err();
        assert_eq!(dup.code, ErrorCode::InvalidParameterValue);
        assert!(dup.message.starts_with("Duplicate tag keys"));
        let stray = AssumeRoleParams::parse(&params(&format!(
            "{base}&Tags.member.1.Key=team&Tags.member.1.Value=a&TransitiveTagKeys.member.1=cost"
        )))
        .unwrap_err();
        assert!(
            stray.message.contains("transitive tag key"),
            "{}",
            stray.message
        );
        let bad_key =
            AssumeRoleParams::parse(&params(&format!("{base}&TransitiveTagKeys.member.1=a%0Ab")))
                .unwrap_err();
        assert_eq!(bad_key.code, ErrorCode::ValidationError);
        assert!(
            bad_key.message.contains("'transitiveTagKeys.1.member'"),
            "{}",
            bad_key.message
        );
        let ok = AssumeRoleParams::parse(&params(&format!(
            "{base}&Tags.member.1.Key=Team&Tags.member.1.Value=a&TransitiveTagKeys.member.1=team"
        )));
        assert!(ok.is_ok(), "transitive keys match case-insensitively");
        let missing = AssumeRoleParams::parse(&params("RoleSessionName=abc")).unwrap_err();
        assert_eq!(missing.code, ErrorCode::MissingParameter);
    }
}
