//! `use_event::<E>`: a component hears every event this tab applies, typed.
//!
//! The live core decides which events a tab applies: each once, in log order, whichever way
//! it came (on the socket, fetched after a reconnection, polled while the socket is blocked,
//! or relayed by the tab that holds the browser's socket). The app's executor hands
//! each applied batch to [`AppliedEvents`], after the stores have taken its data; `use_event`
//! subscribes a component to the events of one type for as long as it is mounted.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ppt_protocol::envelope::Event;
use ppt_protocol::Envelope;
use yew::prelude::*;

use super::use_websocket;

type Listener = Rc<dyn Fn(&Envelope)>;

/// The events this tab applied, handed to whoever listens (shared through
/// [`crate::hooks::WsContext`]).
#[derive(Clone, Default)]
pub struct AppliedEvents {
    listeners: Rc<RefCell<Vec<(u64, Listener)>>>,
    next: Rc<Cell<u64>>,
}

impl PartialEq for AppliedEvents {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.listeners, &other.listeners)
    }
}

impl AppliedEvents {
    /// Hands `events` to every listener, in order.
    pub fn publish(&self, events: &[Envelope]) {
        if events.is_empty() {
            return;
        }
        // A listener may subscribe or leave while it is called: call a copy of the list.
        let listeners: Vec<Listener> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for envelope in events {
            for listener in &listeners {
                listener(envelope);
            }
        }
    }

    /// Whether anyone listens (else the live core need not copy the events it applies).
    pub fn has_listeners(&self) -> bool {
        !self.listeners.borrow().is_empty()
    }

    /// Listens until the returned guard is dropped.
    pub fn listen(&self, listener: impl Fn(&Envelope) + 'static) -> Listening {
        let id = self.next.get();
        self.next.set(id + 1);
        self.listeners.borrow_mut().push((id, Rc::new(listener)));
        Listening {
            events: self.clone(),
            id,
        }
    }
}

/// Keeps a listener listening; dropping it ends that.
pub struct Listening {
    events: AppliedEvents,
    id: u64,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.events
            .listeners
            .borrow_mut()
            .retain(|(id, _)| *id != self.id);
    }
}

/// Calls `callback` with every event of type `E` this tab applies while the component is
/// mounted, each once and in order, however it reached the tab: live, caught up after a
/// reconnection, polled, or relayed by the tab holding the socket. `E` is any
/// [`Event`] of the protocol: a payload type (`MessageNew`, `MessageRead`, `Notified`,
/// `EntityEvent`, `NotificationPreferences`) or the whole `Envelope` / `ServerEvent`. The
/// stores already hold the event's data when the callback runs. The latest callback is used.
/// The connection's status is [`use_websocket`]'s.
///
/// ```no_run
/// use ppt_protocol::envelope::{EntityEvent, MessageNew};
/// use ppt_web::hooks::use_event;
/// use yew::prelude::*;
///
/// #[function_component]
/// fn NewMessages() -> Html {
///     let count = use_state(|| 0);
///     {
///         let count = count.clone();
///         use_event::<MessageNew>(Callback::from(move |_m: MessageNew| count.set(*count + 1)));
///     }
///     use_event::<EntityEvent>(Callback::from(|e: EntityEvent| {
///         web_sys::console::log_1(&format!("{:?} {}", e.action, e.change.id).into());
///     }));
///     html! { <span>{ format!("{} new messages", *count) }</span> }
/// }
/// ```
#[hook]
pub fn use_event<E: Event>(callback: Callback<E>) {
    let events = use_websocket().events;
    let latest = use_mut_ref(|| callback.clone());
    *latest.borrow_mut() = callback;
    use_effect_with(events, move |events| {
        let guard = events.listen(move |envelope| {
            if let Some(e) = E::from_envelope(envelope) {
                let cb = latest.borrow().clone();
                cb.emit(e);
            }
        });
        move || drop(guard)
    });
}

#[cfg(test)]
mod tests {
    use ppt_protocol::envelope::{EntityAction, EntityChange, EntityEvent, Event};
    use ppt_protocol::{EntityKind, ServerEvent, Timestamp};

    use super::*;

    fn entity(id: u64) -> Envelope {
        Envelope {
            event: ServerEvent::Entity(
                EntityAction::Created,
                EntityChange {
                    entity: EntityKind::Fault,
                    id: id.to_string(),
                    version: Some(1),
                },
            ),
            timestamp: Timestamp::default(),
            request_id: None,
            id: Some(id),
            prev_id: None,
        }
    }

    /// Each listener hears each published event once, in order, until it leaves; typed
    /// listeners hear only their type.
    #[test]
    fn listeners_hear_each_event_once_in_order() {
        let bus = AppliedEvents::default();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let h = heard.clone();
        let guard = bus.listen(move |e| h.borrow_mut().push(e.id.unwrap()));
        let typed = Rc::new(RefCell::new(Vec::new()));
        let t = typed.clone();
        let _typed = bus.listen(move |e| {
            if let Some(m) = ppt_protocol::envelope::MessageNew::from_envelope(e) {
                t.borrow_mut().push(m.message.id);
            }
        });
        bus.publish(&[entity(1), entity(2)]);
        bus.publish(&[entity(3)]);
        assert_eq!(*heard.borrow(), [1, 2, 3]);
        assert!(typed.borrow().is_empty(), "no message among them");
        assert!(bus.has_listeners());
        assert_eq!(
            EntityEvent::from_envelope(&entity(4)).map(|e| e.change.id),
            Some("4".into())
        );
        drop(guard);
        bus.publish(&[entity(5)]);
        assert_eq!(*heard.borrow(), [1, 2, 3]);
    }
}
