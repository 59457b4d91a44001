use crate::support::*;

/// A demo resident logs in through the form, lands on the dashboard with their name in the
/// header, and a reload keeps them logged in through the refresh cookie: nothing of the
/// session is in the page's storage, and script cannot read the cookie. After logout a
/// reload finds no session.
#[tokio::test]
async fn resident_logs_in_and_stays_logged_in() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    let name = browser.testid("user-name").await.text().await.unwrap();
    assert_eq!(name, "Alice Novak");
    browser.screenshot("dashboard").await;
    let stored = browser
        .js("return JSON.stringify(Object.assign({}, localStorage, sessionStorage)) + ' ' + document.cookie")
        .await;
    let stored = stored.as_str().unwrap();
    assert!(!stored.contains("eyJ"), "no token in storage: {stored}");
    assert!(
        !stored.contains("ppt_refresh"),
        "the cookie is HttpOnly: {stored}"
    );

    browser.client.refresh().await.unwrap();
    browser.testid("dashboard").await;
    assert_eq!(
        browser.testid("user-name").await.text().await.unwrap(),
        "Alice Novak"
    );
    browser.wait_for_state("connected").await;
    // An address the app does not have says so.
    browser.go("/no-such-page").await;
    let text = browser.testid("not-found").await.text().await.unwrap();
    assert!(text.contains("Page not found"), "{text}");

    browser.testid("logout").await.click().await.unwrap();
    browser.testid("login-email").await;
    browser.client.goto(&server.url("/messages")).await.unwrap();
    browser.testid("login-email").await;
    browser.close().await;
}

/// Logging out in one tab ends the session in the browser's other tabs too: they share one
/// socket, which closes, and every tab shows the login page; signing in again in one tab
/// signs in the others.
#[tokio::test]
async fn logout_in_one_tab_ends_the_others() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "bob@demo.ppt").await;
    browser.wait_for_state("connected").await;
    let first = browser.client.window().await.unwrap();
    let second = browser.client.new_window(true).await.unwrap().handle;
    browser
        .client
        .switch_to_window(second.clone())
        .await
        .unwrap();
    browser
        .client
        .goto(&server.url("/announcements"))
        .await
        .unwrap();
    browser.testid("announcement-list").await;
    browser.wait_for_state("connected").await;
    server.wait_for_sockets(1).await;
    browser.testid("logout").await.click().await.unwrap();
    browser.testid("login-email").await;
    browser
        .client
        .switch_to_window(first.clone())
        .await
        .unwrap();
    browser.testid("login-email").await;
    server.wait_for_sockets(0).await;
    browser.client.switch_to_window(second).await.unwrap();
    browser.login(&server, "bob@demo.ppt").await;
    browser.client.switch_to_window(first).await.unwrap();
    browser.wait_for_state("connected").await;
    server.wait_for_sockets(1).await;
    browser.close().await;
}

/// A wrong password shows an error and stays on the login page.
#[tokio::test]
async fn wrong_password_shows_an_error() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.client.goto(&server.url("/")).await.unwrap();
    // Not logged in: the app sends us to the login page.
    browser
        .testid("login-email")
        .await
        .send_keys("alice@demo.ppt")
        .await
        .unwrap();
    browser
        .testid("login-password")
        .await
        .send_keys("wrong")
        .await
        .unwrap();
    browser.testid("login-submit").await.click().await.unwrap();
    let error = browser.testid("login-error").await.text().await.unwrap();
    assert_eq!(error, "Wrong email or password.");
    browser.screenshot("login-error").await;
    browser.close().await;
}
