//! ppt-web's real-time core: pure logic, no `web_sys`, no timers, no clock. Everything takes
//! the time (`now_ms`) and randomness (`jitter` in `[0, 1)`) as arguments and returns
//! commands for its executor to carry out: the app's browser glue (`ppt_web::ws`) in the
//! browser, the benchmarks' clients natively. Tested natively with `cargo test`.
//!
//! - [`client`]: the parts below composed behind one input and one command type: what the
//!   app's one executor feeds and carries out.
//! - [`machine`]: the connection's state machine ([`backoff`], [`heartbeat`], [`status`]).
//! - [`catchup`]: the cursor, de-duplication and fetching what was missed.
//! - [`live`]: applying events: routing ([`routing`]), alerts and toasts ([`notify`],
//!   [`toast`]), the recent-event memory ([`recent`]).
//! - [`tabs`]: one socket per browser, shared by its tabs.
//! - [`outbox`]: creates made offline, sent once each.
//! - [`invalidation`]: which queries an event makes stale, and when to refetch them.
//! - [`subscriptions`]: the page's event subscriptions.

pub mod backoff;
pub mod catchup;
pub mod client;
pub mod heartbeat;
pub mod invalidation;
pub mod live;
pub mod machine;
pub mod notify;
pub mod outbox;
pub mod recent;
pub mod routing;
pub mod status;
pub mod subscriptions;
pub mod tabs;
#[cfg(test)]
pub(crate) mod testing;
pub mod toast;

pub use machine::{Command, ConnectionConfig, Input, Machine};
pub use status::{ConnectionState, StatusView};
