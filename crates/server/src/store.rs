//! The store: the database connection, and the rule that every change appends its events to
//! the log in the same transaction and is fanned out, in commit order, before the next one.

use std::sync::{Arc, Mutex, MutexGuard};

use ppt_protocol::{Envelope, ServerEvent, Timestamp};
use rusqlite::{params, Connection, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db::{self, now_ts};
use crate::error::{AppError, AppResult};
use crate::hub::{Audience, Hub, Subscription};

/// The database and the hub, shared by every handler and socket.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections for `read` (none: reads use the writer's connection).
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
    /// Queues for the connections, waited on without a thread: a burst of requests (a
    /// reconnect storm) waits here instead of parking hundreds of blocking threads on a lock.
    write_gate: Arc<Semaphore>,
    read_gate: Arc<Semaphore>,
    hub: Hub,
    epoch: Arc<str>,
    retention: u64,
    omit_ids: bool,
}

/// A write transaction that can append events.
pub struct Tx<'c> {
    tx: Transaction<'c>,
    request_id: Option<String>,
    pending: Vec<(Audience, Envelope)>,
}

impl Tx<'_> {
    /// The SQL transaction.
    pub fn sql(&self) -> &Transaction<'_> {
        &self.tx
    }

    /// The id of the newest event this transaction appended (0 if none yet).
    pub fn last_event_id(&self) -> u64 {
        self.pending.last().and_then(|(_, e)| e.id).unwrap_or(0)
    }

    /// Appends an event to the log; it is sent to its audience once the transaction commits.
    pub fn emit(&mut self, event: ServerEvent, audience: Audience) -> AppResult<u64> {
        let ts = now_ts();
        let envelope_event_type = event.event_type().to_owned();
        let payload_json = event
            .payload_value()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .to_string();
        let building = match &audience {
            Audience::Building(b) => Some(*b),
            Audience::Users(_) => None,
        };
        self.tx.execute(
            "INSERT INTO events (type, payload, ts, request_id, building_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![envelope_event_type, payload_json, ts, self.request_id, building],
        )?;
        let id = self.tx.last_insert_rowid();
        if let Audience::Users(users) = &audience {
            let mut stmt = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO event_recipients (event_id, user_id) VALUES (?1, ?2)",
            )?;
            for u in users {
                stmt.execute(params![id, u])?;
            }
        }
        let envelope = Envelope {
            event,
            timestamp: Timestamp(ts),
            request_id: self.request_id.clone(),
            id: Some(id as u64),
            prev_id: None,
        };
        self.pending.push((audience, envelope));
        Ok(id as u64)
    }
}

impl Store {
    /// A store over an opened database.
    pub fn new(conn: Connection, hub: Hub, retention: u64, omit_ids: bool) -> AppResult<Self> {
        let epoch = db::get_meta(&conn, "epoch")?.unwrap_or_else(|| "0".into());
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::default(),
            write_gate: Arc::new(Semaphore::new(1)),
            read_gate: Arc::new(Semaphore::new(1)),
            hub,
            epoch: epoch.into(),
            retention: retention.max(1),
            omit_ids,
        })
    }

    /// Serves reads from these read-only connections, so reads (catch-up after a reconnect
    /// storm, list loads) run side by side and beside the writer instead of queueing behind
    /// one connection. Every read sees everything committed before it began.
    pub fn with_readers(mut self, readers: Vec<Connection>) -> Self {
        self.read_gate = Arc::new(Semaphore::new(readers.len().max(1)));
        self.readers = Arc::new(readers.into_iter().map(Mutex::new).collect());
        self
    }

    /// Whether envelopes go out without `id` (the original format).
    pub fn omits_ids(&self) -> bool {
        self.omit_ids
    }

    /// This event log's epoch.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The hub of open sockets.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a read on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> AppResult<T> + Send + 'static,
    {
        let (conn, readers) = (self.conn.clone(), self.readers.clone());
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let permit = gate(&self.read_gate).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            if readers.is_empty() {
                return f(&Self::lock(&conn));
            }
            // A free reader if there is one, else wait for this request's turn.
            let n = readers.len();
            for i in 0..n {
                if let Ok(c) = readers[(start + i) % n].try_lock() {
                    return f(&c);
                }
            }
            f(&Self::lock(&readers[start % n]))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Runs a write transaction; on commit its events go to the log and out to the sockets,
    /// still under the lock, so no later commit can overtake them.
    pub async fn write<T, F>(&self, request_id: Option<String>, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> AppResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        let hub = self.hub.clone();
        let retention = self.retention;
        let omit_ids = self.omit_ids;
        let permit = gate(&self.write_gate).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut guard = Self::lock(&conn);
            let (out, mut pending) = {
                let mut tx = Tx {
                    tx: guard.transaction()?,
                    request_id,
                    pending: Vec::new(),
                };
                let out = f(&mut tx)?;
                let Tx { tx, pending, .. } = tx;
                tx.commit()?;
                (out, pending)
            };
            for (audience, envelope) in pending.iter_mut() {
                if omit_ids {
                    envelope.id = None;
                }
                hub.publish(audience, envelope.id, &envelope.to_json());
            }
            if !pending.is_empty() {
                prune(&guard, retention)?;
            }
            Ok(out)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Registers a socket and reads the newest event id, atomically with respect to commits:
    /// every event after the returned id reaches the subscription, none before it does.
    pub async fn join(
        &self,
        user_id: i64,
        building_id: i64,
        queue: usize,
    ) -> AppResult<(Subscription, u64)> {
        let conn = self.conn.clone();
        let hub = self.hub.clone();
        let permit = gate(&self.write_gate).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let guard = Self::lock(&conn);
            let latest = latest_event_id(&guard)?;
            let visible = latest_visible_id(&guard, user_id, building_id)?;
            Ok((hub.join(user_id, building_id, queue, visible), latest))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }
}

async fn gate(s: &Arc<Semaphore>) -> AppResult<OwnedSemaphorePermit> {
    s.clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The newest id the log has ever given (pruning does not lower it).
pub fn latest_event_id(conn: &Connection) -> AppResult<u64> {
    use rusqlite::OptionalExtension;
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(seq.unwrap_or(0).max(0) as u64)
}

/// The newest event in the log that a user may see (0 if none).
pub fn latest_visible_id(conn: &Connection, user: i64, building: i64) -> AppResult<u64> {
    let id: Option<i64> = conn.query_row(
        "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM events WHERE building_id = ?1
                             UNION ALL SELECT MAX(event_id) FROM event_recipients WHERE user_id = ?2)",
        params![building, user],
        |r| r.get(0),
    )?;
    Ok(id.unwrap_or(0).max(0) as u64)
}

/// The highest id pruned from the log, and that event's timestamp.
pub fn pruned_through(conn: &Connection) -> AppResult<(u64, Option<String>)> {
    let id = db::get_meta(conn, "pruned_through")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok((id, db::get_meta(conn, "pruned_through_ts")?))
}

/// Deletes events beyond the retention, remembering how far it went.
fn prune(conn: &Connection, retention: u64) -> AppResult<()> {
    let latest = latest_event_id(conn)?;
    let (done, _) = pruned_through(conn)?;
    let cutoff = latest.saturating_sub(retention);
    if cutoff <= done {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    let last_ts: Option<String> = tx
        .query_row(
            "SELECT ts FROM events WHERE id <= ?1 ORDER BY id DESC LIMIT 1",
            [cutoff as i64],
            |r| r.get(0),
        )
        .ok();
    tx.execute(
        "DELETE FROM event_recipients WHERE event_id <= ?1",
        [cutoff as i64],
    )?;
    tx.execute("DELETE FROM events WHERE id <= ?1", [cutoff as i64])?;
    db::set_meta(&tx, "pruned_through", &cutoff.to_string())?;
    if let Some(ts) = last_ts {
        db::set_meta(&tx, "pruned_through_ts", &ts)?;
    }
    tx.commit()?;
    Ok(())
}
