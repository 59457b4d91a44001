//! Fresh, uniquely named PostgreSQL databases for tests and benchmarks, dropped when done.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// The PostgreSQL the tests use unless `PPT_TEST_PG` names another: the `ppt` role that
/// `scripts/pg.sh` creates (it may create databases).
pub const DEFAULT_TEST_PG: &str = "postgres://ppt:ppt@127.0.0.1:5432/postgres";

/// `PPT_TEST_PG`, or [`DEFAULT_TEST_PG`].
pub fn test_pg_url() -> String {
    std::env::var("PPT_TEST_PG").unwrap_or_else(|_| DEFAULT_TEST_PG.to_owned())
}

/// A database made for one test; `DROP DATABASE … WITH (FORCE)` when it is dropped.
pub struct ScratchDb {
    /// The URL of the new database.
    pub url: String,
    admin: String,
    name: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl ScratchDb {
    /// Creates an empty database on the server `admin_url` points at.
    pub async fn create(admin_url: &str) -> Result<Self, sqlx::Error> {
        let name = format!(
            "ppt_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            super::random_token(6).to_lowercase()
        );
        let mut admin = PgConnection::connect(admin_url).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        Ok(ScratchDb {
            url: with_database(admin_url, &name),
            admin: admin_url.to_owned(),
            name,
        })
    }

    /// Creates one on [`test_pg_url`], or says how to get a PostgreSQL.
    pub async fn for_tests() -> Self {
        let url = test_pg_url();
        match Self::create(&url).await {
            Ok(db) => db,
            Err(e) => panic!(
                "PostgreSQL at {} is needed: {e}. `bash scripts/pg.sh` installs and starts one \
                 (scripts/test.sh does), or set PPT_TEST_PG",
                super::display_target(&url)
            ),
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropping may happen inside a runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut c = PgConnection::connect(&admin).await.ok()?;
                c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database name is replaced, whatever else the URL holds.
    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "t1"),
            "postgres://u:p@h:5432/t1"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t1"),
            "postgres://h/t1?sslmode=disable"
        );
    }
}
