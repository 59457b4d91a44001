//! `/notification-preferences`: per category, toast, sound and browser switches.

use axum::extract::State;
use ppt_protocol::rest::NotificationPreferences;
use ppt_protocol::ServerEvent;
use sqlx::Row;

use super::AppJson;
use crate::auth::{AuthUser, RequestId};
use crate::error::AppResult;
use crate::eventlog::Audience;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
) -> AppResult<AppJson<NotificationPreferences>> {
    let raw: Option<Option<String>> = sqlx::query("SELECT preferences FROM users WHERE id = $1")
        .bind(auth.id)
        .fetch_optional(state.storage.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(AppJson(
        raw.flatten()
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default(),
    ))
}

/// Replaces the preferences and tells the user's other sessions (`preferences:updated`).
pub async fn put(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppJson(prefs): AppJson<NotificationPreferences>,
) -> AppResult<AppJson<NotificationPreferences>> {
    let saved = state
        .storage
        .write(rid, move |tx| {
            Box::pin(async move {
                let json = serde_json::to_string(&prefs).unwrap_or_default();
                sqlx::query("UPDATE users SET preferences = $1 WHERE id = $2")
                    .bind(json)
                    .bind(auth.id)
                    .execute(tx.sql())
                    .await?;
                tx.emit(
                    ServerEvent::PreferencesUpdated(prefs.clone()),
                    Audience::Users(vec![auth.id]),
                );
                Ok(prefs)
            })
        })
        .await?;
    Ok(AppJson(saved))
}
