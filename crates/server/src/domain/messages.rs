//! Messages: one neighbour writes to another in the same building; both get `message:new`.

use ppt_protocol::envelope::{EntityAction, EntityChange, MessageNew};
use ppt_protocol::rest::Message;
use ppt_protocol::{EntityKind, ServerEvent};
use sqlx::Row;

use super::{Actor, MessageBody};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::eventlog::Audience;
use crate::routes::messages::{message_row, SELECT};
use crate::storage::Tx;

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
