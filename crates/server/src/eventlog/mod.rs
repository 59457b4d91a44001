//! The event log: every change's events, numbered in commit order, read back in that order
//! by every server ([`follower`]) and by clients catching up (`/events/missed`).
//!
//! # Why ids are in commit order on every backend
//!
//! A transaction takes its ids as its very last step before `COMMIT`, by advancing the one
//! counter row `log_head` (`UPDATE … SET last_id = last_id + n RETURNING last_id`). The
//! update holds that row's lock until the transaction ends, so a second appender (on this
//! server or any other) waits at the same statement until the first has committed, and only
//! then reads the advanced counter. So the transaction holding ids up to N has committed
//! before any transaction can even be given N+1, and ids are given in commit order. A
//! rolled-back transaction rolls its counter update back too: no holes.
//!
//! Readers never see N+1 without N. PostgreSQL makes a transaction visible to new snapshots
//! before it releases its locks (ProcArray end, then lock release, in `CommitTransaction`),
//! so when the next appender can advance the counter, N is already visible; any snapshot
//! that sees N+1 also sees N. SQLite has one writer at a time and one server per file. A
//! `SEQUENCE` or identity column would not do: it hands out numbers at insert time, and a
//! transaction that took 7 could commit after one that took 8, so a reader that saw 8 and
//! moved its cursor past it would never see 7.
//!
//! The lock is held only from the id assignment to the commit (two or three statements and
//! the commit's flush), so appends from many servers queue for a short moment each.

pub mod retention;

use ppt_protocol::{Envelope, RawJson, ServerEvent, Timestamp};
use sqlx::AnyConnection;
use sqlx::Row;

use crate::db::{now_ts, Db};
use crate::error::{AppError, AppResult};

/// An event waiting in a transaction for its id.
#[derive(Debug, Clone)]
pub struct Pending {
    pub event: ServerEvent,
    pub audience: Audience,
    /// The `X-Request-Id` of the write that emitted it.
    pub request_id: Option<String>,
}

/// Who may see an event: a property of the event as logged (the hub delivers by it, and
/// `/events/missed` filters by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every member of a building.
    Building(i64),
    /// These users only.
    Users(Vec<i64>),
}

/// A committed event, ready for the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub id: u64,
    pub audience: Audience,
    /// The envelope, with its id (as `/events/missed` hands it out).
    pub envelope: Envelope,
    /// The envelope's JSON as sockets receive it (without `prevId`, which is per user).
    pub frame: String,
    /// Whether the frame carries its id (off with `--omit-event-ids`).
    pub numbered: bool,
}

impl Committed {
    fn new(envelope: Envelope, audience: Audience, omit_ids: bool) -> Self {
        let id = envelope.id.unwrap_or(0);
        let frame = Envelope {
            id: (!omit_ids).then_some(id),
            ..envelope.clone()
        }
        .to_json();
        Committed {
            id,
            audience,
            envelope,
            frame,
            numbered: !omit_ids,
        }
    }

    /// The id the hub chains `prevId` on, when frames carry ids.
    pub fn chain_id(&self) -> Option<u64> {
        self.numbered.then_some(self.id)
    }

    /// Whether a user of a building may see this event.
    pub fn visible_to(&self, user: i64, building: i64) -> bool {
        match &self.audience {
            Audience::Building(b) => *b == building,
            Audience::Users(users) => users.contains(&user),
        }
    }
}

/// Columns of an event row, in the order [`envelope`] reads them.
pub const EVENT_COLUMNS: &str = "e.id, e.type, e.payload, e.ts, e.request_id";

/// Reads an event row (`EVENT_COLUMNS` first) back into its envelope. A row this build cannot
/// read (written by a newer one) is passed on as an unknown event.
pub fn envelope(row: &sqlx::any::AnyRow) -> Result<Envelope, sqlx::Error> {
    let event_type: String = row.try_get(1)?;
    let payload: String = row.try_get(2)?;
    let event =
        ServerEvent::from_parts(&event_type, &payload).unwrap_or_else(|_| ServerEvent::Unknown {
            event_type,
            payload: RawJson::from_text(payload).unwrap_or_default(),
        });
    Ok(Envelope {
        event,
        timestamp: Timestamp(row.try_get(3)?),
        request_id: row.try_get(4)?,
        id: Some(row.try_get::<i64, _>(0)? as u64),
        prev_id: None,
    })
}

/// The audience stored with an event: a building, or a list of users.
fn audience(building: Option<i64>, recipients: Option<String>) -> Audience {
    match building {
        Some(b) => Audience::Building(b),
        None => Audience::Users(
            recipients
                .unwrap_or_default()
                .split(',')
                .filter_map(|u| u.parse().ok())
                .collect(),
        ),
    }
}

/// Appends a transaction's events, as its last step before `COMMIT` (see the module docs).
pub async fn append(
    conn: &mut AnyConnection,
    db: &Db,
    server: &str,
    pending: Vec<Pending>,
    omit_ids: bool,
) -> AppResult<Vec<Committed>> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let n = pending.len() as i64;
    let ts = now_ts();
    // Each event by its place in the transaction (1..=n); ids are known once the counter moved.
    let mut rows = Vec::with_capacity(pending.len());
    let mut recipients: Vec<(i64, i64)> = Vec::new();
    for (i, p) in pending.into_iter().enumerate() {
        let ord = i as i64 + 1;
        let payload = p
            .event
            .payload_json()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (building, users) = match &p.audience {
            Audience::Building(b) => (Some(*b), None),
            Audience::Users(users) => {
                let mut users = users.clone();
                users.sort_unstable();
                users.dedup();
                recipients.extend(users.iter().map(|u| (ord, *u)));
                let list = users
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                (None, Some(list))
            }
        };
        rows.push((ord, payload, building, users, p));
    }

    let last: i64 = match db.backend.append_statement(rows.len(), recipients.len()) {
        // PostgreSQL: the counter, both inserts and the notification in one statement, so
        // the counter's lock is held for one round trip and the commit.
        Some(sql) => {
            let mut q = sqlx::query(&sql)
                .bind(n)
                .bind(ts.clone())
                .bind(server.to_owned());
            for (ord, payload, building, users, p) in &rows {
                q = q
                    .bind(*ord)
                    .bind(p.event.event_type().to_owned())
                    .bind(payload.clone())
                    .bind(*building)
                    .bind(users.clone())
                    .bind(p.request_id.clone());
            }
            for (ord, user) in &recipients {
                q = q.bind(*ord).bind(*user);
            }
            q.fetch_one(&mut *conn).await?.try_get(0)?
        }
        // SQLite (one writer at a time): the same, statement by statement.
        None => {
            let last: i64 = sqlx::query(
                "UPDATE log_head SET last_id = last_id + $1 WHERE id = 1 RETURNING last_id",
            )
            .bind(n)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
            let first = last - n;
            let mut sql = String::from(
                "INSERT INTO events (id, type, payload, ts, request_id, building_id, recipients) VALUES ",
            );
            sql.push_str(&placeholders(rows.len(), 7));
            let mut q = sqlx::query(&sql);
            for (ord, payload, building, users, p) in &rows {
                q = q
                    .bind(first + ord)
                    .bind(p.event.event_type().to_owned())
                    .bind(payload.clone())
                    .bind(ts.clone())
                    .bind(p.request_id.clone())
                    .bind(*building)
                    .bind(users.clone());
            }
            q.execute(&mut *conn).await?;
            if !recipients.is_empty() {
                let sql = format!(
                    "INSERT INTO event_recipients (event_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
                    placeholders(recipients.len(), 2)
                );
                let mut q = sqlx::query(&sql);
                for (ord, user) in &recipients {
                    q = q.bind(first + ord).bind(*user);
                }
                q.execute(&mut *conn).await?;
            }
            last
        }
    };
    let first = last - n;

    Ok(rows
        .into_iter()
        .map(|(ord, _, _, _, p)| {
            let envelope = Envelope {
                event: p.event,
                timestamp: Timestamp(ts.clone()),
                request_id: p.request_id,
                id: Some((first + ord) as u64),
                prev_id: None,
            };
            Committed::new(envelope, p.audience, omit_ids)
        })
        .collect())
}

/// `rows` groups of `width` numbered placeholders: `($1, $2), ($3, $4)` for 2 and 2.
pub fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Up to `limit` committed events after `after`, in id order, with their audiences.
pub async fn read_after(
    conn: &mut AnyConnection,
    after: u64,
    limit: usize,
    omit_ids: bool,
) -> AppResult<Vec<Committed>> {
    let rows = sqlx::query(
        "SELECT e.id, e.type, e.payload, e.ts, e.request_id, e.building_id, e.recipients
         FROM events e WHERE e.id > $1 ORDER BY e.id LIMIT $2",
    )
    .bind(after as i64)
    .bind(limit as i64)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let audience = audience(row.try_get(5)?, row.try_get(6)?);
            Ok(Committed::new(envelope(row)?, audience, omit_ids))
        })
        .collect()
}

/// The newest id the log has given (pruning does not lower it).
pub async fn head(conn: &mut AnyConnection) -> AppResult<u64> {
    let last: i64 = sqlx::query("SELECT last_id FROM log_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(last.max(0) as u64)
}

/// The log's newest id and the newest event in it that a user may see (0 if none), read in
/// one statement so that the second is never newer than the first.
pub async fn head_and_visible(db: &Db, user: i64, building: i64) -> AppResult<(u64, u64)> {
    let row = sqlx::query(
        "SELECT (SELECT last_id FROM log_head WHERE id = 1),
                (SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM events WHERE building_id = $1
                                     UNION ALL
                                     SELECT MAX(event_id) FROM event_recipients WHERE user_id = $2) v)",
    )
    .bind(building)
    .bind(user)
    .fetch_one(&db.pool)
    .await?;
    let head: i64 = row.try_get(0)?;
    let visible: Option<i64> = row.try_get(1)?;
    Ok((head.max(0) as u64, visible.unwrap_or(0).max(0) as u64))
}

/// Where the log stands: its newest id, the highest id pruned from it and that event's
/// timestamp, read in one statement.
pub async fn bounds(conn: &mut AnyConnection) -> AppResult<(u64, u64, Option<String>)> {
    let row = sqlx::query(
        "SELECT h.last_id, p.through, p.through_ts FROM log_head h, log_pruned p
         WHERE h.id = 1 AND p.id = 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((
        row.try_get::<i64, _>(0)?.max(0) as u64,
        row.try_get::<i64, _>(1)?.max(0) as u64,
        row.try_get(2)?,
    ))
}

/// Where the log stands for one user: its newest id, and how far it was pruned for them
/// (the log's prefix or either of their streams, whichever went further) with that event's
/// timestamp (see [`retention`]).
pub async fn bounds_for(
    conn: &mut AnyConnection,
    user: i64,
    building: i64,
) -> AppResult<(u64, u64, Option<String>)> {
    // One statement, as `bounds` is: this is on the catch-up's fast path (answered from
    // memory after this one read).
    let row = sqlx::query(
        "SELECT h.last_id, p.through, p.through_ts,
                (SELECT MAX(through) FROM log_pruned_streams WHERE stream IN ($1, $2)),
                (SELECT MAX(through_ts) FROM log_pruned_streams WHERE stream IN ($1, $2))
         FROM log_head h, log_pruned p WHERE h.id = 1 AND p.id = 1",
    )
    .bind(retention::building_stream(building))
    .bind(retention::user_stream(user))
    .fetch_one(&mut *conn)
    .await?;
    let head = row.try_get::<i64, _>(0)?.max(0) as u64;
    let pruned = row.try_get::<i64, _>(1)?.max(0) as u64;
    let stream = row.try_get::<Option<i64>, _>(3)?.unwrap_or(0).max(0) as u64;
    Ok(if stream > pruned {
        (head, stream, row.try_get(4)?)
    } else {
        (head, pruned, row.try_get(2)?)
    })
}

/// The highest id pruned from the log, and that event's timestamp.
pub async fn pruned_through(conn: &mut AnyConnection) -> AppResult<(u64, Option<String>)> {
    let row = sqlx::query("SELECT through, through_ts FROM log_pruned WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get::<i64, _>(0)?.max(0) as u64, row.try_get(1)?))
}

/// Deletes the events older than the newest `retention` as of `head`, remembering how far it
/// went; returns that point. Several servers (or writers) may call it at once: they take
/// turns, and each finds what the one before it pruned.
pub async fn prune(db: &Db, head: u64, retention: u64) -> AppResult<u64> {
    let cutoff = head.saturating_sub(retention) as i64;
    let mut tx = db.pool.begin().await?;
    let outcome = prune_in(&mut tx, db, cutoff).await;
    // Ended here, not when dropped: a dropped transaction is rolled back later, in the
    // background, and would hold the pruning lock until then.
    match outcome {
        Ok(through) => {
            tx.commit().await?;
            Ok(through)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn prune_in(conn: &mut AnyConnection, db: &Db, cutoff: i64) -> AppResult<u64> {
    if let Some(lock) = db.backend.prune_lock() {
        sqlx::query(lock).execute(&mut *conn).await?;
    }
    prune_prefix(conn, cutoff).await?;
    Ok(pruned_through(conn).await?.0)
}

/// Deletes every event up to `cutoff` (inside a pruning transaction) and moves the log's
/// prefix mark there; returns how many events went.
pub(crate) async fn prune_prefix(conn: &mut AnyConnection, cutoff: i64) -> AppResult<u64> {
    let (done, _) = pruned_through(conn).await?;
    if cutoff <= done as i64 {
        return Ok(0);
    }
    let last_ts: Option<String> =
        sqlx::query("SELECT ts FROM events WHERE id <= $1 ORDER BY id DESC LIMIT 1")
            .bind(cutoff)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    sqlx::query("DELETE FROM event_recipients WHERE event_id <= $1")
        .bind(cutoff)
        .execute(&mut *conn)
        .await?;
    let gone = sqlx::query("DELETE FROM events WHERE id <= $1")
        .bind(cutoff)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query(
        "UPDATE log_pruned SET through = $1, through_ts = COALESCE($2, through_ts) WHERE id = 1",
    )
    .bind(cutoff)
    .bind(last_ts)
    .execute(&mut *conn)
    .await?;
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Placeholders are numbered across rows.
    #[test]
    fn numbered_placeholders() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3), "($1, $2, $3)");
    }

    /// A stored audience reads back as it was written.
    #[test]
    fn audiences_read_back() {
        assert_eq!(audience(Some(3), None), Audience::Building(3));
        assert_eq!(
            audience(None, Some("1,4".into())),
            Audience::Users(vec![1, 4])
        );
        assert_eq!(audience(None, None), Audience::Users(vec![]));
    }
}
