//! Integration tests: the real server on port 0, a fresh SQLite file each, real HTTP and
//! real WebSockets.

mod helpers;

mod auth;
mod bench;
mod events;
mod missed;
mod permissions;
mod static_files;
mod writes;
mod ws;
