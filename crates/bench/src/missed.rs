//! `/events/missed`: pages of 500 on a large log (1,000,000 events; 20,000 with --quick),
//! through real HTTP to the server process.

use std::time::Instant;

use ppt_server::db::{self, PoolSettings};

use crate::load::ServerProcess;
use crate::report::percentile;
use crate::report::Report;

pub async fn run(quick: bool, report: &mut Report) -> Result<(), String> {
    let (events, requests) = if quick {
        (20_000u64, 100)
    } else {
        (1_000_000u64, 2_000)
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("missed.sqlite3");
    fill_log(&db, events).await.map_err(|e| e.to_string())?;
    let server = ServerProcess::start(&db.display().to_string(), &[]).await?;
    let token = server.token("alice@demo.ppt").await?;
    let http = reqwest::Client::new();
    let mut seed = 42u64;
    let mut lat = Vec::with_capacity(requests);
    for _ in 0..requests {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let after = (seed >> 20) % (events - 500);
        let t = Instant::now();
        let r = http
            .get(server.api(&format!("/events/missed?after={after}&limit=500")))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body = r.bytes().await.map_err(|e| e.to_string())?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if body.len() < 1000 {
            return Err("a page came back too small".into());
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    report.add(
        format!("missed events: pages of 500 on a log of {events}"),
        format!("p50 {p50:.2} ms, p99 {p99:.2} ms ({requests} requests)"),
        "p99 ≤ 10 ms on 1,000,000",
        (!quick).then_some(p99 <= 10.0),
    );
    Ok(())
}

/// Writes `events` building-wide events straight into a new database's log, a thousand rows
/// a statement, and moves the log's head past them.
async fn fill_log(path: &std::path::Path, events: u64) -> Result<(), Box<dyn std::error::Error>> {
    let opened = db::open(&path.display().to_string(), PoolSettings::default(), true).await?;
    let mut tx = opened.db.pool.begin().await?;
    const ROWS: u64 = 1000;
    let mut first = 0;
    while first < events {
        let n = ROWS.min(events - first);
        let mut sql =
            String::from("INSERT INTO events (id, type, payload, ts, building_id) VALUES ");
        for j in 0..n {
            if j > 0 {
                sql.push_str(", ");
            }
            let b = j * 3;
            sql.push_str(&format!(
                "(${}, 'entity:updated', ${}, ${}, 1)",
                b + 1,
                b + 2,
                b + 3
            ));
        }
        let mut q = sqlx::query(&sql);
        for i in first..first + n {
            let payload = format!(
                r#"{{"entity":"fault","id":"{}","version":{}}}"#,
                i % 50 + 1,
                i + 2
            );
            let ts = format!(
                "2026-11-26T12:{:02}:{:02}.{:03}Z",
                (i / 60_000) % 60,
                (i / 1000) % 60,
                i % 1000
            );
            q = q.bind(i as i64 + 1).bind(payload).bind(ts);
        }
        q.execute(&mut *tx).await?;
        first += n;
    }
    sqlx::query("UPDATE log_head SET last_id = $1 WHERE id = 1")
        .bind(events as i64)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    opened.db.pool.close().await;
    Ok(())
}
