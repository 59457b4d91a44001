//! Toasts: short notices at the corner of the screen. At most [`MAX_VISIBLE`] show, the rest
//! are summarised; each hides itself after [`TTL_MS`] unless dismissed sooner. (Which alerts
//! become toasts, each once, is the live core's decision: [`ppt_realtime::live`].)

use std::rc::Rc;

use yewdux::{Reducer, Store};

/// What a toast is and what can happen to toasts are the core's words (its live core decides
/// them); the store below keeps them on screen.
pub use ppt_realtime::toast::{ToastAction, ToastKind, TTL_MS};

/// How many toasts show at once.
pub const MAX_VISIBLE: usize = 3;

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
}

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
        now,
    } = push
    else {
        return;
    };
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

    fn push(d: &Dispatch<Toasts>, now: u64) {
        d.apply(ToastAction::Push {
            kind: ToastKind::Notification,
            title: "t".into(),
            body: "b".into(),
            link: None,
            now,
        });
    }

    /// At most three show, the newest; the rest are counted.
    #[test]
    fn at_most_three_visible() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        for i in 0..5 {
            push(&d, i);
        }
        let s = d.get();
        let (shown, more) = s.visible();
        assert_eq!(
            shown.iter().map(|t| t.created_at).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(more, 2);
    }

    /// Toasts expire after the TTL and can be dismissed.
    #[test]
    fn expiry_and_dismissal() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        push(&d, 0);
        push(&d, 1_000);
        assert_eq!(d.get().next_expiry(), Some(TTL_MS));
        d.apply(ToastAction::Expire { now: TTL_MS });
        assert_eq!(d.get().items.len(), 1);
        let id = d.get().items[0].id;
        d.apply(ToastAction::Dismiss(id));
        assert!(d.get().items.is_empty());
    }

    /// A burst of alerts in one update: at most MAX_HELD held, newest kept.
    #[test]
    fn a_burst_is_bounded() {
        let d = Dispatch::<Toasts>::new(&Context::new());
        let pushes = (0..MAX_HELD + 20)
            .map(|i| ToastAction::Push {
                kind: ToastKind::Message,
                title: format!("t{i}"),
                body: String::new(),
                link: None,
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
