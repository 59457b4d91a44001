//! `POST /api/v1/bench/publish`: a load source for `ppt-bench`, answered only when the server
//! runs with `--bench-api` (otherwise 404 to everyone, as for any unknown path), and then only
//! to managers (403 to residents).
//!
//! It publishes through the same path as every real change (a write transaction appends the
//! events to the log, and the hub fans them out after the commit), so what a benchmark
//! measures is the product's delivery, not a shortcut. Events are paced to `perSec` when
//! given; a producer that falls behind its schedule writes several events per transaction.
//!
//! Each transaction's `requestId` is `bench-<microseconds since the Unix epoch>-` padded with
//! `x` so the frames reach `frameBytes`: the microseconds let a client measure delivery
//! latency finer than the envelope's millisecond timestamp. A benchmark message's body ends
//! with `sent <µs>` for the same reason, so a page can measure publish-to-screen.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use ppt_protocol::envelope::{EntityAction, EntityChange};
use ppt_protocol::{EntityKind, ServerEvent};
use serde::{Deserialize, Serialize};

use super::AppJson;
use crate::auth::AuthUser;
use crate::domain::MessageBody;
use crate::error::{AppError, AppResult};
use crate::eventlog::Audience;
use crate::state::AppState;

/// Most events one request may publish.
const MAX_COUNT: u32 = 2_000_000;
/// Most events written in one transaction when the producer is behind its schedule.
const MAX_PER_TX: u32 = 64;

/// What to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchKind {
    /// `entity:updated` of an announcement, to the caller's whole building.
    Entity,
    /// A real message from the caller (a manager) to `toUserId` (`message:new` +
    /// `entity:created`).
    Message,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishRequest {
    pub kind: BenchKind,
    pub count: u32,
    /// Events per second; absent: as fast as the log takes them.
    #[serde(default)]
    pub per_sec: Option<u32>,
    /// The recipient of `message` events.
    #[serde(default)]
    pub to_user_id: Option<String>,
    /// Pad each transaction's `requestId` so an `entity` frame is about this long.
    #[serde(default)]
    pub frame_bytes: Option<usize>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishResult {
    /// Events appended to the log (a message counts its two events).
    pub published: u64,
    pub first_id: u64,
    pub last_id: u64,
    pub elapsed_ms: u64,
}

fn micros_now() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// The size of an `entity:updated` frame without its `requestId` (measured once; ids and
/// versions vary by a few digits, which is close enough for padding).
const ENTITY_FRAME_BASE: usize = 170;

fn request_id(frame_bytes: Option<usize>) -> String {
    let mut rid = format!("bench-{}-", micros_now());
    if let Some(target) = frame_bytes {
        let want = target.saturating_sub(ENTITY_FRAME_BASE).min(4096);
        while rid.len() < want {
            rid.push('x');
        }
    }
    rid
}

pub async fn publish(
    State(state): State<AppState>,
    auth: AuthUser,
    AppJson(req): AppJson<PublishRequest>,
) -> AppResult<AppJson<PublishResult>> {
    if !state.config.bench_api {
        return Err(AppError::NotFound("no such API path".into()));
    }
    auth.actor().require_manager("publish benchmark events")?;
    if req.count == 0 || req.count > MAX_COUNT {
        return Err(AppError::field(
            "count",
            format!("must be between 1 and {MAX_COUNT}"),
        ));
    }
    if req.per_sec == Some(0) {
        return Err(AppError::field("perSec", "must be at least 1"));
    }
    let to = match (req.kind, req.to_user_id.as_deref()) {
        (BenchKind::Message, Some(raw)) => Some(
            raw.trim()
                .parse::<i64>()
                .ok()
                .filter(|to| *to != auth.id)
                .ok_or_else(|| AppError::field("toUserId", "must be another user's id"))?,
        ),
        (BenchKind::Message, None) => {
            return Err(AppError::field("toUserId", "is needed for messages"))
        }
        (BenchKind::Entity, _) => None,
    };
    let started = Instant::now();
    let (mut done, mut published, mut first_id, mut last_id) = (0u32, 0u64, 0u64, 0u64);
    while done < req.count {
        // How many events the schedule wants written by now.
        let due = due(started.elapsed(), req.per_sec, req.count);
        if due <= done {
            let rate = req.per_sec.unwrap_or(1).max(1) as f64;
            let next = started + Duration::from_secs_f64(done as f64 / rate);
            tokio::time::sleep_until(next.into()).await;
            continue;
        }
        let n = (due - done).min(MAX_PER_TX);
        let first_version = done;
        let auth = auth.clone();
        let ((), appended) = state
            .storage
            .write_logged(Some(request_id(req.frame_bytes)), move |tx| {
                Box::pin(async move {
                    for i in 0..n {
                        match to {
                            Some(to) => {
                                let body = format!(
                                    "Benchmark message {} sent {}",
                                    first_version + i + 1,
                                    micros_now()
                                );
                                crate::domain::messages::send(
                                    tx,
                                    auth.actor(),
                                    to,
                                    MessageBody::parse("body", &body)?,
                                )
                                .await?;
                            }
                            None => tx.emit(
                                ServerEvent::Entity(
                                    EntityAction::Updated,
                                    EntityChange {
                                        entity: EntityKind::Announcement,
                                        id: "bench".into(),
                                        version: Some((first_version + i + 1) as u64),
                                    },
                                ),
                                Audience::Building(auth.building_id),
                            ),
                        }
                    }
                    Ok(())
                })
            })
            .await?;
        if let Some((first, last)) = appended {
            if first_id == 0 {
                first_id = first;
            }
            last_id = last;
            published += last - first + 1;
        }
        done += n;
    }
    Ok(AppJson(PublishResult {
        published,
        first_id,
        last_id,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}

/// How many of `count` events a schedule of `per_sec` wants written `elapsed` after it
/// started (all of them without pacing). Saturating: no rate, time or count overflows it.
fn due(elapsed: Duration, per_sec: Option<u32>, count: u32) -> u32 {
    match per_sec {
        Some(rate) => {
            let at = elapsed.as_secs_f64() * f64::from(rate);
            // `as` saturates (and maps NaN to 0); the + 1 is done in 64 bits.
            ((at as u64).saturating_add(1)).min(u64::from(count)) as u32
        }
        None => count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_arithmetic_saturates() {
        let max = Some(u32::MAX);
        assert_eq!(due(Duration::from_secs(10), max, MAX_COUNT), MAX_COUNT);
        assert_eq!(due(Duration::MAX, max, u32::MAX), u32::MAX);
        assert_eq!(due(Duration::ZERO, Some(1), 5), 1);
        assert_eq!(due(Duration::from_millis(2500), Some(2), 100), 6);
        assert_eq!(due(Duration::from_secs(1), None, 7), 7);
    }
}
