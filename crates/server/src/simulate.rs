//! `--simulate`: the demo building comes alive for one person watching. Now and then (on
//! average every `--simulate-every-ms`) a neighbour messages Alice or Bob, reports a fault,
//! votes; the manager posts an announcement, moves a fault along, opens a vote. Every action
//! is the domain's own operation ([`crate::domain`]), the one a request's handler calls, so
//! it is validated, checked against the actor's role, logged and fanned out exactly like
//! one (it is the server acting, so no create limit or idempotency key applies).

use std::time::Duration;

use ppt_protocol::rest::{FaultStatus, Role};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::Row;

use crate::domain::votes::{self, Which};
use crate::domain::{self, Actor, MessageBody, Text, Title, VoteOptions};
use crate::error::{AppError, AppResult};
use crate::routes::{parse_id, Page};
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

/// Everyone in building 1, as actors.
async fn people(state: &AppState) -> AppResult<Vec<Actor>> {
    let rows = sqlx::query(
        "SELECT id, building_id, role FROM users WHERE building_id = 1 AND removed_at IS NULL ORDER BY id",
    )
    .fetch_all(state.storage.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(Actor {
                id: r.try_get(0)?,
                building_id: r.try_get(1)?,
                role: crate::users::role(&r.try_get::<String, _>(2)?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// One random action by a random person.
pub async fn act(state: &AppState, rng: &mut StdRng) -> AppResult<()> {
    let people = people(state).await?;
    let residents: Vec<Actor> = people
        .iter()
        .copied()
        .filter(|p| p.role == Role::Resident)
        .collect();
    let manager = people.iter().copied().find(|p| p.role == Role::Manager);
    let (Some(manager), true) = (manager, residents.len() >= 2) else {
        return Err(AppError::NotFound("no demo building to simulate".into()));
    };
    let roll = rng.gen_range(0..100);
    if roll < 40 {
        // A neighbour writes to Alice (or Bob): the first two residents are the ones watched.
        let to = residents[rng.gen_range(0..2)];
        let others: Vec<Actor> = residents
            .iter()
            .copied()
            .filter(|r| r.id != to.id)
            .collect();
        let from = *others.choose(rng).unwrap_or(&residents[0]);
        let body = MessageBody::parse("body", LINES.choose(rng).unwrap_or(&"Hello!"))?;
        state
            .storage
            .write(None, move |tx| {
                Box::pin(domain::messages::send(tx, from, to.id, body))
            })
            .await?;
    } else if roll < 58 {
        let who = *residents.choose(rng).unwrap_or(&residents[0]);
        let (title, description) = *FAULTS.choose(rng).unwrap_or(&FAULTS[0]);
        let (title, description) = (
            Title::parse("title", title)?,
            Text::parse("description", description)?,
        );
        state
            .storage
            .write(None, move |tx| {
                Box::pin(domain::faults::report(tx, who, title, description))
            })
            .await?;
    } else if roll < 75 {
        let mut c = state.storage.pool().acquire().await?;
        let faults = domain::faults::list(&mut c, manager.building_id, Page::default()).await?;
        drop(c);
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
            let id = parse_id(&f.id, "fault")?;
            state
                .storage
                .write(None, move |tx| {
                    Box::pin(domain::faults::set_status(tx, manager, id, status))
                })
                .await?;
        }
    } else if roll < 88 {
        let (title, body) = *NEWS.choose(rng).unwrap_or(&NEWS[0]);
        let (title, body) = (Title::parse("title", title)?, Text::parse("body", body)?);
        state
            .storage
            .write(None, move |tx| {
                Box::pin(domain::announcements::post(tx, manager, title, body))
            })
            .await?;
    } else {
        let voter = *residents.choose(rng).unwrap_or(&residents[0]);
        let mut c = state.storage.pool().acquire().await?;
        let mine = votes::load(
            &mut c,
            voter.building_id,
            voter.id,
            Which::Page(Page::default()),
        )
        .await?;
        drop(c);
        let unvoted = mine.iter().find(|v| v.my_choice.is_none());
        match unvoted.and_then(|v| Some((parse_id(&v.id, "vote").ok()?, v.options.choose(rng)?))) {
            Some((id, option)) => {
                let option = option.label.clone();
                state
                    .storage
                    .write(None, move |tx| Box::pin(votes::cast(tx, voter, id, option)))
                    .await?;
            }
            None => {
                let title = Title::parse("title", "Plant a tree in the courtyard?")?;
                let options = VoteOptions::parse("options", &["Yes".into(), "No".into()])?;
                state
                    .storage
                    .write(None, move |tx| {
                        Box::pin(votes::open(tx, manager, title, options))
                    })
                    .await?;
            }
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
