//! `/notification-preferences`: per category, toast, sound and browser switches.

use axum::extract::State;
use ppt_protocol::rest::NotificationPreferences;
use ppt_protocol::ServerEvent;
use rusqlite::params;

use super::AppJson;
use crate::auth::{AuthUser, RequestId};
use crate::error::AppResult;
use crate::hub::Audience;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
) -> AppResult<AppJson<NotificationPreferences>> {
    let prefs = state
        .store
        .read(move |c| {
            let raw: Option<String> = c.query_row(
                "SELECT preferences FROM users WHERE id = ?1",
                [auth.id],
                |r| r.get(0),
            )?;
            Ok(raw
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default())
        })
        .await?;
    Ok(AppJson(prefs))
}

/// Replaces the preferences and tells the user's other sessions (`preferences:updated`).
pub async fn put(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppJson(prefs): AppJson<NotificationPreferences>,
) -> AppResult<AppJson<NotificationPreferences>> {
    let saved = state
        .store
        .write(rid, move |tx| {
            let json = serde_json::to_string(&prefs).unwrap_or_default();
            tx.sql().execute(
                "UPDATE users SET preferences = ?1 WHERE id = ?2",
                params![json, auth.id],
            )?;
            tx.emit(
                ServerEvent::PreferencesUpdated(prefs.clone()),
                Audience::Users(vec![auth.id]),
            )?;
            Ok(prefs)
        })
        .await?;
    Ok(AppJson(saved))
}
