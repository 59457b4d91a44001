//! ppt-web wire types: the protocol of docs/protocol.md in code, shared by app and server.
//!
//! # Layout
//! - [`envelope`]: the server-to-client frame ([`Envelope`]) and every event in it ([`ServerEvent`]).
//! - [`client`]: the frames a client sends ([`ClientFrame`]: `auth`, `ping`).
//! - [`close`]: WebSocket close codes and what a client should do about each.
//! - [`rest`]: request and response bodies of the REST API under `/api/v1`.
//! - [`missed`]: the `/events/missed` query string (cursor and page size), written and read.
//! - [`query`]: query keys, matched by prefix, and the key an `entity:*` event invalidates.
//! - [`resources`]: the live lists, each described once (path, item type, query key, the
//!   entity kind that makes it stale, notification category, creates, deletes, page).
//! - [`raw`]: [`RawJson`], JSON text passed along as it is (bodies, answers, unknown payloads).
//!
//! Every type derives serde's `Serialize` and `Deserialize`; the app and the server read and
//! write them with serde_json, one codec per type. Nothing here does I/O; both the browser
//! app and the server depend on it, so it stays small (serde, serde_json, form_urlencoded).

pub mod client;
pub mod close;
pub mod envelope;
pub mod missed;
pub mod query;
pub mod raw;
pub mod resources;
pub mod rest;

pub use client::ClientFrame;
pub use close::CloseCode;
pub use envelope::{EntityKind, Envelope, ServerEvent, Timestamp};
pub use query::QueryKey;
pub use raw::RawJson;
