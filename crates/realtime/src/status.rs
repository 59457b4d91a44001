//! What the header shows about the connection, and the debounce that keeps blips under a
//! second from making it flicker.

use serde::{Deserialize, Serialize};

/// The contract's `connection-status` states (`data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    Connecting,
    Connected,
    Reconnecting,
    Disconnected,
    Error,
}

impl ConnectionState {
    /// The `data-state` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected => "connected",
            ConnectionState::Reconnecting => "reconnecting",
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::Error => "error",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "Connecting…",
            ConnectionState::Connected => "Live",
            ConnectionState::Reconnecting => "Reconnecting…",
            ConnectionState::Disconnected => "Offline",
            ConnectionState::Error => "Connection error",
        }
    }
}

/// Everything the status indicator needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub state: ConnectionState,
    /// When the next attempt is due (while waiting to reconnect), in ms.
    pub retry_at: Option<u64>,
    /// Whether the browser says it is offline.
    pub offline: bool,
    /// The last error, for people.
    pub last_error: Option<String>,
    /// No connection for a while: live updates are paused and the app polls instead.
    pub degraded: bool,
    /// The last heartbeat's round trip, in ms (diagnostics).
    #[serde(default)]
    pub rtt_ms: Option<u64>,
    /// Connections made again after the first one, since signing in (diagnostics).
    #[serde(default)]
    pub reconnects: u32,
}

impl StatusView {
    /// `state` with nothing more to say: no retry due, online, no error, not degraded,
    /// nothing measured yet.
    pub fn of(state: ConnectionState) -> Self {
        StatusView {
            state,
            retry_at: None,
            offline: false,
            last_error: None,
            degraded: false,
            rtt_ms: None,
            reconnects: 0,
        }
    }

    /// The status line: "Reconnecting in 4 s" while waiting, else the state's label.
    /// Whether the app is fetching news by polling (no socket for a while): the indicator's
    /// `data-mode="polling"`.
    pub fn polling(&self) -> bool {
        self.degraded && self.state != ConnectionState::Connected
    }

    pub fn text(&self, now: u64) -> String {
        match (self.state, self.retry_at) {
            (ConnectionState::Reconnecting, _) if self.offline => {
                "Offline · waiting for the network".into()
            }
            (state, _) if self.degraded && state != ConnectionState::Connected => {
                "Updates by polling".into()
            }
            (ConnectionState::Reconnecting, Some(at)) if at > now => {
                format!("Reconnecting in {} s", (at - now).div_ceil(1000))
            }
            (state, _) => state.label().into(),
        }
    }
}

/// Holds a `connected` display for a moment when the link drops, so a blip shorter than
/// `hold_ms` never shows. Every other change shows at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debounce {
    hold_ms: u64,
    shown: ConnectionState,
    left_connected_at: Option<u64>,
}

impl Debounce {
    pub fn new(hold_ms: u64, initial: ConnectionState) -> Self {
        Debounce {
            hold_ms,
            shown: initial,
            left_connected_at: None,
        }
    }

    /// Feeds the actual state at `now`; returns what to show and, while holding, when to ask again.
    pub fn update(&mut self, actual: ConnectionState, now: u64) -> (ConnectionState, Option<u64>) {
        use ConnectionState::*;
        if actual == Connected || self.shown != Connected || matches!(actual, Error | Disconnected)
        {
            self.shown = actual;
            self.left_connected_at = None;
            return (actual, None);
        }
        // Shown connected, actually connecting/reconnecting: hold for a moment.
        let since = *self.left_connected_at.get_or_insert(now);
        let until = since + self.hold_ms;
        if now >= until {
            self.shown = actual;
            self.left_connected_at = None;
            (actual, None)
        } else {
            (Connected, Some(until))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionState::*;
    use super::*;

    /// A drop shorter than the hold never shows; a longer one shows once the hold is over.
    #[test]
    fn blips_do_not_flicker() {
        let mut d = Debounce::new(1_000, Connecting);
        assert_eq!(d.update(Connected, 0), (Connected, None));
        assert_eq!(d.update(Reconnecting, 100), (Connected, Some(1_100)));
        assert_eq!(
            d.update(Connected, 600),
            (Connected, None),
            "back within the hold"
        );
        assert_eq!(d.update(Reconnecting, 2_000), (Connected, Some(3_000)));
        assert_eq!(d.update(Reconnecting, 3_000), (Reconnecting, None));
    }

    /// Logout and errors show at once; so does everything before the first connection.
    #[test]
    fn other_changes_show_at_once() {
        let mut d = Debounce::new(1_000, Connecting);
        assert_eq!(d.update(Reconnecting, 0), (Reconnecting, None));
        assert_eq!(d.update(Connected, 1), (Connected, None));
        assert_eq!(d.update(Disconnected, 2), (Disconnected, None));
        assert_eq!(d.update(Connected, 3), (Connected, None));
        assert_eq!(d.update(Error, 4), (Error, None));
    }

    /// Paused live updates say so.
    #[test]
    fn paused_text() {
        let v = StatusView {
            retry_at: Some(4_200),
            degraded: true,
            ..StatusView::of(Reconnecting)
        };
        assert_eq!(v.text(0), "Updates by polling");
        // Also when no socket was ever opened (a proxy refusing WebSockets).
        let never = StatusView {
            degraded: true,
            ..StatusView::of(ConnectionState::Error)
        };
        assert_eq!(never.text(0), "Updates by polling");
        assert!(never.polling());
        assert!(!StatusView::of(ConnectionState::Connected).polling());
    }

    /// The countdown rounds up to whole seconds and offline says so.
    #[test]
    fn status_text() {
        let v = StatusView {
            retry_at: Some(4_200),
            ..StatusView::of(Reconnecting)
        };
        assert_eq!(v.text(0), "Reconnecting in 5 s");
        assert_eq!(v.text(4_200), "Reconnecting…");
        let off = StatusView { offline: true, ..v };
        assert_eq!(off.text(0), "Offline · waiting for the network");
        assert_eq!(StatusView::of(Connected).text(0), "Live");
    }
}
