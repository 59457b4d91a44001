//! The results table: printed, and written to docs/performance.md.

use std::fmt::Write as _;
use std::path::Path;

use crate::load::Latencies;

/// One measured figure against its target.
pub struct Row {
    pub what: String,
    pub figure: String,
    pub target: String,
    pub met: Option<bool>,
    /// What keeps a missed target out of reach, as measured.
    pub limit: Option<String>,
}

pub struct Report {
    quick: bool,
    rows: Vec<Row>,
    latencies: Vec<(String, Latencies)>,
}

impl Report {
    pub fn new(quick: bool) -> Self {
        Report {
            quick,
            rows: Vec::new(),
            latencies: Vec::new(),
        }
    }

    pub fn add(
        &mut self,
        what: impl Into<String>,
        figure: impl Into<String>,
        target: impl Into<String>,
        met: Option<bool>,
    ) {
        self.rows.push(Row {
            what: what.into(),
            figure: figure.into(),
            target: target.into(),
            met,
            limit: None,
        });
    }

    /// Says what limits the last row's figure (shown when its target is missed).
    pub fn limit(&mut self, why: impl Into<String>) {
        if let Some(r) = self.rows.last_mut() {
            r.limit = Some(why.into());
        }
    }

    /// Keeps a latency distribution for the histogram picture.
    pub fn remember(&mut self, name: impl Into<String>, latencies: Latencies) {
        self.latencies.push((name.into(), latencies));
    }

    fn table(&self) -> String {
        let mut t = String::from(
            "| what | figure | target | met | what limits it |\n|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            let limit = match (r.met, &r.limit) {
                (Some(false), Some(l)) => l.as_str(),
                _ => "",
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} |",
                r.what, r.figure, r.target, met, limit
            );
        }
        t
    }

    pub fn print(&self) {
        println!(
            "\nppt-bench{}:\n{}",
            if self.quick { " (quick)" } else { "" },
            self.table()
        );
    }

    /// Writes `performance.md` and, beside it, `latency.svg`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let machine = machine();
        let picture = if self.latencies.is_empty() {
            String::new()
        } else {
            let svg = path.with_file_name("latency.svg");
            std::fs::write(&svg, crate::histogram::svg(&self.latencies))?;
            "## Latency\n\nDistributions from the runs above (fan-out: the best carried rate; \
             the time axis is logarithmic):\n\n![latency histograms](latency.svg)\n"
                .to_owned()
        };
        let doc = format!(
            "# Performance\n\nMeasured by `cargo run --release -p ppt-bench` (see `crates/bench`), which writes this page.\n\
             Reproduce: `bash scripts/bench.sh` (builds the app and the server in release first; \
             `bash scripts/bench.sh --quick` is the small run CI does).\n\n\
             Machine: {machine}. The load generators (sockets, Chromium) run on the same machine \
             as the server and share its cores. How each benchmark works, what moved its figure and \
             what limits the targets still missed: [performance-notes.md](performance-notes.md).\n\n{}\n{picture}",
            self.table()
        );
        std::fs::write(path, doc)
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
                    / 1024
            })
        })
        .unwrap_or(0);
    format!("{cpus} cores ({model}), {mem} GiB memory, loopback only")
}

/// Percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
