use serde_json::json;

use crate::support::*;

fn has_js(list: &str, text: &str) -> String {
    format!("[...document.querySelectorAll('[data-testid={list}] > *')].some(e => e.textContent.includes({text:?}))")
}

async fn latest_id(api: &Api, token: &str) -> u64 {
    api.get(token, "/events/missed?after=0&limit=1").await["latestId"]
        .as_u64()
        .unwrap()
}

/// Alice is connected; her link is cut and stays down. While she is away Bob sends her three
/// messages and Martin posts an announcement and changes her fault. After recovery her inbox,
/// badge, announcements and faults are exactly right, no message shows twice, replayed
/// notifications are summed up in one toast without sounds, and "Reconnected" says how many
/// updates were applied.
#[tokio::test]
async fn catch_up_after_a_cut_link() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;
    alice.wait_for_unread(1).await;
    let first_connect_toasts = alice.js("return document.querySelectorAll('[data-testid=toast][data-kind=reconnected]').length;").await;
    assert_eq!(
        first_connect_toasts,
        json!(0),
        "no Reconnected toast on the first connection"
    );

    let api = server.api().await;
    let (alice_t, bob, martin) = (
        api.token("alice@demo.ppt").await,
        api.token("bob@demo.ppt").await,
        api.token("martin@demo.ppt").await,
    );
    let before = latest_id(&api, &alice_t).await;
    proxy.refuse_ws(true);
    proxy.cut_ws();
    alice.wait_for_state("reconnecting").await;
    let sounds = alice.sounds_played().await;

    for body in ["Away message one", "Away message two", "Away message three"] {
        api.send_message(&bob, "1", body).await;
    }
    assert_eq!(
        api.post(
            &martin,
            "/announcements",
            json!({ "title": "Stairwell painting", "body": "Next week." })
        )
        .await
        .0,
        201
    );
    assert_eq!(
        api.patch(&martin, "/faults/1", json!({ "status": "in_progress" }))
            .await
            .0,
        200
    );
    let missed = api
        .get(
            &alice_t,
            &format!("/events/missed?after={before}&limit=1000"),
        )
        .await["events"]
        .as_array()
        .unwrap()
        .len();

    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    let toast = alice
        .text_of("[data-testid=toast][data-kind=reconnected]")
        .await;
    assert!(
        toast.contains(&format!("{missed} updates applied")),
        "{toast} (expected {missed})"
    );
    for body in ["Away message one", "Away message two", "Away message three"] {
        alice.wait_for_message(body, 1).await;
    }
    alice.wait_for_unread(4).await;
    let summary = alice
        .text_of("[data-testid=toast][data-kind=notification]")
        .await;
    assert!(
        summary.contains("5 notifications while you were away"),
        "{summary}"
    );
    assert_eq!(
        alice.sounds_played().await,
        sounds,
        "replayed events make no sound"
    );
    let message_toasts = alice
        .js("return document.querySelectorAll('[data-testid=toast][data-kind=message]').length;")
        .await;
    assert_eq!(message_toasts, json!(0), "no toast per replayed message");
    alice.screenshot("reconnected").await;

    alice.go("/announcements").await;
    alice
        .wait_until(
            "the announcement",
            &has_js("announcement-list", "Stairwell painting"),
        )
        .await;
    alice.go("/faults").await;
    alice.wait_until("the fault's status", "document.querySelector('[data-testid=fault-list] [data-id=\"1\"]')?.dataset.status === 'in_progress'").await;
    alice.close().await;
}

/// The server restarts while Alice is away and messages arrive meanwhile: after she is back,
/// they are all there, once each.
#[tokio::test]
async fn catch_up_across_a_server_restart() {
    let (mut server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;
    alice.wait_for_unread(1).await;

    proxy.refuse_ws(true);
    server.stop().await;
    alice.wait_for_state("reconnecting").await;
    server.start_again().await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    for body in ["After restart A", "After restart B"] {
        api.send_message(&bob, "1", body).await;
    }
    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    alice
        .wait_css("[data-testid=toast][data-kind=reconnected]")
        .await;
    for body in ["After restart A", "After restart B"] {
        alice.wait_for_message(body, 1).await;
    }
    alice.wait_for_unread(3).await;
    alice.close().await;
}

/// The server comes back with a fresh database (a new event log): the app refetches
/// everything instead of replaying, shows no error, and holds nothing from the old log.
#[tokio::test]
async fn a_fresh_database_refetches_everything() {
    let mut server =
        Server::start_with(|c| c.jwt_secret = Some("a-secret-kept-across-both-databases".into()))
            .await;
    let alice = Browser::start().await;
    alice
        .set_realtime_config(&server.url(""), r#"{"backoffMaxMs":1000}"#)
        .await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Before the reset").await;
    alice.wait_for_message("Before the reset", 1).await;
    alice.wait_for_unread(2).await;

    server.stop().await;
    alice.wait_for_state("reconnecting").await;
    // Sessions live in the database too; a fresh one would sign Alice out. They are carried
    // over, as a restore that kept the accounts and sessions but not the event log would.
    server.start_fresh().await;
    alice.wait_for_state("connected").await;
    alice.wait_for_message("Before the reset", 0).await;
    alice.wait_for_message("garden meeting", 1).await;
    alice.wait_for_unread(1).await;
    let errors = alice
        .js("return [...document.querySelectorAll('[role=alert]')].map(e => e.textContent);")
        .await;
    assert_eq!(errors, json!([]), "no errors shown");
    alice.close().await;
}

/// A half-open link (bytes stop, nothing closes) is noticed by the heartbeat; the app
/// reconnects by itself once the link works again and catches up.
#[tokio::test]
async fn a_stalled_link_is_noticed_by_the_heartbeat() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"pingIntervalMs":1000,"pongTimeoutMs":1000,"connectTimeoutMs":2000,"backoffMaxMs":1000}"#).await;

    proxy.stall_ws(true);
    alice.wait_for_state("reconnecting").await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Sent during the stall").await;
    proxy.stall_ws(false);
    alice.wait_for_state("connected").await;
    alice.wait_for_message("Sent during the stall", 1).await;
    alice.close().await;
}

/// WebSockets become blocked (a proxy refuses them) while REST still works: the app says live
/// updates are paused, polls for news meanwhile, and returns to the socket when it can.
#[tokio::test]
async fn blocked_websockets_fall_back_to_polling() {
    let (server, proxy, alice) =
        alice_behind_a_proxy(r#"{"degradeAfterMs":1500,"pollIntervalMs":500,"backoffMaxMs":1000}"#)
            .await;

    proxy.refuse_ws(true);
    proxy.cut_ws();
    alice
        .wait_until("the paused notice", "document.querySelector('[data-testid=connection-status]')?.textContent.includes('Updates by polling') && document.querySelector('[data-testid=connection-status]')?.dataset.mode === 'polling'")
        .await;
    alice.screenshot("paused").await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Delivered by polling").await;
    alice.wait_for_message("Delivered by polling", 1).await;
    assert_eq!(
        alice.connection_state().await,
        "reconnecting",
        "still no socket"
    );
    alice.wait_for_unread(2).await;

    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    assert_eq!(alice.message_count("Delivered by polling").await, 1);
    alice.close().await;
}

/// A reset link (TCP RST): the app reconnects by itself and what was sent meanwhile arrives
/// exactly once.
#[tokio::test]
async fn a_reset_link_recovers() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;
    let opened = proxy.ws_opened();
    proxy.refuse_ws(true);
    proxy.reset_ws();
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Sent across a reset").await;
    alice.wait_for_state("reconnecting").await;
    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    alice.wait_for_message("Sent across a reset", 1).await;
    assert!(proxy.ws_opened() > opened, "a new socket was opened");
    alice.close().await;
}
