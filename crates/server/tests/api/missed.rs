use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn send_many(app: &TestApp, from: &str, to_user: &str, n: usize) {
    let token = app.token(from).await;
    let mut batch = Vec::new();
    for i in 0..n {
        let (http, url, t) = (app.http.clone(), app.url("/messages"), token.clone());
        let to = to_user.to_owned();
        batch.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(t)
                .json(&json!({ "toUserId": to, "body": format!("m{i}") }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }));
        if batch.len() == 16 {
            for b in batch.drain(..) {
                b.await.unwrap();
            }
        }
    }
    for b in batch {
        b.await.unwrap();
    }
}

fn ids(page: &Value) -> Vec<u64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

/// Over 1,000 events, many in the same millisecond, page by page: nothing skipped or repeated,
/// and exactly what the live socket delivered, in the same order.
#[tokio::test]
async fn paging_over_more_than_a_thousand_events() {
    let app = spawn_app().await;
    let alice_t = app.token("alice").await;
    let mut live = app.socket(&alice_t).await;
    send_many(&app, "bob", "1", 560).await; // two events each: message:new, entity:created

    let mut streamed = Vec::new();
    for _ in 0..1120 {
        streamed.push(live.next_event().await.id.unwrap());
    }

    let mut paged: Vec<u64> = Vec::new();
    let mut timestamps = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let page = app
            .get_json(
                &format!("/events/missed?after={after}&epoch={}&limit=500", app.epoch),
                &alice_t,
            )
            .await;
        assert_eq!(page["resetRequired"], false);
        assert_eq!(page["epoch"], app.epoch.as_str());
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 500);
        for e in page["events"].as_array().unwrap() {
            timestamps.push(e["timestamp"].as_str().unwrap().to_owned());
        }
        paged.extend(&page_ids);
        pages += 1;
        if page["hasMore"] == false {
            assert_eq!(page["latestId"].as_u64().unwrap(), *paged.last().unwrap());
            break;
        }
        after = *page_ids.last().unwrap();
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, streamed);
    let distinct_ts: HashSet<_> = timestamps.iter().collect();
    assert!(
        distinct_ts.len() < timestamps.len(),
        "some events share a millisecond"
    );
}

/// A user's missed events hold only what that user may see.
#[tokio::test]
async fn missed_events_are_filtered_per_user() {
    let app = spawn_app().await;
    send_many(&app, "bob", "1", 3).await;
    let carol = app.token("carol").await;
    let page = app.get_json("/events/missed?after=0", &carol).await;
    assert!(
        ids(&page).is_empty(),
        "Carol sees none of Bob's messages to Alice"
    );
    assert_eq!(page["latestId"], 6);
    let alice = app
        .get_json("/events/missed?after=0", &app.token("alice").await)
        .await;
    assert_eq!(ids(&alice), vec![1, 2, 3, 4, 5, 6]);
}

/// The original `since=<timestamp>` cursor returns the events after that time.
#[tokio::test]
async fn since_cursor_works() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let r = app
        .post(
            "/faults",
            &alice,
            json!({ "title": "a", "description": "a" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = app
        .get_json("/events/missed?since=2000-01-01T00:00:00Z", &alice)
        .await;
    assert_eq!(ids(&page), vec![1, 2]);
    let page = app
        .get_json("/events/missed?since=2999-01-01T00:00:00.000Z", &alice)
        .await;
    assert!(ids(&page).is_empty());
}

/// `resetRequired`: a foreign epoch, a cursor beyond the log, or one older than retention.
#[tokio::test]
async fn reset_required_cases() {
    let app = spawn_app_with(|c| c.event_retention = 5).await;
    let alice = app.token("alice").await;
    send_many(&app, "bob", "1", 6).await; // 12 events; ids 1..=7 pruned
    let reset = |page: &Value| page["resetRequired"] == true && ids(page).is_empty();

    assert!(reset(
        &app.get_json("/events/missed?after=12&epoch=someone-elses", &alice)
            .await
    ));
    assert!(reset(
        &app.get_json("/events/missed?after=99", &alice).await
    ));
    assert!(reset(
        &app.get_json(
            &format!("/events/missed?after=0&epoch={}", app.epoch),
            &alice
        )
        .await
    ));
    assert!(reset(&app.get_json("/events/missed?after=6", &alice).await));
    assert!(reset(
        &app.get_json("/events/missed?since=2000-01-01T00:00:00Z", &alice)
            .await
    ));

    let ok = app
        .get_json(
            &format!("/events/missed?after=7&epoch={}", app.epoch),
            &alice,
        )
        .await;
    assert_eq!(ok["resetRequired"], false);
    assert_eq!(ids(&ok), vec![8, 9, 10, 11, 12]);
    let caught_up = app.get_json("/events/missed?after=12", &alice).await;
    assert_eq!(
        (caught_up["resetRequired"].clone(), ids(&caught_up)),
        (json!(false), vec![])
    );
}

/// Bad query parameters are 400 with the contract's error body.
#[tokio::test]
async fn bad_parameters_are_400() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    for q in [
        "",
        "?after=abc",
        "?after=-1",
        "?since=yesterday",
        "?after=1&since=2026-01-01T00:00:00Z",
        "?after=1&limit=0",
        "?after=1&limit=x",
        "?after=1&after=2",
    ] {
        let r = app.get(&format!("/events/missed{q}"), &alice).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "bad_query".into()),
            "{q}"
        );
    }
    let r = app
        .http
        .get(app.url("/events/missed?after=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// Recent cursors are answered from the events the server keeps in memory, older ones from
/// the log: for every cursor, limit and user, both give the same page.
#[tokio::test]
async fn memory_and_log_give_the_same_pages() {
    use ppt_protocol::missed::{MissedCursor as Cursor, MissedQuery};
    use ppt_protocol::rest::MissedEvents;
    use ppt_server::routes::events::read_page;

    let app = spawn_app().await;
    send_many(&app, "bob", "1", 6).await;
    send_many(&app, "carol", "2", 5).await;
    let martin = app.token("martin").await;
    for i in 0..4 {
        let r = app
            .post(
                "/announcements",
                &martin,
                json!({ "title": format!("a{i}"), "body": "-" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let users = [("alice", 1), ("bob", 2), ("carol", 3), ("martin", 4)];
    let head = app.get_json("/events/missed?after=0", &martin).await["latestId"]
        .as_u64()
        .unwrap();
    assert!(head >= 30, "{head}");
    let storage = &app.state.storage;
    let mut compared = 0;
    for (who, id) in users {
        let token = app.token(who).await;
        for after in 0..=head {
            for limit in [1usize, 7, 500] {
                let served: MissedEvents = app
                    .get(
                        &format!("/events/missed?after={after}&limit={limit}"),
                        &token,
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                let q = MissedQuery {
                    cursor: Cursor::After {
                        id: after,
                        epoch: None,
                    },
                    limit,
                };
                let mut tx = storage.snapshot().await.unwrap();
                let logged = read_page(&mut tx, &q, storage.epoch(), id, 1)
                    .await
                    .unwrap();
                let kept = storage
                    .hub()
                    .recent_page(after, limit, id, 1)
                    .expect("every event of this test is kept in memory");
                assert_eq!(
                    (&kept.events, kept.has_more, kept.latest),
                    (&logged.events, logged.has_more, logged.latest_id),
                    "{who} after {after} limit {limit}: memory and log"
                );
                assert_eq!(served, logged, "{who} after {after} limit {limit}: served");
                compared += 1;
            }
        }
    }
    assert!(compared > 300);
}

/// Cursors at the edges: the largest id (beyond the log: reset, not an overflow), one past it
/// (400), a huge `limit` (capped), an empty epoch (not this log's: reset), a repeated one
/// (400), and `since` in the future (nothing yet, no reset). Never a 500.
#[tokio::test]
async fn edge_cursors() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    send_many(&app, "bob", "1", 2).await;
    let epoch = app.epoch.clone();
    let page = app
        .get_json(
            &format!("/events/missed?after=18446744073709551615&epoch={epoch}"),
            &alice,
        )
        .await;
    assert_eq!(page["resetRequired"], true, "{page}");
    assert_eq!(ids(&page), Vec::<u64>::new());
    for limit in ["1000000", "18446744073709551615"] {
        let page = app
            .get_json(
                &format!("/events/missed?after=0&epoch={epoch}&limit={limit}"),
                &alice,
            )
            .await;
        assert_eq!(page["resetRequired"], false, "{page}");
        assert_eq!(page["hasMore"], false);
        assert!(!ids(&page).is_empty());
    }
    let page = app.get_json("/events/missed?after=1&epoch=", &alice).await;
    assert_eq!(
        page["resetRequired"], true,
        "an empty epoch is not this log's"
    );
    for q in [
        "?after=18446744073709551616".to_owned(),
        format!("?after=1&epoch={epoch}&epoch={epoch}"),
        "?after=1&limit=18446744073709551616".to_owned(),
    ] {
        let r = app.get(&format!("/events/missed{q}"), &alice).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "bad_query".into()),
            "{q}"
        );
    }
    let page = app
        .get_json("/events/missed?since=2999-01-01T00:00:00Z", &alice)
        .await;
    assert_eq!(page["resetRequired"], false, "{page}");
    assert_eq!(ids(&page), Vec::<u64>::new());
    assert_eq!(page["hasMore"], false);
}

/// A missed-events page is read in one snapshot: retention pruning that commits while the
/// page is being read cannot hand the client a gap. The page's first read starts the snapshot;
/// the log is then pruned to nothing; the rest of the page still sees the log as it was, so
/// the page is whole (not a page with its start missing, and not a reset).
#[tokio::test]
async fn a_page_is_read_in_one_snapshot() {
    use ppt_protocol::missed::{MissedCursor as Cursor, MissedQuery};
    use ppt_server::routes::events::read_page;

    let app = spawn_app().await;
    send_many(&app, "bob", "1", 5).await; // 10 events, all Alice's to see
    let storage = &app.state.storage;
    let mut tx = storage.snapshot().await.unwrap();
    let (head, pruned, _) = ppt_server::eventlog::bounds(&mut tx).await.unwrap();
    assert_eq!((head, pruned), (10, 0));
    let through = ppt_server::eventlog::prune(storage.db(), head, 0)
        .await
        .unwrap();
    assert_eq!(through, 10, "everything pruned outside the page's snapshot");
    let q = MissedQuery {
        cursor: Cursor::After { id: 0, epoch: None },
        limit: 500,
    };
    let page = read_page(&mut tx, &q, storage.epoch(), 1, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!page.reset_required);
    assert_eq!(
        page.events
            .iter()
            .map(|e| e.id.unwrap())
            .collect::<Vec<_>>(),
        (1..=10).collect::<Vec<u64>>()
    );
    assert_eq!(page.latest_id, 10);
    // A new read sees the pruned log: the same cursor now asks for a reset.
    let alice = app.token("alice").await;
    let after = app.get_json("/events/missed?after=0&limit=1", &alice).await;
    assert_eq!(after["resetRequired"], true, "{after}");
}

/// Retention is per stream (docs/protocol.md, "Limits"): a flood in Sunny Court 12 (a
/// resident's messages and a manager's announcements, far past the retention) prunes only
/// Sunny Court's streams. Dana of Maple House 3, reconnecting with a cursor from before the
/// flood, gets the events she missed, in order, not `resetRequired`; the flooded residents
/// with that old cursor are told to reset.
#[tokio::test]
async fn a_flood_in_one_building_does_not_reset_another() {
    let app = spawn_app_with(|c| c.event_retention = 10).await;
    let dana = app.login("dana").await;
    let before = app.get_json("/events/missed?after=0", &dana.token).await;
    let cursor = before["latestId"].as_u64().unwrap();
    send_many(&app, "erik", &dana.user.id, 2).await;

    let bob = app.login("bob").await;
    send_many(&app, "alice", &bob.user.id, 60).await;
    let martin = app.token("martin").await;
    for n in 0..15 {
        let r = app
            .post(
                "/announcements",
                &martin,
                json!({ "title": format!("Flood {n}"), "body": "-" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let epoch = &app.epoch;
    let page = app
        .get_json(
            &format!("/events/missed?after={cursor}&epoch={epoch}"),
            &dana.token,
        )
        .await;
    assert_eq!(page["resetRequired"], false, "{page}");
    let got = ids(&page);
    assert_eq!(got.len(), 4, "Erik's two messages, two events each: {page}");
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order: {got:?}");
    assert!(got.iter().all(|id| *id > cursor));
    assert!(page["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["type"] == "message:new" || e["type"] == "entity:created"));

    let flooded = app
        .get_json(
            &format!("/events/missed?after={cursor}&epoch={epoch}"),
            &bob.token,
        )
        .await;
    assert_eq!(flooded["resetRequired"], true, "{flooded}");
    // A recent cursor in the flooded building still catches up.
    let head = flooded["latestId"].as_u64().unwrap();
    let recent = app
        .get_json(
            &format!("/events/missed?after={}&epoch={epoch}", head - 3),
            &bob.token,
        )
        .await;
    assert_eq!(recent["resetRequired"], false, "{recent}");
}

/// Retention by age (`--event-retention-days`): events older than that go at the next prune,
/// and a cursor from before them gets `resetRequired`; newer ones are kept.
#[tokio::test]
async fn old_events_are_pruned_by_age() {
    let app = spawn_app_with(|c| {
        c.event_retention = 1000;
        c.event_retention_days = 1;
    })
    .await;
    let alice = app.token("alice").await;
    send_many(&app, "bob", "1", 3).await; // events 1..=6
    sqlx::query("UPDATE events SET ts = '2000-01-01T00:00:00.000Z' WHERE id <= 4")
        .execute(app.state.storage.pool())
        .await
        .unwrap();
    // The next appends prune (every event is a step at this retention).
    send_many(&app, "bob", "1", 1).await; // events 7, 8
    let epoch = &app.epoch;
    let old = app
        .get_json(&format!("/events/missed?after=2&epoch={epoch}"), &alice)
        .await;
    assert_eq!(old["resetRequired"], true, "{old}");
    let kept = app
        .get_json(&format!("/events/missed?after=4&epoch={epoch}"), &alice)
        .await;
    assert_eq!(kept["resetRequired"], false, "{kept}");
    assert_eq!(ids(&kept), vec![5, 6, 7, 8]);
}

/// `head`: a client without a cursor learns where the log stands (no events, `resetRequired`,
/// the log's `latestId` and `epoch`), then follows it from there with `after`.
#[tokio::test]
async fn head_says_where_the_log_stands() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    send_many(&app, "bob", "1", 2).await; // events 1..=4
    let head = app.get_json("/events/missed?head", &alice).await;
    assert_eq!(head["resetRequired"], true, "{head}");
    assert_eq!(head["latestId"], 4);
    assert_eq!(head["epoch"], app.epoch.as_str());
    assert!(ids(&head).is_empty());
    send_many(&app, "bob", "1", 1).await; // events 5, 6
    let next = app
        .get_json(
            &format!("/events/missed?after=4&epoch={}", app.epoch),
            &alice,
        )
        .await;
    assert_eq!(ids(&next), vec![5, 6]);
    let (status, code) = error_code(app.get("/events/missed?head&after=3", &alice).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad_query")
    );
}
