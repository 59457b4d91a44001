//! `/auth/login`, `/auth/refresh`, `/auth/logout`, `/me`.
//!
//! Login starts a session (see `auth::sessions`): the answer carries a short access token
//! and sets the refresh token in an `HttpOnly`, `SameSite=Strict` cookie that only
//! `/api/v1/auth` receives. Refresh reads only that cookie (never a bearer token) and
//! rotates it. Logout ends the session everywhere.

use axum::extract::State;
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use ppt_protocol::rest::{LoginRequest, LoginResponse, User};
use sqlx::Row;

use super::AppJson;
use crate::auth::limits::ClientAddr;
use crate::auth::sessions::{self, EndReason, Refreshed, COOKIE as REFRESH, COOKIE_PATH};
use crate::auth::{authenticate, AuthUser};
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users;

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<Response> {
    same_origin(&state, &headers)?;
    let account = Email::fold(&req.email);
    if let Some(wait) = state.login.refused(&account, address) {
        state.metrics.login_refusals.inc();
        return Err(AppError::TooManyRequests(wait));
    }
    let found =
        sqlx::query("SELECT id, password_hash FROM users WHERE email = $1 AND removed_at IS NULL")
            .bind(account.clone())
            .fetch_optional(state.storage.pool())
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
        state.metrics.login_refusals.inc();
        return Err(AppError::Unauthorized("wrong email or password".into()));
    };
    let started = state
        .sessions
        .start(state.storage.pool(), id, req.shared)
        .await?;
    signed_in(&state, &headers, started).await
}

/// Exchanges the refresh cookie for a new access token and a new cookie.
pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    same_origin(&state, &headers)?;
    let Some(token) = refresh_cookie(&headers) else {
        return Err(AppError::Unauthorized(
            "no session to refresh; sign in".into(),
        ));
    };
    match state.sessions.refresh(state.storage.db(), &token).await {
        Ok(refreshed) => signed_in(&state, &headers, refreshed).await,
        Err(e @ AppError::Unauthorized(_)) => {
            // The cookie is worth nothing now: the browser may forget it.
            let mut r = e.into_response();
            r.headers_mut()
                .append(SET_COOKIE, clear_cookie(&state, &headers));
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

/// Ends the session of the access token, or else of the refresh cookie: its refresh token
/// stops working, its access tokens are refused, its sockets close with 4401. Always 204 and
/// a cleared cookie (logging out twice is not an error).
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    same_origin(&state, &headers)?;
    let bearer = crate::auth::bearer(&headers).ok();
    let mut session = None;
    if let Some(token) = bearer {
        match authenticate(&state, token).await {
            Ok(user) => session = Some(user.session),
            Err(AppError::Unauthorized(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if session.is_none() {
        session = refresh_cookie(&headers)
            .and_then(|t| state.sessions.parse(&t))
            .map(|(s, _)| s);
    }
    if let Some(session) = session {
        sessions::end(state.storage.db(), &session, EndReason::Logout).await?;
        // This server's sockets at once; the others' within their next sweep.
        state.storage.hub().end_sessions(&[session]);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .append(SET_COOKIE, clear_cookie(&state, &headers));
    Ok(r)
}

pub async fn me(State(state): State<AppState>, auth: AuthUser) -> AppResult<AppJson<User>> {
    Ok(AppJson(load(&state, auth.id).await?.0))
}

/// The answer to a login or refresh: the access token and user, and the refresh cookie.
async fn signed_in(state: &AppState, headers: &HeaderMap, s: Refreshed) -> AppResult<Response> {
    let (user, building) = load(state, s.user_id).await?;
    let (token, expires_in) =
        state
            .jwt
            .issue(s.user_id, building, user.role, &s.session, s.expires_at);
    // A shared computer's cookie has no lifetime: it ends when the browser closes.
    let max_age = (!s.shared).then(|| {
        s.expires_at
            .saturating_sub(crate::auth::jwt::unix_now())
            .min(i64::MAX as u64) as i64
    });
    let mut r = AppJson(LoginResponse {
        token,
        user,
        expires_in,
        shared: s.shared,
        offline_max_age: if s.shared {
            0
        } else {
            state.config.offline_max_age
        },
        session_tag: state.sessions.tag(&s.session),
    })
    .into_response();
    r.headers_mut().append(
        SET_COOKIE,
        cookie_header(state, headers, s.refresh_token, max_age),
    );
    Ok(r)
}

/// The `Set-Cookie` that forgets the refresh token.
fn clear_cookie(state: &AppState, headers: &HeaderMap) -> HeaderValue {
    cookie_header(state, headers, String::new(), Some(0))
}

/// The refresh cookie with `value`, for `max_age` seconds (`None`: until the browser closes):
/// `HttpOnly`, `SameSite=Strict`, sent only to `/api/v1/auth`, `Secure` as `--cookie-secure`
/// says.
fn cookie_header(
    state: &AppState,
    headers: &HeaderMap,
    value: String,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut cookie = Cookie::build((REFRESH, value))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state, headers));
    if let Some(seconds) = max_age {
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    let cookie = cookie.build();
    // The value is base64url and dots: always a valid header.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// The refresh token from the request's cookies, if any.
fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == REFRESH && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Whether the refresh cookie is marked `Secure` (`--cookie-secure`): `auto` marks it unless
/// the page was asked for at a loopback address (a developer's `http://localhost`, where
/// browsers would otherwise not send it back).
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    match state.config.cookie_secure.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            let host = headers
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            !is_loopback_host(host)
        }
    }
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The session endpoints refuse other sites' pages (defence in depth beside `SameSite`): a
/// request that names an `Origin` must name this server's (or an allowed one).
fn same_origin(state: &AppState, headers: &HeaderMap) -> AppResult<()> {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    // A developer's page on another loopback port (Trunk's dev server proxying the API) is
    // the same machine and the same site.
    let loopback = |h: Option<&str>| h.is_some_and(is_loopback_host);
    let origin_host = origin.map(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .unwrap_or(o)
    });
    if crate::ws::origin_allowed(origin, host, &state.config.allowed_origins)
        || (loopback(origin_host) && loopback(host))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "this page's origin may not use the session".into(),
        ))
    }
}

async fn load(state: &AppState, id: i64) -> AppResult<(User, i64)> {
    users::by_id(state.storage.pool(), id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:3000",
            "[::1]:80",
            "[::1]",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "ppt.example",
            "ppt.example:443",
            "192.168.1.5:8080",
            "[2001:db8::1]",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
