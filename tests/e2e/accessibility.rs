//! Accessibility (issue 16): axe-core, the checker browsers' audits are built on, finds no
//! serious or critical violation on any page, logged out and in, on a desktop and a phone,
//! with the menu and the connection details open.

use crate::phone::{open_menu, viewport, PAGES};
use crate::support::*;

/// axe-core's script (`scripts/setup.sh --browser` installs it into the tools folder).
fn axe_source() -> String {
    let path = std::env::var_os("AXE_JS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let tools = std::env::var_os("PPT_TOOLS")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::PathBuf::from(std::env::var("HOME").unwrap())
                        .join(".cache/ppt-web/tools")
                });
            tools.join("node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}): run scripts/setup.sh --browser",
            path.display()
        )
    })
}

/// Runs axe on the page as it is and fails with every serious or critical violation found.
async fn check(b: &Browser, axe: &str, what: &str) {
    if b.js("return typeof window.axe;").await != "object" {
        b.client.execute(axe, vec![]).await.unwrap();
    }
    let found = b
        .js("return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations \
             .filter(v => v.impact === 'serious' || v.impact === 'critical') \
             .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`));")
        .await;
    let found: Vec<String> = serde_json::from_value(found).unwrap();
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_page() {
    let axe = axe_source();
    let server = Server::start().await;
    let alice = Browser::start().await;
    alice.client.goto(&server.url("/login")).await.unwrap();
    alice.testid("login-submit").await;
    check(&alice, &axe, "the login page").await;
    alice.login(&server, "alice@demo.ppt").await;
    alice.wait_for_unread(1).await;
    alice.wait_for_state("connected").await;
    for (path, testid) in PAGES {
        alice.go(path).await;
        alice.testid(testid).await;
        check(&alice, &axe, path).await;
    }
    alice
        .testid("connection-details")
        .await
        .click()
        .await
        .unwrap();
    alice.testid("diagnostics").await;
    check(&alice, &axe, "the connection details").await;

    viewport(&alice, 390, 844).await;
    alice.go("/messages").await;
    alice.testid("message-list").await;
    check(&alice, &axe, "/messages on a phone").await;
    open_menu(&alice).await;
    check(&alice, &axe, "the phone menu").await;
    alice.close().await;
}
