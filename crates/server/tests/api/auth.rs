use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Every demo account logs in with the demo password and gets its user back.
#[tokio::test]
async fn demo_accounts_log_in() {
    let app = spawn_app().await;
    for (who, role) in [
        ("alice", "resident"),
        ("bob", "resident"),
        ("carol", "resident"),
        ("martin", "manager"),
    ] {
        let r = app.login(who).await;
        assert_eq!(r.user.email, format!("{who}@demo.ppt"));
        assert_eq!(serde_json::to_value(r.user.role).unwrap(), role);
        let me = app.get_json("/me", &r.token).await;
        assert_eq!(me["email"], format!("{who}@demo.ppt"));
    }
}

/// A wrong password or unknown email is 401 with the contract's error body, never a hint which.
#[tokio::test]
async fn bad_logins_are_refused() {
    let app = spawn_app().await;
    for body in [
        json!({ "email": "alice@demo.ppt", "password": "nope" }),
        json!({ "email": "nobody@demo.ppt", "password": "demo1234" }),
    ] {
        let r = app
            .http
            .post(app.url("/auth/login"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(r).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into())
        );
    }
}

/// Malformed login bodies are client errors with the error body, not 500s.
#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/auth/login"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.0, StatusCode::BAD_REQUEST);
    let r = app
        .http
        .post(app.url("/auth/login"))
        .json(&json!({ "email": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.0, StatusCode::BAD_REQUEST);
    let r = app
        .http
        .post(app.url("/auth/login"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// Protected paths need a valid bearer token.
#[tokio::test]
async fn rest_requires_a_valid_token() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/me")).send().await.unwrap();
    assert_eq!(
        error_code(r).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let r = app.get("/me", "garbage").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .get("/me", &forged_token("alice-other-secret", 1, 3600))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.get("/me", &expired_token()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// Unknown API paths are JSON 404s; other paths serve the app's index.html.
#[tokio::test]
async fn unknown_paths() {
    let app = spawn_app().await;
    let r = app.get("/nope", &app.token("alice").await).await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let r = app
        .http
        .get(format!("http://{}/messages", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("ppt-web"));
    let r = app
        .http
        .get(format!("http://{}/healthz", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A token signed with `secret` for user `sub`, valid for `ttl` seconds (negative: expired).
pub fn forged_token(secret: &str, sub: i64, ttl: i64) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({ "sub": sub.to_string(), "bid": 1, "role": "resident", "iat": now - 10, "exp": now + ttl });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Alice's token, correctly signed, expired a minute ago.
pub fn expired_token() -> String {
    forged_token(SECRET, 1, -60)
}

/// An unsigned `alg: none` token for Alice.
pub fn alg_none_token() -> String {
    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.",
        b64(json!({ "alg": "none", "typ": "JWT" })),
        b64(json!({ "sub": "1", "bid": 1, "role": "manager", "iat": 1, "exp": 9_999_999_999u64 }))
    )
}

/// Posts a login; the response.
async fn login_as(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .http
        .post(app.url("/auth/login"))
        .json(&json!({ "email": email, "password": password }));
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    r.send().await.unwrap()
}

/// After its burst of failures an account is answered 429 with `Retry-After`, even with the
/// right password, before that is looked at; other accounts from the same address go on.
#[tokio::test]
async fn repeated_failures_on_an_account_are_429() {
    let app = spawn_app_with(|c| c.login_account_burst = 3).await;
    for _ in 0..3 {
        let r = login_as(&app, "alice@demo.ppt", "wrong", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_as(&app, "Alice@Demo.ppt", "demo1234", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        error_code(r).await,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
    let r = login_as(&app, "bob@demo.ppt", "demo1234", None).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Failures are counted per client address too (unknown emails included); behind a trusted
/// proxy the address is the one it forwards, and from anyone else `X-Forwarded-For` is
/// ignored.
#[tokio::test]
async fn repeated_failures_from_an_address_are_429() {
    let direct = spawn_app_with(|c| c.login_address_burst = 3).await;
    for i in 0..3 {
        let r = login_as(
            &direct,
            &format!("nobody{i}@demo.ppt"),
            "x",
            Some("198.51.100.9"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_as(&direct, "alice@demo.ppt", "demo1234", Some("198.51.100.10")).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted peer's X-Forwarded-For changes nothing"
    );

    let proxied = spawn_app_with(|c| {
        c.login_address_burst = 2;
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for i in 0..2 {
        let r = login_as(
            &proxied,
            &format!("x{i}@demo.ppt"),
            "x",
            Some("198.51.100.1"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_as(&proxied, "x9@demo.ppt", "x", Some("10.9.9.9, 198.51.100.1")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = login_as(&proxied, "alice@demo.ppt", "demo1234", Some("198.51.100.2")).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "another client behind the same proxy"
    );
}

/// Behind a trusted proxy every `X-Forwarded-For` line counts, in order: HAProxy adds its
/// own line after the one a client may have forged, and the client is the proxy's line.
/// Reading the first line alone would let each attempt choose a new address.
#[tokio::test]
async fn a_forged_forwarded_line_does_not_change_the_address() {
    let proxied = spawn_app_with(|c| {
        c.login_address_burst = 2;
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let attempt = |i: u32| {
        proxied
            .http
            .post(proxied.url("/auth/login"))
            .json(&json!({ "email": format!("spray{i}@demo.ppt"), "password": "x" }))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .header("x-forwarded-for", "198.51.100.77")
            .send()
    };
    for i in 0..2 {
        assert_eq!(attempt(i).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt(2).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a forged first line is not the client"
    );
}

/// An unknown email costs a password check, as a wrong password does (no hint which
/// accounts exist); checks run at most `--argon2-concurrency` at once.
#[tokio::test]
async fn password_checks_are_the_same_for_everyone_and_bounded() {
    let app = spawn_app_with(|c| c.argon2_concurrency = Some(1)).await;
    let checks = || app.state.login.verifications();
    let before = checks();
    login_as(&app, "nobody@demo.ppt", "x", None).await;
    assert_eq!(checks(), before + 1, "unknown email");
    login_as(&app, "alice@demo.ppt", "x", None).await;
    assert_eq!(checks(), before + 2, "wrong password");
    let logins: Vec<_> = ["alice", "bob", "carol", "martin", "dana", "erik"]
        .into_iter()
        .map(|who| {
            let (http, url) = (app.http.clone(), app.url("/auth/login"));
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({ "email": format!("{who}@demo.ppt"), "password": "demo1234" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for l in logins {
        assert_eq!(l.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(app.state.login.most_at_once(), 1);
}
