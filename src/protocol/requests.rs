//! The typed, validated parameters of each action. Validation follows the STS model
//! (`shared/reference/sts-api.md` §2); authorisation is the service's job.

use std::net::IpAddr;

use super::constraints::{check_arn, check_duration, check_len, check_name, check_pattern};
use super::error::{ErrorCode, StsError, Violations};
use super::members::{
    checked_session_name, mfa_params, optional_policy, policy_arns, role_arn, role_session_scope,
    tag_set, tags, transitive_tag_keys,
};
use super::params::Params;
use crate::sts::actions::FederationRequest;
use crate::sts::assume_role::AssumeRoleRequest;
use crate::sts::mfa::MfaParams;
use crate::sts::revoke::RevokeRequest;
use crate::sts::saml::SamlRequest;
use crate::sts::web_identity::WebIdentityRequest;
use crate::types::arn::{ARN_MAX_LEN, is_iam_name_char};
use crate::types::{Arn, RoleArn, Secret, SessionName, TagSet};

/// Parameters of AssumeRole (validated; authorisation is the service's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleParams {
    pub role_arn: RoleArn,
    pub role_session_name: SessionName,
    pub duration_seconds: Option<u32>,
    pub policy: Option<String>,
    pub policy_arns: Vec<Arn>,
    /// `Tags` and `TransitiveTagKeys`.
    pub tags: TagSet,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
    pub source_identity: Option<String>,
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
        let tags = tag_set(tags, transitive_tag_keys)?;
        Ok(Self {
            role_arn: role_arn.ok_or_else(StsError::internal)?,
            role_session_name: checked_session_name(session_name)?,
            duration_seconds,
            policy,
            policy_arns,
            tags,
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
    pub role_session_name: SessionName,
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
            role_session_name: checked_session_name(session_name)?,
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
    /// Checked by the service, after its permission check, as AWS orders it.
    pub tags: Vec<(String, String)>,
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
            tags: tags.into_iter().map(|t| (t.key, t.value)).collect(),
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

/// The service's view of each action's parameters: borrowed, typed, with the caller's address.
impl AssumeRoleWithWebIdentityParams {
    pub fn request(&self, source_ip: Option<IpAddr>) -> WebIdentityRequest<'_> {
        WebIdentityRequest {
            role_arn: &self.role_arn,
            role_session_name: &self.role_session_name,
            token: &self.web_identity_token,
            duration_seconds: self.duration_seconds,
            policy: self.policy.as_deref(),
            policy_arns: &self.policy_arns,
            source_ip,
        }
    }
}

impl AssumeRoleWithSamlParams {
    pub fn request(&self, source_ip: Option<IpAddr>) -> SamlRequest<'_> {
        SamlRequest {
            role_arn: &self.role_arn,
            principal_arn: &self.principal_arn,
            assertion: &self.saml_assertion,
            duration_seconds: self.duration_seconds,
            policy: self.policy.as_deref(),
            policy_arns: &self.policy_arns,
            source_ip,
        }
    }
}

impl AssumeRoleParams {
    pub fn request(&self, source_ip: Option<IpAddr>) -> AssumeRoleRequest<'_> {
        AssumeRoleRequest {
            role_arn: &self.role_arn,
            role_session_name: &self.role_session_name,
            duration_seconds: self.duration_seconds,
            policy: self.policy.as_deref(),
            policy_arns: &self.policy_arns,
            tags: &self.tags,
            external_id: self.external_id.as_deref(),
            source_identity: self.source_identity.as_deref(),
            mfa_verified_at: None,
            source_ip,
        }
    }

    pub fn mfa(&self) -> MfaParams<'_> {
        MfaParams {
            serial_number: self.serial_number.as_deref(),
            token_code: self.token_code.as_deref(),
        }
    }
}

impl GetSessionTokenParams {
    pub fn mfa(&self) -> MfaParams<'_> {
        MfaParams {
            serial_number: self.serial_number.as_deref(),
            token_code: self.token_code.as_deref(),
        }
    }
}

impl GetFederationTokenParams {
    pub fn request(&self) -> FederationRequest<'_> {
        FederationRequest {
            name: &self.name,
            policy: self.policy.as_deref(),
            policy_arns: &self.policy_arns,
            tags: &self.tags,
            duration_seconds: self.duration_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Params {
        Params::parse(&[s.as_bytes()]).unwrap()
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
        assert_eq!(p.tags.tags()[1], ("cost".into(), "42".into()));
        assert_eq!(p.tags.transitive_keys(), vec!["team".to_owned()]);
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
