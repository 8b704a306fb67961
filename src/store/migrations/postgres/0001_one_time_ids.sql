-- One-time identifiers (SAML assertion IDs, and later other single-use values).
-- A row means "this (namespace, id) has been used and stays used until expires_at".
-- Times are integer milliseconds since the Unix epoch, UTC, as in the SQLite schema.
-- Keys compare byte for byte (COLLATE "C"), whatever the database's default collation.
CREATE TABLE one_time_ids (
    namespace  TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT           NOT NULL,
    PRIMARY KEY (namespace, id)
);

-- purge_expired deletes by expiry; without this index every purge scans the table.
CREATE INDEX one_time_ids_expires_at ON one_time_ids (expires_at);
