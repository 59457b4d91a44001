//! Deleting (docs/protocol.md, "REST"): who may delete what, the 204, the `entity:deleted` event
//! to the building (and not beyond it), and the row gone from its list.

use ppt_protocol::{EntityKind, ServerEvent};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// The first item's id in a list.
async fn first_id(app: &TestApp, path: &str, token: &str) -> String {
    app.get_json(path, token).await[0]["id"]
        .as_str()
        .expect("an item to delete")
        .to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Expects the next event on `socket` to be `entity:deleted` of `kind` `id`, stamped with the
/// request's id.
async fn expect_deleted(socket: &mut Socket, kind: EntityKind, id: &str) {
    let e = socket.next_event().await;
    assert_eq!(e.event.event_type(), "entity:deleted", "{e:?}");
    let ServerEvent::Entity(_, change) = &e.event else {
        panic!("{e:?}")
    };
    assert_eq!((change.entity, change.id.as_str()), (kind, id));
    assert_eq!(e.request_id.as_deref(), Some("delete-test"));
}

/// A manager deletes an announcement, a vote (with its ballots) and a document: 204, the
/// building's sockets get `entity:deleted`, the lists no longer hold them, and a second
/// delete is a 404. Residents may not (403); another building's manager cannot see them (404).
#[tokio::test]
async fn managers_delete_announcements_votes_and_documents() {
    let app = spawn_app().await;
    let martin = app.token("martin").await;
    let alice = app.token("alice").await;
    let nora = app.token("nora").await;
    let mut alices = app.socket(&alice).await;
    let mut danas = app.socket(&app.token("dana").await).await;
    // A ballot on the vote: deleting the vote takes its ballots with it.
    let vote = first_id(&app, "/votes", &alice).await;
    let options = app.get_json("/votes", &alice).await[0]["options"].clone();
    let option = options[0]["label"]
        .as_str()
        .or(options[0].as_str())
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/votes/{vote}/ballots"),
            &alice,
            json!({ "option": option }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    while alices.next_event().await.event.event_type() != "entity:updated" {}
    for (path, kind) in [
        ("/announcements", EntityKind::Announcement),
        ("/votes", EntityKind::Vote),
        ("/documents", EntityKind::Document),
    ] {
        let id = first_id(&app, path, &alice).await;
        let item = format!("{path}/{id}");
        let (status, code) = error_code(app.delete(&item, &alice).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{item}"
        );
        let (status, _) = error_code(app.delete(&item, &nora).await).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{item} from another building"
        );
        assert_eq!(
            app.delete(&item, &martin).await.status(),
            StatusCode::NO_CONTENT
        );
        expect_deleted(&mut alices, kind, &id).await;
        assert!(
            !ids(&app.get_json(path, &alice).await).contains(&id),
            "{item}"
        );
        let (status, code) = error_code(app.delete(&item, &martin).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{item} again"
        );
    }
    // Nothing reached the other building.
    danas.send_frame(&ppt_protocol::ClientFrame::ping()).await;
    let next = danas.next_envelope().await.unwrap();
    assert_eq!(next.event.event_type(), "pong", "{next:?}");
    // Unreadable ids are the error body, not a 500.
    for bad in ["abc", "0", "-1", "99999999999999999999"] {
        let r = app.delete(&format!("/announcements/{bad}"), &martin).await;
        assert!(r.status().is_client_error(), "{bad}: {}", r.status());
        error_code(r).await;
    }
}

/// A fault is deleted by its reporter while it is open, never by another resident, and by a
/// manager in any state.
#[tokio::test]
async fn faults_are_deleted_by_their_reporter_while_open_or_by_managers() {
    let app = spawn_app().await;
    let (alice, bob, martin) = (
        app.token("alice").await,
        app.token("bob").await,
        app.token("martin").await,
    );
    let mut carols = app.socket(&app.token("carol").await).await;
    let report = |title: &'static str| {
        let (app, alice) = (&app, alice.clone());
        async move {
            let r = app
                .post(
                    "/faults",
                    &alice,
                    json!({ "title": title, "description": "-" }),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mine = report("Dripping tap").await;
    let handled = report("Broken lift").await;
    let r = app
        .patch(
            &format!("/faults/{handled}"),
            &martin,
            json!({ "status": "in_progress" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Skip what reporting and the status change sent.
    let until = |e: &ppt_protocol::Envelope, id: &str| matches!(&e.event, ServerEvent::Entity(_, c) if c.id == id && e.event.event_type() == "entity:updated");
    loop {
        let e = carols.next_event().await;
        if until(&e, &handled) {
            break;
        }
    }
    let (status, _) = error_code(app.delete(&format!("/faults/{mine}"), &bob).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another resident");
    let (status, _) = error_code(app.delete(&format!("/faults/{handled}"), &alice).await).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "being handled: the reporter no longer may"
    );
    assert_eq!(
        app.delete(&format!("/faults/{mine}"), &alice)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_deleted(&mut carols, EntityKind::Fault, &mine).await;
    assert_eq!(
        app.delete(&format!("/faults/{handled}"), &martin)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_deleted(&mut carols, EntityKind::Fault, &handled).await;
    let left = ids(&app.get_json("/faults", &alice).await);
    assert!(
        !left.contains(&mine) && !left.contains(&handled),
        "{left:?}"
    );
}
