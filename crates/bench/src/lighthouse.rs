//! Lighthouse (mobile, its default simulated Slow 4G and CPU slow-down) on the dashboard and
//! the inbox of each build, signed in: a fresh Chromium holding the session's cookie and
//! nothing else, which Lighthouse drives through its DevTools port without resetting storage
//! (a reset would sign it out). The performance score and the metrics behind it.

use std::process::Command;
use std::time::Duration;

use ppt_headless::Chromedriver;
use serde_json::Value;

use crate::browser::{each, err, signed_in_browser, Build, Network};
use crate::load::free_port;
use crate::report::Report;

/// The pages scored.
const PAGES: [(&str, &str); 2] = [("dashboard", "/"), ("inbox", "/messages")];

/// One Lighthouse run: the score and the metrics that make it.
struct Score {
    score: f64,
    fcp: f64,
    lcp: f64,
    tbt: f64,
    cls: f64,
}

fn lighthouse_cli() -> std::path::PathBuf {
    let tools = std::env::var("PPT_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/ppt-web/tools")
        });
    tools.join("node_modules/lighthouse/cli/index.js")
}

/// Lighthouse on `url` in the browser whose DevTools listen on `port`.
async fn score(port: u16, url: &str) -> Result<Score, String> {
    let cli = lighthouse_cli();
    let page = url.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&cli)
            .arg(&page)
            .arg(format!("--port={port}"))
            .args([
                "--only-categories=performance",
                "--disable-storage-reset",
                "--output=json",
                "--output-path=stdout",
                "--quiet",
                "--max-wait-for-load=60000",
            ])
            .output()
    })
    .await
    .map_err(err)?
    .map_err(|e| {
        format!(
            "cannot run Lighthouse ({}): {e}",
            lighthouse_cli().display()
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "Lighthouse failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(err)?;
    if let Some(dir) = std::env::var_os("PPT_LIGHTHOUSE_REPORTS") {
        // The whole report, for reading in Lighthouse's viewer or with jq.
        let name = format!("lighthouse-{port}.json");
        let _ = std::fs::write(std::path::Path::new(&dir).join(name), &out.stdout);
    }
    let metric = |id: &str| v["audits"][id]["numericValue"].as_f64().unwrap_or(f64::NAN);
    // What moved, for the one reading the output when the shift counts.
    if metric("cumulative-layout-shift") > 0.02 {
        for item in v["audits"]["layout-shifts"]["details"]["items"]
            .as_array()
            .into_iter()
            .flatten()
        {
            println!(
                "  layout shift {:.3} in {}: {}",
                item["score"].as_f64().unwrap_or(0.0),
                url,
                item["node"]["snippet"].as_str().unwrap_or("?")
            );
        }
    }
    let score = v["categories"]["performance"]["score"]
        .as_f64()
        .ok_or_else(|| format!("Lighthouse gave no score: {}", v["runtimeError"]))?;
    Ok(Score {
        score,
        fcp: metric("first-contentful-paint"),
        lcp: metric("largest-contentful-paint"),
        tbt: metric("total-blocking-time"),
        cls: metric("cumulative-layout-shift"),
    })
}

/// Scores every page of every build (in turn, as the start-up runs), `runs` times each, and
/// reports the median score with its metrics.
pub async fn run(
    quick: bool,
    driver: &Chromedriver,
    builds: &[Build],
    bases: &[String],
    report: &mut Report,
) -> Result<(), String> {
    // A quick run scores this build once per page, so that the benchmark cannot rot.
    let (runs, measured) = if quick { (1, 1) } else { (3, builds.len()) };
    let mut scores: Vec<Vec<Vec<Score>>> = (0..measured)
        .map(|_| PAGES.iter().map(|_| Vec::new()).collect())
        .collect();
    for _ in 0..runs {
        for (b, base) in bases.iter().enumerate().take(measured) {
            for (p, (_, path)) in PAGES.iter().enumerate() {
                let port = free_port()?;
                let flag = format!("--remote-debugging-port={port}");
                let c = signed_in_browser(driver, base, Network::Loopback, &[&flag]).await?;
                let result = score(port, &format!("{base}{path}")).await;
                let _ = c.close().await;
                scores[b][p].push(result?);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let median = |b: usize, p: usize| -> &Score {
        let mut v: Vec<&Score> = scores[b][p].iter().collect();
        v.sort_by(|x, y| x.score.total_cmp(&y.score));
        v[v.len() / 2]
    };
    let met = (0..PAGES.len()).all(|p| median(0, p).score >= 0.95);
    let measured_builds = &builds[..measured];
    report.add(
        format!("Lighthouse, mobile, signed in: median of {runs}"),
        each(measured_builds, |b| {
            PAGES
                .iter()
                .enumerate()
                .map(|(p, (name, _))| {
                    let s = median(b, p);
                    format!(
                        "{name} {:.2} (FCP {:.1} s, LCP {:.1} s, TBT {:.0} ms, CLS {:.3})",
                        s.score,
                        s.fcp / 1000.0,
                        s.lcp / 1000.0,
                        s.tbt,
                        s.cls
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        }),
        "performance ≥ 0.95 on the dashboard and the inbox",
        (!quick).then_some(met),
    );
    report.limit(
        "largest contentful paint: Lighthouse's simulated slow 4G moves the wasm (the stack's \
         weight) before anything of the app can paint; total blocking time: the first render \
         under its fourfold CPU slow-down (wasm functions compiled on their first call, then \
         Yew building the page)",
    );
    Ok(())
}
