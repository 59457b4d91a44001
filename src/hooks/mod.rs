//! Hooks: one `use_*` per file, each returning a handle.

mod use_websocket;

pub use use_websocket::{use_websocket, use_ws_subscription, WsContext};
