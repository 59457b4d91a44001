//! The outbox as every tab shows it: the creates waiting to be sent, in order, with their
//! state. The tab holding the socket runs the outbox ([`ppt_realtime::outbox`]) and
//! writes this; the others receive it from that tab.

use yewdux::Store;

use ppt_realtime::outbox::Item;

/// The outbox's items, in sending order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct OutboxView {
    pub items: Vec<Item>,
}
