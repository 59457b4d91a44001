//! Pages and the address bar (yew-router): deep links, Back and Forward, redirects that do
//! not trap Back; a document opened through its signed link.

use crate::support::*;

/// The path of the page the browser shows.
async fn path(browser: &Browser) -> String {
    browser
        .js("return location.pathname")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the address bar shows `want`.
async fn wait_for_path(browser: &Browser, want: &str) {
    browser
        .wait_until(
            &format!("the address {want}"),
            &format!("location.pathname === {want:?} ? 1 : null"),
        )
        .await;
}

/// A signed-out visit to a page behind the login lands on the login page in place of that
/// page (Back leaves the app instead of redirecting again); after signing in, a deep link to
/// a fault opens the faults page with that fault marked; the header's links push addresses
/// that Back and Forward walk, page and address together.
#[tokio::test]
async fn deep_links_back_forward_and_redirects() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    // Another site first: Back from the login page returns there.
    browser
        .client
        .goto("data:text/html,<p>elsewhere</p>")
        .await
        .unwrap();
    browser.client.goto(&server.url("/votes")).await.unwrap();
    browser.testid("login-email").await;
    wait_for_path(&browser, "/login").await;
    browser.client.back().await.unwrap();
    let back = browser.client.current_url().await.unwrap();
    assert_eq!(back.scheme(), "data", "Back from the redirect: {back}");

    browser.login(&server, "alice@demo.ppt").await;
    browser.client.goto(&server.url("/faults/1")).await.unwrap();
    browser
        .wait_css("[data-testid=fault-list] li.focused[data-id='1']")
        .await;
    assert_eq!(path(&browser).await, "/faults/1");

    browser.client.goto(&server.url("/")).await.unwrap();
    browser.testid("dashboard").await;
    browser
        .wait_css("header a.nav-messages")
        .await
        .click()
        .await
        .unwrap();
    browser.testid("message-list").await;
    wait_for_path(&browser, "/messages").await;
    browser.client.back().await.unwrap();
    browser.testid("dashboard").await;
    wait_for_path(&browser, "/").await;
    browser.client.forward().await.unwrap();
    browser.testid("message-list").await;
    wait_for_path(&browser, "/messages").await;
    browser.close().await;
}

/// A resident opens a document from the documents page: its link (signed for her building)
/// shows the file; the file's plain address shows nothing.
#[tokio::test]
async fn a_document_opens_through_its_link() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    browser
        .client
        .goto(&server.url("/documents"))
        .await
        .unwrap();
    browser.wait_css("[data-testid=document-list] a").await;
    let link = browser
        .js("return [...document.querySelectorAll('[data-testid=document-list] a')].find(a => a.textContent.includes('House rules')).getAttribute('href')")
        .await
        .as_str()
        .expect("the house rules have a link")
        .to_owned();
    assert!(link.starts_with("/api/v1/documents/"), "{link}");
    browser.client.goto(&server.url(&link)).await.unwrap();
    let text = browser.js("return document.body.innerText").await;
    assert!(
        text.as_str().unwrap_or("").contains("Quiet hours"),
        "{text}"
    );
    browser
        .client
        .goto(&server.url("/static/docs/house-rules.txt"))
        .await
        .unwrap();
    let text = browser.js("return document.body.innerText").await;
    assert!(
        !text.as_str().unwrap_or("").contains("Quiet hours"),
        "the plain address shows nothing of it: {text}"
    );
    browser.close().await;
}
