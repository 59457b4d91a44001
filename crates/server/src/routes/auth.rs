//! `/auth/login`, `/auth/refresh`, `/me`.

use axum::extract::State;
use ppt_protocol::rest::{LoginRequest, LoginResponse, TokenResponse, User};
use sqlx::Row;

use super::AppJson;
use crate::auth::{password, AuthUser, RefreshingUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users;

pub async fn login(
    State(state): State<AppState>,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<AppJson<LoginResponse>> {
    let found = sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(users::fold_email(&req.email))
        .fetch_optional(state.store.pool())
        .await?;
    let bad = || AppError::Unauthorized("wrong email or password".into());
    let row = found.ok_or_else(bad)?;
    let (id, hash): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    // Hashing is deliberately slow: keep it off the async threads.
    let ok = tokio::task::spawn_blocking(move || password::verify(&req.password, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(bad());
    }
    let user = load(&state, id).await?;
    let token = state.jwt.issue(id, user.1, user.0.role);
    Ok(AppJson(LoginResponse {
        token,
        user: user.0,
    }))
}

pub async fn refresh(
    State(state): State<AppState>,
    RefreshingUser(auth): RefreshingUser,
) -> AppResult<AppJson<TokenResponse>> {
    let (user, building) = load(&state, auth.id).await?;
    Ok(AppJson(TokenResponse {
        token: state.jwt.issue(auth.id, building, user.role),
    }))
}

pub async fn me(State(state): State<AppState>, auth: AuthUser) -> AppResult<AppJson<User>> {
    Ok(AppJson(load(&state, auth.id).await?.0))
}

async fn load(state: &AppState, id: i64) -> AppResult<(User, i64)> {
    users::by_id(state.store.pool(), id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))
}
