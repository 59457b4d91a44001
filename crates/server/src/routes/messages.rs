//! `/messages`: a user's messages, sending one, reading, the unread count.
//!
//! A message is visible only to its two participants; anyone else asking for it gets 404.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use ppt_protocol::resources;
use ppt_protocol::rest::{Message, ReadReceipt, SendMessageRequest, UnreadCount};

use super::create_limits::CreateKind;
use super::{parse_id, AppJson, AppPath, Page};
use crate::auth::{AuthUser, RequestId};
use crate::domain::messages::{message_row, unread, SELECT};
use crate::domain::{self, MessageBody};
use crate::error::{AppError, AppResult};
use crate::routes::idempotency::{self, IdempotencyKey};
use crate::state::AppState;
use axum::response::Response;

/// How many messages `GET /messages` returns without `limit`, and at most.
const LIST_LIMIT: i64 = 500;

/// `GET /messages?limit=&before=`: my messages, newest first; `before` pages back (those
/// with smaller ids), so spam cannot push older messages out of reach.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> AppResult<AppJson<Vec<Message>>> {
    let Query(pairs) = query?;
    let page = Page::parse_within(&pairs, LIST_LIMIT, LIST_LIMIT)?;
    let sql = format!(
        "{SELECT} WHERE (m.from_user = $1 OR m.to_user = $1) AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(auth.id)
        .bind(page.before)
        .bind(page.limit)
        .fetch_all(state.storage.pool())
        .await?;
    Ok(AppJson(
        rows.iter().map(message_row).collect::<Result<_, _>>()?,
    ))
}

pub async fn send(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<SendMessageRequest>,
) -> AppResult<Response> {
    let body = MessageBody::parse("body", &req.body)?;
    let to: i64 = req
        .to_user_id
        .trim()
        .parse()
        .map_err(|_| AppError::field("toUserId", "must be a user id"))?;
    if to == auth.id {
        return Err(AppError::field(
            "toUserId",
            "you cannot send a message to yourself",
        ));
    }
    let actor = auth.actor();
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&resources::MESSAGES),
        key,
        rid,
        "POST /messages",
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| {
        Box::pin(domain::messages::send(tx, actor, to, body))
    })
    .await
}

/// Marks a message to me, and every earlier one in its conversation, as read.
pub async fn mark_read(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<AppJson<ReadReceipt>> {
    let id = parse_id(&raw, "message")?;
    let actor = auth.actor();
    let receipt = state
        .storage
        .write(rid, move |tx| {
            Box::pin(domain::messages::read(tx, actor, id))
        })
        .await?;
    Ok(AppJson(receipt))
}

pub async fn unread_count(
    State(state): State<AppState>,
    auth: AuthUser,
) -> AppResult<AppJson<UnreadCount>> {
    let count = unread(state.storage.pool(), auth.id).await?;
    Ok(AppJson(UnreadCount { count }))
}
