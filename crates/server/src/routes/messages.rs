//! `/messages`: a user's messages, sending one, reading, the unread count.
//!
//! A message is visible only to its two participants; anyone else asking for it gets 404.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use ppt_protocol::envelope::{EntityAction, EntityChange, MessageRead};
use ppt_protocol::resources;
use ppt_protocol::rest::{Message, ReadReceipt, SendMessageRequest, UnreadCount};
use ppt_protocol::{EntityKind, ServerEvent, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use super::create_limits::CreateKind;
use super::{parse_id, AppJson, AppPath, Page};
use crate::auth::{AuthUser, RequestId};
use crate::db::now_ts;
use crate::domain::{self, MessageBody};
use crate::error::{AppError, AppResult};
use crate::eventlog::Audience;
use crate::routes::idempotency::{self, IdempotencyKey};
use crate::state::AppState;
use axum::response::Response;

/// How many messages `GET /messages` returns without `limit`, and at most.
const LIST_LIMIT: i64 = 500;

/// The conversation between two users: the same id in both directions.
pub fn conversation_id(a: i64, b: i64) -> String {
    format!("{}-{}", a.min(b), a.max(b))
}

pub(crate) const SELECT: &str =
    "SELECT m.id, m.from_user, u.name, m.to_user, m.body, m.sent_at, m.read_at
     FROM messages m JOIN users u ON u.id = m.from_user";

pub(crate) fn message_row(r: &AnyRow) -> Result<Message, sqlx::Error> {
    let from: i64 = r.try_get(1)?;
    let to: i64 = r.try_get(3)?;
    Ok(Message {
        id: r.try_get::<i64, _>(0)?.to_string(),
        conversation_id: conversation_id(from, to),
        from_user_id: from.to_string(),
        from_name: r.try_get(2)?,
        to_user_id: to.to_string(),
        body: r.try_get(4)?,
        sent_at: Timestamp(r.try_get(5)?),
        read: r.try_get::<Option<String>, _>(6)?.is_some(),
    })
}

async fn unread<'c, E>(c: E, user: i64) -> AppResult<u64>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    let count: i64 =
        sqlx::query("SELECT COUNT(*) FROM messages WHERE to_user = $1 AND read_at IS NULL")
            .bind(user)
            .fetch_one(c)
            .await?
            .try_get(0)?;
    Ok(count.max(0) as u64)
}

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
    let receipt = state
        .storage
        .write(rid, move |tx| Box::pin(async move {
            let from: i64 = sqlx::query("SELECT from_user FROM messages WHERE id = $1 AND to_user = $2")
                .bind(id)
                .bind(auth.id)
                .fetch_optional(tx.sql())
                .await?
                .ok_or_else(|| AppError::NotFound("no such message".into()))?
                .try_get(0)?;
            let changed = sqlx::query(
                "UPDATE messages SET read_at = $1 WHERE to_user = $2 AND from_user = $3 AND id <= $4 AND read_at IS NULL",
            )
            .bind(now_ts())
            .bind(auth.id)
            .bind(from)
            .bind(id)
            .execute(tx.sql())
            .await?
            .rows_affected();
            let receipt = ReadReceipt {
                conversation_id: conversation_id(auth.id, from),
                unread_count: unread(tx.sql(), auth.id).await?,
            };
            if changed > 0 {
                tx.emit(
                    ServerEvent::MessageRead(MessageRead {
                        conversation_id: receipt.conversation_id.clone(),
                        unread_count: receipt.unread_count,
                    }),
                    Audience::Users(vec![auth.id]),
                );
                tx.emit(
                    ServerEvent::Entity(
                        EntityAction::Updated,
                        EntityChange { entity: EntityKind::Message, id: id.to_string(), version: None },
                    ),
                    Audience::Users(vec![auth.id, from]),
                );
            }
            Ok(receipt)
        }))
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
