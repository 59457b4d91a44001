//! End-to-end tests: the real server with the built app, driven in real headless Chromium.
//!
//! Needs the release build of the app in `dist/` (or `PPT_DIST`), `chromedriver` on PATH (or
//! `CHROMEDRIVER`), and Chromium (`CHROME_BIN`, default `/usr/bin/chromium`). `scripts/test.sh`
//! provides all three.
#![cfg(not(target_arch = "wasm32"))]

// Shared by every test file; not each file uses every helper.
#[allow(dead_code)]
mod support;

mod proxy;

mod accessibility;
mod cluster;
mod connection;
mod events_hook;
mod live_data;
mod live_for_everyone;
mod login;
mod messages;
mod offline;
mod outbox;
mod phone;
mod reconnect;
mod routing;
mod shared_device;
mod tabs;
