//! The app's JSON against serde_json: the same texts accepted and refused, the same values
//! read, the same text written, for every wire type and for JSON itself.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::*;
use crate::client::ClientFrame;
use crate::envelope::*;
use crate::rest::*;

/// Reads `text` both ways; when serde reads it, this reads the same value and writes what
/// serde writes; when serde refuses it, so does this.
fn agree<T>(text: &str)
where
    T: DeserializeOwned + Serialize + ReadJson + WriteJson + PartialEq + Debug,
{
    let theirs = serde_json::from_str::<T>(text);
    let ours = read::<T>(text);
    match (theirs, ours) {
        (Ok(theirs), Ok(ours)) => {
            assert_eq!(ours, theirs, "{text}");
            assert_eq!(
                write(&ours),
                serde_json::to_string(&theirs).unwrap(),
                "{text}"
            );
        }
        (Err(_), Err(_)) => {}
        (theirs, ours) => panic!("{text}: serde_json {theirs:?}, ours {ours:?}"),
    }
}

const TS: &str = r#""2026-11-26T12:00:00.123Z""#;

#[test]
fn every_rest_body_reads_and_writes_as_serde() {
    let user = r#"{"id":"1","name":"Ann \"A\"","email":"a@x","role":"manager"}"#;
    agree::<User>(user);
    agree::<User>(r#"{"id":"1","name":"Ann","email":"a@x","role":"mayor"}"#);
    agree::<User>(r#"{"id":"1","name":"Ann","email":"a@x"}"#);
    agree::<User>(r#"{"id":1,"name":"Ann","email":"a@x","role":"resident"}"#);
    agree::<LoginRequest>(r#"{"email":"a@x","password":"p\u00e9\n"}"#);
    agree::<LoginResponse>(&format!(r#"{{"token":"t","user":{user},"expiresIn":900}}"#));
    agree::<LoginResponse>(&format!(r#"{{"user":{user},"token":"t"}}"#));
    let message = format!(
        r#"{{"id":"7","conversationId":"1-2","fromUserId":"2","fromName":"Bob","toUserId":"1","body":"Hi ✓","sentAt":{TS},"read":true}}"#
    );
    agree::<Message>(&message);
    agree::<Vec<Message>>(&format!("[{message},{message}]"));
    agree::<Vec<Message>>("[]");
    agree::<Vec<Message>>(r#"[{"id":"7"}]"#);
    agree::<SendMessageRequest>(r#"{"toUserId":"2","body":"b"}"#);
    agree::<UnreadCount>(r#"{"count":18446744073709551615}"#);
    agree::<UnreadCount>(r#"{"count":18446744073709551616}"#);
    agree::<UnreadCount>(r#"{"count":-1}"#);
    agree::<UnreadCount>(r#"{"count":1.5}"#);
    agree::<ReadReceipt>(r#"{"conversationId":"c","unreadCount":0}"#);
    agree::<Vec<Announcement>>(&format!(
        r#"[{{"id":"1","title":"t","body":"b","authorName":"M","createdAt":{TS},"version":2}}]"#
    ));
    agree::<CreateAnnouncement>(r#"{"title":"t","body":"b"}"#);
    for status in ["open", "in_progress", "resolved", "closed", "lost"] {
        agree::<Vec<Fault>>(&format!(
            r#"[{{"id":"1","title":"t","description":"d","status":"{status}","reporterId":"2","reporterName":"R","createdAt":{TS},"updatedAt":{TS},"version":1}}]"#
        ));
    }
    agree::<ReportFault>(r#"{"title":"t","description":"d"}"#);
    agree::<UpdateFault>(r#"{"status":"resolved"}"#);
    agree::<Vec<Vote>>(&format!(
        r#"[{{"id":"1","title":"t","options":[{{"label":"a","count":2}}],"myChoice":null,"createdAt":{TS},"version":1}},{{"id":"2","title":"t","options":[],"myChoice":"a","createdAt":{TS},"version":1}}]"#
    ));
    agree::<OpenVote>(r#"{"title":"t","options":["a","b"]}"#);
    agree::<CastBallot>(r#"{"option":"a"}"#);
    agree::<Vec<Document>>(&format!(
        r#"[{{"id":"1","title":"t","url":"/static/docs/a.pdf","uploadedAt":{TS}}}]"#
    ));
    agree::<Vec<Neighbor>>(r#"[{"id":"1","name":"n","apartment":"2B","role":"resident"}]"#);
    agree::<NotificationPreferences>("{}");
    agree::<NotificationPreferences>(
        r#"{"fault":{"toast":false,"sound":true,"browser":true},"vote":{"toast":true,"sound":false,"browser":false},"extra":[1]}"#,
    );
    agree::<NotificationPreferences>(r#"{"fault":{"toast":true}}"#);
    agree::<ApiError>(
        r#"{"error":{"code":"validation","message":"m","fields":{"b":"x","a":"y"}}}"#,
    );
    agree::<ApiError>(r#"{"error":{"code":"c","message":"m"}}"#);
    agree::<MissedEvents>(&format!(
        r#"{{"events":[{{"type":"message:read","payload":{{"conversationId":"c","unreadCount":0}},"timestamp":{TS},"id":4}}],"hasMore":false,"latestId":4,"epoch":"e","resetRequired":false}}"#
    ));
}

#[test]
fn every_envelope_reads_and_writes_as_serde() {
    let frames = [
        format!(
            r#"{{"type":"message:new","payload":{{"message":{{"id":"7","conversationId":"1-2","fromUserId":"2","fromName":"Bob","toUserId":"1","body":"Hi","sentAt":{TS},"read":false}}}},"timestamp":{TS},"requestId":"r-1","id":1234}}"#
        ),
        format!(
            r#"{{"payload":{{"conversationId":"c","unreadCount":2}},"id":9,"type":"message:read","timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"notification:vote","payload":{{"notificationId":"n","title":"t","body":"b","entityId":"1","link":"/votes"}},"timestamp":{TS},"requestId":"abc"}}"#
        ),
        format!(
            r#"{{"type":"notification:fault","payload":{{"notificationId":"n","title":"t","body":"b","entityId":"1","link":"/faults"}},"timestamp":{TS},"id":3,"prevId":1}}"#
        ),
        format!(
            r#"{{"type":"notification:announcement","payload":{{"notificationId":"n","title":"t","body":"b","entityId":"1","link":"/"}},"timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"entity:created","payload":{{"entity":"fault","id":"1","version":3}},"timestamp":{TS},"id":3}}"#
        ),
        format!(
            r#"{{"type":"entity:updated","payload":{{"entity":"vote","id":"1"}},"timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"entity:deleted","payload":{{"entity":"neighbor","id":"1","future":[1]}},"timestamp":{TS},"shard":"a"}}"#
        ),
        format!(
            r#"{{"type":"entity:deleted","payload":{{"entity":"spaceship","id":"1"}},"timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"connection:authenticated","payload":{{"userId":"1","lastEventId":5,"epoch":"e","serverTime":{TS}}},"timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"connection:error","payload":{{"code":"auth","message":"m"}},"timestamp":{TS}}}"#
        ),
        format!(r#"{{"type":"pong","timestamp":{TS}}}"#),
        format!(r#"{{"type":"pong","payload":null,"timestamp":{TS}}}"#),
        format!(
            r#"{{"type":"preferences:updated","payload":{{"message":{{"toast":false,"sound":false,"browser":false}}}},"timestamp":{TS}}}"#
        ),
        format!(
            r#"{{"type":"poll:closed","payload":{{"x":[1,{{"y":null}}]}},"timestamp":{TS},"extra":true}}"#
        ),
        format!(r#"{{"type":"poll:closed","timestamp":{TS}}}"#),
        r#"{"type":"pong"}"#.to_owned(),
        r#"{"type":"message:read","payload":{"unreadCount":2}}"#.to_owned(),
        r#"{"payload":{}}"#.to_owned(),
        r#"{"type":"pong","timestamp":null}"#.to_owned(),
        r#"{"type":"pong"}{"#.to_owned(),
        r#"{"type":"pong",}"#.to_owned(),
    ];
    for frame in &frames {
        agree::<Envelope>(frame);
    }
    agree::<Vec<Envelope>>(&format!("[{}]", frames[..6].join(",")));
}

#[test]
fn client_frames_are_written_as_serde_writes_them() {
    let frames = [
        ClientFrame::auth("t\"ok", None),
        ClientFrame::auth("t", Some(Timestamp("2026-11-26T12:00:00.000Z".into()))),
        ClientFrame::ping(),
        ClientFrame::Ping {
            timestamp: Some(Timestamp("x".into())),
        },
    ];
    for frame in frames {
        assert_eq!(write(&frame), serde_json::to_string(&frame).unwrap());
    }
}

/// JSON itself: what serde_json accepts as a value, the reader accepts (and skips to its
/// end); what it refuses, the reader refuses.
#[test]
fn accepts_and_refuses_what_serde_json_does() {
    let texts = [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "12",
        "-12",
        "1.5",
        "1e5",
        "1E+5",
        "1.5e-3",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "NaN",
        "\"\"",
        "\"a\\u00e9\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\x\"",
        "\"tab\tin\"",
        "\"\\/\\b\\f\\n\\r\\t\"",
        "[]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1:1}",
        " { \"a\" : [ 1 , { } , [ ] ] } ",
        "nul",
        "tru",
        "[",
        "{",
        "\"open",
        "",
        "  ",
        "[1]]",
        "{\"a\":1}}",
    ];
    for text in texts {
        let theirs = serde_json::from_str::<serde_json::Value>(text).is_ok();
        let ours = RawJson::from_text(text.to_owned()).is_ok();
        assert_eq!(ours, theirs, "{text:?}");
    }
    let deep = "[".repeat(MAX_DEPTH as usize + 1) + &"]".repeat(MAX_DEPTH as usize + 1);
    assert!(RawJson::from_text(deep).is_err());
    let fits = "[".repeat(MAX_DEPTH as usize) + &"]".repeat(MAX_DEPTH as usize);
    assert!(RawJson::from_text(fits).is_ok());
}

#[test]
fn strings_are_escaped_and_unescaped_as_serde_json_does() {
    let mut every: String = (0u8..0x80).map(char::from).collect();
    every.push_str("é✓😀\u{2028}");
    assert_eq!(write(&every), serde_json::to_string(&every).unwrap());
    assert_eq!(read::<String>(&write(&every)).unwrap(), every);
    for text in [r#""\u0041\u00e9\ud83d\ude00""#, r#""a\"b\\c""#, r#""é""#] {
        assert_eq!(
            read::<String>(text).unwrap(),
            serde_json::from_str::<String>(text).unwrap()
        );
    }
    let map: BTreeMap<String, String> = [("k\"".to_owned(), "v".to_owned())].into();
    assert_eq!(write(&map), serde_json::to_string(&map).unwrap());
    assert_eq!(read::<BTreeMap<String, String>>(&write(&map)).unwrap(), map);
}

#[test]
fn numbers_and_options() {
    for n in [0u64, 9, 10, 1234567890, u64::MAX] {
        assert_eq!(write(&n), n.to_string());
        assert_eq!(read::<u64>(&n.to_string()).unwrap(), n);
    }
    for n in [0i64, -1, i64::MIN, i64::MAX] {
        assert_eq!(write(&n), n.to_string());
        assert_eq!(read::<i64>(&n.to_string()).unwrap(), n);
    }
    assert!(read::<u32>("4294967296").is_err());
    assert_eq!(read::<u32>("4294967295").unwrap(), u32::MAX);
    assert_eq!(read::<Option<u64>>("null").unwrap(), None);
    assert_eq!(write(&vec![Some(1u64), None]), "[1,null]");
    assert_eq!(
        read::<Vec<Option<u64>>>(" [ 1 , null ] ").unwrap(),
        vec![Some(1), None]
    );
}

#[test]
fn raw_json_is_kept_as_written() {
    let body = RawJson::of(&CreateAnnouncement {
        title: "Lift".into(),
        body: "b".into(),
    });
    assert_eq!(body.text(), r#"{"title":"Lift","body":"b"}"#);
    assert_eq!(body.read::<CreateAnnouncement>().unwrap().title, "Lift");
    let inside: Vec<RawJson> = read(r#"[{"a": 1}, null]"#).unwrap();
    assert_eq!(inside[0].text(), r#"{"a": 1}"#);
    assert_eq!(write(&inside), r#"[{"a": 1},null]"#);
    assert_eq!(inside[1], RawJson::default());
    assert!(RawJson::from_text("{".into()).is_err());
    assert!(RawJson::from_text("1 2".into()).is_err());
    // The server's way, through serde, keeps the same text.
    let theirs: Vec<RawJson> = serde_json::from_str(r#"[{"a": 1}, null]"#).unwrap();
    assert_eq!(theirs, inside);
    assert_eq!(serde_json::to_string(&theirs).unwrap(), write(&inside));
}

#[test]
fn errors_say_what_and_where() {
    let e = read::<User>(r#"{"id":"1"}"#).unwrap_err();
    assert_eq!(e.to_string(), "missing field `name` at byte 10");
    let e = read::<u64>("[1]").unwrap_err();
    assert_eq!(e.offset(), 0);
    assert!(read::<u64>("1 x")
        .unwrap_err()
        .to_string()
        .contains("trailing"));
}
