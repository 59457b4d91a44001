//! `Idempotency-Key` on creates (docs/protocol.md, "Sending twice"): a retry with the same key
//! gets the first answer and creates nothing more; another user's key is theirs; a key used
//! for a different request is refused. Runs on SQLite and PostgreSQL.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Status, whether it says it is a replay, and the body.
async fn answer(r: Response) -> (StatusCode, bool, Value) {
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (r.status(), replayed, r.json().await.unwrap())
}

fn count_titled(list: &Value, title: &str) -> usize {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|i| i["title"] == title)
        .count()
}

/// The same key twice (a retry after a lost answer): the first answer again, status and body,
/// marked as replayed; one fault in the list; no second event on the socket.
#[tokio::test]
async fn a_retry_gets_the_first_answer_and_no_second_event() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let mut socket = app.socket(&alice).await;
    let body = json!({ "title": "Idempotent fault", "description": "-" });
    let first = answer(post_keyed(&app, "/faults", &alice, "retry-1", body.clone()).await).await;
    assert_eq!((first.0, first.1), (StatusCode::CREATED, false));
    let again = answer(post_keyed(&app, "/faults", &alice, "retry-1", body.clone()).await).await;
    assert_eq!((again.0, again.1), (StatusCode::CREATED, true));
    assert_eq!(again.2, first.2, "the first answer, byte for byte");
    let faults = app.get_json("/faults", &alice).await;
    assert_eq!(count_titled(&faults, "Idempotent fault"), 1);
    // The first create's events, then straight to the marker's: nothing from the retry.
    let id = first.2["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/faults",
            &alice,
            json!({ "title": "Marker", "description": "-" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let marker: Value = r.json().await.unwrap();
    let marker = marker["id"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    while seen.last() != Some(&marker) {
        let e = socket.next_event().await;
        match &e.event {
            ppt_protocol::ServerEvent::Entity(_, change) => seen.push(change.id.clone()),
            ppt_protocol::ServerEvent::Notification(_, n) => seen.push(n.notification_id.clone()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen,
        [id.clone(), format!("fault-{id}-v1"), marker.clone()],
        "one create's events, then the marker's"
    );
}

/// Every create takes a key: messages, announcements, votes and ballots (whose answer is 200)
/// replay too.
#[tokio::test]
async fn every_create_replays() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let martin = app.token("martin").await;
    let cases = [
        (
            "/messages",
            &alice,
            json!({ "toUserId": "2", "body": "once" }),
            StatusCode::CREATED,
        ),
        (
            "/announcements",
            &martin,
            json!({ "title": "Once", "body": "-" }),
            StatusCode::CREATED,
        ),
        (
            "/votes",
            &martin,
            json!({ "title": "Once?", "options": ["A", "B"] }),
            StatusCode::CREATED,
        ),
    ];
    for (path, token, body, status) in cases {
        // One key per request: a key names one request (reused for another, it is refused).
        let key = format!("key-for-{path}");
        let first = answer(post_keyed(&app, path, token, &key, body.clone()).await).await;
        let again = answer(post_keyed(&app, path, token, &key, body).await).await;
        assert_eq!((first.0, again.0), (status, status), "{path}: {}", first.2);
        assert_eq!(first.2, again.2, "{path}");
        assert!(again.1, "{path}");
    }
    let vote = app.get_json("/votes", &alice).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/votes/{vote}/ballots");
    let first =
        answer(post_keyed(&app, &path, &alice, "ballot", json!({ "option": "A" })).await).await;
    let again =
        answer(post_keyed(&app, &path, &alice, "ballot", json!({ "option": "A" })).await).await;
    assert_eq!(
        (first.0, again.0, again.1),
        (StatusCode::OK, StatusCode::OK, true)
    );
    assert_eq!(first.2, again.2);
    // Without the key, the second ballot is the usual conflict.
    let r = app.post(&path, &alice, json!({ "option": "A" })).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

/// The same key from another user is theirs: both creates happen.
#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let bob = app.token("bob").await;
    let body = json!({ "title": "Shared key", "description": "-" });
    let a = answer(post_keyed(&app, "/faults", &alice, "same", body.clone()).await).await;
    let b = answer(post_keyed(&app, "/faults", &bob, "same", body).await).await;
    assert_eq!(
        (a.0, a.1, b.0, b.1),
        (StatusCode::CREATED, false, StatusCode::CREATED, false)
    );
    assert_ne!(a.2["id"], b.2["id"]);
    assert_eq!(
        count_titled(&app.get_json("/faults", &alice).await, "Shared key"),
        2
    );
}

/// A key used again for a different request (another body, or another path) is refused with
/// 422 and creates nothing; a malformed key is a 400.
#[tokio::test]
async fn a_key_for_a_different_request_is_refused() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let r = post_keyed(
        &app,
        "/faults",
        &alice,
        "k1",
        json!({ "title": "One", "description": "-" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post_keyed(
        &app,
        "/faults",
        &alice,
        "k1",
        json!({ "title": "Two", "description": "-" }),
    )
    .await;
    assert_eq!(
        error_code(r).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused".into()
        )
    );
    let r = post_keyed(
        &app,
        "/messages",
        &alice,
        "k1",
        json!({ "toUserId": "2", "body": "x" }),
    )
    .await;
    assert_eq!(error_code(r).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count_titled(&app.get_json("/faults", &alice).await, "Two"),
        0
    );
    for bad in [String::new(), "x".repeat(65), "with space".into()] {
        let r = post_keyed(
            &app,
            "/faults",
            &alice,
            &bad,
            json!({ "title": "Bad", "description": "-" }),
        )
        .await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{bad:?}"
        );
    }
    let r = post_keyed(
        &app,
        "/faults",
        &alice,
        &"x".repeat(64),
        json!({ "title": "Long key", "description": "-" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "64 characters are fine");
    // A refused create keeps no answer: the key is free for the corrected request.
    let r = post_keyed(
        &app,
        "/faults",
        &alice,
        "k2",
        json!({ "title": "", "description": "-" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_keyed(
        &app,
        "/faults",
        &alice,
        "k2",
        json!({ "title": "Fixed", "description": "-" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// Five tries with one key at once (a client retrying while the first is still on its way):
/// one create, five equal answers.
#[tokio::test]
async fn concurrent_tries_create_once() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let body = json!({ "title": "Raced", "description": "-" });
    let tries = (0..5).map(|_| post_keyed(&app, "/faults", &alice, "race", body.clone()));
    let answers = futures::future::join_all(tries).await;
    let mut bodies = Vec::new();
    for r in answers {
        let (status, _, body) = answer(r).await;
        assert_eq!(status, StatusCode::CREATED);
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert_eq!(
        count_titled(&app.get_json("/faults", &alice).await, "Raced"),
        1
    );
}

/// An answer is kept for a day: after that the key is new again.
#[tokio::test]
async fn answers_are_kept_for_a_day() {
    let app = spawn_app().await;
    let alice = app.token("alice").await;
    let body = json!({ "title": "Daily", "description": "-" });
    let first = answer(post_keyed(&app, "/faults", &alice, "day", body.clone()).await).await;
    sqlx::query("UPDATE idempotency_keys SET created_at = created_at - 86401")
        .execute(app.state.storage.pool())
        .await
        .unwrap();
    let later = answer(post_keyed(&app, "/faults", &alice, "day", body).await).await;
    assert_eq!((later.0, later.1), (StatusCode::CREATED, false));
    assert_ne!(first.2["id"], later.2["id"]);
}
