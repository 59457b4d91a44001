//! The reconnect storm: N clients (10,000; 100 with --quick) are connected and live, events
//! are being published, and the server restarts (SIGTERM: every socket closes with 1001).
//! Each client is the app's own logic, natively: the catch-up engine
//! (`ppt_realtime::catchup`) decides what to fetch from `/events/missed` and what to
//! apply, and the app's backoff (`ppt_realtime::backoff`) with its jitter decides when to
//! retry. Measured: time from the drop until each client is reconnected and caught up, the
//! spread of the first retries, and, per client, whether it applied every published event
//! exactly once and in order.
//!
//! [`Crowd`] and [`Producer`] serve the cluster's fail-over benchmark too (`cluster.rs`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use ppt_protocol::rest::MissedEvents;
use ppt_protocol::{Envelope, ServerEvent};
use ppt_realtime::backoff::BackoffConfig;
use ppt_realtime::catchup::{page_query, Catchup, CatchupCommand, Cursor};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::load::ServerProcess;
use crate::load::{connect_authenticated, resident_tokens};
use crate::report::percentile;
use crate::report::Report;

/// What one client saw.
#[derive(Default)]
struct Outcome {
    /// Ids of the benchmark events applied, in the order applied.
    applied: Vec<u64>,
    /// Milliseconds from the drop to the first retry.
    first_retry_ms: Option<f64>,
    /// Milliseconds from the drop until caught up on the new connection.
    recovered_ms: Option<f64>,
}

struct Shared {
    ws: String,
    api: String,
    http: reqwest::Client,
    /// Bounds the load generator's own concurrent HTTP requests (its file descriptors).
    fetches: Semaphore,
    dropped_at: Mutex<Option<Instant>>,
    live: AtomicU64,
    stop: AtomicBool,
    /// Tells waiting clients to stop (they also check `stop` between steps).
    stopped: tokio::sync::watch::Receiver<bool>,
    /// The last id published, once publishing is over (0 before).
    target: tokio::sync::watch::Receiver<u64>,
    /// Clients that have applied everything up to `target`.
    complete: AtomicU64,
}

fn ms_since(t: Option<Instant>) -> Option<f64> {
    t.map(|t| t.elapsed().as_secs_f64() * 1000.0)
}

/// A small random number generator for jitter (each client its own).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn client(shared: Arc<Shared>, token: String, seed: u64) -> Outcome {
    let backoff = BackoffConfig::default();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut sync = Catchup::new(Cursor::default());
    let mut out = Outcome::default();
    let mut attempt = 0u32;
    let mut was_live = false;
    let mut counted_live = false;
    let mut stopped = shared.stopped.clone();
    let mut target = shared.target.clone();
    let mut complete = false;
    while !shared.stop.load(Ordering::Relaxed) {
        let dropped = *shared.dropped_at.lock().unwrap_or_else(|e| e.into_inner());
        if dropped.is_some() && out.first_retry_ms.is_none() {
            out.first_retry_ms = ms_since(dropped);
        }
        let (mut ws, auth) = match connect_authenticated(&shared.ws, &token).await {
            Ok(v) => v,
            Err(_) => {
                let d = backoff.delay(attempt, rng.next());
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(d)).await;
                continue;
            }
        };
        let mut queue: Vec<CatchupCommand> = sync.authenticated(&auth);
        loop {
            while let Some(command) = (!queue.is_empty()).then(|| queue.remove(0)) {
                match command {
                    CatchupCommand::Apply { envelope, .. } => {
                        if let (Some(id), ServerEvent::Entity(..)) = (envelope.id, &envelope.event)
                        {
                            out.applied.push(id);
                        }
                    }
                    CatchupCommand::Fetch(request) | CatchupCommand::Poll(request) => {
                        match fetch(&shared, &token, &page_query(&request, 500)).await {
                            Some(page) => queue.extend(sync.page(page)),
                            None => queue.extend(sync.page_failed()),
                        }
                    }
                    CatchupCommand::CaughtUp { .. } => {
                        if was_live && out.recovered_ms.is_none() {
                            out.recovered_ms = ms_since(
                                *shared.dropped_at.lock().unwrap_or_else(|e| e.into_inner()),
                            );
                        }
                        was_live = true;
                        if !counted_live {
                            counted_live = true;
                            shared.live.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    CatchupCommand::ResetAll
                    | CatchupCommand::GapFilled { .. }
                    | CatchupCommand::Save(_) => {}
                }
            }
            if shared.stop.load(Ordering::Relaxed) {
                return out;
            }
            let wanted = *target.borrow();
            if !complete && wanted > 0 && out.applied.last().is_some_and(|l| *l >= wanted) {
                complete = true;
                shared.complete.fetch_add(1, Ordering::Relaxed);
            }
            let frame = tokio::select! {
                f = ws.next() => f,
                _ = stopped.changed() => return out,
                _ = target.changed() => continue,
            };
            match frame {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(env) = Envelope::from_json(&t) {
                        match env.event {
                            ServerEvent::Authenticated(ref a) => {
                                queue.extend(sync.authenticated(a))
                            }
                            ServerEvent::Pong | ServerEvent::ConnectionError(_) => {}
                            _ => queue.extend(sync.live(env)),
                        }
                    }
                }
                // Answer the close as a browser does, so the server can finish at once.
                Some(Ok(Message::Close(_))) => {
                    let _ = ws.close(None).await;
                    break;
                }
                Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
        let d = backoff.delay(0, rng.next());
        attempt = 1;
        tokio::time::sleep(Duration::from_millis(d)).await;
    }
    out
}

async fn fetch(shared: &Shared, token: &str, query: &str) -> Option<MissedEvents> {
    let _permit = shared.fetches.acquire().await.ok()?;
    shared
        .http
        .get(format!("{}/events/missed?{query}", shared.api))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// N clients, live, each the app's own catch-up engine and backoff.
pub struct Crowd {
    shared: Arc<Shared>,
    clients: Vec<tokio::task::JoinHandle<Outcome>>,
    stop_tx: tokio::sync::watch::Sender<bool>,
    target_tx: tokio::sync::watch::Sender<u64>,
    n: usize,
}

/// How a crowd came through a drop.
pub struct Verdict {
    pub published: usize,
    pub lost: u64,
    pub duplicated: u64,
    pub disordered: u64,
    pub unrecovered: u64,
    /// Milliseconds from the drop until each client was caught up again, sorted.
    pub recovered: Vec<f64>,
    /// Milliseconds from the drop to each client's first retry, sorted.
    pub first_retries: Vec<f64>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.disordered == 0 && self.unrecovered == 0
    }

    /// When the last client was back and caught up, in ms after the drop.
    pub fn all_within_ms(&self) -> f64 {
        self.recovered.last().copied().unwrap_or(0.0)
    }

    pub fn describe(&self) -> String {
        format!(
            "all reconnected and caught up {:.1} s after the drop (p50 {:.1} s); {} events published, \
             lost {}, duplicated {}, out of order {}, not recovered {}; \
             first retries spread {:.2}–{:.2} s (p50 {:.2} s)",
            self.all_within_ms() / 1000.0,
            percentile(&self.recovered, 0.5) / 1000.0,
            self.published,
            self.lost,
            self.duplicated,
            self.disordered,
            self.unrecovered,
            self.first_retries.first().copied().unwrap_or(0.0) / 1000.0,
            self.first_retries.last().copied().unwrap_or(0.0) / 1000.0,
            percentile(&self.first_retries, 0.5) / 1000.0,
        )
    }
}

impl Crowd {
    /// Starts `n` clients on `ws` (`api`: the `/api/v1` base they catch up from), the
    /// residents' tokens in turn, and waits until all are live.
    pub async fn start(
        ws: String,
        api: String,
        tokens: &[String],
        n: usize,
    ) -> Result<Crowd, String> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let (target_tx, target_rx) = tokio::sync::watch::channel(0u64);
        let shared = Arc::new(Shared {
            ws,
            api,
            http: reqwest::Client::new(),
            fetches: Semaphore::new(256),
            dropped_at: Mutex::new(None),
            live: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            stopped: stop_rx,
            target: target_rx,
            complete: AtomicU64::new(0),
        });
        let clients: Vec<_> = (0..n)
            .map(|i| {
                tokio::spawn(client(
                    shared.clone(),
                    tokens[i % tokens.len()].clone(),
                    i as u64 + 1,
                ))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        while shared.live.load(Ordering::Relaxed) < n as u64 {
            if Instant::now() > deadline {
                return Err(format!(
                    "only {} of {n} clients went live",
                    shared.live.load(Ordering::Relaxed)
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Crowd {
            shared,
            clients,
            stop_tx,
            target_tx,
            n,
        })
    }

    /// Marks now as the moment of the drop.
    pub fn drop_now(&self) {
        *self
            .shared
            .dropped_at
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// Waits until every client has applied everything `published` (a minute at most), stops
    /// them and judges: each must have applied every published id once, in order.
    pub async fn finish(self, published: Vec<u64>) -> Result<Verdict, String> {
        let last = published.last().copied().unwrap_or(0);
        let _ = self.target_tx.send(last);
        let settle = Instant::now() + Duration::from_secs(60);
        while self.shared.complete.load(Ordering::Relaxed) < self.n as u64
            && Instant::now() < settle
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = self.stop_tx.send(true);
        let mut outcomes = Vec::new();
        for c in self.clients {
            outcomes.push(c.await.map_err(|e| e.to_string())?);
        }
        let mut v = Verdict {
            published: published.len(),
            lost: 0,
            duplicated: 0,
            disordered: 0,
            unrecovered: 0,
            recovered: Vec::new(),
            first_retries: Vec::new(),
        };
        for o in &outcomes {
            let mut seen = std::collections::HashSet::new();
            v.disordered += o.applied.windows(2).filter(|w| w[1] <= w[0]).count() as u64;
            for id in &o.applied {
                if !seen.insert(*id) {
                    v.duplicated += 1;
                }
            }
            v.lost += published.iter().filter(|id| !seen.contains(id)).count() as u64;
            match o.recovered_ms {
                Some(ms) => v.recovered.push(ms),
                None => v.unrecovered += 1,
            }
            v.first_retries.extend(o.first_retry_ms);
        }
        v.recovered.sort_by(|a, b| a.total_cmp(b));
        v.first_retries.sort_by(|a, b| a.total_cmp(b));
        Ok(v)
    }
}

/// Publishes building-wide events at 100/s through a `/bench/publish` URL until stopped,
/// retrying while the server is away; remembers every id it was answered.
pub struct Producer {
    publishing: Arc<AtomicBool>,
    ids: Arc<Mutex<Vec<(u64, u64)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Producer {
    pub fn start(publish_url: String, token: String) -> Producer {
        let publishing = Arc::new(AtomicBool::new(true));
        let ids = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
        let task = {
            let (publishing, ids) = (publishing.clone(), ids.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while publishing.load(Ordering::Relaxed) {
                    let r = http
                        .post(&publish_url)
                        .bearer_auth(&token)
                        .json(&json!({ "kind": "entity", "count": 10, "perSec": 100 }))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => {
                            if let Ok(v) = r.json::<serde_json::Value>().await {
                                let first = v["firstId"].as_u64().unwrap_or(0);
                                let last = v["lastId"].as_u64().unwrap_or(0);
                                ids.lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push((first, last));
                            }
                        }
                        _ => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            })
        };
        Producer {
            publishing,
            ids,
            task,
        }
    }

    /// Stops after the request under way; returns every id published, in order.
    pub async fn stop(self) -> Vec<u64> {
        self.publishing.store(false, Ordering::Relaxed);
        let _ = self.task.await;
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|(a, b)| *a..=*b)
            .collect()
    }
}

pub async fn run(quick: bool, report: &mut Report) -> Result<(), String> {
    let n = if quick { 100 } else { 10_000 };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut server =
        ServerProcess::start(&dir.path().join("storm.sqlite3").display().to_string(), &[]).await?;
    let tokens = resident_tokens(&server).await?;
    let martin = server.token("martin@demo.ppt").await?;
    let crowd = Crowd::start(server.ws(), server.api(""), &tokens, n).await?;

    // Events before, across and after the restart (the producer retries while it is down).
    let producer = Producer::start(server.api("/bench/publish"), martin);
    tokio::time::sleep(Duration::from_secs(2)).await;
    crowd.drop_now();
    server.restart().await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let published = producer.stop().await;
    let v = crowd.finish(published).await?;
    report.add(
        format!("reconnect storm: {n} clients, server restart, events published throughout"),
        v.describe(),
        "all within 10 s, nothing lost or duplicated, retries spread by jitter",
        (!quick).then_some(v.ok() && v.all_within_ms() <= 10_000.0),
    );
    report.limit(
        "reconnects and catch-up of 10,000 clients on the same 2 cores as their server: the \
         handshakes, authentications and /events/missed pages queue",
    );
    if !v.ok() {
        return Err(format!("reconnect storm: {}", v.describe()));
    }
    Ok(())
}
