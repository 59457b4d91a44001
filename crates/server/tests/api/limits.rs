//! Limits on creates per user and kind (docs/protocol.md, "Limits"; `--create-limit`): past a
//! limit a create is answered 429 `rate_limited` with `Retry-After` and writes nothing;
//! other users and other kinds are not held back. Runs on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn from(list: &Value, sender: &str) -> usize {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["fromUserId"] == sender)
        .count()
}

#[tokio::test]
async fn a_flood_is_refused_at_the_configured_rate() {
    let app = spawn_app_with(|c| {
        c.create_limits = vec![
            "messages=3/min".parse().unwrap(),
            "faults=1/h".parse().unwrap(),
        ]
    })
    .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let before = from(&app.get_json("/messages", &bob.token).await, &alice.user.id);
    let message = |n: usize| json!({ "toUserId": bob.user.id, "body": format!("flood {n}") });
    for n in 0..3 {
        let r = app.post("/messages", &alice.token, message(n)).await;
        assert_eq!(r.status(), StatusCode::CREATED, "message {n}");
    }
    for n in 3..6 {
        let r = app.post("/messages", &alice.token, message(n)).await;
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=20).contains(&wait), "one more every 20 s: {wait}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "message {n}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("messages"),
            "{body}"
        );
    }
    // Nothing of the refused ones was written.
    let inbox = app.get_json("/messages", &bob.token).await;
    assert_eq!(from(&inbox, &alice.user.id), before + 3);

    // Bob is not held back by Alice's flood, nor Alice for another kind.
    let r = app
        .post(
            "/messages",
            &bob.token,
            json!({ "toUserId": alice.user.id, "body": "not held back" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let fault = json!({ "title": "Lift", "description": "stuck" });
    let r = app.post("/faults", &alice.token, fault.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, code) = error_code(app.post("/faults", &alice.token, fault).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
}

/// The defaults hold without any flag: a script's hundred messages are cut off at the burst.
#[tokio::test]
async fn the_defaults_limit_a_script() {
    let app = spawn_app_with(|c| c.create_limits.clear()).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut created = 0;
    for n in 0..100 {
        let r = app
            .post(
                "/messages",
                &alice.token,
                json!({ "toUserId": bob.user.id, "body": format!("script {n}") }),
            )
            .await;
        match r.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert!(
        (30..=32).contains(&created),
        "the default burst of 30 (and what refilled meanwhile): {created}"
    );
}
