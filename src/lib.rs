//! ppt-web: the resident portal, a Yew single-page app.
//!
//! # Layout
//! - [`app`]: providers and yew-router's `Switch`; [`route`]: every page and its address (the
//!   `Routable` enum).
//! - [`components`]: the header and the pages ([`components::pages`]), each taking props
//!   and giving callbacks.
//! - [`hooks`]: `use_websocket`, `use_ws_subscription`, `use_query` (and the query client),
//!   `use_event`, `use_outbox`.
//! - [`browser`]: the notification sound, system notifications, tab visibility, the stored
//!   event cursor, Web Locks.
//! - [`store`]: the yewdux stores and their reducers: session, preferences, toasts, queries
//!   (one state per key, messages included: [`store::messages`]); and the queries the pages
//!   show ([`store::lists`]: key, path, type of each).
//! - the real-time core is its own crate, `ppt_realtime` (`crates/realtime`): connection
//!   state machine, backoff, heartbeat, status, subscriptions, the live core (catch-up, event
//!   routing, alerts, preference filter), tabs, outbox and invalidation. No browser in it;
//!   tested natively.
//! - [`ws`]: the one executor of the real-time client (`ppt_realtime::client`): the socket,
//!   the one timer, the queries' fetches, online/visibility listeners.
//! - [`api`]: the REST client, with typed, comparable errors.
//! - [`config`]: settings: build-time (`PPT_WS_URL`) and the real-time timings, overridable
//!   per browser (how tests shrink intervals).
//!
//! Pure logic has no `web_sys` in it and is tested natively with `cargo test`; the browser
//! glue is tested in headless Chromium (`tests/browser.rs`, `tests/e2e`).

pub mod api;
pub mod app;
pub mod browser;
pub mod components;
pub mod config;
pub mod hooks;
pub mod route;
pub mod store;
pub mod ws;
