//! `/notification-preferences`: per category, toast, sound and browser switches
//! ([`crate::domain::preferences`]).

use axum::extract::State;
use ppt_protocol::rest::NotificationPreferences;

use super::AppJson;
use crate::auth::{AuthUser, RequestId};
use crate::domain::preferences;
use crate::error::AppResult;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
) -> AppResult<AppJson<NotificationPreferences>> {
    let mut c = state.storage.pool().acquire().await?;
    Ok(AppJson(preferences::of(&mut c, auth.id).await?))
}

/// Replaces the preferences and tells the user's other sessions (`preferences:updated`).
pub async fn put(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppJson(prefs): AppJson<NotificationPreferences>,
) -> AppResult<AppJson<NotificationPreferences>> {
    let actor = auth.actor();
    let saved = state
        .storage
        .write(rid, move |tx| {
            Box::pin(preferences::replace(tx, actor, prefs))
        })
        .await?;
    Ok(AppJson(saved))
}
