//! Deleting (docs/protocol.md, "REST"): each answers 204 once [`crate::domain::deletes`]
//! deleted the record and emitted `entity:deleted` in the same commit.

use axum::extract::State;
use axum::http::StatusCode;

use super::{parse_id, AppPath};
use crate::auth::{AuthUser, RequestId};
use crate::domain::deletes::{self, Table};
use crate::error::AppResult;
use crate::state::AppState;

pub async fn announcement(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    delete(state, auth, rid, &raw, Table::Announcements).await
}

pub async fn fault(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    delete(state, auth, rid, &raw, Table::Faults).await
}

pub async fn vote(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    delete(state, auth, rid, &raw, Table::Votes).await
}

pub async fn document(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppPath(raw): AppPath<String>,
) -> AppResult<StatusCode> {
    delete(state, auth, rid, &raw, Table::Documents).await
}

async fn delete(
    state: AppState,
    auth: AuthUser,
    rid: Option<String>,
    raw: &str,
    what: Table,
) -> AppResult<StatusCode> {
    let id = parse_id(raw, what.what())?;
    let actor = auth.actor();
    state
        .storage
        .write(rid, move |tx| {
            Box::pin(deletes::delete(tx, actor, what, id))
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
