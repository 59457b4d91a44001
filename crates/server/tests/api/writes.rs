//! Writes that arrive together share a transaction and a commit (group commit), each in a
//! savepoint of its own.

use ppt_protocol::envelope::{EntityAction, EntityChange};
use ppt_protocol::{EntityKind, ServerEvent};
use ppt_server::error::AppError;
use ppt_server::eventlog::Audience;
use ppt_server::storage::Storage;
use sqlx::Row;
use tokio::sync::{mpsc, watch};

use crate::helpers::*;

/// A write that makes a building and tells Alice about it, failing after both when `fail`.
async fn building(storage: &Storage, name: &str, fail: bool) -> Result<(), AppError> {
    let name = name.to_owned();
    storage
        .write(Some(name.clone()), move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO buildings (name) VALUES ($1)")
                    .bind(name.clone())
                    .execute(tx.sql())
                    .await?;
                tx.emit(
                    ServerEvent::Entity(
                        EntityAction::Created,
                        EntityChange {
                            entity: EntityKind::Announcement,
                            id: name,
                            version: None,
                        },
                    ),
                    Audience::Users(vec![1]),
                );
                if fail {
                    // A statement the database refuses (on PostgreSQL this breaks the whole
                    // transaction until its savepoint is rolled back).
                    sqlx::query("INSERT INTO no_such_table VALUES (1)")
                        .execute(tx.sql())
                        .await?;
                }
                Ok(())
            })
        })
        .await
}

/// With every writer lane held busy, six writes queue up and then run as one batch; the two
/// that fail (one on a refused statement, after writing a row and emitting an event) undo
/// only themselves: the others' rows and events commit, theirs leave no trace, and each
/// caller hears its own outcome.
#[tokio::test]
async fn a_failing_write_in_a_batch_undoes_only_itself() {
    let app = spawn_app().await;
    let storage = app.state.storage.clone();
    let (release, released) = watch::channel(false);
    let (started_tx, mut started) = mpsc::channel(8);
    let mut blockers = Vec::new();
    // One at a time, so that each is alone in its lane's batch.
    for _ in 0..storage.write_lanes() {
        let (storage, mut released, started_tx) =
            (storage.clone(), released.clone(), started_tx.clone());
        blockers.push(tokio::spawn(async move {
            storage
                .write(None, move |_tx| {
                    Box::pin(async move {
                        let _ = started_tx.send(()).await;
                        let _ = released.wait_for(|r| *r).await;
                        Ok(())
                    })
                })
                .await
        }));
        started.recv().await.unwrap();
    }
    let names = ["b-ok-1", "b-bad-1", "b-ok-2", "b-bad-2", "b-ok-3", "b-ok-4"];
    let mut writes = Vec::new();
    for name in names {
        let storage = storage.clone();
        writes.push(tokio::spawn(async move {
            building(&storage, name, name.contains("bad")).await
        }));
    }
    // All six wait behind the blockers before the lanes are free again.
    while storage.writes_queued() < names.len() {
        tokio::task::yield_now().await;
    }
    release.send_replace(true);
    for b in blockers {
        b.await.unwrap().unwrap();
    }
    for (name, w) in names.iter().zip(writes) {
        let outcome = w.await.unwrap();
        assert_eq!(
            outcome.is_ok(),
            !name.contains("bad"),
            "{name}: {outcome:?}"
        );
    }

    let rows = sqlx::query("SELECT name FROM buildings WHERE name LIKE 'b-%' ORDER BY id")
        .fetch_all(storage.pool())
        .await
        .unwrap();
    let made: Vec<String> = rows.iter().map(|r| r.try_get(0).unwrap()).collect();
    assert_eq!(made, ["b-ok-1", "b-ok-2", "b-ok-3", "b-ok-4"]);
    let alice = app.token("alice").await;
    let page = app.get_json("/events/missed?after=0", &alice).await;
    let told: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["requestId"].as_str().unwrap())
        .collect();
    assert_eq!(told, ["b-ok-1", "b-ok-2", "b-ok-3", "b-ok-4"]);
}
