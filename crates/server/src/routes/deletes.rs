//! Deleting (contract section 11): announcements, votes and documents by the building's
//! managers; a fault by its reporter while it is still open, or by a manager. Each answers
//! 204 and emits `entity:deleted` to the building in the same commit, so every open page
//! can drop the row at once; a record the caller cannot see (another building's, or one
//! already deleted) is a 404.

use axum::extract::State;
use axum::http::StatusCode;
use ppt_protocol::envelope::EntityAction;
use ppt_protocol::EntityKind;
use sqlx::Row;

use super::lists::emit_entity;
use super::{parse_id, AppPath};
use crate::auth::{AuthUser, RequestId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::Tx;

pub async fn announcement(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    let id = parse_id(&raw, "announcement")?;
    auth.require_manager("delete announcements")?;
    state
        .store
        .write(rid, move |tx| {
            Box::pin(async move {
                let version = version_of(tx, Table::Announcements, id, auth.building_id).await?;
                remove(tx, Table::Announcements, id).await?;
                deleted(tx, EntityKind::Announcement, id, version, auth.building_id);
                Ok(())
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn fault(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    let id = parse_id(&raw, "fault")?;
    state
        .store
        .write(rid, move |tx| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT reporter_id, status, version FROM faults WHERE id = $1 AND building_id = $2",
                )
                .bind(id)
                .bind(auth.building_id)
                .fetch_optional(tx.sql())
                .await?
                .ok_or_else(|| AppError::NotFound("no such fault".into()))?;
                let reporter: i64 = row.try_get(0)?;
                let status: String = row.try_get(1)?;
                let version: i64 = row.try_get(2)?;
                if !auth.is_manager() {
                    if reporter != auth.id {
                        return Err(AppError::Forbidden(
                            "only its reporter or a manager may delete a fault".into(),
                        ));
                    }
                    if status != "open" {
                        return Err(AppError::Forbidden(
                            "a fault that is being handled can only be deleted by a manager"
                                .into(),
                        ));
                    }
                }
                remove(tx, Table::Faults, id).await?;
                deleted(tx, EntityKind::Fault, id, Some(version), auth.building_id);
                Ok(())
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn vote(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    let id = parse_id(&raw, "vote")?;
    auth.require_manager("delete votes")?;
    state
        .store
        .write(rid, move |tx| {
            Box::pin(async move {
                let version = version_of(tx, Table::Votes, id, auth.building_id).await?;
                sqlx::query("DELETE FROM ballots WHERE vote_id = $1")
                    .bind(id)
                    .execute(tx.sql())
                    .await?;
                remove(tx, Table::Votes, id).await?;
                deleted(tx, EntityKind::Vote, id, version, auth.building_id);
                Ok(())
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn document(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    let id = parse_id(&raw, "document")?;
    auth.require_manager("delete documents")?;
    state
        .store
        .write(rid, move |tx| {
            Box::pin(async move {
                let version = version_of(tx, Table::Documents, id, auth.building_id).await?;
                remove(tx, Table::Documents, id).await?;
                deleted(tx, EntityKind::Document, id, version, auth.building_id);
                Ok(())
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tables a row is deleted from (names are never built from input).
#[derive(Debug, Clone, Copy)]
enum Table {
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
    fn what(self) -> &'static str {
        match self {
            Table::Announcements => "announcement",
            Table::Faults => "fault",
            Table::Votes => "vote",
            Table::Documents => "document",
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

async fn remove(tx: &mut Tx, table: Table, id: i64) -> AppResult<()> {
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
