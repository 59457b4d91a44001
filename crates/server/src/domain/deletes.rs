//! Deleting: announcements, votes and documents by the building's managers; a fault by its
//! reporter while it is still open, or by a manager. Each emits `entity:deleted` to the
//! building in the same commit; a record the actor cannot see (another building's, or one
//! already deleted) is a 404.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::rest::Role;
use ppt_protocol::EntityKind;
use sqlx::Row;

use super::events::emit_entity;
use super::Actor;
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

/// Deletes `what` number `id` as `actor`, with its dependents, and says so to the building.
pub async fn delete(tx: &mut Tx, actor: Actor, what: Table, id: i64) -> AppResult<()> {
    if what == Table::Faults {
        return delete_fault(tx, actor, id).await;
    }
    actor.require_manager(&format!("delete {}s", what.what()))?;
    let version = version_of(tx, what, id, actor.building_id).await?;
    remove(tx, what, id).await?;
    deleted(tx, what.kind(), id, version, actor.building_id);
    Ok(())
}

/// A fault: by a manager, or by its reporter while it is still open.
async fn delete_fault(tx: &mut Tx, actor: Actor, id: i64) -> AppResult<()> {
    let row = sqlx::query(
        "SELECT reporter_id, status, version FROM faults WHERE id = $1 AND building_id = $2",
    )
    .bind(id)
    .bind(actor.building_id)
    .fetch_optional(tx.sql())
    .await?
    .ok_or_else(|| AppError::NotFound("no such fault".into()))?;
    let reporter: i64 = row.try_get(0)?;
    let status: String = row.try_get(1)?;
    let version: i64 = row.try_get(2)?;
    if actor.role != Role::Manager {
        if reporter != actor.id {
            return Err(AppError::Forbidden(
                "only its reporter or a manager may delete a fault".into(),
            ));
        }
        if status != "open" {
            return Err(AppError::Forbidden(
                "a fault that is being handled can only be deleted by a manager".into(),
            ));
        }
    }
    remove(tx, Table::Faults, id).await?;
    deleted(
        tx,
        Table::Faults.kind(),
        id,
        Some(version),
        actor.building_id,
    );
    Ok(())
}

/// What can be deleted (table names are never built from input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Announcements,
    Faults,
    Votes,
    Documents,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Announcements => "announcements",
            Table::Faults => "faults",
            Table::Votes => "votes",
            Table::Documents => "documents",
        }
    }

    /// What a 404 calls it.
    pub fn what(self) -> &'static str {
        match self {
            Table::Announcements => "announcement",
            Table::Faults => "fault",
            Table::Votes => "vote",
            Table::Documents => "document",
        }
    }

    fn kind(self) -> EntityKind {
        match self {
            Table::Announcements => EntityKind::Announcement,
            Table::Faults => EntityKind::Fault,
            Table::Votes => EntityKind::Vote,
            Table::Documents => EntityKind::Document,
        }
    }

    fn has_version(self) -> bool {
        !matches!(self, Table::Documents)
    }
}

/// The row's version if it is in the caller's building (`None` for rows without versions);
/// 404 if it is not there.
async fn version_of(tx: &mut Tx, table: Table, id: i64, building: i64) -> AppResult<Option<i64>> {
    let column = if table.has_version() { "version" } else { "0" };
    let sql = format!(
        "SELECT {column} FROM {} WHERE id = $1 AND building_id = $2",
        table.name()
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(building)
        .fetch_optional(tx.sql())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no such {}", table.what())))?;
    Ok(table
        .has_version()
        .then(|| row.try_get::<i64, _>(0))
        .transpose()?)
}

/// Deletes the row, and first what depends on it (a vote's ballots).
async fn remove(tx: &mut Tx, table: Table, id: i64) -> AppResult<()> {
    if let Table::Votes = table {
        sqlx::query("DELETE FROM ballots WHERE vote_id = $1")
            .bind(id)
            .execute(tx.sql())
            .await?;
    }
    sqlx::query(&format!("DELETE FROM {} WHERE id = $1", table.name()))
        .bind(id)
        .execute(tx.sql())
        .await?;
    Ok(())
}

/// `entity:deleted` to the building, one version past the row's last (so a client ordering
/// changes by version sees the deletion as the newest).
fn deleted(tx: &mut Tx, kind: EntityKind, id: i64, version: Option<i64>, building: i64) {
    let version = version.map(|v| (v.max(0) as u64).saturating_add(1));
    emit_entity(tx, EntityAction::Deleted, kind, id, version, building);
}
