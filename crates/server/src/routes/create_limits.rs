//! Limits on creates, per user and kind (docs/protocol.md, "Limits"): a resident cannot flood a
//! building with messages, faults or ballots, each of which notifies others.
//!
//! Each kind has its own limit, `N/period` (GCRA, `governor`, keyed by user): `N` at once,
//! then one more every `period / N`. A create past it is answered 429 `rate_limited` with
//! `Retry-After`, before anything is written, and creates nothing; the app's outbox waits the
//! time out and sends it then. The limits are per server: behind a load balancer that spreads
//! one user's requests over `k` servers, a user gets at most `k` times as many.
//!
//! `--create-limit` changes them, comma-separated: `messages=60/min`, `faults=1/10s`, `faults=off`, `off`
//! (every kind unlimited), `all=100/h`; kinds not named keep [`DEFAULTS`].

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ppt_protocol::resources::{Creates, ResourceInfo, RESOURCES};

use crate::error::AppError;

/// What a create makes, each limited on its own: a resource that creates
/// ([`ppt_protocol::resources`]: `messages`, `faults`, ...), or a ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreateKind(&'static str);

impl CreateKind {
    /// A ballot cast in a vote (`POST /votes/{id}/ballots`).
    pub const BALLOTS: CreateKind = CreateKind("ballots");

    /// Creates of a resource's items.
    pub const fn of(resource: &'static ResourceInfo) -> CreateKind {
        CreateKind(resource.name)
    }

    /// Every kind: each resource that creates, and ballots.
    pub fn all() -> Vec<CreateKind> {
        RESOURCES
            .iter()
            .filter(|r| r.creates != Creates::Nothing)
            .map(|r| CreateKind::of(r))
            .chain([CreateKind::BALLOTS])
            .collect()
    }

    /// Its name in `--create-limit` and in the 429's message.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// The limits when `--create-limit` names none: generous for a person, tight for a script.
/// A kind not named (a new resource's) has the first, `all`.
pub const DEFAULTS: &str =
    "all=10/min,messages=30/min,faults=10/min,announcements=10/min,votes=10/min,ballots=30/min";

/// A rate: `count` creates per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

/// One entry of `--create-limit`: a kind (or every kind) and its rate (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateLimit {
    pub kind: Option<CreateKind>,
    pub rate: Option<Rate>,
}

impl FromStr for CreateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (kind, rate) = s.split_once('=').unwrap_or(("all", s));
        let kind = match kind.trim() {
            "all" => None,
            k => Some(
                CreateKind::all()
                    .into_iter()
                    .find(|c| c.name() == k)
                    .ok_or_else(|| {
                        format!(
                            "unknown kind {k:?} in {s:?}: one of all, {}",
                            CreateKind::all()
                                .into_iter()
                                .map(CreateKind::name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
            ),
        };
        let rate = rate.trim();
        if rate == "off" {
            return Ok(CreateLimit { kind, rate: None });
        }
        let bad = || {
            format!("{s:?}: expected KIND=N/PERIOD (PERIOD s, min or h, maybe with a number: 10s), or KIND=off")
        };
        let (count, period) = rate.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let digits = period.len()
            - period
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let (times, unit) = period.split_at(digits);
        let times: u64 = if times.is_empty() {
            1
        } else {
            times.parse().map_err(|_| bad())?
        };
        let unit = match unit.trim() {
            "s" | "sec" => 1,
            "m" | "min" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        if times == 0 {
            return Err(bad());
        }
        let period = Duration::from_secs(times.saturating_mul(unit));
        if count == 0 {
            return Err(format!(
                "{s:?}: a limit of 0 refuses everything; say off for none"
            ));
        }
        Ok(CreateLimit {
            kind,
            rate: Some(Rate { count, period }),
        })
    }
}

/// Every kind's rate: [`DEFAULTS`], then `given` in order (a later entry wins).
pub fn resolve(given: &[CreateLimit]) -> HashMap<CreateKind, Option<Rate>> {
    let defaults = DEFAULTS
        .split(',')
        .map(|d| d.parse::<CreateLimit>().expect("the defaults parse"));
    let mut rates = HashMap::new();
    for limit in defaults.chain(given.iter().copied()) {
        match limit.kind {
            Some(kind) => {
                rates.insert(kind, limit.rate);
            }
            None => {
                for kind in CreateKind::all() {
                    rates.insert(kind, limit.rate);
                }
            }
        }
    }
    rates
}

/// The limiters, one per limited kind, keyed by user.
pub struct CreateLimits {
    limiters: HashMap<CreateKind, DefaultKeyedRateLimiter<i64>>,
    clock: DefaultClock,
}

impl CreateLimits {
    pub fn new(given: &[CreateLimit]) -> Self {
        let limiters = resolve(given)
            .into_iter()
            .filter_map(|(kind, rate)| {
                let rate = rate?;
                let count = NonZeroU32::new(rate.count)?;
                let quota = Quota::with_period(rate.period / rate.count)?.allow_burst(count);
                Some((kind, RateLimiter::keyed(quota)))
            })
            .collect();
        CreateLimits {
            limiters,
            clock: DefaultClock::default(),
        }
    }

    /// Counts a create of `kind` by `user`, or refuses it: 429 with when there is room again.
    pub fn check(&self, kind: CreateKind, user: i64) -> Result<(), AppError> {
        let Some(limiter) = self.limiters.get(&kind) else {
            return Ok(());
        };
        limiter.check_key(&user).map_err(|not_until| {
            AppError::Limited(kind.name(), not_until.wait_time_from(self.clock.now()))
        })?;
        // Users who went quiet are forgotten now and then (their state is back to full).
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppt_protocol::resources;

    const MESSAGES: CreateKind = CreateKind::of(&resources::MESSAGES.info);
    const FAULTS_K: CreateKind = CreateKind::of(&resources::FAULTS.info);
    const VOTES_K: CreateKind = CreateKind::of(&resources::VOTES.info);

    fn parse(s: &str) -> Result<CreateLimit, String> {
        s.parse()
    }

    /// The flag's forms, and clear errors for the rest.
    #[test]
    fn limits_are_read_as_written() {
        assert_eq!(
            parse("messages=60/min").unwrap(),
            CreateLimit {
                kind: Some(MESSAGES),
                rate: Some(Rate {
                    count: 60,
                    period: Duration::from_secs(60)
                })
            }
        );
        assert_eq!(
            parse("off").unwrap(),
            CreateLimit {
                kind: None,
                rate: None
            }
        );
        assert_eq!(parse("faults=off").unwrap().rate, None);
        assert_eq!(
            parse("all=5/h").unwrap().rate.unwrap().period,
            Duration::from_secs(3600)
        );
        assert!(parse("parcels=1/min").unwrap_err().contains("unknown kind"));
        assert!(parse("messages=lots")
            .unwrap_err()
            .contains("KIND=N/PERIOD"));
        assert!(parse("messages=3/week").is_err());
        assert_eq!(
            parse("faults=1/10s").unwrap().rate.unwrap(),
            Rate {
                count: 1,
                period: Duration::from_secs(10)
            }
        );
        assert!(parse("faults=1/0s").is_err());
        assert!(parse("messages=0/min").unwrap_err().contains("off"));
    }

    /// Defaults for every kind; a later entry wins; `off` lifts every limit.
    #[test]
    fn given_limits_override_the_defaults() {
        let all = resolve(&[]);
        assert!(CreateKind::all().iter().all(|k| all[k].is_some()));
        let some = resolve(&[parse("messages=2/s").unwrap()]);
        assert_eq!(some[&MESSAGES].unwrap().count, 2);
        assert_eq!(some[&FAULTS_K], all[&FAULTS_K]);
        let none = resolve(&[parse("off").unwrap()]);
        assert!(CreateKind::all().iter().all(|k| none[k].is_none()));
        let one = resolve(&[parse("off").unwrap(), parse("faults=1/min").unwrap()]);
        assert!(one[&FAULTS_K].is_some() && one[&VOTES_K].is_none());
    }

    /// `N` at once per user and kind, then refused with a wait; others are not affected.
    #[test]
    fn a_burst_then_refused() {
        let limits = CreateLimits::new(&[parse("messages=3/min").unwrap()]);
        for _ in 0..3 {
            limits.check(MESSAGES, 1).unwrap();
        }
        match limits.check(MESSAGES, 1) {
            Err(AppError::Limited("messages", wait)) => {
                assert!(
                    wait > Duration::ZERO && wait <= Duration::from_secs(20),
                    "{wait:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        limits.check(MESSAGES, 2).unwrap();
        limits.check(FAULTS_K, 1).unwrap();
        let unlimited = CreateLimits::new(&[parse("off").unwrap()]);
        for _ in 0..1000 {
            unlimited.check(MESSAGES, 1).unwrap();
        }
    }
}
