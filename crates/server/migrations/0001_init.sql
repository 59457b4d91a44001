-- The schema of a fresh database. Applied once; `PRAGMA user_version` records it.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE buildings (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    building_id   INTEGER NOT NULL REFERENCES buildings(id),
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    apartment     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('resident', 'manager')),
    password_hash TEXT NOT NULL,
    preferences   TEXT
);

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

CREATE TABLE votes (
    id          INTEGER PRIMARY KEY,
    building_id INTEGER NOT NULL REFERENCES buildings(id),
    title       TEXT NOT NULL,
    options     TEXT NOT NULL, -- JSON array of labels
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);

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

-- The event log. AUTOINCREMENT: ids are never reused, even after pruning.
-- building_id set: every member of that building may see it; NULL: only event_recipients.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    type        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    request_id  TEXT,
    building_id INTEGER
);
CREATE INDEX events_building ON events(building_id, id);

CREATE TABLE event_recipients (
    event_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id)
) WITHOUT ROWID;
CREATE INDEX event_recipients_event ON event_recipients(event_id);
