//! The HTTP surface: security and cache headers, and every refusal a JSON error body.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// Every response says `nosniff` and `no-referrer`; the app's page carries a policy that
/// allows only its own origin (and its inline bootstrap by hash) and no framing, and is never
/// cached stale; hashed files are cached for a year; API answers are not stored.
#[tokio::test]
async fn security_and_cache_headers() {
    let app = spawn_app().await;
    let dir = app.static_dir();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><script type=\"module\">boot();</script><title>ppt-web</title>",
    )
    .unwrap();
    std::fs::write(dir.join("app-0123456789abcdef.js"), "export {}").unwrap();
    let get = |path: &str| {
        let url = format!("http://{}{path}", app.addr);
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    for path in [
        "/",
        "/messages",
        "/app-0123456789abcdef.js",
        "/api/v1/me",
        "/healthz",
    ] {
        let r = get(path).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    let page = get("/messages").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let hashed = get("/app-0123456789abcdef.js").await;
    assert_eq!(
        hashed.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        get("/api/v1/me").await.headers()["cache-control"],
        "no-store"
    );
}

/// The service worker is served at the root, as script, and always revalidated (a new one
/// is picked up at the next visit); the manifest has its JSON type.
#[tokio::test]
async fn service_worker_and_manifest() {
    let app = spawn_app().await;
    let dir = app.static_dir();
    std::fs::create_dir_all(dir.join("static")).unwrap();
    std::fs::write(dir.join("static/manifest.webmanifest"), "{}").unwrap();
    let get = |path: &str| {
        let url = format!("http://{}{path}", app.addr);
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    let sw = get("/sw.js").await;
    assert_eq!(sw.status(), StatusCode::OK);
    assert!(sw.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(sw.headers()["cache-control"], "no-cache");
    assert!(sw
        .text()
        .await
        .unwrap()
        .contains("addEventListener(\"fetch\""));
    let manifest = get("/static/manifest.webmanifest").await;
    assert_eq!(manifest.status(), StatusCode::OK);
    assert_eq!(
        manifest.headers()["content-type"],
        "application/manifest+json"
    );
}

/// Refusals are JSON: an unknown API version, a path parameter that is not text, a body over
/// the limit, a vote with 100,000 options.
#[tokio::test]
async fn refusals_are_json() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let martin = app.token("martin").await;
    let r = app
        .http
        .get(format!("http://{}/api/v2/x", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(r).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let r = app.post("/messages/%FF/read", &alice, json!({})).await;
    let (status, _) = error_code(r).await;
    assert!(status.is_client_error(), "{status}");
    let big = "x".repeat(3 * 1024 * 1024);
    let r = app
        .post("/messages", &alice, json!({ "toUserId": "2", "body": big }))
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    let options: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    let r = app
        .post(
            "/votes",
            &martin,
            json!({ "title": "many", "options": options }),
        )
        .await;
    let (status, _) = error_code(r).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        app.get_json("/votes", &martin)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Paths that climb out of the app's folder get nothing from outside it.
#[tokio::test]
async fn static_paths_do_not_escape() {
    let app = spawn_app().await;
    std::fs::write(app.static_dir().join("../secret.txt"), "[package] secret").unwrap();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/static/..%2f..%2fsecret.txt",
    ] {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(PATIENCE, s.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(!answer.contains("secret"), "{path}: {answer}");
    }
}

/// A NUL character in any text is refused, 400 `invalid`, and nothing is written: in the
/// login email, in a message, in a fault's title (PostgreSQL cannot store one; it was a 500).
/// An escaped backslash before `u0000` is plain text and goes through.
#[tokio::test]
async fn a_nul_character_is_refused_not_an_error() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"email":"alice@demo.ppt\u0000","password":"demo1234"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(r).await,
        (StatusCode::BAD_REQUEST, "invalid".to_owned())
    );
    let alice = app.token("alice").await;
    let before = app
        .get_json("/faults", &alice)
        .await
        .as_array()
        .unwrap()
        .len();
    for (path, body) in [
        (
            "/messages",
            json!({ "toUserId": "2", "body": "hi\u{0}there" }),
        ),
        (
            "/faults",
            json!({ "title": "lift\u{0}", "description": "d" }),
        ),
    ] {
        let r = app.post(path, &alice, body).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "invalid".to_owned()),
            "{path}"
        );
    }
    assert_eq!(
        app.get_json("/faults", &alice)
            .await
            .as_array()
            .unwrap()
            .len(),
        before,
        "nothing written"
    );
    let r = app
        .post(
            "/faults",
            &alice,
            json!({ "title": "a backslash \\u0000 in words", "description": "d" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}
