-- Login sessions (docs/protocol.md, "Sessions"). One row per login; the refresh token that is
-- valid now is the one signed for `generation` (tokens carry the session id, the generation
-- and an HMAC, so none is stored). Times are Unix seconds.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    generation   BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    ended_at     BIGINT,
    ended_reason TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_ended ON sessions(ended_at);
