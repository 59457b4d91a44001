//! The outbox (docs/protocol.md, "Outbox"): creates made while the link is down wait,
//! shown in place, and go exactly once when it returns; a create whose answer was lost is
//! repeated with its key and still creates one.

use crate::support::*;

/// How many of `list` (a JSON array) have `field` equal to `text`.
fn count(list: &serde_json::Value, field: &str, text: &str) -> usize {
    list.as_array()
        .map(|a| a.iter().filter(|v| v[field] == text).count())
        .unwrap_or(0)
}

/// Waits until the page shows `n` outbox items, all in `state` (any state when `None`).
async fn wait_for_outbox(b: &Browser, n: usize, state: Option<&str>) {
    let filter = match state {
        Some(s) => format!("[data-state={s}]"),
        None => String::new(),
    };
    b.wait_until(
        &format!("{n} outbox item(s) {state:?}"),
        &format!(
            "document.querySelectorAll('[data-testid=outbox-item]').length === {n} && document.querySelectorAll('[data-testid=outbox-item]{filter}').length === {n}"
        ),
    )
    .await;
}

/// Alice's link is cut (the socket drops and cannot come back) while she sends a message and
/// reports a fault from the page: both show as queued, survive a reload, and when the link
/// returns each is sent once: the server holds one of each and her inbox shows the message
/// once.
#[tokio::test]
async fn creates_wait_for_the_link_and_go_once() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;

    proxy.refuse_ws(true);
    proxy.cut_ws();
    alice.wait_for_state("reconnecting").await;
    alice.send_from_inbox("2", "Sent from the lift").await;
    wait_for_outbox(&alice, 1, Some("queued")).await;
    let label = alice.text_of("[data-testid=outbox-item]").await;
    assert!(label.contains("Bob Horvath"), "{label}");
    alice.go("/faults").await;
    alice
        .testid("fault-title")
        .await
        .send_keys("Stairwell light out")
        .await
        .unwrap();
    alice
        .testid("fault-description")
        .await
        .send_keys("Third floor.")
        .await
        .unwrap();
    alice.testid("fault-submit").await.click().await.unwrap();
    wait_for_outbox(&alice, 1, Some("queued")).await;
    alice.screenshot("outbox-queued").await;
    // A reload keeps them.
    alice.client.refresh().await.unwrap();
    alice.testid("fault-form").await;
    wait_for_outbox(&alice, 1, Some("queued")).await;

    proxy.refuse_ws(false);
    alice.wait_for_state("connected").await;
    wait_for_outbox(&alice, 0, None).await;
    alice.go("/messages").await;
    alice.wait_for_message("Sent from the lift", 1).await;

    let api = server.api().await;
    let token = api.token("alice@demo.ppt").await;
    let messages = api.get(&token, "/messages").await;
    assert_eq!(count(&messages, "body", "Sent from the lift"), 1);
    let faults = api.get(&token, "/faults").await;
    assert_eq!(count(&faults, "title", "Stairwell light out"), 1);
    alice.close().await;
}

/// The server creates Alice's message but its answer is lost on the way back: the app
/// repeats it with the same `Idempotency-Key`, the server answers the first answer again,
/// and there is still one message.
#[tokio::test]
async fn a_lost_answer_is_repeated_and_still_creates_one() {
    let (server, proxy, alice) = alice_behind_a_proxy(r#"{"backoffMaxMs":1000}"#).await;

    proxy.lose_next_answer();
    alice.send_from_inbox("2", "Did this arrive?").await;
    alice.wait_for_message("Did this arrive?", 1).await;
    wait_for_outbox(&alice, 0, None).await;
    assert_eq!(proxy.answers_lost(), 1, "the first answer was lost");

    let api = server.api().await;
    let token = api.token("bob@demo.ppt").await;
    let messages = api.get(&token, "/messages").await;
    assert_eq!(count(&messages, "body", "Did this arrive?"), 1);
    assert_eq!(alice.message_count("Did this arrive?").await, 1);
    alice.close().await;
}

/// Reports a fault through the faults page's form.
async fn report_fault(b: &Browser, title: &str) {
    b.wait_until(
        "an empty fault form",
        "document.querySelector('[data-testid=fault-title]')?.value === ''",
    )
    .await;
    b.testid("fault-title")
        .await
        .send_keys(title)
        .await
        .unwrap();
    b.testid("fault-description")
        .await
        .send_keys("-")
        .await
        .unwrap();
    b.testid("fault-submit").await.click().await.unwrap();
}

/// Past the server's limit on creates (429 `rate_limited`, `Retry-After`), a create is not
/// failed: it waits in the outbox, saying so, and goes when the server allows, once.
#[tokio::test]
async fn a_create_past_the_limit_waits_its_turn() {
    let server =
        Server::start_with(|c| c.create_limits = vec!["faults=1/5s".parse().unwrap()]).await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/faults").await;
    alice.wait_for_state("connected").await;
    report_fault(&alice, "First of two").await;
    alice
        .wait_until(
            "the first fault listed",
            "document.querySelector('[data-testid=fault-list]')?.textContent.includes('First of two')",
        )
        .await;
    report_fault(&alice, "Second of two").await;
    wait_for_outbox(&alice, 1, Some("queued")).await;
    let said = alice.text_of("[data-testid=outbox-item]").await;
    assert!(said.contains("too many at once"), "{said}");
    alice.screenshot("outbox-limited").await;
    wait_for_outbox(&alice, 0, None).await;
    alice
        .wait_until(
            "the second fault listed",
            "document.querySelector('[data-testid=fault-list]')?.textContent.includes('Second of two')",
        )
        .await;
    let api = server.api().await;
    let token = api.token("alice@demo.ppt").await;
    let faults = api.get(&token, "/faults").await;
    assert_eq!(count(&faults, "title", "First of two"), 1);
    assert_eq!(count(&faults, "title", "Second of two"), 1);
    alice.close().await;
}
