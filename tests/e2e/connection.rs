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

fn session_token_js() -> &'static str {
    "JSON.parse(localStorage.getItem('ppt-web.session') || '{}').token"
}

/// A token that expires while connected: the server closes with 4401, the app fetches one
/// fresh token and is connected again, still on its page.
#[tokio::test]
async fn expired_token_is_refreshed() {
    let server = Server::start_with(|c| c.token_ttl_secs = 2).await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let first = browser
        .client
        .execute(&format!("return {};", session_token_js()), vec![])
        .await
        .unwrap();
    let first = first.as_str().unwrap().to_owned();
    browser
        .wait_until(
            "a fresh token in the session",
            &format!("{} !== {:?} && document.querySelector('[data-testid=connection-status]')?.dataset.state === 'connected'", session_token_js(), first),
        )
        .await;
    browser.testid("dashboard").await;
    browser.close().await;
}

/// A token that can no longer be renewed leads to the login page after one refresh attempt,
/// never to a loop of reconnects with the same token.
#[tokio::test]
async fn unrenewable_token_goes_to_login_without_retrying() {
    let server = Server::start_with(|c| {
        c.token_ttl_secs = 2;
        c.refresh_grace_secs = 0;
    })
    .await;
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
