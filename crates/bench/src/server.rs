//! A `ppt-server` process for benchmarks: the release binary beside this one, a database of
//! the benchmark's choosing, loopback only.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct ServerProcess {
    child: Child,
    pub addr: String,
    _static: tempfile::TempDir,
}

fn server_binary() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("PPT_SERVER_BIN") {
        return Ok(p.into());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("ppt-server");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: build it with `cargo build --release -p ppt-server`",
            bin.display()
        ))
    }
}

impl ServerProcess {
    /// Starts the server on a free loopback port with `db` and waits until it answers.
    pub async fn start(db: &Path, extra: &[&str]) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let static_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let child = Command::new(server_binary()?)
            .args(["--addr", &addr, "--db"])
            .arg(db)
            .arg("--static-dir")
            .arg(static_dir.path())
            .args([
                "--jwt-secret",
                "bench-secret",
                "--event-retention",
                "5000000",
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let server = ServerProcess {
            child,
            addr,
            _static: static_dir,
        };
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http
                .get(format!("http://{}/healthz", server.addr))
                .send()
                .await
            {
                if r.status().is_success() {
                    return Ok(server);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("ppt-server did not start".into())
    }

    pub fn api(&self, path: &str) -> String {
        format!("http://{}/api/v1{}", self.addr, path)
    }

    pub fn ws(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn token(&self, email: &str) -> Result<String, String> {
        let r: serde_json::Value = reqwest::Client::new()
            .post(self.api("/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": "demo1234" }))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        r["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "login failed".into())
    }

    fn proc_file(&self, name: &str) -> String {
        std::fs::read_to_string(format!("/proc/{}/{name}", self.child.id())).unwrap_or_default()
    }

    /// Resident memory of the server, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.proc_file("status")
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// CPU time the server has used (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = self.proc_file("stat");
        let after_name = stat.rsplit(')').next().unwrap_or("");
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        ticks as f64 / 100.0
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
