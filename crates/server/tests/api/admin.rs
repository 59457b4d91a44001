//! Setting up a real deployment: no demo world without `--demo`, `ppt-server building add` and
//! `user add` against the same database, a JWT secret too short refused.

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
