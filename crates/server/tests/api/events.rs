use std::collections::HashSet;

use ppt_protocol::ServerEvent;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A message reaches the recipient's and the sender's sockets, and nobody else's.
///
/// Absence is proven without waiting: an announcement published afterwards is the next
/// thing Carol sees, and each socket receives its events in order.
#[tokio::test]
async fn message_reaches_exactly_its_participants() {
    let app = spawn_app().await;
    let (alice_t, bob_t, carol_t, martin_t) = (
        app.token("alice").await,
        app.token("bob").await,
        app.token("carol").await,
        app.token("martin").await,
    );
    let mut alice = app.socket(&alice_t).await;
    let mut bob = app.socket(&bob_t).await;
    let mut carol = app.socket(&carol_t).await;
    let mut martin = app.socket(&martin_t).await;

    let r = app
        .http
        .post(app.url("/messages"))
        .bearer_auth(&bob_t)
        .header("x-request-id", "req-42")
        .json(&json!({ "toUserId": "1", "body": "Parcel for you" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    for s in [&mut alice, &mut bob] {
        let e = s.next_event().await;
        let ServerEvent::MessageNew(m) = &e.event else {
            panic!("{e:?}")
        };
        assert_eq!(m.message.body, "Parcel for you");
        assert_eq!(
            e.request_id.as_deref(),
            Some("req-42"),
            "the request id is stamped on its events"
        );
        assert_eq!(s.next_event().await.event.event_type(), "entity:created");
    }

    let r = app
        .post(
            "/announcements",
            &martin_t,
            json!({ "title": "Marker", "body": "-" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for s in [&mut carol, &mut martin] {
        let e = s.next_event().await;
        assert_eq!(
            e.event.event_type(),
            "entity:created",
            "no message events before the marker"
        );
    }
    // Residents get the notification too; the manager who posted it does not.
    assert_eq!(
        carol.next_event().await.event.event_type(),
        "notification:announcement"
    );
}

/// Fault notifications go to the reporter and the managers; the entity change to everyone.
#[tokio::test]
async fn fault_events_reach_the_right_people() {
    let app = spawn_app().await;
    let (alice_t, carol_t, martin_t) = (
        app.token("alice").await,
        app.token("carol").await,
        app.token("martin").await,
    );
    let mut alice = app.socket(&alice_t).await;
    let mut carol = app.socket(&carol_t).await;
    let mut martin = app.socket(&martin_t).await;

    let r = app
        .patch("/faults/1", &martin_t, json!({ "status": "in_progress" }))
        .await; // Alice reported #1
    assert_eq!(r.status(), StatusCode::OK);
    for s in [&mut alice, &mut martin] {
        let e = s.next_event().await;
        let ServerEvent::Entity(_, change) = &e.event else {
            panic!("{e:?}")
        };
        assert_eq!((change.id.as_str(), change.version), ("1", Some(2)));
        assert_eq!(
            s.next_event().await.event.event_type(),
            "notification:fault"
        );
    }
    assert_eq!(
        carol.next_event().await.event.event_type(),
        "entity:updated"
    );
    // The next thing Carol sees is the next building-wide change, not a fault notification.
    app.post(
        "/faults",
        &alice_t,
        json!({ "title": "Marker", "description": "-" }),
    )
    .await;
    assert_eq!(
        carol.next_event().await.event.event_type(),
        "entity:created"
    );
}

/// Reading a message tells the reader's other sessions the new unread count.
#[tokio::test]
async fn message_read_syncs_the_readers_other_sessions() {
    let app = spawn_app().await;
    let alice_t = app.token("alice").await;
    let mut other_tab = app.socket(&alice_t).await;
    // Carol's seeded message to Alice is unread (id 4).
    let r = app.post("/messages/4/read", &alice_t, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let e = other_tab.next_event().await;
    let ServerEvent::MessageRead(read) = &e.event else {
        panic!("{e:?}")
    };
    assert_eq!(read.conversation_id, "1-3");
    assert_eq!(read.unread_count, 0);
}

/// Under concurrent writers, ids are unique and strictly increasing on every socket, and the
/// missed-events log agrees with what the socket saw.
#[tokio::test]
async fn ids_strictly_increase_under_concurrent_writers() {
    let app = spawn_app().await;
    let martin_t = app.token("martin").await;
    let mut martin = app.socket(&martin_t).await;
    let tokens = [
        app.token("alice").await,
        app.token("bob").await,
        app.token("carol").await,
    ];
    let mut writers = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        for n in 0..20 {
            let (http, url, t) = (app.http.clone(), app.url("/faults"), t.clone());
            writers.push(tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(t)
                    .json(&json!({ "title": format!("w{i}-{n}"), "description": "concurrent" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    // Martin sees entity:created + notification:fault for each of the 60 faults.
    let mut seen = Vec::new();
    for _ in 0..120 {
        seen.push(martin.next_event().await.id.unwrap());
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {seen:?}"
    );
    let logged: Vec<u64> = app
        .get_json("/events/missed?after=0&limit=1000", &martin_t)
        .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(logged, seen);
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>().len(), 120);
}

/// With `--omit-event-ids` the server speaks the original format: events without `id`.
#[tokio::test]
async fn omit_event_ids_speaks_the_original_format() {
    let app = spawn_app_with(|c| c.omit_event_ids = true).await;
    let alice_t = app.token("alice").await;
    let mut alice = app.socket(&alice_t).await;
    let r = app
        .post(
            "/messages",
            &app.token("bob").await,
            json!({ "toUserId": "1", "body": "old style" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e = alice.next_envelope().await.unwrap();
    assert_eq!(e.event.event_type(), "message:new");
    assert_eq!(e.id, None);
    let page = app
        .get_json("/events/missed?since=2000-01-01T00:00:00Z", &alice_t)
        .await;
    assert!(page["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("id").is_none()));
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
}

/// Each event on a socket names the previous event its user was sent (`prevId`), so the
/// ids of other users' events in between are not mistaken for a gap.
#[tokio::test]
async fn prev_id_chains_each_users_events() {
    let app = spawn_app().await;
    let (alice_t, bob_t, martin_t) = (
        app.token("alice").await,
        app.token("bob").await,
        app.token("martin").await,
    );
    app.post(
        "/faults",
        &alice_t,
        json!({ "title": "before", "description": "-" }),
    )
    .await;
    let mut alice = app.socket(&alice_t).await;
    for i in 0..5 {
        // Bob writes to Carol: ids Alice never sees.
        app.post(
            "/messages",
            &bob_t,
            json!({ "toUserId": "3", "body": format!("private {i}") }),
        )
        .await;
        app.post(
            "/announcements",
            &martin_t,
            json!({ "title": format!("news {i}"), "body": "-" }),
        )
        .await;
    }
    let mut prev = 2; // Alice saw events 1 and 2 (her fault) before she connected.
    let mut ids = Vec::new();
    for _ in 0..10 {
        let e = alice.next_event().await;
        assert_eq!(e.prev_id, Some(prev), "{e:?}");
        prev = e.id.unwrap();
        ids.push(prev);
    }
    assert!(
        ids.windows(2).any(|w| w[1] > w[0] + 1),
        "other users' events took ids in between"
    );
}
