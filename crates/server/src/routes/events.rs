//! `GET /events/missed`: the events a user may see after a cursor, page by page.
//!
//! Cursor forms: `after=<id>&epoch=<epoch>` (preferred) or `since=<RFC 3339>` (the original
//! design's). `resetRequired` answers a cursor this log cannot serve: a foreign epoch, an id
//! beyond the log's end, or a position older than what retention kept.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use ppt_protocol::rest::MissedEvents;
use sqlx::AnyConnection;

use super::AppJson;
use crate::auth::AuthUser;
use crate::db::normalize_ts;
use crate::error::{AppError, AppResult};
use crate::eventlog::{self, EVENT_COLUMNS};
use crate::state::AppState;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 500;
/// Largest page; larger asks are served this many.
pub const MAX_LIMIT: usize = 1000;

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    After { id: u64, epoch: Option<String> },
    Since(String),
}

/// A parsed, valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedQuery {
    pub cursor: Cursor,
    pub limit: usize,
}

impl MissedQuery {
    /// Reads the query string's pairs; every problem is a 400 that names the parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, AppError> {
        let get = |k: &str| -> Result<Option<&str>, AppError> {
            let mut it = pairs.iter().filter(|(key, _)| key == k);
            let first = it.next().map(|(_, v)| v.as_str());
            if it.next().is_some() {
                return Err(bad(format!("`{k}` is given more than once")));
            }
            Ok(first)
        };
        let after = get("after")?;
        let since = get("since")?;
        let epoch = get("epoch")?.map(str::to_owned);
        let limit = match get("limit")? {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(0) | Err(_) => {
                    return Err(bad("`limit` must be a whole number from 1 to 1000".into()))
                }
                Ok(n) => n.min(MAX_LIMIT),
            },
        };
        let cursor = match (after, since) {
            (Some(_), Some(_)) => {
                return Err(bad("give either `after` or `since`, not both".into()))
            }
            (None, None) => {
                return Err(bad(
                    "a cursor is required: `after=<id>&epoch=<epoch>` or `since=<RFC 3339>`".into(),
                ))
            }
            (Some(a), None) => Cursor::After {
                id: a.parse().map_err(|_| {
                    bad("`after` must be an event id (a whole number, 0 or more)".into())
                })?,
                epoch,
            },
            (None, Some(s)) => Cursor::Since(
                normalize_ts(s)
                    .ok_or_else(|| bad("`since` must be an RFC 3339 timestamp".into()))?,
            ),
        };
        Ok(MissedQuery { cursor, limit })
    }
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
    let q = MissedQuery::parse(&pairs)?;
    if let Some(mut page) = from_memory(&state, &q, auth.id, auth.building_id).await? {
        if state.store.omits_ids() {
            page.events.iter_mut().for_each(|e| e.id = None);
        }
        return Ok(AppJson(page));
    }
    // One snapshot for the page and its `latestId`: pruning or commits in between could
    // otherwise hand out a cursor past events the page does not hold.
    let mut tx = state.store.snapshot().await?;
    let mut page = read_page(&mut tx, &q, state.store.epoch(), auth.id, auth.building_id).await?;
    tx.commit().await?;
    if state.store.omits_ids() {
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
    let Cursor::After { id: after, epoch } = &q.cursor else {
        return Ok(None);
    };
    let store = &state.store;
    if epoch.as_deref().is_some_and(|e| e != store.epoch()) || !store.hub().keeps_after(*after) {
        return Ok(None);
    }
    let mut conn = store.pool().acquire().await?;
    let (head, pruned, _) = eventlog::bounds(&mut conn).await?;
    drop(conn);
    if *after > head || *after < pruned {
        return Ok(None);
    }
    store.caught_up_to(head).await?;
    Ok(store
        .hub()
        .recent_page(*after, q.limit, user, building)
        .map(|p| MissedEvents {
            events: p.events,
            has_more: p.has_more,
            latest_id: p.latest,
            epoch: store.epoch().to_owned(),
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
    let (latest, pruned, pruned_ts) = eventlog::bounds(c).await?;
    let reset = match &q.cursor {
        Cursor::After { id, epoch: asked } => {
            asked.as_deref().is_some_and(|e| e != epoch) || *id > latest || *id < pruned
        }
        Cursor::Since(ts) => pruned > 0 && pruned_ts.as_deref().is_some_and(|p| ts.as_str() < p),
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
        Cursor::After { .. } => ("e.id > $3", "r.event_id > $3"),
        Cursor::Since(_) => ("e.ts > $3", "e.ts > $3"),
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
        Cursor::After { id, .. } => query.bind(*id as i64),
        Cursor::Since(ts) => query.bind(ts.clone()),
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

    /// Valid cursors parse; the limit defaults to 500 and is capped at 1000.
    #[test]
    fn parses_cursors_and_limits() {
        let q = MissedQuery::parse(&pairs(&[("after", "5"), ("epoch", "e")])).unwrap();
        assert_eq!(
            q.cursor,
            Cursor::After {
                id: 5,
                epoch: Some("e".into())
            }
        );
        assert_eq!(q.limit, DEFAULT_LIMIT);
        let q = MissedQuery::parse(&pairs(&[("after", "0"), ("limit", "5000")])).unwrap();
        assert_eq!(q.limit, MAX_LIMIT);
        let q = MissedQuery::parse(&pairs(&[("since", "2026-11-26T13:00:00+01:00")])).unwrap();
        assert_eq!(q.cursor, Cursor::Since("2026-11-26T12:00:00.000Z".into()));
    }

    /// Every malformed request is refused, never guessed at.
    #[test]
    fn refuses_bad_parameters() {
        for bad in [
            vec![],
            vec![("after", "x")],
            vec![("after", "-1")],
            vec![("after", "1"), ("since", "2026-11-26T12:00:00Z")],
            vec![("since", "yesterday")],
            vec![("after", "1"), ("limit", "0")],
            vec![("after", "1"), ("limit", "ten")],
            vec![("after", "1"), ("after", "2")],
        ] {
            assert!(MissedQuery::parse(&pairs(&bad)).is_err(), "{bad:?}");
        }
    }
}
