//! Several servers on one PostgreSQL behind HAProxy (docs/protocol.md, "Several servers, one PostgreSQL"): a resident's server
//! is killed in the middle of a burst of messages.

use ppt_cluster::balancer::Balancer;
use ppt_cluster::server::{free_port, token_at, ServerProcess};
use ppt_server::db::scratch::ScratchDb;
use serde_json::json;

use crate::support::*;

/// Alice's socket is on n1 (the only node up when she logs in); n2 joins. Bob sends her 40
/// messages through the balancer and n1 is killed (SIGKILL) after the 15th answer. Her
/// browser reconnects through HAProxy to n2 by itself, catches up and says "Reconnected";
/// every message Bob was answered 201 for is in her inbox exactly once, and no message
/// shows twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_burst_hands_its_residents_to_another() {
    let db = ScratchDb::for_tests().await;
    let dist = dist_dir();
    let mut n1 = ServerProcess::start_serving(&db.url, Some(&dist), &[])
        .await
        .unwrap();
    let n2_addr = format!("127.0.0.1:{}", free_port().unwrap());
    let balancer = Balancer::start(&[n1.addr.clone(), n2_addr.clone()]).unwrap();
    balancer.wait_for("n1", "UP").await.unwrap();
    let base = balancer.base();

    let alice = Browser::start().await;
    alice
        .set_realtime_config(&base, r#"{"backoffMaxMs":1000}"#)
        .await;
    alice.login_at(&base, "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;

    let _n2 = ServerProcess::start_at(&n2_addr, &db.url, Some(&dist), &[])
        .await
        .unwrap();
    balancer.wait_for("n2", "UP").await.unwrap();

    let bob = token_at(&base, "bob@demo.ppt").await.unwrap();
    let (answered_tx, mut answered_rx) = tokio::sync::watch::channel(0usize);
    let sender = {
        let base = base.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut created = Vec::new();
            for i in 1..=40 {
                let body = format!("Failover message {i:02}");
                let r = http
                    .post(format!("{base}/api/v1/messages"))
                    .bearer_auth(&bob)
                    .json(&json!({ "toUserId": "1", "body": body }))
                    .send()
                    .await;
                // A request that was on its way to the killed node may fail; it is not
                // retried (it might have been written), only not counted.
                if r.is_ok_and(|r| r.status() == 201) {
                    created.push(body);
                }
                answered_tx.send_replace(i);
            }
            created
        })
    };
    answered_rx.wait_for(|n| *n >= 15).await.unwrap();
    n1.kill();
    let created = sender.await.unwrap();
    assert!(
        created.len() >= 30,
        "most sends succeeded: {}",
        created.len()
    );

    alice.wait_for_state("connected").await;
    alice
        .text_of("[data-testid=toast][data-kind=reconnected]")
        .await;
    for body in &created {
        alice.wait_for_message(body, 1).await;
    }
    let bodies = alice
        .js("return [...document.querySelectorAll('[data-testid=message-item]')].map(e => e.textContent);")
        .await;
    let bodies: Vec<String> = bodies
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_owned())
        .collect();
    for i in 1..=40 {
        let body = format!("Failover message {i:02}");
        let shown = bodies.iter().filter(|b| b.contains(&body)).count();
        assert!(shown <= 1, "{body} shows {shown} times");
    }
    // The balancer's health checks took the dead node out of rotation.
    balancer.wait_for("n1", "DOWN").await.unwrap();
    alice.screenshot("cluster-failover").await;
    alice.close().await;
}
