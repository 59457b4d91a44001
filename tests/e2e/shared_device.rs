//! Nothing of a resident is left behind on a shared device (issue 26; docs/protocol.md, "Sessions and tokens"):
//! however a session ends that the browser learns of (the button, a sign-out from elsewhere
//! seen by the socket or by a reload), the lists kept for offline use, the stored outbox and
//! cursor, and the system notifications the page raised are gone, with the service worker
//! in control of the page and without it. "This is a shared computer" keeps nothing at all
//! and its cookie ends with the browser. An outbox the signed-in session did not store is
//! discarded unsent.

use serde_json::json;

use crate::support::*;

/// Cache Storage's caches that hold a user's answers (the worker's note of its user and the
/// lists kept per user), as a promise of their names.
const USER_CACHES: &str = "caches.keys().then(ns => ns.filter(n => n === 'ppt-session-v2' || n.startsWith('ppt-lists-v2-') || n === 'ppt-data-v1'))";

/// localStorage's keys that belong to a user.
const USER_KEYS: &str = "Object.keys(localStorage).filter(k => k.startsWith('ppt-web.outbox.') || k.startsWith('ppt-web.cursor.'))";

/// Watches the system notifications the page raises (the real ones are raised too):
/// `window.__raised` lists each one's title and whether it was closed. The page reads as
/// hidden, so that alerts go to the system.
const WATCH_NOTIFICATIONS: &str = r#"
    const Real = window.Notification;
    window.__raised = [];
    class Watched extends Real {
        constructor(title, options) {
            super(title, options);
            const seen = { title, closed: false };
            window.__raised.push(seen);
            const close = this.close.bind(this);
            this.close = () => { seen.closed = true; close(); };
        }
    }
    window.Notification = Watched;
    Object.defineProperty(document, 'hidden', { get: () => true, configurable: true });
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
"#;

/// Alice's lists kept by the worker: she signs in, the worker controls the page, and the
/// announcements opened under it are kept for her.
async fn alice_with_lists_kept(server: &Server) -> Browser {
    let alice = Browser::start().await;
    alice.login(server, "alice@demo.ppt").await;
    alice.wait_for_the_worker().await;
    alice.open_announcements(server).await;
    alice.wait_for_state("connected").await;
    alice
        .wait_until(
            "Alice's lists kept",
            "caches.open('ppt-lists-v2-1').then(c => c.keys()).then(k => k.length > 0)",
        )
        .await;
    alice
        .wait_until("her cursor stored", &format!("{USER_KEYS}.length > 0"))
        .await;
    alice
}

/// Waits until nothing of any user is left in Cache Storage or localStorage.
async fn wait_for_nothing_left(b: &Browser, what: &str) {
    b.wait_until(
        &format!("no user's caches left ({what})"),
        &format!("{USER_CACHES}.then(ns => ns.length === 0)"),
    )
    .await;
    b.wait_until(
        &format!("no user's keys left ({what})"),
        &format!("{USER_KEYS}.length === 0"),
    )
    .await;
}

/// The button, with the worker in control: the kept lists, the cursor and the system
/// notification with a private message in it are gone.
#[tokio::test]
async fn signing_out_leaves_nothing_behind() {
    let server = Server::start().await;
    let api = server.api().await;
    let alice_t = api.token("alice@demo.ppt").await;
    let mut prefs = api.get(&alice_t, "/notification-preferences").await;
    prefs["message"]["browser"] = json!(true);
    let (status, _) = api.put(&alice_t, "/notification-preferences", prefs).await;
    assert_eq!(status, 200);

    let alice = alice_with_lists_kept(&server).await;
    let origin = server.url("");
    alice
        .cdp(
            "Browser.grantPermissions",
            json!({ "origin": origin, "permissions": ["notifications"] }),
        )
        .await;
    alice.js(WATCH_NOTIFICATIONS).await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "my door code is 4711").await;
    alice
        .wait_until(
            "a system notification",
            "window.__raised.length === 1 && !window.__raised[0].closed",
        )
        .await;

    alice.testid("logout").await.click().await.unwrap();
    alice.testid("login-submit").await;
    wait_for_nothing_left(&alice, "after the button").await;
    alice
        .wait_until(
            "the notification closed",
            "window.__raised.every(n => n.closed)",
        )
        .await;
    alice.screenshot("signed-out").await;
    alice.close().await;
}

/// A page the worker does not control (a hard reload, Ctrl+Shift+R, bypasses it): the app
/// forgets what was kept without the worker's help.
#[tokio::test]
async fn signing_out_without_the_worker_leaves_nothing_behind() {
    let server = Server::start().await;
    let alice = alice_with_lists_kept(&server).await;
    alice.js("window.__before = true;").await;
    alice
        .cdp("Page.reload", json!({ "ignoreCache": true }))
        .await;
    alice
        .wait_until(
            "the page loaded again",
            "window.__before === undefined && !!document.querySelector('[data-testid=announcement-list] li')",
        )
        .await;
    assert_eq!(
        alice
            .js("return navigator.serviceWorker.controller === null;")
            .await,
        true,
        "the page is not under the worker"
    );
    let kept = alice
        .js(&format!("return {USER_CACHES};"))
        .await
        .as_array()
        .map_or(0, Vec::len);
    assert!(kept > 0, "the lists kept earlier are still there");

    alice.testid("logout").await.click().await.unwrap();
    alice.testid("login-submit").await;
    wait_for_nothing_left(&alice, "without the worker").await;
    alice.close().await;
}

/// Signed out from elsewhere (`ppt-server user logout`, the lost phone): the open page
/// learns it from its socket and forgets; a page opened later learns it from the refused
/// refresh and forgets too.
#[tokio::test]
async fn a_sign_out_from_elsewhere_leaves_nothing_behind() {
    let server = Server::start().await;
    let alice = alice_with_lists_kept(&server).await;
    ppt_server::admin::logout_user(server.state.storage.db(), "alice@demo.ppt")
        .await
        .unwrap();
    alice.testid("login-submit").await;
    wait_for_nothing_left(&alice, "the socket closed 4401").await;
    alice.close().await;

    // The same on a reload: the page was closed when the session was ended.
    let alice = alice_with_lists_kept(&server).await;
    alice.client.goto("about:blank").await.unwrap();
    ppt_server::admin::logout_user(server.state.storage.db(), "alice@demo.ppt")
        .await
        .unwrap();
    alice
        .client
        .goto(&server.url("/announcements"))
        .await
        .unwrap();
    alice.testid("login-submit").await;
    wait_for_nothing_left(&alice, "the refresh refused").await;
    alice.close().await;
}

/// "This is a shared computer": the cookie ends with the browser, and nothing of the
/// session is kept, not even while it lasts.
#[tokio::test]
async fn a_shared_computer_keeps_nothing() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.fill_login(&server.url(""), "alice@demo.ppt").await;
    alice.testid("login-shared").await.click().await.unwrap();
    alice.testid("login-submit").await.click().await.unwrap();
    alice.testid("dashboard").await;
    alice.wait_for_the_worker().await;
    let cookies = alice.cdp("Network.getAllCookies", json!({})).await;
    let refresh: Vec<_> = cookies["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["httpOnly"] == true)
        .collect();
    assert!(!refresh.is_empty(), "a refresh cookie: {cookies}");
    for c in &refresh {
        assert_eq!(c["session"], true, "ends with the browser: {c}");
    }

    // Lists read under the worker and events received: nothing stored.
    alice.open_announcements(&server).await;
    alice.wait_for_state("connected").await;
    let api = server.api().await;
    let bob = api.token("bob@demo.ppt").await;
    api.send_message(&bob, "1", "for a shared screen").await;
    alice.wait_for_unread(2).await;
    // The list fetched again, after the event, under the worker.
    alice.go("/messages").await;
    alice.wait_for_message("for a shared screen", 1).await;
    alice.open_announcements(&server).await;
    alice.wait_for_state("connected").await;
    assert_eq!(
        alice.js(&format!("return {USER_CACHES};")).await,
        json!([]),
        "no lists kept"
    );
    assert_eq!(
        alice.js(&format!("return {USER_KEYS};")).await,
        json!([]),
        "no outbox or cursor stored"
    );
    alice.close().await;
}

/// An outbox in this browser that the signed-in session did not store (left by an earlier
/// session, or planted by someone who used the browser before) is discarded unsent.
#[tokio::test]
async fn an_outbox_from_another_session_is_not_sent() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.client.goto(&server.url("/login")).await.unwrap();
    let planted = json!({
        "nextId": 2,
        "items": [{
            "id": 1, "key": "planted-1", "path": "/faults",
            "body": { "title": "Planted fault", "description": "sent as Alice" },
            "label": "Fault: Planted fault", "state": "queued", "error": null,
            "attempts": 0, "requestId": null
        }],
        "session": "not-this-session"
    });
    alice
        .client
        .execute(
            "localStorage.setItem('ppt-web.outbox.1', arguments[0]);",
            vec![planted.to_string().into()],
        )
        .await
        .unwrap();
    alice.login(&server, "alice@demo.ppt").await;
    alice.wait_for_state("connected").await;
    alice
        .wait_until(
            "the planted item discarded",
            "!(JSON.parse(localStorage.getItem('ppt-web.outbox.1') ?? '{\"items\":[]}').items.length)",
        )
        .await;
    // A fault she does create goes, so the outbox ran.
    let api = server.api().await;
    let alice_t = api.token("alice@demo.ppt").await;
    let faults = api.get(&alice_t, "/faults").await;
    assert!(
        !faults.to_string().contains("Planted fault"),
        "the planted create was not sent: {faults}"
    );
    alice.close().await;
}
