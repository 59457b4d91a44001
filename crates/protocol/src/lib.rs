//! ppt-web wire types: `../shared/realtime-contract.md` in code.
//!
//! # Layout
//! - [`envelope`]: the server-to-client frame ([`Envelope`]) and every event in it ([`ServerEvent`]).
//! - [`client`]: the frames a client sends ([`ClientFrame`]: `auth`, `ping`).
//! - [`close`]: WebSocket close codes and what a client should do about each.
//! - [`rest`]: request and response bodies of the REST API under `/api/v1`.
//! - [`missed`]: the `/events/missed` query string (cursor and page size), written and read.
//! - [`query`]: query keys and the event-to-key invalidation table of contract section 5.
//! - [`json`]: the app's JSON: [`json::read`] and [`json::write`] through [`json::ReadJson`] and
//!   [`json::WriteJson`] (derived from the serde attributes), and [`RawJson`], JSON text
//!   passed along as it is (bodies, answers).
//! - [`names`]: [`serde_by_name!`], unit enums written as their names.
//!
//! Nothing here does I/O; both the browser app and the server depend on it, so it stays
//! small (serde, serde_json, form_urlencoded and its own derive).

// The derive names its traits `::ppt_protocol::json::…`, here too.
extern crate self as ppt_protocol;

pub mod client;
pub mod close;
pub mod envelope;
pub mod json;
pub mod missed;
pub mod names;
pub mod query;
pub mod rest;

pub use client::ClientFrame;
pub use close::CloseCode;
pub use envelope::{EntityKind, Envelope, ServerEvent, Timestamp};
pub use json::RawJson;
pub use query::QueryKey;
