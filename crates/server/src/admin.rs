//! Setting up a real deployment from the command line (docs/protocol.md, "Demo world and setting up a deployment"):
//! `ppt-server building add NAME` and `ppt-server user add --email … --name … --role …
//! --building NAME` (the password read from standard input), against the same `--db`.

use ppt_protocol::envelope::{EntityAction, EntityChange};
use ppt_protocol::rest::Role;
use ppt_protocol::{EntityKind, ServerEvent};
use sqlx::{AnyConnection, Row};

use crate::auth::password;
use crate::auth::sessions::{self, EndReason};
use crate::db::{self, Db};
use crate::domain::Email;
use crate::eventlog::{self, Pending};
use crate::hub::Audience;
use crate::users;

/// Shortest password a new account may have.
pub const MIN_PASSWORD: usize = 8;

/// Why an administrative command failed: said to the operator as it is.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Refused(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub apartment: String,
    /// `resident` or `manager`.
    pub role: String,
}

/// A role as the operator typed it.
fn parse_role(raw: &str) -> Result<Role, AdminError> {
    Role::parse(raw).ok_or_else(|| AdminError::Refused("the role is resident or manager".into()))
}

/// Inserts a building; its id.
pub async fn insert_building(conn: &mut AnyConnection, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO buildings (name) VALUES ($1) RETURNING id")
        .bind(name.to_owned())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)
}

/// Inserts an account with a password hash already made; its id.
pub async fn insert_user(
    conn: &mut AnyConnection,
    building: i64,
    user: &NewUser,
    password_hash: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (building_id, email, name, apartment, role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(building)
    .bind(Email::fold(&user.email))
    .bind(user.name.trim().to_owned())
    .bind(user.apartment.trim().to_owned())
    .bind(users::role(&user.role).as_str())
    .bind(password_hash.to_owned())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)
}

/// `building add NAME`: a new building; its id.
pub async fn add_building(db: &Db, name: &str) -> Result<i64, AdminError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::Refused("a building needs a name".into()));
    }
    let mut conn = db.pool.acquire().await?;
    insert_building(&mut conn, name).await.map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.is_unique_violation())
        {
            AdminError::Refused(format!("there is already a building named {name:?}"))
        } else {
            AdminError::Db(e)
        }
    })
}

/// `user add`: a new account in the building named `building`; its id.
pub async fn add_user(
    db: &Db,
    building: &str,
    user: &NewUser,
    password: &str,
) -> Result<i64, AdminError> {
    let email = Email::parse(&user.email).map_err(AdminError::Refused)?;
    let email = email.as_str();
    if user.name.trim().is_empty() {
        return Err(AdminError::Refused("a user needs a name".into()));
    }
    parse_role(&user.role)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(AdminError::Refused(format!(
            "the password must have at least {MIN_PASSWORD} characters"
        )));
    }
    let owned = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
        .await
        .map_err(|e| AdminError::Refused(e.to_string()))?
        .map_err(|e| AdminError::Refused(e.to_string()))?;
    let mut tx = db.pool.begin().await?;
    let found = sqlx::query("SELECT id FROM buildings WHERE name = $1")
        .bind(building.trim().to_owned())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = found else {
        return Err(AdminError::Refused(format!(
            "there is no building named {building:?} (add it first: ppt-server building add NAME)"
        )));
    };
    let building_id: i64 = row.try_get(0)?;
    let id = insert_user(&mut tx, building_id, user, &hash)
        .await
        .map_err(|e| {
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
            {
                AdminError::Refused(format!("there is already an account for {email}"))
            } else {
                AdminError::Db(e)
            }
        })?;
    // The building's open neighbours pages hear of the newcomer in the same commit.
    neighbors_changed(&mut tx, db, id, &[(EntityAction::Created, building_id)]).await?;
    tx.commit().await?;
    Ok(id)
}

/// `user set`: a new role or building for an account (see [`change_user`]).
pub async fn set_user(
    db: &Db,
    email: &str,
    role: Option<&str>,
    building: Option<&str>,
) -> Result<String, AdminError> {
    change_user(
        db,
        email,
        &UserChange {
            role,
            building,
            ..UserChange::default()
        },
    )
    .await
}

/// What `user set` changes of an account.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserChange<'a> {
    pub role: Option<&'a str>,
    /// The new building's name.
    pub building: Option<&'a str>,
    pub name: Option<&'a str>,
    pub apartment: Option<&'a str>,
}

/// `user set`: a new role, building, name or apartment for an account. A new role or building
/// ends its sessions in the same transaction (its access tokens name the old ones), so it
/// signs in again with the new ones. The buildings concerned hear of it in the same commit
/// (`entity:updated neighbor`, or `deleted` in the old building and `created` in the new).
/// What changed, said plainly.
pub async fn change_user(
    db: &Db,
    email: &str,
    change: &UserChange<'_>,
) -> Result<String, AdminError> {
    let UserChange {
        role,
        building,
        name,
        apartment,
    } = *change;
    if role.is_none() && building.is_none() && name.is_none() && apartment.is_none() {
        return Err(AdminError::Refused(
            "say what changes: --role, --building, --name and/or --apartment".into(),
        ));
    }
    let role = role.map(parse_role).transpose()?;
    if name.is_some_and(|n| n.trim().is_empty()) {
        return Err(AdminError::Refused("a user needs a name".into()));
    }
    let email = Email::fold(email);
    let mut tx = db.pool.begin().await?;
    let Some((user_id, was_in)) = current_user(&mut tx, &email).await? else {
        return Err(AdminError::Refused(format!(
            "there is no account for {email}"
        )));
    };
    let mut said = Vec::new();
    if let Some(role) = role {
        sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        said.push(format!("is now a {}", role.as_str()));
    }
    if let Some(name) = name {
        sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
            .bind(user_id)
            .bind(name.trim().to_owned())
            .execute(&mut *tx)
            .await?;
        said.push(format!("is called {:?}", name.trim()));
    }
    if let Some(apartment) = apartment {
        sqlx::query("UPDATE users SET apartment = $2 WHERE id = $1")
            .bind(user_id)
            .bind(apartment.trim().to_owned())
            .execute(&mut *tx)
            .await?;
        said.push(format!("lives in apartment {:?}", apartment.trim()));
    }
    let mut now_in = was_in;
    if let Some(name) = building {
        let found = sqlx::query("SELECT id FROM buildings WHERE name = $1")
            .bind(name.trim().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = found else {
            return Err(AdminError::Refused(format!(
                "there is no building named {name:?}"
            )));
        };
        now_in = row.try_get(0)?;
        sqlx::query("UPDATE users SET building_id = $2 WHERE id = $1")
            .bind(user_id)
            .bind(now_in)
            .execute(&mut *tx)
            .await?;
        said.push(format!("lives in {name:?}"));
    }
    let ended = if role.is_some() || building.is_some() {
        sessions::end_all(&mut *tx, user_id, EndReason::Admin).await?
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
    neighbors_changed(&mut tx, db, user_id, &news).await?;
    tx.commit().await?;
    sessions::announce(db, &ended).await;
    Ok(format!(
        "{email} {}; {} session(s) ended",
        said.join(" and "),
        ended.len()
    ))
}

/// `user remove`: a resident who moved out. The account keeps its history (messages,
/// faults, ballots name it) but signs in no more, is no one's neighbour and gets no
/// messages; its sessions end and its building hears of it, in one transaction.
pub async fn remove_user(db: &Db, email: &str) -> Result<String, AdminError> {
    let email = Email::fold(email);
    let mut tx = db.pool.begin().await?;
    let Some((user_id, building)) = current_user(&mut tx, &email).await? else {
        return Err(AdminError::Refused(format!(
            "there is no account for {email}"
        )));
    };
    sqlx::query("UPDATE users SET removed_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(db::now_ts())
        .execute(&mut *tx)
        .await?;
    let ended = sessions::end_all(&mut *tx, user_id, EndReason::Admin).await?;
    neighbors_changed(&mut tx, db, user_id, &[(EntityAction::Deleted, building)]).await?;
    tx.commit().await?;
    sessions::announce(db, &ended).await;
    Ok(format!("{email} removed; {} session(s) ended", ended.len()))
}

/// The events telling buildings that who lives there changed (`entity:* neighbor` for the
/// user, one per building), appended as the transaction's last step (see `eventlog`).
async fn neighbors_changed(
    conn: &mut AnyConnection,
    db: &Db,
    user_id: i64,
    news: &[(EntityAction, i64)],
) -> Result<(), AdminError> {
    let pending = news
        .iter()
        .map(|(action, building)| Pending {
            event: ServerEvent::Entity(
                *action,
                EntityChange {
                    entity: EntityKind::Neighbor,
                    id: user_id.to_string(),
                    version: None,
                },
            ),
            audience: Audience::Building(*building),
            request_id: None,
        })
        .collect();
    eventlog::append(conn, db, "admin", pending, false)
        .await
        .map_err(|e| AdminError::Refused(e.to_string()))?;
    Ok(())
}

/// A current (not removed) account's id and building.
async fn current_user(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query("SELECT id, building_id FROM users WHERE email = $1 AND removed_at IS NULL")
        .bind(email.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
}

/// `user logout`: ends every session of an account (its sockets close within a second).
pub async fn logout_user(db: &Db, email: &str) -> Result<String, AdminError> {
    let email = Email::fold(email);
    let mut conn = db.pool.acquire().await?;
    let Some(user_id) = user_id(&mut conn, &email).await? else {
        return Err(AdminError::Refused(format!(
            "there is no account for {email}"
        )));
    };
    let ended = sessions::end_all(&mut *conn, user_id, EndReason::Admin).await?;
    drop(conn);
    sessions::announce(db, &ended).await;
    Ok(format!("{email}: {} session(s) ended", ended.len()))
}

async fn user_id(conn: &mut AnyConnection, email: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Opens `--db` for an administrative command: migrated, never seeded.
pub async fn open(target: &str) -> Result<Db, db::OpenError> {
    Ok(db::open(target, db::PoolSettings::default(), false)
        .await?
        .db)
}
