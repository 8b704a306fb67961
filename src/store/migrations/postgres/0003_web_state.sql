-- Server-side browser state: web sessions and console sign-in tokens, so that any replica can
-- serve a browser's next request. `id` is a SHA-256 (hex) of the bearer value the browser
-- holds, never the value itself; `value` is sealed by the keyring (AES-256-GCM), so a copy of
-- the database reveals no credentials. Times are integer milliseconds since the Unix epoch.
CREATE TABLE web_state (
    namespace  TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    value      TEXT             NOT NULL,
    expires_at BIGINT           NOT NULL,
    PRIMARY KEY (namespace, id)
);

CREATE INDEX web_state_expires_at ON web_state (expires_at);
