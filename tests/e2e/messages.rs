use fantoccini::Locator;
use serde_json::json;

use crate::support::*;

/// Opens Alice's inbox and waits until it shows, her badge counts Carol's seeded message and
/// the socket is up.
async fn in_the_inbox_connected(alice: &Browser) {
    alice.go("/messages").await;
    alice.testid("message-list").await;
    alice.wait_for_unread(1).await;
    alice.wait_for_state("connected").await;
}

/// Bob writes to Alice through the compose form; Alice's open inbox shows it and her badge
/// rises without a reload, and a sound is asked for.
#[tokio::test]
async fn a_message_reaches_the_open_inbox_at_once() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    let bob = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    in_the_inbox_connected(&alice).await;
    let sounds_before = alice.sounds_played().await;

    bob.login(&server, "bob@demo.ppt").await;
    bob.go("/messages").await;
    bob.send_from_inbox("1", "Your parcel is with me").await;

    alice.wait_for_message("Your parcel is with me", 1).await;
    alice.wait_for_unread(2).await;
    // Bob's conversation is now the newest, and opening it shows just that conversation.
    let first = alice
        .js("return document.querySelector('[data-testid=conversation-item]')?.dataset.id;")
        .await;
    assert_eq!(first, json!("1-2"));
    alice
        .wait_css("[data-testid=conversation-item][data-id='1-2']")
        .await
        .click()
        .await
        .unwrap();
    alice
        .wait_until(
            "only Bob's conversation",
            "document.querySelectorAll('[data-testid=message-item]').length === 3",
        )
        .await;
    assert_eq!(
        alice.sounds_played().await,
        sounds_before + 1,
        "one sound for one message"
    );
    let toast = alice
        .text_of("[data-testid=toast][data-kind=message]")
        .await;
    assert!(toast.contains("Bob Horvath"), "{toast}");
    alice.screenshot("inbox-live").await;
    // Bob's own copy is in his list once, and he heard nothing.
    bob.wait_for_message("Your parcel is with me", 1).await;
    assert_eq!(bob.message_count("Your parcel is with me").await, 1);
    assert_eq!(bob.sounds_played().await, 0);
    alice.close().await;
    bob.close().await;
}

/// Alice reads a message in one session; the badge falls in her other session too.
#[tokio::test]
async fn reading_in_one_tab_updates_the_badge_in_another() {
    let server = Server::start().await;
    let tab1 = Browser::start().await;
    let tab2 = Browser::start().await;
    tab1.login(&server, "alice@demo.ppt").await;
    tab2.login(&server, "alice@demo.ppt").await;
    tab2.wait_for_unread(1).await;
    tab2.wait_for_state("connected").await;

    tab1.go("/messages").await;
    tab1.wait_css("[data-testid=message-item][data-unread=true] button")
        .await
        .click()
        .await
        .unwrap();
    tab1.wait_for_unread(0).await;
    tab2.wait_for_unread(0).await;
    assert!(
        tab2.client
            .find(Locator::Css("[data-testid=unread-count]"))
            .await
            .is_err(),
        "no badge at zero"
    );
    tab1.close().await;
    tab2.close().await;
}

/// A preference changed in one session applies in the other without a reload.
#[tokio::test]
async fn preferences_sync_across_sessions() {
    let server = Server::start().await;
    let tab1 = Browser::start().await;
    let tab2 = Browser::start().await;
    for tab in [&tab1, &tab2] {
        tab.login(&server, "carol@demo.ppt").await;
        tab.go("/settings").await;
        tab.wait_css("[data-testid=pref-vote-sound]:not([disabled])")
            .await;
    }
    tab2.wait_for_state("connected").await;
    assert_eq!(
        tab2.js("return document.querySelector('[data-testid=pref-vote-sound]').checked;")
            .await,
        json!(true)
    );
    tab1.testid("pref-vote-sound").await.click().await.unwrap();
    tab2.wait_until(
        "the other session's switch",
        "document.querySelector('[data-testid=pref-vote-sound]').checked === false",
    )
    .await;
    tab2.screenshot("settings").await;
    let api = server.api().await;
    let saved = api
        .get(
            &api.token("carol@demo.ppt").await,
            "/notification-preferences",
        )
        .await;
    assert_eq!(saved["vote"]["sound"], false);
    tab1.close().await;
    tab2.close().await;
}

/// A fault's status change reaches its reporter as a toast, and a new vote reaches every
/// resident: each notification category, not only announcements.
#[tokio::test]
async fn fault_and_vote_notifications_toast_a_resident() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let alice_t = api.token("alice@demo.ppt").await;
    let martin = api.token("martin@demo.ppt").await;
    let (status, fault) = api
        .post(
            &alice_t,
            "/faults",
            json!({ "title": "Dripping tap", "description": "Laundry room." }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .patch(
            &martin,
            &format!("/faults/{}", fault["id"].as_str().unwrap()),
            json!({ "status": "in_progress" }),
        )
        .await;
    assert_eq!(status, 200);
    let toast = alice
        .text_of("[data-testid=toast][data-kind=notification]")
        .await;
    assert!(toast.contains("Dripping tap"), "{toast}");
    let (status, _) = api
        .post(
            &martin,
            "/votes",
            json!({ "title": "Paint the stairwell?", "options": ["Yes", "No"] }),
        )
        .await;
    assert_eq!(status, 201);
    alice
        .wait_until(
            "the vote's toast",
            "[...document.querySelectorAll('[data-testid=toast][data-kind=notification]')].some(t => t.textContent.includes('Paint the stairwell?'))",
        )
        .await;
    alice.screenshot("fault-and-vote-toasts").await;
    alice.close().await;
}

/// A manager's announcement raises a notification toast for a resident who allows it.
#[tokio::test]
async fn an_announcement_toasts_residents() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let martin = api.token("martin@demo.ppt").await;
    let (status, _) = api
        .post(
            &martin,
            "/announcements",
            json!({ "title": "Boiler service Friday", "body": "Hot water off 9-12." }),
        )
        .await;
    assert_eq!(status, 201);
    let toast = alice
        .text_of("[data-testid=toast][data-kind=notification]")
        .await;
    assert!(toast.contains("Boiler service Friday"), "{toast}");
    alice.screenshot("announcement-toast").await;
    alice.testid("toast-dismiss").await.click().await.unwrap();
    alice
        .wait_until(
            "the toast gone",
            "!document.querySelector('[data-testid=toast]')",
        )
        .await;
    alice.close().await;
}

/// With message sounds off, a new message plays no sound (but still arrives).
#[tokio::test]
async fn sound_follows_the_preference() {
    let server = Server::start().await;
    let api = server.api().await;
    let alice_t = api.token("alice@demo.ppt").await;
    let mut prefs = api.get(&alice_t, "/notification-preferences").await;
    prefs["message"]["sound"] = json!(false);
    let (status, _) = api.put(&alice_t, "/notification-preferences", prefs).await;
    assert_eq!(status, 200);

    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "quiet please").await;
    alice.wait_for_message("quiet please", 1).await;
    assert_eq!(alice.sounds_played().await, 0);
    alice.close().await;
}

/// Against a server speaking the original format (no `id` on events) the app connects and
/// a message still arrives live.
#[tokio::test]
async fn works_against_a_server_without_event_ids() {
    let server = Server::start_with(|c| c.omit_event_ids = true).await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "original format").await;
    alice.wait_for_message("original format", 1).await;
    alice.wait_for_unread(2).await;
    alice.close().await;
}

/// A burst of messages: the inbox shows the newest 100 rows, the badge counts them all, and
/// "Show older messages" (`load-older`) brings the rest, a hundred rows at a time and past
/// the server's first page of 500 (`GET /messages?before=`), down to the oldest.
#[tokio::test]
async fn a_burst_fills_the_inbox_a_page_at_a_time() {
    let server = Server::start_with(|c| c.bench_api = true).await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;

    let api = server.api().await;
    // The load source is a manager's: Martin's messages.
    let martin = api.token("martin@demo.ppt").await;
    let (status, _) = api
        .post(
            &martin,
            "/bench/publish",
            json!({ "kind": "message", "toUserId": "1", "count": 560, "perSec": 5000 }),
        )
        .await;
    assert_eq!(status, 200);
    alice.wait_for_unread(561).await;
    alice
        .wait_for_message("Benchmark message 560 sent", 1)
        .await;
    assert_eq!(alice.message_count("").await, 100);
    let alice_t = api.token("alice@demo.ppt").await;
    let mut total = 0;
    let mut before = None;
    loop {
        let path = match &before {
            Some(b) => format!("/messages?limit=200&before={b}"),
            None => "/messages?limit=200".into(),
        };
        let page = api.get(&alice_t, &path).await;
        let page = page.as_array().unwrap();
        if page.is_empty() {
            break;
        }
        total += page.len();
        before = page.last().unwrap()["id"].as_str().map(str::to_owned);
    }
    assert!(total > 560, "{total}");
    let shown = "document.querySelectorAll('[data-testid=message-item]').length";
    let mut clicks = 0;
    while alice
        .js(&format!("return {shown};"))
        .await
        .as_u64()
        .unwrap()
        < total as u64
    {
        let before = alice
            .js(&format!("return {shown};"))
            .await
            .as_u64()
            .unwrap();
        alice.testid("load-older").await.click().await.unwrap();
        alice
            .wait_until(
                "more inbox items",
                &format!("{shown} > {before} && !document.querySelector('[data-testid=load-older]')?.disabled"),
            )
            .await;
        clicks += 1;
        assert!(clicks <= 6, "at most a click per hundred");
    }
    assert_eq!(alice.message_count("Benchmark message 1 sent").await, 1);
    alice
        .wait_until(
            "nothing older to load",
            "document.querySelector('[data-testid=load-older]') === null",
        )
        .await;
    alice.screenshot("inbox-after-a-burst").await;
    alice.close().await;
}
