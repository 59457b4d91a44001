//! Faults: a resident reports one; a manager moves it along (open, in progress, resolved).
//! The reporter and the building's managers are notified of each step.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::resources::FAULTS;
use ppt_protocol::rest::{Fault, FaultStatus, NotificationCategory, Role};
use ppt_protocol::{EntityKind, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::events::{emit_entity, emit_notification, notification};
use super::{Actor, Text, Title};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::routes::Page;
use crate::storage::Tx;
use crate::users;

const SELECT: &str = "SELECT f.id, f.title, f.description, f.status, f.reporter_id, u.name, f.created_at, f.updated_at, f.version
     FROM faults f JOIN users u ON u.id = f.reporter_id";

fn row(r: &AnyRow) -> Result<Fault, sqlx::Error> {
    Ok(Fault {
        id: r.try_get::<i64, _>(0)?.to_string(),
        title: r.try_get(1)?,
        description: r.try_get(2)?,
        status: FaultStatus::parse(&r.try_get::<String, _>(3)?).unwrap_or(FaultStatus::Open),
        reporter_id: r.try_get::<i64, _>(4)?.to_string(),
        reporter_name: r.try_get(5)?,
        created_at: Timestamp(r.try_get(6)?),
        updated_at: Timestamp(r.try_get(7)?),
        version: r.try_get::<i64, _>(8)? as u64,
    })
}

/// One fault by id, as the list shows it.
async fn one(c: &mut AnyConnection, id: i64) -> AppResult<Fault> {
    let sql = format!("{SELECT} WHERE f.id = $1");
    Ok(row(&sqlx::query(&sql).bind(id).fetch_one(c).await?)?)
}

/// A page of `building`'s faults, newest first.
pub async fn list(c: &mut AnyConnection, building: i64, page: Page) -> AppResult<Vec<Fault>> {
    super::building_page(c, SELECT, "f", building, page, row).await
}

/// The fault's reporter and the building's managers: who hears about a fault.
async fn watchers(tx: &mut Tx, building: i64, reporter: i64) -> AppResult<Vec<i64>> {
    let mut users = users::in_building(tx.sql(), building, Some(Role::Manager)).await?;
    if !users.contains(&reporter) {
        users.push(reporter);
    }
    Ok(users)
}

/// Someone reports a fault: `entity:created` to the building, a notification to its
/// managers and the reporter.
pub async fn report(
    tx: &mut Tx,
    actor: Actor,
    title: Title,
    description: Text,
) -> AppResult<Fault> {
    let now = now_ts();
    let id: i64 = sqlx::query(
        "INSERT INTO faults (building_id, reporter_id, title, description, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING id",
    )
    .bind(actor.building_id)
    .bind(actor.id)
    .bind(title.into_string())
    .bind(description.into_string())
    .bind(now)
    .fetch_one(tx.sql())
    .await?
    .try_get(0)?;
    let f = one(tx.sql(), id).await?;
    emit_entity(
        tx,
        EntityAction::Created,
        EntityKind::Fault,
        id,
        Some(1),
        actor.building_id,
    );
    let watchers = watchers(tx, actor.building_id, actor.id).await?;
    emit_notification(
        tx,
        NotificationCategory::Fault,
        notification(
            format!("fault-{id}-v1"),
            format!("New fault: {}", f.title),
            format!("Reported by {}", f.reporter_name),
            id,
            FAULTS.link(&id.to_string()),
        ),
        watchers,
    );
    Ok(f)
}

/// A manager moves fault `id` of their building to `status`: `entity:updated` with the new
/// version, a notification to the managers and the reporter.
pub async fn set_status(
    tx: &mut Tx,
    actor: Actor,
    id: i64,
    status: FaultStatus,
) -> AppResult<Fault> {
    actor.require_manager("change a fault's status")?;
    let reporter: i64 =
        sqlx::query("SELECT reporter_id FROM faults WHERE id = $1 AND building_id = $2")
            .bind(id)
            .bind(actor.building_id)
            .fetch_optional(tx.sql())
            .await?
            .ok_or_else(|| AppError::NotFound("no such fault".into()))?
            .try_get(0)?;
    sqlx::query(
        "UPDATE faults SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
    )
    .bind(status.as_str())
    .bind(now_ts())
    .bind(id)
    .execute(tx.sql())
    .await?;
    let f = one(tx.sql(), id).await?;
    emit_entity(
        tx,
        EntityAction::Updated,
        EntityKind::Fault,
        id,
        Some(f.version),
        actor.building_id,
    );
    let watchers = watchers(tx, actor.building_id, reporter).await?;
    emit_notification(
        tx,
        NotificationCategory::Fault,
        notification(
            format!("fault-{id}-v{}", f.version),
            format!("{}: {}", f.status.label(), f.title),
            format!("The fault is now {}", f.status.label().to_lowercase()),
            id,
            FAULTS.link(&id.to_string()),
        ),
        watchers,
    );
    Ok(f)
}
