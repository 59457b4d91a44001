-- Creates sent with an `Idempotency-Key` (docs/protocol.md, "Sending twice"): the first
-- answer to each user's key, kept 24 hours, so a retry gets it again instead of a second
-- create. `fingerprint` is the SHA-256 of the call (method, path, body) the key was first
-- used for; `status` 0 marks a key claimed by a write still in progress (never seen by
-- another transaction: the claim and the answer commit together). Times are Unix seconds.
CREATE TABLE idempotency_keys (
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
