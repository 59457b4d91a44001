//! HAProxy (Debian's package) in front of several `ppt-server` nodes, with the project's own
//! configuration (`deploy/haproxy.cfg`), on free loopback ports.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::free_port;

/// The configuration template that `scripts/cluster.sh` uses too.
pub const TEMPLATE: &str = include_str!("../../../deploy/haproxy.cfg");

/// Fills in the template: the balancer's address, its statistics page, and the nodes
/// (named `n1`, `n2`, … in order).
pub fn config(bind: &str, stats: &str, nodes: &[String]) -> String {
    let servers: Vec<String> = nodes
        .iter()
        .enumerate()
        .map(|(i, addr)| format!("    server n{} {addr} check", i + 1))
        .collect();
    TEMPLATE
        .replace("@BIND@", bind)
        .replace("@STATS@", stats)
        .replace("@SERVERS@", &servers.join("\n"))
}

/// A running HAProxy.
pub struct Balancer {
    child: Child,
    pub port: u16,
    stats_port: u16,
    dir: tempfile::TempDir,
}

fn haproxy() -> Result<PathBuf, String> {
    for p in [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ] {
        if std::path::Path::new(p).exists() {
            return Ok(p.into());
        }
    }
    Err("haproxy is missing: `apt-get install haproxy` (scripts/setup.sh --cluster does)".into())
}

impl Balancer {
    /// Starts HAProxy in front of `nodes` (`host:port` each, named `n1`, `n2`, … in order);
    /// returns at once (see [`Balancer::wait_for`]).
    pub fn start(nodes: &[String]) -> Result<Balancer, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (port, stats_port) = (free_port()?, free_port()?);
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(
            &cfg,
            config(
                &format!("127.0.0.1:{port}"),
                &format!("127.0.0.1:{stats_port}"),
                nodes,
            ),
        )
        .map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(dir.path().join("haproxy.log")).map_err(|e| e.to_string())?;
        let child = Command::new(haproxy()?)
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        Ok(Balancer {
            child,
            port,
            stats_port,
            dir,
        })
    }

    /// The balancer's URL.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Each node's state as HAProxy sees it (`UP`, `DOWN`, `UP 1/2`, …), by name.
    pub async fn states(&self) -> Result<Vec<(String, String)>, String> {
        let csv = reqwest::get(format!("http://127.0.0.1:{}/stats;csv", self.stats_port))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or("")
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let (px, sv, st) = (
            col("pxname").ok_or("no pxname")?,
            col("svname").ok_or("no svname")?,
            col("status").ok_or("no status")?,
        );
        Ok(lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| {
                f.get(px) == Some(&"nodes") && f.get(sv).is_some_and(|s| s.starts_with('n'))
            })
            .map(|f| {
                (
                    f[sv].to_owned(),
                    f.get(st).copied().unwrap_or("").to_owned(),
                )
            })
            .collect())
    }

    /// Waits until HAProxy has every node up.
    pub async fn wait_all_up(&self, nodes: usize) -> Result<(), String> {
        for i in 1..=nodes {
            self.wait_for(&format!("n{i}"), "UP").await?;
        }
        Ok(())
    }

    /// Waits until HAProxy reports node `name` in `state` (its health checks run every 500 ms).
    pub async fn wait_for(&self, name: &str, state: &str) -> Result<(), String> {
        for _ in 0..400 {
            if let Ok(states) = self.states().await {
                if states.iter().any(|(n, s)| n == name && s == state) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "HAProxy never saw {name} {state}; its log: {}",
            self.dir.path().join("haproxy.log").display()
        ))
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template gets every field filled and one server line per node.
    #[test]
    fn fills_the_template() {
        let cfg = config(
            "127.0.0.1:8080",
            "127.0.0.1:8404",
            &["127.0.0.1:8181".into(), "127.0.0.1:8182".into()],
        );
        assert!(!cfg.contains('@'), "{cfg}");
        assert!(cfg.contains("server n1 127.0.0.1:8181 check"));
        assert!(cfg.contains("server n2 127.0.0.1:8182 check"));
        assert!(cfg.contains("bind 127.0.0.1:8080"));
    }
}
