//! Reading users: the one place that knows the users table's columns.

use ppt_protocol::rest::{Role, User};
use sqlx::AnyConnection;
use sqlx::{Executor, Row};

use crate::error::AppResult;

/// Parses a role column.
pub fn role(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Resident)
}

/// A user and their building.
pub async fn by_id<'c, E>(c: E, id: i64) -> AppResult<Option<(User, i64)>>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT u.id, u.name, u.email, u.role, u.building_id, b.name \
         FROM users u JOIN buildings b ON b.id = u.building_id \
         WHERE u.id = $1 AND u.removed_at IS NULL",
    )
    .bind(id)
    .fetch_optional(c)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some((
        User {
            id: r.try_get::<i64, _>(0)?.to_string(),
            name: r.try_get(1)?,
            email: r.try_get(2)?,
            role: role(&r.try_get::<String, _>(3)?),
            building_name: r.try_get(5)?,
        },
        r.try_get(4)?,
    )))
}

/// The users of a building with a role (or all, with `None`).
pub async fn in_building(
    c: &mut AnyConnection,
    building: i64,
    role_filter: Option<Role>,
) -> AppResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id, role FROM users WHERE building_id = $1 AND removed_at IS NULL ORDER BY id",
    )
    .bind(building)
    .fetch_all(c)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let theirs = role(&r.try_get::<String, _>(1)?);
        if role_filter.is_none_or(|want| theirs == want) {
            out.push(id);
        }
    }
    Ok(out)
}
