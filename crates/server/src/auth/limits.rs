//! What keeps logins from being hammered (docs/protocol.md, "Login limits"; OWASP's authentication cheat
//! sheet):
//!
//! - Failed logins are counted per account and per client address (GCRA, `governor`). After
//!   `--login-account-burst` (5) failures of an account, or `--login-address-burst` (20) from
//!   an address, the next attempt is answered 429 `rate_limited` with `Retry-After`, before
//!   its password is looked at, until the limiter has room again: about a minute per
//!   account, 6 s per address (then one more failure passes, and the next one blocks again).
//!   Successful logins count for nothing.
//! - Password checks (argon2, ~19 MiB and tens of ms each) run at most a few at a time
//!   (`--argon2-concurrency`, the cores by default); a login that waits more than 2 s for its
//!   turn is answered 503 `busy`, so a flood cannot take the memory or the blocking threads.
//! - An unknown email is checked against a hash made at start-up, so it costs the same time
//!   as a wrong password and says nothing about which accounts exist.
//! - Behind a proxy (`--trusted-proxy`), the client address is the right-most address in
//!   `X-Forwarded-For` that is not a trusted proxy; from anyone else the header is ignored.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::password;
use crate::error::AppError;
use crate::state::AppState;

/// One more failure per account this often, once its burst is spent.
const ACCOUNT_PERIOD: Duration = Duration::from_secs(60);
/// One more failure per address this often, once its burst is spent.
const ADDRESS_PERIOD: Duration = Duration::from_secs(6);
/// How long a login waits for its password check before it is answered 503.
const VERIFY_PATIENCE: Duration = Duration::from_secs(2);

/// Settings.
#[derive(Debug, Clone, Copy)]
pub struct LoginSettings {
    pub account_burst: u32,
    pub address_burst: u32,
    pub argon2_concurrency: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// The login guard, shared by every request.
pub struct LoginLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    /// Keys whose failures are spent, until when.
    blocked: Mutex<HashMap<Key, Instant>>,
    checks: Semaphore,
    /// A hash of a password nobody knows, for unknown emails.
    decoy: String,
    verifications: AtomicU64,
    in_flight: AtomicU64,
    most_in_flight: AtomicU64,
}

/// The limiter for "`failures` failures, then blocked": the limiter lets `failures - 1`
/// through, and the one it refuses is the failure that blocks.
fn quota(failures: u32, period: Duration) -> Quota {
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(failures.saturating_sub(1)).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimits {
    pub fn new(s: LoginSettings) -> Self {
        let decoy = password::hash(&crate::db::random_token(32)).unwrap_or_default();
        LoginLimits {
            per_account: RateLimiter::keyed(quota(s.account_burst, ACCOUNT_PERIOD)),
            per_address: RateLimiter::keyed(quota(s.address_burst, ADDRESS_PERIOD)),
            clock: DefaultClock::default(),
            blocked: Mutex::default(),
            checks: Semaphore::new(s.argon2_concurrency.max(1)),
            decoy,
            verifications: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            most_in_flight: AtomicU64::new(0),
        }
    }

    fn blocked(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Instant>> {
        self.blocked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long this account or address must wait before it may try again (`None`: it may
    /// try now).
    pub fn refused(&self, account: &str, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let blocked = self.blocked();
        [Key::Account(account.to_owned()), Key::Address(address)]
            .iter()
            .filter_map(|k| blocked.get(k))
            .filter(|until| **until > now)
            .map(|until| *until - now)
            .max()
    }

    /// Counts a failed login against the account and the address.
    pub fn failed(&self, account: &str, address: IpAddr) {
        let now = Instant::now();
        let mut spent = Vec::new();
        if let Err(not_until) = self.per_account.check_key(&account.to_owned()) {
            spent.push((
                Key::Account(account.to_owned()),
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        if let Err(not_until) = self.per_address.check_key(&address) {
            spent.push((
                Key::Address(address),
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        let mut blocked = self.blocked();
        for (key, wait) in spent {
            blocked.insert(key, now + wait.max(Duration::from_secs(1)));
        }
        // Forget what has expired once the map grows (an attacker inventing emails).
        if blocked.len() > 10_000 {
            blocked.retain(|_, until| *until > now);
            self.per_account.retain_recent();
            self.per_address.retain_recent();
        }
    }

    /// Checks `password` against `stored` (or against the decoy when the account is unknown,
    /// and then always false), a few at a time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _turn = tokio::time::timeout(VERIFY_PATIENCE, self.checks.acquire())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(|_| AppError::Busy)?;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.decoy.clone());
        let ok = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
            .await
            .unwrap_or(false);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(ok && known)
    }

    /// Password checks made so far (an unknown email's included).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::SeqCst)
    }

    /// The most password checks that ran at once.
    pub fn most_at_once(&self) -> u64 {
        self.most_in_flight.load(Ordering::SeqCst)
    }
}

/// The client's address: the connection's peer, or behind a trusted proxy the right-most
/// address in `X-Forwarded-For` that is not a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Reads the client's address from the peer and every `X-Forwarded-For` line (`forwarded`,
/// in the order they came: a proxy adds its line after any the client sent, as HAProxy's
/// `option forwardfor` does, or appends to the last one).
///
/// Only a trusted hop's word counts: the addresses are walked from the right, each trusted
/// proxy passing on to the hop before it; the first address that is not a trusted proxy is
/// the client. What a trusted proxy wrote and cannot be read stops the walk at that proxy.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded
        .into_iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => client = addr,
            Ok(addr) => return addr,
            Err(_) => return client,
        }
    }
    client
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        // Every line: reading only the first would take the one a client may have forged.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(client_address(
            peer,
            forwarded,
            &state.config.trusted_proxy,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a trusted proxy's word counts, and only for the hops before it.
    #[test]
    fn client_addresses() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let trusted = [proxy, inner];
        assert_eq!(client_address(client, ["1.2.3.4"], &trusted), client);
        assert_eq!(
            client_address(proxy, ["1.2.3.4, 203.0.113.7"], &trusted),
            client,
            "the right-most hop the proxy saw, not what the client claims"
        );
        assert_eq!(client_address(proxy, ["garbage"], &trusted), proxy);
        assert_eq!(client_address(proxy, [], &trusted), proxy);
        // Two proxies: the outer one saw the client, the inner one the outer proxy.
        assert_eq!(
            client_address(proxy, ["9.9.9.9, 203.0.113.7, 10.0.0.2"], &trusted),
            client
        );
        // Garbage a client wrote to the left of the real address is never reached; garbage
        // where a trusted proxy wrote stops at that proxy.
        assert_eq!(
            client_address(proxy, ["nonsense, 203.0.113.7"], &trusted),
            client
        );
        assert_eq!(
            client_address(proxy, ["203.0.113.7, nonsense"], &trusted),
            proxy
        );
    }

    /// As HAProxy's `option forwardfor` writes it: the client's own (forged) line first, the
    /// proxy's line after it. The client is the proxy's line, not the forged one.
    #[test]
    fn every_header_line_counts() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(
            client_address(proxy, ["6.6.6.6", "203.0.113.7"], &[proxy]),
            client
        );
        assert_eq!(
            client_address(proxy, ["6.6.6.6, 7.7.7.7", "203.0.113.7"], &[proxy]),
            client
        );
    }

    /// A burst of failures, then a wait; accounts and addresses apart.
    #[test]
    fn failures_spend_a_burst() {
        let l = LoginLimits::new(LoginSettings {
            account_burst: 3,
            address_burst: 4,
            argon2_concurrency: 1,
        });
        let (a, b): (IpAddr, IpAddr) = ("1.1.1.1".parse().unwrap(), "2.2.2.2".parse().unwrap());
        l.failed("x@y", a);
        assert!(l.refused("x@y", a).is_none());
        l.failed("x@y", a);
        assert!(l.refused("x@y", a).is_none());
        l.failed("x@y", a);
        let wait = l
            .refused("x@y", b)
            .expect("three failures spend the account");
        assert!(
            wait > Duration::from_secs(30) && wait <= ACCOUNT_PERIOD,
            "{wait:?}"
        );
        assert!(l.refused("other@y", b).is_none());
        l.failed("other@y", a);
        assert!(l.refused("third@y", a).is_some(), "the address is spent");
        assert!(l.refused("third@y", b).is_none());
    }
}
