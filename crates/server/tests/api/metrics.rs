//! `--metrics-addr`: the Prometheus exposition, valid for `promtool`, and each figure moving
//! when it should.

use std::time::Duration;

use tokio::net::TcpListener;

use crate::helpers::*;

/// A server's metrics listener, and its address.
async fn metrics_of(app: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(ppt_server::metrics::serve(listener, app.state.clone()));
    format!("http://{addr}/metrics")
}

async fn scrape(url: &str) -> String {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    r.text().await.unwrap()
}

/// The value of the sample `name` (with its labels as written), if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `name` reads `want` (the figures follow the sockets' tasks).
async fn until(url: &str, name: &str, want: f64) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = scrape(url).await;
        if sample(&text, name) == Some(want) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} is {:?}, not {want}:\n{text}",
            sample(&text, name)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Five sockets: the gauges say 5, and 0 once they are gone; refused logins, answers by
/// route and status, and catch-up are counted.
#[tokio::test]
async fn the_figures_move_when_they_should() {
    let app = spawn_app().await;
    let url = metrics_of(&app).await;
    let token = app.token("alice").await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        sockets.push(app.socket(&token).await);
    }
    let text = until(&url, "ppt_sockets_authenticated", 5.0).await;
    assert_eq!(sample(&text, "ppt_sockets_open"), Some(5.0));
    for mut s in sockets.drain(..) {
        let _ = s.ws.close(None).await;
    }
    until(&url, "ppt_sockets_authenticated", 0.0).await;
    let text = until(&url, "ppt_sockets_open", 0.0).await;
    assert_eq!(
        sample(
            &text,
            r#"ppt_socket_closes_total{reason="client",code="1000"}"#
        ),
        Some(5.0),
        "{text}"
    );

    assert_eq!(sample(&text, "ppt_login_refusals_total"), Some(0.0));
    let r = app.post_login("alice@demo.ppt", "wrong").await;
    assert_eq!(r.status(), 401);
    let r = app
        .get(
            &format!("/events/missed?after=0&epoch={}&limit=500", app.epoch),
            &token,
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let text = scrape(&url).await;
    assert_eq!(sample(&text, "ppt_login_refusals_total"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            r#"ppt_http_requests_total{route="/api/v1/auth/login",status="401"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "ppt_catchup_duration_seconds_count"),
        Some(1.0)
    );
    assert!(sample(&text, r#"ppt_db_pool_connections{state="idle"}"#).is_some());
}

/// `promtool check metrics` accepts the exposition (CI has Debian's `prometheus`; a machine
/// without `promtool` says so and checks the rest).
#[tokio::test]
async fn promtool_accepts_the_exposition() {
    let app = spawn_app().await;
    let url = metrics_of(&app).await;
    let token = app.token("alice").await;
    let _s = app.socket(&token).await;
    let _ = app.post_login("alice@demo.ppt", "wrong").await;
    let text = until(&url, "ppt_sockets_authenticated", 1.0).await;
    let promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match promtool {
        Ok(c) => c,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("promtool is not installed: the exposition is not checked by it here");
            return;
        }
        Err(e) => panic!("CI needs promtool (Debian's prometheus): {e}"),
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool refused it:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `/readyz`: 200 while the database answers and the log is followed, 503 once the server
/// is shutting down (a balancer stops sending to it); `/healthz` keeps answering 200 then.
#[tokio::test]
async fn readyz_says_whether_to_send_traffic() {
    let app = spawn_app().await;
    let url = metrics_of(&app).await;
    let token = app.token("bob").await;
    let r = app
        .post(
            "/messages",
            &token,
            serde_json::json!({"toUserId": "1", "body": "hi"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let ready = reqwest::get(format!("http://{}/readyz", app.addr))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let text = until(&url, "ppt_follower_lag_events", 0.0).await;
    assert!(text.contains("ppt_follower_lag_events 0"));
    app.state.shutdown.cancel();
    let ready = reqwest::get(format!("http://{}/readyz", app.addr))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let healthy = reqwest::get(format!("http://{}/healthz", app.addr))
        .await
        .unwrap();
    assert_eq!(healthy.status(), 200);
}
