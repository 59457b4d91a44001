//! Catch-up after (re)authentication: nothing missed, nothing twice, everything in order.
//!
//! The cursor is the last applied event `id` and the log's `epoch` (with the last
//! `timestamp` as the fallback for servers that send no `id`). After authentication, live
//! events are held in a buffer while `/events/missed` is read page by page; pages are applied
//! in id order, then the buffer; anything at or below the cursor is dropped. A foreign epoch
//! or `resetRequired` means replay is impossible: the app refetches everything instead.

use std::collections::BTreeMap;

use ppt_protocol::envelope::Authenticated;
use ppt_protocol::missed::{MissedCursor, MissedQuery};
use ppt_protocol::rest::MissedEvents;
use ppt_protocol::{Envelope, Timestamp};
use serde::{Deserialize, Serialize};

/// Where the app stands in the event log; kept per user in browser storage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub epoch: Option<String>,
    pub last_id: Option<u64>,
    pub last_timestamp: Option<Timestamp>,
}

/// Which page to read next: the protocol's cursor (its query string is
/// [`MissedQuery::to_query_string`]).
pub type PageRequest = MissedCursor;

/// The `/events/missed` query for a page of `limit` events from `request`.
pub fn page_query(request: &PageRequest, limit: usize) -> String {
    MissedQuery {
        cursor: request.clone(),
        limit,
    }
    .to_query_string()
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchupCommand {
    /// Apply this event; `replayed`: it happened while the app was away (no alerts one by one).
    Apply { envelope: Envelope, replayed: bool },
    /// Read a page of `/events/missed`.
    Fetch(PageRequest),
    /// Replay is impossible: refetch every list, the messages and the unread count.
    ResetAll,
    /// Catch-up is over; `applied` events were replayed.
    CaughtUp { applied: u64 },
    /// A gap in the live stream was filled with `applied` events (no outage to report).
    GapFilled { applied: u64 },
    /// Store the cursor.
    Save(Cursor),
    /// While live updates are paused: read this page and hand it to [`Catchup::polled`].
    Poll(PageRequest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Not authenticated yet: live frames are held.
    Waiting,
    CatchingUp,
    Live,
}

/// The catch-up engine for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catchup {
    cursor: Cursor,
    phase: Phase,
    buffer: BTreeMap<u64, Envelope>,
    /// Buffered events without ids, in arrival order (servers of the original design).
    unnumbered: Vec<Envelope>,
    applied: u64,
    /// The current catch-up fills a gap in the live stream (not a reconnection).
    filling_gap: bool,
}

impl Catchup {
    /// An engine starting from a stored cursor (or none).
    pub fn new(cursor: Cursor) -> Self {
        Catchup {
            cursor,
            phase: Phase::Waiting,
            buffer: BTreeMap::new(),
            unnumbered: Vec::new(),
            applied: 0,
            filling_gap: false,
        }
    }

    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// Whether catch-up is under way (live frames are being held).
    pub fn catching_up(&self) -> bool {
        self.phase != Phase::Live
    }

    /// Continues from another tab's cursor (see [`super::live::Live::adopt`]).
    pub fn adopt(&mut self, cursor: Cursor) {
        self.cursor = cursor;
    }

    /// An event another tab applied (and relayed): moves the cursor past it, so a later
    /// catch-up of this tab starts after it. Returns whether it was new here.
    pub fn applied_elsewhere(&mut self, e: &Envelope) -> bool {
        match e.id {
            Some(id) if self.cursor.last_id.is_some_and(|last| id <= last) => false,
            Some(id) => {
                self.cursor.last_id = Some(id);
                if !e.timestamp.as_str().is_empty() {
                    self.cursor.last_timestamp = Some(e.timestamp.clone());
                }
                true
            }
            None => true,
        }
    }

    /// `connection:authenticated` arrived.
    pub fn authenticated(&mut self, auth: &Authenticated) -> Vec<CatchupCommand> {
        self.applied = 0;
        self.filling_gap = false;
        self.buffer.clear();
        self.unnumbered.clear();
        let foreign_epoch = self
            .cursor
            .epoch
            .as_deref()
            .is_some_and(|e| e != auth.epoch);
        match (&self.cursor.last_id, &self.cursor.last_timestamp) {
            _ if foreign_epoch => self.reset(auth.epoch.clone(), auth.last_event_id),
            (None, None) => {
                // Nothing to resume from: start at the log's end; the lists load fresh.
                self.cursor = Cursor {
                    epoch: Some(auth.epoch.clone()),
                    last_id: Some(auth.last_event_id),
                    last_timestamp: None,
                };
                let mut out = vec![CatchupCommand::ResetAll];
                out.extend(self.finish());
                out
            }
            // The log went backwards under the same epoch: it cannot be trusted for replay.
            (Some(id), _) if *id > auth.last_event_id => {
                self.reset(auth.epoch.clone(), auth.last_event_id)
            }
            (Some(id), _) if *id == auth.last_event_id => {
                self.cursor.epoch = Some(auth.epoch.clone());
                self.finish()
            }
            (Some(id), _) => {
                self.cursor.epoch = Some(auth.epoch.clone());
                self.phase = Phase::CatchingUp;
                vec![CatchupCommand::Fetch(PageRequest::After {
                    id: *id,
                    epoch: Some(auth.epoch.clone()),
                })]
            }
            (None, Some(ts)) => {
                self.phase = Phase::CatchingUp;
                vec![CatchupCommand::Fetch(PageRequest::Since(
                    ts.as_str().to_owned(),
                ))]
            }
        }
    }

    /// A live frame with an event in it.
    pub fn live(&mut self, envelope: Envelope) -> Vec<CatchupCommand> {
        // `prevId` beyond the cursor: something this user should have seen was missed.
        let gap = match (envelope.prev_id, self.cursor.last_id, envelope.id) {
            (Some(prev), Some(last), Some(id)) => prev > last && id > last,
            _ => false,
        };
        if self.phase == Phase::Live && gap {
            let last = self.cursor.last_id.unwrap_or(0);
            self.phase = Phase::CatchingUp;
            self.filling_gap = true;
            self.applied = 0;
            if let Some(id) = envelope.id {
                self.buffer.insert(id, envelope);
            }
            return vec![CatchupCommand::Fetch(PageRequest::After {
                id: last,
                epoch: self.cursor.epoch.clone(),
            })];
        }
        if self.phase != Phase::Live {
            match envelope.id {
                Some(id) => {
                    self.buffer.insert(id, envelope);
                }
                None => self.unnumbered.push(envelope),
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.accept(envelope, false, &mut out) {
            out.push(CatchupCommand::Save(self.cursor.clone()));
        }
        out
    }

    /// A page of `/events/missed` arrived.
    pub fn page(&mut self, page: MissedEvents) -> Vec<CatchupCommand> {
        if self.phase != Phase::CatchingUp {
            return Vec::new();
        }
        if self.cannot_replay(&page) {
            return self.reset(page.epoch, page.latest_id);
        }
        let mut out = Vec::new();
        self.applied += self.apply_events(page.events, true, &mut out);
        if page.has_more {
            match self.next_request() {
                Some(req) => out.push(CatchupCommand::Fetch(req)),
                None => out.extend(self.finish()),
            }
        } else {
            if self.cursor.last_id.is_some() || page.latest_id > 0 {
                let last = self.cursor.last_id.unwrap_or(0).max(page.latest_id);
                self.cursor.last_id = Some(last);
            }
            out.extend(self.finish());
        }
        out
    }

    /// What to poll while live updates are paused: after the cursor, or, without one (the
    /// socket never opened in this browser), the log's head: that answer resets (the lists
    /// are loaded again) and gives the cursor to poll after from then on.
    pub fn poll_request(&self) -> Option<PageRequest> {
        self.next_request().or(Some(PageRequest::Head))
    }

    /// A polled page arrived (no socket): its new events are applied as they come, like live
    /// ones; a further page is polled at once while `hasMore`.
    pub fn polled(&mut self, page: MissedEvents) -> Vec<CatchupCommand> {
        if self.cannot_replay(&page) {
            return self.reset(page.epoch, page.latest_id);
        }
        let mut out = Vec::new();
        self.apply_events(page.events, false, &mut out);
        if page.has_more {
            out.extend(self.next_request().map(CatchupCommand::Poll));
        } else if self.cursor.last_id.is_some() {
            self.cursor.last_id = self.cursor.last_id.max(Some(page.latest_id));
        }
        out.push(CatchupCommand::Save(self.cursor.clone()));
        out
    }

    /// Reading a page failed: try the same page again (the glue waits a moment first).
    pub fn page_failed(&self) -> Vec<CatchupCommand> {
        match (&self.phase, self.next_request()) {
            (Phase::CatchingUp, Some(req)) => vec![CatchupCommand::Fetch(req)],
            _ => Vec::new(),
        }
    }

    /// Whether a page says replay is impossible (reset required, or another log's epoch).
    fn cannot_replay(&self, page: &MissedEvents) -> bool {
        page.reset_required
            || self
                .cursor
                .epoch
                .as_deref()
                .is_some_and(|e| e != page.epoch)
    }

    /// Applies a page's events in id order; returns how many were new.
    fn apply_events(
        &mut self,
        mut events: Vec<Envelope>,
        replayed: bool,
        out: &mut Vec<CatchupCommand>,
    ) -> u64 {
        events.sort_by_key(|e| e.id);
        let mut applied = 0;
        for e in events {
            if self.accept(e, replayed, out) {
                applied += 1;
            }
        }
        applied
    }

    fn next_request(&self) -> Option<PageRequest> {
        match (&self.cursor.last_id, &self.cursor.last_timestamp) {
            (Some(id), _) => Some(PageRequest::After {
                id: *id,
                epoch: self.cursor.epoch.clone(),
            }),
            (None, Some(ts)) => Some(PageRequest::Since(ts.as_str().to_owned())),
            (None, None) => None,
        }
    }

    fn finish(&mut self) -> Vec<CatchupCommand> {
        let applied = self.applied;
        let mut out = self.go_live();
        if std::mem::take(&mut self.filling_gap) {
            out.push(CatchupCommand::GapFilled { applied });
        } else {
            out.push(CatchupCommand::CaughtUp { applied });
        }
        out
    }

    fn go_live(&mut self) -> Vec<CatchupCommand> {
        self.phase = Phase::Live;
        let mut out = Vec::new();
        for (_, e) in std::mem::take(&mut self.buffer) {
            self.accept(e, false, &mut out);
        }
        for e in std::mem::take(&mut self.unnumbered) {
            self.accept(e, false, &mut out);
        }
        out.push(CatchupCommand::Save(self.cursor.clone()));
        out
    }

    fn reset(&mut self, epoch: String, latest: u64) -> Vec<CatchupCommand> {
        let newest_buffered = self.buffer.keys().next_back().copied().unwrap_or(0);
        self.buffer.clear();
        self.unnumbered.clear();
        self.cursor = Cursor {
            epoch: Some(epoch),
            last_id: Some(latest.max(newest_buffered)),
            last_timestamp: None,
        };
        self.phase = Phase::Live;
        vec![
            CatchupCommand::ResetAll,
            CatchupCommand::Save(self.cursor.clone()),
            CatchupCommand::CaughtUp { applied: 0 },
        ]
    }

    /// Applies an event unless the cursor says it was applied already.
    fn accept(&mut self, e: Envelope, replayed: bool, out: &mut Vec<CatchupCommand>) -> bool {
        match e.id {
            Some(id) => {
                if self.cursor.last_id.is_some_and(|last| id <= last) {
                    return false;
                }
                self.cursor.last_id = Some(id);
            }
            None => {
                // Without ids only time can order events; the same millisecond may repeat.
                if self
                    .cursor
                    .last_timestamp
                    .as_ref()
                    .is_some_and(|t| e.timestamp < *t)
                {
                    return false;
                }
            }
        }
        if !e.timestamp.as_str().is_empty() {
            self.cursor.last_timestamp = Some(e.timestamp.clone());
        }
        out.push(CatchupCommand::Apply {
            envelope: e,
            replayed,
        });
        true
    }
}

#[cfg(test)]
mod tests;
