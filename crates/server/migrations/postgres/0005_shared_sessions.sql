-- 1 for a session started as "a shared computer" (login-shared): its cookie ends with the
-- browser, it lives at most --shared-session-secs, and the browser keeps nothing of it.
ALTER TABLE sessions ADD COLUMN shared BIGINT NOT NULL DEFAULT 0;
