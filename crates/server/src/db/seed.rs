//! The demo world of contract section 7: "Sunny Court 12", four accounts, some content.

use rusqlite::{params, Connection};

use crate::auth::password;
use crate::db::now_ts;

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "demo1234";

/// Demo accounts: email, name, apartment, role.
pub const DEMO_USERS: [(&str, &str, &str, &str); 4] = [
    ("alice@demo.ppt", "Alice Novak", "2A", "resident"),
    ("bob@demo.ppt", "Bob Horvath", "3B", "resident"),
    ("carol@demo.ppt", "Carol Kovac", "4C", "resident"),
    ("martin@demo.ppt", "Martin Admin", "Office", "manager"),
];

/// Seeds a freshly migrated database. The seed writes no events: the log starts empty.
pub fn demo_world(conn: &mut Connection) -> Result<(), Box<dyn std::error::Error>> {
    let tx = conn.transaction()?;
    let now = now_ts();
    tx.execute(
        "INSERT INTO buildings (id, name) VALUES (1, 'Sunny Court 12')",
        [],
    )?;
    let hash = password::hash(DEMO_PASSWORD).map_err(|e| e.to_string())?;
    for (i, (email, name, apt, role)) in DEMO_USERS.iter().enumerate() {
        tx.execute(
            "INSERT INTO users (id, building_id, email, name, apartment, role, password_hash) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)",
            params![i as i64 + 1, email, name, apt, role, hash],
        )?;
    }
    let (alice, bob, carol, martin) = (1, 2, 3, 4);
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
        tx.execute(
            "INSERT INTO announcements (building_id, author_id, title, body, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
            params![martin, title, body, now],
        )?;
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
        tx.execute(
            "INSERT INTO faults (building_id, reporter_id, title, description, status, created_at, updated_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?5)",
            params![reporter, title, desc, status, now],
        )?;
    }
    tx.execute(
        "INSERT INTO votes (building_id, title, options, created_at) VALUES (1, 'Repaint the stairwell this spring?', '[\"Yes\",\"No\",\"Next year\"]', ?1)",
        params![now],
    )?;
    tx.execute(
        "INSERT INTO ballots (vote_id, user_id, option) VALUES (1, ?1, 'Yes')",
        params![bob],
    )?;
    for (title, url) in [
        ("House rules", "/static/docs/house-rules.txt"),
        ("Annual report 2025", "/static/docs/annual-report-2025.txt"),
    ] {
        tx.execute(
            "INSERT INTO documents (building_id, title, url, uploaded_at) VALUES (1, ?1, ?2, ?3)",
            params![title, url, now],
        )?;
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
        tx.execute(
            "INSERT INTO messages (from_user, to_user, body, sent_at, read_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![from, to, body, now, read.then(|| now.clone())],
        )?;
    }
    tx.commit()?;
    Ok(())
}
