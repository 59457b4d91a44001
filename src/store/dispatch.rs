//! The stores' mechanism: a [`Store`] lives once per [`Context`] (the app's is global), a
//! [`Dispatch`] reads and changes it, and components follow it through [`use_store`] and
//! [`use_store_value`]. Changes are values ([`Dispatch::set`]) or actions ([`Reducer`]);
//! subscribers hear of a change only when [`Store::should_notify`] says so.
//!
//! The same shape as yewdux's, kept small on purpose: yewdux's generic machinery cost ~22 KB
//! of wasm for the app's seven stores; here only the typed edges are generic and the
//! bookkeeping (finding a store, subscribers) is written once (docs/performance-notes.md).

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use yew::prelude::*;

/// State kept in a store: made on first use, compared to decide who hears of a change.
pub trait Store: PartialEq + 'static {
    /// The first value, when the store is first used in `cx`.
    fn new(cx: &Context) -> Self;

    /// Whether subscribers hear of a change from `old` to `self`.
    fn should_notify(&self, old: &Self) -> bool {
        self != old
    }
}

/// An action that makes a store's next state from its current one.
pub trait Reducer<S> {
    fn apply(self, state: Rc<S>) -> Rc<S>;
}

/// A set of stores: the app's is [`Context::global`]; tests make their own.
#[derive(Clone, Default)]
pub struct Context {
    stores: Rc<RefCell<Vec<Entry>>>,
}

/// A store's type and its slot.
type Entry = (TypeId, Rc<Slot>);

/// A subscriber and the number that unsubscribes it.
type Subscriber = (u64, Rc<dyn Fn()>);

thread_local! {
    static GLOBAL: Context = Context::default();
}

impl Context {
    /// A new, empty set of stores.
    pub fn new() -> Self {
        Context::default()
    }

    /// The app's stores (one per thread: the page's).
    pub fn global() -> Self {
        GLOBAL.with(Context::clone)
    }

    fn find(&self, id: TypeId) -> Option<Rc<Slot>> {
        let stores = self.stores.borrow();
        stores
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, s)| s.clone())
    }

    /// The slot of store `id`, made with `make` on first use (which may use other stores).
    fn slot(&self, id: TypeId, make: &dyn Fn(&Context) -> Rc<dyn Any>) -> Rc<Slot> {
        if let Some(slot) = self.find(id) {
            return slot;
        }
        let state = make(self);
        if let Some(slot) = self.find(id) {
            return slot;
        }
        let slot = Rc::new(Slot {
            state: RefCell::new(state),
            subscribers: RefCell::default(),
            next_id: Cell::new(0),
        });
        self.stores.borrow_mut().push((id, slot.clone()));
        slot
    }
}

/// One store's state and who follows it (untyped: written once for every store).
struct Slot {
    state: RefCell<Rc<dyn Any>>,
    subscribers: RefCell<Vec<Subscriber>>,
    next_id: Cell<u64>,
}

impl Slot {
    fn notify(&self) {
        // Copied first: a subscriber may subscribe or unsubscribe while it runs.
        let subscribers: Vec<_> = self
            .subscribers
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        for f in subscribers {
            f();
        }
    }
}

/// Following a store; dropping it stops.
pub struct Subscription {
    slot: Rc<Slot>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.slot
            .subscribers
            .borrow_mut()
            .retain(|(id, _)| *id != self.id);
    }
}

/// Reads and changes the store `S` of one context.
pub struct Dispatch<S> {
    slot: Rc<Slot>,
    store: PhantomData<fn() -> S>,
}

impl<S> Clone for Dispatch<S> {
    fn clone(&self) -> Self {
        Dispatch {
            slot: self.slot.clone(),
            store: PhantomData,
        }
    }
}

impl<S> PartialEq for Dispatch<S> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.slot, &other.slot)
    }
}

impl<S: Store> Dispatch<S> {
    /// The store `S` of `cx`.
    pub fn new(cx: &Context) -> Self {
        Dispatch {
            slot: cx.slot(TypeId::of::<S>(), &|cx| Rc::new(S::new(cx))),
            store: PhantomData,
        }
    }

    /// The app's store `S`.
    pub fn global() -> Self {
        Self::new(&Context::global())
    }

    /// The current state.
    pub fn get(&self) -> Rc<S> {
        match self.slot.state.borrow().clone().downcast::<S>() {
            Ok(state) => state,
            // A slot is found by its store's `TypeId`: it always holds an `S`.
            Err(_) => unreachable!("a store's slot holds another type"),
        }
    }

    /// Replaces the state.
    pub fn set(&self, state: S) {
        self.replace(Rc::new(state));
    }

    /// Makes the next state with `action`.
    pub fn apply<R: Reducer<S>>(&self, action: R) {
        self.replace(action.apply(self.get()));
    }

    /// Changes the state in place (on a copy when others still hold the current one).
    pub fn reduce_mut(&self, f: impl FnOnce(&mut S))
    where
        S: Clone,
    {
        let mut state = self.get();
        f(Rc::make_mut(&mut state));
        self.replace(state);
    }

    /// A callback applying the action `f` makes of its argument.
    pub fn apply_callback<E, R, F>(&self, f: F) -> Callback<E>
    where
        R: Reducer<S>,
        F: Fn(E) -> R + 'static,
    {
        let dispatch = self.clone();
        Callback::from(move |e| dispatch.apply(f(e)))
    }

    /// Calls `f` after every change subscribers should hear of, until dropped.
    pub fn subscribe(&self, f: impl Fn() + 'static) -> Subscription {
        subscribe(&self.slot, Rc::new(f))
    }

    fn replace(&self, state: Rc<S>) {
        let notify = state.should_notify(&self.get());
        *self.slot.state.borrow_mut() = state;
        if notify {
            self.slot.notify();
        }
    }
}

fn subscribe(slot: &Rc<Slot>, f: Rc<dyn Fn()>) -> Subscription {
    let id = slot.next_id.get();
    slot.next_id.set(id + 1);
    slot.subscribers.borrow_mut().push((id, f));
    Subscription {
        slot: slot.clone(),
        id,
    }
}

/// The app's store `S`, without following it.
#[hook]
pub fn use_dispatch<S: Store>() -> Dispatch<S> {
    Dispatch::global()
}

/// The app's store `S`: the component renders again when it changes.
#[hook]
pub fn use_store_value<S: Store>() -> Rc<S> {
    let dispatch = Dispatch::<S>::global();
    use_follow(dispatch.slot.clone());
    dispatch.get()
}

/// The app's store `S` and its dispatch: the component renders again when it changes.
#[hook]
pub fn use_store<S: Store>() -> (Rc<S>, Dispatch<S>) {
    let dispatch = Dispatch::<S>::global();
    use_follow(dispatch.slot.clone());
    (dispatch.get(), dispatch)
}

/// Renders the calling component again after every change of `slot`'s store.
#[hook]
fn use_follow(slot: Rc<Slot>) {
    let update = use_force_update();
    let _subscription = use_state(move || subscribe(&slot, Rc::new(move || update.force_update())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default, PartialEq)]
    struct Count(u32);

    impl Store for Count {
        fn new(_cx: &Context) -> Self {
            Count(1)
        }
    }

    struct Add(u32);

    impl Reducer<Count> for Add {
        fn apply(self, mut state: Rc<Count>) -> Rc<Count> {
            Rc::make_mut(&mut state).0 += self.0;
            state
        }
    }

    #[test]
    fn a_store_is_made_once_per_context_and_changed_by_actions() {
        let cx = Context::new();
        let a = Dispatch::<Count>::new(&cx);
        assert_eq!(a.get().0, 1);
        a.apply(Add(2));
        assert_eq!(Dispatch::<Count>::new(&cx).get().0, 3);
        a.reduce_mut(|c| c.0 = 7);
        assert_eq!(a.get().0, 7);
        a.set(Count(9));
        assert_eq!(a.get().0, 9);
        assert_eq!(Dispatch::<Count>::new(&Context::new()).get().0, 1);
        assert!(a == Dispatch::<Count>::new(&cx));
    }

    #[test]
    fn subscribers_hear_of_changes_only_until_dropped() {
        let cx = Context::new();
        let d = Dispatch::<Count>::new(&cx);
        let heard = Rc::new(Cell::new(0));
        let h = heard.clone();
        let subscription = d.subscribe(move || h.set(h.get() + 1));
        d.apply(Add(1));
        d.set(Count(2)); // the same value: nobody hears of it
        assert_eq!(heard.get(), 1);
        drop(subscription);
        d.apply(Add(1));
        assert_eq!(heard.get(), 1);
        assert_eq!(d.get().0, 3);
    }
}
