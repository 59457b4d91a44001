//! Neighbours change live (docs/protocol.md, "REST"): every change to who lives in a building
//! (`user add`, `user set` with a new name, apartment, role or building, `user remove`) sends
//! `entity:created/updated/deleted` with entity `neighbor` to the buildings concerned, in the
//! same commit as the change. Runs on SQLite and PostgreSQL.

use ppt_protocol::envelope::{EntityAction, EntityChange};
use ppt_protocol::{EntityKind, ServerEvent};
use ppt_server::admin::{self, NewUser, UserChange};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// The next event on `socket`, which must be a `neighbor` change; its action and user id.
async fn neighbor_change(socket: &mut Socket) -> (EntityAction, String) {
    let e = socket.next_event().await;
    match e.event {
        ServerEvent::Entity(
            action,
            EntityChange {
                entity: EntityKind::Neighbor,
                id,
                ..
            },
        ) => (action, id),
        other => panic!("expected a neighbor change, got {other:?}"),
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn who_lives_where_changes_live() {
    let app = spawn_app_with(|c| c.log_poll_ms = 20).await;
    let db = app.state.storage.db();
    let alice = app.token("alice").await;
    let dana = app.token("dana").await;
    let mut sunny = app.socket(&alice).await;
    let mut maple = app.socket(&dana).await;

    // A newcomer in Sunny Court 12: Alice's building hears of it; it is already listed.
    let newcomer = NewUser {
        email: "olga@demo.ppt".into(),
        name: "Olga Berg".into(),
        apartment: "5E".into(),
        role: "resident".into(),
    };
    let id = admin::add_user(db, "Sunny Court 12", &newcomer, "password123")
        .await
        .unwrap()
        .to_string();
    assert_eq!(
        neighbor_change(&mut sunny).await,
        (EntityAction::Created, id.clone())
    );
    assert!(names(&app.get_json("/neighbors", &alice).await).contains(&"Olga Berg".to_owned()));

    // Renamed, then a new apartment: updated, each listed as it is by the time it arrives.
    let renamed = UserChange {
        name: Some("Olga Berg-Lind"),
        ..UserChange::default()
    };
    admin::change_user(db, "olga@demo.ppt", &renamed)
        .await
        .unwrap();
    assert_eq!(
        neighbor_change(&mut sunny).await,
        (EntityAction::Updated, id.clone())
    );
    assert!(names(&app.get_json("/neighbors", &alice).await).contains(&"Olga Berg-Lind".to_owned()));
    admin::set_user(db, "olga@demo.ppt", Some("manager"), None)
        .await
        .unwrap();
    assert_eq!(
        neighbor_change(&mut sunny).await,
        (EntityAction::Updated, id.clone())
    );

    // Moved to Maple House 3: gone from one building, arrived in the other.
    admin::set_user(db, "olga@demo.ppt", None, Some("Maple House 3"))
        .await
        .unwrap();
    assert_eq!(
        neighbor_change(&mut sunny).await,
        (EntityAction::Deleted, id.clone())
    );
    assert_eq!(
        neighbor_change(&mut maple).await,
        (EntityAction::Created, id.clone())
    );
    assert!(
        !names(&app.get_json("/neighbors", &alice).await).contains(&"Olga Berg-Lind".to_owned())
    );
    assert!(names(&app.get_json("/neighbors", &dana).await).contains(&"Olga Berg-Lind".to_owned()));

    // Moved out: Maple House hears of it; she signs in no more and gets no messages.
    admin::remove_user(db, "olga@demo.ppt").await.unwrap();
    assert_eq!(
        neighbor_change(&mut maple).await,
        (EntityAction::Deleted, id.clone())
    );
    assert!(!names(&app.get_json("/neighbors", &dana).await).contains(&"Olga Berg-Lind".to_owned()));
    let r = app.post_login("olga@demo.ppt", "password123").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .post(
            "/messages",
            &dana,
            serde_json::json!({ "toUserId": id, "body": "still there?" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        admin::remove_user(db, "olga@demo.ppt").await.is_err(),
        "once"
    );
}
