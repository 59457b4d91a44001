//! The portal's operations, each one write that emits its own events in the same commit:
//! posting an announcement, reporting a fault and moving it along, opening a vote and casting
//! a ballot, sending and reading a message, deleting, saving one's preferences, and who lives
//! where ([`users`]: added, changed, moved out). What they take is parsed first ([`values`]: a [`Title`] is
//! never empty or too long, an [`Email`] is folded and well-formed; a user's `Role` is parsed
//! by `Role::parse`), and who acts is an [`Actor`], whose role the operation checks.
//!
//! The REST handlers (`routes/`), the admin CLI (`admin.rs`, in an offline write), the demo
//! seed (its accounts), the simulator (`simulate.rs`) and the benchmarks' publisher call
//! these; none of them holds the SQL, the notification texts or the audiences of an
//! operation. Reads of a list are here too, as the operations answer with the same rows.

pub mod announcements;
pub mod deletes;
pub mod events;
pub mod faults;
pub mod messages;
pub mod preferences;
pub mod users;
pub mod values;
pub mod votes;

use ppt_protocol::rest::Role;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::error::{AppError, AppResult};
use crate::routes::Page;

pub use values::{Email, MessageBody, Text, Title, VoteOptions};

/// A page of one building's rows, newest first: `select` (its table named `alias`) narrowed
/// to the building and the page (`before`, `limit`), each row read by `row`.
async fn building_page<T>(
    c: &mut AnyConnection,
    select: &str,
    alias: &str,
    building: i64,
    page: Page,
    row: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> AppResult<Vec<T>> {
    let sql = format!(
        "{select} WHERE {alias}.building_id = $1 AND {alias}.id < $2 ORDER BY {alias}.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(building)
        .bind(page.before)
        .bind(page.limit)
        .fetch_all(c)
        .await?;
    Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
}

/// Who does something: a signed-in user (a request's `AuthUser`), or a person the server
/// acts for (the simulator's neighbours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub building_id: i64,
    pub role: Role,
}

impl Actor {
    /// Fails with 403 unless the actor manages the building.
    pub fn require_manager(&self, action: &str) -> Result<(), AppError> {
        if self.role == Role::Manager {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("only a manager may {action}")))
        }
    }

    /// Fails with 403 unless the actor is a resident.
    pub fn require_resident(&self, what: &str) -> Result<(), AppError> {
        if self.role == Role::Resident {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("only residents {what}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{build, Config};

    /// An operation checks its actor's role itself, whoever calls it (a handler, the
    /// simulator): a resident cannot post an announcement nor move a fault along, a manager
    /// cannot vote; what they may do writes its row and its events in one commit.
    #[tokio::test]
    async fn operations_check_who_acts() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_db(
            dir.path().join("d.sqlite3").display().to_string(),
            dir.path().into(),
        );
        config.demo = true;
        let built = build(config).await.unwrap();
        let storage = &built.state.storage;
        let alice = Actor {
            id: 1,
            building_id: 1,
            role: Role::Resident,
        };
        let manager = Actor {
            role: Role::Manager,
            ..alice
        };
        let title = || Title::parse("title", "Lift").unwrap();
        let text = || Text::parse("body", "Out of order").unwrap();
        let head = |s: &crate::storage::Storage| {
            let pool = s.pool().clone();
            async move {
                let mut c = pool.acquire().await.unwrap();
                crate::eventlog::head(&mut c).await.unwrap()
            }
        };
        let before = head(storage).await;
        let refused = storage
            .write(None, move |tx| {
                Box::pin(announcements::post(tx, alice, title(), text()))
            })
            .await;
        assert!(
            matches!(refused, Err(AppError::Forbidden(_))),
            "{refused:?}"
        );
        assert_eq!(
            head(storage).await,
            before,
            "nothing written, nothing emitted"
        );
        let fault = storage
            .write(None, move |tx| {
                Box::pin(faults::report(tx, alice, title(), text()))
            })
            .await
            .unwrap();
        let id: i64 = fault.id.parse().unwrap();
        let moved = storage
            .write(None, move |tx| {
                Box::pin(faults::set_status(
                    tx,
                    alice,
                    id,
                    ppt_protocol::rest::FaultStatus::Resolved,
                ))
            })
            .await;
        assert!(matches!(moved, Err(AppError::Forbidden(_))));
        let options = VoteOptions::parse("options", &["Yes".into(), "No".into()]).unwrap();
        let vote = storage
            .write(None, move |tx| {
                Box::pin(votes::open(tx, manager, title(), options))
            })
            .await
            .unwrap();
        let vote_id: i64 = vote.id.parse().unwrap();
        let by_manager = storage
            .write(None, move |tx| {
                Box::pin(votes::cast(tx, manager, vote_id, "Yes".into()))
            })
            .await;
        assert!(matches!(by_manager, Err(AppError::Forbidden(_))));
        assert!(
            head(storage).await > before,
            "the allowed ones emitted their events"
        );
    }
}
