//! Sessions across servers: a logout through one server ends the session on every other at
//! once (its tokens refused there) and closes its sockets there (the sweep); a refresh token
//! spent on one server cannot be spent again on another.

use reqwest::StatusCode;

use crate::fanout::cluster;
use crate::helpers::*;

async fn login(node: &TestApp, who: &str) -> (String, String) {
    let r = node
        .post_login(&format!("{who}@demo.ppt"), "demo1234")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (cookie, _) = refresh_cookie(&r).expect("a refresh cookie");
    let body: serde_json::Value = r.json().await.unwrap();
    (body["token"].as_str().unwrap().to_owned(), cookie)
}

async fn refresh(node: &TestApp, cookie: &str) -> reqwest::Response {
    node.http
        .post(node.url("/auth/refresh"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Logs Alice in through the first server, opens her sockets on the others, logs out through
/// the first: her tokens are refused by every server at once and the sockets close with 4401.
async fn logout_reaches_every_server(nodes: &[TestApp]) {
    let (token, cookie) = login(&nodes[0], "alice").await;
    let mut on_b = nodes[1].socket(&token).await;
    let mut on_c = nodes[2].socket(&token).await;
    let r = nodes[0]
        .http
        .post(nodes[0].url("/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Refused at once everywhere: the session row is the truth for every server.
    for node in nodes {
        assert_eq!(
            node.get("/me", &token).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            refresh(node, &cookie).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for socket in [&mut on_b, &mut on_c] {
        let closed = socket.closed().await;
        assert_eq!(
            (closed.code, closed.error.as_deref()),
            (4401, Some("session_ended"))
        );
    }
}

/// The other servers hear of the logout at once (a NOTIFY their followers listen for): with
/// the sweep an hour away, the sockets still close.
#[tokio::test]
async fn logout_through_one_server_closes_sockets_on_all_at_once() {
    let (_db, nodes) = cluster(3, |c| c.session_sweep_ms = 3_600_000).await;
    logout_reaches_every_server(&nodes).await;
}

/// Without notifications (`--log-listen false`), each server's sweep finds the ended session.
#[tokio::test]
async fn without_notifications_the_sweep_closes_them() {
    let (_db, nodes) = cluster(3, |c| {
        c.log_listen = false;
        c.session_sweep_ms = 100;
    })
    .await;
    logout_reaches_every_server(&nodes).await;
}

/// A refresh token spent on one server is a reuse on another (no reuse interval here).
#[tokio::test]
async fn a_refresh_token_spent_on_one_server_is_reuse_on_another() {
    let (_db, nodes) = cluster(2, |c| c.refresh_reuse_secs = 0).await;
    let (_, cookie) = login(&nodes[0], "bob").await;
    let r = refresh(&nodes[0], &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (next, _) = refresh_cookie(&r).expect("a rotated cookie");
    assert_eq!(
        refresh(&nodes[1], &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&nodes[1], &next).await.status(),
        StatusCode::UNAUTHORIZED,
        "the reuse ended the session"
    );
}

/// The reuse interval holds across servers: a lost answer from one is answered once more by
/// another, with the same rotation's cookie.
#[tokio::test]
async fn a_lost_refresh_answer_is_answered_again_by_another_server() {
    let (_db, nodes) = cluster(2, |_| {}).await;
    let (_, cookie) = login(&nodes[0], "bob").await;
    let r = refresh(&nodes[0], &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (lost, _) = refresh_cookie(&r).expect("a rotated cookie");
    let r = refresh(&nodes[1], &cookie).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(refresh_cookie(&r).expect("the same cookie").0, lost);
    assert_eq!(refresh(&nodes[0], &lost).await.status(), StatusCode::OK);
}
