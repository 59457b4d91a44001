//! `use_event` in the browser: a component hears every event its tab applies, once each and
//! in order, however it came. The diagnostics panel lists what it heard while open
//! (`diagnostics-applied`, the ids in `data-ids`); these tests compare that list with the
//! user's events in the server's log, for events caught up after a cut link and for events
//! relayed by the tab holding the socket to a tab without one.

use crate::support::*;

/// The ids of `token`'s events after `after`, from the server's log.
async fn ids_after(api: &Api, token: &str, after: u64) -> Vec<u64> {
    api.get(token, &format!("/events/missed?after={after}&limit=1000"))
        .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

async fn latest_id(api: &Api, token: &str) -> u64 {
    api.get(token, "/events/missed?after=0&limit=1").await["latestId"]
        .as_u64()
        .unwrap()
}

/// Opens the diagnostics panel (its `use_event` listener starts hearing from now on).
async fn open_diagnostics(browser: &Browser) {
    browser
        .testid("connection-details")
        .await
        .click()
        .await
        .unwrap();
    browser.testid("diagnostics-applied").await;
}

/// What the panel heard, once it has heard `last`.
async fn heard_through(browser: &Browser, last: u64) -> Vec<u64> {
    browser
        .wait_until(
            &format!("event #{last} heard"),
            &format!(
                "(document.querySelector('[data-testid=diagnostics-applied]')?.dataset.ids || '').split(',').includes('{last}')"
            ),
        )
        .await;
    let ids = browser
        .js("return document.querySelector('[data-testid=diagnostics-applied]').dataset.ids;")
        .await;
    ids.as_str()
        .unwrap()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

/// Alice's link is cut; messages and an announcement arrive while she is away. When it
/// comes back, the events fetched from the log reach `use_event` once each, in log order,
/// and so do the live ones that follow.
#[tokio::test]
async fn caught_up_and_live_events_reach_use_event_once_in_order() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;
    let api = server.api().await;
    let (alice_t, bob, martin) = (
        api.token("alice@demo.ppt").await,
        api.token("bob@demo.ppt").await,
        api.token("martin@demo.ppt").await,
    );
    open_diagnostics(&alice).await;
    let before = latest_id(&api, &alice_t).await;
    proxy.refuse_ws(true);
    proxy.cut_ws();
    alice.wait_for_state("reconnecting").await;
    for body in ["Caught up one", "Caught up two"] {
        api.send_message(&bob, "1", body).await;
    }
    let (status, _) = api
        .post(
            &martin,
            "/announcements",
            serde_json::json!({ "title": "Heard once", "body": "In order." }),
        )
        .await;
    assert_eq!(status, 201);
    let want = ids_after(&api, &alice_t, before).await;
    assert!(want.len() >= 3, "{want:?}");

    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    let heard = heard_through(&alice, *want.last().unwrap()).await;
    let since: Vec<u64> = heard.into_iter().filter(|id| *id > before).collect();
    assert_eq!(since, want, "each caught-up event once, in order");

    // Back on the socket: the next events come live, and are heard the same way, once each.
    let after = *want.last().unwrap();
    api.send_message(&bob, "1", "Live again").await;
    let live = ids_after(&api, &alice_t, after).await;
    assert!(!live.is_empty());
    let heard = heard_through(&alice, *live.last().unwrap()).await;
    let since: Vec<u64> = heard.into_iter().filter(|id| *id > before).collect();
    let all: Vec<u64> = want.iter().chain(&live).copied().collect();
    assert_eq!(
        since, all,
        "caught-up then live events, each once, in order"
    );
    alice.screenshot("use-event-caught-up").await;
    alice.close().await;
}

/// Alice has two tabs; the second has no socket (the first holds it for the browser). Bob's
/// messages reach the second tab's `use_event` through the first, once each, in order.
#[tokio::test]
async fn relayed_events_reach_use_event_in_a_tab_without_the_socket() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let _second = browser.open_tab(&server.url("/messages")).await;
    browser.testid("message-list").await;
    browser.wait_for_state("connected").await;
    server.wait_for_sockets(1).await;
    open_diagnostics(&browser).await;
    let held = browser
        .text_of("[data-testid=diagnostics] dd[data-row='Socket held by']")
        .await;
    assert!(held.starts_with("another tab"), "{held}");

    let api = server.api().await;
    let (alice_t, bob) = (
        api.token("alice@demo.ppt").await,
        api.token("bob@demo.ppt").await,
    );
    let before = latest_id(&api, &alice_t).await;
    for body in ["Relayed one", "Relayed two", "Relayed three"] {
        api.send_message(&bob, "1", body).await;
    }
    let want = ids_after(&api, &alice_t, before).await;
    assert!(want.len() >= 3, "{want:?}");
    let heard = heard_through(&browser, *want.last().unwrap()).await;
    let since: Vec<u64> = heard.into_iter().filter(|id| *id > before).collect();
    assert_eq!(since, want, "each relayed event once, in order");
    assert_eq!(
        server.open_sockets(),
        1,
        "the second tab has no socket of its own"
    );
    browser.screenshot("use-event-relayed").await;
    browser.close().await;
}
