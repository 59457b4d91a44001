//! A user's notification preferences: per category, toast, sound and browser switches.

use ppt_protocol::rest::NotificationPreferences;
use ppt_protocol::ServerEvent;
use sqlx::{AnyConnection, Row};

use super::Actor;
use crate::error::AppResult;
use crate::eventlog::Audience;
use crate::storage::Tx;

/// The preferences of user `id` (the defaults where none were saved).
pub async fn of(c: &mut AnyConnection, id: i64) -> AppResult<NotificationPreferences> {
    let raw: Option<Option<String>> = sqlx::query("SELECT preferences FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(raw
        .flatten()
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default())
}

/// Replaces `actor`'s preferences and tells their other sessions (`preferences:updated`).
pub async fn replace(
    tx: &mut Tx,
    actor: Actor,
    prefs: NotificationPreferences,
) -> AppResult<NotificationPreferences> {
    let json = serde_json::to_string(&prefs).unwrap_or_default();
    sqlx::query("UPDATE users SET preferences = $1 WHERE id = $2")
        .bind(json)
        .bind(actor.id)
        .execute(tx.sql())
        .await?;
    tx.emit(
        ServerEvent::PreferencesUpdated(prefs.clone()),
        Audience::Users(vec![actor.id]),
    );
    Ok(prefs)
}
