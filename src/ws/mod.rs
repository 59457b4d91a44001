//! Browser glue around [`ppt_realtime`]: the WebSocket, the wake-up timer, the `online`,
//! `offline` and `visibilitychange` listeners, and frame delivery to subscribers. It feeds
//! the machine inputs with the real clock and `Math.random()` and carries out its commands;
//! it decides nothing itself.

mod outbox;
mod service;
mod tabs;

pub use outbox::OutboxRunner;
pub use service::{Batch, SubscriptionGuard, WsService};
pub use tabs::{TabLink, WeakTabLink};
