//! Every resource of the registry (`ppt_protocol::resources`) is served where it says: its
//! list answers, its items can be deleted when it says so (and only then), and a create goes
//! where it says. A resource added to the registry without its routes fails here, by name.

use ppt_protocol::resources::{Creates, RESOURCES};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_resource_is_served_where_the_registry_says() {
    let app = spawn_app().await;
    let resident = app.token("alice").await;
    let manager = app.token("martin").await;
    for r in RESOURCES {
        let list = app.get(r.path, &resident).await;
        assert_eq!(list.status(), StatusCode::OK, "GET {} ({})", r.path, r.name);
        assert!(
            list.json::<serde_json::Value>().await.unwrap().is_array(),
            "GET {} answers a list",
            r.path
        );

        // An item that does not exist: where items are deleted, the resource's handler says
        // there is no such item; where they are not, nothing answers DELETE there.
        let item = r.item_path().replace("{id}", "999999");
        let deleted = app.delete(&item, &manager).await;
        let status = deleted.status();
        let body: serde_json::Value = deleted.json().await.unwrap_or_default();
        let answered_by_a_handler =
            status == StatusCode::NOT_FOUND && body["error"]["message"] != "no such API path";
        assert_eq!(
            answered_by_a_handler, r.deletes,
            "DELETE {item} ({}, deletes: {}) answered {status} {body}",
            r.name, r.deletes
        );

        // A create with an empty body: refused as a bad request where creates go, 405 where
        // none do.
        let created = app.post(r.path, &manager, json!({})).await.status();
        match r.creates {
            Creates::Nothing => {
                assert_eq!(
                    created,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "POST {} ({})",
                    r.path,
                    r.name
                )
            }
            Creates::AddToList | Creates::WriteInPlace => assert!(
                created.is_client_error() && created != StatusCode::METHOD_NOT_ALLOWED,
                "POST {} ({}) answered {created}",
                r.path,
                r.name
            ),
        }
    }
}
