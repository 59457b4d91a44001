//! The SQL that differs between SQLite and PostgreSQL, in one place.
//!
//! Every other query in the server is written once and runs on both: `$1` placeholders,
//! `RETURNING`, `ON CONFLICT`, text timestamps (RFC 3339, UTC, milliseconds, so they sort as
//! text). The schemas differ only in types (`migrations/sqlite`, `migrations/postgres`).

use sqlx::migrate::Migrator;

/// Which database a server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one server: the embedded default.
    Sqlite,
    /// One database shared by any number of servers (docs/protocol.md, "Several servers, one PostgreSQL").
    Postgres,
}

/// The PostgreSQL channel on which every appending transaction wakes the other servers.
pub const EVENTS_CHANNEL: &str = "ppt_events";

/// The PostgreSQL channel on which a server says which login sessions just ended (the
/// payload is the session id), so that every server closes their sockets at once.
pub const SESSIONS_CHANNEL: &str = "ppt_sessions";

impl Backend {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is a SQLite path.
    pub fn of(target: &str) -> Self {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The sqlx URL for `--db`: a PostgreSQL URL as given, a SQLite path as a `sqlite://` URL
    /// that creates the file when it is missing.
    pub fn url(self, target: &str) -> String {
        match self {
            Backend::Postgres => target.to_owned(),
            Backend::Sqlite => {
                let path: String = target
                    .chars()
                    .map(|c| match c {
                        '?' => "%3F".to_owned(),
                        '#' => "%23".to_owned(),
                        '%' => "%25".to_owned(),
                        c => c.to_string(),
                    })
                    .collect();
                format!("sqlite://{path}?mode=rwc")
            }
        }
    }

    /// Statements run on every new connection.
    pub fn on_connect(self) -> &'static [&'static str] {
        match self {
            // WAL: readers never wait for the writer. synchronous=FULL: a commit is on disk
            // before it is answered, so not even a power cut can take back an id the log gave
            // out (with NORMAL the last commits could vanish and their ids be given again to
            // other events under the same epoch, and a client that saw the first would skip
            // the second). Group commit pays the flush once per batch.
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = FULL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 5000",
            ],
            Backend::Postgres => &["SET application_name = 'ppt-server'"],
        }
    }

    /// Whether several transactions may write at once. SQLite takes one writer at a time
    /// (a second would fail with SQLITE_BUSY on its first write), so the storage queues them.
    pub fn concurrent_writers(self) -> bool {
        self == Backend::Postgres
    }

    /// The first statement of a read transaction that must see one snapshot throughout (a
    /// page of missed events with its `latestId`). SQLite's deferred transaction already does.
    pub fn snapshot(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
        }
    }

    /// PostgreSQL's append (see [`crate::eventlog`]) as one statement: advance the counter,
    /// insert the `rows` events and their `recipients`, and notify every server's follower
    /// (delivered when, and only if, the transaction commits). Returns the new `last_id`.
    ///
    /// Parameters: `$1` the number of events, `$2` the timestamp, `$3` this server's name
    /// (the notification says `<server>:<new last_id>`, so a server can pass over its own),
    /// then per event (ord, type, payload, building_id, recipients, request_id) and per
    /// recipient (ord, user).
    /// SQLite cannot modify data in a `WITH`: `None`, and the storage runs the same steps one
    /// by one (it has one writer at a time, so nobody waits on them).
    pub fn append_statement(self, rows: usize, recipients: usize) -> Option<String> {
        if self == Backend::Sqlite {
            return None;
        }
        let values = |count: usize, start: usize, types: &[&str]| -> String {
            (0..count)
                .map(|r| {
                    let cols: Vec<String> = types
                        .iter()
                        .enumerate()
                        .map(|(c, t)| format!("${}::{t}", start + r * types.len() + c))
                        .collect();
                    format!("({})", cols.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let events = values(
            rows,
            4,
            &["bigint", "text", "text", "bigint", "text", "text"],
        );
        let mut sql = format!(
            "WITH head AS (UPDATE log_head SET last_id = last_id + $1 WHERE id = 1 RETURNING last_id), \
             ev AS (INSERT INTO events (id, type, payload, ts, request_id, building_id, recipients) \
                    SELECT head.last_id - $1 + v.ord, v.type, v.payload, $2::text, v.request_id, v.building_id, v.recipients \
                    FROM head, (VALUES {events}) AS v(ord, type, payload, building_id, recipients, request_id)), "
        );
        if recipients > 0 {
            let pairs = values(recipients, 4 + rows * 6, &["bigint", "bigint"]);
            sql.push_str(&format!(
                "rc AS (INSERT INTO event_recipients (event_id, user_id) \
                        SELECT head.last_id - $1 + r.ord, r.user_id \
                        FROM head, (VALUES {pairs}) AS r(ord, user_id) ON CONFLICT DO NOTHING), "
            ));
        }
        sql.push_str(&format!(
            "woken AS (SELECT pg_notify('{EVENTS_CHANNEL}', $3::text || ':' || head.last_id) FROM head) \
             SELECT head.last_id FROM head, woken"
        ));
        Some(sql)
    }

    /// Run first in a pruning transaction: prunes take turns (held to the transaction's end).
    /// Several PostgreSQL servers would otherwise delete the same rows at once and deadlock on
    /// them; SQLite's writers take turns anyway.
    pub fn prune_lock(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            // Any constant key: it only has to be the same on every server.
            Backend::Postgres => Some("SELECT pg_advisory_xact_lock(7010)"),
        }
    }

    /// The schema, in order: every file of `migrations/<backend>`, embedded by sqlx (a new
    /// file is picked up by itself).
    pub fn migrator(self) -> Migrator {
        match self {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--db` picks the backend by its form; SQLite paths become URLs that create the file.
    #[test]
    fn backend_from_target() {
        assert_eq!(Backend::of("ppt.sqlite3"), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://h/db"), Backend::Postgres);
        assert_eq!(
            Backend::Sqlite.url("/tmp/a?b#c.db"),
            "sqlite:///tmp/a%3Fb%23c.db?mode=rwc"
        );
        assert_eq!(
            Backend::Postgres.url("postgres://u@h/db"),
            "postgres://u@h/db"
        );
    }

    /// PostgreSQL's one-statement append numbers its parameters in the documented order.
    #[test]
    fn postgres_append_statement() {
        assert_eq!(Backend::Sqlite.append_statement(1, 0), None);
        let sql = Backend::Postgres.append_statement(2, 1).unwrap();
        assert!(sql.contains(
            "($4::bigint, $5::text, $6::text, $7::bigint, $8::text, $9::text), ($10::bigint"
        ));
        assert!(sql.contains("($16::bigint, $17::bigint)"));
        assert!(!sql.contains("$18"));
        assert!(Backend::Postgres
            .append_statement(1, 0)
            .unwrap()
            .contains("pg_notify"));
    }

    /// SQLite flushes every commit (an id is never given out twice under one epoch).
    #[tokio::test]
    async fn sqlite_commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.sqlite3").display().to_string();
        let opened = crate::db::open(&path, crate::db::PoolSettings::default(), false)
            .await
            .unwrap();
        let level: i64 = sqlx::Row::try_get(
            &sqlx::query("PRAGMA synchronous")
                .fetch_one(&opened.db.pool)
                .await
                .unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(level, 2, "FULL");
    }

    /// A database whose schema was applied before the migrations were embedded by
    /// `sqlx::migrate!` (each file named by hand, with underscores in its description) opens
    /// as it is: the applied migrations' checksums are the same.
    #[tokio::test]
    async fn databases_migrated_by_the_earlier_list_still_open() {
        use std::borrow::Cow;

        use sqlx::migrate::{Migration, MigrationType};

        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3").display().to_string();
        let pool = sqlx::AnyPool::connect(&Backend::Sqlite.url(&path))
            .await
            .unwrap();
        let by_hand: Vec<Migration> = Backend::Sqlite
            .migrator()
            .iter()
            .map(|m| {
                Migration::new(
                    m.version,
                    Cow::Owned(m.description.replace(' ', "_")),
                    MigrationType::Simple,
                    m.sql.clone(),
                    false,
                )
            })
            .collect();
        let old = Migrator {
            migrations: Cow::Owned(by_hand),
            ..Migrator::DEFAULT
        };
        old.run(&pool).await.unwrap();
        pool.close().await;
        crate::db::open(&path, crate::db::PoolSettings::default(), false)
            .await
            .expect("the earlier database opens");
    }

    /// Both backends have the same migrations, version for version (a migration written
    /// for one backend only is named here).
    #[test]
    fn migrations_pair_up() {
        let names = |b: Backend| -> Vec<(i64, String)> {
            b.migrator()
                .iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect()
        };
        assert_eq!(names(Backend::Sqlite), names(Backend::Postgres));
        assert!(names(Backend::Sqlite).len() >= 7);
    }
}
