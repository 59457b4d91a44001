//! The client's address through the real HAProxy, configured as `deploy/haproxy.cfg` ships
//! it (`option forwardfor`), in front of a server that trusts it (`--trusted-proxy`).

use ppt_cluster::balancer::Balancer;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A client that sends a new `X-Forwarded-For` with every failed login through HAProxy is
/// still one address: after the address's burst it is answered 429, whatever it claims.
#[tokio::test]
async fn a_client_cannot_choose_its_address_through_haproxy() {
    let app = spawn_app_with(|c| {
        c.login_address_burst = 3;
        c.login_account_burst = 100;
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let balancer = Balancer::start(&[app.addr.to_string()]).unwrap();
    balancer.wait_all_up(1).await.unwrap();
    // The client from an address of its own (HAProxy and the server share 127.0.0.1, which
    // the server trusts).
    let http = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let attempt = |i: u32| {
        http.post(format!("{}/api/v1/auth/login", balancer.base()))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({ "email": format!("spray{i}@demo.ppt"), "password": "x" }))
            .send()
    };
    for i in 0..3 {
        assert_eq!(attempt(i).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let r = attempt(3).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a forged address"
    );
    assert!(r.headers().contains_key("retry-after"));
}
