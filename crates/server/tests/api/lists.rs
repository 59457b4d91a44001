//! Lists in pages: `?limit=` (default 50, at most 200) and `?before=<id>`, newest first.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// 62 announcements: 50 by default, all with a larger limit, and the pages after any one
/// continue it exactly; bad parameters are 400 with the error body.
#[tokio::test]
async fn lists_come_in_pages() {
    let app = spawn_app().await;
    let martin = app.token("martin").await;
    for i in 0..60 {
        let r = app
            .post(
                "/announcements",
                &martin,
                json!({ "title": format!("a{i}"), "body": "-" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let all = ids(&app.get_json("/announcements?limit=200", &martin).await);
    assert_eq!(all.len(), 62);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(
        ids(&app.get_json("/announcements", &martin).await),
        all[..50]
    );
    assert_eq!(
        ids(&app.get_json("/announcements?limit=1000", &martin).await),
        all,
        "more than 200 is served 200"
    );
    let mut walked = Vec::new();
    let mut before = None;
    loop {
        let path = match before {
            Some(b) => format!("/announcements?limit=7&before={b}"),
            None => "/announcements?limit=7".into(),
        };
        let page = ids(&app.get_json(&path, &martin).await);
        if page.is_empty() {
            break;
        }
        before = page.last().copied();
        walked.extend(page);
    }
    assert_eq!(walked, all, "pages of 7 walk the whole list once");
    assert_eq!(
        ids(&app.get_json("/faults?limit=1", &martin).await).len(),
        1
    );
    assert_eq!(
        ids(&app.get_json("/documents?limit=1", &martin).await).len(),
        1
    );
    for q in [
        "limit=0",
        "limit=x",
        "limit=-3",
        "before=abc",
        "before=0",
        "limit=5&limit=6",
    ] {
        let r = app.get(&format!("/announcements?{q}"), &martin).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "bad_query".into()),
            "{q}"
        );
    }
}

/// Votes page the same way, each page with its own counts and the caller's choices.
#[tokio::test]
async fn votes_come_in_pages_with_their_counts() {
    let app = spawn_app().await;
    let (martin, alice, bob) = (
        app.token("martin").await,
        app.token("alice").await,
        app.token("bob").await,
    );
    for t in ["v1", "v2", "v3"] {
        let r = app
            .post(
                "/votes",
                &martin,
                json!({ "title": t, "options": ["Yes", "No"] }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let all = app.get_json("/votes", &alice).await;
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), 4);
    for (who, id, option) in [(&alice, all_ids[3], "No"), (&bob, all_ids[2], "Yes")] {
        let r = app
            .post(
                &format!("/votes/{id}/ballots"),
                who,
                json!({ "option": option }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let first = app.get_json("/votes?limit=2", &alice).await;
    assert_eq!(ids(&first), all_ids[..2]);
    let rest = app
        .get_json(&format!("/votes?limit=10&before={}", all_ids[1]), &alice)
        .await;
    assert_eq!(ids(&rest), all_ids[2..]);
    let counts = |v: &Value| -> Vec<u64> {
        v["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["count"].as_u64().unwrap())
            .collect()
    };
    // The seeded vote: Bob's "Yes" from the seed and Alice's "No"; v1: Bob's "Yes".
    assert_eq!(counts(&rest[1]), [1, 1, 0]);
    assert_eq!(rest[1]["myChoice"], "No");
    assert_eq!(counts(&rest[0]), [1, 0]);
    assert_eq!(rest[0]["myChoice"], Value::Null);
    assert_eq!(counts(&first[0]), [0, 0]);
}

/// A building's documents are at no public address: `/static/docs/…` is a 404 to anyone,
/// and the list gives each document a link signed for it and its building, which opens
/// without a token (a new tab has none to send). A link changed in any part, or used for
/// another document, is a 404; another building's resident is given only her own.
#[tokio::test]
async fn documents_only_through_their_signed_links() {
    let app = spawn_app().await;
    let docs = app.static_dir().join("static/docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("house-rules.txt"), "No bikes in the hall.").unwrap();
    std::fs::write(docs.join("annual-report-2025.txt"), "All is well.").unwrap();
    let plain = reqwest::get(
        app.url("")
            .replace("/api/v1", "/static/docs/house-rules.txt"),
    )
    .await
    .unwrap();
    assert_eq!(plain.status(), StatusCode::NOT_FOUND, "no public address");

    let alice = app.token("alice").await;
    let list = app.get_json("/documents", &alice).await;
    let rules = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "House rules")
        .unwrap()
        .clone();
    let link = rules["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with("/api/v1/documents/"), "{link}");
    let base = app.url("").replace("/api/v1", "");
    let r = reqwest::get(format!("{base}{link}")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "No bikes in the hall.");

    let id = rules["id"].as_str().unwrap();
    let other_id = (id.parse::<i64>().unwrap() + 1).to_string();
    for changed in [
        link.replace("sig=", "sig=A"),
        link.replace("expires=", "expires=9"),
        link.replacen(
            &format!("/documents/{id}/"),
            &format!("/documents/{other_id}/"),
            1,
        ),
        link.split('?').next().unwrap().to_owned(),
    ] {
        let r = reqwest::get(format!("{base}{changed}")).await.unwrap();
        assert_eq!(
            error_code(r).await,
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
            "{changed}"
        );
    }
    let dana = app.token("dana").await;
    let hers = app.get_json("/documents", &dana).await;
    assert!(hers
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"] != rules["id"]));
}

/// The inbox pages too (`GET /messages?limit=&before=`): a flood of messages cannot push
/// older ones out of reach; without `limit` it answers up to 500, as it always did.
#[tokio::test]
async fn messages_come_in_pages() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let bob = app.token("bob").await;
    for i in 0..30 {
        let r = app
            .post(
                "/messages",
                &bob,
                json!({ "toUserId": alice.user.id, "body": format!("spam {i}") }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let all = ids(&app.get_json("/messages", &alice.token).await);
    assert!(all.len() > 30, "the demo's and the spam: {}", all.len());
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
    let mut walked = Vec::new();
    let mut before = None;
    loop {
        let path = match before {
            Some(b) => format!("/messages?limit=8&before={b}"),
            None => "/messages?limit=8".into(),
        };
        let page = ids(&app.get_json(&path, &alice.token).await);
        assert!(page.len() <= 8);
        if page.is_empty() {
            break;
        }
        before = page.last().copied();
        walked.extend(page);
    }
    assert_eq!(walked, all, "pages of 8 reach the oldest message");
    for q in ["limit=0", "before=x", "limit=501x"] {
        let r = app.get(&format!("/messages?{q}"), &alice.token).await;
        assert_eq!(
            error_code(r).await,
            (StatusCode::BAD_REQUEST, "bad_query".into()),
            "{q}"
        );
    }
}
