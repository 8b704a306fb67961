-- Invalid MFA codes per device (its serial number), so that codes cannot be guessed: shared by
-- every replica on the database and kept across restarts. A row counts the attempts of the
-- current window (an attempt is counted before its code is checked; a valid code deletes the
-- row); `locked_until` is 0, or when the lock the last counted attempt set ends.
-- `expires_at` is the end of the window or of the lock: after it the row counts for nothing
-- and is purged. Times are integer milliseconds since the Unix epoch, as in the SQLite schema.
CREATE TABLE mfa_failures (
    device       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    failures     BIGINT           NOT NULL,
    locked_until BIGINT           NOT NULL,
    expires_at   BIGINT           NOT NULL
);

CREATE INDEX mfa_failures_expires_at ON mfa_failures (expires_at);
