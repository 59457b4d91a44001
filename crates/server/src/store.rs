//! The store: the database, the hub, and the rules that tie them together.
//!
//! - Reads go straight to the pool ([`Store::pool`]), or through one snapshot
//!   ([`Store::snapshot`]) when several must agree.
//! - A write is one transaction ([`Store::write`]); the events it emits join the log as its
//!   last step, numbered in commit order (see [`crate::eventlog`]), and reach the sockets
//!   through this server's log follower, like every other server's events.
//! - A socket joins the hub at an exact point of the log ([`Store::join`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ppt_protocol::ServerEvent;
use sqlx::{Any, Transaction};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::eventlog::follower::Follow;
use crate::eventlog::{self, Pending};
use crate::hub::{Audience, Hub, Subscription};

/// How long a joining socket waits for this server to deliver the log up to its head.
const JOIN_PATIENCE: Duration = Duration::from_secs(10);

/// The database and the hub, shared by every handler and socket.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// SQLite takes one writer at a time: writers queue here, without a thread each.
    write_gate: Option<Arc<Semaphore>>,
    hub: Hub,
    follow: Arc<Follow>,
    epoch: Arc<str>,
    /// This server's name among those sharing the database (random, new at each start).
    name: Arc<str>,
    retention: u64,
    /// The log is pruned in steps, not on every write (at least one event at a time).
    prune_step: u64,
    pruned_hint: Arc<AtomicU64>,
    omit_ids: bool,
}

/// A write transaction that can emit events.
pub struct Tx {
    tx: Transaction<'static, Any>,
    request_id: Option<String>,
    pending: Vec<Pending>,
}

impl Tx {
    /// The transaction's connection, for queries.
    pub fn sql(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Emits an event: it joins the log when the transaction commits, and then goes to its
    /// audience on every server.
    pub fn emit(&mut self, event: ServerEvent, audience: Audience) {
        self.pending.push(Pending { event, audience });
    }

    /// How many events this transaction has emitted so far.
    pub fn emitted(&self) -> usize {
        self.pending.len()
    }
}

/// Ids a write appended to the log, first and last (none: it appended nothing).
pub type Appended = Option<(u64, u64)>;

impl Store {
    /// A store over an opened database; `head` and `pruned` are the log's state at start-up.
    pub async fn open(db: Db, epoch: String, retention: u64, omit_ids: bool) -> AppResult<Self> {
        let mut conn = db.pool.acquire().await?;
        let head = eventlog::head(&mut conn).await?;
        let (pruned, _) = eventlog::pruned_through(&mut conn).await?;
        drop(conn);
        let hub = Hub::default();
        hub.start_at(head);
        let retention = retention.max(1);
        Ok(Store {
            write_gate: (!db.backend.concurrent_writers()).then(|| Arc::new(Semaphore::new(1))),
            db,
            hub,
            follow: Arc::default(),
            epoch: epoch.into(),
            name: crate::db::random_token(12).into(),
            retention,
            prune_step: (retention / 1000).max(1),
            pruned_hint: Arc::new(AtomicU64::new(pruned)),
            omit_ids,
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool, for reads that need no snapshot.
    pub fn pool(&self) -> &AnyPool {
        &self.db.pool
    }

    /// Whether envelopes go out without `id` (the original format).
    pub fn omits_ids(&self) -> bool {
        self.omit_ids
    }

    /// This event log's epoch (the database's, the same on every server).
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The hub of this server's open sockets.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// This server's name among those sharing the database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What this server's log follower shares with its writers.
    pub fn follow(&self) -> &Arc<Follow> {
        &self.follow
    }

    /// A read-only transaction in which every query sees the same snapshot.
    pub async fn snapshot(&self) -> AppResult<Transaction<'static, Any>> {
        let mut tx = self.db.pool.begin().await?;
        if let Some(statement) = self.db.backend.snapshot() {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// Runs `f` in a write transaction and commits it with the events it emitted.
    pub async fn write<T, F>(&self, request_id: Option<String>, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send,
    {
        self.write_logged(request_id, f).await.map(|(out, _)| out)
    }

    /// [`Store::write`], also telling which ids the write appended.
    pub async fn write_logged<T, F>(
        &self,
        request_id: Option<String>,
        f: F,
    ) -> AppResult<(T, Appended)>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send,
    {
        let _permit = match &self.write_gate {
            Some(gate) => Some(acquire(gate).await?),
            None => None,
        };
        let mut tx = Tx {
            tx: self.db.pool.begin().await?,
            request_id,
            pending: Vec::new(),
        };
        let done = async {
            let out = f(&mut tx).await?;
            let pending = std::mem::take(&mut tx.pending);
            let committed = eventlog::append(
                &mut tx.tx,
                &self.db,
                &self.name,
                tx.request_id.as_deref(),
                pending,
                self.omit_ids,
            )
            .await?;
            Ok::<_, AppError>((out, committed))
        }
        .await;
        // Rolled back here on an error, not when dropped: a dropped transaction is rolled back
        // later, in the background, keeping its locks (perhaps the log's counter) until then.
        let (out, committed) = match done {
            Ok(v) => v,
            Err(e) => {
                let _ = tx.tx.rollback().await;
                return Err(e);
            }
        };
        tx.tx.commit().await?;
        let appended = committed
            .first()
            .zip(committed.last())
            .map(|(a, b)| (a.id, b.id));
        self.follow.committed(committed);
        if let Some((_, last)) = appended {
            self.prune_if_due(last).await;
        }
        Ok((out, appended))
    }

    /// Prunes the log beyond the retention once it has grown by a step past the last prune.
    async fn prune_if_due(&self, head: u64) {
        let cutoff = head.saturating_sub(self.retention);
        if cutoff < self.pruned_hint.load(Ordering::Relaxed) + self.prune_step {
            return;
        }
        match eventlog::prune(&self.db, head, self.retention).await {
            Ok(through) => {
                self.pruned_hint.fetch_max(through, Ordering::Relaxed);
            }
            // The write itself has committed; pruning is tried again after the next one.
            Err(e) => tracing::warn!(error = %e, "pruning the event log failed"),
        }
    }

    /// Registers a socket at an exact point of the log: every event after the returned id
    /// that the user may see reaches the subscription, none at or before it does.
    ///
    /// The point is never older than the log's head when the socket asked, even when this
    /// server's follower is a moment behind another server's commits: it waits for the
    /// follower first. So a client that has seen an id on any server is never told a
    /// smaller one here (it would take that for a log that went backwards).
    pub async fn join(
        &self,
        user_id: i64,
        building_id: i64,
        queue: usize,
    ) -> AppResult<(Subscription, u64)> {
        let (head, visible) = eventlog::head_and_visible(&self.db, user_id, building_id).await?;
        if self.hub.delivered() < head {
            self.follow.nudge();
            if !self.hub.wait_delivered(head, JOIN_PATIENCE).await {
                return Err(AppError::Unavailable(
                    "this server is behind the event log".into(),
                ));
            }
        }
        Ok(self.hub.join(user_id, building_id, queue, visible))
    }
}

async fn acquire(s: &Arc<Semaphore>) -> AppResult<OwnedSemaphorePermit> {
    s.clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}
