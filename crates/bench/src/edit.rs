//! The frontend edit loop: `trunk serve` (the dev profile, as a frontend developer runs it)
//! on a copy of the workspace, a page open in Chromium, and a component edited: the time from
//! saving the file to the page reloaded with the new build and the app drawn again.
//!
//! The copy shares the build directory (`CARGO_TARGET_DIR`), so only the workspace's own
//! crates build on its first start; each edit then rebuilds the app crate, runs wasm-bindgen
//! and reloads the page through Trunk's own reload socket.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ppt_headless::Chromedriver;

use crate::browser::{err, p50_p95};
use crate::load::free_port;
use crate::report::Report;

/// The component edited: its page says this sentence, and each edit changes it.
const COMPONENT: &str = "src/components/pages/not_found.rs";
const SENTENCE: &str = "There is nothing at this address.";

/// A `trunk serve` process, stopped when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The files of the workspace (what git tracks, or the source folders without git).
fn workspace_files(root: &Path) -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            o.stdout
                .split(|b| *b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = [
        "Cargo.toml",
        "Cargo.lock",
        "Trunk.toml",
        "index.html",
        "src",
        "static",
        "crates",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    while let Some(p) = stack.pop() {
        let full = root.join(&p);
        if full.is_dir() {
            for e in std::fs::read_dir(&full).into_iter().flatten().flatten() {
                stack.push(p.join(e.file_name()));
            }
        } else if full.is_file() {
            out.push(p);
        }
    }
    out
}

fn copy_workspace(root: &Path, to: &Path) -> Result<(), String> {
    for file in workspace_files(root) {
        let from = root.join(&file);
        if !from.is_file() {
            continue;
        }
        let dest = to.join(&file);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        std::fs::copy(&from, &dest).map_err(err)?;
    }
    Ok(())
}

/// Whether `url` answers 200.
async fn answers(url: &str) -> bool {
    reqwest::get(url)
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The build the page runs (its loader's hashed name) once it has the app drawn (the login
/// form or the header) and no marker of an earlier load; else `null`.
const DRAWN_JS: &str = "const l = document.querySelector('link[rel=modulepreload]'); \
     return (!window.__pptEdit && l && document.querySelector('.login-page, .app-header')) ? l.href : null;";

pub async fn run(quick: bool, root: &Path, report: &mut Report) -> Result<(), String> {
    let edits = if quick { 1 } else { 5 };
    let dir = tempfile::Builder::new()
        .prefix("ppt-edit-")
        .tempdir()
        .map_err(err)?;
    copy_workspace(root, dir.path())?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.path().join("trunk.log")).map_err(err)?;
    let serve = Serve(
        Command::new("trunk")
            .args(["serve", "--offline", "--address", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(err)?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start trunk serve: {e} (scripts/setup.sh installs it)"))?,
    );
    let url = format!("http://127.0.0.1:{port}/");
    // The first build compiles the workspace's crates in the dev profile (the dependencies
    // once per machine): it may take minutes.
    let started = Instant::now();
    while !answers(&url).await {
        if started.elapsed() > Duration::from_secs(1200) {
            return Err(format!(
                "trunk serve did not serve the app within 20 minutes (see {})",
                dir.path().join("trunk.log").display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first_build = started.elapsed();
    let driver = Chromedriver::start()?;
    let c = driver.session(&[], Duration::from_secs(20)).await?;
    c.goto(&url).await.map_err(err)?;
    let mut build = wait(&c, DRAWN_JS, Duration::from_secs(60), "").await?;
    let component = dir.path().join(COMPONENT);
    let source = std::fs::read_to_string(&component).map_err(err)?;
    if !source.contains(SENTENCE) {
        return Err(format!(
            "{COMPONENT} no longer says {SENTENCE:?}: update crates/bench/src/edit.rs"
        ));
    }
    let mut times = Vec::new();
    for i in 1..=edits {
        c.execute("window.__pptEdit = 1; return null;", vec![])
            .await
            .map_err(err)?;
        let edited = source.replace(
            SENTENCE,
            &format!("There is nothing at this address ({i})."),
        );
        let t = Instant::now();
        std::fs::write(&component, edited).map_err(err)?;
        // Reloaded with the edited build, not with a rebuild that was already under way.
        build = wait(&c, DRAWN_JS, Duration::from_secs(600), &build).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "  edit {i}: page reloaded {:.1} s after the save",
            times[i - 1] / 1000.0
        );
    }
    let _ = c.close().await;
    drop(serve);
    let (p50, _) = p50_p95(times.clone());
    report.add(
        format!("frontend edit loop: {edits} edits of a component under trunk serve"),
        format!(
            "saved to page reloaded: p50 {:.1} s (each: {}); first build of the copy {:.0} s",
            p50 / 1000.0,
            times
                .iter()
                .map(|t| format!("{:.1} s", t / 1000.0))
                .collect::<Vec<_>>()
                .join(", "),
            first_build.as_secs_f64()
        ),
        "the dev profile, not the release one (issue 25: 19.2 s with the release profile)",
        None,
    );
    Ok(())
}

/// Runs `script` until it returns a string other than `null` and `not` (50 ms apart), and
/// returns it; navigations in between (the reload) are waited out.
async fn wait(
    c: &fantoccini::Client,
    script: &str,
    patience: Duration,
    not: &str,
) -> Result<String, String> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(serde_json::Value::String(v)) = c.execute(script, vec![]).await {
            if v != not {
                return Ok(v);
            }
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for: {script}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
