//! Response documents, written through serde structs (quick-xml), never by string pasting:
//! every text node is escaped by the serializer.
//!
//! Success: `<{Action}Response xmlns=…><{Action}Result>…</…><ResponseMetadata><RequestId>…`.
//! The Rust SDK reads only the first child and insists it is the Result, so the order is fixed.
//! Errors: `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/>`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::error::StsError;
use crate::sts::saml::SamlSession;
use crate::sts::session::IssuedSession;
use crate::sts::tokens::FederationToken;
use crate::sts::web_identity::WebIdentitySession;
use crate::types::TemporaryCredentials;

pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// ISO 8601 UTC with `Z`, as STS writes timestamps.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Serialize)]
pub struct GetCallerIdentityResult {
    #[serde(rename = "UserId")]
    pub user_id: String,
    #[serde(rename = "Account")]
    pub account: String,
    #[serde(rename = "Arn")]
    pub arn: String,
}

#[derive(Debug, Serialize)]
pub struct GetAccessKeyInfoResult {
    #[serde(rename = "Account")]
    pub account: String,
}

#[derive(Debug, Serialize)]
pub struct DecodeAuthorizationMessageResult {
    #[serde(rename = "DecodedMessage")]
    pub decoded_message: String,
}

/// stsbridge's RevokeSessions: what was revoked, as `stsbridge revoke --list` shows it.
#[derive(Debug, Serialize)]
pub struct RevokeSessionsResult {
    #[serde(rename = "Revoked")]
    pub revoked: String,
    #[serde(rename = "IssuedBefore")]
    pub issued_before: String,
}

/// `Credentials`: the one document that carries secrets, so its `Debug` is redacted.
#[derive(Serialize)]
pub struct CredentialsXml {
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    pub secret_access_key: String,
    #[serde(rename = "SessionToken")]
    pub session_token: String,
    #[serde(rename = "Expiration")]
    pub expiration: String,
}

impl std::fmt::Debug for CredentialsXml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsXml")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl From<&TemporaryCredentials> for CredentialsXml {
    fn from(c: &TemporaryCredentials) -> Self {
        Self {
            access_key_id: c.access_key_id.to_string(),
            secret_access_key: c.secret_access_key.expose().to_owned(),
            session_token: c.session_token.expose().to_owned(),
            expiration: timestamp(c.expiration),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AssumedRoleUserXml {
    #[serde(rename = "Arn")]
    pub arn: String,
    #[serde(rename = "AssumedRoleId")]
    pub assumed_role_id: String,
}

impl AssumedRoleUserXml {
    pub fn of(session: &IssuedSession) -> Self {
        Self {
            arn: session.assumed_role_arn.clone(),
            assumed_role_id: session.assumed_role_id.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AssumeRoleWithWebIdentityResult {
    #[serde(rename = "Credentials")]
    pub credentials: CredentialsXml,
    #[serde(rename = "SubjectFromWebIdentityToken")]
    pub subject: String,
    #[serde(rename = "AssumedRoleUser")]
    pub assumed_role_user: AssumedRoleUserXml,
    #[serde(rename = "PackedPolicySize")]
    pub packed_policy_size: u32,
    #[serde(rename = "Provider")]
    pub provider: String,
    #[serde(rename = "Audience")]
    pub audience: String,
    #[serde(rename = "SourceIdentity", skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AssumeRoleWithSamlResult {
    #[serde(rename = "Credentials")]
    pub credentials: CredentialsXml,
    #[serde(rename = "AssumedRoleUser")]
    pub assumed_role_user: AssumedRoleUserXml,
    #[serde(rename = "PackedPolicySize")]
    pub packed_policy_size: u32,
    #[serde(rename = "Subject")]
    pub subject: String,
    #[serde(rename = "SubjectType")]
    pub subject_type: String,
    #[serde(rename = "Issuer")]
    pub issuer: String,
    #[serde(rename = "Audience")]
    pub audience: String,
    #[serde(rename = "NameQualifier")]
    pub name_qualifier: String,
    #[serde(rename = "SourceIdentity", skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AssumeRoleResult {
    #[serde(rename = "Credentials")]
    pub credentials: CredentialsXml,
    #[serde(rename = "AssumedRoleUser")]
    pub assumed_role_user: AssumedRoleUserXml,
    #[serde(rename = "PackedPolicySize")]
    pub packed_policy_size: u32,
    #[serde(rename = "SourceIdentity", skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GetSessionTokenResult {
    #[serde(rename = "Credentials")]
    pub credentials: CredentialsXml,
}

#[derive(Debug, Serialize)]
pub struct FederatedUserXml {
    #[serde(rename = "FederatedUserId")]
    pub federated_user_id: String,
    #[serde(rename = "Arn")]
    pub arn: String,
}

#[derive(Debug, Serialize)]
pub struct GetFederationTokenResult {
    #[serde(rename = "Credentials")]
    pub credentials: CredentialsXml,
    #[serde(rename = "FederatedUser")]
    pub federated_user: FederatedUserXml,
    #[serde(rename = "PackedPolicySize")]
    pub packed_policy_size: u32,
}

/// The `<…Result>` element; the variant name is the element name.
/// The service's outcomes as documents.
impl From<WebIdentitySession> for ActionResult {
    fn from(out: WebIdentitySession) -> Self {
        Self::AssumeRoleWithWebIdentityResult(AssumeRoleWithWebIdentityResult {
            credentials: (&out.session.credentials).into(),
            subject: out.subject,
            assumed_role_user: AssumedRoleUserXml::of(&out.session),
            packed_policy_size: out.session.packed_policy_size,
            provider: out.provider,
            audience: out.audience,
            source_identity: out.source_identity,
        })
    }
}

impl From<SamlSession> for ActionResult {
    fn from(out: SamlSession) -> Self {
        Self::AssumeRoleWithSamlResult(AssumeRoleWithSamlResult {
            credentials: (&out.session.credentials).into(),
            assumed_role_user: AssumedRoleUserXml::of(&out.session),
            packed_policy_size: out.session.packed_policy_size,
            subject: out.subject,
            subject_type: out.subject_type,
            issuer: out.issuer,
            audience: out.audience,
            name_qualifier: out.name_qualifier,
            source_identity: out.source_identity,
        })
    }
}

impl From<IssuedSession> for ActionResult {
    fn from(out: IssuedSession) -> Self {
        Self::AssumeRoleResult(AssumeRoleResult {
            credentials: (&out.credentials).into(),
            assumed_role_user: AssumedRoleUserXml::of(&out),
            packed_policy_size: out.packed_policy_size,
            source_identity: out.source_identity,
        })
    }
}

impl From<FederationToken> for ActionResult {
    fn from(out: FederationToken) -> Self {
        Self::GetFederationTokenResult(GetFederationTokenResult {
            credentials: (&out.credentials).into(),
            federated_user: FederatedUserXml {
                federated_user_id: out.federated_user_id,
                arn: out.arn,
            },
            packed_policy_size: out.packed_policy_size,
        })
    }
}

#[derive(Debug, Serialize)]
pub enum ActionResult {
    AssumeRoleResult(AssumeRoleResult),
    GetCallerIdentityResult(GetCallerIdentityResult),
    GetSessionTokenResult(GetSessionTokenResult),
    GetFederationTokenResult(GetFederationTokenResult),
    GetAccessKeyInfoResult(GetAccessKeyInfoResult),
    DecodeAuthorizationMessageResult(DecodeAuthorizationMessageResult),
    RevokeSessionsResult(RevokeSessionsResult),
    AssumeRoleWithWebIdentityResult(AssumeRoleWithWebIdentityResult),
    #[serde(rename = "AssumeRoleWithSAMLResult")]
    AssumeRoleWithSamlResult(AssumeRoleWithSamlResult),
}

impl ActionResult {
    fn response_element(&self) -> &'static str {
        match self {
            Self::AssumeRoleResult(_) => "AssumeRoleResponse",
            Self::GetCallerIdentityResult(_) => "GetCallerIdentityResponse",
            Self::GetSessionTokenResult(_) => "GetSessionTokenResponse",
            Self::GetFederationTokenResult(_) => "GetFederationTokenResponse",
            Self::GetAccessKeyInfoResult(_) => "GetAccessKeyInfoResponse",
            Self::DecodeAuthorizationMessageResult(_) => "DecodeAuthorizationMessageResponse",
            Self::RevokeSessionsResult(_) => "RevokeSessionsResponse",
            Self::AssumeRoleWithWebIdentityResult(_) => "AssumeRoleWithWebIdentityResponse",
            Self::AssumeRoleWithSamlResult(_) => "AssumeRoleWithSAMLResponse",
        }
    }
}

#[derive(Serialize)]
struct SuccessEnvelope<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "$value")]
    result: &'a ActionResult,
    #[serde(rename = "ResponseMetadata")]
    metadata: ResponseMetadata<'a>,
}

#[derive(Serialize)]
struct ResponseMetadata<'a> {
    #[serde(rename = "RequestId")]
    request_id: &'a str,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Error")]
    error: ErrorBody<'a>,
    #[serde(rename = "RequestId")]
    request_id: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "Type")]
    fault: &'static str,
    #[serde(rename = "Code")]
    code: &'static str,
    #[serde(rename = "Message")]
    message: &'a str,
}

/// A fixed, known-good document for the (never expected) case that serialisation fails.
const FALLBACK_ERROR: &str = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>The request processing has failed because of an unknown error.</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";

pub fn render_success(result: &ActionResult, request_id: &str) -> Result<String, StsError> {
    let envelope = SuccessEnvelope {
        xmlns: STS_NAMESPACE,
        result,
        metadata: ResponseMetadata { request_id },
    };
    quick_xml::se::to_string_with_root(result.response_element(), &envelope).map_err(|e| {
        tracing::error!(error = %e, "response serialisation failed");
        StsError::internal()
    })
}

pub fn render_error(error: &StsError, request_id: &str) -> String {
    let envelope = ErrorEnvelope {
        xmlns: STS_NAMESPACE,
        error: ErrorBody {
            fault: error.code.fault(),
            code: error.code.as_str(),
            message: &error.message,
        },
        request_id,
    };
    quick_xml::se::to_string_with_root("ErrorResponse", &envelope)
        .unwrap_or_else(|_| FALLBACK_ERROR.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    #[test]
    fn success_document_shape_and_order() {
        let result = ActionResult::GetCallerIdentityResult(GetCallerIdentityResult {
            user_id: "AIDAEXAMPLE".into(),
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/admin".into(),
        });
        let xml = render_success(&result, "req-1").unwrap();
        assert_eq!(
            xml,
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/admin</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
    }

    #[test]
    fn text_is_escaped() {
        #[derive(serde::Deserialize)]
        struct Doc {
            #[serde(rename = "Error")]
            error: Body,
        }
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(rename = "Message")]
            message: String,
        }
        let original = r#"Value '<&"'>' at 'x'"#;
        let err = StsError::new(ErrorCode::ValidationError, original);
        let xml = render_error(&err, "r<1>");
        // Quotes need no escaping in text nodes; markup characters must be.
        assert!(
            xml.contains(r#"<Message>Value '&lt;&amp;"'&gt;' at 'x'</Message>"#),
            "{xml}"
        );
        assert!(xml.contains("<RequestId>r&lt;1&gt;</RequestId>"), "{xml}");
        assert!(xml.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>ValidationError</Code>"), "{xml}");
        // And a parser reads the original text back.
        let doc: Doc = quick_xml::de::from_str(&xml).unwrap();
        assert_eq!(doc.error.message, original);
    }

    #[test]
    fn timestamps_are_utc_z() {
        let t = DateTime::from_timestamp(1_795_302_334, 0).unwrap();
        assert_eq!(timestamp(t), "2026-11-21T23:05:34Z");
    }
}
