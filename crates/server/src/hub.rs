//! The hub: which sockets are open on this server for which users, and fan-out of the log's
//! events to them, in id order, by this server's log follower (`storage::follower`).
//!
//! Fan-out never waits: each socket has a bounded queue, and a socket whose queue is full
//! is dropped from the hub (its session then closes it with 1013 and the client catches up
//! through `/events/missed`). One slow reader never holds up the others.
//!
//! The hub knows how far it has delivered the log (`delivered`): a socket that joins gets
//! every event after that point and none before it, which makes it the socket's exact
//! hand-over point (`connection:authenticated.lastEventId`).
//!
//! It also keeps the newest events it delivered ([`RECENT`] of them), so that clients
//! catching up from a recent cursor, the common case after a drop, are answered from memory
//! instead of the database (`routes/events.rs`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::ws::Utf8Bytes;
use ppt_protocol::envelope::with_prev_id;
use ppt_protocol::Envelope;
use tokio::sync::{mpsc, watch};

use crate::eventlog::{Audience, Committed};

/// How many of the newest delivered events the hub keeps for catch-up.
pub const RECENT: usize = 10_000;

/// A frame as queued for sockets: one text shared by every socket it goes to (8 bytes a slot;
/// handing it to the socket is a reference-count increment, not a copy).
pub type Frame = Arc<Utf8Bytes>;

/// The user already holds the most sockets allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany;

/// Why the hub let go of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its queue was full, or this server missed events it should have delivered.
    Lagged,
    /// Its login session ended (logout, a refresh token used twice, an administrator).
    SessionEnded,
}

/// What a session holds: its queue and the way to learn why the hub dropped it.
pub struct Subscription {
    pub id: u64,
    pub rx: mpsc::Receiver<Frame>,
    dropped: Arc<Mutex<Option<Dropped>>>,
}

impl Subscription {
    /// Why the hub dropped this socket, once `rx` has ended.
    pub fn dropped_reason(&self) -> Option<Dropped> {
        *self.dropped.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Entry {
    user_id: i64,
    building_id: i64,
    /// The login session whose token authenticated the socket.
    session: Option<Arc<str>>,
    tx: mpsc::Sender<Frame>,
    dropped: Arc<Mutex<Option<Dropped>>>,
}

#[derive(Default)]
struct Inner {
    sockets: HashMap<u64, Entry>,
    by_user: HashMap<i64, HashSet<u64>>,
    by_building: HashMap<i64, HashSet<u64>>,
    by_session: HashMap<Arc<str>, HashSet<u64>>,
    /// For each connected user, the id of the last event sent to them (`prevId` of the next).
    last_sent: HashMap<i64, u64>,
    /// The newest log id handed to the sockets.
    delivered: u64,
}

/// Open sockets, indexed by user and building.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    next_id: Arc<AtomicU64>,
    delivered: Arc<watch::Sender<u64>>,
    /// The newest events delivered, in id order (beside `inner`, so that catching up clients
    /// do not hold up fan-out).
    recent: Arc<RwLock<VecDeque<Arc<Committed>>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            inner: Arc::default(),
            next_id: Arc::default(),
            delivered: Arc::new(watch::Sender::new(0)),
            recent: Arc::default(),
        }
    }
}

/// A page of catch-up answered from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentPage {
    pub events: Vec<Envelope>,
    pub has_more: bool,
    /// The newest id the page covers: every event up to it that the user may see is in this
    /// page or, with `has_more`, in the next ones.
    pub latest: u64,
}

impl Hub {
    /// Registers a socket for a user; every event delivered from now on reaches it. Returns
    /// the subscription and the newest id delivered before it joined (the hand-over point).
    /// `last_visible` is the newest event in the log this user may see (used when the user
    /// has no other socket open).
    #[cfg(test)]
    pub fn join(
        &self,
        user_id: i64,
        building_id: i64,
        queue: usize,
        last_visible: u64,
    ) -> (Subscription, u64) {
        self.join_at_most(user_id, building_id, queue, last_visible, usize::MAX)
            .unwrap_or_else(|TooMany| unreachable!("no limit"))
    }

    /// Registers a socket for a user, unless the user already holds `max_per_user` sockets
    /// here; every event delivered from now on reaches it. Returns the subscription and the
    /// newest id delivered before it joined (the hand-over point). `last_visible` is the
    /// newest event in the log this user may see (used when the user has no other socket open).
    pub fn join_at_most(
        &self,
        user_id: i64,
        building_id: i64,
        queue: usize,
        last_visible: u64,
        max_per_user: usize,
    ) -> Result<(Subscription, u64), TooMany> {
        let mut inner = self.lock();
        if inner.by_user.get(&user_id).map_or(0, HashSet::len) >= max_per_user {
            return Err(TooMany);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(queue.max(1));
        let dropped = Arc::new(Mutex::new(None));
        inner.sockets.insert(
            id,
            Entry {
                user_id,
                building_id,
                session: None,
                tx,
                dropped: dropped.clone(),
            },
        );
        inner.by_user.entry(user_id).or_default().insert(id);
        inner.last_sent.entry(user_id).or_insert(last_visible);
        inner.by_building.entry(building_id).or_default().insert(id);
        Ok((Subscription { id, rx, dropped }, inner.delivered))
    }

    /// Starts the delivered mark at `head` (the log's head when the server starts), with the
    /// newest events up to it (in id order) for catch-up.
    pub fn start_at(&self, head: u64, newest: Vec<Committed>) {
        let mut inner = self.lock();
        inner.delivered = inner.delivered.max(head);
        self.remember(newest);
        self.delivered.send_replace(inner.delivered);
    }

    fn remember(&self, events: Vec<Committed>) {
        let mut recent = self.recent.write().unwrap_or_else(|e| e.into_inner());
        recent.extend(events.into_iter().map(Arc::new));
        let excess = recent.len().saturating_sub(RECENT);
        recent.drain(..excess);
    }

    /// Whether the hub holds every event after `after` that it delivered (none of them
    /// forgotten, and `after` not beyond them).
    pub fn keeps_after(&self, after: u64) -> bool {
        let recent = self.recent.read().unwrap_or_else(|e| e.into_inner());
        match (recent.front(), recent.back()) {
            (Some(first), Some(last)) => after.saturating_add(1) >= first.id && after <= last.id,
            _ => false,
        }
    }

    /// The events after `after` that a user may see, from memory, if the hub still holds
    /// every event after `after` (`None`: the cursor is older than what it keeps, or newer
    /// than what it delivered).
    pub fn recent_page(
        &self,
        after: u64,
        limit: usize,
        user: i64,
        building: i64,
    ) -> Option<RecentPage> {
        let recent = self.recent.read().unwrap_or_else(|e| e.into_inner());
        let (first, last) = (recent.front()?.id, recent.back()?.id);
        if after.saturating_add(1) < first || after > last {
            return None;
        }
        let start = recent.partition_point(|e| e.id <= after);
        let mut events = Vec::new();
        let mut has_more = false;
        for e in recent.range(start..) {
            if e.visible_to(user, building) {
                if events.len() == limit {
                    has_more = true;
                    break;
                }
                events.push(e.envelope.clone());
            }
        }
        Some(RecentPage {
            events,
            has_more,
            latest: last,
        })
    }

    /// The newest log id handed to the sockets.
    pub fn delivered(&self) -> u64 {
        *self.delivered.borrow()
    }

    /// Waits until the hub has delivered `id` (false if `patience` ran out first).
    pub async fn wait_delivered(&self, id: u64, patience: std::time::Duration) -> bool {
        let mut rx = self.delivered.subscribe();
        let reached = tokio::time::timeout(patience, rx.wait_for(|d| *d >= id))
            .await
            .is_ok_and(|r| r.is_ok());
        reached
    }

    /// Hands committed events, in id order, to the sockets of their audiences, keeps them for
    /// catch-up, and moves the delivered mark past them: one lock for the whole batch.
    pub fn deliver(&self, events: Vec<Committed>) {
        let Some(last) = events.last().map(|e| e.id) else {
            return;
        };
        let mut inner = self.lock();
        for e in &events {
            publish(&mut inner, &e.audience, e.chain_id(), &e.frame);
        }
        // Kept before the mark moves: whoever waits for the mark finds them.
        self.remember(events);
        inner.delivered = inner.delivered.max(last);
        self.delivered.send_replace(inner.delivered);
    }

    /// Drops every socket as lagged (their clients reconnect and catch up): this server
    /// missed events it should have delivered.
    pub fn drop_all(&self) {
        let mut inner = self.lock();
        // What it keeps for catch-up has the same hole: nobody is answered from it.
        self.recent
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let all: Vec<u64> = inner.sockets.keys().copied().collect();
        for sid in all {
            if let Some(entry) = inner.sockets.get(&sid) {
                *entry.dropped.lock().unwrap_or_else(|e| e.into_inner()) = Some(Dropped::Lagged);
            }
            remove(&mut inner, sid);
        }
    }

    /// Records which login session a socket belongs to (again after it re-authenticates).
    pub fn set_session(&self, socket_id: u64, session: &str) {
        let mut inner = self.lock();
        let Some(entry) = inner.sockets.get_mut(&socket_id) else {
            return;
        };
        let old = entry.session.replace(Arc::from(session));
        if let Some(old) = old {
            unindex_session(&mut inner, &old, socket_id);
        }
        inner
            .by_session
            .entry(Arc::from(session))
            .or_default()
            .insert(socket_id);
    }

    /// Drops the sockets of these login sessions (their sessions close them with 4401);
    /// how many.
    pub fn end_sessions(&self, sessions: &[String]) -> usize {
        let mut inner = self.lock();
        let mut ended = 0;
        for session in sessions {
            let Some(ids) = inner.by_session.get(session.as_str()).cloned() else {
                continue;
            };
            for id in ids {
                if let Some(entry) = inner.sockets.get(&id) {
                    *entry.dropped.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Dropped::SessionEnded);
                }
                remove(&mut inner, id);
                ended += 1;
            }
        }
        ended
    }

    /// Unregisters a socket (idempotent).
    pub fn leave(&self, socket_id: u64) {
        let mut inner = self.lock();
        remove(&mut inner, socket_id);
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        self.lock().sockets.len()
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues an event for every socket in the audience. `frame` is the event's JSON; each
    /// user's copy gets `"prevId"` (the previous event sent to that user) spliced in, when
    /// the event has an `id`. (The server delivers through [`Hub::deliver`].)
    #[cfg(test)]
    fn publish(&self, audience: &Audience, id: Option<u64>, frame: &str) {
        publish(&mut self.lock(), audience, id, frame);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn publish(inner: &mut Inner, audience: &Audience, id: Option<u64>, frame: &str) {
    let users: Vec<i64> = match audience {
        Audience::Building(b) => {
            let mut users: Vec<i64> = inner
                .by_building
                .get(b)
                .map(|s| {
                    s.iter()
                        .filter_map(|sid| inner.sockets.get(sid).map(|e| e.user_id))
                        .collect()
                })
                .unwrap_or_default();
            users.sort_unstable();
            users.dedup();
            users
        }
        Audience::Users(users) => users
            .iter()
            .copied()
            .filter(|u| inner.by_user.contains_key(u))
            .collect(),
    };
    let plain: Frame = Arc::new(Utf8Bytes::from(frame.to_owned()));
    let mut lagged = Vec::new();
    for user in users {
        let copy: Frame = match id {
            Some(id) => {
                let prev = inner.last_sent.insert(user, id).unwrap_or(0);
                Arc::new(with_prev_id(frame, prev).into())
            }
            None => plain.clone(),
        };
        let sockets: Vec<u64> = inner
            .by_user
            .get(&user)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for sid in sockets {
            if let Some(entry) = inner.sockets.get(&sid) {
                match entry.tx.try_send(copy.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        *entry.dropped.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(Dropped::Lagged);
                        lagged.push(sid);
                    }
                    // The session has gone; it removes itself.
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
        }
    }
    for sid in lagged {
        tracing::info!(socket = sid, "socket fell behind; dropping it");
        remove(inner, sid);
    }
}

fn remove(inner: &mut Inner, socket_id: u64) {
    if let Some(entry) = inner.sockets.remove(&socket_id) {
        if let Some(set) = inner.by_user.get_mut(&entry.user_id) {
            set.remove(&socket_id);
            if set.is_empty() {
                inner.by_user.remove(&entry.user_id);
                inner.last_sent.remove(&entry.user_id);
            }
        }
        if let Some(set) = inner.by_building.get_mut(&entry.building_id) {
            set.remove(&socket_id);
            if set.is_empty() {
                inner.by_building.remove(&entry.building_id);
            }
        }
        if let Some(session) = entry.session {
            unindex_session(inner, &session, socket_id);
        }
    }
}

fn unindex_session(inner: &mut Inner, session: &str, socket_id: u64) {
    if let Some(set) = inner.by_session.get_mut(session) {
        set.remove(&socket_id);
        if set.is_empty() {
            inner.by_session.remove(session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ending a session drops its sockets and no others, with the reason.
    #[test]
    fn ending_a_session_drops_its_sockets() {
        let hub = Hub::default();
        let (mut a, _) = hub.join(1, 10, 8, 0);
        let (mut b, _) = hub.join(1, 10, 8, 0);
        let (mut c, _) = hub.join(1, 10, 8, 0);
        hub.set_session(a.id, "s1");
        hub.set_session(b.id, "s2");
        hub.set_session(c.id, "s2");
        // c re-authenticates with a token of another session.
        hub.set_session(c.id, "s3");
        assert_eq!(hub.end_sessions(&["s2".into(), "nope".into()]), 1);
        assert!(b.rx.try_recv().is_err());
        assert!(matches!(
            b.rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert_eq!(b.dropped_reason(), Some(Dropped::SessionEnded));
        assert_eq!(hub.len(), 2);
        hub.publish(&Audience::Users(vec![1]), None, "x");
        assert_eq!(a.rx.try_recv().unwrap().as_str(), "x");
        assert_eq!(c.rx.try_recv().unwrap().as_str(), "x");
        assert_eq!(hub.end_sessions(&["s3".into()]), 1);
        assert_eq!(hub.end_sessions(&["s3".into()]), 0, "idempotent");
        assert_eq!(hub.len(), 1);
    }

    /// A frame reaches the sockets of its audience and nobody else's.
    #[test]
    fn publish_reaches_only_the_audience() {
        let hub = Hub::default();
        let (mut a, _) = hub.join(1, 10, 8, 0);
        let (mut b, _) = hub.join(2, 10, 8, 0);
        let (mut c, _) = hub.join(3, 20, 8, 0);
        hub.publish(&Audience::Users(vec![1]), None, "x");
        hub.publish(&Audience::Building(10), None, "y");
        assert_eq!(a.rx.try_recv().unwrap().as_str(), "x");
        assert_eq!(a.rx.try_recv().unwrap().as_str(), "y");
        assert_eq!(b.rx.try_recv().unwrap().as_str(), "y");
        assert!(b.rx.try_recv().is_err());
        assert!(c.rx.try_recv().is_err());
    }

    /// A user holds at most the allowed sockets; one leaving makes room.
    #[test]
    fn sockets_per_user_are_limited() {
        let hub = Hub::default();
        let (a, _) = hub.join_at_most(1, 10, 8, 0, 2).unwrap();
        let _b = hub.join_at_most(1, 10, 8, 0, 2).unwrap();
        assert_eq!(hub.join_at_most(1, 10, 8, 0, 2).err(), Some(TooMany));
        assert!(hub.join_at_most(2, 10, 8, 0, 2).is_ok(), "per user");
        hub.leave(a.id);
        assert!(hub.join_at_most(1, 10, 8, 0, 2).is_ok());
    }

    /// A socket whose queue is full is dropped with the reason `Lagged`; the others go on.
    #[test]
    fn full_queue_drops_only_that_socket() {
        let hub = Hub::default();
        let (mut slow, _) = hub.join(1, 10, 1, 0);
        let (mut fast, _) = hub.join(2, 10, 8, 0);
        hub.publish(&Audience::Building(10), None, "1");
        assert_eq!(fast.rx.try_recv().unwrap().as_str(), "1");
        hub.publish(&Audience::Building(10), None, "2");
        assert_eq!(fast.rx.try_recv().unwrap().as_str(), "2");
        assert_eq!(hub.len(), 1);
        assert_eq!(slow.rx.try_recv().unwrap().as_str(), "1");
        assert!(matches!(
            slow.rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert_eq!(slow.dropped_reason(), Some(Dropped::Lagged));
    }

    /// Each user's copy names the previous event sent to that user, whoever else got what.
    #[test]
    fn prev_id_chains_per_user() {
        let hub = Hub::default();
        let (mut a, _) = hub.join(1, 10, 8, 4);
        let (mut b, _) = hub.join(2, 10, 8, 0);
        hub.publish(&Audience::Users(vec![1]), Some(5), "{\"id\":5}");
        hub.publish(&Audience::Building(10), Some(7), "{\"id\":7}");
        assert_eq!(a.rx.try_recv().unwrap().as_str(), "{\"id\":5,\"prevId\":4}");
        assert_eq!(a.rx.try_recv().unwrap().as_str(), "{\"id\":7,\"prevId\":5}");
        assert_eq!(b.rx.try_recv().unwrap().as_str(), "{\"id\":7,\"prevId\":0}");
    }

    fn event(id: u64, audience: Audience) -> Committed {
        let envelope = Envelope {
            id: Some(id),
            ..Envelope::control(
                ppt_protocol::ServerEvent::Pong,
                ppt_protocol::Timestamp(String::new()),
            )
        };
        Committed {
            id,
            audience,
            frame: envelope.to_json(),
            envelope,
            numbered: true,
        }
    }

    /// Catch-up from memory: what a user may see after the cursor, in pages; nothing when
    /// the cursor is older than what the hub keeps or newer than what it delivered.
    #[test]
    fn recent_pages_from_memory() {
        let hub = Hub::default();
        hub.start_at(
            5,
            vec![
                event(4, Audience::Building(10)),
                event(5, Audience::Users(vec![2])),
            ],
        );
        hub.deliver(vec![
            event(6, Audience::Building(20)),
            event(7, Audience::Users(vec![1, 2])),
            event(8, Audience::Building(10)),
        ]);
        let ids = |p: &RecentPage| p.events.iter().map(|e| e.id.unwrap()).collect::<Vec<_>>();
        let p = hub.recent_page(3, 10, 1, 10).unwrap();
        assert_eq!((ids(&p), p.has_more, p.latest), (vec![4, 7, 8], false, 8));
        let p = hub.recent_page(4, 1, 1, 10).unwrap();
        assert_eq!((ids(&p), p.has_more), (vec![7], true));
        assert_eq!(
            ids(&hub.recent_page(8, 10, 1, 10).unwrap()),
            Vec::<u64>::new()
        );
        assert!(
            hub.recent_page(2, 10, 1, 10).is_none(),
            "4 and older are not all kept"
        );
        assert!(
            hub.recent_page(9, 10, 1, 10).is_none(),
            "beyond what was delivered"
        );
        hub.drop_all();
        assert!(
            hub.recent_page(7, 10, 1, 10).is_none(),
            "a hole forgets them"
        );
    }
}
