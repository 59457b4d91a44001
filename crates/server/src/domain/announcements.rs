//! Announcements: a manager posts one to the building; its residents are notified.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::resources::ANNOUNCEMENTS;
use ppt_protocol::rest::{Announcement, NotificationCategory, Role};
use ppt_protocol::{EntityKind, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::events::{emit_entity, emit_notification, notification};
use super::{Actor, Text, Title};
use crate::db::now_ts;
use crate::error::AppResult;
use crate::routes::Page;
use crate::storage::Tx;
use crate::users;

const SELECT: &str = "SELECT a.id, a.title, a.body, u.name, a.created_at, a.version
     FROM announcements a JOIN users u ON u.id = a.author_id";

fn row(r: &AnyRow) -> Result<Announcement, sqlx::Error> {
    Ok(Announcement {
        id: r.try_get::<i64, _>(0)?.to_string(),
        title: r.try_get(1)?,
        body: r.try_get(2)?,
        author_name: r.try_get(3)?,
        created_at: Timestamp(r.try_get(4)?),
        version: r.try_get::<i64, _>(5)? as u64,
    })
}

/// A page of `building`'s announcements, newest first.
pub async fn list(
    c: &mut AnyConnection,
    building: i64,
    page: Page,
) -> AppResult<Vec<Announcement>> {
    super::building_page(c, SELECT, "a", building, page, row).await
}

/// A manager posts an announcement: `entity:created` to the building, a notification to its
/// residents.
pub async fn post(tx: &mut Tx, actor: Actor, title: Title, body: Text) -> AppResult<Announcement> {
    actor.require_manager("post announcements")?;
    let id: i64 = sqlx::query(
        "INSERT INTO announcements (building_id, author_id, title, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(actor.building_id)
    .bind(actor.id)
    .bind(title.into_string())
    .bind(body.into_string())
    .bind(now_ts())
    .fetch_one(tx.sql())
    .await?
    .try_get(0)?;
    let sql = format!("{SELECT} WHERE a.id = $1");
    let a = row(&sqlx::query(&sql).bind(id).fetch_one(tx.sql()).await?)?;
    emit_entity(
        tx,
        EntityAction::Created,
        EntityKind::Announcement,
        id,
        Some(1),
        actor.building_id,
    );
    let residents = users::in_building(tx.sql(), actor.building_id, Some(Role::Resident)).await?;
    emit_notification(
        tx,
        NotificationCategory::Announcement,
        notification(
            format!("announcement-{id}"),
            a.title.clone(),
            a.body.chars().take(200).collect(),
            id,
            ANNOUNCEMENTS.link(&id.to_string()),
        ),
        residents,
    );
    Ok(a)
}
