//! Revoked sessions, as every replica sees them: the store's revocation records, cached in
//! memory and refreshed in the background (every few seconds), so checking a signed request
//! costs a read lock and a short scan, never a database query.

use std::sync::{PoisonError, RwLock};

use chrono::{DateTime, Utc};

use crate::seal::{SessionClaims, SessionPrincipal};
use crate::store::{Revocation, RevocationTarget};

/// The cached revocations.
#[derive(Debug, Default)]
pub struct RevocationList {
    records: RwLock<Vec<Revocation>>,
}

impl RevocationList {
    pub fn replace(&self, records: Vec<Revocation>) {
        *self.records.write().unwrap_or_else(PoisonError::into_inner) = records;
    }

    /// Whether an IdP sign-in is cut off: a subject or provider revocation made after the
    /// IdP issued the token (`iat`). An ID token stolen before an offboarding cannot be
    /// swapped for fresh credentials; a sign-in after it can. Undated tokens are refused
    /// while such a record exists (fail closed).
    pub fn refuses_sign_in(
        &self,
        provider_arn: &str,
        subject: &str,
        signed_in_at: Option<DateTime<Utc>>,
    ) -> bool {
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        records.iter().any(|r| {
            let names = match &r.target {
                RevocationTarget::Subject {
                    provider,
                    subject: s,
                } => provider == provider_arn && s == subject,
                RevocationTarget::Provider(arn) => arn == provider_arn,
                RevocationTarget::AccessKey(_) | RevocationTarget::Role(_) => false,
            };
            names && signed_in_at.is_none_or(|t| t < r.issued_before)
        })
    }

    /// The first record that revokes this session, if any.
    pub fn revoking(&self, claims: &SessionClaims) -> Option<Revocation> {
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        records.iter().find(|r| revokes(r, claims)).cloned()
    }

    pub fn len(&self) -> usize {
        self.records
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether `r` cuts off the session described by `claims`.
pub fn revokes(r: &Revocation, claims: &SessionClaims) -> bool {
    let issued_before = claims.issued_at < r.issued_before;
    // A federated identity's chain counts from its first session: a session chained after the
    // cut-off (on a replica that had not reloaded yet) from one issued before it is cut too.
    let chain_began_before = claims.origin() < r.issued_before;
    match &r.target {
        // A revoked key takes every session chained from it along.
        RevocationTarget::AccessKey(id) => {
            claims.access_key_id.as_str() == id || claims.ancestors.iter().any(|a| a.as_str() == id)
        }
        RevocationTarget::Role(arn) => {
            issued_before
                && matches!(&claims.principal, SessionPrincipal::AssumedRole { role_arn, .. } if role_arn.to_string() == *arn)
        }
        // Sessions issued up to the revocation: a later sign-in (the IdP let the person in
        // again) must not mint credentials that silently fail on first use.
        RevocationTarget::Subject { provider, subject } => {
            chain_began_before
                && claims
                    .federated
                    .as_ref()
                    .is_some_and(|f| f.provider == *provider && f.subject == *subject)
        }
        RevocationTarget::Provider(arn) => {
            chain_began_before
                && claims
                    .federated
                    .as_ref()
                    .is_some_and(|f| f.provider == *arn)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::seal::FederatedIdentity;
    use crate::types::{AccessKeyId, AccessKeyKind, SecretAccessKey};

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn claims(
        role: &str,
        issued: i64,
        federated: Option<(&str, &str)>,
        chain_depth: u8,
    ) -> SessionClaims {
        SessionClaims {
            access_key_id: AccessKeyId::generate(AccessKeyKind::Temporary),
            secret_access_key: SecretAccessKey::generate(),
            issued_at: t(issued),
            expires_at: t(issued + 3600),
            principal: SessionPrincipal::AssumedRole {
                role_arn: role.parse().unwrap(),
                role_id: "AROAX".into(),
                session_name: "s".into(),
            },
            issuer: "x".into(),
            federated: federated.map(|(p, s)| FederatedIdentity {
                provider: p.into(),
                subject: s.into(),
            }),
            source_identity: None,
            session_policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            mfa_authenticated: false,
            mfa_at: None,
            chain_depth,
            ancestors: Vec::new(),
            origin_issued_at: None,
        }
    }

    fn record(target: RevocationTarget, before: i64) -> Revocation {
        Revocation::new(target, t(before), t(before), None)
    }

    #[test]
    fn each_kind_matches_what_it_names() {
        const ROLE: &str = "arn:aws:iam::123456789012:role/ops";
        const IDP: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example.com";
        let old = claims(ROLE, 0, Some((IDP, "alice")), 0);
        let chained = claims(
            "arn:aws:iam::123456789012:role/other",
            5,
            Some((IDP, "alice")),
            1,
        );
        let newer = claims(ROLE, 20, Some((IDP, "bob")), 0);
        let key = record(
            RevocationTarget::AccessKey(old.access_key_id.to_string()),
            10,
        );
        assert!(revokes(&key, &old) && !revokes(&key, &newer));
        let role = record(RevocationTarget::Role(ROLE.into()), 10);
        assert!(revokes(&role, &old) && !revokes(&role, &newer) && !revokes(&role, &chained));
        let subject = record(
            RevocationTarget::Subject {
                provider: IDP.into(),
                subject: "alice".into(),
            },
            10,
        );
        assert!(
            revokes(&subject, &old) && revokes(&subject, &chained),
            "chained sessions carry the subject"
        );
        assert!(!revokes(&subject, &newer));
        let other_idp = record(
            RevocationTarget::Subject {
                provider: "arn:aws:iam::123456789012:saml-provider/corp".into(),
                subject: "alice".into(),
            },
            10,
        );
        assert!(
            !revokes(&other_idp, &old),
            "same subject name at another provider is someone else"
        );
        let provider = record(RevocationTarget::Provider(IDP.into()), 10);
        assert!(
            revokes(&provider, &old) && revokes(&provider, &chained) && !revokes(&provider, &newer)
        );
        let list = RevocationList::default();
        assert!(list.revoking(&old).is_none());
        list.replace(vec![subject]);
        assert!(list.revoking(&old).is_some() && list.revoking(&newer).is_none());
    }

    #[test]
    fn chained_sessions_follow_their_ancestors() {
        const IDP: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example.com";
        let root = claims(
            "arn:aws:iam::123456789012:role/a",
            0,
            Some((IDP, "alice")),
            0,
        );
        // Chained from root after the cut-off at 10 (a replica that had not reloaded yet).
        let mut child = claims(
            "arn:aws:iam::123456789012:role/b",
            15,
            Some((IDP, "alice")),
            1,
        );
        child.ancestors = vec![root.access_key_id.clone()];
        child.origin_issued_at = Some(root.issued_at);
        let mut grandchild = claims("arn:aws:iam::123456789012:role/c", 16, None, 2);
        grandchild.ancestors = vec![root.access_key_id.clone(), child.access_key_id.clone()];
        grandchild.origin_issued_at = Some(root.issued_at);
        let key = record(
            RevocationTarget::AccessKey(root.access_key_id.to_string()),
            10,
        );
        assert!(revokes(&key, &child) && revokes(&key, &grandchild));
        let middle = record(
            RevocationTarget::AccessKey(child.access_key_id.to_string()),
            10,
        );
        assert!(!revokes(&middle, &root) && revokes(&middle, &grandchild));
        let subject = record(
            RevocationTarget::Subject {
                provider: IDP.into(),
                subject: "alice".into(),
            },
            10,
        );
        assert!(
            revokes(&subject, &child),
            "the chain began before the cut-off"
        );
        let mut fresh = claims(
            "arn:aws:iam::123456789012:role/b",
            15,
            Some((IDP, "alice")),
            0,
        );
        fresh.origin_issued_at = None;
        assert!(!revokes(&subject, &fresh), "a sign-in after the cut-off");
    }
}
