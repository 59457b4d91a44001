//! Golden JSON: the exact field names and shapes of docs/protocol.md.

use ppt_protocol::close::CloseCode;
use ppt_protocol::envelope::{
    Authenticated, EntityAction, EntityChange, MessageNew, MessageRead, Notification,
};
use ppt_protocol::rest::{
    ApiError, Message, NotificationCategory, NotificationPreferences, Role, User,
};
use ppt_protocol::{ClientFrame, EntityKind, Envelope, QueryKey, ServerEvent, Timestamp};
use serde_json::{json, Value};

fn ts() -> Timestamp {
    Timestamp("2026-11-26T12:00:00.123Z".into())
}

fn to_value(e: &Envelope) -> Value {
    serde_json::from_str(&e.to_json()).unwrap()
}

/// A `message:new` envelope has exactly the contract's field names, camelCase, with `id`.
#[test]
fn message_new_envelope_matches_contract() {
    let env = Envelope {
        event: ServerEvent::MessageNew(MessageNew {
            message: Message {
                id: "7".into(),
                conversation_id: "1-2".into(),
                from_user_id: "2".into(),
                from_name: "Bob".into(),
                to_user_id: "1".into(),
                body: "Hi".into(),
                sent_at: ts(),
                read: false,
            },
        }),
        timestamp: ts(),
        request_id: Some("r-1".into()),
        id: Some(1234),
        prev_id: None,
    };
    assert_eq!(
        to_value(&env),
        json!({
            "type": "message:new",
            "payload": { "message": {
                "id": "7", "conversationId": "1-2", "fromUserId": "2", "fromName": "Bob",
                "toUserId": "1", "body": "Hi", "sentAt": "2026-11-26T12:00:00.123Z", "read": false
            }},
            "timestamp": "2026-11-26T12:00:00.123Z",
            "requestId": "r-1",
            "id": 1234
        })
    );
    assert_eq!(Envelope::from_json(&env.to_json()).unwrap(), env);
}

/// Control frames carry neither `id` nor `requestId`.
#[test]
fn control_frames_have_no_id() {
    let env = Envelope::control(
        ServerEvent::Authenticated(Authenticated {
            user_id: "1".into(),
            last_event_id: 9,
            epoch: "e1".into(),
            server_time: ts(),
        }),
        ts(),
    );
    assert_eq!(
        to_value(&env),
        json!({
            "type": "connection:authenticated",
            "payload": { "userId": "1", "lastEventId": 9, "epoch": "e1",
                         "serverTime": "2026-11-26T12:00:00.123Z" },
            "timestamp": "2026-11-26T12:00:00.123Z"
        })
    );
    let pong = Envelope::control(ServerEvent::Pong, ts());
    assert_eq!(to_value(&pong)["type"], "pong");
    assert!(to_value(&pong).get("id").is_none());
}

/// Every event type round-trips under its contract name.
#[test]
fn every_event_type_has_its_contract_name() {
    let n = Notification {
        notification_id: "n1".into(),
        title: "t".into(),
        body: "b".into(),
        entity_id: "3".into(),
        link: "/faults/3".into(),
    };
    let change = EntityChange {
        entity: EntityKind::Fault,
        id: "3".into(),
        version: Some(2),
    };
    let cases = [
        (
            ServerEvent::MessageRead(MessageRead {
                conversation_id: "1-2".into(),
                unread_count: 0,
            }),
            "message:read",
        ),
        (
            ServerEvent::Notification(NotificationCategory::Announcement, n.clone()),
            "notification:announcement",
        ),
        (
            ServerEvent::Notification(NotificationCategory::Fault, n.clone()),
            "notification:fault",
        ),
        (
            ServerEvent::Notification(NotificationCategory::Vote, n),
            "notification:vote",
        ),
        (
            ServerEvent::Entity(EntityAction::Created, change.clone()),
            "entity:created",
        ),
        (
            ServerEvent::Entity(EntityAction::Updated, change.clone()),
            "entity:updated",
        ),
        (
            ServerEvent::Entity(EntityAction::Deleted, change),
            "entity:deleted",
        ),
        (ServerEvent::Pong, "pong"),
    ];
    for (event, name) in cases {
        let env = Envelope {
            event,
            timestamp: ts(),
            request_id: None,
            id: Some(5),
            prev_id: None,
        };
        let v = to_value(&env);
        assert_eq!(v["type"], name);
        assert_eq!(Envelope::from_json(&env.to_json()).unwrap(), env, "{name}");
    }
}

/// `entity:*` payloads are `{ entity, id, version? }` with lowercase entity names.
#[test]
fn entity_payload_shape() {
    let env = Envelope {
        event: ServerEvent::Entity(
            EntityAction::Deleted,
            EntityChange {
                entity: EntityKind::Neighbor,
                id: "4".into(),
                version: None,
            },
        ),
        timestamp: ts(),
        request_id: None,
        id: Some(1),
        prev_id: None,
    };
    assert_eq!(
        to_value(&env)["payload"],
        json!({ "entity": "neighbor", "id": "4" })
    );
}

/// Unknown types and unknown fields are accepted and kept aside, never an error.
#[test]
fn unknown_types_and_fields_are_ignored() {
    let env = Envelope::from_json(
        r#"{"type":"poll:closed","payload":{"x":1},"timestamp":"2026-11-26T12:00:00.000Z","extra":true}"#,
    )
    .unwrap();
    assert_eq!(env.event.event_type(), "poll:closed");
    assert!(matches!(env.event, ServerEvent::Unknown { .. }));
    assert_eq!(env.id, None);
    // Passed on as it came (a tab relays events it does not know to the others).
    assert_eq!(to_value(&env)["payload"], json!({ "x": 1 }));
    assert_eq!(Envelope::from_json(&env.to_json()).unwrap(), env);

    let env = Envelope::from_json(
        r#"{"type":"entity:updated","payload":{"entity":"fault","id":"1","future":[1]},"timestamp":"2026-11-26T12:00:00.000Z","id":3,"shard":"a"}"#,
    )
    .unwrap();
    assert_eq!(env.id, Some(3));
}

/// The payload may come before `type`; it is read into its type once `type` is known.
#[test]
fn payload_before_type() {
    let env = Envelope::from_json(
        r#"{"payload":{"conversationId":"c","unreadCount":2},"id":9,"type":"message:read","timestamp":"2026-11-26T12:00:00.000Z"}"#,
    )
    .unwrap();
    assert_eq!(
        env.event,
        ServerEvent::MessageRead(ppt_protocol::envelope::MessageRead {
            conversation_id: "c".into(),
            unread_count: 2
        })
    );
    assert!(Envelope::from_json(r#"{"payload":{"unreadCount":2},"type":"message:read"}"#).is_err());
}

/// A frame from a server of the original design (no `id`) parses, with `id` absent.
#[test]
fn original_format_without_id_parses() {
    let env = Envelope::from_json(
        r#"{"type":"notification:vote","payload":{"notificationId":"n","title":"t","body":"b","entityId":"1","link":"/votes"},"timestamp":"2026-11-26T12:00:00.000Z","requestId":"abc"}"#,
    )
    .unwrap();
    assert_eq!(env.id, None);
    assert_eq!(env.request_id.as_deref(), Some("abc"));
}

/// The client's frames are `auth` with `payload.token` and a bare `ping`.
#[test]
fn client_frames_match_contract() {
    let auth: Value =
        serde_json::from_str(&ClientFrame::auth("jwt", Some(ts())).to_json()).unwrap();
    assert_eq!(
        auth,
        json!({ "type": "auth", "payload": { "token": "jwt" }, "timestamp": "2026-11-26T12:00:00.123Z" })
    );
    let ping: Value = serde_json::from_str(&ClientFrame::ping().to_json()).unwrap();
    assert_eq!(ping, json!({ "type": "ping" }));
    assert_eq!(
        ClientFrame::from_json(r#"{"type":"ping"}"#).unwrap(),
        ClientFrame::ping()
    );
    assert!(ClientFrame::from_json(r#"{"type":"subscribe"}"#).is_err());
    assert!(ClientFrame::from_json("not json").is_err());
}

/// Close codes map both ways.
#[test]
fn close_codes() {
    for code in [1000, 1001, 1008, 1013, 4401, 4403, 4408, 4429, 4000] {
        assert_eq!(CloseCode::from_code(code).code(), code);
    }
    assert_eq!(CloseCode::from_code(4401), CloseCode::Unauthorized);
}

/// REST bodies: the user, the error body and preferences keep the contract's names.
#[test]
fn rest_bodies_match_contract() {
    let user = User {
        id: "1".into(),
        name: "Alice".into(),
        email: "alice@demo.ppt".into(),
        role: Role::Resident,
        building_name: String::new(),
    };
    assert_eq!(
        serde_json::to_value(&user).unwrap(),
        json!({ "id": "1", "name": "Alice", "email": "alice@demo.ppt", "role": "resident" })
    );
    let with_building = User {
        building_name: "Maple House 3".into(),
        ..user.clone()
    };
    assert_eq!(
        serde_json::to_value(&with_building).unwrap()["buildingName"],
        "Maple House 3"
    );
    let err: ApiError =
        serde_json::from_value(json!({ "error": { "code": "bad_request", "message": "m" } }))
            .unwrap();
    assert_eq!(err.error.code, "bad_request");
    let prefs = serde_json::to_value(NotificationPreferences::default()).unwrap();
    for cat in ["message", "announcement", "fault", "vote"] {
        assert_eq!(
            prefs[cat],
            json!({ "toast": true, "sound": true, "browser": false })
        );
    }
}

/// A key invalidates every key it prefixes and nothing else.
#[test]
fn query_key_prefix_matching() {
    let faults = QueryKey::new(["faults"]);
    assert!(faults.is_prefix_of(&QueryKey::new(["faults", "42"])));
    assert!(faults.is_prefix_of(&faults));
    assert!(!faults.is_prefix_of(&QueryKey::new(["fault"])));
    assert!(!QueryKey::new(["faults", "42"]).is_prefix_of(&faults));
    assert_eq!(
        ppt_protocol::query::key_for_entity(EntityKind::Neighbor),
        QueryKey::new(["neighbors"])
    );
}

/// The missed-events query string, exactly as clients send it and the server reads it.
#[test]
fn missed_query_strings() {
    use ppt_protocol::missed::{MissedCursor, MissedQuery, DEFAULT_LIMIT, MAX_LIMIT};
    let after = MissedQuery {
        cursor: MissedCursor::After {
            id: 41,
            epoch: Some("e 1/+&=".into()),
        },
        limit: 500,
    };
    assert_eq!(
        after.to_query_string(),
        "after=41&epoch=e+1%2F%2B%26%3D&limit=500"
    );
    let since = MissedQuery {
        cursor: MissedCursor::Since("2026-11-26T12:00:00.123+01:00".into()),
        limit: 10,
    };
    assert_eq!(
        since.to_query_string(),
        "since=2026-11-26T12%3A00%3A00.123%2B01%3A00&limit=10"
    );
    let no_epoch = MissedQuery {
        cursor: MissedCursor::After { id: 0, epoch: None },
        limit: 1,
    };
    assert_eq!(no_epoch.to_query_string(), "after=0&limit=1");
    let head = MissedQuery {
        cursor: MissedCursor::Head,
        limit: 1,
    };
    assert_eq!(head.to_query_string(), "head=&limit=1");
    assert_eq!(
        MissedQuery::from_query_string("head").unwrap().cursor,
        MissedCursor::Head
    );
    for q in [after, since, no_epoch, head] {
        assert_eq!(
            MissedQuery::from_query_string(&q.to_query_string()),
            Ok(q.clone())
        );
    }
    // The limit defaults and is capped; unknown parameters are ignored.
    let q = MissedQuery::from_query_string("after=5&x=1").unwrap();
    assert_eq!(q.limit, DEFAULT_LIMIT);
    let q = MissedQuery::from_query_string("after=5&limit=5000").unwrap();
    assert_eq!(q.limit, MAX_LIMIT);
    for bad in [
        "",
        "after=x",
        "after=-1",
        "after=1&since=2026-11-26T12:00:00Z",
        "after=1&limit=0",
        "after=1&limit=ten",
        "after=1&after=2",
        "head&after=1",
        "head&since=2026-11-26T12:00:00Z",
        "head=yes",
    ] {
        assert!(MissedQuery::from_query_string(bad).is_err(), "{bad:?}");
    }
}

/// Each recipient's copy of a frame gets `prevId` as its last field, and reads back with it.
#[test]
fn prev_id_is_spliced_into_a_written_frame() {
    use ppt_protocol::envelope::with_prev_id;
    let env = Envelope {
        event: ServerEvent::Entity(
            EntityAction::Updated,
            EntityChange {
                entity: EntityKind::Fault,
                id: "3".into(),
                version: Some(2),
            },
        ),
        timestamp: ts(),
        request_id: None,
        id: Some(9),
        prev_id: None,
    };
    let copy = with_prev_id(&env.to_json(), 7);
    assert_eq!(
        copy,
        r#"{"type":"entity:updated","payload":{"entity":"fault","id":"3","version":2},"timestamp":"2026-11-26T12:00:00.123Z","id":9,"prevId":7}"#
    );
    assert_eq!(
        Envelope::from_json(&copy).unwrap(),
        Envelope {
            prev_id: Some(7),
            ..env
        }
    );
    assert_eq!(with_prev_id("{}", 0), r#"{"prevId":0}"#);
    assert_eq!(with_prev_id("not json", 1), "not json");
}

/// Every kind of frame, byte for byte as it has always gone over the wire (field order,
/// no spaces, optional fields left out): a change of codec may not change one byte of it.
#[test]
fn wire_texts_byte_for_byte() {
    let texts = [
        r#"{"type":"message:new","payload":{"message":{"id":"7","conversationId":"1-2","fromUserId":"2","fromName":"Bob","toUserId":"1","body":"Hi \"you\"\n","sentAt":"2026-11-26T12:00:00.123Z","read":false}},"timestamp":"2026-11-26T12:00:00.123Z","requestId":"r-1","id":1234}"#,
        r#"{"type":"message:read","payload":{"conversationId":"1-2","unreadCount":0},"timestamp":"2026-11-26T12:00:00.123Z","id":5,"prevId":4}"#,
        r#"{"type":"notification:announcement","payload":{"notificationId":"n1","title":"Water off","body":"Tue 9–12","entityId":"3","link":"/announcements"},"timestamp":"2026-11-26T12:00:00.123Z","id":6}"#,
        r#"{"type":"notification:fault","payload":{"notificationId":"n2","title":"t","body":"b","entityId":"3","link":"/faults/3"},"timestamp":"2026-11-26T12:00:00.123Z","id":7}"#,
        r#"{"type":"notification:vote","payload":{"notificationId":"n3","title":"t","body":"b","entityId":"1","link":"/votes"},"timestamp":"2026-11-26T12:00:00.123Z","id":8}"#,
        r#"{"type":"entity:created","payload":{"entity":"fault","id":"3","version":1},"timestamp":"2026-11-26T12:00:00.123Z","id":9}"#,
        r#"{"type":"entity:updated","payload":{"entity":"announcement","id":"3","version":2},"timestamp":"2026-11-26T12:00:00.123Z","id":10}"#,
        r#"{"type":"entity:deleted","payload":{"entity":"neighbor","id":"4"},"timestamp":"2026-11-26T12:00:00.123Z","id":11}"#,
        r#"{"type":"connection:authenticated","payload":{"userId":"1","lastEventId":9,"epoch":"e1","serverTime":"2026-11-26T12:00:00.123Z"},"timestamp":"2026-11-26T12:00:00.123Z"}"#,
        r#"{"type":"connection:error","payload":{"code":"auth_failed","message":"token expired"},"timestamp":"2026-11-26T12:00:00.123Z"}"#,
        r#"{"type":"pong","payload":null,"timestamp":"2026-11-26T12:00:00.123Z"}"#,
        r#"{"type":"preferences:updated","payload":{"message":{"toast":true,"sound":false,"browser":false},"announcement":{"toast":true,"sound":true,"browser":false},"fault":{"toast":false,"sound":false,"browser":true},"vote":{"toast":true,"sound":true,"browser":false}},"timestamp":"2026-11-26T12:00:00.123Z","id":12}"#,
        r#"{"type":"poll:closed","payload":{"z":1, "a":[true]},"timestamp":"2026-11-26T12:00:00.123Z","id":13}"#,
    ];
    for text in texts {
        let env = Envelope::from_json(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(env.to_json(), text);
    }
    assert_eq!(
        ClientFrame::auth("jwt", Some(ts())).to_json(),
        r#"{"type":"auth","payload":{"token":"jwt"},"timestamp":"2026-11-26T12:00:00.123Z"}"#
    );
    assert_eq!(ClientFrame::ping().to_json(), r#"{"type":"ping"}"#);
}
