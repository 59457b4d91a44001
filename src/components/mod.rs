//! Components: take props, give callbacks. Pages live in [`pages`].

pub mod connection_status;
pub mod data_updated_chip;
pub mod diagnostics;
pub mod header;
pub mod outbox_list;
pub mod pages;
pub mod toast;
pub mod unread_badge;
pub mod websocket_provider;
