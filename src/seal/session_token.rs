//! Session tokens: the sealed, opaque `SessionToken` handed to clients with temporary
//! credentials and sent back in `X-Amz-Security-Token`.
//!
//! Wire form: base64url( version ‖ key id ‖ nonce ‖ AES-256-GCM(claims JSON) ), with the
//! version and key id bound in as associated data. Nothing inside is readable or changeable
//! without a keyring key; expiry is checked against the caller's clock on every open.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{SealError, TokenError};
use super::keyring::{Keyring, Purpose, open_text, seal_text};
use crate::types::{AccessKeyId, AccountId, RoleArn, Secret, SecretAccessKey};

const VERSION: u8 = 1;
const AAD: &[u8] = b"stsbridge-session-token";
/// Tokens are a few hundred bytes to a few KiB (session policy ≤ 2048, 50 tags); anything far
/// larger is not ours and is rejected before decoding.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionPrincipal {
    /// Any AssumeRole* session: `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    AssumedRole {
        role_arn: RoleArn,
        role_id: String,
        session_name: String,
    },
    /// GetFederationToken: `arn:aws:sts::ACCT:federated-user/NAME`.
    FederatedUser { account: AccountId, name: String },
    /// GetSessionToken: the long-term user itself, with temporary keys.
    User {
        account: AccountId,
        name: String,
        user_id: String,
    },
}

impl SessionPrincipal {
    /// The ARN GetCallerIdentity reports. A role's path is dropped, as AWS does.
    pub fn arn(&self) -> String {
        match self {
            Self::AssumedRole {
                role_arn,
                session_name,
                ..
            } => {
                format!(
                    "arn:aws:sts::{}:assumed-role/{}/{session_name}",
                    role_arn.account(),
                    role_arn.name()
                )
            }
            Self::FederatedUser { account, name } => {
                format!("arn:aws:sts::{account}:federated-user/{name}")
            }
            Self::User { account, name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
        }
    }

    /// The `UserId` GetCallerIdentity reports.
    pub fn user_id(&self) -> String {
        match self {
            Self::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
            Self::FederatedUser { account, name } => format!("{account}:{name}"),
            Self::User { user_id, .. } => user_id.clone(),
        }
    }

    pub fn account(&self) -> AccountId {
        match self {
            Self::AssumedRole { role_arn, .. } => role_arn.account(),
            Self::FederatedUser { account, .. } | Self::User { account, .. } => *account,
        }
    }
}

/// Who a federated session stands for: the IAM provider ARN and the subject (OIDC `sub`,
/// SAML NameID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedIdentity {
    pub provider: String,
    pub subject: String,
}

/// Everything a later request signed with the session's keys needs to be verified and
/// authorised, statelessly.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub access_key_id: AccessKeyId,
    #[serde(with = "exposed_secret")]
    pub secret_access_key: SecretAccessKey,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub principal: SessionPrincipal,
    /// Who asked for the session (user ARN, provider ARN or parent session ARN), for audit.
    pub issuer: String,
    /// The federated identity behind the session, kept through role chaining, so a subject's
    /// or a provider's sessions can be revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<FederatedIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Inline session policy, minified JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default)]
    pub mfa_authenticated: bool,
    /// When the MFA code was verified (for `aws:MultiFactorAuthAge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_at: Option<DateTime<Utc>>,
    /// 0 for a session made from long-term keys or a federated token; +1 per role chaining hop.
    #[serde(default)]
    pub chain_depth: u8,
    /// The access keys of the sessions this one was chained from, first to last: revoking any
    /// of them revokes this one too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<AccessKeyId>,
    /// When the first session of the chain was issued (`None`: this one is the first), so a
    /// revocation of "sessions issued before T" also reaches sessions chained from them later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_issued_at: Option<DateTime<Utc>>,
}

impl SessionClaims {
    /// When the chain this session belongs to began.
    pub fn origin(&self) -> DateTime<Utc> {
        self.origin_issued_at.unwrap_or(self.issued_at)
    }
}

impl std::fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClaims")
            .field("access_key_id", &self.access_key_id)
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The secret must survive the sealed round trip, unlike every other serialisation of it.
mod exposed_secret {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::types::SecretAccessKey;

    pub(super) fn serialize<S: Serializer>(key: &SecretAccessKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(key.expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<SecretAccessKey, D::Error> {
        let text = zeroize::Zeroizing::new(String::deserialize(d)?);
        SecretAccessKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Seals claims into a token string.
pub fn seal(keyring: &Keyring, claims: &SessionClaims) -> Result<Secret, SealError> {
    let plain =
        Zeroizing::new(serde_json::to_vec(claims).map_err(|e| SealError::Encode(e.to_string()))?);
    let token = seal_text(keyring, Purpose::SessionToken, AAD, VERSION, &plain)?;
    if token.len() > MAX_TOKEN_LEN {
        return Err(SealError::TokenTooLarge {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    Ok(Secret::new(token))
}

/// Opens a token and checks it has not expired at `now`.
pub fn open(
    keyring: &Keyring,
    token: &str,
    now: DateTime<Utc>,
) -> Result<SessionClaims, TokenError> {
    let plain = open_text(
        keyring,
        Purpose::SessionToken,
        AAD,
        VERSION,
        token,
        MAX_TOKEN_LEN,
    )?;
    // Authenticated but undecodable means a bug or a format change, never an attacker: still
    // just a malformed token to the caller.
    let claims: SessionClaims =
        serde_json::from_slice(&plain).map_err(|_| TokenError::Malformed)?;
    if now >= claims.expires_at {
        return Err(TokenError::Expired(claims.expires_at));
    }
    Ok(claims)
}

/// Claims of an assumed-role session issued at `now`, for the tests of every sealed format.
#[cfg(test)]
pub(crate) fn sample_claims(now: DateTime<Utc>) -> SessionClaims {
    SessionClaims {
        access_key_id: AccessKeyId::generate(crate::types::AccessKeyKind::Temporary),
        secret_access_key: SecretAccessKey::generate(),
        issued_at: now,
        expires_at: now + chrono::TimeDelta::hours(1),
        principal: SessionPrincipal::AssumedRole {
            role_arn: "arn:aws:iam::123456789012:role/team/demo".parse().unwrap(),
            role_id: "AROAEXAMPLE0000000001".into(),
            session_name: "alice".into(),
        },
        issuer: "arn:aws:iam::123456789012:user/admin".into(),
        federated: None,
        source_identity: Some("alice@example.com".into()),
        session_policy: None,
        policy_arns: vec![],
        tags: vec![("team".into(), "blue".into())],
        transitive_tag_keys: vec![],
        mfa_authenticated: true,
        mfa_at: None,
        chain_depth: 0,
        ancestors: Vec::new(),
        origin_issued_at: None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::seal::keyring::KEY_ID_LEN;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn round_trip_and_principal_strings() {
        let ring = Keyring::generate(t0());
        let claims = sample_claims(t0());
        let token = seal(&ring, &claims).unwrap();
        assert!(
            !token.expose().contains("alice"),
            "claims must not be readable"
        );
        let back = open(&ring, token.expose(), t0()).unwrap();
        assert_eq!(back.access_key_id, claims.access_key_id);
        assert_eq!(
            back.secret_access_key.expose(),
            claims.secret_access_key.expose()
        );
        assert_eq!(
            back.principal.arn(),
            "arn:aws:sts::123456789012:assumed-role/demo/alice"
        );
        assert_eq!(back.principal.user_id(), "AROAEXAMPLE0000000001:alice");
        assert_eq!(back.tags, claims.tags);
        assert!(back.mfa_authenticated);
    }

    #[test]
    fn expired_tampered_truncated_and_foreign_tokens_fail() {
        let ring = Keyring::generate(t0());
        let token = seal(&ring, &sample_claims(t0())).unwrap();
        let text = token.expose();
        assert!(matches!(
            open(&ring, text, t0() + TimeDelta::hours(1)),
            Err(TokenError::Expired(_))
        ));
        // Flip one bit in every byte position in turn: all must fail, none may panic.
        let raw = URL_SAFE_NO_PAD.decode(text).unwrap();
        for i in 0..raw.len() {
            let mut t = raw.clone();
            t[i] ^= 0x01;
            let r = open(&ring, &URL_SAFE_NO_PAD.encode(&t), t0());
            assert!(r.is_err(), "bit flip at {i} accepted");
        }
        for cut in [0, 1, 10, 30, text.len() - 1] {
            assert!(open(&ring, &text[..cut], t0()).is_err());
        }
        let other = Keyring::generate(t0());
        assert!(matches!(
            open(&other, text, t0()),
            Err(TokenError::UnknownKey)
        ));
        assert!(matches!(
            open(&ring, "not base64!", t0()),
            Err(TokenError::Malformed)
        ));
        assert!(matches!(
            open(&ring, &"A".repeat(MAX_TOKEN_LEN + 1), t0()),
            Err(TokenError::Malformed)
        ));
    }

    #[test]
    fn a_token_too_large_to_open_is_never_minted() {
        let ring = Keyring::generate(t0());
        let mut claims = sample_claims(t0());
        claims.policy_arns = (0..10)
            .map(|i| format!("arn:aws:iam::123456789012:policy/{i}{}", "p".repeat(2000)))
            .collect();
        assert!(matches!(
            seal(&ring, &claims),
            Err(SealError::TokenTooLarge { .. })
        ));
    }

    #[test]
    fn rotated_ring_opens_old_tokens_and_seals_with_new_key() {
        let ring = Keyring::generate(t0());
        let old_token = seal(&ring, &sample_claims(t0())).unwrap();
        let old_id = ring.key_ids()[0].clone();
        let ring = ring.rotated(t0());
        assert!(
            open(&ring, old_token.expose(), t0()).is_ok(),
            "old key must still open"
        );
        let new_token = seal(&ring, &sample_claims(t0())).unwrap();
        let raw = URL_SAFE_NO_PAD.decode(new_token.expose()).unwrap();
        assert_eq!(hex::encode(&raw[1..=KEY_ID_LEN]), ring.key_ids()[0]);
        assert_ne!(ring.key_ids()[0], old_id);
    }
}
