//! `POST /bench/publish`, the benchmarks' load source: absent unless `--bench-api`, checks its
//! input like any endpoint, and publishes through the real log and hub.

use ppt_protocol::ServerEvent;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Without `--bench-api` the path does not exist.
#[tokio::test]
async fn bench_api_is_off_by_default() {
    let app = spawn_app().await;
    let t = app.token("martin").await;
    let r = app
        .post(
            "/bench/publish",
            &t,
            json!({ "kind": "entity", "count": 1 }),
        )
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

/// Bad input is a 422 naming the field, and publishes nothing.
#[tokio::test]
async fn bench_api_rejects_bad_input() {
    let app = spawn_app_with(|c| c.bench_api = true).await;
    let t = app.token("martin").await;
    for (body, field) in [
        (json!({ "kind": "entity", "count": 0 }), "count"),
        (
            json!({ "kind": "entity", "count": 5, "perSec": 0 }),
            "perSec",
        ),
        (json!({ "kind": "message", "count": 5 }), "toUserId"),
        (
            json!({ "kind": "message", "count": 5, "toUserId": "4" }),
            "toUserId",
        ),
    ] {
        let r = app.post("/bench/publish", &t, body.clone()).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
        assert!(text.contains(field), "{body}: {text}");
    }
    let r = app
        .post(
            "/bench/publish",
            &t,
            json!({ "kind": "gossip", "count": 1 }),
        )
        .await;
    assert!(r.status().is_client_error());
    let page = app.get_json("/events/missed?after=0", &t).await;
    assert_eq!(page["events"].as_array().unwrap().len(), 0);
}

/// Entity events reach the building's sockets in order, with the send time and padding in
/// `requestId`; messages are real messages (both events, in the recipient's inbox).
#[tokio::test]
async fn bench_api_publishes_through_the_log() {
    let app = spawn_app_with(|c| c.bench_api = true).await;
    let (alice_t, martin_t) = (app.token("alice").await, app.token("martin").await);
    let mut alice = app.socket(&alice_t).await;
    let r = app
        .post(
            "/bench/publish",
            &martin_t,
            json!({ "kind": "entity", "count": 5, "perSec": 1000, "frameBytes": 200 }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["published"], 5);
    let mut last = 0;
    for version in 1..=5u64 {
        let e = alice.next_event().await;
        let ServerEvent::Entity(_, change) = &e.event else {
            panic!("not an entity event: {e:?}");
        };
        assert_eq!(change.version, Some(version));
        assert!(e.id.unwrap() > last);
        last = e.id.unwrap();
        let rid = e.request_id.clone().unwrap();
        assert!(rid.starts_with("bench-") && rid.ends_with('x'), "{rid}");
    }
    assert_eq!(v["lastId"], last);

    let before = app.get_json("/messages/unread-count", &alice_t).await["count"]
        .as_u64()
        .unwrap();
    let r = app
        .post(
            "/bench/publish",
            &app.token("martin").await,
            json!({ "kind": "message", "count": 3, "toUserId": "1" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["published"], 6);
    let unread = app.get_json("/messages/unread-count", &alice_t).await;
    assert_eq!(unread["count"].as_u64().unwrap(), before + 3);
    let e = alice.next_event().await;
    let ServerEvent::MessageNew(m) = &e.event else {
        panic!("not a message: {e:?}");
    };
    assert!(m.message.body.starts_with("Benchmark message 1 sent "));
}

/// With `--bench-api` the load source is a manager's: residents are refused.
#[tokio::test]
async fn bench_api_is_for_managers() {
    let app = spawn_app_with(|c| c.bench_api = true).await;
    let r = app
        .post(
            "/bench/publish",
            &app.token("bob").await,
            json!({ "kind": "entity", "count": 1 }),
        )
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
}
