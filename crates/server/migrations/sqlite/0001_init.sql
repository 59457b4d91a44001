-- The schema of a fresh SQLite database (its PostgreSQL twin: ../postgres/0001_init.sql).
-- Applied once by sqlx's migrator, which records it in _sqlx_migrations.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE buildings (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Emails are stored in lower case (the server folds them), so UNIQUE is case-blind.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    building_id   INTEGER NOT NULL REFERENCES buildings(id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    apartment     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('resident', 'manager')),
    password_hash TEXT NOT NULL,
    preferences   TEXT
);
CREATE INDEX users_building ON users(building_id);

CREATE TABLE messages (
    id        INTEGER PRIMARY KEY,
    from_user INTEGER NOT NULL REFERENCES users(id),
    to_user   INTEGER NOT NULL REFERENCES users(id),
    body      TEXT NOT NULL,
    sent_at   TEXT NOT NULL,
    read_at   TEXT
);
CREATE INDEX messages_to ON messages(to_user, read_at);
CREATE INDEX messages_from ON messages(from_user);

CREATE TABLE announcements (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    author_id   INTEGER NOT NULL REFERENCES users(id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX announcements_building ON announcements(building_id, id);

CREATE TABLE faults (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    reporter_id INTEGER NOT NULL REFERENCES users(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX faults_building ON faults(building_id, id);

CREATE TABLE votes (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    title       TEXT NOT NULL,
    options     TEXT NOT NULL, -- JSON array of labels
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX votes_building ON votes(building_id, id);

CREATE TABLE ballots (
    vote_id INTEGER NOT NULL REFERENCES votes(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    option  TEXT NOT NULL,
    PRIMARY KEY (vote_id, user_id)
);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX documents_building ON documents(building_id, id);

-- The event log. Ids come from log_head, one counter row that every appending transaction
-- advances (see crates/server/src/store.rs): ids are never reused, even after pruning.
-- building_id set: every member of that building may see the event; NULL: only the users in
-- `recipients` (comma-separated ids, also indexed in event_recipients).
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    type        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    request_id  TEXT,
    building_id INTEGER,
    recipients  TEXT
);
CREATE INDEX events_building ON events(building_id, id);

CREATE TABLE event_recipients (
    event_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id)
) WITHOUT ROWID;
CREATE INDEX event_recipients_event ON event_recipients(event_id);

-- The newest id the log has given. One row.
CREATE TABLE log_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL
);
INSERT INTO log_head (id, last_id) VALUES (1, 0);

-- How far retention has pruned the log, and the timestamp of the last pruned event. One row,
-- apart from log_head so that pruning never waits on appends.
CREATE TABLE log_pruned (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    through  INTEGER NOT NULL,
    through_ts TEXT
);
INSERT INTO log_pruned (id, through, through_ts) VALUES (1, 0, NULL);
