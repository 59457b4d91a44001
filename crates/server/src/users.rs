//! Reading users: the one place that knows the users table's columns.

use ppt_protocol::rest::{Role, User};
use rusqlite::{Connection, OptionalExtension, Row};

use crate::error::AppResult;

/// Parses a role column.
pub fn role(s: &str) -> Role {
    if s == "manager" {
        Role::Manager
    } else {
        Role::Resident
    }
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<(User, i64)> {
    Ok((
        User {
            id: r.get::<_, i64>(0)?.to_string(),
            name: r.get(1)?,
            email: r.get(2)?,
            role: role(&r.get::<_, String>(3)?),
        },
        r.get(4)?,
    ))
}

/// A user and their building.
pub fn by_id(c: &Connection, id: i64) -> AppResult<Option<(User, i64)>> {
    Ok(c.query_row(
        "SELECT id, name, email, role, building_id FROM users WHERE id = ?1",
        [id],
        user_row,
    )
    .optional()?)
}

/// The users of a building with a role (or all, with `None`).
pub fn in_building(
    c: &Connection,
    building: i64,
    role_filter: Option<Role>,
) -> AppResult<Vec<i64>> {
    let mut stmt =
        c.prepare_cached("SELECT id, role FROM users WHERE building_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([building], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, r) = row?;
        if role_filter.is_none_or(|want| role(&r) == want) {
            out.push(id);
        }
    }
    Ok(out)
}
