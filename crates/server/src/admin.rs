//! Setting up a real deployment from the command line (contract section 7):
//! `ppt-server building add NAME` and `ppt-server user add --email … --name … --role …
//! --building NAME` (the password read from standard input), against the same `--db`.

use sqlx::{AnyConnection, Row};

use crate::auth::password;
use crate::auth::sessions::{self, EndReason};
use crate::db::{self, Db};
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
    .bind(users::fold_email(&user.email))
    .bind(user.name.trim().to_owned())
    .bind(user.apartment.trim().to_owned())
    .bind(user.role.clone())
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
    let email = users::fold_email(&user.email);
    let at = email.find('@');
    if !at.is_some_and(|i| i > 0 && i + 1 < email.len()) || email.contains(char::is_whitespace) {
        return Err(AdminError::Refused(format!(
            "{:?} is not an email address",
            user.email
        )));
    }
    if user.name.trim().is_empty() {
        return Err(AdminError::Refused("a user needs a name".into()));
    }
    if user.role != "resident" && user.role != "manager" {
        return Err(AdminError::Refused(
            "the role is resident or manager".into(),
        ));
    }
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
    let mut conn = db.pool.acquire().await?;
    let found = sqlx::query("SELECT id FROM buildings WHERE name = $1")
        .bind(building.trim().to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = found else {
        return Err(AdminError::Refused(format!(
            "there is no building named {building:?} (add it first: ppt-server building add NAME)"
        )));
    };
    let building_id: i64 = row.try_get(0)?;
    insert_user(&mut conn, building_id, user, &hash)
        .await
        .map_err(|e| {
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
            {
                AdminError::Refused(format!("there is already an account for {email}"))
            } else {
                AdminError::Db(e)
            }
        })
}

/// `user set`: a new role or building for an account. Its sessions end in the same
/// transaction (its access tokens already name the old role and building), so it signs in
/// again with the new ones. What changed, said plainly.
pub async fn set_user(
    db: &Db,
    email: &str,
    role: Option<&str>,
    building: Option<&str>,
) -> Result<String, AdminError> {
    if role.is_none() && building.is_none() {
        return Err(AdminError::Refused(
            "say what changes: --role and/or --building".into(),
        ));
    }
    if role.is_some_and(|r| r != "resident" && r != "manager") {
        return Err(AdminError::Refused(
            "the role is resident or manager".into(),
        ));
    }
    let email = users::fold_email(email);
    let mut tx = db.pool.begin().await?;
    let Some(user_id) = user_id(&mut tx, &email).await? else {
        return Err(AdminError::Refused(format!(
            "there is no account for {email}"
        )));
    };
    let mut said = Vec::new();
    if let Some(role) = role {
        sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
            .bind(user_id)
            .bind(role.to_owned())
            .execute(&mut *tx)
            .await?;
        said.push(format!("is now a {role}"));
    }
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
        let building_id: i64 = row.try_get(0)?;
        sqlx::query("UPDATE users SET building_id = $2 WHERE id = $1")
            .bind(user_id)
            .bind(building_id)
            .execute(&mut *tx)
            .await?;
        said.push(format!("lives in {name:?}"));
    }
    let ended = sessions::end_all(&mut *tx, user_id, EndReason::Admin).await?;
    tx.commit().await?;
    sessions::announce(db, &ended).await;
    Ok(format!(
        "{email} {}; {} session(s) ended",
        said.join(" and "),
        ended.len()
    ))
}

/// `user logout`: ends every session of an account (its sockets close within a second).
pub async fn logout_user(db: &Db, email: &str) -> Result<String, AdminError> {
    let email = users::fold_email(email);
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
