//! Live for everyone, everywhere (issue 27; docs/protocol.md, "REST"): the dashboard names the
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
    // The first poll learnt where the log stands (the app keeps its cursor from then on);
    // what happens next comes by polling, as news.
    alice
        .wait_until(
            "a cursor from the log's head",
            "JSON.parse(localStorage.getItem('ppt-web.cursor.1') ?? '{}').lastId >= 0",
        )
        .await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    alice.count_toasts("message").await;
    api.send_message(&bob, "1", "Through the hotel proxy").await;
    alice.wait_for_message("Through the hotel proxy", 1).await;
    alice.wait_for_unread(2).await;
    alice
        .wait_until("a toast for it", "window.__toasts['message'] === 1")
        .await;
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

fn neighbors_include(name: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=neighbor-list] > li')].some(e => e.textContent.includes({name:?}))"
    )
}

/// A newcomer added with `ppt-server user add` appears on an open neighbours page, with the
/// "Data updated" chip; renamed, the page follows; moved out, they are gone.
#[tokio::test]
async fn neighbours_change_live() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/neighbors").await;
    alice.wait_for_state("connected").await;
    alice
        .wait_until("the neighbours", &neighbors_include("Bob Horvath"))
        .await;
    alice
        .js("window.__chips = 0; new MutationObserver(() => { if (document.querySelector('[data-testid=data-updated-chip]')) window.__chips++; }).observe(document.body, { childList: true, subtree: true });")
        .await;
    let db = server.state.storage.db();
    let newcomer = ppt_server::admin::NewUser {
        email: "olga@demo.ppt".into(),
        name: "Olga Berg".into(),
        apartment: "5E".into(),
        role: "resident".into(),
    };
    ppt_server::admin::add_user(db, "Sunny Court 12", &newcomer, "password123")
        .await
        .unwrap();
    alice
        .wait_until("the newcomer listed", &neighbors_include("Olga Berg"))
        .await;
    alice.wait_until("the chip", "window.__chips > 0").await;
    alice.screenshot("neighbours-live").await;
    let renamed = ppt_server::admin::UserChange {
        name: Some("Olga Lind"),
        ..Default::default()
    };
    ppt_server::admin::change_user(db, "olga@demo.ppt", &renamed)
        .await
        .unwrap();
    alice
        .wait_until("the new name", &neighbors_include("Olga Lind"))
        .await;
    ppt_server::admin::remove_user(db, "olga@demo.ppt")
        .await
        .unwrap();
    alice
        .wait_until(
            "the one who moved out gone",
            &format!("!({})", neighbors_include("Olga")),
        )
        .await;
    alice.close().await;
}

/// `data-read` of the outgoing message with `body`, as a JS expression.
fn read_mark(body: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=message-item]')].find(e => e.textContent.includes({body:?}))?.dataset.read"
    )
}

/// Alice, signed in on two devices, sends Bob a message: it shows "Sent" on both; when Bob
/// opens it, both show "Read" at once, and so does a reload.
#[tokio::test]
async fn the_sender_sees_the_message_read() {
    let server = Server::start().await;
    let laptop = Browser::start().await;
    laptop.login(&server, "alice@demo.ppt").await;
    laptop.go("/messages").await;
    laptop.wait_for_state("connected").await;
    let phone = Browser::start().await;
    phone.login(&server, "alice@demo.ppt").await;
    phone.go("/messages").await;
    phone.wait_for_state("connected").await;

    const BODY: &str = "Did the parcel come?";
    laptop.send_from_inbox("2", BODY).await;
    for b in [&laptop, &phone] {
        b.wait_until(
            "sent, not read",
            &format!("{} === 'false'", read_mark(BODY)),
        )
        .await;
    }
    assert!(laptop
        .js(&format!(
            "return [...document.querySelectorAll('[data-testid=message-item]')].find(e => e.textContent.includes({BODY:?})).textContent;"
        ))
        .await
        .as_str()
        .unwrap()
        .contains("Sent"));

    let bob = Browser::start().await;
    bob.login(&server, "bob@demo.ppt").await;
    bob.go("/messages").await;
    bob.wait_for_message(BODY, 1).await;
    bob.js(&format!(
        "[...document.querySelectorAll('[data-testid=message-item]')].find(e => e.textContent.includes({BODY:?})).querySelector('button').click();"
    ))
    .await;
    for b in [&laptop, &phone] {
        b.wait_until("read", &format!("{} === 'true'", read_mark(BODY)))
            .await;
    }
    laptop.screenshot("message-read").await;
    laptop.client.refresh().await.unwrap();
    laptop.wait_for_message(BODY, 1).await;
    laptop
        .wait_until(
            "still read after a reload",
            &format!("{} === 'true'", read_mark(BODY)),
        )
        .await;
    for b in [laptop, phone, bob] {
        b.close().await;
    }
}
