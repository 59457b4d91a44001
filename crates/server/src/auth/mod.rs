//! Authentication: JWTs ([`jwt`]), password hashes ([`password`]), and the [`AuthUser`]
//! extractor that every protected handler takes.

pub mod jwt;
pub mod limits;
pub mod password;
pub mod sessions;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ppt_protocol::rest::Role;

use crate::error::AppError;
use crate::state::AppState;

/// The caller of a request, from a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub building_id: i64,
    pub role: Role,
    /// The login session the token belongs to.
    pub session: String,
    /// Expiry of the token, in seconds since the epoch.
    pub exp: u64,
}

impl AuthUser {
    /// The caller as the domain's operations know them.
    pub fn actor(&self) -> crate::domain::Actor {
        crate::domain::Actor {
            id: self.id,
            building_id: self.building_id,
            role: self.role,
        }
    }
}

/// The bearer token of a request's headers, unverified.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, AppError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| AppError::Unauthorized("authorization must be a bearer token".into()))
}

/// The header a request replayed from storage carries: the tag of the session that stored it
/// (`LoginResponse::session_tag`).
pub const SESSION_TAG: &str = "x-ppt-session-tag";

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = authenticate(state, bearer(&parts.headers)?).await?;
        // A request from what the browser stored (the outbox) names the session that stored
        // it; another session's is refused, so nothing planted in storage is sent as a user.
        if let Some(tag) = parts.headers.get(SESSION_TAG) {
            let ours = state.sessions.tag(&user.session);
            if tag.as_bytes() != ours.as_bytes() {
                return Err(AppError::Conflict(
                    "session_mismatch",
                    "this request was stored by another session; it was not carried out".into(),
                ));
            }
        }
        Ok(user)
    }
}

/// The caller behind an access token: a valid signature and expiry, and a session that is
/// still open for the same user, role and building (so a logout, or an administrator's
/// change, refuses the token at once on every server).
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, AppError> {
    let user = state
        .jwt
        .verify(token)
        .map_err(|e| AppError::Unauthorized(e.to_string()))?;
    let role = match user.role {
        Role::Manager => "manager",
        Role::Resident => "resident",
    };
    let live = sessions::is_live(
        state.storage.pool(),
        &user.session,
        user.id,
        user.building_id,
        role,
    )
    .await?;
    if live {
        Ok(user)
    } else {
        Err(AppError::Unauthorized("the session has ended".into()))
    }
}

/// The `X-Request-Id` of a request, if any: stamped on the events it causes as `requestId`,
/// so a client can tell its own changes from other people's.
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty() && v.len() <= 128)
                .map(str::to_owned),
        ))
    }
}
