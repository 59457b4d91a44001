//! `ppt-cluster`: real processes for tests and benchmarks.
//!
//! # Layout
//! - [`server`]: a `ppt-server` process on a free loopback port, with any database.
//! - [`balancer`]: HAProxy in front of several of them (`deploy/haproxy.cfg`), with its
//!   health checks and WebSocket pass-through.

pub mod balancer;
pub mod server;
