//! The app's stores (yewdux) and their reducers. Changes are reducer actions; side effects
//! (requests, storage, sounds) live in hooks and listeners, never in views. Components read
//! what they show with `use_selector`, so a change elsewhere in a store leaves them alone.

pub mod connection;
pub mod diagnostics;
pub mod lists;
pub mod messages;
pub mod outbox;
pub mod preferences;
pub mod queries;
pub mod session;
pub mod toasts;
