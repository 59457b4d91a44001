//! The message cache and the unread total. Messages arrive from `GET /messages` and from
//! `message:new`; each is held once (by id), newest first, whichever way it came first.

use std::rc::Rc;

use ppt_protocol::rest::Message;
use yewdux::{Reducer, Store};

use crate::api::ApiError;

/// My messages and the unread badge's number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct Messages {
    /// Newest first. Shared copies: an update clones pointers, not a thousand messages, and
    /// the inbox's rows compare them by address.
    pub list: Vec<Rc<Message>>,
    pub loaded: bool,
    pub unread: u64,
    pub error: Option<ApiError>,
}

impl Messages {
    /// Whether a message is held.
    pub fn contains(&self, id: &str) -> bool {
        // A live arrival is usually newer than everything held: no need to look.
        !newer_than_all(&self.list, id) && self.list.iter().any(|m| m.id == id)
    }
}

/// One conversation with a neighbour, as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: String,
    /// The other participant.
    pub partner_id: String,
    /// The newest message.
    pub last: Rc<Message>,
    /// Unread messages to me in it.
    pub unread: usize,
}

/// The conversations in `list` (newest first), newest conversation first.
pub fn conversations(list: &[Rc<Message>], me: &str) -> Vec<Conversation> {
    let mut out: Vec<Conversation> = Vec::new();
    for m in list {
        let unread = usize::from(m.to_user_id == me && !m.read);
        match out.iter_mut().find(|c| c.id == m.conversation_id) {
            Some(c) => c.unread += unread,
            None => out.push(Conversation {
                id: m.conversation_id.clone(),
                partner_id: if m.from_user_id == me {
                    m.to_user_id.clone()
                } else {
                    m.from_user_id.clone()
                },
                last: m.clone(),
                unread,
            }),
        }
    }
    out
}

/// Orders ids as numbers when they are numbers (the server's are), else as text.
fn order_key(id: &str) -> (u64, &str) {
    (id.parse().unwrap_or(u64::MAX), id)
}

/// Whether `id` is newer than every message in `list` (newest first).
fn newer_than_all(list: &[Rc<Message>], id: &str) -> bool {
    list.first()
        .is_none_or(|head| order_key(&head.id) < order_key(id))
}

/// How many messages the cache holds at most (the newest; the server lists its newest 500).
/// Bounds memory and the work per update however long a tab stays open.
pub const MAX_CACHED: usize = 1000;

/// Inserts a message unless held; keeps newest first. Returns whether it was new.
pub fn merge_message(list: &mut Vec<Rc<Message>>, m: Rc<Message>) -> bool {
    // The common case: a live arrival newer than everything held.
    if newer_than_all(list, &m.id) {
        list.insert(0, m);
        return true;
    }
    if let Some(existing) = list.iter_mut().find(|x| x.id == m.id) {
        // The later copy knows more (e.g. that it was read).
        if m.read && !existing.read {
            Rc::make_mut(existing).read = true;
        }
        return false;
    }
    let pos = list
        .iter()
        .position(|x| order_key(&x.id) < order_key(&m.id))
        .unwrap_or(list.len());
    list.insert(pos, m);
    true
}

fn receive(s: &mut Messages, message: Message, me: &str) {
    let counts = message.to_user_id == me && !message.read;
    if merge_message(&mut s.list, Rc::new(message)) && counts {
        s.unread += 1;
    }
}

/// What can happen to the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesAction {
    /// A full list from the server: merged with what arrived live meanwhile.
    Loaded(Vec<Message>),
    /// One message from `message:new` or `POST /messages`; `me` decides whether it counts as unread.
    Received {
        message: Message,
        me: String,
    },
    /// Several live messages at once (one update for a burst of events).
    ReceivedMany {
        messages: Vec<Message>,
        me: String,
    },
    /// The server's unread total.
    Unread(u64),
    /// A conversation of mine was read (here or in another session).
    ConversationRead {
        conversation_id: String,
        me: String,
    },
    Failed(ApiError),
    /// Logout: forget everything.
    Clear,
}

impl Reducer<Messages> for MessagesAction {
    fn apply(self, mut state: Rc<Messages>) -> Rc<Messages> {
        let s = Rc::make_mut(&mut state);
        match self {
            MessagesAction::Loaded(list) => {
                // The server's copy wins for what it knows; live arrivals it lacks stay.
                let mut merged: Vec<Rc<Message>> = list.into_iter().map(Rc::new).collect();
                merged.sort_by(|a, b| order_key(&b.id).cmp(&order_key(&a.id)));
                for m in std::mem::take(&mut s.list) {
                    merge_message(&mut merged, m);
                }
                s.list = merged;
                s.loaded = true;
                s.error = None;
            }
            MessagesAction::Received { message, me } => receive(s, message, &me),
            MessagesAction::ReceivedMany { messages, me } => {
                for message in messages {
                    receive(s, message, &me);
                }
            }
            MessagesAction::Unread(n) => s.unread = n,
            MessagesAction::ConversationRead {
                conversation_id,
                me,
            } => {
                for m in s.list.iter_mut().filter(|m| {
                    m.conversation_id == conversation_id && m.to_user_id == me && !m.read
                }) {
                    Rc::make_mut(m).read = true;
                }
            }
            MessagesAction::Failed(e) => s.error = Some(e),
            MessagesAction::Clear => *s = Messages::default(),
        }
        s.list.truncate(MAX_CACHED);
        state
    }
}

#[cfg(test)]
mod tests {
    use ppt_protocol::Timestamp;
    use yewdux::{Context, Dispatch};

    use super::*;

    fn m(id: &str, from: &str, to: &str) -> Message {
        Message {
            id: id.into(),
            conversation_id: format!("{}-{}", from.min(to), from.max(to)),
            from_user_id: from.into(),
            from_name: "x".into(),
            to_user_id: to.into(),
            body: format!("body {id}"),
            sent_at: Timestamp::default(),
            read: false,
        }
    }

    fn ids(s: &Messages) -> Vec<&str> {
        s.list.iter().map(|m| m.id.as_str()).collect()
    }

    /// A live message and the refetch that also brings it leave one copy, newest first.
    #[test]
    fn live_and_refetched_copies_merge() {
        let d = Dispatch::<Messages>::new(&Context::new());
        d.apply(MessagesAction::Received {
            message: m("12", "2", "1"),
            me: "1".into(),
        });
        d.apply(MessagesAction::Loaded(vec![
            m("3", "2", "1"),
            m("12", "2", "1"),
            m("10", "1", "2"),
        ]));
        assert_eq!(ids(&d.get()), vec!["12", "10", "3"]);
        d.apply(MessagesAction::Received {
            message: m("12", "2", "1"),
            me: "1".into(),
        });
        assert_eq!(ids(&d.get()), vec!["12", "10", "3"], "no duplicate");
    }

    /// A message arriving during a refetch is not lost when the (older) list lands.
    #[test]
    fn arrivals_during_a_fetch_survive_it() {
        let d = Dispatch::<Messages>::new(&Context::new());
        d.apply(MessagesAction::Received {
            message: m("20", "3", "1"),
            me: "1".into(),
        });
        d.apply(MessagesAction::Loaded(vec![m("5", "2", "1")]));
        assert_eq!(ids(&d.get()), vec!["20", "5"]);
    }

    /// New unread messages to me raise the count once; my own and known ones do not.
    #[test]
    fn unread_counts_each_new_message_once() {
        let d = Dispatch::<Messages>::new(&Context::new());
        d.apply(MessagesAction::Unread(1));
        d.apply(MessagesAction::Received {
            message: m("7", "2", "1"),
            me: "1".into(),
        });
        d.apply(MessagesAction::Received {
            message: m("7", "2", "1"),
            me: "1".into(),
        });
        d.apply(MessagesAction::Received {
            message: m("8", "1", "2"),
            me: "1".into(),
        });
        assert_eq!(d.get().unread, 2);
        d.apply(MessagesAction::ConversationRead {
            conversation_id: "1-2".into(),
            me: "1".into(),
        });
        assert!(d
            .get()
            .list
            .iter()
            .filter(|m| m.to_user_id == "1")
            .all(|m| m.read));
        d.apply(MessagesAction::Unread(0));
        assert_eq!(d.get().unread, 0);
        d.apply(MessagesAction::Clear);
        assert_eq!(*d.get(), Messages::default());
    }

    /// Conversations come newest first, each with its partner, newest message and unread count.
    #[test]
    fn conversations_group_the_inbox() {
        let mut list = Vec::new();
        for msg in [
            m("9", "3", "1"),
            m("8", "1", "2"),
            m("7", "2", "1"),
            m("5", "3", "1"),
        ] {
            merge_message(&mut list, Rc::new(msg));
        }
        let cs = conversations(&list, "1");
        let summary: Vec<(&str, &str, &str, usize)> = cs
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.partner_id.as_str(),
                    c.last.id.as_str(),
                    c.unread,
                )
            })
            .collect();
        assert_eq!(summary, vec![("1-3", "3", "9", 2), ("1-2", "2", "8", 1)]);
    }

    /// Property: any interleaving of live and listed copies ends with each id once, sorted.
    #[test]
    fn merge_is_order_independent() {
        let all: Vec<Message> = (1..=30).map(|i| m(&i.to_string(), "2", "1")).collect();
        let mut seed = 11u64;
        for _ in 0..200 {
            let d = Dispatch::<Messages>::new(&Context::new());
            let mut batch = Vec::new();
            for msg in &all {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                match seed >> 62 {
                    0 => d.apply(MessagesAction::Received {
                        message: msg.clone(),
                        me: "1".into(),
                    }),
                    1 => batch.push(msg.clone()),
                    2 => {
                        batch.push(msg.clone());
                        d.apply(MessagesAction::Received {
                            message: msg.clone(),
                            me: "1".into(),
                        });
                    }
                    _ => {
                        d.apply(MessagesAction::Loaded(std::mem::take(&mut batch)));
                        d.apply(MessagesAction::Received {
                            message: msg.clone(),
                            me: "1".into(),
                        });
                    }
                }
            }
            d.apply(MessagesAction::Loaded(batch));
            let got: Vec<u64> = d.get().list.iter().map(|m| m.id.parse().unwrap()).collect();
            let want: Vec<u64> = (1..=30).rev().collect();
            assert_eq!(got, want);
        }
    }

    /// A burst applied at once ends as the same messages applied one by one, unread counted once.
    #[test]
    fn a_burst_equals_its_messages_one_by_one() {
        let burst: Vec<Message> = [5, 3, 9, 3, 7]
            .iter()
            .map(|i| m(&i.to_string(), "2", "1"))
            .collect();
        let one = Dispatch::<Messages>::new(&Context::new());
        for msg in &burst {
            one.apply(MessagesAction::Received {
                message: msg.clone(),
                me: "1".into(),
            });
        }
        let many = Dispatch::<Messages>::new(&Context::new());
        many.apply(MessagesAction::ReceivedMany {
            messages: burst,
            me: "1".into(),
        });
        assert_eq!(one.get(), many.get());
        assert_eq!(ids(&many.get()), vec!["9", "7", "5", "3"]);
        assert_eq!(many.get().unread, 4);
    }

    /// The cache keeps the newest MAX_CACHED messages, however many arrive.
    #[test]
    fn the_cache_is_bounded() {
        let d = Dispatch::<Messages>::new(&Context::new());
        d.apply(MessagesAction::ReceivedMany {
            messages: (1..=(MAX_CACHED as u64 + 250))
                .map(|i| m(&i.to_string(), "2", "1"))
                .collect(),
            me: "1".into(),
        });
        let s = d.get();
        assert_eq!(s.list.len(), MAX_CACHED);
        assert_eq!(s.list[0].id, (MAX_CACHED + 250).to_string());
        assert_eq!(s.unread, MAX_CACHED as u64 + 250);
    }
}
