//! The outbox: order, one try at a time, refusals, retries with one key, offline, reload,
//! and a property test over random outcomes.

use ppt_protocol::RawJson;

use super::*;
use crate::testing::Lcg;

fn outbox() -> Outbox {
    Outbox::restore(Stored::default(), "s1", BackoffConfig::default())
}

fn sent(cmds: &[Command]) -> Vec<(u64, String)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Send(i) => Some((i.id, i.key.clone())),
            _ => None,
        })
        .collect()
}

fn states(o: &Outbox) -> Vec<(u64, ItemState)> {
    o.items().iter().map(|i| (i.id, i.state)).collect()
}

fn add(o: &mut Outbox, n: u64, now: u64) -> Vec<Command> {
    o.add(
        "/faults",
        RawJson::from_text(format!(r#"{{"title":{n}}}"#)).unwrap(),
        &format!("Fault {n}"),
        format!("key-{n}"),
        None,
        now,
    )
}

/// Creates go one at a time, in the order they were made.
#[test]
fn one_at_a_time_in_order() {
    let mut o = outbox();
    assert_eq!(sent(&add(&mut o, 1, 0)), [(1, "key-1".into())]);
    assert!(
        sent(&add(&mut o, 2, 0)).is_empty(),
        "the first is on its way"
    );
    let c = o.answered(
        1,
        Outcome::Sent(RawJson::from_text(r#"{"id":"9"}"#.into()).unwrap()),
        10,
        0.5,
    );
    assert!(
        matches!(&c[0], Command::Delivered { item, answer } if item.id == 1 && answer.text() == r#"{"id":"9"}"#)
    );
    assert_eq!(sent(&c), [(2, "key-2".into())]);
    let c = o.answered(
        2,
        Outcome::Sent(RawJson::from_text("{}".into()).unwrap()),
        20,
        0.5,
    );
    assert!(sent(&c).is_empty());
    assert!(matches!(c.last(), Some(Command::Persist(s)) if s.items.is_empty()));
}

/// A refusal marks that item failed with the server's reason; the rest go on. It can be
/// tried again or discarded.
#[test]
fn a_refusal_fails_that_item_only() {
    let mut o = outbox();
    add(&mut o, 1, 0);
    add(&mut o, 2, 0);
    let c = o.answered(1, Outcome::Refused("the vote is closed".into()), 5, 0.5);
    assert_eq!(sent(&c), [(2, "key-2".into())]);
    assert_eq!(o.items()[0].error.as_deref(), Some("the vote is closed"));
    assert_eq!(
        states(&o),
        [(1, ItemState::Failed), (2, ItemState::Sending)]
    );
    assert!(
        o.retry(1, 6).iter().all(|c| !matches!(c, Command::Send(_))),
        "2 is on its way"
    );
    o.answered(
        2,
        Outcome::Sent(RawJson::from_text("{}".into()).unwrap()),
        7,
        0.5,
    );
    // 1 was queued again by the retry: it goes now, with its first key.
    assert_eq!(states(&o), [(1, ItemState::Sending)]);
    o.answered(1, Outcome::Refused("still closed".into()), 8, 0.5);
    assert!(o
        .discard(1, 9)
        .iter()
        .any(|c| matches!(c, Command::Persist(s) if s.items.is_empty())));
}

/// An unreachable server holds the line (order is kept) and is tried again with the backoff,
/// always with the same key; coming back online tries at once.
#[test]
fn unreachable_retries_with_the_same_key() {
    let mut o = outbox();
    add(&mut o, 1, 0);
    add(&mut o, 2, 0);
    let c = o.answered(1, Outcome::Unreachable, 100, 0.5);
    assert!(sent(&c).is_empty(), "2 waits behind 1");
    assert!(c.contains(&Command::WakeAt(1_100)));
    assert!(sent(&o.tick(1_099)).is_empty());
    assert_eq!(sent(&o.tick(1_100)), [(1, "key-1".into())]);
    let c = o.answered(1, Outcome::Unreachable, 1_200, 0.5);
    assert!(
        c.contains(&Command::WakeAt(3_200)),
        "the second wait is longer: {c:?}"
    );
    assert_eq!(o.items()[0].attempts, 2);
    let c = o.set_online(true, 1_300);
    assert_eq!(sent(&c), [(1, "key-1".into())], "back online: at once");
}

/// Offline, nothing is tried; online again, the queue starts.
#[test]
fn offline_holds_the_queue() {
    let mut o = outbox();
    o.set_online(false, 0);
    assert!(sent(&add(&mut o, 1, 0)).is_empty());
    assert_eq!(states(&o), [(1, ItemState::Queued)]);
    assert_eq!(sent(&o.set_online(true, 5)), [(1, "key-1".into())]);
}

/// After a reload, an item that was on its way is queued again with its key, and new items
/// are numbered after the stored ones.
#[test]
fn a_reload_resumes_with_the_same_keys() {
    let mut o = outbox();
    add(&mut o, 1, 0);
    add(&mut o, 2, 0);
    let stored: Stored =
        serde_json::from_str(&serde_json::to_string(&o.stored()).unwrap()).unwrap();
    assert!(serde_json::to_string(&stored)
        .unwrap()
        .contains("\"state\":\"sending\""));
    let mut again = Outbox::restore(stored, "s1", BackoffConfig::default());
    assert_eq!(
        states(&again),
        [(1, ItemState::Queued), (2, ItemState::Queued)]
    );
    assert_eq!(sent(&again.tick(0)), [(1, "key-1".into())]);
    assert_eq!(sent(&add(&mut again, 3, 0)), []);
    assert_eq!(again.items()[2].id, 3);
    // Numbers are never reused, even once everything was delivered.
    let mut o = outbox();
    add(&mut o, 1, 0);
    o.answered(
        1,
        Outcome::Sent(RawJson::from_text("{}".into()).unwrap()),
        1,
        0.5,
    );
    let mut again = Outbox::restore(o.stored(), "s1", BackoffConfig::default());
    assert_eq!(sent(&add(&mut again, 2, 2)), [(2, "key-2".into())]);
}

/// What another session stored (another sign-in, a store planted by someone else, or one
/// from before stores were tagged) is discarded unsent; the same session's is resumed.
#[test]
fn only_the_session_that_stored_it_resumes_it() {
    let mut o = outbox();
    add(&mut o, 1, 0);
    let stored = o.stored();
    assert_eq!(stored.session, "s1");
    let same = Outbox::restore(stored.clone(), "s1", BackoffConfig::default());
    assert_eq!(same.items().len(), 1);
    assert_eq!(same.discarded(), 0);
    for (stored_by, now) in [("s1", "s2"), ("", "s2"), ("", "")] {
        let mut planted = stored.clone();
        planted.session = stored_by.into();
        let mut other = Outbox::restore(planted, now, BackoffConfig::default());
        assert!(other.items().is_empty(), "{stored_by:?} under {now:?}");
        assert_eq!(other.discarded(), 1);
        assert_eq!(sent(&other.tick(0)), []);
        assert_eq!(
            other.stored().session,
            now,
            "what it stores next is its own"
        );
    }
}

/// A 429 keeps the item queued and waits the time the server asked for: coming back online
/// does not cut the wait short; then the same item is tried again with its key.
#[test]
fn a_rate_limit_is_waited_out() {
    let mut o = outbox();
    let first = add(&mut o, 1, 0);
    assert_eq!(sent(&first), [(1, "key-1".into())]);
    let cmds = o.answered(1, Outcome::Limited(5_000), 100, 0.5);
    assert_eq!(sent(&cmds), []);
    assert!(cmds.contains(&Command::WakeAt(5_100)));
    assert_eq!(states(&o), [(1, ItemState::Queued)]);
    assert_eq!(
        o.items()[0].error.as_deref(),
        Some("too many at once; it goes in 5 s"),
        "what it waits for is shown"
    );
    assert_eq!(sent(&o.set_online(false, 200)), []);
    assert_eq!(
        sent(&o.set_online(true, 300)),
        [],
        "online again, still waiting"
    );
    assert_eq!(sent(&o.tick(5_000)), []);
    assert_eq!(sent(&o.tick(5_100)), [(1, "key-1".into())]);
    assert_eq!(o.items()[0].attempts, 0, "a wait is not a failed try");
}

/// Property: whatever the outcomes (lost answers, refusals, offline spells, reloads), every
/// try of an item carries its one key, an item is delivered at most once, deliveries come in
/// the order the items were made, and at most one try is on its way at any time.
#[test]
fn random_outcomes_keep_keys_order_and_once() {
    for seed in 0..300u64 {
        let mut rng = Lcg(seed + 17);
        let mut o = outbox();
        let mut now = 0;
        let mut in_flight: Option<Item> = None;
        let mut delivered: Vec<u64> = Vec::new();
        let mut refused: Vec<u64> = Vec::new();
        let mut made = 0u64;
        for _ in 0..200 {
            now += rng.next(3_000);
            let cmds = match rng.next(8) {
                0 | 1 if made < 20 => {
                    made += 1;
                    add(&mut o, made, now)
                }
                2..=4 if in_flight.is_some() => {
                    let item = in_flight.take().unwrap();
                    let outcome = match rng.next(5) {
                        0 => {
                            refused.push(item.id);
                            Outcome::Refused("no".into())
                        }
                        1 => Outcome::Unreachable,
                        2 => Outcome::Limited(rng.next(5_000)),
                        _ => Outcome::Sent(RawJson::from_text("{}".into()).unwrap()),
                    };
                    o.answered(item.id, outcome, now, 0.5)
                }
                5 => o.set_online(rng.next(3) != 0, now),
                6 => {
                    // A reload: the try on its way is forgotten by the page.
                    in_flight = None;
                    o = Outbox::restore(o.stored(), "s1", BackoffConfig::default());
                    o.tick(now)
                }
                _ => {
                    if let Some(failed) = o.items().iter().find(|i| i.state == ItemState::Failed) {
                        let id = failed.id;
                        if rng.next(2) == 0 {
                            o.retry(id, now)
                        } else {
                            o.discard(id, now)
                        }
                    } else {
                        o.tick(now)
                    }
                }
            };
            for c in cmds {
                match c {
                    Command::Send(item) => {
                        assert!(in_flight.is_none(), "seed {seed}: two tries at once");
                        assert_eq!(item.key, format!("key-{}", item.id), "seed {seed}");
                        in_flight = Some(item);
                    }
                    Command::Delivered { item, .. } => {
                        assert!(
                            !delivered.contains(&item.id),
                            "seed {seed}: delivered twice"
                        );
                        delivered.push(item.id);
                    }
                    _ => {}
                }
            }
        }
        // A refused item retried later may go after newer ones; the rest keep their order.
        let in_order: Vec<u64> = delivered
            .iter()
            .copied()
            .filter(|id| !refused.contains(id))
            .collect();
        assert!(
            in_order.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: out of order {in_order:?}"
        );
        assert!(
            o.items().iter().all(|i| !delivered.contains(&i.id)),
            "seed {seed}: a delivered item is still held"
        );
    }
}

/// The same create asked twice (its key seen before) is queued once.
#[test]
fn a_key_is_queued_once() {
    let mut o = outbox();
    add(&mut o, 1, 0);
    add(&mut o, 1, 0);
    assert_eq!(o.items().len(), 1);
}

/// The stored outbox keeps the format of earlier builds: what they stored is read, and
/// written back the same.
#[test]
fn the_stored_format_is_unchanged() {
    use crate::tabs::tests::{item, STORED};
    let stored: Stored = serde_json::from_str(STORED).unwrap();
    assert_eq!(stored.next_id, 3);
    assert_eq!(stored.items, [item(None), item(Some("r"))]);
    assert_eq!(serde_json::to_string(&stored).unwrap(), STORED);
}

/// A create that went through changes the list its resource names: the faults for a fault,
/// the votes for a ballot; a message is written into the inbox; anything else, nothing.
#[test]
fn a_delivered_create_changes_its_resources_list() {
    use ppt_protocol::QueryKey;
    assert_eq!(
        delivered("/faults"),
        Delivered::Refetch(QueryKey::new(["faults"]))
    );
    assert_eq!(
        delivered("/votes/7/ballots"),
        Delivered::Refetch(QueryKey::new(["votes"]))
    );
    assert_eq!(
        delivered("/announcements"),
        Delivered::Refetch(QueryKey::new(["announcements"]))
    );
    assert_eq!(delivered("/messages"), Delivered::WriteMessage);
    assert_eq!(delivered("/messages/4/read"), Delivered::Nothing);
    assert_eq!(delivered("/documents"), Delivered::Nothing);
    assert_eq!(delivered("/auth/login"), Delivered::Nothing);
}
