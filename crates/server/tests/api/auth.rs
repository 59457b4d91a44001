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

/// `/auth/refresh` gives a working token for the same user.
#[tokio::test]
async fn refresh_issues_a_fresh_token() {
    let app = spawn_app().await;
    let token = app.token("bob").await;
    let r = app
        .http
        .post(app.url("/auth/refresh"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get_json("/me", &fresh).await["email"], "bob@demo.ppt");
    let r = app
        .http
        .post(app.url("/auth/refresh"))
        .bearer_auth(forged_token("wrong-secret", 1, 3600))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn refresh_status(app: &TestApp, token: &str) -> StatusCode {
    app.http
        .post(app.url("/auth/refresh"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A token expired within the refresh grace can be exchanged (not used); past it, it cannot.
#[tokio::test]
async fn refresh_grace_for_just_expired_tokens() {
    let app = spawn_app_with(|c| c.refresh_grace_secs = 120).await;
    let just_expired = expired_token(); // a minute ago
    assert_eq!(
        app.get("/me", &just_expired).await.status(),
        StatusCode::UNAUTHORIZED,
        "not usable"
    );
    assert_eq!(
        refresh_status(&app, &just_expired).await,
        StatusCode::OK,
        "but exchangeable"
    );
    let long_expired = forged_token(SECRET, 1, -3600);
    assert_eq!(
        refresh_status(&app, &long_expired).await,
        StatusCode::UNAUTHORIZED
    );
    let no_grace = spawn_app_with(|c| c.refresh_grace_secs = 0).await;
    assert_eq!(
        refresh_status(&no_grace, &just_expired).await,
        StatusCode::UNAUTHORIZED
    );
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
