//! Several servers on one PostgreSQL (docs/protocol.md, "Several servers, one PostgreSQL"): real servers on port 0, a fresh
//! database per test on the PostgreSQL at `PPT_TEST_PG` (or a private one for the restart
//! test), real HTTP and WebSockets.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod pg;

mod fanout;
mod faults;
mod idempotency;
mod proxy;
mod sessions;
