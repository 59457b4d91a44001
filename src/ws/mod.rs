//! The app's one executor of the real-time client ([`ppt_realtime::client`]) and the browser
//! resources it acts with: the WebSocket ([`socket`]) and the queries' fetches ([`fetch`]).
//! It feeds the client inputs with the real clock and `Math.random()`, carries out its
//! commands and keeps its one timer; it decides nothing itself.

mod executor;
mod fetch;
mod socket;

pub use executor::{Batch, Executor, SubscriptionGuard};
pub(crate) use fetch::Source;
