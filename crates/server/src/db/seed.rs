//! The demo world (docs/protocol.md, "Demo world and setting up a deployment"), seeded only with `--demo` into an empty database:
//! "Sunny Court 12" and "Maple House 3", their residents and managers, and some content in
//! each so that every page has something to show.

use sqlx::Row;

use super::{now_ts, Db};
use crate::auth::password;
use crate::domain::users::{self, NewAccount};
use crate::domain::{
    announcements, faults, messages, votes, Actor, MessageBody, Text, Title, VoteOptions,
};
use crate::error::AppError;
use crate::storage::Tx;
use ppt_protocol::rest::{FaultStatus, Role};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// A demo account: email, name, apartment, role.
pub type DemoUser = (&'static str, &'static str, &'static str, &'static str);

/// A demo vote: title, options (JSON), and the ballots already cast (voter, option).
pub type DemoVote = (&'static str, &'static str, &'static [(usize, &'static str)]);

/// One demo building and what is in it. Users are named by their place in `users`.
pub struct DemoBuilding {
    pub name: &'static str,
    pub users: &'static [DemoUser],
    /// Title and body, posted by the building's manager.
    pub announcements: &'static [(&'static str, &'static str)],
    /// Reporter, title, description, status.
    pub faults: &'static [(usize, &'static str, &'static str, &'static str)],
    pub votes: &'static [DemoVote],
    /// Title, link.
    pub documents: &'static [(&'static str, &'static str)],
    /// From, to, body, read.
    pub messages: &'static [(usize, usize, &'static str, bool)],
}

/// The demo world, in the order it is created (ids follow it: Alice is user 1).
pub const DEMO_WORLD: [DemoBuilding; 2] = [
    DemoBuilding {
        name: "Sunny Court 12",
        users: &[
            ("alice@demo.ppt", "Alice Novak", "2A", "resident"),
            ("bob@demo.ppt", "Bob Horvath", "3B", "resident"),
            ("carol@demo.ppt", "Carol Kovac", "4C", "resident"),
            ("martin@demo.ppt", "Martin Admin", "Office", "manager"),
        ],
        announcements: &[
            (
                "Welcome to the resident portal",
                "Messages, faults and votes of Sunny Court 12 now live here, updated as they happen.",
            ),
            (
                "Water off on Friday 9:00-11:00",
                "The riser in stairwell B is being replaced. Please keep a jug of water ready.",
            ),
        ],
        faults: &[
            (
                0,
                "Lift stops between floors 3 and 4",
                "It jerks and waits a few seconds before moving on.",
                "open",
            ),
            (
                1,
                "Lobby light flickers",
                "The ceiling light by the mailboxes flickers all evening.",
                "in_progress",
            ),
            (
                2,
                "Bike room door does not lock",
                "The latch does not catch unless you pull hard.",
                "resolved",
            ),
        ],
        votes: &[(
            "Repaint the stairwell this spring?",
            r#"["Yes","No","Next year"]"#,
            &[(1, "Yes")],
        )],
        documents: &[
            ("House rules", "/static/docs/house-rules.txt"),
            ("Annual report 2025", "/static/docs/annual-report-2025.txt"),
        ],
        messages: &[
            (1, 0, "Hi Alice, could I borrow your ladder on Saturday?", true),
            (0, 1, "Sure, knock on 2A any time after ten.", true),
            (0, 3, "The lobby door closer is squeaking again.", true),
            (2, 0, "Are you coming to the garden meeting?", false),
        ],
    },
    DemoBuilding {
        name: "Maple House 3",
        users: &[
            ("dana@demo.ppt", "Dana Weiss", "1", "resident"),
            ("erik@demo.ppt", "Erik Lund", "2", "resident"),
            ("nora@demo.ppt", "Nora Manager", "Office", "manager"),
        ],
        announcements: &[(
            "Boiler service on Tuesday",
            "The heating will be off from 8:00 to 12:00 while the boiler is serviced.",
        )],
        faults: &[(
            1,
            "Front gate squeaks",
            "The hinge needs oil; it wakes the ground floor.",
            "open",
        )],
        votes: &[(
            "Buy a shared cargo bike?",
            r#"["Yes","No"]"#,
            &[(0, "Yes")],
        )],
        documents: &[("House rules", "/static/docs/house-rules.txt")],
        messages: &[
            (0, 1, "Erik, your parcel is with me.", false),
            (1, 0, "Thanks Dana, I'll come by tonight.", true),
        ],
    },
];

type SeedResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A domain operation's refusal, as the seed reports it (the demo world is ours: a refusal
/// is a mistake in it).
fn refused(e: AppError) -> Box<dyn std::error::Error + Send + Sync> {
    format!("the demo world is refused: {e:?}").into()
}

/// Seeds the demo world into an empty database (no buildings yet); true when it seeded now.
/// It is written by the domain operations, as residents and managers would write it (their
/// rules and checks hold for it too); their events are dropped, since nobody could hear them:
/// the log starts empty.
///
/// Several servers may start at once on one PostgreSQL: the `seeded` mark is claimed in the
/// seeding transaction, so the others wait for it and then find it taken.
pub async fn demo_world_once(db: &Db) -> SeedResult<bool> {
    let hash = tokio::task::spawn_blocking(|| password::hash(DEMO_PASSWORD))
        .await?
        .map_err(|e| e.to_string())?;
    let mut tx = Tx::begin_offline(db).await.map_err(refused)?;
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('seeded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(now_ts())
    .execute(tx.sql())
    .await?
    .rows_affected()
        == 1;
    let buildings: i64 = sqlx::query("SELECT COUNT(*) FROM buildings")
        .fetch_one(tx.sql())
        .await?
        .try_get(0)?;
    if !claimed || buildings > 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    for building in &DEMO_WORLD {
        seed_building(&mut tx, building, &hash).await?;
    }
    tx.commit_without_events().await?;
    Ok(true)
}

async fn seed_building(tx: &mut Tx, b: &DemoBuilding, hash: &str) -> SeedResult<()> {
    let building = users::insert_building(tx.sql(), b.name).await?;
    let mut people = Vec::new();
    for (email, name, apartment, role) in b.users {
        let role = Role::parse(role).ok_or("a demo user's role is resident or manager")?;
        let account = NewAccount::parse(email, name, apartment, role)?;
        let id = users::insert(tx.sql(), building, &account, hash).await?;
        people.push(Actor {
            id,
            building_id: building,
            role,
        });
    }
    let manager = *people
        .iter()
        .find(|a| a.role == Role::Manager)
        .ok_or("a demo building has a manager")?;
    for (title, body) in b.announcements {
        let title = Title::parse("title", title).map_err(refused)?;
        let body = Text::parse("body", body).map_err(refused)?;
        announcements::post(tx, manager, title, body)
            .await
            .map_err(refused)?;
    }
    for (reporter, title, desc, status) in b.faults {
        let title = Title::parse("title", title).map_err(refused)?;
        let desc = Text::parse("description", desc).map_err(refused)?;
        let fault = faults::report(tx, people[*reporter], title, desc)
            .await
            .map_err(refused)?;
        let status = FaultStatus::parse(status).ok_or("a demo fault's status is known")?;
        if status != FaultStatus::Open {
            let id: i64 = fault.id.parse()?;
            faults::set_status(tx, manager, id, status)
                .await
                .map_err(refused)?;
        }
    }
    for (title, options, ballots) in b.votes {
        let title = Title::parse("title", title).map_err(refused)?;
        let options: Vec<String> = serde_json::from_str(options)?;
        let options = VoteOptions::parse("options", &options).map_err(refused)?;
        let vote = votes::open(tx, manager, title, options)
            .await
            .map_err(refused)?;
        let id: i64 = vote.id.parse()?;
        for (voter, option) in *ballots {
            votes::cast(tx, people[*voter], id, (*option).to_owned())
                .await
                .map_err(refused)?;
        }
    }
    // Documents have no operation of their own yet (managers do not upload them in the app).
    for (title, url) in b.documents {
        sqlx::query(
            "INSERT INTO documents (building_id, title, url, uploaded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(building)
        .bind(*title)
        .bind(*url)
        .bind(now_ts())
        .execute(tx.sql())
        .await?;
    }
    for (from, to, body, read) in b.messages {
        let body = MessageBody::parse("body", body).map_err(refused)?;
        let message = messages::send(tx, people[*from], people[*to].id, body)
            .await
            .map_err(refused)?;
        if *read {
            let id: i64 = message.id.parse()?;
            messages::read(tx, people[*to], id).await.map_err(refused)?;
        }
    }
    Ok(())
}
