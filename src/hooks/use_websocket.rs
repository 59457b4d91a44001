//! `use_websocket`: the connection's status and handle from [`WsContext`], and
//! `use_ws_subscription` to receive frames for as long as a component is mounted.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::AppliedEvents;
use crate::ws::{Batch, TabLink, WsService};
use ppt_realtime::tabs::Leadership;
use ppt_realtime::{ConnectionState, StatusView};

/// What the `WebSocketProvider` shares.
#[derive(Clone, PartialEq)]
pub struct WsContext {
    /// The browser's connection state (a following tab shows its leader's).
    pub status: StatusView,
    /// This tab's part in sharing the socket.
    pub leadership: Leadership,
    /// `None` outside a provider (e.g. in component tests).
    pub service: Option<WsService>,
    /// This tab's link to the browser's other tabs; `None` outside a provider.
    pub tabs: Option<TabLink>,
    /// The events this tab applies, for `use_event`.
    pub events: AppliedEvents,
}

impl Default for WsContext {
    fn default() -> Self {
        WsContext {
            status: StatusView::of(ConnectionState::Disconnected),
            leadership: Leadership::Idle,
            service: None,
            tabs: None,
            events: AppliedEvents::default(),
        }
    }
}

impl WsContext {
    /// Tries at once instead of waiting out the backoff.
    pub fn reconnect_now(&self) {
        if let Some(s) = &self.service {
            s.reconnect_now();
        }
    }

    /// Sends a frame if a socket is open; returns whether it went.
    pub fn send(&self, frame: &ppt_protocol::ClientFrame) -> bool {
        self.service.as_ref().is_some_and(|s| s.send(frame))
    }
}

/// The connection: status, last error, `subscribe`, `send`, `reconnect_now`.
#[hook]
pub fn use_websocket() -> WsContext {
    use_context::<WsContext>().unwrap_or_default()
}

/// Calls `callback` with the frames whose type matches `pattern` (an exact type, a prefix
/// ending in `:`, or `"*"`) while the component is mounted: each animation frame's in one
/// batch. The latest callback is used.
#[hook]
pub fn use_ws_subscription(pattern: &'static str, callback: Callback<Batch>) {
    let ctx = use_websocket();
    let latest = use_mut_ref(|| callback.clone());
    *latest.borrow_mut() = callback;
    use_effect_with((ctx.service.clone(), pattern), move |(service, pattern)| {
        let latest: Rc<RefCell<Callback<Batch>>> = latest.clone();
        let guard = service.as_ref().map(|s| {
            s.subscribe(
                pattern,
                Callback::from(move |e: Batch| {
                    let cb = latest.borrow().clone();
                    cb.emit(e)
                }),
            )
        });
        move || drop(guard)
    });
}
