//! The resident on a phone (issue 16): at 390×844 and 320×640 no page scrolls sideways, the
//! connection status and the unread badge stay in view, and every page is reachable through
//! the menu button (`nav-menu`).

use fantoccini::Locator;

use crate::support::*;

/// Every page behind the login, with a test id its content shows.
pub const PAGES: [(&str, &str); 8] = [
    ("/", "dashboard"),
    ("/messages", "message-list"),
    ("/announcements", "announcement-list"),
    ("/faults", "fault-list"),
    ("/votes", "vote-list"),
    ("/documents", "document-list"),
    ("/neighbors", "neighbor-list"),
    ("/settings", "settings"),
];

/// Whether the element with `testid` lies wholly inside the viewport (and has a size).
fn in_view(testid: &str) -> String {
    format!(
        "(() => {{ const r = document.querySelector('[data-testid={testid}]')?.getBoundingClientRect(); \
         return !!r && r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }})()"
    )
}

/// Clicks the element `locator` finds.
async fn click(b: &Browser, locator: Locator<'_>) {
    b.client.find(locator).await.unwrap().click().await.unwrap();
}

/// Opens the header's menu (`nav-menu`) and waits until it says so.
pub async fn open_menu(b: &Browser) {
    b.testid("nav-menu").await.click().await.unwrap();
    b.wait_until(
        "the menu open",
        "document.querySelector('[data-testid=nav-menu]').getAttribute('aria-expanded') === 'true'",
    )
    .await;
}

/// Waits until nothing on the page is wider than the screen; else names what sticks out.
async fn fits(b: &Browser, what: &str) {
    const OVER: &str = "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 5).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)";
    for _ in 0..100 {
        let v = b
            .js("return document.documentElement.scrollWidth <= innerWidth;")
            .await;
        if v.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let over = b.js(&format!("return {OVER};")).await;
    panic!("{what}: wider than the screen: {over}");
}

/// Sizes the viewport (not the window) to `w`×`h` CSS pixels.
pub async fn viewport(b: &Browser, w: u32, h: u32) {
    b.client.set_window_size(w, h).await.unwrap();
    let inner = b.js("return [innerWidth, innerHeight];").await;
    let (iw, ih) = (
        inner[0].as_u64().unwrap() as u32,
        inner[1].as_u64().unwrap() as u32,
    );
    if (iw, ih) != (w, h) {
        b.client
            .set_window_size(w + (w - iw.min(w)), h + (h - ih.min(h)))
            .await
            .unwrap();
    }
    b.wait_until(
        &format!("a {w} px viewport"),
        &format!("innerWidth === {w}"),
    )
    .await;
}

/// At phone sizes every page fits the width, the status and badge are in view, and the
/// menu reaches every page.
#[tokio::test]
async fn the_header_fits_a_phone_and_reaches_every_page() {
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.wait_for_unread(1).await;
    for (w, h) in [(390, 844), (320, 640)] {
        viewport(&alice, w, h).await;
        for (path, testid) in PAGES {
            alice.go(path).await;
            alice.testid(testid).await;
            fits(&alice, &format!("{path} at {w} px")).await;
            alice
                .wait_until(
                    &format!("{path} at {w} px: the status in view"),
                    &in_view("connection-status"),
                )
                .await;
            alice
                .wait_until(
                    &format!("{path} at {w} px: the badge in view"),
                    &in_view("unread-count"),
                )
                .await;
        }
        // Every page through the menu (Messages and the dashboard are in the bar itself).
        for (label, path) in [
            ("Announcements", "/announcements"),
            ("Faults", "/faults"),
            ("Votes", "/votes"),
            ("Documents", "/documents"),
            ("Neighbours", "/neighbors"),
            ("Settings", "/settings"),
        ] {
            open_menu(&alice).await;
            if (w, label) == (320, "Settings") {
                alice.screenshot("phone-menu-320").await;
            }
            let link = format!("//div[@id='header-menu']//a[normalize-space()='{label}']");
            click(&alice, Locator::XPath(&link)).await;
            alice
                .wait_until(
                    &format!("{path} through the menu"),
                    &format!("location.pathname === '{path}' && document.querySelector('[data-testid=nav-menu]').getAttribute('aria-expanded') === 'false'"),
                )
                .await;
        }
        click(&alice, Locator::Css(".nav-messages")).await;
        alice
            .wait_until(
                "the inbox from the bar",
                "location.pathname === '/messages'",
            )
            .await;
        alice.screenshot(&format!("phone-messages-{w}")).await;
    }
    alice.close().await;
}
