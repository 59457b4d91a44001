//! The connection as this tab shows it: its state (a following tab shows its leader's) and
//! this tab's part in sharing the browser's socket. The executor writes it.

use yewdux::Store;

use ppt_realtime::tabs::Leadership;
use ppt_realtime::{ConnectionState, StatusView};

#[derive(Debug, Clone, PartialEq, Store)]
pub struct ConnectionView {
    pub status: StatusView,
    pub leadership: Leadership,
}

impl Default for ConnectionView {
    fn default() -> Self {
        ConnectionView {
            status: StatusView::of(ConnectionState::Disconnected),
            leadership: Leadership::Idle,
        }
    }
}
