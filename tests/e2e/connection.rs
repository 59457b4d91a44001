use std::time::Duration;

use crate::proxy::Proxy;
use crate::support::*;

/// The status says `connecting` while the socket is open but `connection:authenticated` has
/// not arrived, and `connected` as soon as it does.
#[tokio::test]
async fn connected_only_after_authenticated() {
    let server = Server::start().await;
    let proxy = Proxy::start(server.addr).await;
    let browser = Browser::start().await;
    proxy.hold_ws(true);
    browser.login_at(&proxy.url(""), "alice@demo.ppt").await;
    // The server has authenticated the socket, but its answer is held in the proxy.
    server.wait_for_sockets(1).await;
    assert_eq!(browser.connection_state().await, "connecting");
    browser.screenshot("connecting").await;
    proxy.hold_ws(false);
    browser.wait_for_state("connected").await;
    browser.screenshot("connected").await;
    browser.close().await;
}

/// The server stops: the header says `reconnecting`; it starts again: `connected`, without
/// a page reload.
#[tokio::test]
async fn reconnects_after_the_server_restarts() {
    let mut server = Server::start().await;
    let browser = Browser::start().await;
    browser
        .set_realtime_config(&server.url(""), r#"{"backoffMaxMs":1000}"#)
        .await;
    browser.login(&server, "bob@demo.ppt").await;
    browser.wait_for_state("connected").await;
    browser
        .client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .unwrap();

    server.stop().await;
    browser.wait_for_state("reconnecting").await;
    browser.screenshot("reconnecting").await;

    server.start_again().await;
    browser.wait_for_state("connected").await;
    let same = browser
        .client
        .execute("return window.__sameDocument === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same.as_bool(), Some(true), "no reload happened");
    browser.close().await;
}

/// How many times the server has rotated the refresh tokens of its sessions so far.
async fn renewals(server: &Server) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COALESCE(SUM(generation), 0) FROM sessions")
        .fetch_one(server.state.storage.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// Short access tokens are renewed before they expire and handed to the open socket: with
/// 2-second tokens the app renews several times over one connection, never reconnecting.
#[tokio::test]
async fn tokens_are_renewed_over_one_connection() {
    let server = Server::start_with(|c| c.token_ttl_secs = 2).await;
    let proxy = Proxy::start(server.addr).await;
    let browser = Browser::start().await;
    browser.login_at(&proxy.url(""), "alice@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while renewals(&server).await < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no renewals");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.connection_state().await, "connected");
    assert_eq!(proxy.ws_opened(), 1, "the socket outlived three tokens");
    browser.testid("dashboard").await;
    browser.close().await;
}

/// A session that reaches its cap can no longer be renewed: the app goes to the login page
/// after one refresh attempt, never into a loop of reconnects with the same token.
#[tokio::test]
async fn unrenewable_token_goes_to_login_without_retrying() {
    let server = Server::start_with(|c| c.session_max_secs = 2).await;
    let proxy = Proxy::start(server.addr).await;
    let browser = Browser::start().await;
    browser.login_at(&proxy.url(""), "carol@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let notice = browser.testid("login-notice").await.text().await.unwrap();
    assert!(notice.contains("expired"), "{notice}");
    assert_eq!(proxy.ws_opened(), 1, "the expired token was not retried");
    browser.screenshot("session-expired").await;
    browser.close().await;
}

/// Logging out closes the socket.
#[tokio::test]
async fn logout_closes_the_socket() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "martin@demo.ppt").await;
    server.wait_for_sockets(1).await;
    browser.testid("logout").await.click().await.unwrap();
    browser.testid("login-email").await;
    server.wait_for_sockets(0).await;
    browser.close().await;
}
