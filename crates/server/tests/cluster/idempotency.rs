//! `Idempotency-Key` across servers: tries of one create sent to different servers at once
//! (a client retrying through the balancer while its first try is still on its way) create
//! once, and every server answers the first answer.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::fanout::cluster;

#[tokio::test]
async fn tries_through_three_servers_create_once() {
    let (_db, nodes) = cluster(3, |_| {}).await;
    let alice = nodes[0].token("alice").await;
    let body = json!({ "title": "Through the balancer", "description": "-" });
    let tries = nodes.iter().cycle().take(6).map(|node| {
        node.http
            .post(node.url("/faults"))
            .bearer_auth(&alice)
            .header("Idempotency-Key", "one-fault")
            .json(&body)
            .send()
    });
    let mut answers = Vec::new();
    for r in futures::future::join_all(tries).await {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        answers.push(r.json::<Value>().await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    for node in &nodes {
        let faults = node.get_json("/faults", &alice).await;
        let n = faults
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["title"] == "Through the balancer")
            .count();
        assert_eq!(n, 1);
    }
}
