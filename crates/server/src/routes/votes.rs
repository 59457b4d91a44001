//! `/votes`: managers open votes, residents vote once each ([`crate::domain::votes`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use ppt_protocol::resources::VOTES;
use ppt_protocol::rest::{CastBallot, OpenVote, Vote};

use super::create_limits::CreateKind;
use super::{parse_id, AppJson, AppPath, Page};
use crate::auth::{AuthUser, RequestId};
use crate::domain::votes::{self, Which};
use crate::domain::{Title, VoteOptions};
use crate::error::AppResult;
use crate::routes::idempotency::{self, IdempotencyKey};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Page,
) -> AppResult<AppJson<Vec<Vote>>> {
    let mut conn = state.storage.pool().acquire().await?;
    Ok(AppJson(
        votes::load(&mut conn, auth.building_id, auth.id, Which::Page(page)).await?,
    ))
}

pub async fn open(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppJson(req): AppJson<OpenVote>,
) -> AppResult<Response> {
    let actor = auth.actor();
    actor.require_manager("open a vote")?;
    let title = Title::parse("title", &req.title)?;
    let options = VoteOptions::parse("options", &req.options)?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::of(&VOTES),
        key,
        rid,
        "POST /votes",
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::CREATED, move |tx| {
        Box::pin(votes::open(tx, actor, title, options))
    })
    .await
}

pub async fn cast(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    key: IdempotencyKey,
    AppPath(raw): AppPath<String>,
    AppJson(req): AppJson<CastBallot>,
) -> AppResult<Response> {
    let id = parse_id(&raw, "vote")?;
    let actor = auth.actor();
    actor.require_resident("vote")?;
    let call = idempotency::Call::new(
        auth.id,
        CreateKind::BALLOTS,
        key,
        rid,
        &format!("POST /votes/{id}/ballots"),
        &req,
    )?;
    idempotency::create(&state, call, StatusCode::OK, move |tx| {
        Box::pin(votes::cast(tx, actor, id, req.option))
    })
    .await
}
