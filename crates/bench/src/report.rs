//! The results table: printed, and written to docs/performance.md.

use std::fmt::Write as _;
use std::path::Path;

/// One measured figure against its target.
pub struct Row {
    pub what: String,
    pub figure: String,
    pub target: String,
    pub met: Option<bool>,
}

pub struct Report {
    quick: bool,
    rows: Vec<Row>,
}

impl Report {
    pub fn new(quick: bool) -> Self {
        Report {
            quick,
            rows: Vec::new(),
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
        });
    }

    fn table(&self) -> String {
        let mut t = String::from("| what | figure | target | met |\n|---|---|---|---|\n");
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            let _ = writeln!(t, "| {} | {} | {} | {} |", r.what, r.figure, r.target, met);
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

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let machine = machine();
        let doc = format!(
            "# Performance\n\nMeasured by `cargo run --release -p ppt-bench` (see `crates/bench`), which writes this page.\n\
             Reproduce: `bash scripts/bench.sh` (builds the app and the server in release first).\n\n\
             Machine: {machine}\n\n{}\n\
             Benchmarks of issue 7 not yet built: start-up in Chromium, events applied in one tab, \
             publish-to-screen latency, the comparison with a Node.js Socket.IO server, the reconnect storm, \
             and the latency histogram picture.\n",
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
