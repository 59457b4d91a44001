//! HS256 JWTs with the algorithm pinned: `sub`, `bid` (building), `role`, `sid` (the login
//! session, see [`super::sessions`]), `iat`, `exp`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ppt_protocol::rest::Role;
use serde::{Deserialize, Serialize};

use super::AuthUser;

/// Token claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub bid: i64,
    pub role: Role,
    pub sid: String,
    pub iat: u64,
    pub exp: u64,
}

/// Why a token was refused. The token itself never appears in messages or logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
}

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl JwtKeys {
    /// Keys from a shared secret; tokens live `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// A fresh access token for a user's session, valid for the lifetime but never past
    /// `not_after` (the session's end, Unix seconds); and how many seconds it is valid.
    pub fn issue(
        &self,
        user_id: i64,
        building_id: i64,
        role: Role,
        session: &str,
        not_after: u64,
    ) -> (String, u64) {
        let iat = unix_now();
        let exp = (iat + self.ttl.as_secs().max(1)).min(not_after);
        let claims = Claims {
            sub: user_id.to_string(),
            bid: building_id,
            role,
            sid: session.to_owned(),
            iat,
            exp,
        };
        // HS256 over a small struct does not fail.
        let token =
            encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default();
        (token, exp.saturating_sub(iat))
    }

    /// Verifies a token: HS256 only, signature, and expiry with no leeway. (Whether its
    /// session is still open is the caller's second question.)
    pub fn verify(&self, token: &str) -> Result<AuthUser, TokenError> {
        self.verify_with_leeway(token, 0)
    }

    fn verify_with_leeway(&self, token: &str, leeway: u64) -> Result<AuthUser, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = leeway;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let id = data.claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        Ok(AuthUser {
            id,
            building_id: data.claims.bid,
            role: data.claims.role,
            session: data.claims.sid,
            exp: data.claims.exp,
        })
    }
}
