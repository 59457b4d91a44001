//! Scale-out: `ppt-server` on PostgreSQL, several nodes on one database, measured side by side
//! with the SQLite node in the same run (every node is the release binary in its own
//! process; PostgreSQL is the one at `PPT_TEST_PG`, a fresh database per measurement).
//!
//! - `appends`: events appended per second, one event per transaction, 16 writers at once:
//!   the SQLite node, one PostgreSQL node, three PostgreSQL nodes.
//! - `latency`: sockets on node B, events published through node A at 500/s: publish to
//!   socket, on the server's clock; beside it the same on one node (SQLite and PostgreSQL).
//! - `spread`: the same sockets and rate on one node, then spread over three: server CPU per
//!   delivery, all nodes together.
//! - `failover`: 3,000 clients (the app's own catch-up engine and backoff) on one node of
//!   three behind HAProxy; that node is killed (SIGKILL) while events are published: time
//!   until every client is caught up on the others, and every event applied once, in order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ppt_cluster::balancer::Balancer;
use ppt_cluster::server::{free_port, ServerProcess};
use ppt_server::db::scratch::{test_pg_url, ScratchDb};
use serde_json::json;

use crate::fanout::{step, Step};
use crate::load::{open_sockets_at, resident_tokens, Readers};
use crate::report::Report;
use crate::storm::{Crowd, Producer};

/// Sizes of one run.
struct Sizes {
    append_secs: f64,
    latency_sockets: usize,
    latency_secs: f64,
    spread_sockets: usize,
    spread_rate: u32,
    spread_secs: f64,
    failover_clients: usize,
}

impl Sizes {
    fn is_quick(&self) -> bool {
        self.failover_clients < 1_000
    }

    fn new(quick: bool) -> Self {
        if quick {
            Sizes {
                append_secs: 1.0,
                latency_sockets: 20,
                latency_secs: 1.0,
                spread_sockets: 60,
                spread_rate: 50,
                spread_secs: 1.0,
                failover_clients: 60,
            }
        } else {
            Sizes {
                append_secs: 5.0,
                latency_sockets: 100,
                latency_secs: 5.0,
                spread_sockets: 1_000,
                spread_rate: 200,
                spread_secs: 5.0,
                failover_clients: 3_000,
            }
        }
    }
}

async fn scratch() -> Result<ScratchDb, String> {
    ScratchDb::create(&test_pg_url()).await.map_err(|e| {
        format!("PostgreSQL at PPT_TEST_PG is needed (scripts/bench.sh starts one): {e}")
    })
}

async fn nodes(db: &str, n: usize) -> Result<Vec<ServerProcess>, String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(ServerProcess::start(db, &["--send-queue", "16384"]).await?);
    }
    Ok(out)
}

fn pids(nodes: &[ServerProcess]) -> String {
    nodes.iter().map(|n| n.pid()).collect::<Vec<_>>().join(",")
}

pub async fn run(quick: bool, report: &mut Report) -> Result<(), String> {
    let sizes = Sizes::new(quick);
    appends(&sizes, report).await?;
    latency(&sizes, report).await?;
    spread(&sizes, report).await?;
    failover(&sizes, report).await
}

/// What each write is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// One event in its own transaction (`/bench/publish`, count 1): the log at its busiest.
    OneEvent,
    /// A resident's message (`POST /messages`): its row and its two events, as the product
    /// writes them.
    Message,
}

/// Events appended per second by [`WRITERS`] writers at once, through `nodes` in turn.
async fn append_rate(nodes: &[ServerProcess], secs: f64, write: Write) -> Result<f64, String> {
    let (token, path, body, events) = match write {
        Write::OneEvent => (
            nodes[0].token("martin@demo.ppt").await?,
            "/bench/publish",
            json!({ "kind": "entity", "count": 1 }),
            1,
        ),
        Write::Message => (
            nodes[0].token("bob@demo.ppt").await?,
            "/messages",
            json!({ "toUserId": "1", "body": "appended" }),
            2,
        ),
    };
    let urls: Vec<String> = nodes.iter().map(|n| n.api(path)).collect();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, token, done, stop, failed, body) = (
                urls[w % urls.len()].clone(),
                token.clone(),
                done.clone(),
                stop.clone(),
                failed.clone(),
                body.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let r = http.post(&url).bearer_auth(&token).json(&body).send().await;
                    match r {
                        Ok(r) if r.status().is_success() => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(format!(
            "appends: {} writes failed",
            failed.load(Ordering::Relaxed)
        ));
    }
    Ok((done.load(Ordering::Relaxed) * events) as f64 / elapsed)
}

/// Writers at once in the append benchmark.
const WRITERS: usize = 8;

async fn appends(sizes: &Sizes, report: &mut Report) -> Result<(), String> {
    let secs = sizes.append_secs;
    let mut figures = Vec::new();
    for write in [Write::OneEvent, Write::Message] {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let sqlite = nodes(&dir.path().join("appends.sqlite3").display().to_string(), 1).await?;
        let on_sqlite = append_rate(&sqlite, secs, write).await?;
        drop(sqlite);
        let db = scratch().await?;
        let one = nodes(&db.url, 1).await?;
        let on_one = append_rate(&one, secs, write).await?;
        drop(one);
        let db3 = scratch().await?;
        let three = nodes(&db3.url, 3).await?;
        let on_three = append_rate(&three, secs, write).await?;
        figures.push((on_sqlite, on_one, on_three));
    }
    let [(s1, p1, t1), (s2, p2, t2)] = figures[..] else {
        unreachable!()
    };
    println!("appends/s: one event per transaction: sqlite {s1:.0}, postgres {p1:.0}, 3 nodes {t1:.0}; messages: sqlite {s2:.0}, postgres {p2:.0}, 3 nodes {t2:.0}");
    report.add(
        format!("events appended per second, {WRITERS} writers"),
        format!(
            "messages (2 events each): PostgreSQL {p2:.0}/s on one node, {t2:.0}/s through three, SQLite node {s2:.0}/s; \
             one event per transaction: PostgreSQL {p1:.0}/s, {t1:.0}/s through three, SQLite {s1:.0}/s"
        ),
        "≥ 2,000/s through PostgreSQL",
        (!sizes.is_quick()).then_some(p2.max(t2) >= 2000.0),
    );
    report.limit(
        "each append holds the log's counter row from taking its ids to its commit's flush, so \
         appends through one database are one after another: PostgreSQL alone (pgbench, the \
         same statement) does 1,000 such transactions/s from one client and at most ~1,900/s \
         from two on this machine; the writers' HTTP, the servers and PostgreSQL share 2 cores",
    );
    Ok(())
}

/// Sockets on `on`, events published through `through` at 500/s.
async fn latency_step(
    on: &ServerProcess,
    through: &ServerProcess,
    all: &[&ServerProcess],
    sockets: usize,
    secs: f64,
) -> Result<Step, String> {
    let tokens = resident_tokens(on).await?;
    let opened = open_sockets_at(&on.ws(), &tokens, sockets).await?;
    let readers = Arc::new(Readers::default());
    let tasks = readers.spawn(opened);
    let martin = through.token("martin@demo.ppt").await?;
    let pids = all.iter().map(|n| n.pid()).collect::<Vec<_>>().join(",");
    let s = step(&readers, sockets, 500, secs, &pids, |count, rate| {
        through.publish_entities(&martin, count, rate)
    })
    .await;
    for t in tasks {
        t.abort();
    }
    s
}

async fn latency(sizes: &Sizes, report: &mut Report) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sqlite = nodes(&dir.path().join("latency.sqlite3").display().to_string(), 1).await?;
    let local_sqlite = latency_step(
        &sqlite[0],
        &sqlite[0],
        &[&sqlite[0]],
        sizes.latency_sockets,
        sizes.latency_secs,
    )
    .await?;
    drop(sqlite);
    let db = scratch().await?;
    let two = nodes(&db.url, 2).await?;
    let all = [&two[0], &two[1]];
    let local_pg = latency_step(
        &two[0],
        &two[0],
        &all,
        sizes.latency_sockets,
        sizes.latency_secs,
    )
    .await?;
    let cross = latency_step(
        &two[1],
        &two[0],
        &all,
        sizes.latency_sockets,
        sizes.latency_secs,
    )
    .await?;
    let p99 = cross.latency.percentile_ms(0.99);
    report.add(
        format!(
            "cross-node publish to socket at 500 events/s ({} sockets on node B, published through A)",
            sizes.latency_sockets
        ),
        format!(
            "p50 {:.2} ms, p99 {p99:.2} ms; same node on PostgreSQL: p50 {:.2} ms, p99 {:.2} ms; SQLite node: p50 {:.2} ms, p99 {:.2} ms; {} of {} delivered",
            cross.latency.percentile_ms(0.5),
            local_pg.latency.percentile_ms(0.5),
            local_pg.latency.percentile_ms(0.99),
            local_sqlite.latency.percentile_ms(0.5),
            local_sqlite.latency.percentile_ms(0.99),
            cross.delivered,
            cross.expected,
        ),
        "p99 ≤ 50 ms",
        (!sizes.is_quick()).then_some(p99 <= 50.0 && cross.delivered == cross.expected),
    );
    report.limit(
        "a commit on A reaches B's sockets after PostgreSQL's notification and B's read of the \
         log; both servers, PostgreSQL and the load share 2 cores",
    );
    report.remember("cross-node, 500 events/s", cross.latency.clone());
    if cross.delivered != cross.expected {
        return Err(format!(
            "cross-node: {} of {} delivered",
            cross.delivered, cross.expected
        ));
    }
    Ok(())
}

/// `sockets` spread over `on` in turn, events at `rate` through `on[0]`.
async fn spread_step(
    on: &[ServerProcess],
    sockets: usize,
    rate: u32,
    secs: f64,
) -> Result<Step, String> {
    let tokens = resident_tokens(&on[0]).await?;
    let mut opened = Vec::new();
    for (i, node) in on.iter().enumerate() {
        let share = sockets / on.len() + usize::from(i < sockets % on.len());
        opened.extend(open_sockets_at(&node.ws(), &tokens, share).await?);
    }
    let readers = Arc::new(Readers::default());
    let tasks = readers.spawn(opened);
    let martin = on[0].token("martin@demo.ppt").await?;
    let s = step(&readers, sockets, rate, secs, &pids(on), |count, rate| {
        on[0].publish_entities(&martin, count, rate)
    })
    .await;
    for t in tasks {
        t.abort();
    }
    s
}

async fn spread(sizes: &Sizes, report: &mut Report) -> Result<(), String> {
    let (n, rate, secs) = (sizes.spread_sockets, sizes.spread_rate, sizes.spread_secs);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sqlite = nodes(&dir.path().join("spread.sqlite3").display().to_string(), 1).await?;
    let on_sqlite = spread_step(&sqlite, n, rate, secs).await?;
    drop(sqlite);
    let db = scratch().await?;
    let one = nodes(&db.url, 1).await?;
    let on_one = spread_step(&one, n, rate, secs).await?;
    drop(one);
    let db3 = scratch().await?;
    let three = nodes(&db3.url, 3).await?;
    let on_three = spread_step(&three, n, rate, secs).await?;
    let ratio =
        on_three.server_cpu_us_per_delivery / on_one.server_cpu_us_per_delivery.max(f64::EPSILON);
    report.add(
        format!("deliveries with {n} sockets spread over 3 nodes, {rate} events/s"),
        format!(
            "{:.2} µs server CPU per delivery over 3 nodes, {:.2} µs on one PostgreSQL node ({ratio:.2}×), {:.2} µs on the SQLite node; 3 nodes: {}",
            on_three.server_cpu_us_per_delivery,
            on_one.server_cpu_us_per_delivery,
            on_sqlite.server_cpu_us_per_delivery,
            on_three.describe()
        ),
        "≤ 1.3× one node's CPU per delivery",
        (!sizes.is_quick()).then_some(ratio <= 1.3 && on_three.delivered == on_three.expected),
    );
    report.limit(
        "every node reads each event from the log once and serialises it once, however few of \
         the building's sockets it holds; with three nodes on two cores they also take turns",
    );
    if on_three.delivered != on_three.expected {
        return Err(format!(
            "spread: {} of {} delivered",
            on_three.delivered, on_three.expected
        ));
    }
    Ok(())
}

async fn failover(sizes: &Sizes, report: &mut Report) -> Result<(), String> {
    let n = sizes.failover_clients;
    let db = scratch().await?;
    let mut first = ServerProcess::start(&db.url, &[]).await?;
    let others: Vec<String> = (0..2)
        .map(|_| free_port().map(|p| format!("127.0.0.1:{p}")))
        .collect::<Result<_, _>>()?;
    let balancer = Balancer::start(&[first.addr.clone(), others[0].clone(), others[1].clone()])?;
    balancer.wait_for("n1", "UP").await?;
    // Everyone connects while n1 is the only node up: all of them are n1's.
    let tokens = resident_tokens(&first).await?;
    let ws = format!("ws://127.0.0.1:{}/ws", balancer.port);
    let api = format!("{}/api/v1", balancer.base());
    let crowd = Crowd::start(ws, api, &tokens, n).await?;
    let mut rest = Vec::new();
    for addr in &others {
        rest.push(ServerProcess::start_at(addr, &db.url, None, &[]).await?);
    }
    balancer.wait_all_up(3).await?;
    let martin = rest[0].token("martin@demo.ppt").await?;
    let producer = Producer::start(rest[0].api("/bench/publish"), martin);
    tokio::time::sleep(Duration::from_secs(2)).await;
    crowd.drop_now();
    first.kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let published = producer.stop().await;
    let v = crowd.finish(published).await?;
    report.add(
        format!(
            "a node killed under {n} clients (3 nodes behind HAProxy, events published throughout)"
        ),
        v.describe(),
        "all caught up on other nodes within 10 s; 0 lost, 0 doubled",
        (!sizes.is_quick()).then_some(v.ok() && v.all_within_ms() <= 10_000.0),
    );
    report.limit(
        "the killed node's clients reconnect and catch up at once on the two others, which \
         share 2 cores with PostgreSQL, HAProxy and the clients",
    );
    if !v.ok() {
        return Err(format!("fail-over: {}", v.describe()));
    }
    Ok(())
}
