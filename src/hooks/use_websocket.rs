//! `use_websocket`: the connection's status and handle from [`WsContext`], and
//! `use_ws_subscription` to receive frames for as long as a component is mounted.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::AppliedEvents;
use crate::ws::{Batch, Executor};
use ppt_realtime::tabs::{Leadership, OutboxAsk, TabId};
use ppt_realtime::{ConnectionState, StatusView};

/// What the `WebSocketProvider` shares.
#[derive(Clone, PartialEq)]
pub struct WsContext {
    /// The browser's connection state (a following tab shows its leader's).
    pub status: StatusView,
    /// This tab's part in sharing the socket.
    pub leadership: Leadership,
    /// The app's real-time executor; `None` outside a provider (e.g. in component tests).
    pub executor: Option<Executor>,
    /// The events this tab applies, for `use_event`.
    pub events: AppliedEvents,
}

impl Default for WsContext {
    fn default() -> Self {
        WsContext {
            status: StatusView::of(ConnectionState::Disconnected),
            leadership: Leadership::Idle,
            executor: None,
            events: AppliedEvents::default(),
        }
    }
}

impl WsContext {
    /// Tries at once instead of waiting out the backoff.
    pub fn reconnect_now(&self) {
        if let Some(e) = &self.executor {
            e.reconnect_now();
        }
    }

    /// Sends a frame if a socket is open; returns whether it went.
    pub fn send(&self, frame: &ppt_protocol::ClientFrame) -> bool {
        self.executor.as_ref().is_some_and(|e| e.send(frame))
    }

    /// Asks the browser's outbox (run by the tab holding the socket) to do something.
    pub fn outbox_ask(&self, ask: OutboxAsk) {
        if let Some(e) = &self.executor {
            e.outbox_ask(ask);
        }
    }

    /// This tab's id and the socket holder's (zero outside a provider).
    pub fn tab_ids(&self) -> (TabId, Option<TabId>) {
        self.executor.as_ref().map_or((0, None), Executor::tab_ids)
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
    use_effect_with(
        (ctx.executor.clone(), pattern),
        move |(executor, pattern)| {
            let latest: Rc<RefCell<Callback<Batch>>> = latest.clone();
            let guard = executor.as_ref().map(|s| {
                s.subscribe(
                    pattern,
                    Callback::from(move |e: Batch| {
                        let cb = latest.borrow().clone();
                        cb.emit(e)
                    }),
                )
            });
            move || drop(guard)
        },
    );
}
