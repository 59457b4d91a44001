//! The writers: every write of this server queues here, and writes that arrive together run
//! in one database transaction, each in a savepoint of its own, and commit together (group
//! commit).
//!
//! Why: each commit holds the log's counter row until its flush (see [`crate::eventlog`]),
//! so commits through one database are one after another. A batch of writes costs one
//! append, one flush and one hand-over of that lock instead of one each.
//!
//! A write that fails rolls back to its savepoint and its caller hears at once; the others
//! go on. A batch whose commit fails fails all its writes (503 when the database is away).
//! Callers hear of success only after the commit. On SQLite there is one lane (SQLite takes
//! one writer at a time); on PostgreSQL several lanes batch side by side and meet at the
//! counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{Appended, Tx};
use crate::db::{now_ts, Db};
use crate::error::{AppError, AppResult};
use crate::eventlog::retention::{self, Retention};
use crate::eventlog::{self, Pending};
use crate::storage::follower::Follow;

/// Most writes in one batch.
const MAX_BATCH: usize = 64;
/// Most lanes (batches under way at once) on PostgreSQL.
const MAX_LANES: u32 = 4;

/// Told, once its batch has committed or failed, what became of a write that ran.
pub type Finish = Box<dyn FnOnce(AppResult<Appended>) + Send>;

/// A write waiting to run.
pub trait Job: Send {
    /// The `X-Request-Id` stamped on the events it emits.
    fn request_id(&self) -> Option<String>;
    /// Runs the write in `tx`: `Some(finish)` when it succeeded (its caller hears after the
    /// commit), `None` when it failed (its caller has heard already).
    fn run<'t>(self: Box<Self>, tx: &'t mut Tx) -> BoxFuture<'t, Option<Finish>>;
    /// Tells the caller the write never ran.
    fn fail(self: Box<Self>, e: AppError);
}

type Reply<T> = oneshot::Sender<AppResult<(T, Appended)>>;

struct WriteJob<T, F> {
    request_id: Option<String>,
    f: F,
    reply: Reply<T>,
}

/// A job for `f`, answering on `reply`.
pub fn job<T, F>(request_id: Option<String>, f: F, reply: Reply<T>) -> Box<dyn Job>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
{
    Box::new(WriteJob {
        request_id,
        f,
        reply,
    })
}

impl<T, F> Job for WriteJob<T, F>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
{
    fn request_id(&self) -> Option<String> {
        self.request_id.clone()
    }

    fn run<'t>(self: Box<Self>, tx: &'t mut Tx) -> BoxFuture<'t, Option<Finish>> {
        let WriteJob { f, reply, .. } = *self;
        Box::pin(async move {
            match f(tx).await {
                Ok(out) => Some(Box::new(move |r: AppResult<Appended>| {
                    let _ = reply.send(r.map(|appended| (out, appended)));
                }) as Finish),
                Err(e) => {
                    let _ = reply.send(Err(e));
                    None
                }
            }
        })
    }

    fn fail(self: Box<Self>, e: AppError) {
        let _ = self.reply.send(Err(e));
    }
}

/// What the writers need.
pub struct WriterSettings {
    pub db: Db,
    pub follow: Arc<Follow>,
    /// This server's name, in the log's notifications.
    pub server: Arc<str>,
    pub omit_ids: bool,
    /// What the log keeps.
    pub retention: Retention,
    /// The log's head at start-up.
    pub head: u64,
}

struct Shared {
    s: WriterSettings,
    /// The log is pruned in steps (a thousandth of the retention, at least one event).
    prune_step: u64,
    /// The head when the log was last pruned.
    pruned_at: AtomicU64,
}

/// The queue of this server's writes (cheap to clone).
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
    lanes: u32,
}

impl Writer {
    /// Starts the lanes; they stop when the last `Writer` is dropped.
    pub fn start(mut s: WriterSettings) -> Writer {
        s.retention.per_stream = s.retention.per_stream.max(1);
        let lanes = if s.db.backend.concurrent_writers() {
            (s.db.pool.options().get_max_connections() / 2).clamp(1, MAX_LANES)
        } else {
            1
        };
        let shared = Arc::new(Shared {
            prune_step: (s.retention.per_stream / 1000).max(1),
            // Pruned at the first append after start-up: a retention shortened meanwhile holds.
            pruned_at: AtomicU64::new(
                s.head
                    .saturating_sub((s.retention.per_stream / 1000).max(1)),
            ),
            s,
        });
        let (queue, rx) = mpsc::channel(1024);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..lanes {
            tokio::spawn(lane(shared.clone(), rx.clone()));
        }
        Writer { queue, lanes }
    }

    /// How many batches may run at once.
    pub fn lanes(&self) -> u32 {
        self.lanes
    }

    /// How many writes wait for a lane.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Queues a write.
    pub async fn submit(&self, job: Box<dyn Job>) -> AppResult<()> {
        self.queue
            .send(job)
            .await
            .map_err(|_| AppError::Internal("the writer stopped".into()))
    }
}

/// Takes whatever is queued (up to a batch), runs it, and again.
async fn lane(shared: Arc<Shared>, rx: Arc<Mutex<mpsc::Receiver<Box<dyn Job>>>>) {
    loop {
        let jobs = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            jobs
        };
        shared.run_batch(jobs).await;
    }
}

/// A savepoint statement; a failure breaks the whole batch.
async fn savepoint(tx: &mut Tx, statement: &str) -> AppResult<()> {
    sqlx::query(statement).execute(tx.sql()).await?;
    Ok(())
}

impl Shared {
    async fn run_batch(&self, jobs: Vec<Box<dyn Job>>) {
        let tx = match self.s.db.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let e = AppError::from(e);
                jobs.into_iter().for_each(|j| j.fail(e.clone()));
                return;
            }
        };
        let mut tx = Tx {
            tx,
            request_id: None,
            pending: Vec::new(),
        };
        // One write alone needs no savepoint: its transaction is its own.
        let shared_tx = jobs.len() > 1;
        let mut done: Vec<(Finish, std::ops::Range<usize>)> = Vec::new();
        let mut events: Vec<Pending> = Vec::new();
        let mut broken: Option<AppError> = None;
        for job in jobs {
            if let Some(e) = &broken {
                job.fail(e.clone());
                continue;
            }
            if shared_tx {
                if let Err(e) = savepoint(&mut tx, "SAVEPOINT write").await {
                    job.fail(e.clone());
                    broken = Some(e);
                    continue;
                }
            }
            tx.request_id = job.request_id();
            tx.pending.clear();
            let finish = job.run(&mut tx).await;
            let ended = match (&finish, shared_tx) {
                (Some(_), true) => savepoint(&mut tx, "RELEASE SAVEPOINT write").await,
                (None, true) => match savepoint(&mut tx, "ROLLBACK TO SAVEPOINT write").await {
                    Ok(()) => savepoint(&mut tx, "RELEASE SAVEPOINT write").await,
                    Err(e) => Err(e),
                },
                (_, false) => Ok(()),
            };
            if let Err(e) = ended {
                if let Some(f) = finish {
                    f(Err(e.clone()));
                }
                broken = Some(e);
                continue;
            }
            if let Some(f) = finish {
                let start = events.len();
                events.append(&mut tx.pending);
                done.push((f, start..events.len()));
            }
        }
        if broken.is_some() || done.is_empty() {
            // Ended here, not when dropped: a dropped transaction is rolled back later, in
            // the background, keeping its locks until then.
            let _ = tx.tx.rollback().await;
            let e = broken.unwrap_or_else(|| AppError::Internal("no write to commit".into()));
            done.into_iter().for_each(|(f, _)| f(Err(e.clone())));
            return;
        }
        let committed = match self.commit(&mut tx, events).await {
            Ok(committed) => committed,
            Err(e) => {
                let _ = tx.tx.rollback().await;
                done.into_iter().for_each(|(f, _)| f(Err(e.clone())));
                return;
            }
        };
        if let Err(e) = tx.tx.commit().await {
            let e = AppError::from(e);
            done.into_iter().for_each(|(f, _)| f(Err(e.clone())));
            return;
        }
        let appended: Vec<Appended> = done
            .iter()
            .map(|(_, range)| {
                let mine = &committed[range.clone()];
                mine.first().zip(mine.last()).map(|(a, b)| (a.id, b.id))
            })
            .collect();
        let head = committed.last().map(|e| e.id);
        self.s.follow.committed(committed);
        // Pruned before the writers hear back, so retention holds when they do.
        if let Some(head) = head {
            self.prune_if_due(head).await;
        }
        for ((f, _), ids) in done.into_iter().zip(appended) {
            f(Ok(ids));
        }
    }

    /// Appends the batch's events as its transaction's last step.
    async fn commit(
        &self,
        tx: &mut Tx,
        events: Vec<Pending>,
    ) -> AppResult<Vec<eventlog::Committed>> {
        eventlog::append(
            tx.sql(),
            &self.s.db,
            &self.s.server,
            events,
            self.s.omit_ids,
        )
        .await
    }

    /// Prunes what the retention does not keep once the log has grown by a step since the
    /// last prune (see `eventlog::retention`).
    async fn prune_if_due(&self, head: u64) {
        let last = self.pruned_at.load(Ordering::Relaxed);
        if head < last + self.prune_step
            || self
                .pruned_at
                .compare_exchange(last, head, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(e) = retention::prune(&self.s.db, self.s.retention, &now_ts()).await {
            // The writes have committed; pruning is tried again after the next step.
            tracing::warn!(error = %e, "pruning the event log failed");
        }
    }
}
