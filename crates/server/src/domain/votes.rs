//! Votes: a manager opens one for the building (its residents are notified); each resident
//! casts one ballot.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::resources::VOTES;
use ppt_protocol::rest::{NotificationCategory, Role, Vote, VoteOption};
use ppt_protocol::{EntityKind, Timestamp};
use sqlx::AnyConnection;
use sqlx::Row;

use super::events::{emit_entity, emit_notification, notification};
use super::{Actor, Title, VoteOptions};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::routes::Page;
use crate::storage::Tx;
use crate::users;

/// Which votes to load.
pub enum Which {
    One(i64),
    Page(Page),
}

/// The votes of `building` as `user` sees them, newest first: a page of them, or one. Three
/// queries however many votes there are.
pub async fn load(
    c: &mut AnyConnection,
    building: i64,
    user: i64,
    which: Which,
) -> AppResult<Vec<Vote>> {
    let (only, page) = match which {
        Which::One(id) => (id, Page::default()),
        // `only` of 0 matches no vote id; `$2 = 0` then keeps every vote of the page.
        Which::Page(page) => (0, page),
    };
    let votes = sqlx::query(
        "SELECT id, title, options, created_at, version FROM votes
         WHERE building_id = $1 AND ($2 = 0 OR id = $2) AND id < $3 ORDER BY id DESC LIMIT $4",
    )
    .bind(building)
    .bind(only)
    .bind(page.before)
    .bind(page.limit)
    .fetch_all(&mut *c)
    .await?;
    let ids: Vec<i64> = votes
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let (Some(&newest), Some(&oldest)) = (ids.first(), ids.last()) else {
        return Ok(Vec::new());
    };
    // The page's votes are exactly the building's votes between its oldest and newest ids.
    let counts = sqlx::query(
        "SELECT b.vote_id, b.option, COUNT(*) FROM ballots b JOIN votes v ON v.id = b.vote_id
         WHERE v.building_id = $1 AND v.id BETWEEN $2 AND $3 GROUP BY b.vote_id, b.option",
    )
    .bind(building)
    .bind(oldest)
    .bind(newest)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<i64, _>(0)?,
            r.try_get::<String, _>(1)?,
            r.try_get::<i64, _>(2)?,
        ))
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mine = sqlx::query(
        "SELECT b.vote_id, b.option FROM ballots b JOIN votes v ON v.id = b.vote_id
         WHERE v.building_id = $1 AND v.id BETWEEN $2 AND $3 AND b.user_id = $4",
    )
    .bind(building)
    .bind(oldest)
    .bind(newest)
    .bind(user)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    votes
        .iter()
        .map(|r| {
            let id: i64 = r.try_get(0)?;
            let labels: Vec<String> =
                serde_json::from_str(&r.try_get::<String, _>(2)?).unwrap_or_default();
            Ok(Vote {
                id: id.to_string(),
                title: r.try_get(1)?,
                options: labels
                    .into_iter()
                    .map(|label| {
                        let count = counts
                            .iter()
                            .find(|(v, l, _)| *v == id && *l == label)
                            .map_or(0, |(_, _, n)| *n as u64);
                        VoteOption { label, count }
                    })
                    .collect(),
                my_choice: mine.iter().find(|(v, _)| *v == id).map(|(_, o)| o.clone()),
                created_at: Timestamp(r.try_get(3)?),
                version: r.try_get::<i64, _>(4)? as u64,
            })
        })
        .collect()
}

/// One vote as `user` sees it, if it is in `building`.
pub async fn load_one(
    c: &mut AnyConnection,
    id: i64,
    building: i64,
    user: i64,
) -> AppResult<Option<Vote>> {
    Ok(load(c, building, user, Which::One(id)).await?.pop())
}

/// A manager opens a vote: `entity:created` to the building, a notification to its
/// residents.
pub async fn open(
    tx: &mut Tx,
    actor: Actor,
    title: Title,
    options: VoteOptions,
) -> AppResult<Vote> {
    actor.require_manager("open a vote")?;
    let id: i64 = sqlx::query(
        "INSERT INTO votes (building_id, title, options, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(actor.building_id)
    .bind(title.into_string())
    .bind(serde_json::to_string(options.labels()).unwrap_or_default())
    .bind(now_ts())
    .fetch_one(tx.sql())
    .await?
    .try_get(0)?;
    let vote = load_one(tx.sql(), id, actor.building_id, actor.id)
        .await?
        .ok_or_else(|| AppError::Internal("vote vanished".into()))?;
    emit_entity(
        tx,
        EntityAction::Created,
        EntityKind::Vote,
        id,
        Some(1),
        actor.building_id,
    );
    let residents = users::in_building(tx.sql(), actor.building_id, Some(Role::Resident)).await?;
    emit_notification(
        tx,
        NotificationCategory::Vote,
        notification(
            format!("vote-{id}"),
            format!("New vote: {}", vote.title),
            "Cast your vote on the votes page.".into(),
            id,
            VOTES.link(&id.to_string()),
        ),
        residents,
    );
    Ok(vote)
}

/// A resident casts their one ballot in vote `id`: `entity:updated` with the new count's
/// version. A second ballot is 409 `already_voted`, on any server.
pub async fn cast(tx: &mut Tx, actor: Actor, id: i64, option: String) -> AppResult<Vote> {
    actor.require_resident("vote")?;
    let vote = load_one(tx.sql(), id, actor.building_id, actor.id)
        .await?
        .ok_or_else(|| AppError::NotFound("no such vote".into()))?;
    if vote.my_choice.is_some() {
        return Err(AppError::Conflict(
            "already_voted",
            "you have already voted".into(),
        ));
    }
    if !vote.options.iter().any(|o| o.label == option) {
        return Err(AppError::field("option", "not one of this vote's options"));
    }
    sqlx::query("INSERT INTO ballots (vote_id, user_id, option) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(actor.id)
        .bind(option)
        .execute(tx.sql())
        .await
        .map_err(|e| match e.as_database_error() {
            // The same user voting at once on two servers: the second ballot loses.
            Some(d) if d.is_unique_violation() => {
                AppError::Conflict("already_voted", "you have already voted".into())
            }
            _ => AppError::from(e),
        })?;
    sqlx::query("UPDATE votes SET version = version + 1 WHERE id = $1")
        .bind(id)
        .execute(tx.sql())
        .await?;
    let vote = load_one(tx.sql(), id, actor.building_id, actor.id)
        .await?
        .ok_or_else(|| AppError::Internal("vote vanished".into()))?;
    emit_entity(
        tx,
        EntityAction::Updated,
        EntityKind::Vote,
        id,
        Some(vote.version),
        actor.building_id,
    );
    Ok(vote)
}
