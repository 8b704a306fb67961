-- Session revocations. A row cuts off the sessions its target names that were issued before
-- issued_before (for an access key: every session with that key). Values are stored as given.
-- Times are integer milliseconds since the Unix epoch, UTC.
--   kind          target                 subject
--   access_key    access key id (ASIA…)  NULL
--   role          role ARN               NULL
--   subject       provider ARN           federated subject (OIDC sub / SAML NameID)
--   provider      provider ARN           NULL
-- id orders revocations created in the same millisecond (newest first = highest id).
CREATE TABLE revocations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT   NOT NULL
                  CHECK (kind IN ('access_key', 'role', 'subject', 'provider')),
    target        TEXT   NOT NULL,
    subject       TEXT,
    issued_before BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    reason        TEXT,
    CHECK ((kind = 'subject') = (subject IS NOT NULL))
);

-- list_revocations filters and purge_expired deletes by expiry.
CREATE INDEX revocations_expires_at ON revocations (expires_at);
