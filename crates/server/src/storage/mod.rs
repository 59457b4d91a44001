//! Storage: the database, the hub, and the rules that tie them together.
//!
//! - Reads go straight to the pool ([`Storage::pool`]), or through one snapshot
//!   ([`Storage::snapshot`]) when several must agree.
//! - A write is one transaction's worth of work ([`Storage::write`]); the events it emits join
//!   the log as the transaction's last step, numbered in commit order (see
//!   [`crate::eventlog`]), and reach the sockets through this server's log follower, like
//!   every other server's events. Writes that arrive together share one database transaction
//!   and one commit, each in a savepoint of its own ([`writer`]).
//! - A socket joins the hub at an exact point of the log ([`Storage::join`]).

pub mod follower;
pub mod writer;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ppt_protocol::ServerEvent;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use tokio::sync::oneshot;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::eventlog::Audience;
use crate::eventlog::{self, Pending};
use crate::hub::{Hub, Subscription, RECENT};
use crate::storage::follower::Follow;
use writer::{Writer, WriterSettings};

/// How long a joining socket waits for this server to deliver the log up to its head.
const JOIN_PATIENCE: Duration = Duration::from_secs(10);

/// The database and the hub, shared by every handler and socket.
#[derive(Clone)]
pub struct Storage {
    db: Db,
    writer: Writer,
    hub: Hub,
    follow: Arc<Follow>,
    epoch: Arc<str>,
    /// This server's name among those sharing the database (random, new at each start).
    name: Arc<str>,
    omit_ids: bool,
}

/// A write transaction that can emit events.
pub struct Tx {
    tx: Transaction<'static, Any>,
    request_id: Option<String>,
    pending: Vec<Pending>,
}

impl Tx {
    /// A write with no server around it (the admin CLI): a plain transaction whose events
    /// join the log when [`Tx::commit_offline`] commits it; every running server's log
    /// follower then delivers them.
    pub async fn begin_offline(db: &Db) -> AppResult<Tx> {
        Ok(Tx {
            tx: db.pool.begin().await?,
            request_id: None,
            pending: Vec::new(),
        })
    }

    /// Appends the events emitted, as the transaction's last step, and commits.
    pub async fn commit_offline(mut self, db: &Db, server: &str) -> AppResult<()> {
        let pending = std::mem::take(&mut self.pending);
        eventlog::append(&mut self.tx, db, server, pending, false).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Commits, dropping the events emitted: for the demo world's seed, written before anyone
    /// could hear it (the log starts empty).
    pub async fn commit_without_events(self) -> AppResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Gives up: nothing is written, no event emitted.
    pub async fn rollback(self) -> AppResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// The transaction's connection, for queries.
    pub fn sql(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Emits an event: it joins the log when the transaction commits, and then goes to its
    /// audience on every server.
    pub fn emit(&mut self, event: ServerEvent, audience: Audience) {
        self.pending.push(Pending {
            event,
            audience,
            request_id: self.request_id.clone(),
        });
    }
}

/// Ids a write appended to the log, first and last (none: it appended nothing).
pub type Appended = Option<(u64, u64)>;

impl Storage {
    /// A storage over an opened database; starts its writers (they end with the last clone).
    pub async fn open(
        db: Db,
        epoch: String,
        retention: eventlog::retention::Retention,
        omit_ids: bool,
    ) -> AppResult<Self> {
        // The log's head and its newest events, in one snapshot (other servers may be
        // appending): the hub starts there, and answers recent cursors from memory at once.
        let mut tx = snapshot(&db).await?;
        let (head, pruned, _) = eventlog::bounds(&mut tx).await?;
        let from = head.saturating_sub(RECENT as u64).max(pruned);
        let newest = eventlog::read_after(&mut tx, from, RECENT, omit_ids).await?;
        tx.commit().await?;
        let hub = Hub::default();
        hub.start_at(head, newest);
        let follow: Arc<Follow> = Arc::default();
        let name: Arc<str> = crate::db::random_token(12).into();
        let writer = Writer::start(WriterSettings {
            db: db.clone(),
            follow: follow.clone(),
            server: name.clone(),
            omit_ids,
            retention,
            head,
        });
        Ok(Storage {
            db,
            writer,
            hub,
            follow,
            epoch: epoch.into(),
            name,
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
        snapshot(&self.db).await
    }

    /// The newest event id in the log now (every server's appends included).
    pub async fn log_head(&self) -> AppResult<u64> {
        let mut conn = self.pool().acquire().await?;
        let (head, _, _) = eventlog::bounds(&mut conn).await?;
        Ok(head)
    }

    /// Waits until this server has handed its sockets the log up to `head` (at once when it
    /// has): then nothing this server says about the log is older than `head`.
    pub async fn caught_up_to(&self, head: u64) -> AppResult<()> {
        if self.hub.delivered() < head {
            self.follow.nudge();
            if !self.hub.wait_delivered(head, JOIN_PATIENCE).await {
                return Err(AppError::Unavailable(
                    "this server is behind the event log".into(),
                ));
            }
        }
        Ok(())
    }

    /// Runs `f` as one write: everything it does and every event it emits commits together,
    /// or nothing does (an error undoes all of it).
    pub async fn write<T, F>(&self, request_id: Option<String>, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
    {
        self.write_logged(request_id, f).await.map(|(out, _)| out)
    }

    /// How many batches of writes may run at once (one on SQLite).
    pub fn write_lanes(&self) -> u32 {
        self.writer.lanes()
    }

    /// How many writes wait for a lane.
    pub fn writes_queued(&self) -> usize {
        self.writer.queued()
    }

    /// [`Storage::write`], also telling which ids the write appended.
    pub async fn write_logged<T, F>(
        &self,
        request_id: Option<String>,
        f: F,
    ) -> AppResult<(T, Appended)>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.writer
            .submit(writer::job(request_id, f, reply))
            .await?;
        answer
            .await
            .unwrap_or_else(|_| Err(AppError::Internal("the writer stopped".into())))
    }

    /// Registers a socket at an exact point of the log: every event after the returned id
    /// that the user may see reaches the subscription, none at or before it does.
    ///
    /// The point is never older than the log's head when the socket asked, even when this
    /// server's follower is a moment behind another server's commits: it waits for the
    /// follower first. So a client that has seen an id on any server is never told a
    /// smaller one here (it would take that for a log that went backwards).
    ///
    /// `Ok(None)`: the user already holds `max_per_user` sockets on this server.
    pub async fn join(
        &self,
        user_id: i64,
        building_id: i64,
        queue: usize,
        max_per_user: usize,
    ) -> AppResult<Option<(Subscription, u64)>> {
        let (head, visible) = eventlog::head_and_visible(&self.db, user_id, building_id).await?;
        self.caught_up_to(head).await?;
        Ok(self
            .hub
            .join_at_most(user_id, building_id, queue, visible, max_per_user)
            .ok())
    }
}

async fn snapshot(db: &Db) -> AppResult<Transaction<'static, Any>> {
    let mut tx = db.pool.begin().await?;
    if let Some(statement) = db.backend.snapshot() {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    Ok(tx)
}
