use futures::{SinkExt, StreamExt};
use ppt_protocol::{ClientFrame, ServerEvent};
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::auth::{alg_none_token, expired_token, forged_token};
use crate::helpers::*;

/// `connection:authenticated` answers a good `auth` frame with the user, cursor and epoch.
#[tokio::test]
async fn auth_frame_authenticates() {
    let app = spawn_app().await;
    let s = app.socket(&app.token("alice").await).await;
    let ServerEvent::Authenticated(a) = &s.hello.as_ref().unwrap().event else {
        unreachable!()
    };
    assert_eq!(a.user_id, "1");
    assert_eq!(a.epoch, app.epoch);
    assert_eq!(a.last_event_id, 0, "the seed writes no events");
    assert!(
        s.hello.as_ref().unwrap().id.is_none(),
        "control frames carry no id"
    );
}

/// A bad, expired, `alg: none` or wrongly signed token gets `connection:error` and 4401.
#[tokio::test]
async fn bad_tokens_close_with_4401() {
    let app = spawn_app().await;
    for token in [
        "not-a-jwt".to_owned(),
        expired_token(),
        alg_none_token(),
        forged_token("some-other-secret", 1, 3600),
    ] {
        let mut s = Socket::open(&app.ws_url()).await;
        s.send_frame(&ClientFrame::auth(token.clone(), None)).await;
        let closed = s.closed().await;
        assert_eq!(closed.code, 4401, "{token}");
        assert!(
            closed.error.is_some(),
            "a connection:error precedes the close"
        );
    }
}

/// The `?token=` query form of the original design is refused by default (a token in an
/// address ends up in proxies' logs), 400 `bad_query` before any socket exists, and accepted
/// with `--ws-query-token`.
#[tokio::test]
async fn query_token_only_when_asked_for() {
    let app = spawn_app().await;
    let token = app.token("bob").await;
    let url = format!("{}?token={token}", app.ws_url());
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 400)
        }
        other => panic!("expected an HTTP 400, got {other:?}"),
    }
    let app = spawn_app_with(|c| c.ws_query_token = true).await;
    let token = app.token("bob").await;
    let mut s = Socket::open(&format!("{}?token={token}", app.ws_url())).await;
    let hello = s.next_envelope().await.unwrap();
    assert!(matches!(hello.event, ServerEvent::Authenticated(_)));
}

/// No `auth` frame before the deadline: `connection:error` and 4408.
#[tokio::test]
async fn auth_timeout_closes_with_4408() {
    let app = spawn_app_with(|c| c.auth_timeout_ms = 200).await;
    let mut s = Socket::open(&app.ws_url()).await;
    let closed = s.closed().await;
    assert_eq!(
        closed,
        Closed {
            code: 4408,
            error: Some("auth_timeout".into())
        }
    );
}

/// `ping` is answered with `pong`, before and after authentication.
#[tokio::test]
async fn ping_gets_pong() {
    let app = spawn_app().await;
    let mut s = Socket::open(&app.ws_url()).await;
    s.send_frame(&ClientFrame::ping()).await;
    assert_eq!(s.next_envelope().await.unwrap().event, ServerEvent::Pong);
    let mut s = app.socket(&app.token("alice").await).await;
    s.send_frame(&ClientFrame::ping()).await;
    assert_eq!(s.next_envelope().await.unwrap().event, ServerEvent::Pong);
}

/// An oversized frame and a malformed frame each close only the offending socket (1008);
/// another socket keeps receiving.
#[tokio::test]
async fn bad_frames_close_only_the_offender() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let mut bystander = app.socket(&app.token("bob").await).await;

    let mut big = app.socket(&alice).await;
    big.send_text("x".repeat(65 * 1024)).await;
    assert_eq!(big.closed().await.code, 1008);

    let mut garbled = app.socket(&alice).await;
    garbled.send_text("{\"type\":".into()).await;
    assert_eq!(
        garbled.closed().await,
        Closed {
            code: 1008,
            error: Some("malformed_frame".into())
        }
    );

    let mut unknown = app.socket(&alice).await;
    unknown
        .send_text(json!({ "type": "subscribe" }).to_string())
        .await;
    assert_eq!(unknown.closed().await.code, 1008);

    let mut binary = app.socket(&alice).await;
    binary
        .ws
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(binary.closed().await.code, 1008);

    let r = app
        .post(
            "/faults",
            &alice,
            json!({ "title": "Still here?", "description": "yes" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e = bystander.next_event().await;
    assert_eq!(e.event.event_type(), "entity:created");
}

/// A client that floods frames is closed with 1008.
#[tokio::test]
async fn flooding_closes_with_1008() {
    let app = spawn_app().await;
    let mut s = app.socket(&app.token("alice").await).await;
    for _ in 0..500 {
        s.send_text(ClientFrame::ping().to_json()).await;
    }
    assert_eq!(
        s.closed().await,
        Closed {
            code: 1008,
            error: Some("rate_limited".into())
        }
    );
}

/// A page from a foreign Origin is refused with 403 before the upgrade.
#[tokio::test]
async fn foreign_origin_is_refused_before_upgrade() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app().await;
    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 403),
        other => panic!("expected an HTTP 403, got {other:?}"),
    }
    let mut ok = app.ws_url().into_client_request().unwrap();
    ok.headers_mut()
        .insert("origin", format!("http://{}", app.addr).parse().unwrap());
    assert!(
        tokio_tungstenite::connect_async(ok).await.is_ok(),
        "same origin is allowed"
    );
    // Trunk's dev server only when named (scripts/dev.sh does): not by default.
    let dev = |app: &TestApp| {
        let mut r = app.ws_url().into_client_request().unwrap();
        r.headers_mut()
            .insert("origin", "http://127.0.0.1:8081".parse().unwrap());
        r
    };
    assert!(tokio_tungstenite::connect_async(dev(&app)).await.is_err());
    let named = spawn_app_with(|c| c.allowed_origins = vec!["http://127.0.0.1:8081".into()]).await;
    assert!(tokio_tungstenite::connect_async(dev(&named)).await.is_ok());
}

/// A socket is closed with 4401 when its token expires.
#[tokio::test]
async fn socket_closes_when_its_token_expires() {
    let app = spawn_app_with(|c| c.token_ttl_secs = 1).await;
    let mut s = app.socket(&app.token("alice").await).await;
    assert_eq!(
        s.closed().await,
        Closed {
            code: 4401,
            error: Some("token_expired".into())
        }
    );
}

/// Shutting the server down closes open sockets with 1001.
#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut app = spawn_app().await;
    let mut s = app.socket(&app.token("alice").await).await;
    let stopping = tokio::spawn(async move {
        app.stop().await;
    });
    assert_eq!(s.closed().await.code, 1001);
    stopping.await.unwrap();
}

/// The server pings every socket; one that answers stays, one from which nothing arrives
/// (a half-open connection: this client never reads, so it never answers) is closed with
/// 4408 after the idle time, and its session ends.
#[tokio::test]
async fn silent_sockets_are_closed_after_the_idle_time() {
    let app = spawn_app_with(|c| {
        c.ws_ping_ms = 100;
        c.ws_idle_ms = 600;
    })
    .await;
    let token = app.token("alice").await;
    let mut answering = app.socket(&token).await;
    let mut silent = app.socket(&token).await;
    // Reading answers pings (tungstenite replies on its own); this one keeps reading.
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(PATIENCE, answering.ws.next()).await {
            if matches!(msg, Message::Ping(_)) {
                pings += 1;
            }
            if pings == 12 {
                break;
            }
        }
        (pings, answering)
    });
    app.wait_for_sockets(1).await;
    let closed = silent.closed().await;
    assert_eq!(
        (closed.code, closed.error.as_deref()),
        (4408, Some("idle_timeout"))
    );
    let (pings, mut answering) = reader.await.unwrap();
    assert_eq!(pings, 12, "the server kept pinging the answering socket");
    answering.send_frame(&ClientFrame::ping()).await;
    let pong = answering.next_envelope().await.expect("still open");
    assert!(matches!(pong.event, ServerEvent::Pong));
}

/// A user holds at most 32 sockets on a server: the 33rd is closed with 4429; when one
/// closes, there is room again.
#[tokio::test]
async fn a_user_holds_at_most_32_sockets() {
    let app = spawn_app().await;
    let token = app.token("bob").await;
    let mut held = Vec::new();
    for _ in 0..32 {
        held.push(app.socket(&token).await);
    }
    let mut extra = Socket::open(&app.ws_url()).await;
    extra
        .send_frame(&ClientFrame::auth(token.clone(), None))
        .await;
    let closed = extra.closed().await;
    assert_eq!(
        (closed.code, closed.error.as_deref()),
        (4429, Some("too_many_sockets"))
    );
    let other = app.socket(&app.token("carol").await).await;
    drop(other);
    let mut one = held.pop().unwrap();
    let _ = one.ws.close(None).await;
    app.wait_for_sockets(31).await;
    app.socket(&token).await;
}

/// Frames are rate-limited before authentication too: a ping flood is closed with 1008.
#[tokio::test]
async fn a_ping_flood_before_auth_is_refused() {
    let app = spawn_app().await;
    let mut s = Socket::open(&app.ws_url()).await;
    for _ in 0..100 {
        s.send_frame(&ClientFrame::ping()).await;
    }
    let closed = s.closed().await;
    assert_eq!(
        (closed.code, closed.error.as_deref()),
        (1008, Some("rate_limited"))
    );
}

/// A socket that stops reading while events pile up is closed with 1013 when its queue is
/// full; its client then catches up through `/events/missed` with nothing lost.
#[tokio::test]
async fn a_socket_that_stops_reading_catches_up_after_1013() {
    let app = spawn_app_with(|c| {
        c.send_queue = 8;
        c.bench_api = true;
    })
    .await;
    let alice = app.token("alice").await;
    let martin = app.token("martin").await;
    let mut s = app.socket(&alice).await;
    let r = app
        .post(
            "/bench/publish",
            &martin,
            json!({ "kind": "entity", "count": 200 }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let published: serde_json::Value = r.json().await.unwrap();
    let (first, last) = (
        published["firstId"].as_u64().unwrap(),
        published["lastId"].as_u64().unwrap(),
    );
    let mut got = Vec::new();
    let closed = loop {
        match tokio::time::timeout(PATIENCE, s.ws.next()).await.unwrap() {
            Some(Ok(Message::Text(t))) => {
                let e = ppt_protocol::Envelope::from_json(&t).unwrap();
                if let Some(id) = e.id {
                    got.push(id);
                }
            }
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(closed, Some(1013));
    assert!((got.len() as u64) < last - first + 1, "it fell behind");
    let after = got.last().copied().unwrap_or(0);
    let mut cursor = after;
    loop {
        let page = app
            .get_json(&format!("/events/missed?after={cursor}"), &alice)
            .await;
        for e in page["events"].as_array().unwrap() {
            cursor = e["id"].as_u64().unwrap();
            got.push(cursor);
        }
        if page["hasMore"] != true {
            break;
        }
    }
    assert_eq!(
        got,
        (first..=last).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
}

/// A peer that stops reading while big frames fill the connection stalls the server's
/// writes: after the write timeout it is dropped and its session ends.
#[tokio::test]
async fn a_stalled_write_drops_the_socket() {
    let app = spawn_app_with(|c| {
        c.send_queue = 100_000;
        c.ws_write_timeout_ms = 300;
        c.ws_idle_ms = 60_000;
        c.bench_api = true;
    })
    .await;
    let _stalled = app.socket(&app.token("alice").await).await;
    let r = app
        .post(
            "/bench/publish",
            &app.token("martin").await,
            json!({ "kind": "entity", "count": 4000, "frameBytes": 4000 }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.wait_for_sockets(0).await;
}

/// Shutdown completes while a socket that never reads is open.
#[tokio::test]
async fn shutdown_completes_with_a_silent_socket() {
    let mut app = spawn_app().await;
    let _silent = app.socket(&app.token("alice").await).await;
    assert!(app.stopped_within(PATIENCE).await);
}

/// A fresh token for another building (the user was moved and signed in again) sent on a
/// socket still joined to the old building closes it with 4401 `audience_changed`, so the
/// client reconnects with the right audience; a fresh token for the same audience keeps it.
#[tokio::test]
async fn a_token_for_another_building_closes_the_socket() {
    // The sweep, and on PostgreSQL the notification that a session ended, would close the
    // old session's socket first: both held off, the socket meets the token alone.
    let app = spawn_app_with(|c| {
        c.session_sweep_ms = 3_600_000;
        c.log_listen = false;
    })
    .await;
    let first = app.login("carol").await;
    let mut socket = app.socket(&first.token).await;
    socket
        .send_frame(&ClientFrame::auth(app.token("carol").await, None))
        .await;
    socket.send_frame(&ClientFrame::ping()).await;
    assert!(
        matches!(
            socket.next_envelope().await.map(|e| e.event),
            Some(ServerEvent::Pong)
        ),
        "the same audience keeps the socket"
    );
    ppt_server::admin::set_user(
        app.state.storage.db(),
        "carol@demo.ppt",
        None,
        Some("Maple House 3"),
    )
    .await
    .unwrap();
    let moved = app.token("carol").await;
    socket.send_frame(&ClientFrame::auth(moved, None)).await;
    let closed = socket.closed().await;
    assert_eq!(
        (closed.code, closed.error.as_deref()),
        (4401, Some("audience_changed"))
    );
}
