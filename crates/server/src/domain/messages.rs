//! Messages: one neighbour writes to another in the same building; both get `message:new`.

use ppt_protocol::envelope::{EntityAction, EntityChange, MessageNew, MessageRead};
use ppt_protocol::rest::{Message, ReadReceipt};
use ppt_protocol::Timestamp;
use ppt_protocol::{EntityKind, ServerEvent};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use super::{Actor, MessageBody};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::eventlog::Audience;
use crate::storage::Tx;

/// The conversation between two users: the same id in both directions.
pub fn conversation_id(a: i64, b: i64) -> String {
    format!("{}-{}", a.min(b), a.max(b))
}

pub const SELECT: &str = "SELECT m.id, m.from_user, u.name, m.to_user, m.body, m.sent_at, m.read_at
     FROM messages m JOIN users u ON u.id = m.from_user";

pub fn message_row(r: &AnyRow) -> Result<Message, sqlx::Error> {
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

pub async fn unread<'c, E>(c: E, user: i64) -> AppResult<u64>
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

/// Sends a message inside a write: the row, then `message:new` and `entity:created` to both
/// participants. The recipient must live in the sender's building.
pub async fn send(tx: &mut Tx, from: Actor, to: i64, body: MessageBody) -> AppResult<Message> {
    if to == from.id {
        return Err(AppError::field(
            "toUserId",
            "you cannot send a message to yourself",
        ));
    }
    let recipient_building: Option<i64> =
        sqlx::query("SELECT building_id FROM users WHERE id = $1 AND removed_at IS NULL")
            .bind(to)
            .fetch_optional(tx.sql())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    if recipient_building != Some(from.building_id) {
        return Err(AppError::NotFound("no such neighbour".into()));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO messages (from_user, to_user, body, sent_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(from.id)
    .bind(to)
    .bind(body.into_string())
    .bind(now_ts())
    .fetch_one(tx.sql())
    .await?
    .try_get(0)?;
    let sql = format!("{SELECT} WHERE m.id = $1");
    let msg = message_row(&sqlx::query(&sql).bind(id).fetch_one(tx.sql()).await?)?;
    let both = Audience::Users(vec![to, from.id]);
    tx.emit(
        ServerEvent::MessageNew(MessageNew {
            message: msg.clone(),
        }),
        both.clone(),
    );
    tx.emit(
        ServerEvent::Entity(
            EntityAction::Created,
            EntityChange {
                entity: EntityKind::Message,
                id: msg.id.clone(),
                version: None,
            },
        ),
        both,
    );
    Ok(msg)
}

/// `reader` reads message `id` sent to them, and every earlier one from its sender: the
/// reader's sessions get `message:read` with the new unread count, both participants
/// `entity:updated message` (the sender's "Read" mark). 404 for a message not to them.
pub async fn read(tx: &mut Tx, reader: Actor, id: i64) -> AppResult<ReadReceipt> {
    let from: i64 = sqlx::query("SELECT from_user FROM messages WHERE id = $1 AND to_user = $2")
        .bind(id)
        .bind(reader.id)
        .fetch_optional(tx.sql())
        .await?
        .ok_or_else(|| AppError::NotFound("no such message".into()))?
        .try_get(0)?;
    let changed = sqlx::query(
                "UPDATE messages SET read_at = $1 WHERE to_user = $2 AND from_user = $3 AND id <= $4 AND read_at IS NULL",
            )
            .bind(now_ts())
            .bind(reader.id)
            .bind(from)
            .bind(id)
            .execute(tx.sql())
            .await?
            .rows_affected();
    let receipt = ReadReceipt {
        conversation_id: conversation_id(reader.id, from),
        unread_count: unread(tx.sql(), reader.id).await?,
    };
    if changed > 0 {
        tx.emit(
            ServerEvent::MessageRead(MessageRead {
                conversation_id: receipt.conversation_id.clone(),
                unread_count: receipt.unread_count,
            }),
            Audience::Users(vec![reader.id]),
        );
        tx.emit(
            ServerEvent::Entity(
                EntityAction::Updated,
                EntityChange {
                    entity: EntityKind::Message,
                    id: id.to_string(),
                    version: None,
                },
            ),
            Audience::Users(vec![reader.id, from]),
        );
    }
    Ok(receipt)
}
