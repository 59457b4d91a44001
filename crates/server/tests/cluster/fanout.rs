//! Cross-server delivery: every commit reaches every allowed socket on every server, in id
//! order, exactly once, with an exact hand-over point.

use std::sync::Arc;

use ppt_protocol::{Envelope, ServerEvent};
use ppt_server::db::scratch::ScratchDb;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Reads a socket until an event satisfies `last`; returns every event up to and including it.
pub async fn read_until(s: &mut Socket, last: impl Fn(&Envelope) -> bool) -> Vec<Envelope> {
    let mut out = Vec::new();
    loop {
        let e = s.next_event().await;
        let done = last(&e);
        out.push(e);
        if done {
            return out;
        }
    }
}

/// The ids of every event `token`'s user may see after `after`, through `/events/missed`.
pub async fn missed_ids(app: &TestApp, token: &str, after: u64) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut cursor = after;
    loop {
        let page = app
            .get_json(
                &format!("/events/missed?after={cursor}&epoch={}", app.epoch),
                token,
            )
            .await;
        assert_eq!(page["resetRequired"], false);
        for e in page["events"].as_array().unwrap() {
            let id = e["id"].as_u64().unwrap();
            ids.push(id);
            cursor = id;
        }
        if page["hasMore"] != true {
            return ids;
        }
    }
}

/// What a socket received after its hello: ids strictly increasing, all after the hand-over
/// point, and each `prevId` naming the event before it on this socket.
pub fn check_stream(who: &str, hello: &Envelope, events: &[Envelope]) -> Vec<u64> {
    let ServerEvent::Authenticated(a) = &hello.event else {
        panic!("{who}: no hello")
    };
    let ids: Vec<u64> = events.iter().map(|e| e.id.unwrap()).collect();
    let mut last = a.last_event_id;
    for (i, e) in events.iter().enumerate() {
        let id = e.id.unwrap();
        assert!(id > last, "{who}: id {id} after {last}");
        let prev = e.prev_id.expect("prevId");
        if i == 0 {
            assert!(
                prev <= a.last_event_id,
                "{who}: the first event's prevId {prev} is beyond the hand-over point {}",
                a.last_event_id
            );
        } else {
            assert_eq!(prev, last, "{who}: a hole before {id}");
        }
        last = id;
    }
    ids
}

/// The marker that ends a test's traffic: an announcement everyone in the building sees
/// after everything before it (request id `end`).
async fn announce_end(node: &TestApp, manager: &str) {
    let r = node
        .http
        .post(node.url("/announcements"))
        .bearer_auth(manager)
        .header("x-request-id", "end")
        .json(&json!({ "title": "end", "body": "-" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// Whether an event is the marker's `entity:created`.
fn is_end(e: &Envelope) -> bool {
    e.request_id.as_deref() == Some("end") && e.event.event_type() == "entity:created"
}

/// Starts `n` servers on one fresh database.
pub async fn cluster(n: usize, tweak: fn(&mut ppt_server::Config)) -> (ScratchDb, Vec<TestApp>) {
    let db = ScratchDb::for_tests().await;
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(spawn_node(&db.url, tweak).await);
    }
    (db, nodes)
}

/// A message sent through one server reaches the recipient's socket on another.
#[tokio::test]
async fn a_message_through_one_server_reaches_a_socket_on_another() {
    let (_db, nodes) = cluster(2, |_| {}).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let alice = a.token("alice").await;
    let bob = b.token("bob").await;
    let mut bob_on_b = b.socket(&bob).await;
    let r = a
        .post(
            "/messages",
            &alice,
            json!({ "toUserId": "2", "body": "sent through A" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e = bob_on_b.next_event().await;
    let ServerEvent::MessageNew(m) = &e.event else {
        panic!("{e:?}")
    };
    assert_eq!(m.message.body, "sent through A");
    assert_eq!(
        bob_on_b.next_event().await.event.event_type(),
        "entity:created"
    );
    // One log: the same epoch, and the same missed events, on both servers.
    assert_eq!(a.epoch, b.epoch);
    assert_eq!(missed_ids(a, &bob, 0).await, missed_ids(b, &bob, 0).await);
}

/// With no wake-up from other servers at all (`LISTEN` off), the poll still delivers.
#[tokio::test]
async fn a_lost_wake_up_only_delays() {
    let db = ScratchDb::for_tests().await;
    let a = spawn_node(&db.url, |_| {}).await;
    let b = spawn_node(&db.url, |c| {
        c.log_listen = false;
        c.log_poll_ms = 100;
    })
    .await;
    let alice = a.token("alice").await;
    let mut alice_on_b = b.socket(&alice).await;
    let bob = a.token("bob").await;
    let r = a
        .post(
            "/messages",
            &bob,
            json!({ "toUserId": "1", "body": "polled" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e = alice_on_b.next_event().await;
    assert_eq!(e.event.event_type(), "message:new");
}

/// Eight writers on two servers at once, sockets of every user on both servers (and two that
/// join mid-burst): every socket gets every event its user may see after its hand-over
/// point, in id order, once, with an unbroken `prevId` chain, exactly as `/events/missed`
/// lists them. Ids handed out outside commit order (a plain sequence) would lose events
/// here: a server that delivered N+1 before N committed never goes back for N.
#[tokio::test]
async fn concurrent_writers_on_two_servers_leave_no_socket_a_gap() {
    let (_db, nodes) = cluster(2, |_| {}).await;
    let nodes = Arc::new(nodes);
    let users = ["alice", "bob", "carol", "martin"];
    let mut tokens = Vec::new();
    for u in users {
        tokens.push(nodes[0].token(u).await);
    }
    let mut sockets = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        for node in nodes.iter() {
            sockets.push((format!("{}@{}", users[i], node.addr), node.socket(t).await));
        }
    }

    const PER_WRITER: usize = 30;
    let mut writers = Vec::new();
    for w in 0..8usize {
        let nodes = nodes.clone();
        let tokens = tokens.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                let node = &nodes[(w + i) % 2];
                let r = if w < 4 {
                    node.post(
                        "/announcements",
                        &tokens[3],
                        json!({ "title": format!("w{w} #{i}"), "body": "-" }),
                    )
                    .await
                } else {
                    let from = w - 4;
                    let to = (from + 1) % 4 + 1;
                    node.post(
                        "/messages",
                        &tokens[from],
                        json!({ "toUserId": to.to_string(), "body": format!("w{w} #{i}") }),
                    )
                    .await
                };
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        }));
    }
    // Two latecomers join while the writers are at it.
    let late_a = nodes[0].socket(&tokens[0]).await;
    let late_b = nodes[1].socket(&tokens[2]).await;
    sockets.push(("alice late@A".into(), late_a));
    sockets.push(("carol late@B".into(), late_b));
    for w in writers {
        w.await.unwrap();
    }
    // The marker: seen by everyone in the building, after everything else.
    announce_end(&nodes[0], &tokens[3]).await;

    let mut total = 0;
    for (who, mut s) in sockets {
        let token = &tokens[users.iter().position(|u| who.starts_with(u)).unwrap()];
        let events = read_until(&mut s, is_end).await;
        let hello = s.hello.clone().unwrap();
        let ids = check_stream(&who, &hello, &events);
        let ServerEvent::Authenticated(a) = &hello.event else {
            unreachable!()
        };
        let marker = *ids.last().unwrap();
        let expected: Vec<u64> = missed_ids(&nodes[0], token, a.last_event_id)
            .await
            .into_iter()
            .filter(|id| *id <= marker)
            .collect();
        assert_eq!(ids, expected, "{who}: what the socket got is the log");
        total += ids.len();
    }
    assert!(
        total > 8 * PER_WRITER,
        "the sockets saw the burst ({total})"
    );
}

/// The serialising step itself: a transaction that has taken its id and not yet committed
/// (held open here, with the server's own `append`) holds back every other server's append
/// until it commits, so no server can deliver a later id first and skip it. Without the
/// step (ids handed out as a sequence would), the writers behind it commit, the sockets get
/// their events, and the held event, committed last with a smaller id, never arrives.
#[tokio::test]
async fn an_append_held_open_holds_back_every_later_one() {
    use ppt_protocol::envelope::{EntityAction, EntityChange};
    use ppt_protocol::EntityKind;
    use ppt_server::db::{self, PoolSettings};
    use ppt_server::eventlog::Audience;
    use ppt_server::eventlog::{self, Pending};
    use sqlx::Row;

    let (db_guard, nodes) = cluster(2, |_| {}).await;
    let martin = nodes[0].token("martin").await;
    let alice = nodes[0].token("alice").await;
    let mut sockets = vec![
        ("alice@A", nodes[0].socket(&alice).await),
        ("alice@B", nodes[1].socket(&alice).await),
    ];
    let opened = db::open(&db_guard.url, PoolSettings::default(), false)
        .await
        .unwrap();
    let database = opened.db;

    let mut held = database.pool.begin().await.unwrap();
    let held_pid: i32 = sqlx::query("SELECT pg_backend_pid()")
        .fetch_one(&mut *held)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let change = ServerEvent::Entity(
        EntityAction::Updated,
        EntityChange {
            entity: EntityKind::Announcement,
            id: "1".into(),
            version: Some(9),
        },
    );
    let mine = eventlog::append(
        &mut held,
        &database,
        "the test",
        vec![Pending {
            event: change,
            audience: Audience::Building(1),
            request_id: Some("held".into()),
        }],
        false,
    )
    .await
    .unwrap();
    let held_id = mine[0].id;

    let nodes = Arc::new(nodes);
    let mut writers = Vec::new();
    for w in 0..4usize {
        let (nodes, martin) = (nodes.clone(), martin.clone());
        writers.push(tokio::spawn(async move {
            let r = nodes[w % 2]
                .post(
                    "/announcements",
                    &martin,
                    json!({ "title": format!("behind {w}"), "body": "-" }),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }));
    }
    // Commit once a writer waits on the held transaction (the step at work), or once a
    // socket got a later event (the step missing): whichever is first.
    let waiting = async {
        loop {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            )
            .bind(held_pid)
            .fetch_one(&database.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    let mut early = Vec::new();
    {
        let (_, s) = &mut sockets[1];
        tokio::select! {
            _ = waiting => {}
            e = s.next_event() => early.push(e),
        }
    }
    held.commit().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    announce_end(&nodes[0], &martin).await;
    for (i, (who, mut s)) in sockets.into_iter().enumerate() {
        let mut events = if i == 1 { early.clone() } else { Vec::new() };
        events.extend(read_until(&mut s, is_end).await);
        let ids = check_stream(who, &s.hello.clone().unwrap(), &events);
        assert!(
            ids.contains(&held_id),
            "{who} got the held event {held_id}: {ids:?}"
        );
    }
}
