//! `ppt-bench`: the performance budget, measured. Prints a table and writes
//! `docs/performance.md`. `--quick` runs every benchmark small (CI runs it so none rots).
//!
//! - `size`: the release app (wasm + JS + CSS), raw, gzip, brotli; fails when over budget.
//! - `missed`: `/events/missed` pages of 500 on a large log, latency percentiles.
//! - `fanout`: 1,000 and 10,000 authenticated sockets, 200-byte building-wide events at rising
//!   rates: deliveries/s, latency, server CPU per delivery; then the same job against a
//!   Node.js Socket.IO server (deliveries per CPU-second and memory per socket as ratios).
//! - `idle`: server RSS per idle authenticated socket.
//! - `storm`: a server restart under N live clients (the app's own catch-up engine and
//!   backoff): time to recover, and every event applied exactly once and in order.
//! - `browser`: the app in headless Chromium: cold start-up, events applied in one tab,
//!   publish-to-screen latency.
//! - `cluster`: on PostgreSQL beside SQLite: appends per second, cross-node latency, CPU per
//!   delivery over three nodes, a node killed under its clients (HAProxy in front).
//!
//! The server runs as its own process (the release `ppt-server` binary), so its memory and
//! CPU are its own. Figures are printed, never asserted, except the deterministic size budget.

mod browser;
mod cluster;
mod fanout;
mod histogram;
mod load;
mod missed;
mod report;
mod size;
mod socketio;
mod storm;

use std::path::PathBuf;

use report::Report;

/// The size target for the app, gzip, in bytes (issue 7: 150 KB).
pub const SIZE_TARGET_GZIP: u64 = 150 * 1024;
/// The gate CI enforces today: the app may not grow past this while it works down to the
/// target (a ratchet; lower it as the app shrinks). Raised once, from 285 to 330, for issue
/// 15 (tabs sharing one socket, the outbox, diagnostics: +44 KiB gzip after the cuts in
/// docs/performance-notes.md); lowered to 267 by issue 16 (the standard library built with
/// the app, a router of our own, the loader minified, the app's features kept apart from the
/// server's), then to 240 (the standard library's size-optimised variants, stores without
/// yewdux, wasm-opt's `--low-memory-unused`, JSON without `serde_json::Value`), then to 200,
/// the figure (the app's own JSON code instead of serde_json, talc, the wasm's
/// import and export names shortened).
pub const SIZE_GATE_GZIP: u64 = 200 * 1024;

fn usage() -> ! {
    eprintln!("usage: ppt-bench [--quick] [--no-write] [size|missed|idle|fanout|storm|cluster|browser|all] (needs dist/ and a release ppt-server)");
    std::process::exit(2);
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut quick = false;
    let mut write = true;
    let mut which = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" => quick = true,
            "--no-write" => write = false,
            "size" | "missed" | "idle" | "fanout" | "storm" | "cluster" | "browser" | "all" => {
                which.push(a)
            }
            _ => usage(),
        }
    }
    // Only a whole run (every benchmark, full size) rewrites docs/performance.md: a partial or
    // exploratory run would leave the page with some of its rows.
    let whole = which.is_empty() || which.iter().any(|w| w == "all");
    if whole {
        which = vec![
            "size".into(),
            "missed".into(),
            "idle".into(),
            "fanout".into(),
            "storm".into(),
            "cluster".into(),
            "browser".into(),
        ];
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut report = Report::new(quick);
    let mut over_budget = false;
    let mut idle_bytes = None;
    for w in &which {
        let result = match w.as_str() {
            "size" => size::run(&root.join("dist"), &mut report).map(|over| over_budget |= over),
            "missed" => missed::run(quick, &mut report).await,
            // The Socket.IO comparison repeats the fan-out run's rates against Node.js.
            "fanout" => match fanout::run(quick, &mut report).await {
                Ok(ours) => socketio::run(quick, &ours, idle_bytes, &mut report).await,
                Err(e) => Err(e),
            },
            "storm" => storm::run(quick, &mut report).await,
            "cluster" => cluster::run(quick, &mut report).await,
            "browser" => browser::run(quick, &root.join("dist"), &mut report).await,
            "idle" => fanout::idle(quick, &mut report)
                .await
                .map(|b| idle_bytes = Some(b)),
            _ => unreachable!(),
        };
        if let Err(e) = result {
            eprintln!("ppt-bench {w}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    report.print();
    if write && whole && !quick && std::env::var_os("PPT_BENCH_PROBE").is_none() {
        if let Err(e) = report.write(&root.join("docs/performance.md")) {
            eprintln!("ppt-bench: cannot write docs/performance.md: {e}");
        }
    }
    if over_budget {
        eprintln!(
            "ppt-bench: the app has outgrown its size gate of {} KiB gzip",
            SIZE_GATE_GZIP / 1024
        );
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
