-- The audit trail kept in the store (besides the file or stdout sink): one JSON event per
-- decision, never secrets. `subject` and `principal` are copied out for filtering; rows are
-- purged at expires_at (event time + [audit] retention_days). Times are integer milliseconds
-- since the Unix epoch; id orders events written in the same millisecond.
CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    subject    TEXT,
    principal  TEXT,
    event      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_expires_at ON audit_events (expires_at);
