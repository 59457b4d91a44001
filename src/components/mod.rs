//! Components: take props, give callbacks. Pages live in [`pages`].

pub mod connection_status;
pub mod data_updated_chip;
pub mod header;
pub mod pages;
pub mod toast;
pub mod unread_badge;
pub mod websocket_provider;
