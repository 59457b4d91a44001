//! Login sessions (docs/protocol.md, "Sessions and tokens"): one row per login in `sessions`, a rotating refresh
//! token in an `HttpOnly` cookie, and short access tokens that name their session (`sid`).
//!
//! A refresh token is `<session id>.<generation>.<HMAC>`: the server can tell a genuine token
//! of any generation without storing any of them. The row holds the generation that is valid
//! now; refreshing with it advances the row by one (a compare-and-set, so two refreshes with
//! one token cannot both win). A genuine token of an older generation is a token used twice,
//! which means it was copied: the session ends, for the thief and the owner alike. One
//! exception, as Auth0's reuse interval: the generation spent last, used again within
//! `--refresh-reuse-secs` of spending it, is a browser whose answer was lost on the way (the
//! network dropped after the server rotated); it gets that rotation's answer once more.
//!
//! A session ends by logout, by reuse, by an administrator (role or building changed, or
//! `user logout`), or at its cap (`--session-max-secs`, 30 days). From that moment every
//! server refuses its access tokens (each request checks the row), and its sockets close
//! with 4401: on PostgreSQL every server hears of it at once ([`announce`], a NOTIFY its log
//! follower listens for), and each server's [`sweep`] catches whatever a notification missed
//! (and, on SQLite, what an administrative command ended).

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{AnyPool, Row};
use tokio_util::sync::CancellationToken;

use super::jwt::unix_now;
use crate::db::dialect::SESSIONS_CHANNEL;
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};
use crate::hub::Hub;

/// The refresh cookie's name.
pub const COOKIE: &str = "ppt_refresh";
/// The only path the refresh cookie is sent to.
pub const COOKIE_PATH: &str = "/api/v1/auth";

/// Why a session ended (`sessions.ended_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    /// A refresh token was used twice.
    Reuse,
    /// An administrator changed the account or logged it out.
    Admin,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Reuse => "refresh_reuse",
            EndReason::Admin => "admin",
        }
    }
}

/// A session that refreshed: who it is, and the next refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub session: String,
    pub user_id: i64,
    pub refresh_token: String,
    /// When the session ends at the latest (Unix seconds).
    pub expires_at: u64,
    /// Started as "a shared computer": its cookie ends with the browser and the browser
    /// keeps nothing of it.
    pub shared: bool,
}

/// Issues, checks and ends sessions.
#[derive(Clone)]
pub struct Sessions {
    key: Arc<[u8]>,
    tags: Arc<[u8]>,
    max_age: Duration,
    shared_max_age: Duration,
    reuse: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl Sessions {
    /// Sessions whose refresh tokens are signed with a key derived from `secret`; each lives
    /// at most `max_age` (a shared computer's at most `shared_max_age`); the generation spent
    /// last may be spent again within `reuse` of it.
    pub fn new(
        secret: &[u8],
        max_age: Duration,
        shared_max_age: Duration,
        reuse: Duration,
    ) -> Self {
        // Keys of their own, so that no refresh token can ever pass for an access token's
        // signature or the other way round, nor a session tag for either.
        let derive = |purpose: &[u8]| -> Arc<[u8]> {
            let mut mac =
                HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
            mac.update(purpose);
            mac.finalize().into_bytes().to_vec().into()
        };
        Sessions {
            key: derive(b"ppt-web refresh tokens v1"),
            tags: derive(b"ppt-web session tags v1"),
            max_age,
            shared_max_age: shared_max_age.min(max_age),
            reuse,
        }
    }

    /// The longest a session lives.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// A session's tag: what the browser stores for the session (its outbox) carries it, and
    /// a request that says it comes from a stored outbox (`X-PPT-Session-Tag`) is taken only from the
    /// session it names. Stable across refreshes; reveals nothing of the session id.
    pub fn tag(&self, session: &str) -> String {
        let mut mac =
            HmacSha256::new_from_slice(&self.tags).expect("HMAC takes keys of any length");
        mac.update(session.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    fn mac(&self, session: &str, generation: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(session.as_bytes());
        mac.update(b".");
        mac.update(generation.to_string().as_bytes());
        mac
    }

    /// The refresh token of a session's generation.
    pub fn token(&self, session: &str, generation: i64) -> String {
        let sig = self.mac(session, generation).finalize().into_bytes();
        format!("{session}.{generation}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A genuine token's session and generation; `None` for anything this server did not sign.
    pub fn parse(&self, token: &str) -> Option<(String, i64)> {
        let mut parts = token.split('.');
        let (session, generation, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || session.is_empty() || session.len() > 64 {
            return None;
        }
        let generation: i64 = generation.parse().ok().filter(|g| *g >= 0)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        // Constant-time comparison.
        self.mac(session, generation).verify_slice(&sig).ok()?;
        Some((session.to_owned(), generation))
    }

    /// Starts a session for a user (on a shared computer, or not): its id, first refresh
    /// token and end.
    pub async fn start(&self, pool: &AnyPool, user_id: i64, shared: bool) -> AppResult<Refreshed> {
        let session = crate::db::random_token(32);
        let now = unix_now();
        let cap = if shared {
            self.shared_max_age
        } else {
            self.max_age
        };
        let expires_at = now.saturating_add(cap.as_secs());
        sqlx::query(
            "INSERT INTO sessions (id, user_id, generation, created_at, expires_at, refreshed_at, shared) \
             VALUES ($1, $2, 0, $3, $4, $3, $5)",
        )
        .bind(session.clone())
        .bind(user_id)
        .bind(now as i64)
        .bind(expires_at as i64)
        .bind(i64::from(shared))
        .execute(pool)
        .await?;
        Ok(Refreshed {
            refresh_token: self.token(&session, 0),
            session,
            user_id,
            expires_at,
            shared,
        })
    }

    /// Exchanges a refresh token for the next one. A token used twice ends its session.
    pub async fn refresh(&self, db: &Db, token: &str) -> AppResult<Refreshed> {
        let pool = &db.pool;
        let refused = |why: &str| AppError::Unauthorized(why.to_owned());
        let Some((session, generation)) = self.parse(token) else {
            return Err(refused("the refresh token is not valid"));
        };
        let now = unix_now() as i64;
        let advanced = sqlx::query(
            "UPDATE sessions SET generation = generation + 1, refreshed_at = $3 \
             WHERE id = $1 AND generation = $2 AND ended_at IS NULL AND expires_at > $3 \
             RETURNING user_id, expires_at, shared",
        )
        .bind(session.clone())
        .bind(generation)
        .bind(now)
        .fetch_optional(pool)
        .await?;
        if let Some(row) = advanced {
            return Ok(Refreshed {
                refresh_token: self.token(&session, generation + 1),
                user_id: row.try_get(0)?,
                expires_at: row.try_get::<i64, _>(1)?.max(0) as u64,
                shared: row.try_get::<i64, _>(2)? != 0,
                session,
            });
        }
        let row =
            sqlx::query("SELECT generation, ended_at, expires_at FROM sessions WHERE id = $1")
                .bind(session.clone())
                .fetch_optional(pool)
                .await?;
        let Some(row) = row else {
            return Err(refused("the session does not exist"));
        };
        let current: i64 = row.try_get(0)?;
        let ended: Option<i64> = row.try_get(1)?;
        let expires_at: i64 = row.try_get(2)?;
        if ended.is_some() {
            return Err(refused("the session has ended; sign in again"));
        }
        if expires_at <= now {
            return Err(refused("the session has expired; sign in again"));
        }
        if generation + 1 == current && !self.reuse.is_zero() {
            // The answer to the rotation just made may have been lost: within the interval,
            // the same answer once more (a compare-and-set: of two replays, one is answered).
            let replayed = sqlx::query(
                "UPDATE sessions SET replayed_generation = $2 \
                 WHERE id = $1 AND generation = $2 AND refreshed_at >= $3 \
                 AND (replayed_generation IS NULL OR replayed_generation <> $2) \
                 RETURNING user_id, shared",
            )
            .bind(session.clone())
            .bind(current)
            .bind(now - self.reuse.as_secs() as i64)
            .fetch_optional(pool)
            .await?;
            if let Some(replayed) = replayed {
                tracing::info!(session = %short(&session), "a refresh answer was lost; sent again");
                return Ok(Refreshed {
                    refresh_token: self.token(&session, current),
                    user_id: replayed.try_get(0)?,
                    expires_at: expires_at.max(0) as u64,
                    shared: replayed.try_get::<i64, _>(1)? != 0,
                    session,
                });
            }
        }
        if generation < current {
            tracing::warn!(session = %short(&session), "a refresh token was used twice; the session ends");
            end(db, &session, EndReason::Reuse).await?;
            return Err(refused(
                "this refresh token was already used; the session has ended, sign in again",
            ));
        }
        // A generation ahead of the row: signed by us but never handed out (its commit was
        // lost). Not a reuse; simply not valid.
        Err(refused("the refresh token is not valid"))
    }
}

/// The first characters of a session id, enough to follow it in logs.
fn short(session: &str) -> &str {
    session.get(..8).unwrap_or(session)
}

/// Ends one session (idempotent) and tells every server.
pub async fn end(db: &Db, session: &str, why: EndReason) -> AppResult<()> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $2, ended_reason = $3 WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(session.to_owned())
    .bind(unix_now() as i64)
    .bind(why.as_str())
    .execute(&db.pool)
    .await?;
    announce(db, &[session.to_owned()]).await;
    Ok(())
}

/// Ends every open session of a user; their ids (to [`announce`] once committed).
pub async fn end_all<'c, E>(c: E, user_id: i64, why: EndReason) -> Result<Vec<String>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE sessions SET ended_at = $2, ended_reason = $3 \
         WHERE user_id = $1 AND ended_at IS NULL RETURNING id",
    )
    .bind(user_id)
    .bind(unix_now() as i64)
    .bind(why.as_str())
    .fetch_all(c)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// Tells every server on this PostgreSQL that these sessions ended (their log followers
/// close the sockets at once). Best effort: the sweep catches what this misses. Nothing to
/// do on SQLite, where one server owns the file.
pub async fn announce(db: &Db, sessions: &[String]) {
    if db.backend != Backend::Postgres {
        return;
    }
    for session in sessions {
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(SESSIONS_CHANNEL)
            .bind(session.clone())
            .execute(&db.pool)
            .await;
        if let Err(e) = sent {
            tracing::debug!(error = %e, "could not announce an ended session");
        }
    }
}

/// Whether an access token's session is still open, and its user still the one (and with the
/// role and building) the token was issued for.
pub async fn is_live(
    pool: &AnyPool,
    session: &str,
    user_id: i64,
    building_id: i64,
    role: &str,
) -> AppResult<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.user_id = $2 AND s.ended_at IS NULL \
         AND u.building_id = $3 AND u.role = $4 AND u.removed_at IS NULL",
    )
    .bind(session.to_owned())
    .bind(user_id)
    .bind(building_id)
    .bind(role.to_owned())
    .fetch_optional(pool)
    .await?
    .is_some())
}

/// How far back [`sweep`] looks each time: generous, so that clocks a little apart between
/// servers lose nothing (closing a socket twice is harmless).
const SWEEP_WINDOW_SECS: i64 = 120;

/// Closes, on this server, the sockets of sessions ended anywhere: every `every`, one small
/// query for the sessions ended lately. The server that ends a session closes its own
/// sockets at once; this reaches the others.
pub async fn sweep(pool: AnyPool, hub: Hub, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if hub.is_empty() {
            continue;
        }
        let since = unix_now() as i64 - SWEEP_WINDOW_SECS;
        let ended = sqlx::query("SELECT id FROM sessions WHERE ended_at >= $1")
            .bind(since)
            .fetch_all(&pool)
            .await;
        match ended {
            Ok(rows) => {
                let ids: Vec<String> = rows
                    .iter()
                    .filter_map(|r| r.try_get::<String, _>(0).ok())
                    .collect();
                if !ids.is_empty() {
                    hub.end_sessions(&ids);
                }
            }
            Err(e) => tracing::debug!(error = %e, "could not look for ended sessions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_signed() {
        let s = Sessions::new(
            b"a secret of at least thirty-two bytes",
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
        );
        let t = s.token("abc", 3);
        assert_eq!(s.parse(&t), Some(("abc".to_owned(), 3)));
        let other = Sessions::new(
            b"another secret of thirty-two bytes!!",
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
        );
        assert_eq!(other.parse(&t), None, "another key");
        // A session's tag is its own, the same each time, and not its id.
        assert_eq!(s.tag("abc"), s.tag("abc"));
        assert_ne!(s.tag("abc"), s.tag("abd"));
        assert_ne!(s.tag("abc"), other.tag("abc"));
        assert!(!s.tag("abc").contains("abc"));
        // A token of another generation or session cannot be made from this one.
        let sig = t.rsplit('.').next().unwrap();
        assert_eq!(s.parse(&format!("abc.4.{sig}")), None);
        assert_eq!(s.parse(&format!("abd.3.{sig}")), None);
        for bad in [
            "",
            "abc",
            "abc.3",
            "abc.x.y",
            "abc.-1.AAAA",
            ".0.AAAA",
            "a.1.b.c",
        ] {
            assert_eq!(s.parse(bad), None, "{bad:?}");
        }
    }
}
