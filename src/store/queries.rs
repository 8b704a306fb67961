//! The SQL both backends run as written: `$N` placeholders (sqlx binds SQLite's `$N` by number
//! too), standard upserts, `DELETE … RETURNING`, `CAST` rather than PostgreSQL's `::`. What
//! cannot be shared (the purges) is each backend's own, in [`super::backend::Backend`].
//!
//! Atomicity comes from single statements: `USE_ONCE` and `RECORD_MFA_ATTEMPT` are upserts
//! that SQLite runs under its database write lock and PostgreSQL under the row's lock (a
//! concurrent inserter of one key waits on the unique index for the first to commit, then
//! re-checks the `WHERE` against the newest version), so the rows-affected count or the
//! returned row says whether this call won; `TAKE_STATE` deletes and returns in one statement.

/// Insert, or take over an expired record; a live record is left alone and counts 0 rows.
pub(super) const USE_ONCE: &str = "INSERT INTO one_time_ids (namespace, id, expires_at)
    VALUES ($1, $2, $3)
    ON CONFLICT (namespace, id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE one_time_ids.expires_at <= $4";

pub(super) const ADD_REVOCATION: &str = "INSERT INTO revocations
    (kind, target, subject, issued_before, created_at, expires_at, reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Live revocations, newest first; `id` (insertion order) breaks ties within a millisecond.
pub(super) const LIST_REVOCATIONS: &str = "SELECT
    kind, target, subject, issued_before, created_at, expires_at, reason
    FROM revocations WHERE expires_at > $1 ORDER BY created_at DESC, id DESC";

pub(super) const PUT_STATE: &str = "INSERT INTO web_state (namespace, id, value, expires_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (namespace, id)
    DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";

pub(super) const GET_STATE: &str =
    "SELECT value FROM web_state WHERE namespace = $1 AND id = $2 AND expires_at > $3";

/// Deleting and returning in one statement makes taking atomic: of two concurrent takers, one
/// gets the row and the other finds nothing.
pub(super) const TAKE_STATE: &str =
    "DELETE FROM web_state WHERE namespace = $1 AND id = $2 RETURNING value, expires_at";

pub(super) const DELETE_STATE: &str = "DELETE FROM web_state WHERE namespace = $1 AND id = $2";

/// The head of one multi-row audit INSERT; the rows follow.
pub(super) const ADD_AUDIT: &str =
    "INSERT INTO audit_events (at, subject, principal, event, expires_at) ";

/// Rows per audit INSERT (5 parameters each, far below either backend's parameter limit).
pub(super) const AUDIT_ROWS_PER_STATEMENT: usize = 256;

/// `CAST` gives PostgreSQL the parameter's type when it is NULL.
pub(super) const LIST_AUDIT: &str = "SELECT event FROM audit_events
    WHERE at >= $1 AND expires_at > $2
        AND (CAST($3 AS TEXT) IS NULL OR subject = $3 OR principal = $3)
    ORDER BY at, id LIMIT $4";

/// One MFA attempt, counted atomically (see the module doc). A new device gets a row; on a row
/// that is not locked, an ended window (or lock) starts over at 1, else the attempt adds one;
/// the attempt reaching the maximum sets the lock. A locked row is left as it is, and no row
/// comes back. Parameters: device, now, max attempts, window end, lock end.
pub(super) const RECORD_MFA_ATTEMPT: &str =
    "INSERT INTO mfa_failures AS f (device, failures, locked_until, expires_at)
    VALUES ($1, 1, CASE WHEN $3 <= 1 THEN $5 ELSE 0 END, CASE WHEN $3 <= 1 THEN $5 ELSE $4 END)
    ON CONFLICT (device) DO UPDATE SET
        failures = (CASE WHEN f.expires_at <= $2 THEN 1 ELSE f.failures + 1 END),
        locked_until = CASE
            WHEN (CASE WHEN f.expires_at <= $2 THEN 1 ELSE f.failures + 1 END) >= $3 THEN $5
            ELSE 0 END,
        expires_at = CASE
            WHEN (CASE WHEN f.expires_at <= $2 THEN 1 ELSE f.failures + 1 END) >= $3 THEN $5
            WHEN f.expires_at <= $2 THEN $4
            ELSE f.expires_at END
    WHERE f.locked_until <= $2
    RETURNING failures";

pub(super) const MFA_LOCKED: &str =
    "SELECT count(*) FROM mfa_failures WHERE device = $1 AND locked_until > $2";

pub(super) const CLEAR_MFA: &str = "DELETE FROM mfa_failures WHERE device = $1";

pub(super) const PING: &str = "SELECT 1";

/// Rows deleted per purge statement, so a large backlog never holds the write lock (SQLite) or
/// many row locks (PostgreSQL) for long.
pub(super) const PURGE_BATCH: i64 = 5_000;
