//! `GET /events/missed`: the events a user may see after a cursor, page by page.
//!
//! Cursor forms: `after=<id>&epoch=<epoch>` (preferred) or `since=<RFC 3339>` (the original
//! design's). `resetRequired` answers a cursor this log cannot serve: a foreign epoch, an id
//! beyond the log's end, or a position older than what retention kept.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use ppt_protocol::missed::{MissedCursor, MissedQuery};
use ppt_protocol::rest::MissedEvents;
use sqlx::AnyConnection;

use super::AppJson;
use crate::auth::AuthUser;
use crate::db::normalize_ts;
use crate::error::{AppError, AppResult};
use crate::eventlog::{self, EVENT_COLUMNS};
use crate::state::AppState;

/// A valid request, its `since` normalised to the log's timestamp form.
fn read_query(pairs: &[(String, String)]) -> Result<MissedQuery, AppError> {
    let mut q = MissedQuery::parse(pairs).map_err(bad)?;
    if let MissedCursor::Since(s) = &q.cursor {
        let normal =
            normalize_ts(s).ok_or_else(|| bad("`since` must be an RFC 3339 timestamp".into()))?;
        q.cursor = MissedCursor::Since(normal);
    }
    Ok(q)
}

fn bad(message: String) -> AppError {
    AppError::BadRequest("bad_query", message)
}

pub async fn missed(
    State(state): State<AppState>,
    auth: AuthUser,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> AppResult<AppJson<MissedEvents>> {
    let Query(pairs) = query?;
    let q = read_query(&pairs)?;
    if let Some(mut page) = from_memory(&state, &q, auth.id, auth.building_id).await? {
        if state.storage.omits_ids() {
            page.events.iter_mut().for_each(|e| e.id = None);
        }
        return Ok(AppJson(page));
    }
    // One snapshot for the page and its `latestId`: pruning or commits in between could
    // otherwise hand out a cursor past events the page does not hold.
    let mut tx = state.storage.snapshot().await?;
    let mut page = read_page(
        &mut tx,
        &q,
        state.storage.epoch(),
        auth.id,
        auth.building_id,
    )
    .await?;
    tx.commit().await?;
    if state.storage.omits_ids() {
        page.events.iter_mut().for_each(|e| e.id = None);
    }
    Ok(AppJson(page))
}

/// A page from the newest events this server keeps (`hub::RECENT`), when the cursor is
/// recent enough: the common case after a drop, answered with one small read (where the log
/// stands) instead of a range of it.
///
/// The log decides first (a foreign epoch, a cursor beyond the log's head or older than what
/// retention kept: `None`, and the log answers `resetRequired`); then this server catches
/// up with the head it read, so the page's `latestId` is never older than the log was when
/// the client asked (the client may have seen that far on another server).
async fn from_memory(
    state: &AppState,
    q: &MissedQuery,
    user: i64,
    building: i64,
) -> AppResult<Option<MissedEvents>> {
    let MissedCursor::After { id: after, epoch } = &q.cursor else {
        return Ok(None);
    };
    let storage = &state.storage;
    if epoch.as_deref().is_some_and(|e| e != storage.epoch()) || !storage.hub().keeps_after(*after)
    {
        return Ok(None);
    }
    let mut conn = storage.pool().acquire().await?;
    let (head, pruned, _) = eventlog::bounds_for(&mut conn, user, building).await?;
    drop(conn);
    if *after > head || *after < pruned {
        return Ok(None);
    }
    storage.caught_up_to(head).await?;
    Ok(storage
        .hub()
        .recent_page(*after, q.limit, user, building)
        .map(|p| MissedEvents {
            events: p.events,
            has_more: p.has_more,
            latest_id: p.latest,
            epoch: storage.epoch().to_owned(),
            reset_required: false,
        }))
}

/// One page for one user, from the log.
pub async fn read_page(
    c: &mut AnyConnection,
    q: &MissedQuery,
    epoch: &str,
    user: i64,
    building: i64,
) -> AppResult<MissedEvents> {
    let (latest, pruned, pruned_ts) = eventlog::bounds_for(c, user, building).await?;
    let reset = match &q.cursor {
        MissedCursor::Head => true,
        MissedCursor::After { id, epoch: asked } => {
            asked.as_deref().is_some_and(|e| e != epoch) || *id > latest || *id < pruned
        }
        MissedCursor::Since(ts) => {
            pruned > 0 && pruned_ts.as_deref().is_some_and(|p| ts.as_str() < p)
        }
    };
    if reset {
        return Ok(MissedEvents {
            events: Vec::new(),
            has_more: false,
            latest_id: latest,
            epoch: epoch.to_owned(),
            reset_required: true,
        });
    }
    // Both halves are index range scans: building-wide events, and the user's own.
    let (cond, recipient_cond) = match &q.cursor {
        MissedCursor::After { .. } | MissedCursor::Head => ("e.id > $3", "r.event_id > $3"),
        MissedCursor::Since(_) => ("e.ts > $3", "e.ts > $3"),
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.building_id = $1 AND {cond}
         UNION ALL
         SELECT {EVENT_COLUMNS} FROM event_recipients r JOIN events e ON e.id = r.event_id
           WHERE r.user_id = $2 AND {recipient_cond}
         ORDER BY 1 LIMIT $4"
    );
    let query = sqlx::query(&sql).bind(building).bind(user);
    let query = match &q.cursor {
        MissedCursor::After { id, .. } => query.bind(*id as i64),
        MissedCursor::Head => query.bind(latest as i64),
        MissedCursor::Since(ts) => query.bind(ts.clone()),
    };
    let rows = query.bind((q.limit + 1) as i64).fetch_all(&mut *c).await?;
    let has_more = rows.len() > q.limit;
    let events = rows
        .iter()
        .take(q.limit)
        .map(eventlog::envelope)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MissedEvents {
        events,
        has_more,
        latest_id: latest,
        epoch: epoch.to_owned(),
        reset_required: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The protocol crate reads the query (its golden tests cover the forms); the server
    /// adds the timestamp's normalisation and refuses one that is not RFC 3339.
    #[test]
    fn since_is_normalised_or_refused() {
        let q = read_query(&pairs(&[("since", "2026-11-26T13:00:00+01:00")])).unwrap();
        assert_eq!(
            q.cursor,
            MissedCursor::Since("2026-11-26T12:00:00.000Z".into())
        );
        for bad in [vec![("since", "yesterday")], vec![("after", "x")], vec![]] {
            assert!(read_query(&pairs(&bad)).is_err(), "{bad:?}");
        }
    }
}
