//! Sessions (docs/protocol.md, "Sessions and tokens"): short access tokens, the rotating refresh cookie, reuse
//! detection, logout everywhere, the session cap, administrators' changes, and tokens that
//! are almost right.

use std::time::Duration;

use base64::Engine;
use ppt_protocol::rest::LoginResponse;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A login's answer and its refresh cookie (`name=value`).
struct SignedIn {
    body: LoginResponse,
    cookie: String,
}

async fn sign_in(app: &TestApp, who: &str) -> SignedIn {
    let r = app.post_login(&format!("{who}@demo.ppt"), "demo1234").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (cookie, _) = refresh_cookie(&r).expect("login sets the refresh cookie");
    SignedIn {
        body: r.json().await.unwrap(),
        cookie,
    }
}

async fn refresh(app: &TestApp, cookie: &str) -> Response {
    app.http
        .post(app.url("/auth/refresh"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Refreshes with `cookie`, expecting success: the new answer and cookie.
async fn refreshed(app: &TestApp, cookie: &str) -> SignedIn {
    let r = refresh(app, cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (cookie, _) = refresh_cookie(&r).expect("refresh rotates the cookie");
    SignedIn {
        body: r.json().await.unwrap(),
        cookie,
    }
}

async fn logout(app: &TestApp, token: Option<&str>, cookie: Option<&str>) -> Response {
    let mut r = app.http.post(app.url("/auth/logout"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

/// A JWT's claims, unverified.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token with any header and claims, signed HS256-style with `secret` (whatever the header
/// says the algorithm is).
fn forge(header: Value, claims: Value, secret: &str) -> String {
    use hmac::{Hmac, Mac};
    let signing = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing.as_bytes());
    format!("{signing}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// Login: an access token of at most 15 minutes naming its session, its lifetime, and the
/// refresh token only in an HttpOnly, SameSite=Strict cookie for /api/v1/auth that lasts as
/// long as the session may.
#[tokio::test]
async fn login_gives_a_short_token_and_a_strict_cookie() {
    let app = spawn_app().await;
    let r = app.post_login("alice@demo.ppt", "demo1234").await;
    let (cookie, attrs) = refresh_cookie(&r).expect("a refresh cookie");
    let attrs = attrs.to_ascii_lowercase();
    for want in [
        "httponly",
        "samesite=strict",
        "path=/api/v1/auth",
        "max-age=2592000",
    ] {
        assert!(attrs.contains(want), "{want} in {attrs}");
    }
    // The test server is reached at 127.0.0.1: `auto` leaves Secure off for loopback only.
    assert!(!attrs.contains("secure"), "{attrs}");
    let body: Value = r.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let c = claims(token);
    let lifetime = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    assert!((1..=900).contains(&lifetime), "{lifetime}");
    assert_eq!(body["expiresIn"].as_i64(), Some(lifetime));
    assert!(c["sid"].as_str().is_some_and(|s| s.len() >= 32), "{c}");
    assert!(
        !body
            .to_string()
            .contains(cookie.trim_start_matches("ppt_refresh=")),
        "the refresh token never appears in a body"
    );
    // Behind a proxy at a real name it is Secure.
    let r = app
        .http
        .post(app.url("/auth/login"))
        .header("host", "ppt.example")
        .json(&json!({ "email": "alice@demo.ppt", "password": "demo1234" }))
        .send()
        .await
        .unwrap();
    let (_, attrs) = refresh_cookie(&r).unwrap();
    assert!(attrs.to_ascii_lowercase().contains("secure"), "{attrs}");
}

/// Each refresh answers `{token, user}` and a new cookie; the chain goes on with the newest
/// cookie, each new token works, and a bearer token alone renews nothing.
#[tokio::test]
async fn refresh_rotates_the_cookie() {
    let app = spawn_app().await;
    let s0 = sign_in(&app, "bob").await;
    let s1 = refreshed(&app, &s0.cookie).await;
    assert_ne!(s1.cookie, s0.cookie);
    assert_eq!(s1.body.user.email, "bob@demo.ppt");
    assert_eq!(claims(&s1.body.token)["sid"], claims(&s0.body.token)["sid"]);
    let s2 = refreshed(&app, &s1.cookie).await;
    let s3 = refreshed(&app, &s2.cookie).await;
    for t in [&s0.body.token, &s1.body.token, &s3.body.token] {
        assert_eq!(app.get_json("/me", t).await["email"], "bob@demo.ppt");
    }
    // No cookie: nothing to refresh, whatever the bearer token.
    let r = app
        .http
        .post(app.url("/auth/refresh"))
        .bearer_auth(&s3.body.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(r).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    // A cookie this server did not sign.
    for bad in [
        "ppt_refresh=garbage",
        "ppt_refresh=abc.0.AAAA",
        "ppt_refresh=",
        "other=1",
    ] {
        let r = refresh(&app, bad).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
}

/// A refresh token used twice ends the session: the reused one, the newest one and every
/// access token of that session are refused, and its socket closes with 4401. The user's
/// other sessions go on.
#[tokio::test]
async fn a_reused_refresh_token_ends_the_session() {
    // No reuse interval: the replay below is a reuse however soon it comes.
    let app = spawn_app_with(|c| c.refresh_reuse_secs = 0).await;
    let stolen = sign_in(&app, "carol").await;
    let other = sign_in(&app, "carol").await;
    let mut socket = app.socket(&stolen.body.token).await;
    let mut other_socket = app.socket(&other.body.token).await;
    let owner = refreshed(&app, &stolen.cookie).await;
    // The thief (or the owner, whichever is second) presents the old token again.
    let r = refresh(&app, &stolen.cookie).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (cleared, attrs) = refresh_cookie(&r).expect("the cookie is cleared");
    assert_eq!(cleared, "ppt_refresh=");
    assert!(attrs.to_ascii_lowercase().contains("max-age=0"), "{attrs}");
    assert_eq!(
        refresh(&app, &owner.cookie).await.status(),
        StatusCode::UNAUTHORIZED,
        "the newest refresh token of the session is dead too"
    );
    for t in [&stolen.body.token, &owner.body.token] {
        assert_eq!(app.get("/me", t).await.status(), StatusCode::UNAUTHORIZED);
    }
    let closed = socket.closed().await;
    assert_eq!(closed.code, 4401);
    assert_eq!(closed.error.as_deref(), Some("session_ended"));
    // The other login of the same user is untouched.
    assert_eq!(
        app.get("/me", &other.body.token).await.status(),
        StatusCode::OK
    );
    refreshed(&app, &other.cookie).await;
    other_socket
        .send_frame(&ppt_protocol::ClientFrame::ping())
        .await;
    assert!(other_socket.next_envelope().await.is_some(), "still open");
}

/// A refresh whose answer is lost (the network dropped after the server rotated the cookie)
/// does not sign anyone out: the spent token, presented again within the reuse interval, is
/// answered once more with the same rotation's cookie, which then refreshes as usual. A
/// second replay of it ends the session, and so does one after the interval (a minute later).
#[tokio::test]
async fn a_lost_refresh_answer_does_not_end_the_session() {
    let app = spawn_app().await;
    let s0 = sign_in(&app, "dana").await;
    let lost = refreshed(&app, &s0.cookie).await;
    // The browser never saw `lost`: it tries again with the cookie it still has.
    let again = refreshed(&app, &s0.cookie).await;
    assert_eq!(again.cookie, lost.cookie, "the same rotation's answer");
    assert_eq!(again.body.user.email, "dana@demo.ppt");
    assert_eq!(
        app.get("/me", &again.body.token).await.status(),
        StatusCode::OK
    );
    let s2 = refreshed(&app, &again.cookie).await;
    assert_eq!(
        app.get("/me", &s2.body.token).await.status(),
        StatusCode::OK
    );

    // Once only: the same spent token a second time (here the one before s2) is a reuse.
    let other = sign_in(&app, "dana").await;
    let next = refreshed(&app, &other.cookie).await;
    refreshed(&app, &other.cookie).await;
    assert_eq!(
        refresh(&app, &other.cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &next.cookie).await.status(),
        StatusCode::UNAUTHORIZED,
        "ended"
    );

    // After the interval: the spent token a minute later ends the session.
    let third = sign_in(&app, "dana").await;
    let fresh = refreshed(&app, &third.cookie).await;
    sqlx::query("UPDATE sessions SET refreshed_at = refreshed_at - 60")
        .execute(&app.state.storage.db().pool)
        .await
        .unwrap();
    assert_eq!(
        refresh(&app, &third.cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &fresh.cookie).await.status(),
        StatusCode::UNAUTHORIZED,
        "a replay after the interval is a reuse: the session has ended"
    );
}

/// Logout ends the session at once: 204 and a cleared cookie, its refresh token refused, its
/// access tokens refused on REST and on new sockets, its open sockets closed with 4401. The
/// user's other sessions go on; logging out again is still 204.
#[tokio::test]
async fn logout_ends_the_session_everywhere() {
    let app = spawn_app_with(|c| c.session_sweep_ms = 50).await;
    let s = sign_in(&app, "alice").await;
    let other = sign_in(&app, "alice").await;
    let mut a = app.socket(&s.body.token).await;
    let mut b = app.socket(&s.body.token).await;
    let mut kept = app.socket(&other.body.token).await;
    let r = logout(&app, Some(&s.body.token), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(refresh_cookie(&r).unwrap().0, "ppt_refresh=");
    for socket in [&mut a, &mut b] {
        let closed = socket.closed().await;
        assert_eq!(closed.code, 4401);
        assert_eq!(closed.error.as_deref(), Some("session_ended"));
    }
    assert_eq!(
        app.get("/me", &s.body.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post(
            "/messages",
            &s.body.token,
            json!({ "toUserId": "2", "body": "after logout" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&app, &s.cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mut late = Socket::open(&app.ws_url()).await;
    late.send_frame(&ppt_protocol::ClientFrame::auth(s.body.token.clone(), None))
        .await;
    assert_eq!(late.closed().await.code, 4401);
    // Logging out again, or with nothing at all, is fine.
    assert_eq!(
        logout(&app, Some(&s.body.token), None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        logout(&app, None, None).await.status(),
        StatusCode::NO_CONTENT
    );
    // The other session lives on.
    assert_eq!(
        app.get("/me", &other.body.token).await.status(),
        StatusCode::OK
    );
    kept.send_frame(&ppt_protocol::ClientFrame::ping()).await;
    assert!(kept.next_envelope().await.is_some());
    // Logout by the cookie alone (the access token already expired) ends that session too.
    let r = logout(&app, None, Some(&other.cookie)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(kept.closed().await.code, 4401);
    assert_eq!(
        refresh(&app, &other.cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// A session ends at its cap whatever the refreshes: access tokens never outlive it, and the
/// refresh after it is refused and says so.
#[tokio::test]
async fn sessions_end_at_their_cap() {
    let app = spawn_app_with(|c| c.session_max_secs = 2).await;
    let s = sign_in(&app, "bob").await;
    let c = claims(&s.body.token);
    assert!(
        c["exp"].as_i64().unwrap() <= c["iat"].as_i64().unwrap() + 2,
        "the token ends with the session: {c}"
    );
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut cookie = s.cookie;
    loop {
        let r = refresh(&app, &cookie).await;
        if r.status() == StatusCode::OK {
            cookie = refresh_cookie(&r).unwrap().0;
            assert!(
                tokio::time::Instant::now() < deadline,
                "the session never ended"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{body}"
        );
        break;
    }
}

/// An administrator's change of role or building ends the user's sessions: old tokens and
/// cookies are refused, sockets close with 4401 (through the sweep), and the next login
/// carries the new role.
#[tokio::test]
async fn role_and_building_changes_end_sessions() {
    let app = spawn_app_with(|c| c.session_sweep_ms = 50).await;
    let s = sign_in(&app, "carol").await;
    let mut socket = app.socket(&s.body.token).await;
    let said = ppt_server::admin::set_user(
        app.state.storage.db(),
        "Carol@demo.ppt",
        Some("manager"),
        None,
    )
    .await
    .unwrap();
    assert!(said.contains("1 session(s) ended"), "{said}");
    let closed = socket.closed().await;
    assert_eq!(
        (closed.code, closed.error.as_deref()),
        (4401, Some("session_ended"))
    );
    assert_eq!(
        app.get("/me", &s.body.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &s.cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = sign_in(&app, "carol").await;
    assert_eq!(
        serde_json::to_value(again.body.user.role).unwrap(),
        "manager"
    );
    // Moving to another building does the same.
    ppt_server::admin::set_user(
        app.state.storage.db(),
        "carol@demo.ppt",
        None,
        Some("Maple House 3"),
    )
    .await
    .unwrap();
    assert_eq!(
        app.get("/me", &again.body.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let moved = sign_in(&app, "carol").await;
    assert_eq!(claims(&moved.body.token)["bid"], json!(2));
    // `user logout` ends them without a change.
    let said = ppt_server::admin::logout_user(app.state.storage.db(), "carol@demo.ppt")
        .await
        .unwrap();
    assert!(said.contains("1 session(s) ended"), "{said}");
    assert_eq!(
        app.get("/me", &moved.body.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Bad requests are refused with a reason, changing nothing.
    for (email, role, building) in [
        ("nobody@demo.ppt", Some("manager"), None),
        ("carol@demo.ppt", None, Some("No Such House")),
        ("carol@demo.ppt", None, None),
    ] {
        assert!(
            ppt_server::admin::set_user(app.state.storage.db(), email, role, building)
                .await
                .is_err()
        );
    }
}

/// A user deleted from the database while signed in is refused (401), never a 500, on REST,
/// on the socket and at refresh.
#[tokio::test]
async fn a_deleted_user_is_refused_not_an_error() {
    let app = spawn_app().await;
    let user = ppt_server::admin::NewUser {
        email: "leaving@demo.ppt".into(),
        name: "Leaving".into(),
        apartment: "9".into(),
        role: "resident".into(),
    };
    ppt_server::admin::add_user(
        app.state.storage.db(),
        "Sunny Court 12",
        &user,
        "leaving-pw",
    )
    .await
    .unwrap();
    let r = app.post_login("leaving@demo.ppt", "leaving-pw").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (cookie, _) = refresh_cookie(&r).unwrap();
    let token = r.json::<LoginResponse>().await.unwrap().token;
    let mut socket = app.socket(&token).await;
    sqlx::query("DELETE FROM users WHERE email = 'leaving@demo.ppt'")
        .execute(app.state.storage.pool())
        .await
        .unwrap();
    for path in [
        "/me",
        "/messages",
        "/announcements",
        "/messages/unread-count",
    ] {
        let (status, code) = error_code(app.get(path, &token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{path}"
        );
    }
    let r = app
        .post(
            "/messages",
            &token,
            json!({ "toUserId": "1", "body": "hi" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&app, &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mut late = Socket::open(&app.ws_url()).await;
    late.send_frame(&ppt_protocol::ClientFrame::auth(token.clone(), None))
        .await;
    assert_eq!(late.closed().await.code, 4401);
    // The open socket is not an error either: it is still served or closed, never a 500.
    socket.send_frame(&ppt_protocol::ClientFrame::ping()).await;
    let _ = socket.next_envelope().await;
}

/// Tokens that are almost right are refused on REST and on the socket: another algorithm in
/// the header (HS512, RS256, none), a missing `exp`, `iat`, `sub` or `sid`, a `sub` that is
/// not a number, a session that does not exist, an expired one. The same token made right is
/// accepted, so each refusal is for its one defect.
#[tokio::test]
async fn almost_right_tokens_are_refused() {
    let app = spawn_app().await;
    let s = sign_in(&app, "alice").await;
    let good = claims(&s.body.token);
    let hs256 = json!({ "alg": "HS256", "typ": "JWT" });
    let right = forge(hs256.clone(), good.clone(), SECRET);
    assert_eq!(
        app.get("/me", &right).await.status(),
        StatusCode::OK,
        "the forge is right"
    );
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let with = |key: &str, v: Value| {
        let mut c = good.clone();
        c[key] = v;
        c
    };
    let none = format!(
        "{}.{}.",
        B64.encode(json!({ "alg": "none", "typ": "JWT" }).to_string()),
        B64.encode(good.to_string())
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "HS512 header",
            forge(
                json!({ "alg": "HS512", "typ": "JWT" }),
                good.clone(),
                SECRET,
            ),
        ),
        (
            "RS256 header",
            forge(
                json!({ "alg": "RS256", "typ": "JWT" }),
                good.clone(),
                SECRET,
            ),
        ),
        ("alg none", none),
        ("no exp", forge(hs256.clone(), without("exp"), SECRET)),
        ("no iat", forge(hs256.clone(), without("iat"), SECRET)),
        ("no sub", forge(hs256.clone(), without("sub"), SECRET)),
        ("no sid", forge(hs256.clone(), without("sid"), SECRET)),
        (
            "sub not a number",
            forge(hs256.clone(), with("sub", json!("alice")), SECRET),
        ),
        (
            "sub a JSON number",
            forge(hs256.clone(), with("sub", json!(1)), SECRET),
        ),
        (
            "unknown session",
            forge(
                hs256.clone(),
                with("sid", json!("0123456789abcdef0123456789abcdef")),
                SECRET,
            ),
        ),
        (
            "another user's session",
            forge(hs256.clone(), with("sub", json!("2")), SECRET),
        ),
        (
            "a role it does not have",
            forge(hs256.clone(), with("role", json!("manager")), SECRET),
        ),
        (
            "expired",
            forge(hs256.clone(), with("exp", json!(now() - 5)), SECRET),
        ),
        (
            "another secret",
            forge(
                hs256.clone(),
                good.clone(),
                "another-secret-another-secret-32",
            ),
        ),
    ];
    for (what, token) in cases {
        let (status, code) = error_code(app.get("/me", &token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{what}"
        );
        let mut socket = Socket::open(&app.ws_url()).await;
        socket
            .send_frame(&ppt_protocol::ClientFrame::auth(token, None))
            .await;
        assert_eq!(socket.closed().await.code, 4401, "{what} on /ws");
    }
}

/// Another site's page cannot use the session endpoints (beside SameSite=Strict).
#[tokio::test]
async fn other_origins_cannot_use_the_session() {
    let app = spawn_app().await;
    let s = sign_in(&app, "bob").await;
    let r = app
        .http
        .post(app.url("/auth/refresh"))
        .header("cookie", &s.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(r).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    // The cookie was not spent by the refused attempt.
    let next = refreshed(&app, &s.cookie).await;
    // A developer's page on another loopback port (Trunk's dev server) is the same site.
    let r = app
        .http
        .post(app.url("/auth/refresh"))
        .header("cookie", &next.cookie)
        .header("origin", "http://127.0.0.1:8081")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Access tokens of more than 15 minutes are refused at start-up.
#[tokio::test]
async fn long_access_tokens_are_refused_at_start() {
    let mut config = ppt_server::Config::for_db(":memory:", std::env::temp_dir());
    config.token_ttl_secs = 901;
    let Err(e) = ppt_server::build(config).await else {
        panic!("a 901 s token lifetime was accepted");
    };
    assert!(e.to_string().contains("at most 900"), "{e}");
}

/// "This is a shared computer" (docs/protocol.md, "Sessions and tokens"): the cookie has no lifetime (it ends with
/// the browser), the session is capped at `--shared-session-secs`, the browser is told to keep
/// nothing offline, and a refresh keeps all of that. An ordinary login is told the offline
/// limit.
#[tokio::test]
async fn a_shared_computer_session_ends_with_the_browser() {
    let app = spawn_app_with(|c| {
        c.shared_session_secs = 3600;
        c.offline_max_age = 1234;
    })
    .await;
    let r = app
        .http
        .post(app.url("/auth/login"))
        .json(&json!({ "email": "alice@demo.ppt", "password": "demo1234", "shared": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (cookie, attrs) = refresh_cookie(&r).unwrap();
    let lower = attrs.to_ascii_lowercase();
    assert!(
        !lower.contains("max-age") && !lower.contains("expires"),
        "a cookie that ends with the browser: {attrs}"
    );
    assert!(lower.contains("httponly"), "{attrs}");
    let body: LoginResponse = r.json().await.unwrap();
    assert!(body.shared);
    assert_eq!(body.offline_max_age, 0, "nothing kept for offline use");
    let c = claims(&body.token);
    assert!(
        c["exp"].as_i64().unwrap() <= now() + 3600 + 1,
        "capped at the shared computer's limit: {c}"
    );
    let again = refresh(&app, &cookie).await;
    assert_eq!(again.status(), StatusCode::OK);
    let (_, attrs) = refresh_cookie(&again).unwrap();
    assert!(!attrs.to_ascii_lowercase().contains("max-age"), "{attrs}");
    let again: LoginResponse = again.json().await.unwrap();
    assert!(again.shared && again.offline_max_age == 0);
    assert_eq!(again.session_tag, body.session_tag, "one tag per session");

    let ordinary = sign_in(&app, "alice").await;
    assert!(!ordinary.body.shared);
    assert_eq!(ordinary.body.offline_max_age, 1234);
    assert_ne!(ordinary.body.session_tag, body.session_tag);
}

/// A request replayed from what the browser stored names the session that stored it
/// (`X-PPT-Session-Tag`): another session's tag, or a made-up one, is refused 409
/// `session_mismatch` and nothing is created; the right tag, or none, goes through.
#[tokio::test]
async fn a_stored_request_is_taken_only_from_its_session() {
    let app = spawn_app().await;
    let first = sign_in(&app, "alice").await.body;
    let second = sign_in(&app, "alice").await.body;
    let bob = app.login("bob").await.user.id;
    let send = |token: String, tag: Option<String>, body: &'static str| {
        let mut r = app
            .http
            .post(app.url("/messages"))
            .bearer_auth(token)
            .json(&json!({ "toUserId": bob, "body": body }));
        if let Some(t) = tag {
            r = r.header("x-ppt-session-tag", t);
        }
        r.send()
    };
    for forged in [first.session_tag.clone(), "made-up".to_owned()] {
        let r = send(second.token.clone(), Some(forged), "planted")
            .await
            .unwrap();
        assert_eq!(
            error_code(r).await,
            (StatusCode::CONFLICT, "session_mismatch".to_owned())
        );
    }
    let r = send(
        second.token.clone(),
        Some(second.session_tag.clone()),
        "mine",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = send(second.token.clone(), None, "typed").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let messages = app.get_json("/messages", &second.token).await;
    let bodies: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(!bodies.contains(&"planted"), "{bodies:?}");
    assert!(bodies.contains(&"mine") && bodies.contains(&"typed"));
}
