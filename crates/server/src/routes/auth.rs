//! `/auth/login`, `/auth/refresh`, `/me`.

use axum::extract::State;
use ppt_protocol::rest::{LoginRequest, LoginResponse, TokenResponse, User};
use sqlx::Row;

use super::AppJson;
use crate::auth::limits::ClientAddr;
use crate::auth::{AuthUser, RefreshingUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users;

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<AppJson<LoginResponse>> {
    let account = users::fold_email(&req.email);
    if let Some(wait) = state.login.refused(&account, address) {
        return Err(AppError::TooManyRequests(wait));
    }
    let found = sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(account.clone())
        .fetch_optional(state.store.pool())
        .await?;
    let found: Option<(i64, String)> = match found {
        Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
        None => None,
    };
    // An unknown email is checked too (against a decoy): the same time as a wrong password.
    let ok = state
        .login
        .verify(req.password, found.as_ref().map(|(_, hash)| hash.clone()))
        .await?;
    let Some((id, _)) = found.filter(|_| ok) else {
        state.login.failed(&account, address);
        return Err(AppError::Unauthorized("wrong email or password".into()));
    };
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
