//! The SQLite database: opening, migrations, the meta table, and the clock format.
//!
//! One connection serves the whole server behind a mutex (see [`crate::store`]): SQLite
//! writes one transaction at a time anyway, and holding the lock across commit *and*
//! fan-out is what keeps event ids in commit order on every socket.

pub mod seed;

use std::path::Path;

use rand::distributions::Alphanumeric;
use rand::Rng;
use rusqlite::{Connection, OptionalExtension};

/// Migrations in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_init.sql")];

/// Errors while opening the database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(rusqlite::Error),
    #[error("seeding the demo world failed: {0}")]
    Seed(String),
}

/// An open, migrated database and what was learnt opening it.
pub struct Opened {
    pub conn: Connection,
    /// True when the file was new and has just been seeded.
    pub seeded: bool,
}

/// Opens (creating, migrating and seeding when new) the database at `path`.
pub fn open(path: &Path) -> Result<Opened, OpenError> {
    let conn = Connection::open(path).map_err(|source| OpenError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )
    .map_err(OpenError::Migrate)?;
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(OpenError::Migrate)? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))
        .map_err(OpenError::Migrate)?;
    }
    let mut conn = conn;
    let seeded = if version == 0 {
        set_meta(&conn, "epoch", &random_token(16)).map_err(OpenError::Migrate)?;
        seed::demo_world(&mut conn).map_err(|e| OpenError::Seed(e.to_string()))?;
        true
    } else {
        false
    };
    Ok(Opened { conn, seeded })
}

/// Opens another connection to an opened database, for reads only (WAL lets it read while
/// the writer writes).
pub fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA busy_timeout = 5000;")?;
    Ok(conn)
}

/// Reads a meta value.
pub fn get_meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Writes a meta value.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// A random alphanumeric string (epochs, generated secrets).
pub fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Now, as the contract's RFC 3339 UTC timestamp with milliseconds.
pub fn now_ts() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses a client-supplied RFC 3339 timestamp into the canonical form, for comparisons.
pub fn normalize_ts(s: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    })
}
