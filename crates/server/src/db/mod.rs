//! The database: a SQLite file (the default, one server) or PostgreSQL (a `postgres://` URL,
//! any number of servers), both through one sqlx pool; migrated at start-up and seeded once.
//!
//! Every query is written once for both backends; [`dialect`] holds what differs. Reads and
//! writes go through [`crate::storage::Storage`], which keeps the rules of the event log.

pub mod dialect;
pub mod scratch;
pub mod seed;

use std::time::Duration;

use rand::distributions::Alphanumeric;
use rand::Rng;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{Executor, Row};

pub use dialect::Backend;

/// Errors while opening the database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open database {target}: {source}")]
    Connect { target: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "{0} was made by an older ppt-server whose schema is not carried over; \
         move it away (or pass another --db) to start afresh"
    )]
    Legacy(String),
    #[error("database: {0}")]
    Query(#[from] sqlx::Error),
    #[error("seeding the demo world failed: {0}")]
    Seed(String),
    #[error("cannot make {path} readable by its owner only: {source}")]
    Permissions {
        path: String,
        source: std::io::Error,
    },
}

/// An open, migrated database.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// An open database and what was learnt opening it.
pub struct Opened {
    pub db: Db,
    /// True when the database was empty and has just been seeded with the demo world.
    pub seeded: bool,
}

/// Settings for [`open`].
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections this server opens (SQLite: readers beside the one writer).
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens `target` (a SQLite path or a `postgres://` URL), migrates it, and with `demo` seeds
/// the demo world into it when it is empty. Safe to run on several servers at once against
/// one PostgreSQL: migrations take a lock, and exactly one server seeds.
pub async fn open(target: &str, settings: PoolSettings, demo: bool) -> Result<Opened, OpenError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(target);
    if backend == Backend::Sqlite {
        owner_only(target)?;
    }
    let pool = AnyPoolOptions::new()
        .max_connections(settings.max_connections.max(2))
        .acquire_timeout(settings.acquire_timeout)
        // A PostgreSQL connection can die with its server (a restart), so a pooled one is
        // tested before use; a SQLite connection is a file in this process and cannot.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for statement in backend.on_connect() {
                    conn.execute(*statement).await?;
                }
                Ok(())
            })
        })
        .connect(&backend.url(target))
        .await
        .map_err(|source| OpenError::Connect {
            target: display_target(target),
            source,
        })?;
    if backend == Backend::Sqlite && is_legacy_sqlite(&pool).await? {
        return Err(OpenError::Legacy(target.to_owned()));
    }
    backend.migrator().run(&pool).await?;
    if backend == Backend::Sqlite {
        // The write-ahead log and its index exist now: the same for them.
        owner_only(target)?;
    }
    let db = Db { pool, backend };
    let seeded = demo
        && seed::demo_world_once(&db)
            .await
            .map_err(|e| OpenError::Seed(e.to_string()))?;
    Ok(Opened { db, seeded })
}

/// The SQLite file at `target` and its companions (`-wal`, `-shm`, `-journal`) readable and
/// writable by their owner only: they hold password hashes, sessions and, without
/// `--jwt-secret-file`, the secret that signs tokens. A new file is made so before SQLite
/// opens it (SQLite gives its companions the file's own mode); an existing one, and any
/// companion already there, is narrowed to it. In-memory databases have no file.
pub fn owner_only(target: &str) -> Result<(), OpenError> {
    if target.contains(":memory:") || target.starts_with("file:") {
        return Ok(());
    }
    let fail = |path: &std::path::Path, source| OpenError::Permissions {
        path: path.display().to_string(),
        source,
    };
    let main = std::path::Path::new(target);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !main.exists() {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(main)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(fail(main, e)),
            }
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = std::path::PathBuf::from(format!("{target}{suffix}"));
            match std::fs::metadata(&path) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| fail(&path, e))?
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (main, fail);
    Ok(())
}

/// A database URL without its password, for messages.
pub fn display_target(target: &str) -> String {
    match (target.find("://"), target.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &target[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &target[..scheme + 3], &target[at..]),
                None => target.to_owned(),
            }
        }
        _ => target.to_owned(),
    }
}

/// A file made by the server before sqlx's migrator (`PRAGMA user_version`, no migration table).
async fn is_legacy_sqlite(pool: &AnyPool) -> Result<bool, sqlx::Error> {
    let version: i64 = sqlx::query("PRAGMA user_version")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    let migrated: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?
    .try_get(0)?;
    Ok(version > 0 && migrated == 0)
}

impl Db {
    /// A meta value, set to `make()` first if it has none (the first of several servers to
    /// get here wins; every server reads the winner's value).
    pub async fn meta_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, sqlx::Error> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(make())
            .execute(&self.pool)
            .await?;
        sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)
    }

    /// Whether the database answers now.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// Whether an error means the database cannot be reached or is not serving (so the request
/// may be tried again), as opposed to a bug in a query.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions (08…), shutting down or starting up (57P0…),
            // too many connections (53300), read-only standby (25006), a deadlock or a
            // serialization failure that chose this transaction (40P01, 40001: trying again
            // succeeds). SQLite: busy (5).
            code.starts_with("08")
                || code.starts_with("57P0")
                || code == "53300"
                || code == "25006"
                || code == "40P01"
                || code == "40001"
                || code == "5"
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A file made by the server before its migrations moved to sqlx is refused with a clear
    /// message, not half migrated; a new file is created and migrated, and seeded once, only
    /// when asked to.
    #[tokio::test]
    async fn old_files_are_refused_and_new_ones_seeded_once() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.sqlite3").display().to_string();
        {
            sqlx::any::install_default_drivers();
            let pool = AnyPoolOptions::new()
                .connect(&Backend::Sqlite.url(&old))
                .await
                .unwrap();
            sqlx::query("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("PRAGMA user_version = 1")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        let err = open(&old, PoolSettings::default(), true)
            .await
            .err()
            .unwrap();
        assert!(matches!(err, OpenError::Legacy(_)), "{err}");
        assert!(err.to_string().contains("move it away"), "{err}");

        let new = dir.path().join("new.sqlite3").display().to_string();
        assert!(
            !open(&new, PoolSettings::default(), false)
                .await
                .unwrap()
                .seeded
        );
        assert!(
            open(&new, PoolSettings::default(), true)
                .await
                .unwrap()
                .seeded
        );
        assert!(
            !open(&new, PoolSettings::default(), true)
                .await
                .unwrap()
                .seeded
        );
    }

    /// Passwords never reach a message.
    #[test]
    fn targets_are_shown_without_passwords() {
        assert_eq!(
            display_target("postgres://ppt:secret@db:5432/ppt"),
            "postgres://ppt:***@db:5432/ppt"
        );
        assert_eq!(
            display_target("postgres://ppt@db/ppt"),
            "postgres://ppt@db/ppt"
        );
        assert_eq!(display_target("ppt.sqlite3"), "ppt.sqlite3");
    }
}
