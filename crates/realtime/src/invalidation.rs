//! When to refetch a query: the scheduler behind the query store. Pure: time comes in as
//! `now`, commands come out.
//!
//! - A query on screen (it has observers) refetches when invalidated; one off screen is only
//!   marked stale and refetches when next shown.
//! - Invalidations of one key within [`QueryConfig::window_ms`] coalesce into one refetch, so
//!   a burst of a thousand events costs one request. A refetch already in flight is followed
//!   by at most one more.
//! - An event the data already reflects does not refetch: by `version` (the data holds that
//!   version or newer of the entity) or by event id (the fetch started after the event
//!   arrived).
//! - A failed fetch of a key on screen is tried again with backoff (1 s, 2 s, 4 s: three
//!   more tries, as TanStack Query does); after that it counts as failed until something
//!   asks for it again (an invalidation, a mount, "Try again").

use std::collections::HashMap;

use ppt_protocol::QueryKey;

/// Scheduler settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryConfig {
    pub window_ms: u64,
    /// Tries after a failed fetch before it counts as failed.
    pub retries: u32,
    /// The first retry's delay; each next one doubles, up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            window_ms: 200,
            retries: 3,
            retry_base_ms: 1_000,
            retry_max_ms: 30_000,
        }
    }
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryCommand {
    /// Fetch this key; `foreign`: someone else's change caused it (show "Data updated").
    Fetch { key: QueryKey, foreign: bool },
    /// Call [`Scheduler::tick`] at this time.
    WakeAt(u64),
}

/// One invalidation, as an `entity:*` event describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalidation {
    /// Invalidates this key and every key it prefixes.
    pub key: QueryKey,
    /// The event's log id, if the server sent one.
    pub event_id: Option<u64>,
    /// The entity and the version the event brings, if known.
    pub entity: Option<(String, u64)>,
    /// Caused by someone else (not a request of this tab).
    pub foreign: bool,
}

impl Invalidation {
    /// My own change to `key` (no event behind it): refetch, no "Data updated".
    pub fn own(key: QueryKey) -> Self {
        Invalidation {
            key,
            event_id: None,
            entity: None,
            foreign: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeyState {
    observers: u32,
    has_data: bool,
    stale: bool,
    due_at: Option<u64>,
    in_flight: bool,
    queued: bool,
    foreign: bool,
    /// The newest event id received when the current data's fetch started.
    as_of_event: Option<u64>,
    /// The in-flight fetch's `as_of_event`.
    fetching_as_of: Option<u64>,
    versions: HashMap<String, u64>,
    /// Fetches failed in a row.
    failures: u32,
    /// When the data held was fetched.
    fetched_at: Option<u64>,
    /// How long fetched data counts as fresh for a mount (TanStack Query's `staleTime`);
    /// `None`: until an event or a change of mine says otherwise (the live stream keeps it).
    stale_time: Option<u64>,
}

/// Per-key refetch state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scheduler {
    cfg: QueryConfig,
    keys: HashMap<QueryKey, KeyState>,
    /// The newest event id seen on the socket.
    last_event: Option<u64>,
}

impl Scheduler {
    pub fn new(cfg: QueryConfig) -> Self {
        Scheduler {
            cfg,
            ..Default::default()
        }
    }

    /// Notes the newest event id seen (fetches started after it reflect it).
    pub fn saw_event(&mut self, id: u64) {
        self.last_event = Some(self.last_event.map_or(id, |l| l.max(id)));
    }

    /// How long `key`'s data counts as fresh after its fetch, for a mount: past it, the next
    /// component to show it refetches (`None`, the default: only events and my own changes
    /// make it stale).
    pub fn set_stale_time(&mut self, key: &QueryKey, ms: Option<u64>) {
        self.keys.entry(key.clone()).or_default().stale_time = ms;
    }

    /// A component shows `key` at `now`: fetch if there is no data, it is stale, or it is
    /// older than its stale time.
    pub fn mounted(&mut self, key: &QueryKey, now: u64) -> Vec<QueryCommand> {
        let s = self.keys.entry(key.clone()).or_default();
        s.observers += 1;
        let old = match (s.stale_time, s.fetched_at) {
            (Some(ms), Some(at)) => now.saturating_sub(at) >= ms,
            _ => false,
        };
        if (!s.has_data || s.stale || old) && !s.in_flight {
            let foreign = std::mem::take(&mut s.foreign);
            return vec![self.start(key, foreign)];
        }
        Vec::new()
    }

    /// A component stopped showing `key`.
    pub fn unmounted(&mut self, key: &QueryKey) {
        if let Some(s) = self.keys.get_mut(key) {
            s.observers = s.observers.saturating_sub(1);
        }
    }

    /// Marks matching keys for refetch (on screen) or stale (off screen).
    pub fn invalidate(&mut self, inv: &Invalidation, now: u64) -> Vec<QueryCommand> {
        let window = self.cfg.window_ms;
        let mut wake = None;
        for (_, s) in self
            .keys
            .iter_mut()
            .filter(|(k, _)| inv.key.is_prefix_of(k))
        {
            let reflected_by_id =
                matches!((inv.event_id, s.as_of_event), (Some(e), Some(a)) if e <= a);
            let reflected_by_version = matches!(&inv.entity, Some((id, v)) if s.versions.get(id).is_some_and(|held| held >= v));
            if s.has_data && (reflected_by_id || reflected_by_version) {
                continue;
            }
            s.foreign |= inv.foreign;
            if s.observers == 0 {
                s.stale = true;
                continue;
            }
            let due = *s.due_at.get_or_insert(now + window);
            wake = Some(wake.map_or(due, |w: u64| w.min(due)));
        }
        wake.map(QueryCommand::WakeAt).into_iter().collect()
    }

    /// The data of `key` was written in place (a live message raised the unread total). A
    /// fetch on its way predates the write and would undo it when it lands, so another
    /// follows it; without a fetch on its way the write stands.
    pub fn written(&mut self, key: &QueryKey) {
        if let Some(s) = self.keys.get_mut(key) {
            if s.in_flight {
                s.queued = true;
            }
        }
    }

    /// Invalidates every key (after a reset of the event log).
    pub fn invalidate_all(&mut self, now: u64) -> Vec<QueryCommand> {
        let inv = Invalidation {
            key: QueryKey(Vec::new()),
            event_id: None,
            entity: None,
            foreign: false,
        };
        self.invalidate(&inv, now)
    }

    /// The data of `key` was dropped: the next mount fetches it afresh.
    pub fn forget(&mut self, key: &QueryKey) {
        if let Some(s) = self.keys.get_mut(key) {
            s.has_data = false;
            s.as_of_event = None;
            s.versions.clear();
        }
    }

    /// Logout: every key's data was dropped (observers stay counted: they are still mounted).
    pub fn forget_all(&mut self) {
        for s in self.keys.values_mut() {
            s.has_data = false;
            s.stale = false;
            s.due_at = None;
            s.queued = false;
            s.foreign = false;
            s.as_of_event = None;
            s.versions.clear();
        }
        self.last_event = None;
    }

    /// Starts the refetches that are due.
    pub fn tick(&mut self, now: u64) -> Vec<QueryCommand> {
        let due: Vec<QueryKey> = self
            .keys
            .iter()
            .filter(|(_, s)| s.due_at.is_some_and(|d| d <= now))
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::new();
        for key in due {
            let s = self.keys.get_mut(&key).expect("present");
            s.due_at = None;
            if s.in_flight {
                s.queued = true;
            } else {
                let foreign = std::mem::take(&mut s.foreign);
                out.push(self.start(&key, foreign));
            }
        }
        if let Some(next) = self.keys.values().filter_map(|s| s.due_at).min() {
            out.push(QueryCommand::WakeAt(next));
        }
        out
    }

    /// A fetch finished at `now` with data holding these entity versions.
    pub fn fetched(
        &mut self,
        key: &QueryKey,
        versions: Vec<(String, u64)>,
        now: u64,
    ) -> Vec<QueryCommand> {
        let Some(s) = self.keys.get_mut(key) else {
            return Vec::new();
        };
        s.fetched_at = Some(now);
        s.in_flight = false;
        s.has_data = true;
        s.failures = 0;
        s.as_of_event = s.fetching_as_of.take();
        s.versions = versions.into_iter().collect();
        self.follow_up(key)
    }

    /// A fetch failed at `now`; the old data (if any) stays. A key on screen is tried again
    /// after a backoff, [`QueryConfig::retries`] times; then it counts as failed
    /// ([`Scheduler::gave_up`]) until it is asked for again.
    pub fn failed(&mut self, key: &QueryKey, now: u64) -> Vec<QueryCommand> {
        let cfg = self.cfg;
        let Some(s) = self.keys.get_mut(key) else {
            return Vec::new();
        };
        s.in_flight = false;
        s.fetching_as_of = None;
        s.failures = s.failures.saturating_add(1);
        if s.queued {
            return self.follow_up(key);
        }
        if s.observers == 0 || s.failures > cfg.retries {
            return Vec::new();
        }
        let delay = cfg
            .retry_base_ms
            .saturating_mul(1 << (s.failures - 1).min(20))
            .min(cfg.retry_max_ms);
        let due = *s.due_at.get_or_insert(now + delay);
        vec![QueryCommand::WakeAt(due)]
    }

    /// Whether `key`'s fetches failed more often than it retries (shown as failed).
    pub fn gave_up(&self, key: &QueryKey) -> bool {
        self.keys
            .get(key)
            .is_some_and(|s| s.failures > self.cfg.retries)
    }

    /// Whether a fetch of `key` is under way.
    pub fn in_flight(&self, key: &QueryKey) -> bool {
        self.keys.get(key).is_some_and(|s| s.in_flight)
    }

    /// Whether `key` is marked stale.
    pub fn is_stale(&self, key: &QueryKey) -> bool {
        self.keys.get(key).is_some_and(|s| s.stale)
    }

    fn follow_up(&mut self, key: &QueryKey) -> Vec<QueryCommand> {
        let s = self.keys.get_mut(key).expect("present");
        if std::mem::take(&mut s.queued) {
            let foreign = std::mem::take(&mut s.foreign);
            return vec![self.start(key, foreign)];
        }
        Vec::new()
    }

    fn start(&mut self, key: &QueryKey, foreign: bool) -> QueryCommand {
        let last = self.last_event;
        let s = self.keys.get_mut(key).expect("present");
        s.in_flight = true;
        // What the fetch brings reflects everything before now; an invalidation while it
        // is on its way (and nobody shows the key) marks it stale again.
        s.stale = false;
        s.fetching_as_of = last;
        QueryCommand::Fetch {
            key: key.clone(),
            foreign,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(parts: &[&str]) -> QueryKey {
        QueryKey::new(parts.iter().copied())
    }

    fn inv(key: &[&str], event_id: Option<u64>) -> Invalidation {
        Invalidation {
            key: k(key),
            event_id,
            entity: None,
            foreign: true,
        }
    }

    fn fetches(cmds: &[QueryCommand]) -> usize {
        cmds.iter()
            .filter(|c| matches!(c, QueryCommand::Fetch { .. }))
            .count()
    }

    /// A scheduler with `faults` on screen and loaded.
    fn loaded() -> Scheduler {
        let mut s = Scheduler::new(QueryConfig::default());
        assert_eq!(fetches(&s.mounted(&k(&["faults"]), 0)), 1);
        s.fetched(&k(&["faults"]), vec![("1".into(), 1)], 0);
        s
    }

    /// A prefetch (shown and hidden at once, as the app does for the page it boots on): its
    /// data counts when the page mounts, unless a change came while it was on its way.
    #[test]
    fn prefetch_is_shared_and_a_change_during_it_is_kept() {
        let key = k(&["faults"]);
        let mut s = Scheduler::new(QueryConfig::default());
        assert_eq!(fetches(&s.mounted(&key, 0)), 1);
        s.unmounted(&key);
        // The page mounts while the prefetch is in flight: no second request.
        assert_eq!(fetches(&s.mounted(&key, 0)), 0);
        s.fetched(&key, vec![], 0);
        assert!(!s.is_stale(&key));
        s.unmounted(&key);

        // Prefetched again (stale), and a change arrives before the response.
        s.invalidate(&inv(&["faults"], Some(5)), 0);
        assert_eq!(fetches(&s.mounted(&key, 0)), 1);
        s.unmounted(&key);
        s.saw_event(6);
        s.invalidate(&inv(&["faults"], Some(6)), 10);
        s.fetched(&key, vec![], 0);
        assert!(s.is_stale(&key), "the change came after the fetch started");
        assert_eq!(fetches(&s.mounted(&key, 0)), 1);
    }

    /// A write in place while a fetch is on its way: another fetch follows the first (whose
    /// answer predates the write); a write with nothing on its way fetches nothing.
    #[test]
    fn a_write_during_a_fetch_fetches_again() {
        let mut s = Scheduler::new(QueryConfig::default());
        let key = k(&["messages", "unread-count"]);
        assert_eq!(fetches(&s.mounted(&key, 0)), 1);
        s.written(&key);
        assert_eq!(
            fetches(&s.fetched(&key, vec![], 0)),
            1,
            "the answer predates the write"
        );
        assert!(s.fetched(&key, vec![], 0).is_empty());
        s.written(&key);
        assert!(!s.in_flight(&key), "nothing on its way: the write stands");
    }

    /// First show fetches; showing again with fresh data does not.
    #[test]
    fn mount_fetches_only_when_needed() {
        let mut s = loaded();
        assert!(s.mounted(&k(&["faults"]), 0).is_empty());
        s.unmounted(&k(&["faults"]));
        s.unmounted(&k(&["faults"]));
        assert!(
            s.mounted(&k(&["faults"]), 0).is_empty(),
            "fresh data is shown as is"
        );
    }

    /// A prefix invalidates every key under it and nothing else.
    #[test]
    fn prefix_invalidation() {
        let mut s = loaded();
        s.mounted(&k(&["faults", "42"]), 0);
        s.fetched(&k(&["faults", "42"]), vec![], 0);
        s.mounted(&k(&["votes"]), 0);
        s.fetched(&k(&["votes"]), vec![], 0);
        s.invalidate(&inv(&["faults"], None), 0);
        let started: Vec<_> = s
            .tick(200)
            .into_iter()
            .filter_map(|c| match c {
                QueryCommand::Fetch { key, .. } => Some(key),
                _ => None,
            })
            .collect();
        assert_eq!(started.len(), 2);
        assert!(started.contains(&k(&["faults"])) && started.contains(&k(&["faults", "42"])));
    }

    /// A burst of 1,000 events within the window gives one refetch per key.
    #[test]
    fn a_burst_coalesces_into_one_refetch() {
        let mut s = loaded();
        let mut wakes = Vec::new();
        for i in 0..1_000u64 {
            wakes.extend(s.invalidate(&inv(&["faults"], None), i / 10));
        }
        assert!(wakes.iter().all(|w| *w == QueryCommand::WakeAt(200)));
        assert_eq!(fetches(&s.tick(199)), 0);
        assert_eq!(fetches(&s.tick(200)), 1);
        assert_eq!(fetches(&s.tick(400)), 0, "nothing left to do");
    }

    /// Events during a fetch give exactly one follow-up fetch, however many there are.
    #[test]
    fn in_flight_is_followed_by_at_most_one_more() {
        let mut s = loaded();
        s.invalidate(&inv(&["faults"], None), 0);
        assert_eq!(fetches(&s.tick(200)), 1);
        for t in 201..700 {
            s.invalidate(&inv(&["faults"], None), t);
            assert_eq!(fetches(&s.tick(t)), 0, "one fetch at a time");
        }
        assert_eq!(
            fetches(&s.fetched(&k(&["faults"]), vec![], 0)),
            1,
            "one follow-up"
        );
        assert_eq!(
            fetches(&s.fetched(&k(&["faults"]), vec![], 0)),
            0,
            "and no more"
        );
    }

    /// Off screen: marked stale, fetched when shown again.
    #[test]
    fn off_screen_queries_go_stale() {
        let mut s = loaded();
        s.unmounted(&k(&["faults"]));
        assert!(s.invalidate(&inv(&["faults"], None), 0).is_empty());
        assert!(s.is_stale(&k(&["faults"])));
        assert_eq!(fetches(&s.tick(1_000)), 0);
        let cmds = s.mounted(&k(&["faults"]), 0);
        assert_eq!(
            cmds,
            vec![QueryCommand::Fetch {
                key: k(&["faults"]),
                foreign: true
            }]
        );
    }

    /// An event the data already reflects, by version or by event id, does not refetch.
    #[test]
    fn stale_events_do_not_refetch() {
        let mut s = Scheduler::new(QueryConfig::default());
        s.saw_event(50);
        s.mounted(&k(&["faults"]), 0);
        s.fetched(&k(&["faults"]), vec![("7".into(), 3)], 0);
        let older = Invalidation {
            key: k(&["faults"]),
            event_id: None,
            entity: Some(("7".into(), 2)),
            foreign: true,
        };
        assert!(s.invalidate(&older, 0).is_empty());
        let same = Invalidation {
            entity: Some(("7".into(), 3)),
            ..older.clone()
        };
        assert!(s.invalidate(&same, 0).is_empty());
        assert!(
            s.invalidate(&inv(&["faults"], Some(49)), 0).is_empty(),
            "the fetch started after event 49"
        );
        let newer = Invalidation {
            entity: Some(("7".into(), 4)),
            ..older
        };
        assert_eq!(s.invalidate(&newer, 0), vec![QueryCommand::WakeAt(200)]);
        let fresh = inv(&["faults"], Some(51));
        assert_eq!(s.invalidate(&fresh, 0), vec![QueryCommand::WakeAt(200)]);
    }

    /// Whether the refetch is someone else's doing is carried through coalescing.
    #[test]
    fn foreign_flag_survives_coalescing() {
        let mut s = loaded();
        s.invalidate(
            &Invalidation {
                foreign: false,
                ..inv(&["faults"], None)
            },
            0,
        );
        s.invalidate(&inv(&["faults"], None), 10);
        assert_eq!(
            s.tick(200),
            vec![QueryCommand::Fetch {
                key: k(&["faults"]),
                foreign: true
            }]
        );
        s.fetched(&k(&["faults"]), vec![], 0);
        s.invalidate(
            &Invalidation {
                foreign: false,
                ..inv(&["faults"], None)
            },
            300,
        );
        assert_eq!(
            s.tick(500),
            vec![QueryCommand::Fetch {
                key: k(&["faults"]),
                foreign: false
            }]
        );
    }

    /// A reset invalidates everything; a failed fetch keeps the data and allows the next one.
    #[test]
    fn reset_and_failure() {
        // (See also `forgotten_data_is_fetched_again`.)
        let mut s = loaded();
        s.mounted(&k(&["votes"]), 0);
        s.fetched(&k(&["votes"]), vec![], 0);
        s.invalidate_all(0);
        assert_eq!(fetches(&s.tick(200)), 2);
        assert_eq!(s.failed(&k(&["votes"]), 300), [QueryCommand::WakeAt(1_300)]);
        assert!(!s.in_flight(&k(&["votes"])));
    }

    /// A failed fetch on screen is tried again after 1 s, 2 s and 4 s; then it counts as
    /// failed and waits to be asked again; a success starts the count anew. Off screen it is
    /// not retried.
    #[test]
    fn failures_are_retried_with_backoff_then_given_up() {
        let mut s = loaded();
        let key = k(&["faults"]);
        s.invalidate(&inv(&["faults"], None), 0);
        assert_eq!(fetches(&s.tick(200)), 1);
        let mut now = 250;
        for delay in [1_000, 2_000, 4_000] {
            assert_eq!(s.failed(&key, now), [QueryCommand::WakeAt(now + delay)]);
            assert!(!s.gave_up(&key));
            assert_eq!(fetches(&s.tick(now + delay - 1)), 0, "not before its time");
            assert_eq!(fetches(&s.tick(now + delay)), 1);
            now += delay + 50;
        }
        assert!(s.failed(&key, now).is_empty(), "given up");
        assert!(s.gave_up(&key));
        // Asked again (an invalidation): it fetches, and a success resets the count.
        s.invalidate(&inv(&["faults"], None), now);
        assert_eq!(fetches(&s.tick(now + 200)), 1);
        s.fetched(&key, Vec::new(), 0);
        assert!(!s.gave_up(&key));
        // Off screen: no retry.
        s.unmounted(&key);
        s.invalidate(&inv(&["faults"], None), now);
        assert_eq!(fetches(&s.mounted(&key, 0)), 1);
        s.unmounted(&key);
        assert!(s.failed(&key, now).is_empty());
    }

    /// Dropped data (one key, or all at logout) is fetched again on the next mount.
    #[test]
    fn forgotten_data_is_fetched_again() {
        let mut s = Scheduler::new(QueryConfig::default());
        let key = QueryKey::new(["faults"]);
        assert!(matches!(
            s.mounted(&key, 0)[..],
            [QueryCommand::Fetch { .. }]
        ));
        s.fetched(&key, Vec::new(), 0);
        s.unmounted(&key);
        assert!(s.mounted(&key, 0).is_empty(), "fresh data: no fetch");
        s.unmounted(&key);
        s.forget(&key);
        assert!(matches!(
            s.mounted(&key, 0)[..],
            [QueryCommand::Fetch { .. }]
        ));
        s.fetched(&key, Vec::new(), 0);
        s.unmounted(&key);
        s.forget_all();
        assert!(matches!(
            s.mounted(&key, 0)[..],
            [QueryCommand::Fetch { .. }]
        ));
    }

    /// `staleTime`: data younger than it is shown as it is to a new component; older, the
    /// mount refetches it; without one (the default) only invalidations make it stale.
    #[test]
    fn stale_time_decides_whether_a_mount_refetches() {
        let mut s = Scheduler::default();
        let key = k(&["votes"]);
        s.set_stale_time(&key, Some(30_000));
        assert_eq!(fetches(&s.mounted(&key, 1_000)), 1);
        s.fetched(&key, vec![], 2_000);
        s.unmounted(&key);
        assert!(s.mounted(&key, 31_999).is_empty(), "29.999 s old: fresh");
        s.unmounted(&key);
        assert_eq!(fetches(&s.mounted(&key, 32_000)), 1, "30 s old: stale");
        s.fetched(&key, vec![], 32_500);
        s.unmounted(&key);
        assert!(
            s.mounted(&key, 40_000).is_empty(),
            "fresh again after the refetch"
        );

        let live = k(&["faults"]);
        s.mounted(&live, 0);
        s.fetched(&live, vec![], 0);
        s.unmounted(&live);
        assert!(
            s.mounted(&live, 10_000_000).is_empty(),
            "no stale time: old data is not refetched on a mount"
        );
    }
}
