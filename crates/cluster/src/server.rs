//! A `ppt-server` process: the binary beside the running one (or `PPT_SERVER_BIN`), a
//! database of the caller's choosing (a SQLite path or a `postgres://` URL), loopback only.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The JWT secret every server process here signs with (a peer that checks the same tokens,
/// like the benchmarks' Socket.IO server, uses it too).
pub const JWT_SECRET: &str = "cluster-test-secret-of-at-least-32-bytes";

pub struct ServerProcess {
    child: Child,
    pub addr: String,
    db: String,
    static_dir: PathBuf,
    extra: Vec<String>,
    _static: Option<tempfile::TempDir>,
}

/// The `ppt-server` binary: `PPT_SERVER_BIN`, else the one cargo built beside this program
/// (a test's executable sits one folder further down, in `deps/`).
pub fn server_binary() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("PPT_SERVER_BIN") {
        return Ok(p.into());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no folder")?;
    for candidate in [dir.join("ppt-server"), dir.join("../ppt-server")] {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "ppt-server is missing beside {}: build it with `cargo build -p ppt-server` (add \
         --release for benchmarks)",
        exe.display()
    ))
}

/// A free loopback port (free when asked; taken by whoever binds it first).
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn spawn(addr: &str, db: &str, static_dir: &Path, extra: &[String]) -> Result<Child, String> {
    Command::new(server_binary()?)
        .args(["--addr", addr, "--db", db])
        .arg("--static-dir")
        .arg(static_dir)
        .args([
            "--jwt-secret",
            JWT_SECRET,
            "--event-retention",
            "5000000",
            "--bench-api",
            // Measurements and tests create in bursts no person would.
            "--create-limit",
            "off",
            "--demo",
            // The benchmarks open thousands of sockets as a handful of residents.
            "--ws-max-per-user",
            "1000000",
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
    pub async fn start(db: &str, extra: &[&str]) -> Result<Self, String> {
        Self::start_serving(db, None, extra).await
    }

    /// Like [`ServerProcess::start`], serving the built app from `static_dir`.
    pub async fn start_serving(
        db: &str,
        static_dir: Option<&Path>,
        extra: &[&str],
    ) -> Result<Self, String> {
        Self::start_at(
            &format!("127.0.0.1:{}", free_port()?),
            db,
            static_dir,
            extra,
        )
        .await
    }

    /// Like [`ServerProcess::start_serving`], on a given address.
    pub async fn start_at(
        addr: &str,
        db: &str,
        static_dir: Option<&Path>,
        extra: &[&str],
    ) -> Result<Self, String> {
        let addr = addr.to_owned();
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
            db: db.to_owned(),
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

    /// Kills the server at once (SIGKILL): no goodbye to its sockets, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
        token_at(&self.base(), email).await
    }

    /// The server's process id.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Resident memory of the server, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(&self.pid())
    }

    /// CPU time the server has used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.pid())
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
        self.kill();
    }
}

/// Logs a demo user in at `base` (a server or a balancer) and returns the token.
pub async fn token_at(base: &str, email: &str) -> Result<String, String> {
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
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
        .ok_or_else(|| format!("login of {email} failed: {r}"))
}

/// Resident memory of a process, in KiB (0 if unknown).
pub fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) of a process, from `/proc/<pid>/stat` ("self": this one).
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}
