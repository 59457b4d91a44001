use serde_json::json;

use crate::support::*;

fn item_status_js(list: &str, id: &str, status: &str) -> String {
    format!("document.querySelector('[data-testid={list}] [data-id=\"{id}\"]')?.dataset.status === '{status}'")
}

/// Clicks the Delete button of the item of `list` that contains `text`; returns whether there
/// was one.
fn click_delete_js(list: &str, text: &str) -> String {
    format!(
        "const item = [...document.querySelectorAll('[data-testid={list}] > *')].find(e => e.textContent.includes({text:?})); \
         const b = item && item.querySelector('[data-testid=delete]'); if (!b) return false; b.click(); return true;"
    )
}

fn list_has_js(list: &str, text: &str) -> String {
    format!("[...document.querySelectorAll('[data-testid={list}] > *')].some(e => e.textContent.includes({text:?}))")
}

/// Waits until the faults list shows (fault 1 is open in the demo world) and the socket is up.
async fn faults_shown_and_connected(b: &Browser) {
    b.wait_until(
        "the faults list",
        &item_status_js("fault-list", "1", "open"),
    )
    .await;
    b.wait_for_state("connected").await;
}

const CHIP: &str = "!!document.querySelector('[data-testid=data-updated-chip]')";

/// Alice watches the faults list; Martin changes a fault's status elsewhere. Her list shows
/// the new status and the "Data updated" chip, without a reload; the chip goes away again.
#[tokio::test]
async fn someone_elses_change_refreshes_the_list() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/faults").await;
    faults_shown_and_connected(&alice).await;
    assert_eq!(alice.js(&format!("return {CHIP};")).await, json!(false));

    let api = server.api().await;
    let martin = api.token("martin@demo.ppt").await;
    let (status, _) = api
        .patch(&martin, "/faults/1", json!({ "status": "resolved" }))
        .await;
    assert_eq!(status, 200);
    alice
        .wait_until(
            "the new status",
            &item_status_js("fault-list", "1", "resolved"),
        )
        .await;
    alice.wait_until("the chip", CHIP).await;
    alice.screenshot("faults-data-updated").await;
    alice
        .wait_until("the chip to go", &format!("!({CHIP})"))
        .await;
    alice.close().await;
}

/// Opening a page by its address (a reload, a bookmark, a link from a notification) with a
/// session: its list is requested once. The app starts that request before its first render
/// (the start-up benchmark measures what it gains); the page, mounting while it is on its
/// way, shares it instead of asking again.
#[tokio::test]
async fn a_page_opened_by_address_fetches_its_list_once() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    // A reload of an app that has been running: it has saved where it is in the event log
    // (without that cursor, the first connection reloads every list, by design).
    alice.wait_for_state("connected").await;
    alice
        .wait_until(
            "the saved cursor",
            "localStorage.getItem('ppt-web.cursor.1') !== null",
        )
        .await;
    alice.client.goto(&server.url("/faults")).await.unwrap();
    faults_shown_and_connected(&alice).await;
    let fetches = |path: &str| {
        format!(
            "return performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/api/v1{path}').length;"
        )
    };
    assert_eq!(alice.js(&fetches("/faults")).await, json!(1));
    // Other lists are not fetched for a page that does not show them.
    assert_eq!(alice.js(&fetches("/votes")).await, json!(0));
    alice.close().await;
}

/// My own change updates my list but shows no chip.
#[tokio::test]
async fn my_own_change_shows_no_chip() {
    let server = Server::start().await;
    let martin = Browser::start().await;
    martin.login(&server, "martin@demo.ppt").await;
    martin.go("/faults").await;
    martin.wait_for_state("connected").await;
    let select = martin
        .wait_css("[data-testid=fault-list] [data-id=\"2\"] select")
        .await;
    select.select_by_value("resolved").await.unwrap();
    // The list changes in the same render that would show a chip, if one were due.
    martin
        .wait_until(
            "the new status",
            &item_status_js("fault-list", "2", "resolved"),
        )
        .await;
    assert_eq!(martin.js(&format!("return {CHIP};")).await, json!(false));
    // The server's event for this change (with this tab's request id) arrives too, and still no chip.
    let api = server.api().await;
    let t = api.token("carol@demo.ppt").await;
    api.post(
        &t,
        "/faults",
        json!({ "title": "Marker", "description": "-" }),
    )
    .await;
    martin
        .wait_until("Carol's fault", &list_has_js("fault-list", "Marker"))
        .await;
    martin.close().await;
}

/// A page Alice is not on refetches when she opens it.
#[tokio::test]
async fn a_page_not_shown_refetches_when_opened() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/announcements").await;
    alice
        .wait_until(
            "announcements",
            &list_has_js("announcement-list", "Welcome"),
        )
        .await;
    alice.go("/faults").await;
    alice.testid("fault-list").await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let martin = api.token("martin@demo.ppt").await;
    api.post(
        &martin,
        "/announcements",
        json!({ "title": "Roof works in May", "body": "Scaffolding on the east side." }),
    )
    .await;
    // The notification toast shows the event arrived while the list was off screen.
    alice
        .wait_css("[data-testid=toast][data-kind=notification]")
        .await;
    alice.go("/announcements").await;
    alice
        .wait_until(
            "the new announcement",
            &list_has_js("announcement-list", "Roof works in May"),
        )
        .await;
    alice.close().await;
}

/// With announcement toasts switched off, no toast appears while the list still updates.
#[tokio::test]
async fn toasts_off_list_still_updates() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/settings").await;
    alice
        .wait_css("[data-testid=pref-announcement-toast]:not([disabled])")
        .await
        .click()
        .await
        .unwrap();
    let api = server.api().await;
    let alice_t = api.token("alice@demo.ppt").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while api.get(&alice_t, "/notification-preferences").await["announcement"]["toast"]
        != json!(false)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the preference was saved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    alice.go("/announcements").await;
    alice
        .wait_until(
            "announcements",
            &list_has_js("announcement-list", "Welcome"),
        )
        .await;
    alice.wait_for_state("connected").await;
    let martin = api.token("martin@demo.ppt").await;
    api.post(
        &martin,
        "/announcements",
        json!({ "title": "Quiet notice", "body": "No toast for this." }),
    )
    .await;
    // The list refetch follows the notification event on the same socket, so by the time the
    // list shows it, a toast would already be there.
    alice
        .wait_until(
            "the new announcement",
            &list_has_js("announcement-list", "Quiet notice"),
        )
        .await;
    assert_eq!(
        alice
            .js("return document.querySelectorAll('[data-testid=toast]').length;")
            .await,
        json!(0)
    );
    alice.close().await;
}

/// Residents report faults and vote; managers post announcements: each through its form,
/// each showing up in the list.
#[tokio::test]
async fn role_actions_through_the_forms() {
    let server = Server::start().await;
    let carol = Browser::start().await;
    carol.login(&server, "carol@demo.ppt").await;
    carol.go("/faults").await;
    carol
        .testid("fault-title")
        .await
        .send_keys("Garage gate stuck")
        .await
        .unwrap();
    carol
        .testid("fault-description")
        .await
        .send_keys("It stops half open.")
        .await
        .unwrap();
    carol.testid("fault-submit").await.click().await.unwrap();
    carol
        .wait_until(
            "the reported fault",
            &list_has_js("fault-list", "Garage gate stuck"),
        )
        .await;
    assert!(
        carol
            .client
            .find(fantoccini::Locator::Css(
                "[data-testid=fault-status-select]"
            ))
            .await
            .is_err(),
        "residents cannot change status"
    );

    carol.go("/votes").await;
    carol
        .wait_css("[data-testid=vote-option]")
        .await
        .click()
        .await
        .unwrap();
    carol.wait_until("the ballot counted", "!document.querySelector('[data-testid=vote-option]') && [...document.querySelectorAll('[data-testid=vote-count]')].map(e => +e.textContent).reduce((a, b) => a + b, 0) === 2").await;
    carol.screenshot("votes").await;
    carol.close().await;

    let martin = Browser::start().await;
    martin.login(&server, "martin@demo.ppt").await;
    martin.go("/announcements").await;
    martin
        .testid("announcement-title")
        .await
        .send_keys("Lift inspection")
        .await
        .unwrap();
    martin
        .testid("announcement-body")
        .await
        .send_keys("Thursday 10:00, the lift is out for an hour.")
        .await
        .unwrap();
    martin
        .testid("announcement-submit")
        .await
        .click()
        .await
        .unwrap();
    martin
        .wait_until(
            "the announcement",
            &list_has_js("announcement-list", "Lift inspection"),
        )
        .await;
    // The fields were cleared after the post succeeded.
    assert_eq!(
        martin
            .js("return document.querySelector('[data-testid=announcement-title]').value;")
            .await,
        json!("")
    );
    martin.go("/votes").await;
    let fill_vote = |question: &'static str, options: &'static str| {
        format!(
            "const f = document.querySelector('[data-testid=vote-form]'); const [q, o] = f.querySelectorAll('input');\
             q.value = {question:?}; o.value = {options:?}; f.querySelector('button').click(); return null;"
        )
    };
    martin.wait_css("[data-testid=vote-form]").await;
    // Too few options: the server's error is shown in the form and nothing is opened.
    martin.js(&fill_vote("Bike shed colour?", "Green")).await;
    martin.wait_css("[data-testid=vote-form] .form-error").await;
    martin
        .js(&fill_vote("Bike shed colour?", "Green, Blue"))
        .await;
    martin
        .wait_until("the vote", &list_has_js("vote-list", "Bike shed colour?"))
        .await;
    martin
        .wait_until(
            "the error gone",
            "!document.querySelector('[data-testid=vote-form] .form-error')",
        )
        .await;
    martin.close().await;
}

/// Martin deletes an announcement with the page's button (two clicks: "Delete", "Really
/// delete?"); it vanishes from Alice's open page at once with the "Data updated" chip, and
/// from his own without one (his own change). Alice withdraws the fault she reported the same
/// way and it vanishes from Martin's open page; Martin's deleted vote and document vanish
/// from Alice's. Residents have no delete button on announcements.
#[tokio::test]
async fn deleted_items_vanish_live_from_open_pages() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    let martin = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    martin.login(&server, "martin@demo.ppt").await;
    let shown = |text: &str| list_has_js("announcement-list", text);
    for b in [&alice, &martin] {
        b.go("/announcements").await;
        b.wait_until("the announcements", &shown("Water off")).await;
        b.wait_for_state("connected").await;
    }
    let buttons = "return document.querySelectorAll('[data-testid=announcement-list] [data-testid=delete]').length;";
    assert_eq!(
        alice.js(buttons).await,
        json!(0),
        "residents cannot delete announcements"
    );
    let delete_first = r#"
        const item = [...document.querySelectorAll('[data-testid=announcement-list] > *')]
            .find(e => e.textContent.includes('Water off'));
        item.querySelector('[data-testid=delete]').click();
        return null;"#;
    martin.js(delete_first).await;
    martin
        .wait_until(
            "the button to ask again",
            "document.querySelector('[data-testid=announcement-list] [data-testid=delete].armed') !== null",
        )
        .await;
    martin.js(delete_first).await;
    alice
        .wait_until(
            "the announcement to vanish",
            &format!("!({})", shown("Water off")),
        )
        .await;
    alice.wait_until("the chip", CHIP).await;
    martin
        .wait_until(
            "gone on his page too",
            &format!("!({})", shown("Water off")),
        )
        .await;
    assert_eq!(
        martin.js(&format!("return {CHIP};")).await,
        json!(false),
        "no chip for his own change"
    );
    assert!(alice.js(&format!("return {};", shown("Welcome"))).await == json!(true));

    // A resident withdraws the fault she reported while it is open: it vanishes from the
    // manager's open page.
    let api = server.api().await;
    let token = api.token("alice@demo.ppt").await;
    let (status, _) = api
        .post(
            &token,
            "/faults",
            json!({ "title": "Squeaky door", "description": "-" }),
        )
        .await;
    assert_eq!(status, 201);
    let fault = list_has_js("fault-list", "Squeaky door");
    for b in [&alice, &martin] {
        b.go("/faults").await;
        b.wait_until("the fault", &fault).await;
    }
    assert_eq!(
        alice
            .js(&click_delete_js("fault-list", "Squeaky door"))
            .await,
        json!(true),
        "her own open fault has a button"
    );
    alice
        .wait_css("[data-testid=fault-list] [data-testid=delete].armed")
        .await;
    alice
        .js(&click_delete_js("fault-list", "Squeaky door"))
        .await;
    martin
        .wait_until("the fault to vanish", &format!("!({fault})"))
        .await;
    martin.wait_until("the chip", CHIP).await;

    // A manager deletes a vote and a document: each vanishes from the resident's open page.
    let martin_t = api.token("martin@demo.ppt").await;
    for (path, list) in [("/votes", "vote-list"), ("/documents", "document-list")] {
        let first = api.get(&martin_t, path).await;
        let title = first[0]["title"].as_str().unwrap().to_owned();
        let shown = list_has_js(list, &title);
        for b in [&alice, &martin] {
            b.go(path).await;
            b.wait_until("the item", &shown).await;
        }
        assert_eq!(
            martin.js(&click_delete_js(list, &title)).await,
            json!(true),
            "managers may delete from {path}"
        );
        martin
            .wait_css(&format!("[data-testid={list}] [data-testid=delete].armed"))
            .await;
        martin.js(&click_delete_js(list, &title)).await;
        alice
            .wait_until(
                &format!("{title:?} to vanish from {path}"),
                &format!("!({shown})"),
            )
            .await;
        alice.wait_until("the chip", CHIP).await;
    }
    alice.screenshot("deleted-live").await;
    alice.close().await;
    martin.close().await;
}

/// Counts every moment the "Data updated" chip is on screen, from now on (the page is a
/// single-page app: the watcher survives navigation).
const WATCH_CHIP: &str = "window.__chips = 0; new MutationObserver(() => { if (document.querySelector('[data-testid=data-updated-chip]')) window.__chips++; }).observe(document.body, { childList: true, subtree: true }); return null;";

/// Bob's own changes, each through the page a resident uses (send a message, read one,
/// report a fault, vote, withdraw his fault), never raise the "Data updated" chip, though
/// each comes back as events on his socket; someone else's change does (the control).
#[tokio::test]
async fn the_chip_never_shows_for_my_own_changes() {
    let server = Server::start().await;
    let bob = Browser::start().await;
    let api = server.api().await;
    let alice = api.token("alice@demo.ppt").await;
    let martin = api.token("martin@demo.ppt").await;
    let (status, _) = api
        .post(
            &martin,
            "/votes",
            json!({ "title": "Bench by the door?", "options": ["Yes", "No"] }),
        )
        .await;
    assert_eq!(status, 201);
    bob.login(&server, "bob@demo.ppt").await;
    bob.wait_for_state("connected").await;
    bob.js(WATCH_CHIP).await;

    // Send.
    bob.go("/messages").await;
    bob.send_from_inbox("1", "Mine, no chip").await;
    bob.wait_for_message("Mine, no chip", 1).await;
    // Read: Alice writes, Bob opens it.
    api.send_message(&alice, "2", "Please read me").await;
    bob.wait_for_message("Please read me", 1).await;
    bob.js("[...document.querySelectorAll('[data-testid=message-item][data-unread=true]')].find(e => e.textContent.includes('Please read me')).querySelector('button').click(); return null;").await;
    bob.wait_until(
        "the message read",
        "[...document.querySelectorAll('[data-testid=message-item]')].find(e => e.textContent.includes('Please read me')).dataset.unread === 'false'",
    )
    .await;

    // Report, then withdraw.
    bob.go("/faults").await;
    bob.testid("fault-title")
        .await
        .send_keys("Bob's own fault")
        .await
        .unwrap();
    bob.testid("fault-description")
        .await
        .send_keys("-")
        .await
        .unwrap();
    bob.testid("fault-submit").await.click().await.unwrap();
    let fault = list_has_js("fault-list", "Bob's own fault");
    bob.wait_until("his fault", &fault).await;
    let delete = r#"
        const item = [...document.querySelectorAll('[data-testid=fault-list] > *')]
            .find(e => e.textContent.includes("Bob's own fault"));
        item.querySelector('[data-testid=delete]').click();
        return null;"#;
    bob.js(delete).await;
    bob.wait_css("[data-testid=fault-list] [data-testid=delete].armed")
        .await;
    bob.js(delete).await;
    bob.wait_until("his fault withdrawn", &format!("!({fault})"))
        .await;

    // Vote.
    bob.go("/votes").await;
    let vote = "[...document.querySelectorAll('[data-testid=vote-list] > *')].find(e => e.textContent.includes('Bench by the door?'))";
    bob.wait_until(
        "the open vote",
        &format!("{vote}?.querySelector('[data-testid=vote-option]')"),
    )
    .await;
    bob.js(&format!(
        "{vote}.querySelector('[data-testid=vote-option]').click(); return null;"
    ))
    .await;
    bob.wait_until(
        "the ballot counted",
        &format!("!{vote}.querySelector('[data-testid=vote-option]')"),
    )
    .await;

    // Every event of those changes came before this message on the socket: once it shows,
    // they have all been applied.
    bob.go("/messages").await;
    api.send_message(&alice, "2", "Sync point").await;
    bob.wait_for_message("Sync point", 1).await;
    assert_eq!(
        bob.js("return window.__chips;").await,
        json!(0),
        "no chip for my own changes"
    );

    // The control: someone else's change on the page Bob is looking at shows the chip. The
    // first vote may land in the refetch the page starts as it opens (then it is no change
    // to show); once Bob's list holds it, the second can only arrive as someone else's.
    bob.go("/votes").await;
    bob.wait_css("[data-testid=vote-list]").await;
    for title in ["Someone else's vote", "And another"] {
        let (status, _) = api
            .post(
                &martin,
                "/votes",
                json!({ "title": title, "options": ["A", "B"] }),
            )
            .await;
        assert_eq!(status, 201);
        bob.wait_until(title, &list_has_js("vote-list", title))
            .await;
    }
    bob.wait_until("the chip", CHIP).await;
    assert!(bob.js("return window.__chips;").await.as_u64().unwrap() > 0);
    bob.close().await;
}

/// A list longer than a page offers "Load older" (`load-older`) and brings the rest from the
/// server; once loaded, a change by someone else refreshes every loaded page, not the first
/// one only.
#[tokio::test]
async fn older_items_load_on_demand_and_stay_live() {
    let server = Server::start_with(|c| c.create_limits = vec!["off".parse().unwrap()]).await;
    let api = server.api().await;
    let martin = api.token("martin@demo.ppt").await;
    for i in 0..60 {
        let (status, _) = api
            .post(
                &martin,
                "/announcements",
                json!({ "title": format!("Notice {i:02}"), "body": "-" }),
            )
            .await;
        assert_eq!(status, 201);
    }
    let all = api.get(&martin, "/announcements?limit=200").await;
    let total = all.as_array().unwrap().len();
    assert!(total > 60);

    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.go("/announcements").await;
    alice.wait_for_state("connected").await;
    let items = "document.querySelectorAll('[data-testid=announcement-list] > li').length";
    alice
        .wait_until("the first page", &format!("{items} === 50"))
        .await;
    // A click on the button while a fetch is on its way (it is disabled then) is lost.
    alice
        .wait_until(
            "load-older ready",
            "document.querySelector('[data-testid=load-older]')?.disabled === false",
        )
        .await;
    alice.testid("load-older").await.click().await.unwrap();
    alice
        .wait_until("every announcement", &format!("{items} === {total}"))
        .await;
    alice
        .wait_until(
            "nothing older to load",
            "document.querySelector('[data-testid=load-older]') === null",
        )
        .await;
    assert!(alice
        .js(&format!(
            "return {};",
            list_has_js("announcement-list", "Notice 00")
        ))
        .await
        .as_bool()
        .unwrap());

    let (status, _) = api
        .post(
            &martin,
            "/announcements",
            json!({ "title": "One more notice", "body": "-" }),
        )
        .await;
    assert_eq!(status, 201);
    alice
        .wait_until(
            "the new one on top of every loaded page",
            &format!(
                "{} && {items} === {}",
                list_has_js("announcement-list", "One more notice"),
                total + 1
            ),
        )
        .await;
    alice.close().await;
}
