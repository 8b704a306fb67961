-- Invalid MFA codes per device (its serial number), so that codes cannot be guessed: shared by
-- every replica on the database and kept across restarts. A row counts the attempts of the
-- current window (an attempt is counted before its code is checked; a valid code deletes the
-- row); `locked_until` is 0, or when the lock the last counted attempt set ends.
-- `expires_at` is the end of the window or of the lock: after it the row counts for nothing
-- and is purged. Times are integer milliseconds since the Unix epoch.
CREATE TABLE mfa_failures (
    device       TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX mfa_failures_expires_at ON mfa_failures (expires_at);
