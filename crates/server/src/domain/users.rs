//! Who lives where: an account added to a building, changed (role, building, name,
//! apartment), or removed when its resident moves out. Each is one write whose
//! `entity:* neighbor` events tell the buildings concerned, in the same commit; a new role or
//! building ends the account's sessions in it too (its tokens name the old ones).
//!
//! The admin CLI (`admin.rs`) runs these with no server around ([`Tx::begin_offline`]); the
//! servers' log followers deliver the events to whoever is connected.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::rest::Role;
use ppt_protocol::EntityKind;
use sqlx::{AnyConnection, Row};

use super::events::emit_entity;
use super::Email;
use crate::auth::sessions::{self, EndReason};
use crate::db::now_ts;
use crate::error::{AppError, AppResult};
use crate::storage::Tx;

/// An account to create, parsed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub name: String,
    pub apartment: String,
    pub role: Role,
}

impl NewAccount {
    /// The account, if its email is one and it has a name.
    pub fn parse(email: &str, name: &str, apartment: &str, role: Role) -> Result<Self, String> {
        let email = Email::parse(email)?;
        if name.trim().is_empty() {
            return Err("a user needs a name".into());
        }
        Ok(NewAccount {
            email,
            name: name.trim().to_owned(),
            apartment: apartment.trim().to_owned(),
            role,
        })
    }
}

/// Inserts a building; its id.
pub async fn insert_building(conn: &mut AnyConnection, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO buildings (name) VALUES ($1) RETURNING id")
        .bind(name.to_owned())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)
}

/// Inserts an account with a password hash already made (no event: the demo world's seed
/// and [`add`] use it); its id.
pub async fn insert(
    conn: &mut AnyConnection,
    building: i64,
    account: &NewAccount,
    password_hash: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (building_id, email, name, apartment, role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(building)
    .bind(account.email.as_str().to_owned())
    .bind(account.name.clone())
    .bind(account.apartment.clone())
    .bind(account.role.as_str())
    .bind(password_hash.to_owned())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)
}

/// The id of the building named `name`.
async fn building_named(conn: &mut AnyConnection, name: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query("SELECT id FROM buildings WHERE name = $1")
        .bind(name.trim().to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A new account in the building named `building`: its building hears of the newcomer. Its
/// id.
pub async fn add(
    tx: &mut Tx,
    building: &str,
    account: &NewAccount,
    password_hash: &str,
) -> AppResult<i64> {
    let Some(building_id) = building_named(tx.sql(), building).await? else {
        return Err(AppError::NotFound(format!(
            "there is no building named {building:?} (add it first: ppt-server building add NAME)"
        )));
    };
    let id = insert(tx.sql(), building_id, account, password_hash)
        .await
        .map_err(|e| {
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
            {
                AppError::Conflict(
                    "exists",
                    format!("there is already an account for {}", account.email.as_str()),
                )
            } else {
                AppError::from(e)
            }
        })?;
    neighbors_changed(tx, id, &[(EntityAction::Created, building_id)]);
    Ok(id)
}

/// What changes of an account.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub role: Option<Role>,
    /// The new building's name.
    pub building: Option<String>,
    pub name: Option<String>,
    pub apartment: Option<String>,
}

/// What a change did: said plainly, and the sessions it ended (to be announced to every
/// server once committed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub said: String,
    pub ended: Vec<String>,
}

/// Changes the account of `email`. The buildings concerned hear of it (`entity:updated
/// neighbor`, or `deleted` in the old building and `created` in the new).
pub async fn change(tx: &mut Tx, email: &str, change: &Change) -> AppResult<Changed> {
    let Change {
        role,
        building,
        name,
        apartment,
    } = change;
    if role.is_none() && building.is_none() && name.is_none() && apartment.is_none() {
        return Err(AppError::BadRequest(
            "invalid",
            "say what changes: --role, --building, --name and/or --apartment".into(),
        ));
    }
    if name.as_ref().is_some_and(|n| n.trim().is_empty()) {
        return Err(AppError::field("name", "a user needs a name"));
    }
    let email = Email::fold(email);
    let Some((user_id, was_in)) = current(tx.sql(), &email).await? else {
        return Err(AppError::NotFound(format!(
            "there is no account for {email}"
        )));
    };
    let mut said = Vec::new();
    if let Some(role) = role {
        sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
            .bind(user_id)
            .bind(role.as_str())
            .execute(tx.sql())
            .await?;
        said.push(format!("is now a {}", role.as_str()));
    }
    if let Some(name) = name {
        sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
            .bind(user_id)
            .bind(name.trim().to_owned())
            .execute(tx.sql())
            .await?;
        said.push(format!("is called {:?}", name.trim()));
    }
    if let Some(apartment) = apartment {
        sqlx::query("UPDATE users SET apartment = $2 WHERE id = $1")
            .bind(user_id)
            .bind(apartment.trim().to_owned())
            .execute(tx.sql())
            .await?;
        said.push(format!("lives in apartment {:?}", apartment.trim()));
    }
    let mut now_in = was_in;
    if let Some(name) = building {
        let Some(id) = building_named(tx.sql(), name).await? else {
            return Err(AppError::NotFound(format!(
                "there is no building named {name:?}"
            )));
        };
        now_in = id;
        sqlx::query("UPDATE users SET building_id = $2 WHERE id = $1")
            .bind(user_id)
            .bind(now_in)
            .execute(tx.sql())
            .await?;
        said.push(format!("lives in {name:?}"));
    }
    let ended = if role.is_some() || building.is_some() {
        sessions::end_all(tx.sql(), user_id, EndReason::Admin).await?
    } else {
        Vec::new()
    };
    let news = if now_in == was_in {
        vec![(EntityAction::Updated, was_in)]
    } else {
        vec![
            (EntityAction::Deleted, was_in),
            (EntityAction::Created, now_in),
        ]
    };
    neighbors_changed(tx, user_id, &news);
    Ok(Changed {
        said: format!("{email} {}", said.join(" and ")),
        ended,
    })
}

/// A resident who moved out. The account keeps its history (messages, faults, ballots name
/// it) but signs in no more, is no one's neighbour and gets no messages; its sessions end and
/// its building hears of it. The sessions it ended.
pub async fn remove(tx: &mut Tx, email: &str) -> AppResult<Vec<String>> {
    let email = Email::fold(email);
    let Some((user_id, building)) = current(tx.sql(), &email).await? else {
        return Err(AppError::NotFound(format!(
            "there is no account for {email}"
        )));
    };
    sqlx::query("UPDATE users SET removed_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(now_ts())
        .execute(tx.sql())
        .await?;
    let ended = sessions::end_all(tx.sql(), user_id, EndReason::Admin).await?;
    neighbors_changed(tx, user_id, &[(EntityAction::Deleted, building)]);
    Ok(ended)
}

/// The events telling buildings that who lives there changed (`entity:* neighbor` for the
/// user, one per building).
fn neighbors_changed(tx: &mut Tx, user_id: i64, news: &[(EntityAction, i64)]) {
    for (action, building) in news {
        emit_entity(tx, *action, EntityKind::Neighbor, user_id, None, *building);
    }
}

/// A current (not removed) account's id and building.
async fn current(conn: &mut AnyConnection, email: &str) -> AppResult<Option<(i64, i64)>> {
    Ok(
        sqlx::query("SELECT id, building_id FROM users WHERE email = $1 AND removed_at IS NULL")
            .bind(email.to_owned())
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?,
    )
}
