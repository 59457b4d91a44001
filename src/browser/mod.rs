//! Browser features other than the socket: the one clock the app reads ([`clock`]), the notification sound, system notifications,
//! the stored event cursor, the refresh lock and the socket's lock, the channel between tabs,
//! whether the tab is hidden, the answers the page's boot script asked for, and forgetting a user's traces at the end of their
//! session ([`traces`]). Thin wrappers; every failure is quiet (an alert is a courtesy).

pub mod boot;
pub mod channel;
pub mod clock;
pub mod locks;
pub mod notifications;
pub mod sound;
pub mod storage;
pub mod traces;

/// Whether the tab is hidden (then system notifications are worth showing).
pub fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .map(|d| d.hidden())
        .unwrap_or(false)
}
