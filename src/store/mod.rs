//! The app's stores and their reducers ([`dispatch`]: how a store is kept, changed and
//! followed). Changes are reducer actions; side effects (requests, storage, sounds) live in
//! hooks and listeners, never in views.

pub mod diagnostics;
pub mod dispatch;
pub mod lists;
pub mod messages;
pub mod outbox;
pub mod preferences;
pub mod queries;
pub mod session;
pub mod toasts;
