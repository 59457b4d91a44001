//! Hooks: one `use_*` per file, each returning a handle.

mod use_event;
mod use_outbox;
mod use_query;
mod use_websocket;

pub use use_event::{use_event, AppliedEvents};
pub use use_outbox::{use_outbox, OutboxHandle, Sent};
pub use use_query::{use_query, use_query_client, QueryClient, QueryHandle};
pub use use_websocket::{use_websocket, use_ws_subscription, WsContext};
