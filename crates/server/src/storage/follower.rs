//! The log follower: one task per server that hands the shared log's events to this server's
//! sockets, in id order, each exactly once.
//!
//! It is woken three ways, so a lost wake-up only delays delivery, never loses an event:
//! - by this server's own commits, which also leave their events here ([`Follow::committed`])
//!   so that the common case needs no read at all;
//! - on PostgreSQL, by a `LISTEN` on the channel every appending transaction notifies (other
//!   servers' commits);
//! - by a poll every `--log-poll-ms`, and whenever a wake-up says little: then it reads the
//!   log after the last id it delivered.
//!
//! When the database is away it keeps trying with backoff and resumes from where it stopped.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::dialect::{EVENTS_CHANNEL, SESSIONS_CHANNEL};
use crate::error::AppResult;
use crate::eventlog::{read_after, Committed};
use crate::storage::Storage;

/// Events read from the log at a time.
const PAGE: usize = 1000;
/// Longest pause between retries while the database is away.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What the follower shares with the writers of this server.
#[derive(Default)]
pub struct Follow {
    /// This server's own commits, by id, until delivered.
    own: Mutex<BTreeMap<u64, Committed>>,
    /// A commit on this server.
    local: Notify,
    /// A commit elsewhere, a poll, or a request to read the log.
    remote: Notify,
}

impl Follow {
    /// Leaves a commit's events for delivery and wakes the follower.
    pub fn committed(&self, events: Vec<Committed>) {
        if events.is_empty() {
            return;
        }
        let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        own.extend(events.into_iter().map(|e| (e.id, e)));
        drop(own);
        self.local.notify_one();
    }

    /// Asks the follower to read the log now.
    pub fn nudge(&self) {
        self.remote.notify_one();
    }

    /// Takes this server's events that continue the log right after `delivered`.
    fn take_next(&self, delivered: u64) -> (Vec<Committed>, bool) {
        let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        // Anything at or below the delivered mark came through the log already.
        let rest = own.split_off(&(delivered + 1));
        *own = rest;
        let mut run = Vec::new();
        let mut next = delivered + 1;
        while let Some(e) = own.remove(&next) {
            run.push(e);
            next += 1;
        }
        (run, !own.is_empty())
    }
}

/// Follows the log until shutdown. `listen`: the PostgreSQL URL to `LISTEN` on, if any.
pub async fn run(
    storage: Storage,
    listen: Option<String>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    if let Some(url) = listen {
        tokio::spawn(listen_loop(storage.clone(), url, shutdown.clone()));
    }
    let follow = storage.follow().clone();
    let mut read_log = true;
    let mut backoff = Duration::from_millis(50);
    loop {
        match deliver(&storage, read_log).await {
            Ok(()) => backoff = Duration::from_millis(50),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the event log; retrying");
                if !pause(&shutdown, &mut backoff).await {
                    return;
                }
                read_log = true;
                continue;
            }
        }
        read_log = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = follow.local.notified() => false,
            _ = follow.remote.notified() => true,
            _ = tokio::time::sleep(poll) => true,
        };
    }
}

/// Waits `backoff` and doubles it (up to [`MAX_BACKOFF`]); false when shutting down.
async fn pause(shutdown: &CancellationToken, backoff: &mut Duration) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => return false,
        _ = tokio::time::sleep(*backoff) => {}
    }
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    true
}

/// Delivers everything there is to deliver now.
async fn deliver(storage: &Storage, mut read_log: bool) -> AppResult<()> {
    let hub = storage.hub();
    loop {
        let (run, more_own) = storage.follow().take_next(hub.delivered());
        if !run.is_empty() {
            hub.deliver(run);
            continue;
        }
        // Our own next event is not here (another server's commit is before it), or we
        // were told to look: read the log.
        if !(read_log || more_own) {
            return Ok(());
        }
        let after = hub.delivered();
        let mut conn = storage.pool().acquire().await?;
        let page = read_after(&mut conn, after, PAGE, storage.omits_ids()).await?;
        drop(conn);
        let Some(first) = page.first() else {
            return Ok(());
        };
        if first.id != after + 1 {
            // Retention pruned events before this server delivered them: its sockets missed
            // them, so they reconnect and catch up (and learn `resetRequired`).
            tracing::warn!(
                from = after + 1,
                to = first.id - 1,
                "events were pruned before this server delivered them; dropping its sockets"
            );
            hub.drop_all();
        }
        let full = page.len() == PAGE;
        hub.deliver(page);
        read_log = full;
    }
}

/// Wakes the follower on every notification of new events, and closes the sockets of
/// sessions announced as ended; reconnects when the connection is lost (a lost connection
/// may have swallowed notifications, so that wakes it too; ended sessions it swallowed are
/// the session sweep's).
async fn listen_loop(storage: Storage, url: String, shutdown: CancellationToken) {
    let mine = format!("{}:", storage.name());
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener
                .listen_all([EVENTS_CHANNEL, SESSIONS_CHANNEL])
                .await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = shutdown.cancelled() => return,
            l = connected => match l {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for the log's notifications; retrying");
                    if !pause(&shutdown, &mut backoff).await {
                        return;
                    }
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(100);
        // Connected (again): whatever was committed meanwhile is read now.
        storage.follow().nudge();
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                n = listener.try_recv() => n,
            };
            match next {
                // Our own commits reach the follower in memory; others' mean reading the log.
                // A session ended (on any server): its sockets here close now.
                Ok(Some(n)) if n.channel() == SESSIONS_CHANNEL => {
                    storage.hub().end_sessions(&[n.payload().to_owned()]);
                }
                Ok(Some(n)) => {
                    if !n.payload().starts_with(&mine) {
                        storage.follow().nudge();
                    }
                }
                // Lost (it reconnects on the next call): notifications may have gone with it.
                Ok(None) => storage.follow().nudge(),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the log's notifications; reconnecting");
                    storage.follow().nudge();
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventlog::Audience;

    fn event(id: u64) -> Committed {
        Committed {
            id,
            audience: Audience::Building(1),
            envelope: ppt_protocol::Envelope::control(
                ppt_protocol::ServerEvent::Pong,
                ppt_protocol::Timestamp(String::new()),
            ),
            frame: format!("{{\"id\":{id}}}"),
            numbered: true,
        }
    }

    /// Own events are handed over only where they continue the log; a hole means reading it.
    #[test]
    fn own_events_continue_the_log_or_wait() {
        let f = Follow::default();
        f.committed(vec![event(3), event(4)]);
        f.committed(vec![event(6)]);
        let (run, more) = f.take_next(2);
        assert_eq!(run.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 4]);
        assert!(more, "6 waits for 5, which only the log has");
        let (run, more) = f.take_next(4);
        assert!(run.is_empty() && more);
        // 5 and 6 came through the log: 6 is dropped as delivered.
        let (run, more) = f.take_next(6);
        assert!(run.is_empty() && !more);
    }
}
