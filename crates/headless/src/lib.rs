//! Headless Chromium through chromedriver, as the e2e tests (`tests/e2e`) and the browser
//! benchmarks (`crates/bench`) drive it: one way to start chromedriver, one set of Chromium
//! flags, one way to open a session once chromedriver listens, and one way to stop every
//! browser it started, also those of a test that panicked before closing its session.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// The flags every session gets: headless, as root (no sandbox), no GPU, and nothing that
/// reaches out to Google's services (this machine's closed network refuses them).
const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A chromedriver process on a free port of 127.0.0.1. Each session's browser has a profile
/// in a folder of this driver's own; when the driver is dropped, every browser with a
/// profile there is stopped (a session left open by an error or a panic included), then
/// chromedriver.
pub struct Chromedriver {
    process: Child,
    url: String,
    profiles: tempfile::TempDir,
    sessions: std::cell::Cell<u32>,
}

impl Chromedriver {
    /// Starts `$CHROMEDRIVER` (default `chromedriver` on the PATH).
    pub fn start() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let process = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start {bin}: {e} (scripts/setup.sh --browser installs it)")
            })?;
        let profiles = tempfile::Builder::new()
            .prefix("ppt-chromium-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        Ok(Chromedriver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            profiles,
            sessions: std::cell::Cell::new(0),
        })
    }

    /// Opens a session with `$CHROME_BIN` (default `/usr/bin/chromium`), a fresh profile,
    /// the common flags and `extra` ones. chromedriver needs a moment to listen: the
    /// connection is retried every 50 ms for up to `patience`.
    pub async fn session(&self, extra: &[&str], patience: Duration) -> Result<Client, String> {
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        self.sessions.set(self.sessions.get() + 1);
        let profile = self
            .profiles
            .path()
            .join(format!("profile-{}", self.sessions.get()));
        let args: Vec<String> = FLAGS
            .iter()
            .chain(extra)
            .map(|f| f.to_string())
            .chain([format!("--user-data-dir={}", profile.display())])
            .collect();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chrome, "args": args }),
        );
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(c) => return Ok(c),
                Err(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => return Err(format!("chromedriver did not answer: {e}")),
            }
        }
    }
}

/// A Chrome DevTools Protocol command sent through chromedriver (its `goog/cdp/execute`):
/// network emulation for the benchmarks, the installability check for the e2e tests.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs one DevTools Protocol command in the session's page and returns its result.
pub async fn cdp(
    client: &Client,
    cmd: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value, String> {
    client
        .issue_cmd(Cdp {
            cmd: cmd.to_owned(),
            params,
        })
        .await
        .map_err(|e| format!("{cmd}: {e}"))
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-f", &self.profiles.path().display().to_string()])
            .status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browsers_running(profiles: &str) -> bool {
        Command::new("pgrep")
            .args(["-f", profiles])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A session left open (as by a test that panicked) does not outlive its driver.
    #[tokio::test]
    async fn dropping_the_driver_stops_its_browsers() {
        let driver = Chromedriver::start().unwrap();
        let _left_open = driver.session(&[], Duration::from_secs(20)).await.unwrap();
        let profiles = driver.profiles.path().display().to_string();
        assert!(browsers_running(&profiles));
        drop(driver);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while browsers_running(&profiles) {
            assert!(
                std::time::Instant::now() < deadline,
                "a browser outlived its driver"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
