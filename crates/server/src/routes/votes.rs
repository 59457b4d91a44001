//! `/votes`: managers open votes, residents vote once each.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use ppt_protocol::envelope::EntityAction;
use ppt_protocol::rest::{CastBallot, NotificationCategory, OpenVote, Role, Vote, VoteOption};
use ppt_protocol::{EntityKind, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use super::lists::{emit_entity, emit_notification, notification};
use super::{parse_id, text_field, AppJson};
use crate::auth::{AuthUser, RequestId};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users;

const MAX_OPTIONS: usize = 10;

/// One vote as `user` sees it, if it is in `building`.
fn load(c: &Connection, id: i64, building: i64, user: i64) -> AppResult<Option<Vote>> {
    let row: Option<(String, String, String, i64)> = c
        .query_row(
            "SELECT title, options, created_at, version FROM votes WHERE id = ?1 AND building_id = ?2",
            params![id, building],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((title, options, created_at, version)) = row else {
        return Ok(None);
    };
    let labels: Vec<String> = serde_json::from_str(&options).unwrap_or_default();
    let mut stmt = c.prepare_cached(
        "SELECT option, COUNT(*) FROM ballots WHERE vote_id = ?1 GROUP BY option",
    )?;
    let counts = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let my_choice = c
        .query_row(
            "SELECT option FROM ballots WHERE vote_id = ?1 AND user_id = ?2",
            params![id, user],
            |r| r.get(0),
        )
        .optional()?;
    Ok(Some(Vote {
        id: id.to_string(),
        title,
        options: labels
            .into_iter()
            .map(|label| {
                let count = counts
                    .iter()
                    .find(|(l, _)| *l == label)
                    .map_or(0, |(_, n)| *n as u64);
                VoteOption { label, count }
            })
            .collect(),
        my_choice,
        created_at: Timestamp(created_at),
        version: version as u64,
    }))
}

pub async fn list(State(state): State<AppState>, auth: AuthUser) -> AppResult<AppJson<Vec<Vote>>> {
    let out = state
        .store
        .read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT id FROM votes WHERE building_id = ?1 ORDER BY id DESC")?;
            let ids = stmt
                .query_map([auth.building_id], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(load(c, id, auth.building_id, auth.id)?);
            }
            Ok(out)
        })
        .await?;
    Ok(AppJson(out))
}

pub async fn open(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    AppJson(req): AppJson<OpenVote>,
) -> AppResult<(StatusCode, AppJson<Vote>)> {
    auth.require_manager("open a vote")?;
    let title = text_field("title", &req.title, 200)?;
    let mut options: Vec<String> = Vec::new();
    for o in &req.options {
        let o = text_field("options", o, 100)?;
        if options.contains(&o) {
            return Err(AppError::field("options", "options must differ"));
        }
        options.push(o);
    }
    if options.len() < 2 || options.len() > MAX_OPTIONS {
        return Err(AppError::field(
            "options",
            format!("a vote needs 2 to {MAX_OPTIONS} options"),
        ));
    }
    let vote = state
        .store
        .write(rid, move |tx| {
            tx.sql().execute(
                "INSERT INTO votes (building_id, title, options, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![auth.building_id, title, serde_json::to_string(&options).unwrap_or_default(), now_ts()],
            )?;
            let id = tx.sql().last_insert_rowid();
            let vote = load(tx.sql(), id, auth.building_id, auth.id)?
                .ok_or_else(|| AppError::Internal("vote vanished".into()))?;
            emit_entity(tx, EntityAction::Created, EntityKind::Vote, id, Some(1), auth.building_id)?;
            let residents = users::in_building(tx.sql(), auth.building_id, Some(Role::Resident))?;
            emit_notification(
                tx,
                NotificationCategory::Vote,
                notification(format!("vote-{id}"), format!("New vote: {}", vote.title), "Cast your vote on the votes page.".into(), id, "/votes".into()),
                residents,
            )?;
            Ok(vote)
        })
        .await?;
    Ok((StatusCode::CREATED, AppJson(vote)))
}

pub async fn cast(
    State(state): State<AppState>,
    auth: AuthUser,
    RequestId(rid): RequestId,
    Path(raw): Path<String>,
    AppJson(req): AppJson<CastBallot>,
) -> AppResult<AppJson<Vote>> {
    let id = parse_id(&raw, "vote")?;
    if auth.role != Role::Resident {
        return Err(AppError::Forbidden("only residents vote".into()));
    }
    let vote = state
        .store
        .write(rid, move |tx| {
            let vote = load(tx.sql(), id, auth.building_id, auth.id)?
                .ok_or_else(|| AppError::NotFound("no such vote".into()))?;
            if vote.my_choice.is_some() {
                return Err(AppError::Conflict(
                    "already_voted",
                    "you have already voted".into(),
                ));
            }
            if !vote.options.iter().any(|o| o.label == req.option) {
                return Err(AppError::field("option", "not one of this vote's options"));
            }
            tx.sql().execute(
                "INSERT INTO ballots (vote_id, user_id, option) VALUES (?1, ?2, ?3)",
                params![id, auth.id, req.option],
            )?;
            tx.sql()
                .execute("UPDATE votes SET version = version + 1 WHERE id = ?1", [id])?;
            let vote = load(tx.sql(), id, auth.building_id, auth.id)?
                .ok_or_else(|| AppError::Internal("vote vanished".into()))?;
            emit_entity(
                tx,
                EntityAction::Updated,
                EntityKind::Vote,
                id,
                Some(vote.version),
                auth.building_id,
            )?;
            Ok(vote)
        })
        .await?;
    Ok(AppJson(vote))
}
