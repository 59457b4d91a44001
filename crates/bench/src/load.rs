//! The load generator's parts: authenticated sockets opened in parallel, readers that count
//! benchmark frames, and a latency histogram they all record into.
//!
//! Latency is measured against the microseconds the server wrote into each transaction's
//! `requestId` (`bench-<µs>-…`, see the server's `routes/bench.rs`): same machine, same clock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{FutureExt, SinkExt, StreamExt, TryStreamExt};
use ppt_protocol::envelope::Authenticated;
use ppt_protocol::{ClientFrame, Envelope, ServerEvent};
use tokio_tungstenite::tungstenite::Message;

pub use ppt_cluster::server::{cpu_seconds, free_port, rss_kib, ServerProcess};

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The demo residents whose tokens the sockets use (all in building 1).
pub const RESIDENTS: [&str; 3] = ["alice@demo.ppt", "bob@demo.ppt", "carol@demo.ppt"];

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The send time a benchmark frame carries in its `requestId`.
pub fn sent_us(frame: &str) -> Option<u64> {
    let at = frame.find("\"requestId\":\"bench-")? + "\"requestId\":\"bench-".len();
    let digits = &frame[at..];
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    digits[..end].parse().ok()
}

/// Opens one socket and waits for `connection:authenticated`.
pub async fn connect(url: &str, token: &str) -> Result<Ws, String> {
    connect_authenticated(url, token).await.map(|(ws, _)| ws)
}

/// Opens one socket, authenticates, and returns it with what `connection:authenticated` said.
pub async fn connect_authenticated(url: &str, token: &str) -> Result<(Ws, Authenticated), String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    ws.send(Message::Text(
        ClientFrame::auth(token.to_owned(), None).to_json().into(),
    ))
    .await
    .map_err(|e| e.to_string())?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(Envelope {
                    event: ServerEvent::Authenticated(auth),
                    ..
                }) = Envelope::from_json(&t)
                {
                    return Ok((ws, auth));
                }
            }
            Some(Ok(_)) => {}
            other => return Err(format!("did not authenticate: {other:?}")),
        }
    }
}

/// Opens `n` authenticated sockets, 64 handshakes at a time, spread over the residents.
pub async fn open_sockets(server: &ServerProcess, n: usize) -> Result<Vec<Ws>, String> {
    let tokens = resident_tokens(server).await?;
    open_sockets_as(server, &tokens, n).await
}

/// A token for each of [`RESIDENTS`] (each a login: an argon2 hash, 19 MiB of memory for a
/// moment in the server, so memory is measured only after them).
pub async fn resident_tokens(server: &ServerProcess) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    for u in RESIDENTS {
        tokens.push(server.token(u).await?);
    }
    Ok(tokens)
}

/// Opens `n` authenticated sockets with these tokens, in turn.
pub async fn open_sockets_as(
    server: &ServerProcess,
    tokens: &[String],
    n: usize,
) -> Result<Vec<Ws>, String> {
    open_sockets_at(&server.ws(), tokens, n).await
}

/// Opens `n` authenticated sockets at a `ws://` URL with these tokens, in turn.
pub async fn open_sockets_at(url: &str, tokens: &[String], n: usize) -> Result<Vec<Ws>, String> {
    let url = url.to_owned();
    futures::stream::iter(0..n)
        .map(|i| {
            let (url, token) = (url.clone(), tokens[i % tokens.len()].clone());
            async move { connect(&url, &token).await }
        })
        .buffer_unordered(64)
        .try_collect()
        .await
}

/// Latencies in 10 µs buckets up to one second (the last bucket holds everything later).
pub struct Histogram {
    buckets: Vec<AtomicU64>,
}

const BUCKET_US: u64 = 10;
const BUCKETS: usize = 100_000;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..=BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Histogram {
    pub fn record_us(&self, us: u64) {
        let i = ((us / BUCKET_US) as usize).min(BUCKETS);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far, and a fresh start.
    pub fn take(&self) -> Latencies {
        Latencies {
            counts: self
                .buckets
                .iter()
                .map(|b| b.swap(0, Ordering::Relaxed))
                .collect(),
        }
    }
}

/// A snapshot of a [`Histogram`].
#[derive(Clone, Default)]
pub struct Latencies {
    counts: Vec<u64>,
}

impl Latencies {
    /// From single latencies in milliseconds (the browser's measurements).
    pub fn from_ms(values: &[f64]) -> Self {
        let h = Histogram::default();
        for v in values {
            h.record_us((v.max(0.0) * 1000.0) as u64);
        }
        h.take()
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The latency below which `p` of the samples fall, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let want = ((total as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return ((i as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        (BUCKETS as u64 * BUCKET_US) as f64 / 1000.0
    }

    /// Counts per bucket with the bucket's upper bound in milliseconds (non-empty ones).
    pub fn buckets_ms(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (((i as u64 + 1) * BUCKET_US) as f64 / 1000.0, *c))
    }
}

/// What the readers share.
#[derive(Default)]
pub struct Readers {
    pub received: AtomicU64,
    pub latency: Histogram,
    pub closed: AtomicU64,
    stop: AtomicBool,
}

impl Readers {
    /// Reads every socket on its own task: counts benchmark frames and records their latency.
    /// A task keeps its figures to itself while frames are ready and hands them over before
    /// it waits, so the readers do not contend on shared counters frame by frame.
    pub fn spawn(self: &Arc<Self>, sockets: Vec<Ws>) -> Vec<tokio::task::JoinHandle<()>> {
        sockets
            .into_iter()
            .map(|mut ws| {
                let me = self.clone();
                tokio::spawn(async move {
                    let mut mine: Vec<u64> = Vec::new();
                    loop {
                        let msg = match ws.next().now_or_never() {
                            Some(msg) => msg,
                            None => {
                                me.hand_over(&mut mine);
                                ws.next().await
                            }
                        };
                        match msg {
                            Some(Ok(Message::Text(t))) => {
                                if let Some(sent) = sent_us(&t) {
                                    mine.push(now_us().saturating_sub(sent));
                                } else if t.as_str() == "2" {
                                    // An Engine.IO ping (the Socket.IO comparison): answer it.
                                    let _ = ws.send(Message::Text("3".into())).await;
                                }
                            }
                            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                            Some(Ok(_)) => {}
                        }
                        if me.stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    me.hand_over(&mut mine);
                    me.closed.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect()
    }

    fn hand_over(&self, mine: &mut Vec<u64>) {
        if mine.is_empty() {
            return;
        }
        self.received
            .fetch_add(mine.len() as u64, Ordering::Relaxed);
        for us in mine.drain(..) {
            self.latency.record_us(us);
        }
    }

    /// Waits until `want` frames arrived or nothing arrived for `quiet`.
    pub async fn wait_for(&self, want: u64, quiet: Duration) -> u64 {
        let mut last = self.received.load(Ordering::Relaxed);
        let mut still = std::time::Instant::now();
        loop {
            let now = self.received.load(Ordering::Relaxed);
            if now >= want {
                return now;
            }
            if now != last {
                last = now;
                still = std::time::Instant::now();
            } else if still.elapsed() > quiet {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The send time is read from a benchmark frame's requestId, and nothing else.
    #[test]
    fn sent_time_from_request_id() {
        let f =
            r#"{"type":"entity:updated","payload":{},"requestId":"bench-1764172800123456-xxxx"}"#;
        assert_eq!(sent_us(f), Some(1_764_172_800_123_456));
        assert_eq!(sent_us(r#"{"requestId":"abc"}"#), None);
    }

    /// Percentiles come from the buckets' upper bounds.
    #[test]
    fn percentiles() {
        let l = Latencies::from_ms(&[0.005, 1.0, 2.0, 3.0, 100.0]);
        assert_eq!(l.total(), 5);
        assert_eq!(l.percentile_ms(0.5), 2.01);
        assert_eq!(l.percentile_ms(1.0), 100.01);
    }
}
