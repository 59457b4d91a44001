//! Two buildings on one server (the demo world's Sunny Court 12 and Maple House 3): nothing of
//! one is ever visible to the other.

use ppt_protocol::ServerEvent;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn titles(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

/// Lists show each building its own content, and a resident cannot message, vote on, read or
/// change anything of the other building (404, as for anything that does not exist).
#[tokio::test]
async fn lists_and_actions_stay_in_their_building() {
    let app = spawn_app().await;
    let (alice, dana, nora) = (
        app.token("alice").await,
        app.token("dana").await,
        app.token("nora").await,
    );
    let theirs = app.get_json("/announcements", &dana).await;
    assert_eq!(titles(&theirs, "title"), ["Boiler service on Tuesday"]);
    let ours = app.get_json("/announcements", &alice).await;
    assert!(!titles(&ours, "title").contains(&"Boiler service on Tuesday".to_owned()));
    assert_eq!(
        titles(&app.get_json("/faults", &dana).await, "title"),
        ["Front gate squeaks"]
    );
    assert_eq!(
        titles(&app.get_json("/votes", &dana).await, "title"),
        ["Buy a shared cargo bike?"]
    );
    assert_eq!(
        app.get_json("/documents", &dana)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let mut neighbours = titles(&app.get_json("/neighbors", &dana).await, "name");
    neighbours.sort();
    assert_eq!(neighbours, ["Erik Lund", "Nora Manager"]);
    let messages = app.get_json("/messages", &dana).await;
    assert!(messages
        .as_array()
        .unwrap()
        .iter()
        .all(|m| ["5", "6"].contains(&m["fromUserId"].as_str().unwrap())));

    // Across the line: 404 every time.
    let across = [
        app.post("/messages", &dana, json!({ "toUserId": "1", "body": "hi" }))
            .await,
        app.post("/votes/1/ballots", &dana, json!({ "option": "Yes" }))
            .await,
        app.patch("/faults/1", &nora, json!({ "status": "resolved" }))
            .await,
        app.post("/messages/1/read", &dana, json!({})).await,
    ];
    for r in across {
        assert_eq!(
            error_code(r).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
    }
}

/// Events of one building reach only that building's sockets, live and in `/events/missed`.
/// Absence is proven by order: each socket's next event after the other building's change is
/// its own building's marker.
#[tokio::test]
async fn events_stay_in_their_building() {
    let app = spawn_app().await;
    let (alice, dana, martin, nora) = (
        app.token("alice").await,
        app.token("dana").await,
        app.token("martin").await,
        app.token("nora").await,
    );
    let mut alice_s = app.socket(&alice).await;
    let mut dana_s = app.socket(&dana).await;
    for (manager, title) in [(&martin, "Sunny news"), (&nora, "Maple news")] {
        let r = app
            .post(
                "/announcements",
                manager,
                json!({ "title": title, "body": "-" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post(
            "/messages",
            &dana,
            json!({ "toUserId": "6", "body": "Maple only" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Alice: Sunny's announcement (entity, notification), then nothing of Maple's; her next
    // event is a marker from her own building.
    let r = app
        .post(
            "/announcements",
            &martin,
            json!({ "title": "Sunny marker", "body": "-" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut seen = Vec::new();
    loop {
        let e = alice_s.next_event().await;
        let done = matches!(&e.event, ServerEvent::Notification(_, n) if n.title == "Sunny marker");
        seen.push(e);
        if done {
            break;
        }
    }
    assert!(seen.iter().all(|e| match &e.event {
        ServerEvent::Notification(_, n) => n.title.starts_with("Sunny"),
        ServerEvent::Entity(..) => true,
        other => panic!("{other:?}"),
    }));
    assert_eq!(
        seen.len(),
        4,
        "two announcements of her building, two events each"
    );
    // Dana: Maple's announcement, then her message.
    let e = dana_s.next_event().await;
    assert_eq!(e.event.event_type(), "entity:created");
    let e = dana_s.next_event().await;
    assert!(matches!(&e.event, ServerEvent::Notification(_, n) if n.title == "Maple news"));
    assert_eq!(dana_s.next_event().await.event.event_type(), "message:new");

    for (token, mine, not_mine) in [(&alice, "Sunny", "Maple"), (&dana, "Maple", "Sunny")] {
        let page = app.get_json("/events/missed?after=0", token).await;
        let text = page["events"].to_string();
        assert!(text.contains(mine), "{page}");
        assert!(!text.contains(not_mine), "{page}");
    }
}
