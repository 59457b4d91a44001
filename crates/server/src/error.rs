//! `AppError`: every way a request can fail, answered with the contract's error body.

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ppt_protocol::rest::{ApiError, ApiErrorDetail};

/// A failed request. Client mistakes are 4xx with a clear message; internals stay in the log.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("{1}")]
    BadRequest(&'static str, String),
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(&'static str, String),
    /// A well-formed request that cannot be carried out as asked: 422 with its own code.
    #[error("{1}")]
    Unprocessable(&'static str, String),
    /// Too many failed logins for an account or an address: 429, with when to try again.
    #[error("too many attempts; try again in {0:?}")]
    TooManyRequests(std::time::Duration),
    /// Too many creates of a kind (messages, faults, …) by this user: 429, with when to try
    /// again (`routes::create_limits`).
    #[error("too many {0} created; try again in {1:?}")]
    Limited(&'static str, std::time::Duration),
    /// The server is too busy to take this request now: 503, try again shortly.
    #[error("busy")]
    Busy,
    /// The database cannot be reached or is not serving: 503, try again (nothing was written).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// One field's problem.
    pub fn field(name: &str, problem: impl Into<String>) -> Self {
        let mut m = BTreeMap::new();
        m.insert(name.to_owned(), problem.into());
        AppError::Validation(m)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("writing JSON: {e}"))
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let code = match r {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        AppError::BadRequest(code, r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::BadRequest("bad_query", r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::BadRequest("bad_path", r.body_text())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            AppError::BadRequest(code, m) => {
                let status = match code {
                    "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, code, m, BTreeMap::new())
            }
            AppError::Validation(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "some fields are not valid".to_owned(),
                fields,
            ),
            AppError::Unauthorized(m) => {
                (StatusCode::UNAUTHORIZED, "unauthorized", m, BTreeMap::new())
            }
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, BTreeMap::new()),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m, BTreeMap::new()),
            AppError::Conflict(code, m) => (StatusCode::CONFLICT, code, m, BTreeMap::new()),
            AppError::Unprocessable(code, m) => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, m, BTreeMap::new())
            }
            AppError::TooManyRequests(wait) => {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many failed attempts; try again in {secs} s"),
                    secs.max(1),
                );
            }
            AppError::Limited(kind, wait) => {
                let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                return error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many {kind} in a short time; try again in {secs} s"),
                    secs,
                );
            }
            AppError::Busy => {
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the server is busy; try again shortly".to_owned(),
                    1,
                );
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                let body = ApiError {
                    error: ApiErrorDetail {
                        code: "unavailable".to_owned(),
                        message: "the database cannot be reached right now; try again shortly"
                            .to_owned(),
                        fields: BTreeMap::new(),
                    },
                };
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    Json(body),
                )
                    .into_response();
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on the server".to_owned(),
                    BTreeMap::new(),
                )
            }
        };
        let body = ApiError {
            error: ApiErrorDetail {
                code: code.to_owned(),
                message,
                fields,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// An error body with `Retry-After`.
fn error_response(status: StatusCode, code: &str, message: String, retry_after: u64) -> Response {
    let body = ApiError {
        error: ApiErrorDetail {
            code: code.to_owned(),
            message,
            fields: BTreeMap::new(),
        },
    };
    (
        status,
        [(axum::http::header::RETRY_AFTER, retry_after.to_string())],
        Json(body),
    )
        .into_response()
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;
