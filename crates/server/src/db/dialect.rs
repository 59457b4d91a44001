//! The SQL that differs between SQLite and PostgreSQL, in one place.
//!
//! Every other query in the server is written once and runs on both: `$1` placeholders,
//! `RETURNING`, `ON CONFLICT`, text timestamps (RFC 3339, UTC, milliseconds, so they sort as
//! text). The schemas differ only in types (`migrations/sqlite`, `migrations/postgres`).

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// Which database a server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one server: the embedded default.
    Sqlite,
    /// One database shared by any number of servers (contract section 9).
    Postgres,
}

/// The PostgreSQL channel on which every appending transaction wakes the other servers.
pub const EVENTS_CHANNEL: &str = "ppt_events";

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
            // WAL: readers never wait for the writer. synchronous=NORMAL in WAL mode loses
            // nothing when the process dies, only (at most the last commits) on power loss.
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 5000",
            ],
            Backend::Postgres => &["SET application_name = 'ppt-server'"],
        }
    }

    /// Whether several transactions may write at once. SQLite takes one writer at a time
    /// (a second would fail with SQLITE_BUSY on its first write), so the store queues them.
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

    /// Run inside an appending transaction: wakes every server's log follower when (and only
    /// if) the transaction commits. SQLite has one server, woken in memory.
    pub fn notify(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SELECT pg_notify('ppt_events', '')"),
        }
    }

    /// Run first in a pruning transaction: `true` when this server may prune now. Several
    /// PostgreSQL servers would otherwise delete the same rows at once and wait on each other.
    pub fn prune_lock(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            // Any constant key: it only has to be the same on every server.
            Backend::Postgres => Some("SELECT pg_try_advisory_xact_lock(7010)"),
        }
    }

    /// The schema, in order.
    pub fn migrations(self) -> Migrations {
        Migrations(self)
    }
}

/// The embedded migrations of one backend, for sqlx's migrator.
#[derive(Debug, Clone, Copy)]
pub struct Migrations(Backend);

const SQLITE: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/sqlite/0001_init.sql"),
)];
const POSTGRES: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/postgres/0001_init.sql"),
)];

impl Migrations {
    fn list(self) -> Vec<Migration> {
        let set = match self.0 {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        };
        set.iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect()
    }
}

impl<'s> MigrationSource<'s> for Migrations {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.list()) })
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

    /// Both backends have the same migrations, version for version.
    #[test]
    fn migrations_pair_up() {
        let a: Vec<_> = SQLITE.iter().map(|(v, n, _)| (*v, *n)).collect();
        let b: Vec<_> = POSTGRES.iter().map(|(v, n, _)| (*v, *n)).collect();
        assert_eq!(a, b);
    }
}
