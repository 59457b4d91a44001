//! One socket per browser (docs/protocol.md, "Tabs"): tabs of one Chromium profile share the
//! socket, alert once, and hand the socket over when its tab closes. (Signing out in one
//! tab signs out all: `login::logout_in_one_tab_ends_the_others`.)

use crate::support::*;

/// Alice with three tabs (dashboard, messages, faults): the server holds one socket for
/// them, every tab shows the connection and the new unread count, and Bob's message chimes
/// once in the whole browser.
#[tokio::test]
async fn three_tabs_one_socket_one_chime() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let first = browser.current_tab().await;
    let messages = browser.open_tab(&server.url("/messages")).await;
    browser.testid("message-list").await;
    browser.wait_for_state("connected").await;
    let faults = browser.open_tab(&server.url("/faults")).await;
    browser.wait_for_state("connected").await;
    browser.wait_for_unread(1).await;
    server.wait_for_sockets(1).await;
    let tabs = [first, messages.clone(), faults];

    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "Three tabs, one chime").await;

    browser.switch_to(&messages).await;
    browser.wait_for_message("Three tabs, one chime", 1).await;
    for tab in &tabs {
        browser.switch_to(tab).await;
        browser.wait_for_unread(2).await;
        assert_eq!(browser.connection_state().await, "connected");
    }
    let mut sounds = 0;
    for tab in &tabs {
        browser.switch_to(tab).await;
        sounds += browser.sounds_played().await;
    }
    assert_eq!(sounds, 1, "one chime for the browser");
    assert_eq!(server.open_sockets(), 1, "still one socket");
    browser.switch_to(&messages).await;
    browser.screenshot("tabs-follower-inbox").await;

    // Diagnostics, one click from the status: which tab holds the socket, the last event.
    let row = |name: &str| format!("[data-testid=diagnostics] dd[data-row='{name}']");
    for (tab, holder) in [(&tabs[2], "another tab"), (&tabs[0], "this tab")] {
        browser.switch_to(tab).await;
        browser
            .testid("connection-details")
            .await
            .click()
            .await
            .unwrap();
        let held = browser.text_of(&row("Socket held by")).await;
        assert!(held.starts_with(holder), "{held}");
        browser
            .wait_until(
                "the last event",
                &format!(
                    "document.querySelector(\"{}\")?.textContent.startsWith('#')",
                    row("Last event")
                ),
            )
            .await;
        assert_eq!(browser.text_of(&row("State")).await, "connected");
    }
    browser
        .testid("diagnostics-copy")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_css("[data-testid=diagnostics-copy][data-copied=true]")
        .await;
    browser.screenshot("diagnostics").await;
    browser.close().await;
}

/// The tab holding the socket closes while Bob sends a burst: another tab takes over, and
/// both remaining tabs show every message once, with no "Reconnected" toast.
#[tokio::test]
async fn the_leader_closes_mid_burst_and_nothing_is_lost() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let leader = browser.current_tab().await;
    let mut followers = Vec::new();
    for _ in 0..2 {
        followers.push(browser.open_tab(&server.url("/messages")).await);
        browser.testid("message-list").await;
        browser.wait_for_state("connected").await;
        browser.count_toasts("reconnected").await;
    }
    server.wait_for_sockets(1).await;

    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    const BURST: usize = 30;
    let burst = {
        let api = server.api().await;
        tokio::spawn(async move {
            for i in 0..BURST {
                api.send_message(&bob, "1", &format!("Burst {i:02}.")).await;
            }
        })
    };
    // Some of the burst reached the tabs through the leader; then the leader goes.
    browser.switch_to(&followers[0]).await;
    browser.wait_for_message("Burst 03.", 1).await;
    browser.switch_to(&leader).await;
    browser.close_tab().await;
    burst.await.unwrap();

    for tab in &followers {
        browser.switch_to(tab).await;
        for i in 0..BURST {
            browser.wait_for_message(&format!("Burst {i:02}."), 1).await;
        }
        browser.wait_for_unread(1 + BURST as u64).await;
        browser.wait_for_state("connected").await;
    }
    server.wait_for_sockets(1).await;
    for tab in &followers {
        browser.switch_to(tab).await;
        for i in 0..BURST {
            assert_eq!(
                browser.message_count(&format!("Burst {i:02}.")).await,
                1,
                "message {i} once"
            );
        }
        assert_eq!(
            browser.toasts_seen("reconnected").await,
            0,
            "a hand-over is no reconnection"
        );
    }
    browser.close().await;
}

/// A preference changed in the tab holding the socket shows in the other tab at once (the
/// server's event reaches it through the leader's relay).
#[tokio::test]
async fn a_preference_changed_in_one_tab_applies_in_the_others() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "carol@demo.ppt").await;
    browser.go("/settings").await;
    browser
        .wait_css("[data-testid=pref-vote-sound]:not([disabled])")
        .await;
    browser.wait_for_state("connected").await;
    let leader = browser.current_tab().await;
    browser.open_tab(&server.url("/settings")).await;
    browser
        .wait_css("[data-testid=pref-vote-sound]:not([disabled])")
        .await;
    browser.wait_for_state("connected").await;
    server.wait_for_sockets(1).await;
    let follower = browser.current_tab().await;

    browser.switch_to(&leader).await;
    browser
        .testid("pref-vote-sound")
        .await
        .click()
        .await
        .unwrap();
    browser.switch_to(&follower).await;
    browser
        .wait_until(
            "the other tab's switch",
            "document.querySelector('[data-testid=pref-vote-sound]').checked === false",
        )
        .await;
    browser.close().await;
}
