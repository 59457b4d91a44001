//! localStorage, per user: the event-log cursor (a reload resumes where the tab was) and the
//! outbox (creates not yet sent survive a reload).

use ppt_realtime::catchup::Cursor;

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
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default()
}

/// Stores the cursor of `user_id` (quietly does nothing when storage is unavailable).
pub fn store_cursor(user_id: &str, cursor: &Cursor) {
    if let Some(storage) = storage() {
        if let Ok(raw) = serde_json::to_string(cursor) {
            let _ = storage.set_item(&key(user_id), &raw);
        }
    }
}

fn outbox_key(user_id: &str) -> String {
    format!("ppt-web.outbox.{user_id}")
}

/// The stored outbox of `user_id` (none, or unreadable: empty).
pub fn load_outbox(user_id: &str) -> ppt_realtime::outbox::Stored {
    storage()
        .and_then(|s| s.get_item(&outbox_key(user_id)).ok().flatten())
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default()
}

/// Stores the outbox of `user_id`; an empty one is removed.
pub fn store_outbox(user_id: &str, stored: &ppt_realtime::outbox::Stored) {
    let Some(storage) = storage() else { return };
    if stored.items.is_empty() {
        let _ = storage.remove_item(&outbox_key(user_id));
    } else if let Ok(raw) = serde_json::to_string(stored) {
        let _ = storage.set_item(&outbox_key(user_id), &raw);
    }
}

/// Removes the stored outbox of `user_id`.
pub fn forget_outbox(user_id: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&outbox_key(user_id));
    }
}
