//! Toasts: short notices at the corner of the screen. At most [`MAX_VISIBLE`] show, the rest
//! are summarised; each hides itself after [`TTL_MS`] unless dismissed sooner; an alert key
//! seen before is not shown again.

use std::cell::RefCell;
use std::rc::Rc;

use yewdux::{Reducer, Store};

use crate::realtime::recent::Recent;

/// How many toasts show at once.
pub const MAX_VISIBLE: usize = 3;
/// How long a toast stays, in ms.
pub const TTL_MS: u64 = 6_000;
/// How many alert keys are remembered for de-duplication.
const SEEN_KEYS: usize = 256;

/// The contract's `data-kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Reconnected,
    Notification,
    Message,
    Error,
}

impl ToastKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ToastKind::Reconnected => "reconnected",
            ToastKind::Notification => "notification",
            ToastKind::Message => "message",
            ToastKind::Error => "error",
        }
    }
}

/// One toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: u64,
}

/// Toasts on screen, oldest first. Shared copies: an update during a burst clones
/// pointers, not a hundred toasts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct Toasts {
    pub items: Vec<Rc<Toast>>,
    next_id: u64,
    seen: SeenKeys,
}

/// The alert keys shown so far. A history rather than view state: every snapshot of the store
/// shares the one memory (a new snapshot does not copy 256 keys), so it equals itself only.
#[derive(Debug, Clone, Default)]
struct SeenKeys(Rc<RefCell<Recent<SEEN_KEYS>>>);

impl PartialEq for SeenKeys {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SeenKeys {}

impl Toasts {
    /// The toasts to show (the newest [`MAX_VISIBLE`]) and how many more wait behind them.
    pub fn visible(&self) -> (&[Rc<Toast>], usize) {
        let hidden = self.items.len().saturating_sub(MAX_VISIBLE);
        (&self.items[hidden..], hidden)
    }

    /// When the next toast expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.items.iter().map(|t| t.created_at + TTL_MS).min()
    }
}

/// What can happen to the toasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToastAction {
    /// Shows a toast; with a `key` already seen, nothing happens.
    Push {
        kind: ToastKind,
        title: String,
        body: String,
        link: Option<String>,
        key: Option<String>,
        now: u64,
    },
    /// Several `Push`es in one update (a burst of alerts); anything else in it is ignored.
    PushMany(Vec<ToastAction>),
    Dismiss(u64),
    /// Drops toasts older than [`TTL_MS`].
    Expire {
        now: u64,
    },
    Clear,
}

impl Reducer<Toasts> for ToastAction {
    fn apply(self, mut state: Rc<Toasts>) -> Rc<Toasts> {
        let s = Rc::make_mut(&mut state);
        match self {
            push @ ToastAction::Push { .. } => add(s, push),
            ToastAction::PushMany(pushes) => {
                for push in pushes {
                    add(s, push);
                }
            }
            ToastAction::Dismiss(id) => s.items.retain(|t| t.id != id),
            ToastAction::Expire { now } => s.items.retain(|t| t.created_at + TTL_MS > now),
            ToastAction::Clear => s.items.clear(),
        }
        state
    }
}

/// Most toasts held at once (the oldest go first): a burst cannot grow the stack forever.
pub const MAX_HELD: usize = 100;

fn add(s: &mut Toasts, push: ToastAction) {
    let ToastAction::Push {
        kind,
        title,
        body,
        link,
        key,
        now,
    } = push
    else {
        return;
    };
    if let Some(k) = key {
        if !s.seen.0.borrow_mut().insert(&k) {
            return;
        }
    }
    s.next_id += 1;
    let id = s.next_id;
    s.items.push(Rc::new(Toast {
        id,
        kind,
        title,
        body,
        link,
        created_at: now,
    }));
    if s.items.len() > MAX_HELD {
        s.items.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use yewdux::{Context, Dispatch};

    use super::*;

    fn push(d: &Dispatch<Toasts>, key: Option<&str>, now: u64) {
        d.apply(ToastAction::Push {
            kind: ToastKind::Notification,
            title: "t".into(),
            body: "b".into(),
            link: None,
            key: key.map(Into::into),
            now,
        });
    }

    /// At most three show, the newest; the rest are counted.
    #[test]
    fn at_most_three_visible() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        for i in 0..5 {
            push(&d, None, i);
        }
        let s = d.get();
        let (shown, more) = s.visible();
        assert_eq!(
            shown.iter().map(|t| t.created_at).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(more, 2);
    }

    /// Toasts expire after the TTL and can be dismissed; a key is shown only once.
    #[test]
    fn expiry_dismissal_and_dedupe() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        push(&d, Some("n-1"), 0);
        push(&d, Some("n-1"), 10);
        assert_eq!(d.get().items.len(), 1);
        push(&d, None, 1_000);
        assert_eq!(d.get().next_expiry(), Some(TTL_MS));
        d.apply(ToastAction::Expire { now: TTL_MS });
        assert_eq!(d.get().items.len(), 1);
        let id = d.get().items[0].id;
        d.apply(ToastAction::Dismiss(id));
        assert!(d.get().items.is_empty());
    }

    /// A burst of alerts in one update: each key once, at most MAX_HELD held, newest kept.
    #[test]
    fn a_burst_is_bounded() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        let pushes = (0..MAX_HELD + 20)
            .chain([0])
            .map(|i| ToastAction::Push {
                kind: ToastKind::Message,
                title: format!("t{i}"),
                body: String::new(),
                link: None,
                key: Some(format!("k{i}")),
                now: 1,
            })
            .collect();
        d.apply(ToastAction::PushMany(pushes));
        let s = d.get();
        assert_eq!(s.items.len(), MAX_HELD);
        assert_eq!(s.items.last().unwrap().title, format!("t{}", MAX_HELD + 19));
        assert_eq!(s.visible().1, MAX_HELD - MAX_VISIBLE);
    }
}
