//! What the log keeps (docs/protocol.md, "Limits"): the newest `--event-retention` events of
//! each *stream*, and none older than `--event-retention-days`.
//!
//! A stream is what one audience sees of the log: a building's building-wide events
//! (`b:<id>`), or one person's own events (`u:<id>`, messages and notifications addressed to
//! them). A user of building B reads two streams, `b:B` and `u:<them>`; a cursor of theirs
//! that is older than how far either was pruned gets `resetRequired`. So a flood in one
//! building (or between two people) prunes only those streams: nobody else's catch-up is cut
//! short, however many events it writes. Age applies to every stream alike and moves the
//! log's one prefix mark (`log_pruned`), as counting did before.
//!
//! Pruning runs on the writers' path as the log grows (every thousandth of the retention in
//! appends), in one transaction that several servers take turns at.

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use crate::db::Db;
use crate::error::AppResult;

/// What the log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Events kept per stream (a building, or a person), at least 1.
    pub per_stream: u64,
    /// No event older than this is kept (`None`: no limit by age).
    pub max_age: Option<Duration>,
}

impl Retention {
    /// Keeps `per_stream` events per stream, whatever their age.
    pub fn count(per_stream: u64) -> Self {
        Retention {
            per_stream,
            max_age: None,
        }
    }
}

/// The stream of a building's building-wide events.
pub fn building_stream(building: i64) -> String {
    format!("b:{building}")
}

/// The stream of the events only one person sees.
pub fn user_stream(user: i64) -> String {
    format!("u:{user}")
}

/// Prunes what `retention` does not keep; returns how many events went.
pub async fn prune(db: &Db, retention: Retention, now_ts: &str) -> AppResult<u64> {
    let mut tx = db.pool.begin().await?;
    let outcome = prune_in(&mut tx, db, retention, now_ts).await;
    // Ended here, not when dropped (see `eventlog::prune`).
    match outcome {
        Ok(n) => {
            tx.commit().await?;
            Ok(n)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn prune_in(
    conn: &mut AnyConnection,
    db: &Db,
    retention: Retention,
    now_ts: &str,
) -> AppResult<u64> {
    if let Some(lock) = db.backend.prune_lock() {
        sqlx::query(lock).execute(&mut *conn).await?;
    }
    let mut gone = 0;
    // By age: a prefix of the log, for everyone.
    if let Some(age) = retention.max_age {
        let cutoff_ts = ts_before(now_ts, age);
        let cutoff: Option<i64> = sqlx::query("SELECT MAX(id) FROM events WHERE ts < $1")
            .bind(&cutoff_ts)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if let Some(cutoff) = cutoff {
            gone += super::prune_prefix(conn, cutoff).await?;
        }
    }
    let keep = retention.per_stream.max(1) as i64;
    // By count, per building: its newest `keep` building-wide events stay.
    let crowded = over(
        conn,
        "SELECT building_id FROM events WHERE building_id IS NOT NULL \
         GROUP BY building_id HAVING COUNT(*) > $1",
        keep,
    )
    .await?;
    for building in crowded {
        let Some((cut, ts)) = nth_newest(
            conn,
            "SELECT id, ts FROM events WHERE building_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
            building,
            keep,
        )
        .await?
        else {
            continue;
        };
        gone += sqlx::query("DELETE FROM events WHERE building_id = $1 AND id <= $2")
            .bind(building)
            .bind(cut)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        mark(conn, &building_stream(building), cut, ts).await?;
    }
    // By count, per person: their newest `keep` own events stay (an event to several people
    // stays while anyone still keeps it).
    let crowded = over(
        conn,
        "SELECT user_id FROM event_recipients GROUP BY user_id HAVING COUNT(*) > $1",
        keep,
    )
    .await?;
    let mut highest = None;
    for user in crowded {
        let Some((cut, ts)) = nth_newest(
            conn,
            "SELECT r.event_id, e.ts FROM event_recipients r JOIN events e ON e.id = r.event_id \
             WHERE r.user_id = $1 ORDER BY r.event_id DESC LIMIT 1 OFFSET $2",
            user,
            keep,
        )
        .await?
        else {
            continue;
        };
        sqlx::query("DELETE FROM event_recipients WHERE user_id = $1 AND event_id <= $2")
            .bind(user)
            .bind(cut)
            .execute(&mut *conn)
            .await?;
        mark(conn, &user_stream(user), cut, ts).await?;
        highest = highest.max(Some(cut));
    }
    if let Some(highest) = highest {
        gone += sqlx::query(
            "DELETE FROM events WHERE building_id IS NULL AND id <= $1 \
             AND NOT EXISTS (SELECT 1 FROM event_recipients r WHERE r.event_id = events.id)",
        )
        .bind(highest)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(gone)
}

/// The streams (building or user ids) holding more than `keep` events, by `sql`.
async fn over(conn: &mut AnyConnection, sql: &str, keep: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query(sql)
        .bind(keep)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// The id and timestamp of the event just older than a stream's newest `keep`.
async fn nth_newest(
    conn: &mut AnyConnection,
    sql: &str,
    key: i64,
    keep: i64,
) -> AppResult<Option<(i64, String)>> {
    Ok(sqlx::query(sql)
        .bind(key)
        .bind(keep)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?)
}

/// Remembers that `stream` was pruned through `id` (never moving back).
async fn mark(conn: &mut AnyConnection, stream: &str, id: i64, ts: String) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO log_pruned_streams (stream, through, through_ts) VALUES ($1, $2, $3) \
         ON CONFLICT (stream) DO UPDATE SET \
           through_ts = CASE WHEN excluded.through > log_pruned_streams.through \
                             THEN excluded.through_ts ELSE log_pruned_streams.through_ts END, \
           through = CASE WHEN excluded.through > log_pruned_streams.through \
                          THEN excluded.through ELSE log_pruned_streams.through END",
    )
    .bind(stream.to_owned())
    .bind(id)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The log's timestamp `age` before `now_ts` (both in the log's RFC 3339 form, which sorts
/// as text); the epoch's start when it cannot be read.
fn ts_before(now_ts: &str, age: Duration) -> String {
    let then = chrono::DateTime::parse_from_rfc3339(now_ts)
        .ok()
        .and_then(|now| {
            Some(now.with_timezone(&chrono::Utc) - chrono::Duration::from_std(age).ok()?)
        });
    match then {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => "1970-01-01T00:00:00.000Z".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_before_now() {
        assert_eq!(
            ts_before("2026-12-03T10:00:00.000Z", Duration::from_secs(86_400)),
            "2026-12-02T10:00:00.000Z"
        );
        assert_eq!(
            ts_before("not a time", Duration::from_secs(1)),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn streams_are_named_apart() {
        assert_eq!(building_stream(3), "b:3");
        assert_eq!(user_stream(3), "u:3");
    }
}
