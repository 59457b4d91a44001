//! Toasts as the core decides them: their kinds (the page's `data-kind`) and what can happen
//! to the toasts on screen. The app's store ([`ToastAction`] is its reducer's action) shows
//! them.

use serde::{Deserialize, Serialize};

/// How long a toast stays, in ms.
pub const TTL_MS: u64 = 6_000;

/// The `data-kind` values of toasts (docs/protocol.md, "Stable hooks in the page").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToastKind {
    Reconnected,
    Notification,
    Message,
}

impl ToastKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ToastKind::Reconnected => "reconnected",
            ToastKind::Notification => "notification",
            ToastKind::Message => "message",
        }
    }
}

/// What can happen to the toasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToastAction {
    /// Shows a toast.
    Push {
        kind: ToastKind,
        title: String,
        body: String,
        link: Option<String>,
        now: u64,
    },
    /// Several `Push`es in one update (a burst of alerts); anything else in it is ignored.
    PushMany(Vec<ToastAction>),
    Dismiss(u64),
    /// Drops toasts older than [`TTL_MS`].
    Expire {
        now: u64,
    },
    Clear,
}
