//! Fan-out (N authenticated sockets, building-wide events from concurrent REST writers:
//! deliveries/s, latency from the server's event timestamp to receipt, server CPU per
//! delivery) and memory per idle socket (server RSS growth / N).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use ppt_protocol::{ClientFrame, Envelope, ServerEvent};
use tokio_tungstenite::tungstenite::Message;

use crate::report::Report;
use crate::server::{percentile, ServerProcess};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const USERS: [&str; 3] = ["alice@demo.ppt", "bob@demo.ppt", "carol@demo.ppt"];

async fn open_sockets(server: &ServerProcess, n: usize) -> Result<Vec<Ws>, String> {
    let mut tokens = Vec::new();
    for u in USERS {
        tokens.push(server.token(u).await?);
    }
    let mut sockets = Vec::with_capacity(n);
    for i in 0..n {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.ws())
            .await
            .map_err(|e| format!("socket {i}: {e}"))?;
        ws.send(Message::Text(
            ClientFrame::auth(tokens[i % tokens.len()].clone(), None)
                .to_json()
                .into(),
        ))
        .await
        .map_err(|e| e.to_string())?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("connection:authenticated") => break,
                Some(Ok(_)) => {}
                other => return Err(format!("socket {i} did not authenticate: {other:?}")),
            }
        }
        sockets.push(ws);
    }
    Ok(sockets)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp with milliseconds (the server's).
fn ts_ms(ts: &str) -> Option<f64> {
    // 2026-11-26T12:00:00.123Z
    let (date, time) = ts.split_once('T')?;
    let mut d = date.split('-').map(|v| v.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let mut t = time.split(':');
    let (h, min, s) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    // Days since 1970-01-01 (civil from days, Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400_000.0 + h * 3_600_000.0 + min * 60_000.0 + s * 1000.0)
}

pub async fn run(quick: bool, report: &mut Report) -> Result<(), String> {
    let (sockets_n, posts) = if quick {
        (100usize, 50usize)
    } else {
        (1_000, 500)
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server = ServerProcess::start(
        &dir.path().join("fanout.sqlite3"),
        &["--send-queue", "8192"],
    )
    .await?;
    let sockets = open_sockets(&server, sockets_n).await?;
    let martin = server.token("martin@demo.ppt").await?;

    let received = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    for mut ws in sockets {
        let (received, latencies) = (received.clone(), latencies.clone());
        readers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Ok(Some(Ok(msg))) =
                tokio::time::timeout(Duration::from_secs(5), ws.next()).await
            {
                if let Message::Text(t) = msg {
                    let at = now_ms();
                    if let Ok(env) = Envelope::from_json(&t) {
                        if let ServerEvent::Entity(..) = env.event {
                            if let Some(sent) = ts_ms(env.timestamp.as_str()) {
                                mine.push((at - sent).max(0.0));
                            }
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            latencies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(mine);
        }));
    }

    let cpu0 = server.cpu_seconds();
    let start = Instant::now();
    let http = reqwest::Client::new();
    let mut writers = Vec::new();
    for w in 0..8usize {
        let (http, url, token) = (http.clone(), server.api("/announcements"), martin.clone());
        writers.push(tokio::spawn(async move {
            for i in (w..posts).step_by(8) {
                let body =
                    serde_json::json!({ "title": format!("Bench {i}"), "body": "x".repeat(120) });
                let _ = http.post(&url).bearer_auth(&token).json(&body).send().await;
            }
        }));
    }
    for w in writers {
        let _ = w.await;
    }
    let expected = (posts * sockets_n) as u64;
    while received.load(Ordering::Relaxed) < expected && start.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    let got = received.load(Ordering::Relaxed);
    for r in readers {
        r.abort();
    }
    let mut lat = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    let rate = got as f64 / elapsed;
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    report.add(
        format!("fan-out: {sockets_n} sockets, {posts} building-wide events"),
        format!(
            "{:.0} deliveries/s, p50 {p50:.0} ms, p99 {p99:.0} ms, {:.2} µs server CPU per delivery ({got}/{expected} delivered)",
            rate,
            cpu * 1e6 / got.max(1) as f64
        ),
        "≥ 1,000,000/s with p99 ≤ 50 ms at 1,000 sockets",
        (!quick).then_some(rate >= 1_000_000.0 && p99 <= 50.0),
    );
    if got < expected {
        return Err(format!("only {got} of {expected} deliveries arrived"));
    }
    Ok(())
}

/// Server memory per idle authenticated socket.
pub async fn idle(quick: bool, report: &mut Report) -> Result<(), String> {
    let n = if quick { 200 } else { 10_000 };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server = ServerProcess::start(&dir.path().join("idle.sqlite3"), &[]).await?;
    // Warm up the allocator and the first connection paths before measuring.
    let warm = open_sockets(&server, 20).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_kib();
    let sockets = open_sockets(&server, n).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    report.add(
        format!("memory per idle socket ({n} authenticated)"),
        format!(
            "{:.1} KiB (server RSS {} → {} KiB)",
            per / 1024.0,
            before,
            after
        ),
        "≤ 8 KB",
        (!quick).then_some(per <= 8_000.0),
    );
    drop(sockets);
    drop(warm);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ts_ms;

    /// Timestamps convert to epoch milliseconds.
    #[test]
    fn timestamps() {
        assert_eq!(ts_ms("1970-01-01T00:00:00.000Z"), Some(0.0));
        assert_eq!(ts_ms("2000-03-01T00:00:01.500Z"), Some(951_868_801_500.0));
    }
}
