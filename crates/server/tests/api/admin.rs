//! Setting up a real deployment: no demo world without `--demo`, `ppt-server building add` and
//! `user add` against the same database, a JWT secret too short refused or read from a file,
//! the SQLite files readable by their owner only.

use std::io::Write;
use std::process::{Command, Stdio};

use ppt_server::db::scratch::ScratchDb;
use ppt_server::{build, Config, StartError};
use reqwest::StatusCode;

use crate::helpers::*;

/// Runs `ppt-server` with `args` against `db`, `stdin` on its standard input; its exit
/// status and what it printed.
fn ppt_server(db: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ppt-server"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Without `--demo` a new database has no accounts; the commands add a building and its
/// first manager, who can then log in; mistakes are refused with a clear message and change
/// nothing.
#[tokio::test]
async fn a_deployment_is_set_up_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let pg = if on_postgres() {
        Some(ScratchDb::for_tests().await)
    } else {
        None
    };
    let db = match &pg {
        Some(pg) => pg.url.clone(),
        None => dir.path().join("deploy.sqlite3").display().to_string(),
    };

    let (ok, said) = ppt_server(&db, &["building", "add", "Oak Yard 1"], "");
    assert!(ok, "{said}");
    let (ok, said) = ppt_server(&db, &["building", "add", "Oak Yard 1"], "");
    assert!(!ok && said.contains("already a building"), "{said}");
    let add = |email: &str, building: &str, password: &str| {
        ppt_server(
            &db,
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Olga Operator",
                "--role",
                "manager",
                "--building",
                building,
            ],
            &format!("{password}\n"),
        )
    };
    let (ok, said) = add("Olga@Example.com", "Nowhere 9", "a-long-password");
    assert!(!ok && said.contains("no building named"), "{said}");
    let (ok, said) = add("olga@example.com", "Oak Yard 1", "short");
    assert!(!ok && said.contains("at least 8"), "{said}");
    let (ok, said) = add("not-an-email", "Oak Yard 1", "a-long-password");
    assert!(!ok && said.contains("not an email"), "{said}");
    let (ok, said) = add("Olga@Example.com", "Oak Yard 1", "a-long-password");
    assert!(ok, "{said}");
    let (ok, said) = add("olga@example.COM", "Oak Yard 1", "another-password");
    assert!(!ok && said.contains("already an account"), "{said}");

    let app = spawn_node(&db, |c| c.demo = false).await;
    let r = app.post_login("alice@demo.ppt", "demo1234").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "no demo world without --demo"
    );
    let r = app.post_login("OLGA@example.com", "a-long-password").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["user"]["role"], "manager");
    assert_eq!(me["user"]["email"], "olga@example.com");
    drop(app);
    drop(pg);
}

/// A `--jwt-secret` shorter than 32 bytes is refused at start-up.
#[tokio::test]
async fn a_short_jwt_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_db(
        dir.path().join("x.sqlite3").display().to_string(),
        dir.path().into(),
    );
    config.jwt_secret = Some("only-31-bytes-long-secret-value".into());
    assert_eq!(config.jwt_secret.as_ref().unwrap().len(), 31);
    assert!(matches!(
        build(config).await,
        Err(StartError::WeakSecret(31))
    ));
}

/// `--jwt-secret-file`: the secret is the file's text without its final newline (a token the
/// server signs verifies with it); a short one is refused as on the command line, a missing
/// file is a clear error, and the flag cannot be given with `--jwt-secret`.
#[tokio::test]
async fn the_jwt_secret_can_come_from_a_file() {
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let config = |secret_file: &std::path::Path| {
        let mut c = Config::for_db(
            dir.path().join("s.sqlite3").display().to_string(),
            dir.path().into(),
        );
        c.jwt_secret_file = Some(secret_file.into());
        c.demo = true;
        c
    };
    let file = dir.path().join("jwt-secret");
    let secret = "a-secret-of-forty-bytes-from-a-file-0123";
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let built = build(config(&file))
        .await
        .expect("starts with the file's secret");
    let keys = ppt_server::auth::jwt::JwtKeys::new(secret.as_bytes(), Duration::from_secs(60));
    let (token, _) = built
        .state
        .jwt
        .issue(1, 1, ppt_protocol::rest::Role::Resident, "s", u64::MAX);
    assert!(keys.verify(&token).is_ok(), "signed with the file's text");

    std::fs::write(&file, "short\n").unwrap();
    assert!(matches!(
        build(config(&file)).await,
        Err(StartError::WeakSecret(5))
    ));
    assert!(matches!(
        build(config(&dir.path().join("missing"))).await,
        Err(StartError::SecretFile { .. })
    ));
    let both = <Config as clap::Parser>::try_parse_from([
        "ppt-server",
        "--jwt-secret",
        "x",
        "--jwt-secret-file",
        "f",
    ]);
    assert!(both.is_err());
}

/// The SQLite database and its companions are readable and writable by their owner only:
/// a new file, its write-ahead log and index, and an existing file made with the umask.
#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_files_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;

    if on_postgres() {
        return;
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.sqlite3");
    let mut c = Config::for_db(db.display().to_string(), dir.path().into());
    c.demo = true;
    let built = build(c).await.unwrap();
    for path in [
        db.clone(),
        dir.path().join("new.sqlite3-wal"),
        dir.path().join("new.sqlite3-shm"),
    ] {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    drop(built);

    let old = dir.path().join("old.sqlite3");
    std::fs::write(&old, b"").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    build(Config::for_db(old.display().to_string(), dir.path().into()))
        .await
        .unwrap();
    assert_eq!(mode(&old), 0o600);
}
