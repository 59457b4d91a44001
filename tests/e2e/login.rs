use crate::support::*;

/// A demo resident logs in through the form, lands on the dashboard with their name in the
/// header, and a reload keeps them logged in.
#[tokio::test]
async fn resident_logs_in_and_stays_logged_in() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.login(&server, "alice@demo.ppt").await;
    let name = browser.testid("user-name").await.text().await.unwrap();
    assert_eq!(name, "Alice Novak");
    browser.screenshot("dashboard").await;

    browser.client.refresh().await.unwrap();
    browser.testid("dashboard").await;

    browser.testid("logout").await.click().await.unwrap();
    browser.testid("login-email").await;
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
