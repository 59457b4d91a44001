//! `/events/missed`: pages of 500 on a large log (1,000,000 events; 20,000 with --quick),
//! through real HTTP to the server process.

use std::time::Instant;

use rusqlite::params;

use crate::report::Report;
use crate::server::{percentile, ServerProcess};

pub async fn run(quick: bool, report: &mut Report) -> Result<(), String> {
    let (events, requests) = if quick {
        (20_000u64, 100)
    } else {
        (1_000_000u64, 2_000)
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("missed.sqlite3");
    {
        let mut opened = ppt_server::db::open(&db).map_err(|e| e.to_string())?;
        let tx = opened.conn.transaction().map_err(|e| e.to_string())?;
        {
            let mut stmt = tx
                .prepare("INSERT INTO events (type, payload, ts, building_id) VALUES ('entity:updated', ?1, ?2, 1)")
                .map_err(|e| e.to_string())?;
            for i in 0..events {
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
                stmt.execute(params![payload, ts])
                    .map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())?;
    }
    let server = ServerProcess::start(&db, &[]).await?;
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
