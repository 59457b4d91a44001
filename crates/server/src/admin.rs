//! Setting up a real deployment from the command line (docs/protocol.md, "Demo world and setting up a deployment"):
//! `ppt-server building add NAME` and `ppt-server user add --email … --name … --role …
//! --building NAME` (the password read from standard input), against the same `--db`.

use ppt_protocol::rest::Role;
use sqlx::{AnyConnection, Row};

use crate::auth::password;
use crate::auth::sessions::{self, EndReason};
use crate::db::{self, Db};
use crate::domain::users::{self, NewAccount};
use crate::domain::Email;
use crate::error::AppError;
use crate::storage::Tx;

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

impl NewUser {
    /// The account as the domain takes it, or why it is not one.
    fn parse(&self) -> Result<NewAccount, AdminError> {
        let role = parse_role(&self.role)?;
        NewAccount::parse(&self.email, &self.name, &self.apartment, role)
            .map_err(AdminError::Refused)
    }
}

impl From<AppError> for AdminError {
    /// What the domain refused, said to the operator as it is.
    fn from(e: AppError) -> Self {
        AdminError::Refused(match e {
            AppError::Conflict(_, m)
            | AppError::BadRequest(_, m)
            | AppError::Unprocessable(_, m) => m,
            AppError::Validation(fields) => fields.into_values().collect::<Vec<_>>().join("; "),
            other => other.to_string(),
        })
    }
}

/// The name the admin CLI appends events under (the log names each event's writer).
const WRITER: &str = "admin";

/// `building add NAME`: a new building; its id.
pub async fn add_building(db: &Db, name: &str) -> Result<i64, AdminError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::Refused("a building needs a name".into()));
    }
    let mut conn = db.pool.acquire().await?;
    users::insert_building(&mut conn, name).await.map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.is_unique_violation())
        {
            AdminError::Refused(format!("there is already a building named {name:?}"))
        } else {
            AdminError::Db(e)
        }
    })
}

/// `user add`: a new account in the building named `building`; its id. Its building hears
/// of the newcomer in the same commit.
pub async fn add_user(
    db: &Db,
    building: &str,
    user: &NewUser,
    password: &str,
) -> Result<i64, AdminError> {
    let account = user.parse()?;
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
    let mut tx = Tx::begin_offline(db).await?;
    let id = users::add(&mut tx, building, &account, &hash).await?;
    tx.commit_offline(db, WRITER).await?;
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

/// What `user set` changes of an account, as the operator typed it.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserChange<'a> {
    pub role: Option<&'a str>,
    /// The new building's name.
    pub building: Option<&'a str>,
    pub name: Option<&'a str>,
    pub apartment: Option<&'a str>,
}

/// `user set`: a new role, building, name or apartment for an account ([`users::change`]);
/// the sessions it ended close on every server. What changed, said plainly.
pub async fn change_user(
    db: &Db,
    email: &str,
    change: &UserChange<'_>,
) -> Result<String, AdminError> {
    let change = users::Change {
        role: change.role.map(parse_role).transpose()?,
        building: change.building.map(str::to_owned),
        name: change.name.map(str::to_owned),
        apartment: change.apartment.map(str::to_owned),
    };
    let mut tx = Tx::begin_offline(db).await?;
    let changed = users::change(&mut tx, email, &change).await?;
    tx.commit_offline(db, WRITER).await?;
    sessions::announce(db, &changed.ended).await;
    Ok(format!(
        "{}; {} session(s) ended",
        changed.said,
        changed.ended.len()
    ))
}

/// `user remove`: a resident who moved out ([`users::remove`]).
pub async fn remove_user(db: &Db, email: &str) -> Result<String, AdminError> {
    let mut tx = Tx::begin_offline(db).await?;
    let ended = users::remove(&mut tx, email).await?;
    tx.commit_offline(db, WRITER).await?;
    sessions::announce(db, &ended).await;
    Ok(format!(
        "{} removed; {} session(s) ended",
        Email::fold(email),
        ended.len()
    ))
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
