//! The event-log cursor in localStorage, per user, so a reload resumes where the tab was.

use crate::realtime::catchup::Cursor;

fn key(user_id: &str) -> String {
    format!("ppt-web.cursor.{user_id}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The stored cursor of `user_id` (none, or unreadable: the default).
pub fn load_cursor(user_id: &str) -> Cursor {
    storage()
        .and_then(|s| s.get_item(&key(user_id)).ok().flatten())
        .and_then(|raw| crate::api::from_json(&raw).ok())
        .unwrap_or_default()
}

/// Stores the cursor of `user_id` (quietly does nothing when storage is unavailable).
pub fn store_cursor(user_id: &str, cursor: &Cursor) {
    if let (Some(storage), Ok(raw)) = (storage(), serde_json::to_string(cursor)) {
        let _ = storage.set_item(&key(user_id), &raw);
    }
}
