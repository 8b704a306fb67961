//! Session revocations: the backend-independent half (the record, its bounds, and how it maps
//! onto the columns every backend stores).
//!
//! A [`Revocation`] says "sessions matching this target and issued before this instant are no
//! longer honoured". No session outlives [`REVOCATION_LIFETIME`], so a revocation stops
//! mattering that long after it was made and `purge_expired` may then delete it.
//!
//! Storage invariants (all backends): one row per revocation, in the columns of
//! [`RevocationRow`]; times in integer milliseconds since the Unix epoch, with `issued_before`
//! and `expires_at` rounded up (a revocation never covers less, nor ends sooner, than asked) and
//! `created_at` rounded down. Values are stored byte for byte as given.

use chrono::{DateTime, TimeDelta, Utc};

use super::columns::{expiry_millis, now_millis};
use super::error::StoreError;

/// Longest accepted revocation field (each target value, the subject, the reason), in bytes.
pub const MAX_REVOCATION_FIELD_BYTES: usize = 2048;

/// How long a revocation matters: the longest session the bridge issues (36 h).
pub const REVOCATION_LIFETIME: TimeDelta = TimeDelta::hours(36);

/// What a revocation cuts off. Values are stored as given (ARNs, access key ids, provider ARNs,
/// subjects): no case folding, no trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationTarget {
    /// One access key id (ASIA…): every session with that key, whenever issued.
    AccessKey(String),
    /// A role ARN: its sessions issued before `issued_before`.
    Role(String),
    /// A provider ARN and a federated subject (OIDC `sub` / SAML NameID): that subject's
    /// sessions through that provider issued before `issued_before`.
    Subject { provider: String, subject: String },
    /// A provider ARN: all its federated sessions issued before `issued_before`.
    Provider(String),
}

/// One revocation record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub target: RevocationTarget,
    /// Sessions issued strictly before this instant are revoked (for AccessKey: any).
    pub issued_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Until when the record matters: no session lives longer than 36 h, so created_at + 36 h.
    pub expires_at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl Revocation {
    /// A revocation made at `created_at`, mattering for [`REVOCATION_LIFETIME`] from then.
    pub fn new(
        target: RevocationTarget,
        issued_before: DateTime<Utc>,
        created_at: DateTime<Utc>,
        reason: Option<String>,
    ) -> Self {
        Self {
            target,
            issued_before,
            created_at,
            expires_at: created_at
                .checked_add_signed(REVOCATION_LIFETIME)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            reason,
        }
    }
}

const ACCESS_KEY: &str = "access_key";
const ROLE: &str = "role";
const SUBJECT: &str = "subject";
const PROVIDER: &str = "provider";

/// A revocation as stored: `kind` says which [`RevocationTarget`] it is, `target` holds its
/// value (the provider ARN for `subject`), `subject` is set for `subject` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevocationRow {
    pub(crate) kind: String,
    pub(crate) target: String,
    pub(crate) subject: Option<String>,
    pub(crate) issued_before: i64,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) reason: Option<String>,
}

/// The column tuple backends select, in [`RevocationRow`] field order.
pub(crate) type RevocationTuple = (
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    Option<String>,
);

/// Bounds one field: 1 to [`MAX_REVOCATION_FIELD_BYTES`] bytes (0 allowed where `may_be_empty`),
/// no NUL (PostgreSQL `TEXT` cannot hold it; refusing it everywhere keeps backends alike).
fn check_field(value: &str, may_be_empty: bool, what: &'static str) -> Result<(), StoreError> {
    if (value.is_empty() && !may_be_empty)
        || value.len() > MAX_REVOCATION_FIELD_BYTES
        || value.contains('\0')
    {
        return Err(StoreError::InvalidKey(what));
    }
    Ok(())
}

impl TryFrom<&Revocation> for RevocationRow {
    type Error = StoreError;

    /// Checks the bounds and lays the record out as stored.
    fn try_from(r: &Revocation) -> Result<Self, StoreError> {
        const VALUE: &str = "revocation target must be 1 to 2048 bytes without NUL";
        let (kind, target, subject) = match &r.target {
            RevocationTarget::AccessKey(key) => (ACCESS_KEY, key, None),
            RevocationTarget::Role(arn) => (ROLE, arn, None),
            RevocationTarget::Subject { provider, subject } => {
                check_field(
                    subject,
                    false,
                    "revocation subject must be 1 to 2048 bytes without NUL",
                )?;
                (SUBJECT, provider, Some(subject.clone()))
            }
            RevocationTarget::Provider(arn) => (PROVIDER, arn, None),
        };
        check_field(target, false, VALUE)?;
        if let Some(reason) = &r.reason {
            check_field(
                reason,
                true,
                "revocation reason must be at most 2048 bytes without NUL",
            )?;
        }
        Ok(Self {
            kind: kind.to_owned(),
            target: target.clone(),
            subject,
            issued_before: expiry_millis(r.issued_before),
            created_at: now_millis(r.created_at),
            expires_at: expiry_millis(r.expires_at),
            reason: r.reason.clone(),
        })
    }
}

impl From<RevocationTuple> for RevocationRow {
    fn from(
        (kind, target, subject, issued_before, created_at, expires_at, reason): RevocationTuple,
    ) -> Self {
        Self {
            kind,
            target,
            subject,
            issued_before,
            created_at,
            expires_at,
            reason,
        }
    }
}

impl TryFrom<RevocationRow> for Revocation {
    type Error = StoreError;

    /// Reads a stored row back. Fails only on a row no backend writes (unknown kind, a subject
    /// where none belongs, a time out of range): the database was altered from outside.
    fn try_from(row: RevocationRow) -> Result<Self, StoreError> {
        let bad = |what: &str| {
            StoreError::Query(sqlx::Error::Decode(
                format!("unreadable revocation row: {what}").into(),
            ))
        };
        let target = match (row.kind.as_str(), row.subject) {
            (ACCESS_KEY, None) => RevocationTarget::AccessKey(row.target),
            (ROLE, None) => RevocationTarget::Role(row.target),
            (SUBJECT, Some(subject)) => RevocationTarget::Subject {
                provider: row.target,
                subject,
            },
            (PROVIDER, None) => RevocationTarget::Provider(row.target),
            _ => return Err(bad("unknown kind or misplaced subject")),
        };
        let time = |ms: i64| DateTime::from_timestamp_millis(ms).ok_or_else(|| bad("time"));
        Ok(Self {
            target,
            issued_before: time(row.issued_before)?,
            created_at: time(row.created_at)?,
            expires_at: time(row.expires_at)?,
            reason: row.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_700_000_000_000 + ms).unwrap()
    }

    fn revocation(target: RevocationTarget) -> Revocation {
        Revocation::new(target, at(0), at(10), Some("compromised laptop".into()))
    }

    #[test]
    fn new_lasts_thirty_six_hours() {
        let r = revocation(RevocationTarget::Role("arn:aws:iam::1:role/r".into()));
        assert_eq!(r.expires_at - r.created_at, TimeDelta::hours(36));
        let end = Revocation::new(
            RevocationTarget::Role("r".into()),
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::MAX_UTC,
            None,
        );
        assert_eq!(end.expires_at, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn every_kind_round_trips_through_a_row() {
        let targets = [
            RevocationTarget::AccessKey("ASIAEXAMPLE".into()),
            RevocationTarget::Role("arn:aws:iam::1:role/r".into()),
            RevocationTarget::Subject {
                provider: "arn:aws:iam::1:oidc-provider/idp".into(),
                subject: "user@example".into(),
            },
            RevocationTarget::Provider("arn:aws:iam::1:saml-provider/idp".into()),
        ];
        for target in targets {
            let r = revocation(target);
            let row = RevocationRow::try_from(&r).unwrap();
            assert_eq!(Revocation::try_from(row).unwrap(), r);
        }
    }

    #[test]
    fn times_round_outwards() {
        let mut r = revocation(RevocationTarget::AccessKey("ASIA".into()));
        let tick = TimeDelta::microseconds(1);
        r.issued_before = at(5) + tick;
        r.created_at = at(10) + tick;
        r.expires_at = at(20) + tick;
        let row = RevocationRow::try_from(&r).unwrap();
        assert_eq!(row.issued_before, at(6).timestamp_millis());
        assert_eq!(row.created_at, at(10).timestamp_millis());
        assert_eq!(row.expires_at, at(21).timestamp_millis());
    }

    #[test]
    fn fields_are_bounded() {
        let max = "x".repeat(MAX_REVOCATION_FIELD_BYTES);
        let over = "x".repeat(MAX_REVOCATION_FIELD_BYTES + 1);
        let ok = |target: RevocationTarget, reason: Option<&str>| {
            let mut r = revocation(target);
            r.reason = reason.map(str::to_owned);
            RevocationRow::try_from(&r)
        };
        assert!(ok(RevocationTarget::Role(max.clone()), Some(&max)).is_ok());
        assert!(ok(RevocationTarget::Role("r".into()), Some("")).is_ok());
        assert!(ok(RevocationTarget::Role("r".into()), None).is_ok());
        let refused = [
            ok(RevocationTarget::AccessKey(over.clone()), None),
            ok(RevocationTarget::Role(String::new()), None),
            ok(RevocationTarget::Provider("a\0b".into()), None),
            ok(
                RevocationTarget::Subject {
                    provider: "p".into(),
                    subject: over.clone(),
                },
                None,
            ),
            ok(
                RevocationTarget::Subject {
                    provider: "p".into(),
                    subject: String::new(),
                },
                None,
            ),
            ok(RevocationTarget::Role("r".into()), Some(&over)),
            // Bytes, not characters: 1025 two-byte characters are 2050 bytes.
            ok(RevocationTarget::Role("é".repeat(1025)), None),
        ];
        for result in refused {
            assert!(
                matches!(result, Err(StoreError::InvalidKey(_))),
                "{result:?}"
            );
        }
    }

    #[test]
    fn rows_no_backend_writes_are_refused() {
        let good =
            RevocationRow::try_from(&revocation(RevocationTarget::Role("r".into()))).unwrap();
        let unknown = RevocationRow {
            kind: "user".into(),
            ..good.clone()
        };
        let misplaced = RevocationRow {
            subject: Some("s".into()),
            ..good.clone()
        };
        let missing = RevocationRow {
            kind: SUBJECT.into(),
            ..good.clone()
        };
        let out_of_range = RevocationRow {
            expires_at: i64::MAX,
            ..good
        };
        for row in [unknown, misplaced, missing, out_of_range] {
            assert!(Revocation::try_from(row).is_err());
        }
    }
}
