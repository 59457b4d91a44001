//! The REST API under `/api/v1` (docs/protocol.md, "REST"): one module per resource.

pub mod auth;
pub mod bench;
pub mod create_limits;
pub mod deletes;
pub mod documents;
pub mod events;
pub mod idempotency;
pub mod lists;
pub mod messages;
pub mod preferences;
pub mod votes;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;

use ppt_protocol::resources::{ANNOUNCEMENTS, DOCUMENTS, FAULTS, MESSAGES, NEIGHBORS, VOTES};

use crate::error::AppError;
use crate::state::AppState;

/// JSON in and out, with the contract's error body when the request body is not right. A
/// text holding the NUL character (`\u0000`) is refused, 400 `invalid`: PostgreSQL cannot
/// store it, and no field of the API has a use for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|r| {
                let code = if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    "payload_too_large"
                } else {
                    "bad_request"
                };
                AppError::BadRequest(code, r.body_text())
            })?;
        let nul = has_nul(&bytes);
        let axum::Json(value) =
            axum::Json::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
                .await?;
        if nul {
            return Err(AppError::BadRequest(
                "invalid",
                "text may not contain the NUL character (\\u0000)".into(),
            ));
        }
        Ok(AppJson(value))
    }
}

/// Whether JSON text holds the escape of a NUL character (`\u0000`; JSON allows no raw NUL
/// in a string). Escapes are read in pairs, so an escaped backslash followed by `u0000` is
/// text, not a NUL.
fn has_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// A path parameter, with the contract's error body when it cannot be read (not UTF-8).
#[derive(Debug, Clone, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Every `/api/v1` route; each resource's paths are its own ([`ppt_protocol::resources`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route(MESSAGES.path, get(messages::list).post(messages::send))
        .route("/messages/unread-count", get(messages::unread_count))
        .route("/messages/{id}/read", post(messages::mark_read))
        .route(
            ANNOUNCEMENTS.path,
            get(lists::announcements).post(lists::create_announcement),
        )
        .route(FAULTS.path, get(lists::faults).post(lists::report_fault))
        .route(&ANNOUNCEMENTS.item_path(), delete(deletes::announcement))
        .route(
            &FAULTS.item_path(),
            patch(lists::update_fault).delete(deletes::fault),
        )
        .route(VOTES.path, get(votes::list).post(votes::open))
        .route(&VOTES.item_path(), delete(deletes::vote))
        .route("/votes/{id}/ballots", post(votes::cast))
        .route(DOCUMENTS.path, get(lists::documents))
        .route(&DOCUMENTS.item_path(), delete(deletes::document))
        .route("/documents/{id}/file", get(documents::file))
        .route(NEIGHBORS.path, get(lists::neighbors))
        .route(
            "/notification-preferences",
            get(preferences::get).put(preferences::put),
        )
        .route("/events/missed", get(events::missed))
        .route("/bench/publish", post(bench::publish))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Largest request body, in bytes (the longest text field is 10,000 characters).
pub const MAX_BODY: usize = 64 * 1024;

/// 404 with the error body, for API paths that name nothing.
pub async fn not_found() -> AppError {
    AppError::NotFound("no such API path".into())
}

async fn method_not_allowed() -> Response {
    let mut r = AppError::BadRequest(
        "method_not_allowed",
        "method not allowed on this path".into(),
    )
    .into_response();
    *r.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// Which part of a list to answer: `?limit=` (default 50, at most 200; more is served 200)
/// and `?before=<id>` (only items older than that one). Lists are newest first; a page's
/// last id is the next page's `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    /// Items with smaller ids only (`i64::MAX`: from the newest).
    pub before: i64,
}

/// A list's page size when none is asked for.
pub const PAGE_DEFAULT: i64 = 50;
/// The largest page.
pub const PAGE_MAX: i64 = 200;

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: PAGE_DEFAULT,
            before: i64::MAX,
        }
    }
}

impl Page {
    /// Reads `limit` and `before`; anything else in the query is left alone.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, AppError> {
        Self::parse_within(pairs, PAGE_DEFAULT, PAGE_MAX)
    }

    /// [`Page::parse`] for a list with its own page sizes.
    pub fn parse_within(
        pairs: &[(String, String)],
        default: i64,
        max: i64,
    ) -> Result<Self, AppError> {
        let mut page = Page {
            limit: default,
            before: i64::MAX,
        };
        let bad = |m: &str| AppError::BadRequest("bad_query", m.to_owned());
        let mut seen = (false, false);
        for (k, v) in pairs {
            match k.as_str() {
                "limit" if !seen.0 => {
                    seen.0 = true;
                    page.limit = match v.parse::<i64>() {
                        Ok(n) if n >= 1 => n.min(max),
                        _ => {
                            return Err(bad(&format!(
                                "`limit` must be a whole number from 1 to {max}"
                            )))
                        }
                    };
                }
                "before" if !seen.1 => {
                    seen.1 = true;
                    page.before =
                        v.parse::<i64>().ok().filter(|b| *b > 0).ok_or_else(|| {
                            bad("`before` must be an id (a whole number, 1 or more)")
                        })?;
                }
                "limit" | "before" => return Err(bad(&format!("`{k}` is given more than once"))),
                _ => {}
            }
        }
        Ok(page)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        Page::parse(&pairs)
    }
}

/// Parses a path id; anything that is not one names nothing, so 404.
pub fn parse_id(raw: &str, what: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::NotFound(format!("no such {what}")))
}

/// A trimmed, non-empty text field of at most `max` characters.
pub fn text_field(name: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        Err(AppError::field(name, "must not be empty"))
    } else if v.chars().count() > max {
        Err(AppError::field(
            name,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(v.to_owned())
    }
}

#[cfg(test)]
mod nul_tests {
    use super::has_nul;

    /// The NUL escape is found in any string; an escaped backslash before `u0000` is text.
    #[test]
    fn nul_escapes_are_found() {
        assert!(has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(has_nul(br#"{"\u0000":1}"#));
        assert!(!has_nul(br#"{"a":"x\\u0000y"}"#));
        assert!(has_nul(br#"{"a":"x\\\u0000"}"#));
        assert!(!has_nul(br#"{"a":"\u0001"}"#));
        assert!(!has_nul(br#"{"a":"ends with a backslash\"#));
    }
}
