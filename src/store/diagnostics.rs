//! What the diagnostics panel shows of the live core: where this tab stands in the event log
//! and what catch-up has done. The live core's executor writes it after each step that
//! changed it; only the open panel reads it.

use yewdux::Store;

use ppt_realtime::catchup::Cursor;
use ppt_realtime::live::LiveStats;

/// The live core's figures for people (and support).
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct LiveDiagnostics {
    pub cursor: Cursor,
    pub stats: LiveStats,
}
