//! Announcements, faults, documents and neighbours: the building's shared lists.
//!
//! Everything here is visible to every member of the caller's building and to nobody else.

use axum::extract::State;
use axum::http::StatusCode;
use ppt_protocol::envelope::{EntityAction, EntityChange, Notification};
use ppt_protocol::resources;
use ppt_protocol::rest::{
    Announcement, CreateAnnouncement, Document, Fault, FaultStatus, Neighbor, NotificationCategory,
    ReportFault, Role, UpdateFault,
};
use ppt_protocol::{EntityKind, ServerEvent, Timestamp};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::create_limits::CreateKind;
use super::{parse_id, text_field, AppJson, AppPath, Page};
use crate::auth::{AuthUser, RequestId};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::hub::Audience;
use crate::routes::idempotency::{self, IdempotencyKey};
use crate::state::AppState;
use crate::storage::Tx;
use crate::users;
use axum::response::Response;

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 10_000;

/// Emits `entity:<action>` for the building.
pub fn emit_entity(
    tx: &mut Tx,
    action: EntityAction,
    entity: EntityKind,
    id: i64,
    version: Option<u64>,
    building: i64,
) {
    tx.emit(
        ServerEvent::Entity(
            action,
            EntityChange {
                entity,
                id: id.to_string(),
                version,
            },
        ),
        Audience::Building(building),
    );
}

/// Emits a `notification:*` to the given users.
pub fn emit_notification(
    tx: &mut Tx,
    category: NotificationCategory,
    n: Notification,
    users: Vec<i64>,
) {
    if !users.is_empty() {
        tx.emit(
            ServerEvent::Notification(category, n),
            Audience::Users(users),
        );
    }
}

/// A notification about one entity.
pub fn notification(
    key: String,
    title: String,
    body: String,
    entity_id: i64,
    link: String,
) -> Notification {
    Notification {
        notification_id: key,
        title,
        body,
        entity_id: entity_id.to_string(),
        link,
    }
}

fn announcement_row(r: &AnyRow) -> Result<Announcement, sqlx::Error> {
    Ok(Announcement {
        id: r.try_get::<i64, _>(0)?.to_string(),
        title: r.try_get(1)?,
        body: r.try_get(2)?,
        author_name: r.try_get(3)?,
        created_at: Timestamp(r.try_get(4)?),
        version: r.try_get::<i64, _>(5)? as u64,
    })
}

const ANNOUNCEMENTS: &str = "SELECT a.id, a.title, a.body, u.name, a.created_at, a.version
     FROM announcements a JOIN users u ON u.id = a.author_id";

pub async fn announcements(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Announcement>>> {
    let sql = format!(
        "{ANNOUNCEMENTS} WHERE a.building_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(auth.building_id)
        .bind(page.before)
        .bind(page.limit)
        .fetch_all(state.storage.pool())
        .await?;
    Ok(AppJson(
        rows.iter()
            .map(announcement_row)
            .collect::<Result<_, _>>()?,
    ))
}

pub async fn create_announcement(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<CreateAnnouncement>,
) -> AppResult<Response> {
    auth.require_manager("post announcements")?;
    let title = text_field("title", &req.title, MAX_TITLE)?;
    let body = text_field("body", &req.body, MAX_TEXT)?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&resources::ANNOUNCEMENTS),
        key,
        rid,
        "POST /announcements",
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| Box::pin(async move {
            let id: i64 = sqlx::query(
                "INSERT INTO announcements (building_id, author_id, title, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(auth.building_id)
            .bind(auth.id)
            .bind(title)
            .bind(body)
            .bind(now_ts())
            .fetch_one(tx.sql())
            .await?
            .try_get(0)?;
            let sql = format!("{ANNOUNCEMENTS} WHERE a.id = $1");
            let a = announcement_row(&sqlx::query(&sql).bind(id).fetch_one(tx.sql()).await?)?;
            emit_entity(tx, EntityAction::Created, EntityKind::Announcement, id, Some(1), auth.building_id);
            let residents = users::in_building(tx.sql(), auth.building_id, Some(Role::Resident)).await?;
            emit_notification(
                tx,
                NotificationCategory::Announcement,
                notification(format!("announcement-{id}"), a.title.clone(), a.body.chars().take(200).collect(), id, resources::ANNOUNCEMENTS.link(&id.to_string())),
                residents,
            );
            Ok(a)
        }))
    .await
}

fn fault_row(r: &AnyRow) -> Result<Fault, sqlx::Error> {
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
async fn fault(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<Fault> {
    let sql = format!("{FAULTS} WHERE f.id = $1");
    Ok(fault_row(
        &sqlx::query(&sql).bind(id).fetch_one(conn).await?,
    )?)
}

const FAULTS: &str = "SELECT f.id, f.title, f.description, f.status, f.reporter_id, u.name, f.created_at, f.updated_at, f.version
     FROM faults f JOIN users u ON u.id = f.reporter_id";

pub async fn faults(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Fault>>> {
    let sql =
        format!("{FAULTS} WHERE f.building_id = $1 AND f.id < $2 ORDER BY f.id DESC LIMIT $3");
    let rows = sqlx::query(&sql)
        .bind(auth.building_id)
        .bind(page.before)
        .bind(page.limit)
        .fetch_all(state.storage.pool())
        .await?;
    Ok(AppJson(
        rows.iter().map(fault_row).collect::<Result<_, _>>()?,
    ))
}

/// The fault's reporter and the building's managers: who hears about a fault.
async fn fault_watchers(tx: &mut Tx, building: i64, reporter: i64) -> AppResult<Vec<i64>> {
    let mut users = users::in_building(tx.sql(), building, Some(Role::Manager)).await?;
    if !users.contains(&reporter) {
        users.push(reporter);
    }
    Ok(users)
}

pub async fn report_fault(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<ReportFault>,
) -> AppResult<Response> {
    let title = text_field("title", &req.title, MAX_TITLE)?;
    let description = text_field("description", &req.description, MAX_TEXT)?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&resources::FAULTS),
        key,
        rid,
        "POST /faults",
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| Box::pin(async move {
            let now = now_ts();
            let id: i64 = sqlx::query(
                "INSERT INTO faults (building_id, reporter_id, title, description, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING id",
            )
            .bind(auth.building_id)
            .bind(auth.id)
            .bind(title)
            .bind(description)
            .bind(now)
            .fetch_one(tx.sql())
            .await?
            .try_get(0)?;
            let f = fault(tx.sql(), id).await?;
            emit_entity(tx, EntityAction::Created, EntityKind::Fault, id, Some(1), auth.building_id);
            let watchers = fault_watchers(tx, auth.building_id, auth.id).await?;
            emit_notification(
                tx,
                NotificationCategory::Fault,
                notification(format!("fault-{id}-v1"), format!("New fault: {}", f.title), format!("Reported by {}", f.reporter_name), id, resources::FAULTS.link(&id.to_string())),
                watchers,
            );
            Ok(f)
        }))
    .await
}

pub async fn update_fault(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
    AppJson(req): AppJson<UpdateFault>,
) -> AppResult<AppJson<Fault>> {
    let id = parse_id(&raw, "fault")?;
    auth.require_manager("change a fault's status")?;
    let updated = state
        .storage
        .write(rid, move |tx| Box::pin(async move {
            let reporter: i64 = sqlx::query("SELECT reporter_id FROM faults WHERE id = $1 AND building_id = $2")
                .bind(id)
                .bind(auth.building_id)
                .fetch_optional(tx.sql())
                .await?
                .ok_or_else(|| AppError::NotFound("no such fault".into()))?
                .try_get(0)?;
            sqlx::query("UPDATE faults SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3")
                .bind(req.status.as_str())
                .bind(now_ts())
                .bind(id)
                .execute(tx.sql())
                .await?;
            let f = fault(tx.sql(), id).await?;
            emit_entity(tx, EntityAction::Updated, EntityKind::Fault, id, Some(f.version), auth.building_id);
            let watchers = fault_watchers(tx, auth.building_id, reporter).await?;
            emit_notification(
                tx,
                NotificationCategory::Fault,
                notification(format!("fault-{id}-v{}", f.version), format!("{}: {}", f.status.label(), f.title), format!("The fault is now {}", f.status.label().to_lowercase()), id, resources::FAULTS.link(&id.to_string())),
                watchers,
            );
            Ok(f)
        }))
        .await?;
    Ok(AppJson(updated))
}

pub async fn documents(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Document>>> {
    let rows = sqlx::query(
        "SELECT id, title, url, uploaded_at FROM documents
         WHERE building_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(auth.building_id)
    .bind(page.before)
    .bind(page.limit)
    .fetch_all(state.storage.pool())
    .await?;
    let out = rows
        .iter()
        .map(|r| {
            let id: i64 = r.try_get(0)?;
            let stored: String = r.try_get(2)?;
            Ok(Document {
                id: id.to_string(),
                title: r.try_get(1)?,
                // A link signed for this document, valid for an hour: the file is at no
                // public address.
                url: state.documents.link(id, auth.building_id, &stored),
                uploaded_at: Timestamp(r.try_get(3)?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(AppJson(out))
}

pub async fn neighbors(
    State(state): State<AppState>,
    auth: AuthUser,
) -> AppResult<AppJson<Vec<Neighbor>>> {
    let rows = sqlx::query(
        "SELECT id, name, apartment, role FROM users \
         WHERE building_id = $1 AND id <> $2 AND removed_at IS NULL ORDER BY name",
    )
    .bind(auth.building_id)
    .bind(auth.id)
    .fetch_all(state.storage.pool())
    .await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok(Neighbor {
                id: r.try_get::<i64, _>(0)?.to_string(),
                name: r.try_get(1)?,
                apartment: r.try_get(2)?,
                role: users::role(&r.try_get::<String, _>(3)?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(AppJson(out))
}
