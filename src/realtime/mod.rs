//! Pure real-time logic: no `web_sys`, no timers, no clock. Everything takes the time
//! (`now_ms`) and randomness (`jitter` in `[0, 1)`) as arguments and returns commands for
//! the browser glue in [`crate::ws`] to carry out. Tested natively with `cargo test`.

pub mod backoff;
pub mod catchup;
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

pub use machine::{Command, ConnectionConfig, Input, Machine};
pub use status::{ConnectionState, StatusView};
