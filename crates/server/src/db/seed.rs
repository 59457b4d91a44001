//! The demo world (docs/protocol.md, "Demo world and setting up a deployment"), seeded only with `--demo` into an empty database:
//! "Sunny Court 12" and "Maple House 3", their residents and managers, and some content in
//! each so that every page has something to show.

use sqlx::AnyConnection;
use sqlx::Row;

use super::{now_ts, Db};
use crate::auth::password;
use crate::domain::users::{self, NewAccount};
use ppt_protocol::rest::Role;

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

/// Seeds the demo world into an empty database (no buildings yet); true when it seeded now.
/// The seed writes no events: the log starts empty.
///
/// Several servers may start at once on one PostgreSQL: the `seeded` mark is claimed in the
/// seeding transaction, so the others wait for it and then find it taken.
pub async fn demo_world_once(db: &Db) -> SeedResult<bool> {
    let hash = tokio::task::spawn_blocking(|| password::hash(DEMO_PASSWORD))
        .await?
        .map_err(|e| e.to_string())?;
    let mut tx = db.pool.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('seeded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(now_ts())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let buildings: i64 = sqlx::query("SELECT COUNT(*) FROM buildings")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if !claimed || buildings > 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    for building in &DEMO_WORLD {
        seed_building(&mut tx, building, &hash).await?;
    }
    tx.commit().await?;
    Ok(true)
}

async fn seed_building(conn: &mut AnyConnection, b: &DemoBuilding, hash: &str) -> SeedResult<()> {
    let now = now_ts();
    let building = users::insert_building(conn, b.name).await?;
    let mut ids = Vec::new();
    for (email, name, apartment, role) in b.users {
        let role = Role::parse(role).ok_or("a demo user's role is resident or manager")?;
        let account = NewAccount::parse(email, name, apartment, role)?;
        ids.push(users::insert(conn, building, &account, hash).await?);
    }
    let manager = b
        .users
        .iter()
        .position(|u| u.3 == "manager")
        .map(|i| ids[i])
        .ok_or("a demo building has a manager")?;
    for (title, body) in b.announcements {
        sqlx::query(
            "INSERT INTO announcements (building_id, author_id, title, body, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(building)
        .bind(manager)
        .bind(*title)
        .bind(*body)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    for (reporter, title, desc, status) in b.faults {
        sqlx::query(
            "INSERT INTO faults (building_id, reporter_id, title, description, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(building)
        .bind(ids[*reporter])
        .bind(*title)
        .bind(*desc)
        .bind(*status)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    for (title, options, ballots) in b.votes {
        let vote: i64 = sqlx::query(
            "INSERT INTO votes (building_id, title, options, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(building)
        .bind(*title)
        .bind(*options)
        .bind(&now)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        for (voter, option) in *ballots {
            sqlx::query("INSERT INTO ballots (vote_id, user_id, option) VALUES ($1, $2, $3)")
                .bind(vote)
                .bind(ids[*voter])
                .bind(*option)
                .execute(&mut *conn)
                .await?;
        }
    }
    for (title, url) in b.documents {
        sqlx::query(
            "INSERT INTO documents (building_id, title, url, uploaded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(building)
        .bind(*title)
        .bind(*url)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    for (from, to, body, read) in b.messages {
        sqlx::query(
            "INSERT INTO messages (from_user, to_user, body, sent_at, read_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ids[*from])
        .bind(ids[*to])
        .bind(*body)
        .bind(&now)
        .bind(read.then(|| now.clone()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
