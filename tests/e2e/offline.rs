//! The app starts from cache (issue 16): the service worker keeps the shell, its hashed files
//! and the lists a resident read; a repeat visit with the server gone starts and shows them; a
//! new deployment is offered with a "new version" bar instead of a mix of two builds; the
//! manifest makes the app installable.

use std::path::Path;

use crate::support::*;

/// Copies the built app, so a test can deploy a "new version" of it.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The build `index.html` starts, under a new hash one digit shorter (the same content):
/// Trunk writes hashes without leading zeros, so one build in 16 has 15 digits, and the
/// worker must still tell such builds apart. The compressed copies of the page go (the server
/// writes them again when it next starts).
fn rename_build(dist: &Path) {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap();
    let loader = std::fs::read_dir(dist)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("ppt-web-") && n.ends_with(".js") && html.contains(n.as_str()))
        .expect("the loader the page starts");
    let old = loader.trim_end_matches(".js").to_owned();
    let hash: String = old["ppt-web-".len()..].chars().rev().collect();
    let new = format!("ppt-web-{}", &hash[1..]);
    for suffix in [".js", "_bg.wasm"] {
        std::fs::copy(
            dist.join(format!("{old}{suffix}")),
            dist.join(format!("{new}{suffix}")),
        )
        .unwrap();
    }
    std::fs::write(&index, html.replace(&old, &new)).unwrap();
    for suffix in ["br", "gz"] {
        let _ = std::fs::remove_file(dist.join(format!("index.html.{suffix}")));
    }
}

/// A new deployment: [`rename_build`], and a marker in the page's head.
fn deploy_new_version(dist: &Path) {
    rename_build(dist);
    let index = dist.join("index.html");
    let mut html = std::fs::read_to_string(&index).unwrap();
    html = html.replacen("<head>", "<head><meta name=\"ppt-build\" content=\"2\">", 1);
    if !html.contains("ppt-build") {
        html = html.replacen("<meta", "<meta name=\"ppt-build\" content=\"2\"><meta", 1);
    }
    std::fs::write(&index, html).unwrap();
}

const ITEMS: &str = "document.querySelectorAll('[data-testid=announcement-list] li').length";

/// Alice signed in, her page under the service worker.
async fn alice_under_the_worker(server: &Server) -> Browser {
    let alice = Browser::start().await;
    alice.login(server, "alice@demo.ppt").await;
    alice.wait_for_the_worker().await;
    alice
}

#[tokio::test]
async fn a_repeat_visit_starts_from_cache_and_a_new_deployment_asks_to_reload() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dist_dir(), copy.path());
    // The build served first has a 15-digit hash (and the next one 14).
    rename_build(copy.path());
    let mut server = Server::start_serving(copy.path().to_path_buf(), |_| {}).await;
    let alice = alice_under_the_worker(&server).await;

    // Opened under the worker, the announcements are kept for Alice.
    alice.open_announcements(&server).await;
    alice.wait_for_state("connected").await;
    let shown = alice
        .js(&format!("return {ITEMS};"))
        .await
        .as_u64()
        .unwrap();
    assert!(shown > 0);

    // The server is gone; the page opened again starts from cache with the same list.
    server.stop().await;
    alice
        .client
        .goto(&server.url("/announcements"))
        .await
        .unwrap();
    alice
        .wait_until("the cached announcements", &format!("{ITEMS} === {shown}"))
        .await;
    assert_ne!(alice.connection_state().await, "connected");
    alice.screenshot("offline-start").await;

    // The server is back: the session is renewed through its cookie, live again.
    server.start_again().await;
    alice.wait_for_state("connected").await;

    // A new deployment: the page keeps running on its cached build and offers the new one.
    deploy_new_version(copy.path());
    alice.client.refresh().await.unwrap();
    alice.testid("update-available").await;
    assert_eq!(
        alice
            .js("return document.querySelector('meta[name=ppt-build]') === null;")
            .await,
        true,
        "the page started from its cached build"
    );
    alice.wait_css("[data-testid=announcement-list] li").await;
    alice.screenshot("update-available").await;
    alice.testid("update-reload").await.click().await.unwrap();
    alice
        .wait_until(
            "the new version to run",
            "document.querySelector('meta[name=ppt-build]') !== null",
        )
        .await;
    alice.wait_css("[data-testid=announcement-list] li").await;
    alice.wait_for_state("connected").await;
    alice.close().await;
}

/// Logging out forgets the kept lists: the next person on this browser offline sees none.
#[tokio::test]
async fn logging_out_forgets_what_was_kept() {
    let server = Server::start().await;
    let alice = alice_under_the_worker(&server).await;
    alice.open_announcements(&server).await;
    let kept = "caches.open('ppt-lists-v2-1').then(c => c.keys()).then(k => k.length)";
    alice
        .wait_until("lists kept", &format!("{kept}.then(n => n > 0)"))
        .await;
    alice.testid("logout").await.click().await.unwrap();
    alice.testid("login-submit").await;
    alice
        .wait_until("nothing kept", &format!("{kept}.then(n => n === 0)"))
        .await;
    alice.close().await;
}

/// The manifest names the app and its icons, and Chromium finds nothing that keeps it from
/// being installed.
#[tokio::test]
async fn the_app_is_installable() {
    let server = Server::start().await;
    let api = reqwest::get(server.url("/static/manifest.webmanifest"))
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    let manifest: serde_json::Value = api.json().await.unwrap();
    assert_eq!(manifest["display"], "standalone");
    for icon in manifest["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        let answer = reqwest::get(server.url(src)).await.unwrap();
        assert_eq!(answer.status(), 200, "{src}");
    }
    // Crawlers are told what is not for them (an audit flags a robots.txt that is the app's page).
    let robots = reqwest::get(server.url("/robots.txt")).await.unwrap();
    assert_eq!(robots.headers()["content-type"], "text/plain");
    assert!(robots.text().await.unwrap().starts_with("User-agent:"));
    let alice = alice_under_the_worker(&server).await;
    let errors = alice
        .cdp("Page.getInstallabilityErrors", serde_json::json!({}))
        .await;
    assert_eq!(
        errors["installabilityErrors"],
        serde_json::json!([]),
        "installable"
    );
    alice.close().await;
}
