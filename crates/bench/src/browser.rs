//! The app in real headless Chromium (through chromedriver), against the release server:
//!
//! - start-up: cold loads of the dashboard (a fresh browser profile each, so nothing is
//!   cached), from navigation start to the first list showing its data (the app's
//!   `ppt:first-list` User Timing mark); repeat visits once the service worker holds the
//!   app; first visits on DevTools' "Slow 4G" (network emulation through the DevTools
//!   Protocol), with the bytes transferred;
//! - events applied in one tab: Bob's messages to Alice (each `message:new` + `entity:created`)
//!   at rising rates while her inbox is open; the unread badge counts what her tab applied,
//!   sampled in the page; a rate is sustained when the tab has applied everything within a
//!   second of the last publish (no growing backlog) and at no less than 80 % of the offered
//!   rate (a server that could not publish that fast offered less);
//! - publish to screen: at 1,000 events/s, a MutationObserver on the inbox sees each new
//!   message row; its body carries the server's send time (µs), so latency is one clock.

use std::time::{Duration, Instant};

use fantoccini::Client;
use ppt_headless::Chromedriver;
use serde_json::{json, Value};

use crate::load::ServerProcess;
use crate::load::{now_us, Latencies};
use crate::report::Report;

pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs `script` in the page until it returns something other than `null` (10 ms apart).
async fn wait_js(c: &Client, script: &str, patience: Duration) -> Result<Value, String> {
    let deadline = Instant::now() + patience;
    loop {
        let v = c.execute(script, vec![]).await.map_err(err)?;
        if !v.is_null() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for: {script}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Logs in through the form (the first load also compiles and caches nothing: each run is a
/// fresh browser).
async fn login(c: &Client, base: &str, email: &str) -> Result<(), String> {
    c.goto(&format!("{base}/login")).await.map_err(err)?;
    wait_js(
        c,
        "return document.querySelector('[data-testid=login-email]') ? 1 : null",
        Duration::from_secs(20),
    )
    .await?;
    c.execute(
        "const set = (id, v) => { const e = document.querySelector(`[data-testid=${id}]`); \
         e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); };\
         set('login-email', arguments[0]); set('login-password', 'demo1234');\
         document.querySelector('[data-testid=login-submit]').click(); return null;",
        vec![email.into()],
    )
    .await
    .map_err(err)?;
    wait_js(
        c,
        "return document.querySelector('[data-testid=dashboard]') ? 1 : null",
        Duration::from_secs(20),
    )
    .await?;
    Ok(())
}

/// The host of a base URL (`http://127.0.0.1:8080` -> `127.0.0.1`).
fn host_of(base: &str) -> String {
    let rest = base.split("://").nth(1).unwrap_or(base);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .to_owned()
}

/// A fresh session's refresh cookie value (the login API's `Set-Cookie`), as a browser that
/// signed in earlier holds it.
async fn refresh_cookie(base: &str, email: &str) -> Result<String, String> {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": "demo1234" }))
        .send()
        .await
        .map_err(err)?;
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("ppt_refresh="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| "no refresh cookie after login".into())
}

/// Reads a count from the page (`script` returns a number) until it reaches `want` or has not
/// moved for `quiet`; returns the last count.
async fn count_until(c: &Client, script: &str, want: u64, quiet: Duration) -> Result<u64, String> {
    let mut last = (u64::MAX, Instant::now());
    loop {
        let n = c
            .execute(script, vec![])
            .await
            .map_err(err)?
            .as_u64()
            .unwrap_or(0);
        if n >= want {
            return Ok(n);
        }
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > quiet {
            return Ok(n);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn unread_js() -> &'static str {
    "const b = document.querySelector('[data-testid=unread-count]'); return b ? Number(b.textContent) : 0;"
}

/// A build of the app to measure: this one, and optionally the one before (`--baseline`).
pub struct Build {
    pub name: String,
    pub dist: std::path::PathBuf,
}

pub async fn run(quick: bool, builds: &[Build], report: &mut Report) -> Result<(), String> {
    let mut servers = Vec::new();
    let dir = tempfile::tempdir().map_err(err)?;
    for (i, b) in builds.iter().enumerate() {
        if !b.dist.join("index.html").exists() {
            return Err(format!(
                "{} has no built app: run scripts/build-app.sh",
                b.dist.display()
            ));
        }
        let server = ServerProcess::start_serving(
            &dir.path()
                .join(format!("browser-{i}.sqlite3"))
                .display()
                .to_string(),
            Some(&b.dist),
            &["--send-queue", "65536"],
        )
        .await?;
        wait_for_compressed_copies(&b.dist).await;
        servers.push(server);
    }
    let driver = Chromedriver::start()?;
    let bases: Vec<String> = servers.iter().map(ServerProcess::base).collect();
    startup(quick, &driver, builds, &bases, report).await?;
    crate::lighthouse::run(quick, &driver, builds, &bases, report).await?;
    one_tab(quick, &driver, &servers[0], report).await?;
    Ok(())
}

/// Waits (up to a minute) until the server has written the compressed copy of the wasm, as a
/// server that has been running for a moment has: cold loads measure the app, not the
/// one-time compression.
async fn wait_for_compressed_copies(dist: &std::path::Path) {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let ready = std::fs::read_dir(dist)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .all(|wasm| {
                let mut br = wasm.clone().into_os_string();
                br.push(".br");
                matches!((modified(&wasm), modified(std::path::Path::new(&br))), (Some(w), Some(b)) if b >= w)
            });
        if ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Chrome DevTools' "Slow 4G" preset (its throttling menu): 562.5 ms round trip, 1.44 Mbit/s
/// down, 675 kbit/s up, applied to the page through the DevTools Protocol.
const SLOW_4G: (f64, f64, f64) = (562.5, 180_000.0, 84_375.0);

/// Bytes the page has had over the network so far: everything (the page, its files, its API
/// answers), and the app's own files alone; what the service worker answered from its cache
/// counts nothing.
const TRANSFERRED_JS: &str = "const all = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')); \
     const sum = es => es.reduce((n, e) => n + (e.transferSize || 0), 0); \
     return [sum(all), sum(all.filter(e => !new URL(e.name).pathname.startsWith('/api/')))];";

/// The p50 and p95 of `values` (nearest rank; loads on a slow network take longer than the
/// latency histogram's one-second range).
pub fn p50_p95(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| {
        let rank = ((values.len() as f64) * p).ceil().max(1.0) as usize;
        values[rank.min(values.len()) - 1]
    };
    (at(0.5), at(0.95))
}

/// Milliseconds from navigation to the first list showing its data (`ppt:first-list`).
const FIRST_LIST_JS: &str = "const e = performance.getEntriesByName('ppt:first-list'); return e.length ? e[0].startTime : null;";

/// The network a fresh browser has.
#[derive(Clone, Copy, PartialEq)]
pub enum Network {
    /// Loopback, unthrottled.
    Loopback,
    /// DevTools' Slow 4G for every request of the page (the service worker bypassed).
    Slow4g,
    /// DevTools' Slow 4G as DevTools applies it, to the page's own requests: what the
    /// service worker fetches for the page once it controls it is not throttled (how the
    /// benchmark measured before issue 25).
    Slow4gPageOnly,
}

/// A fresh browser that signed in earlier (it holds the session's cookie) and has nothing of
/// the app cached, on `network`.
async fn fresh_browser(
    driver: &Chromedriver,
    base: &str,
    network: Network,
) -> Result<Client, String> {
    signed_in_browser(driver, base, network, &[]).await
}

/// [`fresh_browser`] with extra Chromium flags.
pub async fn signed_in_browser(
    driver: &Chromedriver,
    base: &str,
    network: Network,
    flags: &[&str],
) -> Result<Client, String> {
    let c = driver.session(flags, Duration::from_secs(20)).await?;
    // A tiny same-origin page to hold the cookie. The load restores the session through
    // `/auth/refresh` before its first list, as every reload does.
    c.goto(&format!("{base}/healthz")).await.map_err(err)?;
    let cookie = fantoccini::cookies::Cookie::build((
        "ppt_refresh",
        refresh_cookie(base, "alice@demo.ppt").await?,
    ))
    .domain(host_of(base))
    .path("/api/v1/auth")
    .http_only(true)
    .same_site(cookie::SameSite::Strict)
    .build();
    c.add_cookie(cookie).await.map_err(err)?;
    if network != Network::Loopback {
        let (latency, down, up) = SLOW_4G;
        ppt_headless::cdp(&c, "Network.enable", json!({})).await?;
        // DevTools throttles the page's own requests only: once the service worker controls
        // the page (it claims it moments after the first load), the API requests it passes on
        // would skip the slow network, as they would not on a phone. Bypassing it, every
        // request of the page goes to the network, so a first visit pays every round trip a
        // phone would.
        if network == Network::Slow4g {
            ppt_headless::cdp(
                &c,
                "Network.setBypassServiceWorker",
                json!({ "bypass": true }),
            )
            .await?;
        }
        ppt_headless::cdp(
            &c,
            "Network.emulateNetworkConditions",
            json!({ "offline": false, "latency": latency, "downloadThroughput": down, "uploadThroughput": up }),
        )
        .await?;
    }
    Ok(c)
}

/// When the parts of a load happened, in ms from navigation start: the wasm and the session
/// restore answered, the first list's request left and was answered, the first list shown.
const PHASES_JS: &str = "const r = performance.getEntriesByType('resource'); \
     const f = (pred, k) => { const e = r.find(e => pred(new URL(e.name).pathname)); return e ? e[k] : null; }; \
     const list = p => p.startsWith('/api/v1/') && !p.startsWith('/api/v1/auth/') && !p.endsWith('/unread-count') && !p.startsWith('/api/v1/notification'); \
     const first = performance.getEntriesByName('ppt:first-list'); \
     return [f(p => p.endsWith('.wasm'), 'responseEnd'), f(p => p === '/api/v1/auth/refresh', 'responseEnd'), \
             f(list, 'startTime'), f(list, 'responseEnd'), first.length ? first[0].startTime : null];";

/// One load: the time to the first list and the bytes transferred by then (all of them, and
/// the app's own files alone), and its phases ([`PHASES_JS`]).
struct Load {
    first_list: f64,
    bytes: f64,
    app_bytes: f64,
    phases: Vec<Option<f64>>,
}

/// Loads the dashboard and waits for its first list.
async fn load(c: &Client, base: &str) -> Result<Load, String> {
    c.goto(&format!("{base}/")).await.map_err(err)?;
    let t = wait_js(c, FIRST_LIST_JS, Duration::from_secs(60)).await?;
    let bytes = c.execute(TRANSFERRED_JS, vec![]).await.map_err(err)?;
    let phases = c.execute(PHASES_JS, vec![]).await.map_err(err)?;
    Ok(Load {
        first_list: t.as_f64().unwrap_or(0.0),
        bytes: bytes[0].as_f64().unwrap_or(0.0),
        app_bytes: bytes[1].as_f64().unwrap_or(0.0),
        phases: phases
            .as_array()
            .map(|a| a.iter().map(Value::as_f64).collect())
            .unwrap_or_default(),
    })
}

/// The median of each phase over `loads`, for people: "wasm 1290, session 1402, …".
fn phases(loads: &[Load]) -> String {
    const NAMES: [&str; 5] = [
        "wasm in",
        "session restored",
        "list asked",
        "list answered",
        "shown",
    ];
    NAMES
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let v: Vec<f64> = loads
                .iter()
                .filter_map(|l| l.phases.get(i).copied().flatten())
                .collect();
            (!v.is_empty()).then(|| format!("{name} {:.0}", p50_p95(v).0))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The figures of each build in one cell: "this build: …; before (31ab74e): …".
pub fn each(builds: &[Build], figure: impl Fn(usize) -> String) -> String {
    builds
        .iter()
        .enumerate()
        .map(|(i, b)| format!("{}: {}", b.name, figure(i)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Cold loads, repeat visits and slow-network first visits of every build, taken in turn
/// (build A, build B, A, B, …) so that the machine's noise falls on all of them alike.
async fn startup(
    quick: bool,
    driver: &Chromedriver,
    builds: &[Build],
    bases: &[String],
    report: &mut Report,
) -> Result<(), String> {
    let runs = if quick { 2 } else { 20 };
    for base in bases {
        let first = driver.session(&[], Duration::from_secs(20)).await?;
        login(&first, base, "alice@demo.ppt").await?;
        let _ = first.close().await;
    }
    let n = builds.len();
    let (mut cold, mut repeat): (Vec<Vec<Load>>, Vec<Vec<Load>>) = (
        (0..n).map(|_| Vec::new()).collect(),
        (0..n).map(|_| Vec::new()).collect(),
    );
    for i in 0..runs {
        for (b, base) in bases.iter().enumerate() {
            let c = fresh_browser(driver, base, Network::Loopback).await?;
            cold[b].push(load(&c, base).await?);
            if i < runs / 2 {
                // A repeat visit once the service worker holds the app.
                wait_js(
                    &c,
                    "return navigator.serviceWorker.controller ? 1 : null",
                    Duration::from_secs(20),
                )
                .await?;
                repeat[b].push(load(&c, base).await?);
            }
            let _ = c.close().await;
        }
    }
    let ms = |loads: &Vec<Load>| loads.iter().map(|l| l.first_list).collect::<Vec<_>>();
    let p95 = Latencies::from_ms(&ms(&cold[0])).percentile_ms(0.95);
    report.add(
        format!("start-up: {runs} cold loads of the dashboard"),
        format!(
            "navigation to first list, {}",
            each(builds, |b| {
                let l = Latencies::from_ms(&ms(&cold[b]));
                format!(
                    "p50 {:.0} ms, p95 {:.0} ms",
                    l.percentile_ms(0.5),
                    l.percentile_ms(0.95)
                )
            })
        ),
        "p95 ≤ 200 ms on loopback",
        (!quick).then_some(p95 <= 200.0),
    );
    report.limit(
        "a fresh Chromium each load, on the same 2 cores: ~120 ms of the browser's own work \
         (navigation, a new renderer, parsing) before the wasm runs, then its compilation and \
         first render, the first layout and the effects",
    );

    let repeat_p95 = |b: usize| p50_p95(ms(&repeat[b])).1;
    report.add(
        format!(
            "start-up: {} repeat visits (service worker)",
            repeat[0].len()
        ),
        format!(
            "first list, {}",
            each(builds, |b| {
                let (p50, p95) = p50_p95(ms(&repeat[b]));
                let app = repeat[b].iter().map(|r| r.app_bytes).fold(0.0, f64::max);
                format!(
                    "p50 {p50:.0} ms, p95 {p95:.0} ms, the app's files over the network {:.1} KiB",
                    app / 1024.0
                )
            })
        ),
        "p95 within 1.2× of the build before (issue 25); the app's files from cache",
        (n > 1 && !quick).then(|| repeat_p95(0) <= 1.2 * repeat_p95(1)),
    );

    // The same first visit on a phone's slow network: every request over it, then as DevTools
    // throttles a page (the service worker's fetches spared), as measured before issue 25.
    let slow_runs = if quick { 1 } else { 5 };
    for network in [Network::Slow4g, Network::Slow4gPageOnly] {
        let mut slow: Vec<Vec<Load>> = (0..n).map(|_| Vec::new()).collect();
        for _ in 0..slow_runs {
            for (b, base) in bases.iter().enumerate() {
                let c = fresh_browser(driver, base, network).await?;
                slow[b].push(load(&c, base).await?);
                let _ = c.close().await;
            }
        }
        let slow_p50 = p50_p95(ms(&slow[0])).0;
        let (what, target, met) = match network {
            Network::Slow4g => (
                format!("start-up on slow 4G: {slow_runs} first visits"),
                "p50 ≤ 2.5 s on DevTools' Slow 4G (562.5 ms RTT, 1.44 Mbit/s down), every request over it",
                (!quick).then_some(slow_p50 <= 2500.0),
            ),
            _ => (
                format!("start-up on slow 4G, the service worker's fetches unthrottled: {slow_runs} first visits"),
                "as measured before issue 25: DevTools throttles the page's own requests only",
                None,
            ),
        };
        report.add(
            what,
            format!(
                "first list, {}",
                each(builds, |b| {
                    let (p50, p95) = p50_p95(ms(&slow[b]));
                    let bytes = slow[b].iter().map(|l| l.bytes).fold(0.0, f64::max);
                    format!(
                        "p50 {p50:.0} ms, p95 {p95:.0} ms, {:.1} KiB transferred (p50 ms from navigation: {})",
                        bytes / 1024.0,
                        phases(&slow[b])
                    )
                })
            ),
            target,
            met,
        );
        if network == Network::Slow4g {
            report.limit(
                "the wasm's transfer: the page and then its files each wait one round trip, and \
                 the wasm (the stack's weight, docs/performance-notes.md) takes the rest at \
                 1.44 Mbit/s; the session and the first lists, asked for by the page while the \
                 wasm downloads, are there before it",
            );
        }
    }
    Ok(())
}

/// One rate step in one tab.
struct TabStep {
    rate: u32,
    events: u64,
    applied_per_sec: f64,
    drain_ms: f64,
}

impl TabStep {
    /// Everything applied within a second of the last publish, at no less than 80 % of the
    /// offered rate.
    fn kept_up(&self) -> bool {
        self.drain_ms <= 1000.0 && self.applied_per_sec >= 0.8 * self.rate as f64
    }
}

async fn one_tab(
    quick: bool,
    driver: &Chromedriver,
    server: &ServerProcess,
    report: &mut Report,
) -> Result<(), String> {
    let base = server.base();
    let c = driver.session(&[], Duration::from_secs(20)).await?;
    login(&c, &base, "alice@demo.ppt").await?;
    c.goto(&format!("{base}/messages")).await.map_err(err)?;
    wait_js(
        &c,
        "return document.querySelector('[data-testid=message-list]') ? 1 : null",
        Duration::from_secs(20),
    )
    .await?;
    // The load source is a manager's: Martin's messages fill Alice's inbox.
    let sender = server.token("martin@demo.ppt").await?;
    let alice_id = "1";

    // Publish to screen first, at 1,000 events/s (500 messages), on a quiet tab.
    let (rate, secs) = if quick { (100u32, 1.0) } else { (1_000, 5.0) };
    c.execute(
        "window.__lat = []; const list = document.querySelector('[data-testid=message-list]');\
         new MutationObserver(ms => { const now = (performance.timeOrigin + performance.now()) * 1000;\
           for (const m of ms) for (const n of m.addedNodes) { if (n.nodeName !== 'LI') continue;\
             const t = /sent (\\d+)/.exec(n.textContent || ''); if (t) window.__lat.push((now - Number(t[1])) / 1000); } })\
           .observe(list, { childList: true, subtree: true }); return null;",
        vec![],
    )
    .await
    .map_err(err)?;
    let messages = ((rate as f64 / 2.0) * secs) as u64;
    server
        .publish(
            &sender,
            json!({ "kind": "message", "toUserId": alice_id, "count": messages, "perSec": rate / 2 }),
        )
        .await?;
    // Until every row was seen, or none for 3 s (rows that never showed are reported).
    count_until(
        &c,
        "return window.__lat.length",
        messages,
        Duration::from_secs(3),
    )
    .await?;
    let lat: Vec<f64> = c
        .execute("return window.__lat", vec![])
        .await
        .map_err(err)?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let screen = Latencies::from_ms(&lat);
    let p99 = screen.percentile_ms(0.99);
    report.add(
        format!("publish to screen: {rate} events/s into an open inbox"),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms ({} of {messages} new rows seen by a MutationObserver)",
            screen.percentile_ms(0.5),
            p99,
            lat.len()
        ),
        "p99 ≤ 25 ms at 1,000 events/s",
        (!quick).then_some(p99 <= 25.0),
    );
    report.limit(
        "the tab's main thread is near saturation: Chromium's work per WebSocket message, \
         style, layout and paint (software, headless; paint alone ~20 %) and the app's render \
         of each new row (DOM made through Yew) leave frames queued behind long tasks of \
         20-50 ms (traced); the server runs on the same 2 cores",
    );
    report.remember(
        format!("publish to screen, {rate} events/s (Chromium)"),
        screen,
    );

    // Rising rates: what the tab applies, and whether it keeps up.
    let (rates, secs): (&[u32], f64) = if quick {
        (&[1_000], 1.0)
    } else {
        (&[2_000, 5_000, 10_000, 20_000, 40_000], 3.0)
    };
    c.execute(
        &format!(
            "window.__s = []; window.__t = setInterval(() => window.__s.push([Date.now(), (() => {{ {} }})()]), 20); return null;",
            unread_js()
        ),
        vec![],
    )
    .await
    .map_err(err)?;
    let mut steps = Vec::new();
    for &rate in rates {
        let before = c
            .execute(unread_js(), vec![])
            .await
            .map_err(err)?
            .as_u64()
            .unwrap_or(0);
        let messages = ((rate as f64 / 2.0) * secs) as u64;
        let want = before + messages;
        let start_ms = now_us() as f64 / 1000.0;
        server
            .publish(
                &sender,
                json!({ "kind": "message", "toUserId": alice_id, "count": messages, "perSec": rate / 2 }),
            )
            .await?;
        let published_ms = now_us() as f64 / 1000.0;
        // Until the badge shows everything, or stops moving for 5 s.
        let n = count_until(&c, unread_js(), want, Duration::from_secs(5)).await?;
        if n < want {
            return Err(format!(
                "the tab stopped at {n} of {want} unread at {rate} events/s"
            ));
        }
        let samples: Vec<(f64, u64)> = c
            .execute("const s = window.__s; window.__s = []; return s;", vec![])
            .await
            .map_err(err)?
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let done_ms = samples
            .iter()
            .find(|(_, n)| *n >= want)
            .map(|(t, _)| *t)
            .unwrap_or(now_us() as f64 / 1000.0);
        let first_ms = samples
            .iter()
            .find(|(_, n)| *n > before)
            .map(|(t, _)| *t)
            .unwrap_or(start_ms);
        let events = messages * 2;
        let step = TabStep {
            rate,
            events,
            applied_per_sec: events as f64 / ((done_ms - first_ms.min(start_ms)).max(1.0) / 1000.0),
            drain_ms: (done_ms - published_ms).max(0.0),
        };
        println!(
            "  one tab, {} events/s offered: {:.0} applied/s, drained {:.0} ms after the last publish",
            step.rate, step.applied_per_sec, step.drain_ms
        );
        let kept_up = step.kept_up();
        steps.push(step);
        if !kept_up {
            break;
        }
    }
    let sustained = steps
        .iter()
        .filter(|s| s.kept_up())
        .map(|s| s.rate)
        .max()
        .unwrap_or(0);
    let ladder: Vec<String> = steps
        .iter()
        .map(|s| {
            format!(
                "{}/s → {:.0}/s applied, drained {:.0} ms after ({} events)",
                s.rate, s.applied_per_sec, s.drain_ms, s.events
            )
        })
        .collect();
    report.add(
        "events applied in one tab (message:new + entity:created, inbox open)",
        format!(
            "sustained {sustained} events/s with no growing backlog ({})",
            ladder.join("; ")
        ),
        "≥ 20,000 events/s sustained",
        (!quick).then_some(sustained >= 20_000),
    );
    report.limit(
        "Chromium's own work per WebSocket message and the page's rendering take most of the \
         main thread; the app's share is mostly creating the new rows' DOM through Yew \
         (attributes and texts passed from wasm as strings), profiled; the server producing \
         the stream shares the 2 cores, and the contract puts one event in each frame",
    );
    let _ = c.close().await;
    Ok(())
}
