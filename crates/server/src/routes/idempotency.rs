//! `Idempotency-Key` on creates (docs/protocol.md, "Sending twice"): a client may retry any
//! create without fear of doubling it.
//!
//! The key is claimed in the create's own transaction, before its work, and the answer is
//! written there after it: the claim, the created row, its events and the answer commit
//! together or not at all. A retry with the same key and the same call (same user, method,
//! path and body) within 24 hours gets the first answer again, status and body, and appends
//! no event; the same key for a different call is refused (422). Two tries racing each other
//! meet at the claim: PostgreSQL makes the second wait for the first's commit (then it reads
//! the answer), SQLite runs one write at a time.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::create_limits::CreateKind;
use crate::auth::jwt::unix_now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::Tx;

/// How long an answer is kept for retries.
pub const KEEP_SECS: u64 = 24 * 60 * 60;
/// The longest key accepted.
pub const MAX_KEY: usize = 64;

/// The request's `Idempotency-Key`, if it sent one (1 to 64 visible ASCII characters; any
/// other value is a 400).
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = v
            .to_str()
            .ok()
            .filter(|k| (1..=MAX_KEY).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                AppError::BadRequest(
                    "bad_request",
                    format!("`Idempotency-Key` must be 1 to {MAX_KEY} visible ASCII characters"),
                )
            })?;
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// What a create with a key came to.
enum Outcome {
    /// Done now; the answer's body.
    Fresh(String),
    /// Done before: the first answer.
    Replayed(StatusCode, String),
}

/// One create call: who makes it, its key (if any), its request id, and its fingerprint.
pub struct Call {
    user_id: i64,
    kind: CreateKind,
    key: Option<String>,
    request_id: Option<String>,
    fingerprint: String,
}

impl Call {
    /// `name` is the method and path (`POST /faults`); `body` the request as the handler read it.
    pub fn new(
        user_id: i64,
        kind: CreateKind,
        key: IdempotencyKey,
        request_id: Option<String>,
        name: &str,
        body: &impl Serialize,
    ) -> AppResult<Self> {
        Ok(Call {
            user_id,
            kind,
            fingerprint: if key.0.is_some() {
                fingerprint(name, body)?
            } else {
                String::new()
            },
            key: key.0,
            request_id,
        })
    }
}

/// Runs a create as one write, answering `status` with what `work` returns; with a key, at
/// most once per user and key (see the module's notes).
pub async fn create<T, F>(
    state: &AppState,
    call: Call,
    status: StatusCode,
    work: F,
) -> AppResult<Response>
where
    T: Serialize + Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
{
    let Call {
        user_id,
        kind,
        key,
        request_id,
        fingerprint,
    } = call;
    // Past the user's limit for this kind nothing is written (a flood costs no write).
    state.creates.check(kind, user_id)?;
    let Some(key) = key else {
        let value = state.storage.write(request_id, work).await?;
        return Ok(json(status, serde_json::to_string(&value)?, false));
    };
    let outcome = state
        .storage
        .write(request_id, move |tx| {
            Box::pin(async move {
                let now = unix_now() as i64;
                let expired = now - KEEP_SECS as i64;
                // Claim the key: a new one, or one whose answer is older than a day.
                let claimed = sqlx::query(
                    "INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, status, body, created_at) \
                     VALUES ($1, $2, $3, 0, '', $4) \
                     ON CONFLICT (user_id, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, \
                     status = 0, body = '', created_at = excluded.created_at \
                     WHERE idempotency_keys.created_at <= $5",
                )
                .bind(user_id)
                .bind(&key)
                .bind(&fingerprint)
                .bind(now)
                .bind(expired)
                .execute(tx.sql())
                .await?
                .rows_affected()
                    == 1;
                if !claimed {
                    let row = sqlx::query(
                        "SELECT fingerprint, status, body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
                    )
                    .bind(user_id)
                    .bind(&key)
                    .fetch_one(tx.sql())
                    .await?;
                    let first: String = row.try_get(0)?;
                    if first != fingerprint {
                        return Err(AppError::Unprocessable(
                            "idempotency_key_reused",
                            "this Idempotency-Key was used for a different request".into(),
                        ));
                    }
                    let code: i64 = row.try_get(1)?;
                    let status = u16::try_from(code)
                        .ok()
                        .and_then(|c| StatusCode::from_u16(c).ok())
                        .ok_or_else(|| AppError::Internal(format!("stored status {code}")))?;
                    return Ok(Outcome::Replayed(status, row.try_get(2)?));
                }
                let value = work(tx).await?;
                let body = serde_json::to_string(&value)?;
                sqlx::query(
                    "UPDATE idempotency_keys SET status = $3, body = $4 WHERE user_id = $1 AND idem_key = $2",
                )
                .bind(user_id)
                .bind(&key)
                .bind(i64::from(status.as_u16()))
                .bind(&body)
                .execute(tx.sql())
                .await?;
                // The user's answers past their day go as new ones come (the key is the
                // table's first column: this reads only this user's rows).
                sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND created_at <= $2")
                    .bind(user_id)
                    .bind(expired)
                    .execute(tx.sql())
                    .await?;
                Ok(Outcome::Fresh(body))
            })
        })
        .await?;
    Ok(match outcome {
        Outcome::Fresh(body) => json(status, body, false),
        Outcome::Replayed(status, body) => json(status, body, true),
    })
}

/// The call a key was used for: SHA-256 over its name and its body as JSON.
fn fingerprint(call: &str, request: &impl Serialize) -> AppResult<String> {
    let mut h = Sha256::new();
    h.update(call.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(request)?);
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A JSON answer; a replayed one says so (`Idempotent-Replayed: true`, as Stripe's API does).
fn json(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same call has the same fingerprint; another path or body another.
    #[test]
    fn fingerprints_tell_calls_apart() {
        let a = fingerprint("POST /faults", &serde_json::json!({"title": "x"})).unwrap();
        assert_eq!(
            a,
            fingerprint("POST /faults", &serde_json::json!({"title": "x"})).unwrap()
        );
        assert_ne!(
            a,
            fingerprint("POST /votes", &serde_json::json!({"title": "x"})).unwrap()
        );
        assert_ne!(
            a,
            fingerprint("POST /faults", &serde_json::json!({"title": "y"})).unwrap()
        );
        assert_eq!(a.len(), 64);
    }
}
