//! Faults: PostgreSQL restarted under load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ppt_protocol::ServerEvent;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::fanout::{check_stream, missed_ids, read_until};
use crate::helpers::*;
use crate::pg::PrivatePg;

/// Waits (on the server's own answers, polled) until `/healthz` answers `want`.
async fn health_becomes(app: &TestApp, want: StatusCode) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    loop {
        let r = app
            .http
            .get(format!("http://{}/healthz", app.addr))
            .send()
            .await
            .unwrap();
        if r.status() == want {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz never answered {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Messages are sent without pause while PostgreSQL stops and starts again. While it is
/// away, writes answer 503 with the error body and `/healthz` 503; the resident's socket stays
/// open; afterwards the server resumes by itself. Every message that was answered 201 reaches
/// the socket exactly once and in order, every message that reached it is whole (both its
/// events), and the socket's stream is the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load() {
    let pg = PrivatePg::start();
    let app = spawn_node(&pg.url, |c| {
        c.db_timeout_ms = 300;
        c.log_poll_ms = 100;
    })
    .await;
    health_becomes(&app, StatusCode::OK).await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let mut socket = app.socket(&alice).await;

    let app = Arc::new(app);
    let created = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let unavailable_body = Arc::new(Mutex::new(None::<(Option<String>, Value)>));
    let stop = Arc::new(tokio::sync::Notify::new());
    let writer = {
        let (app, created, refused, body, stop) = (
            app.clone(),
            created.clone(),
            refused.clone(),
            unavailable_body.clone(),
            stop.clone(),
        );
        let bob = bob.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let text = format!("m{i}");
                let send = app.post("/messages", &bob, json!({ "toUserId": "1", "body": text }));
                let r = tokio::select! {
                    _ = stop.notified() => return,
                    r = send => r,
                };
                match r.status() {
                    StatusCode::CREATED => created.lock().unwrap().push(text),
                    StatusCode::SERVICE_UNAVAILABLE => {
                        let retry = r
                            .headers()
                            .get("retry-after")
                            .map(|v| v.to_str().unwrap().to_owned());
                        *body.lock().unwrap() = Some((retry, r.json().await.unwrap()));
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                    other => panic!("unexpected {other}"),
                }
            }
        })
    };
    let created_count = || created.lock().unwrap().len();
    while created_count() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    pg.down();
    let r = health_becomes(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    let health: Value = r.json().await.unwrap();
    assert_eq!(health["error"]["code"], "unavailable");
    while refused.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (retry, body) = unavailable_body.lock().unwrap().clone().unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    let before_restart = created_count();

    pg.up();
    health_becomes(&app, StatusCode::OK).await;
    while created_count() < before_restart + 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.notify_one();
    writer.await.unwrap();

    let r = app
        .post("/messages", &bob, json!({ "toUserId": "1", "body": "end" }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let events = read_until(&mut socket, |e| match &e.event {
        ServerEvent::MessageNew(m) => m.message.body == "end",
        _ => false,
    })
    .await;
    // The same socket throughout: it was never closed while PostgreSQL was away.
    let hello = socket.hello.clone().unwrap();
    let ids = check_stream("alice", &hello, &events);
    assert_eq!(
        ids,
        missed_ids(&app, &alice, 0)
            .await
            .into_iter()
            .filter(|id| id <= ids.last().unwrap())
            .collect::<Vec<_>>(),
        "the socket's stream is the log"
    );
    let mut bodies = Vec::new();
    let mut whole = 0;
    for (i, e) in events.iter().enumerate() {
        if let ServerEvent::MessageNew(m) = &e.event {
            bodies.push(m.message.body.clone());
            if m.message.body == "end" {
                whole += 1;
                break;
            }
            let next = events.get(i + 1).map(|n| n.event.event_type());
            assert_eq!(next, Some("entity:created"), "each message is whole");
            whole += 1;
        }
    }
    assert_eq!(whole, bodies.len());
    let created = created.lock().unwrap().clone();
    let delivered: Vec<&String> = bodies.iter().filter(|b| *b != "end").collect();
    for c in &created {
        assert_eq!(
            delivered.iter().filter(|b| **b == c).count(),
            1,
            "{c} was answered 201: it arrives once"
        );
    }
    let mut order = delivered.clone();
    order.sort_by_key(|b| b[1..].parse::<u32>().unwrap());
    assert_eq!(order, delivered, "in the order they were sent");
}
