//! Announcements, faults, documents and neighbours: the building's shared lists.
//!
//! Everything here is visible to every member of the caller's building and to nobody else.
//! Writes are the domain's operations ([`crate::domain`]); a handler parses the request,
//! makes it idempotent and answers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use ppt_protocol::resources;
use ppt_protocol::rest::{
    Announcement, CreateAnnouncement, Document, Fault, Neighbor, ReportFault, UpdateFault,
};
use ppt_protocol::Timestamp;
use sqlx::Row;

use super::create_limits::CreateKind;
use super::{parse_id, AppJson, AppPath, Page};
use crate::auth::{AuthUser, RequestId};
use crate::domain::{self, Text, Title};
use crate::error::AppResult;
use crate::routes::idempotency::{self, IdempotencyKey};
use crate::state::AppState;
use crate::users;

pub async fn announcements(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Announcement>>> {
    let mut c = state.storage.pool().acquire().await?;
    Ok(AppJson(
        domain::announcements::list(&mut c, auth.building_id, page).await?,
    ))
}

pub async fn create_announcement(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<CreateAnnouncement>,
) -> AppResult<Response> {
    let actor = auth.actor();
    actor.require_manager("post announcements")?;
    let title = Title::parse("title", &req.title)?;
    let body = Text::parse("body", &req.body)?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&resources::ANNOUNCEMENTS),
        key,
        rid,
        "POST /announcements",
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| {
        Box::pin(domain::announcements::post(tx, actor, title, body))
    })
    .await
}

pub async fn faults(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Fault>>> {
    let mut c = state.storage.pool().acquire().await?;
    Ok(AppJson(
        domain::faults::list(&mut c, auth.building_id, page).await?,
    ))
}

pub async fn report_fault(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<ReportFault>,
) -> AppResult<Response> {
    let title = Title::parse("title", &req.title)?;
    let description = Text::parse("description", &req.description)?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&resources::FAULTS),
        key,
        rid,
        "POST /faults",
        &req,
    )?;
    let actor = auth.actor();
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| {
        Box::pin(domain::faults::report(tx, actor, title, description))
    })
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
    let actor = auth.actor();
    actor.require_manager("change a fault's status")?;
    let updated = state
        .storage
        .write(rid, move |tx| {
            Box::pin(domain::faults::set_status(tx, actor, id, req.status))
        })
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
