//! The REST client: typed requests to `/api/v1` through gloo-net, JSON through serde_json,
//! errors that can sit in state and props.

use ppt_protocol::RawJson;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::API_BASE;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// The server answered with an error status.
    #[error("{message}")]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    /// Too many requests of this kind (429 `rate_limited`): the server's message, and how
    /// long it asked to wait (its `Retry-After`) in milliseconds.
    #[error("{message}")]
    Limited {
        message: String,
        retry_after_ms: u64,
    },
    /// The answer was not what the contract says.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

impl ApiError {
    /// Whether the token was refused (the session must be renewed or ended).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Http { status: 401, .. })
    }

    /// Whether the server refused the request for what it is (a 4xx other than a timeout
    /// or a rate limit): trying it again unchanged cannot succeed.
    pub fn is_refusal(&self) -> bool {
        matches!(self, ApiError::Http { status, .. } if (400..500).contains(status) && *status != 408 && *status != 429)
    }

    /// Words for a form: the server's message, or what went wrong.
    pub fn describe(self) -> String {
        match self {
            ApiError::Http { message, .. } | ApiError::Limited { message, .. } => message,
            other => other.to_string(),
        }
    }

    /// A 429's error, waiting `retry_after` (the header's text: seconds; 1 s when it is
    /// missing or unreadable).
    pub fn limited(body: &str, retry_after: Option<&str>) -> Self {
        let secs = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1);
        let message = match ApiError::from_body(429, body) {
            ApiError::Http { message, .. } if !message.is_empty() => message,
            _ => "too many requests; try again shortly".into(),
        };
        ApiError::Limited {
            message,
            retry_after_ms: secs.saturating_mul(1000),
        }
    }

    /// Reads an error answer's body, falling back to the status alone.
    pub fn from_body(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ppt_protocol::rest::ApiError>(body) {
            Ok(b) => ApiError::Http {
                status,
                code: b.error.code,
                message: b.error.message,
            },
            Err(_) => ApiError::Http {
                status,
                code: "http_error".into(),
                message: format!("the server answered {status}"),
            },
        }
    }
}

/// HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// An answer whose content nobody reads (any JSON, or none).
pub use serde::de::IgnoredAny as Ignored;

/// Sends a request and reads a JSON answer.
pub async fn request<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<T, ApiError> {
    request_keyed(method, path, token, body, &[]).await
}

/// [`request`] with an `X-Request-Id`, which the server stamps on the events the request
/// causes (so this tab can recognise its own changes).
pub async fn request_with_id<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
    request_id: Option<&str>,
) -> Result<T, ApiError> {
    let headers: Vec<_> = request_id
        .map(|id| ("X-Request-Id", id))
        .into_iter()
        .collect();
    request_keyed(method, path, token, body, &headers).await
}

/// [`request`] with more headers.
async fn request_keyed<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
    headers: &[(&str, &str)],
) -> Result<T, ApiError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    let text = send(method, path, token, body, headers).await?;
    read(&text)
}

/// Reads an answer's text; a 204 (a delete) has none, read as `null`.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let text = if text.is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The untyped part of every request (one copy, whatever the types): sends it with
/// gloo-net and returns the body of a 2xx answer.
#[cfg(target_arch = "wasm32")]
async fn send(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> Result<String, ApiError> {
    use gloo_net::http::Request;
    let network = |e: gloo_net::Error| ApiError::Network(e.to_string());
    let url = format!("{API_BASE}{path}");
    let mut builder = match method {
        Method::Get => Request::get(&url),
        Method::Post => Request::post(&url),
        Method::Put => Request::put(&url),
        Method::Patch => Request::patch(&url),
        Method::Delete => Request::delete(&url),
    };
    if let Some(t) = token {
        builder = builder.header("Authorization", &format!("Bearer {t}"));
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let request = match body {
        Some(b) => builder
            .header("Content-Type", "application/json")
            .body(b)
            .map_err(network)?,
        None => builder.build().map_err(network)?,
    };
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    let text = response.text().await.map_err(network)?;
    if status == 429 {
        return Err(ApiError::limited(
            &text,
            response.headers().get("Retry-After").as_deref(),
        ));
    }
    if !response.ok() {
        return Err(ApiError::from_body(status, &text));
    }
    Ok(text)
}

/// Native builds (tests of pure logic) have no network.
#[cfg(not(target_arch = "wasm32"))]
async fn send(
    _method: Method,
    path: &str,
    _token: Option<&str>,
    _body: Option<String>,
    _headers: &[(&str, &str)],
) -> Result<String, ApiError> {
    Err(ApiError::Network(format!(
        "no network outside the browser ({API_BASE}{path})"
    )))
}

/// `POST /auth/login` (`shared`: "this is a shared computer").
pub async fn login(
    email: &str,
    password: &str,
    shared: bool,
) -> Result<ppt_protocol::rest::LoginResponse, ApiError> {
    let body = ppt_protocol::rest::LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
        shared,
    };
    request(Method::Post, "/auth/login", None, Some(&body)).await
}

/// `POST /auth/refresh`: a new access token for the session in the refresh cookie (which
/// the browser sends by itself and script never sees), and its user. One tab at a time: the
/// cookie rotates, and a cookie spent twice ends the session.
pub async fn refresh() -> Result<ppt_protocol::rest::LoginResponse, ApiError> {
    crate::browser::locks::exclusive("ppt-web.refresh", async {
        request(Method::Post, "/auth/refresh", None, None::<&()>).await
    })
    .await
    .unwrap_or_else(|| Err(ApiError::Network("could not take the refresh lock".into())))
}

/// `POST {path}` creating something, with its `Idempotency-Key` (docs/protocol.md, "Sending twice": a
/// repeat with the same key gets the first answer and creates nothing more), the
/// `X-Request-Id` of the tab that asked for it, and, for what was stored (the outbox), the
/// tag of the session that stored it (`X-PPT-Session-Tag`: the server refuses another
/// session's).
pub async fn create(
    path: &str,
    token: Option<&str>,
    body: &RawJson,
    request_id: Option<&str>,
    key: &str,
    stored_by: Option<&str>,
) -> Result<RawJson, ApiError> {
    let mut headers = vec![("Idempotency-Key", key)];
    headers.extend(request_id.map(|id| ("X-Request-Id", id)));
    headers.extend(stored_by.map(|tag| ("X-PPT-Session-Tag", tag)));
    request_keyed(Method::Post, path, token, Some(body), &headers).await
}

/// `POST /auth/logout`: ends the session on the server, on every device it is open in
/// (`token` names it; the cookie does too).
pub async fn logout(token: Option<&str>) -> Result<(), ApiError> {
    send(Method::Post, "/auth/logout", token, None, &[])
        .await
        .map(|_| ())
}

/// `GET` a JSON answer.
pub async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, ApiError> {
    request(Method::Get, path, Some(token), None::<&()>).await
}

/// `GET` an answer as its text, for the caller to read into the type it knows.
pub async fn get_text(path: &str, token: &str) -> Result<String, ApiError> {
    send(Method::Get, path, Some(token), None, &[]).await
}

/// `POST` a JSON body.
pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
    path: &str,
    token: &str,
    body: &B,
) -> Result<T, ApiError> {
    request(Method::Post, path, Some(token), Some(body)).await
}

/// `PUT` a JSON body.
pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
    path: &str,
    token: &str,
    body: &B,
) -> Result<T, ApiError> {
    request(Method::Put, path, Some(token), Some(body)).await
}

/// `PATCH` a JSON body.
pub async fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(
    path: &str,
    token: &str,
    body: &B,
) -> Result<T, ApiError> {
    request(Method::Patch, path, Some(token), Some(body)).await
}

#[cfg(test)]
mod tests {
    use super::ApiError;

    /// A 429 waits what its `Retry-After` says (1 s when it says nothing readable), with the
    /// server's message.
    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let body =
            r#"{"error":{"code":"rate_limited","message":"too many messages; try again in 3 s"}}"#;
        assert_eq!(
            ApiError::limited(body, Some("3")),
            ApiError::Limited {
                message: "too many messages; try again in 3 s".into(),
                retry_after_ms: 3000
            }
        );
        for unreadable in [None, Some("soon"), Some("0")] {
            match ApiError::limited("", unreadable) {
                ApiError::Limited { retry_after_ms, .. } => assert_eq!(retry_after_ms, 1000),
                other => panic!("{other:?}"),
            }
        }
        assert!(!ApiError::limited(body, None).is_refusal());
    }

    /// An error body becomes a typed error with the server's code and message.
    #[test]
    fn error_bodies_are_read() {
        let e = ApiError::from_body(
            401,
            r#"{"error":{"code":"unauthorized","message":"wrong email or password"}}"#,
        );
        assert!(e.is_unauthorized());
        assert_eq!(e.to_string(), "wrong email or password");
        let e = ApiError::from_body(502, "<html>bad gateway</html>");
        assert_eq!(
            e,
            ApiError::Http {
                status: 502,
                code: "http_error".into(),
                message: "the server answered 502".into()
            }
        );
    }

    /// The server's error body, with its field-level problems, reads as its code and
    /// message.
    #[test]
    fn field_problems_are_skipped() {
        use ppt_protocol::rest::{ApiError as Body, ApiErrorDetail};
        let body = serde_json::to_string(&Body {
            error: ApiErrorDetail {
                code: "validation".into(),
                message: "check the form".into(),
                fields: [("title".to_owned(), "required".to_owned())].into(),
            },
        })
        .unwrap();
        assert!(body.contains("\"fields\":{\"title\""));
        assert_eq!(
            ApiError::from_body(422, &body),
            ApiError::Http {
                status: 422,
                code: "validation".into(),
                message: "check the form".into()
            }
        );
    }
}
