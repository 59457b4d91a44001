//! Integration tests: the real server on port 0, a fresh database each (SQLite, or
//! PostgreSQL with `PPT_TEST_DB=postgres`), real HTTP and real WebSockets.

mod helpers;

mod admin;
mod auth;
mod bench;
mod buildings;
mod deletes;
mod events;
mod http;
mod idempotency;
mod limits;
mod lists;
mod metrics;
mod missed;
mod neighbors;
mod permissions;
mod resources;
mod sessions;
mod static_files;
mod writes;
mod ws;
