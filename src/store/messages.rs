//! My messages as the query store holds them: the inbox at `["messages"]` (newest first,
//! each message once by id, whichever way it came first) and the unread total at
//! `["messages", "unread-count"]`. Both are fetched like any query; live events write into
//! them in place ([`MessageWrite`], as TanStack Query's `setQueryData` does), and a refetch
//! of the inbox merges with what arrived while it was on the way.

use std::rc::Rc;

use ppt_protocol::rest::{Message, UnreadCount};

use super::lists::{MESSAGES, UNREAD};
use super::queries::{Queries, QueryData};

/// The inbox: my messages, newest first. Shared copies: an update clones pointers, not a
/// thousand messages, and the inbox's rows compare them by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "Vec<Message>")]
pub struct Inbox {
    pub list: Vec<Rc<Message>>,
}

impl From<Vec<Message>> for Inbox {
    fn from(list: Vec<Message>) -> Self {
        let mut list: Vec<Rc<Message>> = list.into_iter().map(Rc::new).collect();
        list.sort_by(|a, b| order_key(&b.id).cmp(&order_key(&a.id)));
        list.dedup_by(|a, b| a.id == b.id);
        list.truncate(MAX_CACHED);
        Inbox { list }
    }
}

impl Inbox {
    /// Whether a message is held.
    pub fn contains(&self, id: &str) -> bool {
        // A live arrival is usually newer than everything held: no need to look.
        !newer_than_all(&self.list, id) && self.list.iter().any(|m| m.id == id)
    }

    /// After a refetch (this is the server's list): what the server knows wins, messages it
    /// did not list yet (they arrived while it was on the way) stay.
    pub fn absorb(&mut self, held: &Inbox) {
        for m in &held.list {
            merge_message(&mut self.list, m.clone());
        }
        self.list.truncate(MAX_CACHED);
    }

    /// Takes a message in; returns whether it was new.
    fn receive(&mut self, m: Message) -> bool {
        let new = merge_message(&mut self.list, Rc::new(m));
        self.list.truncate(MAX_CACHED);
        new
    }

    /// Marks my messages in a conversation read.
    /// Whether a recipient's read of message `id` changes any message `me` sent.
    fn read_by_recipient(&self, id: &str, me: &str) -> bool {
        self.sent_up_to(id, me).any(|m| !m.read)
    }

    /// Marks message `id`, if `me` sent it, and my earlier ones in its conversation read.
    fn mark_read_by_recipient(&mut self, id: &str, me: &str) {
        let ids: Vec<String> = self
            .sent_up_to(id, me)
            .filter(|m| !m.read)
            .map(|m| m.id.clone())
            .collect();
        for m in self.list.iter_mut().filter(|m| ids.contains(&m.id)) {
            Rc::make_mut(m).read = true;
        }
    }

    /// The messages `me` sent in the conversation of message `id`, up to it.
    fn sent_up_to<'a>(&'a self, id: &'a str, me: &'a str) -> impl Iterator<Item = &'a Message> {
        let target = self
            .list
            .iter()
            .find(|m| m.id == id && m.from_user_id == me);
        self.list.iter().map(|m| &**m).filter(move |m| {
            target.is_some_and(|t| {
                m.conversation_id == t.conversation_id
                    && m.from_user_id == me
                    && order_key(&m.id) <= order_key(&t.id)
            })
        })
    }

    fn read(&mut self, conversation_id: &str, me: &str) {
        for m in self
            .list
            .iter_mut()
            .filter(|m| m.conversation_id == conversation_id && m.to_user_id == me && !m.read)
        {
            Rc::make_mut(m).read = true;
        }
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

/// How many messages the cache holds at most (the newest; the server lists 500 a page, and
/// "load older" asks for more). Bounds memory and the work per update however long a tab
/// stays open.
pub const MAX_CACHED: usize = 5000;

/// Inserts a message unless held; keeps newest first. Returns whether it was new.
fn merge_message(list: &mut Vec<Rc<Message>>, m: Rc<Message>) -> bool {
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

/// A write into the cached messages, from a live event or my own change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageWrite {
    /// Messages from `message:new` or `POST /messages`; new ones to `me`, unread, raise the
    /// total by one each.
    Received { messages: Vec<Message>, me: String },
    /// A conversation of mine was read (here or in another session).
    ConversationRead { conversation_id: String, me: String },
    /// The server's unread total.
    Unread(u64),
    /// Message `id` was read by its recipient: if `me` sent it, it and my earlier messages in
    /// its conversation are read (as the server marks them).
    ReadByRecipient { id: String, me: String },
}

/// Carries out a write on the query store. Messages arriving before the inbox was ever
/// fetched are held, so a fetch on its way cannot lose them.
pub fn apply(queries: &mut Queries, write: MessageWrite) {
    match write {
        MessageWrite::Received { messages, me } => {
            let entry = queries.entries.entry(MESSAGES.key()).or_default();
            let mut inbox = match &entry.data {
                Some(QueryData::Inbox(i)) => i.clone(),
                _ => Rc::default(),
            };
            let mut unread = 0;
            for m in messages {
                let counts = m.to_user_id == me && !m.read;
                if Rc::make_mut(&mut inbox).receive(m) && counts {
                    unread += 1;
                }
            }
            entry.data = Some(QueryData::Inbox(inbox));
            if unread > 0 {
                if let Some(QueryData::Unread(c)) = &mut queries
                    .entries
                    .get_mut(&UNREAD.key())
                    .and_then(|e| e.data.as_mut())
                {
                    Rc::make_mut(c).count += unread;
                }
            }
        }
        MessageWrite::ConversationRead {
            conversation_id,
            me,
        } => {
            if let Some(QueryData::Inbox(inbox)) = queries
                .entries
                .get_mut(&MESSAGES.key())
                .and_then(|e| e.data.as_mut())
            {
                Rc::make_mut(inbox).read(&conversation_id, &me);
            }
        }
        MessageWrite::Unread(count) => {
            queries.entries.entry(UNREAD.key()).or_default().data =
                Some(QueryData::Unread(Rc::new(UnreadCount { count })));
        }
        MessageWrite::ReadByRecipient { id, me } => {
            if let Some(QueryData::Inbox(inbox)) = queries
                .entries
                .get_mut(&MESSAGES.key())
                .and_then(|e| e.data.as_mut())
            {
                if inbox.read_by_recipient(&id, &me) {
                    Rc::make_mut(inbox).mark_read_by_recipient(&id, &me);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ppt_protocol::Timestamp;

    use super::*;
    use crate::store::queries::QueriesAction;
    use yewdux::{Context, Dispatch};

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

    fn store() -> Dispatch<Queries> {
        Dispatch::<Queries>::new(&Context::new())
    }

    fn received(d: &Dispatch<Queries>, messages: Vec<Message>) {
        d.apply(QueriesAction::Write(MessageWrite::Received {
            messages,
            me: "1".into(),
        }));
    }

    /// The inbox query's fetch landing.
    fn loaded(d: &Dispatch<Queries>, list: Vec<Message>) {
        d.apply(QueriesAction::Fetched {
            key: MESSAGES.key(),
            data: QueryData::Inbox(Rc::new(Inbox::from(list))),
            now: 0,
            foreign: false,
        });
    }

    fn inbox(d: &Dispatch<Queries>) -> Rc<Inbox> {
        match d.get().get(&MESSAGES.key()).and_then(|e| e.data.clone()) {
            Some(QueryData::Inbox(i)) => i,
            _ => Rc::default(),
        }
    }

    fn ids(d: &Dispatch<Queries>) -> Vec<String> {
        inbox(d).list.iter().map(|m| m.id.clone()).collect()
    }

    fn unread(d: &Dispatch<Queries>) -> Option<u64> {
        match d.get().get(&UNREAD.key()).and_then(|e| e.data.clone()) {
            Some(QueryData::Unread(c)) => Some(c.count),
            _ => None,
        }
    }

    /// A live message and the refetch that also brings it leave one copy, newest first.
    #[test]
    fn live_and_refetched_copies_merge() {
        let d = store();
        received(&d, vec![m("12", "2", "1")]);
        loaded(
            &d,
            vec![m("3", "2", "1"), m("12", "2", "1"), m("10", "1", "2")],
        );
        assert_eq!(ids(&d), ["12", "10", "3"]);
        received(&d, vec![m("12", "2", "1")]);
        assert_eq!(ids(&d), ["12", "10", "3"], "no duplicate");
    }

    /// A message arriving during a refetch is not lost when the (older) list lands, and the
    /// server's copy wins for what it knows (here: that a message was read).
    #[test]
    fn arrivals_during_a_fetch_survive_it() {
        let d = store();
        received(&d, vec![m("20", "3", "1"), m("5", "2", "1")]);
        let mut read = m("5", "2", "1");
        read.read = true;
        loaded(&d, vec![read]);
        assert_eq!(ids(&d), ["20", "5"]);
        assert!(inbox(&d).list[1].read);
    }

    /// A distrusted inbox (the event log was reset) stays shown until the next fetch, which
    /// replaces it instead of merging what it held; later fetches merge again.
    #[test]
    fn a_distrusted_inbox_is_replaced_by_the_next_fetch() {
        let d = store();
        loaded(&d, vec![m("3", "2", "1"), m("9", "2", "1")]);
        d.apply(QueriesAction::Distrust(MESSAGES.key()));
        assert_eq!(ids(&d), ["9", "3"], "still shown");
        loaded(&d, vec![m("4", "2", "1")]);
        assert_eq!(ids(&d), ["4"], "nothing held survives the reset");
        received(&d, vec![m("5", "2", "1")]);
        loaded(&d, vec![m("4", "2", "1")]);
        assert_eq!(ids(&d), ["5", "4"], "merging again");
    }

    /// New unread messages to me raise the held total once; my own and known ones do not; a
    /// read conversation is marked, and the server's total replaces the held one.
    #[test]
    fn unread_counts_each_new_message_once() {
        let d = store();
        received(&d, vec![m("6", "2", "1")]);
        assert_eq!(unread(&d), None, "no total held: nothing to raise");
        d.apply(QueriesAction::Write(MessageWrite::Unread(1)));
        received(&d, vec![m("7", "2", "1")]);
        received(&d, vec![m("7", "2", "1"), m("8", "1", "2")]);
        assert_eq!(unread(&d), Some(2));
        d.apply(QueriesAction::Write(MessageWrite::ConversationRead {
            conversation_id: "1-2".into(),
            me: "1".into(),
        }));
        assert!(inbox(&d)
            .list
            .iter()
            .filter(|m| m.to_user_id == "1")
            .all(|m| m.read));
        d.apply(QueriesAction::Write(MessageWrite::Unread(0)));
        assert_eq!(unread(&d), Some(0));
    }

    /// Conversations come newest first, each with its partner, newest message and unread count.
    #[test]
    fn conversations_group_the_inbox() {
        let inbox = Inbox::from(vec![
            m("9", "3", "1"),
            m("8", "1", "2"),
            m("7", "2", "1"),
            m("5", "3", "1"),
        ]);
        let cs = conversations(&inbox.list, "1");
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
            let d = store();
            let mut batch = Vec::new();
            for msg in &all {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                match seed >> 62 {
                    0 => received(&d, vec![msg.clone()]),
                    1 => batch.push(msg.clone()),
                    2 => {
                        batch.push(msg.clone());
                        received(&d, vec![msg.clone()]);
                    }
                    _ => {
                        loaded(&d, std::mem::take(&mut batch));
                        received(&d, vec![msg.clone()]);
                    }
                }
            }
            loaded(&d, batch);
            let got: Vec<u64> = ids(&d).iter().map(|i| i.parse().unwrap()).collect();
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
        let one = store();
        one.apply(QueriesAction::Write(MessageWrite::Unread(0)));
        for msg in &burst {
            received(&one, vec![msg.clone()]);
        }
        let many = store();
        many.apply(QueriesAction::Write(MessageWrite::Unread(0)));
        received(&many, burst);
        assert_eq!(one.get(), many.get());
        assert_eq!(ids(&many), ["9", "7", "5", "3"]);
        assert_eq!(unread(&many), Some(4));
    }

    /// The cache keeps the newest MAX_CACHED messages, however many arrive.
    #[test]
    fn the_cache_is_bounded() {
        let d = store();
        d.apply(QueriesAction::Write(MessageWrite::Unread(0)));
        received(
            &d,
            (1..=(MAX_CACHED as u64 + 250))
                .map(|i| m(&i.to_string(), "2", "1"))
                .collect(),
        );
        let inbox = inbox(&d);
        assert_eq!(inbox.list.len(), MAX_CACHED);
        assert_eq!(inbox.list[0].id, (MAX_CACHED + 250).to_string());
        assert_eq!(unread(&d), Some(MAX_CACHED as u64 + 250));
    }

    /// The recipient read message 3: it and my earlier ones to them show read; theirs to me,
    /// and mine in another conversation, do not change; a read of a message not mine or not
    /// held changes nothing.
    #[test]
    fn a_read_by_the_recipient_marks_mine_up_to_it() {
        let d = store();
        loaded(
            &d,
            vec![
                m("1", "1", "2"),
                m("2", "2", "1"),
                m("3", "1", "2"),
                m("4", "1", "2"),
                m("5", "1", "3"),
            ],
        );
        let read = |id: &str| {
            d.apply(QueriesAction::Write(MessageWrite::ReadByRecipient {
                id: id.into(),
                me: "1".into(),
            }))
        };
        read("3");
        let state = |d: &Dispatch<Queries>| -> Vec<(String, bool)> {
            let mut v: Vec<_> = inbox(d)
                .list
                .iter()
                .map(|m| (m.id.clone(), m.read))
                .collect();
            v.sort();
            v
        };
        let after = state(&d);
        assert_eq!(
            after,
            [
                ("1".to_owned(), true),
                ("2".to_owned(), false),
                ("3".to_owned(), true),
                ("4".to_owned(), false),
                ("5".to_owned(), false)
            ]
        );
        read("2");
        read("99");
        assert_eq!(state(&d), after);
    }
}
