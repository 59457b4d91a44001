//! A `ppt-server` process for benchmarks: the release binary beside this one, a database of
//! the benchmark's choosing, loopback only.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct ServerProcess {
    child: Child,
    pub addr: String,
    db: PathBuf,
    static_dir: PathBuf,
    extra: Vec<String>,
    _static: Option<tempfile::TempDir>,
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

fn spawn(addr: &str, db: &Path, static_dir: &Path, extra: &[String]) -> Result<Child, String> {
    Command::new(server_binary()?)
        .args(["--addr", addr, "--db"])
        .arg(db)
        .arg("--static-dir")
        .arg(static_dir)
        .args([
            "--jwt-secret",
            "bench-secret",
            "--event-retention",
            "5000000",
            "--bench-api",
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())
}

impl ServerProcess {
    /// Starts the server on a free loopback port with `db` and waits until it answers.
    pub async fn start(db: &Path, extra: &[&str]) -> Result<Self, String> {
        Self::start_serving(db, None, extra).await
    }

    /// Like [`ServerProcess::start`], serving the built app from `static_dir`.
    pub async fn start_serving(
        db: &Path,
        static_dir: Option<&Path>,
        extra: &[&str],
    ) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let (static_dir, temp) = match static_dir {
            Some(d) => (d.to_path_buf(), None),
            None => {
                let t = tempfile::tempdir().map_err(|e| e.to_string())?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let child = spawn(&addr, db, &static_dir, &extra)?;
        let server = ServerProcess {
            child,
            addr,
            db: db.to_path_buf(),
            static_dir,
            extra,
            _static: temp,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> Result<(), String> {
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http
                .get(format!("http://{}/healthz", self.addr))
                .send()
                .await
            {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("ppt-server did not start".into())
    }

    /// Stops the server gracefully (SIGTERM: its sockets close with 1001), waits for it to
    /// exit, and starts it again on the same address and database. Returns once it answers.
    pub async fn restart(&mut self) -> Result<(), String> {
        let _ = Command::new("kill").args(["-TERM", &self.pid()]).status();
        let _ = tokio::task::block_in_place(|| self.child.wait());
        self.child = spawn(&self.addr, &self.db, &self.static_dir, &self.extra)?;
        self.wait_ready().await
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
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

    /// The server's process id.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Resident memory of the server, in KiB.
    pub fn rss_kib(&self) -> u64 {
        crate::load::rss_kib(&self.pid())
    }

    /// Publishes `count` 200-byte building-wide events at `rate`/s as `token`'s user.
    pub async fn publish_entities(&self, token: &str, count: u32, rate: u32) -> Result<(), String> {
        self.publish(
            token,
            serde_json::json!({ "kind": "entity", "count": count, "perSec": rate, "frameBytes": 200 }),
        )
        .await
        .map(|_| ())
    }

    /// Publishes benchmark events through `/bench/publish` as `token`'s user.
    pub async fn publish(
        &self,
        token: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let r = reqwest::Client::new()
            .post(self.api("/bench/publish"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let v: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("publish: {status} {v}"))
        }
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
