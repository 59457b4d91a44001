use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Residents cannot do a manager's actions; managers can.
#[tokio::test]
async fn manager_only_actions() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let martin = app.token("martin").await;
    let r = app
        .post(
            "/announcements",
            &alice,
            json!({ "title": "t", "body": "b" }),
        )
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let r = app
        .post(
            "/votes",
            &alice,
            json!({ "title": "t", "options": ["a", "b"] }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .patch("/faults/1", &alice, json!({ "status": "resolved" }))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = app
        .post(
            "/announcements",
            &martin,
            json!({ "title": "Lift service", "body": "Monday" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post(
            "/votes",
            &martin,
            json!({ "title": "Bike racks?", "options": ["Yes", "No"] }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .patch("/faults/1", &martin, json!({ "status": "resolved" }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fault: serde_json::Value = r.json().await.unwrap();
    assert_eq!(fault["status"], "resolved");
    assert_eq!(fault["version"], 2);
}

/// Residents report faults and vote exactly once; managers do not vote.
#[tokio::test]
async fn residents_report_and_vote_once() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let r = app
        .post(
            "/faults",
            &alice,
            json!({ "title": "Dripping tap", "description": "Laundry room" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post("/votes/1/ballots", &alice, json!({ "option": "No" }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let vote: serde_json::Value = r.json().await.unwrap();
    assert_eq!(vote["myChoice"], "No");
    let r = app
        .post("/votes/1/ballots", &alice, json!({ "option": "Yes" }))
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::CONFLICT, "already_voted".into())
    );
    let r = app
        .post(
            "/votes/1/ballots",
            &app.token("carol").await,
            json!({ "option": "Maybe" }),
        )
        .await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into())
    );
    let r = app
        .post(
            "/votes/1/ballots",
            &app.token("martin").await,
            json!({ "option": "Yes" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post("/votes/999/ballots", &alice, json!({ "option": "Yes" }))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// A message is visible only to its two participants.
#[tokio::test]
async fn messages_are_private_to_their_participants() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.token("alice").await,
        app.token("bob").await,
        app.token("carol").await,
    );
    let r = app
        .post(
            "/messages",
            &bob,
            json!({ "toUserId": "1", "body": "Secret plan" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let sent: serde_json::Value = r.json().await.unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();

    let body_in = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "Secret plan")
    };
    assert!(body_in(&app.get_json("/messages", &alice).await));
    assert!(body_in(&app.get_json("/messages", &bob).await));
    assert!(!body_in(&app.get_json("/messages", &carol).await));

    // Only the recipient may mark it read; to anyone else it does not exist.
    let r = app
        .post(&format!("/messages/{id}/read"), &carol, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post(&format!("/messages/{id}/read"), &bob, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let before = app.get_json("/messages/unread-count", &alice).await["count"]
        .as_u64()
        .unwrap();
    let r = app
        .post(&format!("/messages/{id}/read"), &alice, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: serde_json::Value = r.json().await.unwrap();
    assert_eq!(receipt["conversationId"], "1-2");
    let after = app.get_json("/messages/unread-count", &alice).await["count"]
        .as_u64()
        .unwrap();
    assert!(after < before);
    assert_eq!(receipt["unreadCount"].as_u64().unwrap(), after);
}

/// Sending to oneself, to nobody, or an empty body is refused with a clear error.
#[tokio::test]
async fn bad_messages_are_refused() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    for (body, status) in [
        (
            json!({ "toUserId": "1", "body": "me" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "toUserId": "2", "body": "   " }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "toUserId": "abc", "body": "x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "toUserId": "999", "body": "x" }),
            StatusCode::NOT_FOUND,
        ),
        (json!({ "to": "2" }), StatusCode::BAD_REQUEST),
    ] {
        let r = app.post("/messages", &alice, body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
    }
}

/// Every list of the building is readable by residents and managers alike.
#[tokio::test]
async fn building_lists_are_readable() {
    let app = spawn_app().await;
    for who in ["alice", "martin"] {
        let t = app.token(who).await;
        for path in [
            "/announcements",
            "/faults",
            "/votes",
            "/documents",
            "/neighbors",
            "/messages",
        ] {
            let list = app.get_json(path, &t).await;
            assert!(!list.as_array().unwrap().is_empty(), "{who} {path}");
        }
        let neighbors = app.get_json("/neighbors", &t).await;
        assert_eq!(neighbors.as_array().unwrap().len(), 3, "everyone but me");
    }
}

/// Preferences default sensibly, save, and come back as saved.
#[tokio::test]
async fn preferences_round_trip() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let mut prefs = app.get_json("/notification-preferences", &alice).await;
    assert_eq!(prefs["announcement"]["toast"], true);
    prefs["announcement"]["toast"] = json!(false);
    let r = app
        .http
        .put(app.url("/notification-preferences"))
        .bearer_auth(&alice)
        .json(&prefs)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get_json("/notification-preferences", &alice).await,
        prefs
    );
    let r = app
        .http
        .put(app.url("/notification-preferences"))
        .bearer_auth(&alice)
        .json(&json!({ "message": { "toast": "yes" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
