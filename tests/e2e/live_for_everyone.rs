//! Live for everyone, everywhere (issue 27, contract section 16): the dashboard names the
//! resident's own building; a network that blocks WebSockets from the first visit still gets
//! live data by polling; the socket's address is given at run time; neighbours change live;
//! the sender sees when a message was read.

use crate::support::*;

/// Dana of Maple House 3 is told she lives in Maple House 3 (and Alice in Sunny Court 12).
#[tokio::test]
async fn the_dashboard_names_my_own_building() {
    let server = Server::start().await;
    let dana = Browser::start().await;
    dana.login(&server, "dana@demo.ppt").await;
    assert_eq!(
        dana.text_of("[data-testid=building-name]").await,
        "Maple House 3"
    );
    let page = dana.text_of("[data-testid=dashboard]").await;
    assert!(!page.contains("Sunny Court"), "{page}");
    dana.screenshot("dashboard-maple-house").await;
    dana.close().await;

    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    assert_eq!(
        alice.text_of("[data-testid=building-name]").await,
        "Sunny Court 12"
    );
    alice.close().await;
}

/// A first visit through a proxy that refuses every WebSocket upgrade from the start: the
/// app never had a socket or a cursor, yet after a while says it updates by polling
/// (`data-mode="polling"`), and a message from a neighbour arrives (inbox, badge, toast)
/// within a poll. When the proxy lets the socket through, it connects and the message is
/// still there once.
#[tokio::test]
async fn live_without_websockets_from_the_first_visit() {
    let server = Server::start().await;
    let proxy = crate::proxy::Proxy::start(server.addr).await;
    proxy.refuse_ws(true);
    let alice = Browser::start().await;
    alice
        .set_realtime_config(
            &proxy.url(""),
            r#"{"degradeAfterMs":1500,"pollIntervalMs":500,"backoffMaxMs":1000}"#,
        )
        .await;
    alice.login_at(&proxy.url(""), "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice
        .wait_until(
            "the polling mode",
            "document.querySelector('[data-testid=connection-status]')?.dataset.mode === 'polling'",
        )
        .await;
    assert!(alice
        .text_of("[data-testid=connection-status]")
        .await
        .contains("Updates by polling"));
    assert_eq!(proxy.ws_opened(), 0, "no socket ever opened");
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Through the hotel proxy").await;
    alice.wait_for_message("Through the hotel proxy", 1).await;
    alice.wait_for_unread(2).await;
    let toast = alice
        .text_of("[data-testid=toast][data-kind=message]")
        .await;
    assert!(toast.contains("Bob"), "{toast}");
    alice.screenshot("polling-first-visit").await;

    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    alice
        .wait_until(
            "no polling mode",
            "document.querySelector('[data-testid=connection-status]')?.dataset.mode === undefined",
        )
        .await;
    api.send_message(&bob, "1", "Now over the socket").await;
    alice.wait_for_message("Now over the socket", 1).await;
    assert_eq!(alice.message_count("Through the hotel proxy").await, 1);
    alice.close().await;
}

/// The socket's address for [`the_socket_is_where_the_server_says`]'s server, set once its
/// proxy is up (a server's settings are a plain function; this is its one test).
static SPLIT: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

fn split_socket(c: &mut ppt_server::Config) {
    if let Some((ws, page)) = SPLIT.lock().unwrap().clone() {
        c.public_ws_url = Some(ws);
        c.allowed_origins = vec![page];
    }
}

/// `--public-ws-url`: the page served by one address opens its socket at another (here a
/// proxy on its own port), as the server told it at run time; the page's CSP allows it.
#[tokio::test]
async fn the_socket_is_where_the_server_says() {
    let mut server = Server::start_with(split_socket).await;
    let proxy = crate::proxy::Proxy::start(server.addr).await;
    let ws = format!("ws://{}/ws", proxy.url("").trim_start_matches("http://"));
    *SPLIT.lock().unwrap() = Some((ws.clone(), server.url("")));
    server.stop().await;
    server.start_again().await;

    let page = reqwest::get(server.url("/messages")).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let origin = ws.trim_end_matches("/ws");
    assert!(
        csp.contains(&format!("connect-src 'self' {origin};")),
        "{csp}"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains(&format!("<meta name=\"ppt-ws-url\" content=\"{ws}\">")));

    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;
    assert_eq!(
        proxy.ws_opened(),
        1,
        "the socket went through the address given"
    );
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Over the socket's own host")
        .await;
    alice
        .wait_for_message("Over the socket's own host", 1)
        .await;
    alice.close().await;
}
