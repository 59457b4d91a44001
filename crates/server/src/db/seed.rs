//! The demo world of contract section 7: "Sunny Court 12", four accounts, some content.

use sqlx::AnyConnection;
use sqlx::Row;

use super::{now_ts, Db};
use crate::auth::password;

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// Demo accounts: email, name, apartment, role.
pub const DEMO_USERS: [(&str, &str, &str, &str); 4] = [
    ("alice@demo.ppt", "Alice Novak", "2A", "resident"),
    ("bob@demo.ppt", "Bob Horvath", "3B", "resident"),
    ("carol@demo.ppt", "Carol Kovac", "4C", "resident"),
    ("martin@demo.ppt", "Martin Admin", "Office", "manager"),
];

type SeedResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Seeds the demo world unless this database was seeded before; true when it seeded now.
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
    if !claimed {
        return Ok(false);
    }
    demo_world(&mut tx, &hash).await?;
    tx.commit().await?;
    Ok(true)
}

async fn demo_world(conn: &mut AnyConnection, hash: &str) -> SeedResult<()> {
    let now = now_ts();
    let building: i64 = sqlx::query("INSERT INTO buildings (name) VALUES ($1) RETURNING id")
        .bind("Sunny Court 12")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let mut ids = Vec::new();
    for (email, name, apt, role) in DEMO_USERS {
        let user = sqlx::query(
            "INSERT INTO users (building_id, email, name, apartment, role, password_hash)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(building)
        .bind(email)
        .bind(name)
        .bind(apt)
        .bind(role)
        .bind(hash)
        .fetch_one(&mut *conn)
        .await?
        .try_get::<i64, _>(0)?;
        ids.push(user);
    }
    let [alice, bob, carol, martin] = ids[..] else {
        return Err("four demo users".into());
    };
    for (title, body) in [
        (
            "Welcome to the resident portal",
            "Messages, faults and votes of Sunny Court 12 now live here, updated as they happen.",
        ),
        (
            "Water off on Friday 9:00-11:00",
            "The riser in stairwell B is being replaced. Please keep a jug of water ready.",
        ),
    ] {
        sqlx::query(
            "INSERT INTO announcements (building_id, author_id, title, body, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(building)
        .bind(martin)
        .bind(title)
        .bind(body)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    for (reporter, title, desc, status) in [
        (
            alice,
            "Lift stops between floors 3 and 4",
            "It jerks and waits a few seconds before moving on.",
            "open",
        ),
        (
            bob,
            "Lobby light flickers",
            "The ceiling light by the mailboxes flickers all evening.",
            "in_progress",
        ),
        (
            carol,
            "Bike room door does not lock",
            "The latch does not catch unless you pull hard.",
            "resolved",
        ),
    ] {
        sqlx::query(
            "INSERT INTO faults (building_id, reporter_id, title, description, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(building)
        .bind(reporter)
        .bind(title)
        .bind(desc)
        .bind(status)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    let vote: i64 = sqlx::query(
        "INSERT INTO votes (building_id, title, options, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(building)
    .bind("Repaint the stairwell this spring?")
    .bind(r#"["Yes","No","Next year"]"#)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    sqlx::query("INSERT INTO ballots (vote_id, user_id, option) VALUES ($1, $2, 'Yes')")
        .bind(vote)
        .bind(bob)
        .execute(&mut *conn)
        .await?;
    for (title, url) in [
        ("House rules", "/static/docs/house-rules.txt"),
        ("Annual report 2025", "/static/docs/annual-report-2025.txt"),
    ] {
        sqlx::query(
            "INSERT INTO documents (building_id, title, url, uploaded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(building)
        .bind(title)
        .bind(url)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    for (from, to, body, read) in [
        (
            bob,
            alice,
            "Hi Alice, could I borrow your ladder on Saturday?",
            true,
        ),
        (alice, bob, "Sure, knock on 2A any time after ten.", true),
        (
            alice,
            martin,
            "The lobby door closer is squeaking again.",
            true,
        ),
        (carol, alice, "Are you coming to the garden meeting?", false),
    ] {
        sqlx::query(
            "INSERT INTO messages (from_user, to_user, body, sent_at, read_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(from)
        .bind(to)
        .bind(body)
        .bind(&now)
        .bind(read.then(|| now.clone()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
