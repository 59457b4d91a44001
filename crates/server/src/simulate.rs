//! `--simulate`: the demo building comes alive for one person watching. Now and then (on
//! average every `--simulate-every-ms`) a neighbour messages Alice or Bob, reports a fault,
//! votes; the manager posts an announcement, moves a fault along, opens a vote. Every action
//! goes through the same handlers as a real request, so it is validated, logged and fanned
//! out exactly like one.

use std::time::Duration;

use axum::extract::State;
use ppt_protocol::rest::{
    CastBallot, CreateAnnouncement, FaultStatus, OpenVote, ReportFault, Role, SendMessageRequest,
    UpdateFault,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::Row;

use crate::auth::{AuthUser, RequestId};
use crate::error::{AppError, AppResult};
use crate::routes::idempotency::IdempotencyKey;
use crate::routes::{lists, messages, votes, AppJson, AppPath, Page};
use crate::state::AppState;

const LINES: &[&str] = &[
    "Did you also hear the lift making that noise again?",
    "I left your parcel by your door.",
    "Are you coming to the garden meeting on Thursday?",
    "Could you water my plants while I'm away this weekend?",
    "The recycling bins were emptied early today.",
    "Thanks for the cake, it was lovely!",
];
const FAULTS: &[(&str, &str)] = &[
    (
        "Stairwell light out on floor 2",
        "The bulb by the window has gone.",
    ),
    (
        "Front door closes too slowly",
        "It stays open for half a minute.",
    ),
    (
        "Water stain on the lobby ceiling",
        "It looks bigger than last week.",
    ),
    (
        "Mailbox 3B lock is stuck",
        "The key turns but the flap stays shut.",
    ),
];
const NEWS: &[(&str, &str)] = &[
    (
        "Chimney sweep on Monday",
        "Please leave access to the balcony vents between 8:00 and 12:00.",
    ),
    (
        "Garden clean-up this Saturday",
        "Gloves and rakes provided; coffee at 10:00 in the courtyard.",
    ),
    (
        "New bike racks installed",
        "The old ones by the gate will be removed next week.",
    ),
];

/// Runs until shutdown.
pub async fn run(state: AppState) {
    let every = state.config.simulate_every_ms.max(100);
    let mut rng = StdRng::from_entropy();
    tracing::info!(every_ms = every, "simulating the neighbours");
    loop {
        let pause = rng.gen_range(every / 2..=every + every / 2);
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(pause)) => {}
        }
        if let Err(e) = act(&state, &mut rng).await {
            tracing::debug!(error = %e, "a simulated action did not happen");
        }
    }
}

/// Everyone in building 1, as callers.
async fn people(state: &AppState) -> AppResult<Vec<AuthUser>> {
    let rows =
        sqlx::query("SELECT id, building_id, role FROM users WHERE building_id = 1 ORDER BY id")
            .fetch_all(state.storage.pool())
            .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(AuthUser {
                id: r.try_get(0)?,
                building_id: r.try_get(1)?,
                role: crate::users::role(&r.try_get::<String, _>(2)?),
                // The simulation acts in the server itself, outside any login session.
                session: String::new(),
                exp: u64::MAX,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// One random action by a random person.
pub async fn act(state: &AppState, rng: &mut StdRng) -> AppResult<()> {
    let people = people(state).await?;
    let residents: Vec<&AuthUser> = people.iter().filter(|p| p.role == Role::Resident).collect();
    let manager = people.iter().find(|p| p.role == Role::Manager);
    let (Some(manager), true) = (manager, residents.len() >= 2) else {
        return Err(AppError::NotFound("no demo building to simulate".into()));
    };
    let s = || State(state.clone());
    let rid = || RequestId(None);
    let roll = rng.gen_range(0..100);
    if roll < 40 {
        // A neighbour writes to Alice (or Bob): the first two residents are the ones watched.
        let to = residents[rng.gen_range(0..2)];
        let from = **residents
            .iter()
            .filter(|r| r.id != to.id)
            .collect::<Vec<_>>()
            .choose(rng)
            .unwrap_or(&&residents[0]);
        let req = SendMessageRequest {
            to_user_id: to.id.to_string(),
            body: (*LINES.choose(rng).unwrap_or(&"Hello!")).into(),
        };
        messages::send(s(), from.clone(), rid(), IdempotencyKey(None), AppJson(req)).await?;
    } else if roll < 58 {
        let who = *residents.choose(rng).unwrap_or(&residents[0]);
        let (title, description) = *FAULTS.choose(rng).unwrap_or(&FAULTS[0]);
        lists::report_fault(
            s(),
            who.clone(),
            rid(),
            IdempotencyKey(None),
            AppJson(ReportFault {
                title: title.into(),
                description: description.into(),
            }),
        )
        .await?;
    } else if roll < 75 {
        let AppJson(faults) = lists::faults(s(), manager.clone(), Page::default()).await?;
        let open: Vec<_> = faults
            .iter()
            .filter(|f| f.status != FaultStatus::Resolved)
            .collect();
        if let Some(f) = open.choose(rng) {
            let status = if f.status == FaultStatus::Open {
                FaultStatus::InProgress
            } else {
                FaultStatus::Resolved
            };
            lists::update_fault(
                s(),
                manager.clone(),
                rid(),
                AppPath(f.id.clone()),
                AppJson(UpdateFault { status }),
            )
            .await?;
        }
    } else if roll < 88 {
        let (title, body) = *NEWS.choose(rng).unwrap_or(&NEWS[0]);
        lists::create_announcement(
            s(),
            manager.clone(),
            rid(),
            IdempotencyKey(None),
            AppJson(CreateAnnouncement {
                title: title.into(),
                body: body.into(),
            }),
        )
        .await?;
    } else {
        let AppJson(all) = votes::list(s(), manager.clone(), Page::default()).await?;
        let voter = *residents.choose(rng).unwrap_or(&residents[0]);
        let mut cast = false;
        for v in &all {
            let AppJson(mine) = votes::list(s(), voter.clone(), Page::default()).await?;
            let unvoted = mine.iter().find(|m| m.id == v.id && m.my_choice.is_none());
            if let (Some(vote), Some(option)) = (unvoted, v.options.choose(rng)) {
                votes::cast(
                    s(),
                    voter.clone(),
                    rid(),
                    IdempotencyKey(None),
                    AppPath(vote.id.clone()),
                    AppJson(CastBallot {
                        option: option.label.clone(),
                    }),
                )
                .await?;
                cast = true;
                break;
            }
        }
        if !cast {
            let req = OpenVote {
                title: "Plant a tree in the courtyard?".into(),
                options: vec!["Yes".into(), "No".into()],
            };
            votes::open(
                s(),
                manager.clone(),
                rid(),
                IdempotencyKey(None),
                AppJson(req),
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{build, Config};

    /// Every simulated action succeeds against the demo world and writes to the event log.
    #[tokio::test]
    async fn simulated_actions_write_events() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_db(
            dir.path().join("sim.sqlite3").display().to_string(),
            dir.path().into(),
        );
        config.demo = true;
        let built = build(config).await.unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..40 {
            act(&built.state, &mut rng).await.unwrap();
        }
        let mut conn = built.state.storage.pool().acquire().await.unwrap();
        let latest = crate::eventlog::head(&mut conn).await.unwrap();
        assert!(
            latest >= 40,
            "every action logs at least one event ({latest})"
        );
    }
}
