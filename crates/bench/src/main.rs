//! `ppt-bench`: the performance budget, measured. Prints a table and writes
//! `docs/performance.md`. `--quick` runs every benchmark small (CI runs it so none rots).
//!
//! - `size`: the release app (wasm + JS + CSS), raw, gzip, brotli; fails when over its gate.
//! - `missed`: `/events/missed` pages of 500 on a large log, latency percentiles.
//! - `fanout`: 1,000 and 10,000 authenticated sockets, 200-byte building-wide events at rising
//!   rates: deliveries/s, latency, server CPU per delivery; then the same job against a
//!   Node.js Socket.IO server (deliveries per CPU-second and memory per socket as ratios).
//! - `idle`: server RSS per idle authenticated socket.
//! - `storm`: a server restart under N live clients (the app's own catch-up engine and
//!   backoff): time to recover, and every event applied exactly once and in order.
//! - `browser`: the app in headless Chromium: cold start-up, repeat visits, first visits on
//!   DevTools' Slow 4G, Lighthouse on the dashboard and the inbox, events applied in one tab,
//!   publish-to-screen latency; with `--baseline DIR`, the start-up figures of an earlier
//!   build too, measured in turn with this one.
//! - `edit`: the frontend edit loop, `trunk serve` rebuilding after a component is saved.
//! - `cluster`: on PostgreSQL beside SQLite: appends per second, cross-node latency, CPU per
//!   delivery over three nodes, a node killed under its clients (HAProxy in front).
//!
//! The server runs as its own process (the release `ppt-server` binary), so its memory and
//! CPU are its own. Figures are printed, never asserted, except the deterministic size budget.

mod browser;
mod cluster;
mod edit;
mod fanout;
mod histogram;
mod lighthouse;
mod load;
mod missed;
mod report;
mod size;
mod socketio;
mod storm;

use std::path::PathBuf;

use report::Report;

/// The size gate CI enforces, gzip bytes of the wasm, JS and CSS: the app as measured on the
/// stack it is specified on (yew, yew-router, yewdux, serde_json, gloo, stable Rust), plus
/// 3 %. Issue 25 withdrew the earlier 150 and 200 KiB targets (they could not be met on that
/// stack) and measured 320.7 KiB (gate 331); issues 26 and 27 grew it on purpose (sign-out
/// forgetting, the shared computer, paging, read marks, polling from the head, the run-time
/// socket address) to 332.0 KiB: gate 342; issue 28 (the resource registry, `use_event`,
/// the core's crate, parameterised keys) to 344.9 KiB: gate 356. The gate catches growth
/// nobody meant; a change that grows the app on purpose moves it, with its figure in
/// docs/performance-notes.md.
pub const SIZE_GATE_GZIP: u64 = 356 * 1024;

fn usage() -> ! {
    eprintln!("usage: ppt-bench [--quick] [--no-write] [--baseline DIR] [size|missed|idle|fanout|storm|cluster|browser|edit|all] (needs dist/ and a release ppt-server; DIR: the dist/ of an earlier build, measured beside this one)");
    std::process::exit(2);
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut quick = false;
    let mut write = true;
    let mut which = Vec::new();
    let mut baseline = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--no-write" => write = false,
            "--baseline" => {
                baseline = Some(args.next().map(PathBuf::from).unwrap_or_else(|| usage()))
            }
            "size" | "missed" | "idle" | "fanout" | "storm" | "cluster" | "browser" | "edit"
            | "all" => which.push(a),
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
            "edit".into(),
        ];
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // This build first; the one before beside it when asked for, named by its folder (the
    // commit scripts/bench.sh built it from).
    let mut builds = vec![browser::Build {
        name: "this build".into(),
        dist: root.join("dist"),
    }];
    if let Some(dist) = baseline {
        let name = dist.parent().and_then(|p| p.file_name()).map_or_else(
            || dist.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        builds.push(browser::Build {
            name: format!("before ({name})"),
            dist,
        });
    }
    let mut report = Report::new(quick);
    let mut over_budget = false;
    let mut idle_bytes = None;
    for w in &which {
        let result = match w.as_str() {
            "size" => size::run(&builds, &mut report).map(|over| over_budget |= over),
            "missed" => missed::run(quick, &mut report).await,
            // The Socket.IO comparison repeats the fan-out run's rates against Node.js.
            "fanout" => match fanout::run(quick, &mut report).await {
                Ok(ours) => socketio::run(quick, &ours, idle_bytes, &mut report).await,
                Err(e) => Err(e),
            },
            "storm" => storm::run(quick, &mut report).await,
            "cluster" => cluster::run(quick, &mut report).await,
            "browser" => browser::run(quick, &builds, &mut report).await,
            "edit" => edit::run(quick, &root, &mut report).await,
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
