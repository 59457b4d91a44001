//! Catch-up: unit cases and a property test over arbitrary interleavings.

use ppt_protocol::envelope::{Authenticated, EntityAction, EntityChange};
use ppt_protocol::rest::MissedEvents;
use ppt_protocol::{EntityKind, Envelope, ServerEvent, Timestamp};

use super::*;
use crate::testing::Lcg;

fn ev(id: u64) -> Envelope {
    Envelope {
        event: ServerEvent::Entity(
            EntityAction::Updated,
            EntityChange {
                entity: EntityKind::Fault,
                id: id.to_string(),
                version: None,
            },
        ),
        timestamp: Timestamp(format!(
            "2026-11-26T12:00:{:02}.{:03}Z",
            (id / 1000) % 60,
            id % 1000
        )),
        request_id: None,
        id: Some(id),
        prev_id: None,
    }
}

fn auth(last: u64, epoch: &str) -> Authenticated {
    Authenticated {
        user_id: "1".into(),
        last_event_id: last,
        epoch: epoch.into(),
        server_time: Timestamp::default(),
    }
}

fn page(ids: &[u64], has_more: bool, latest: u64) -> MissedEvents {
    MissedEvents {
        events: ids.iter().map(|i| ev(*i)).collect(),
        has_more,
        latest_id: latest,
        epoch: "e".into(),
        reset_required: false,
    }
}

fn applied(cmds: &[CatchupCommand]) -> Vec<(u64, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            CatchupCommand::Apply { envelope, replayed } => Some((envelope.id.unwrap(), *replayed)),
            _ => None,
        })
        .collect()
}

fn cursor(last: u64) -> Cursor {
    Cursor {
        epoch: Some("e".into()),
        last_id: Some(last),
        last_timestamp: None,
    }
}

/// Missed events are fetched page by page, applied in order, then the held live events.
#[test]
fn catches_up_then_applies_the_buffer() {
    let mut s = Catchup::new(cursor(10));
    let c = s.authenticated(&auth(20, "e"));
    assert_eq!(
        c,
        vec![CatchupCommand::Fetch(PageRequest::After {
            id: 10,
            epoch: Some("e".into())
        })]
    );
    assert!(s.live(ev(21)).is_empty(), "held during catch-up");
    assert!(s.live(ev(22)).is_empty());
    let c = s.page(page(&[12, 15], true, 22));
    assert_eq!(applied(&c), vec![(12, true), (15, true)]);
    assert_eq!(
        c.last(),
        Some(&CatchupCommand::Fetch(PageRequest::After {
            id: 15,
            epoch: Some("e".into())
        }))
    );
    let c = s.page(page(&[19, 21], false, 22));
    assert_eq!(
        applied(&c),
        vec![(19, true), (21, true)],
        "21 came in the page; its live copy is dropped"
    );
    assert!(c.contains(&CatchupCommand::CaughtUp { applied: 4 }));
    assert_eq!(s.cursor().last_id, Some(22));
    assert!(!s.catching_up());
    assert!(
        applied(&s.live(ev(22))).is_empty(),
        "22 is at or below the cursor"
    );
    assert_eq!(applied(&s.live(ev(23))), vec![(23, false)]);
}

/// Live events after the page's `latestId` are applied from the buffer.
#[test]
fn buffer_after_latest_is_applied() {
    let mut s = Catchup::new(cursor(5));
    s.authenticated(&auth(6, "e"));
    s.live(ev(9));
    s.live(ev(8));
    let c = s.page(page(&[6], false, 7));
    assert_eq!(applied(&c), vec![(6, true), (8, false), (9, false)]);
}

/// Nothing missed: straight to live, with a catch-up report of zero.
#[test]
fn nothing_missed() {
    let mut s = Catchup::new(cursor(20));
    let c = s.authenticated(&auth(20, "e"));
    assert!(c.contains(&CatchupCommand::CaughtUp { applied: 0 }));
    assert!(!s.catching_up());
}

/// A new epoch, `resetRequired`, or a log that went backwards: refetch everything.
#[test]
fn resets() {
    let mut s = Catchup::new(cursor(20));
    assert_eq!(
        s.authenticated(&auth(3, "other"))[0],
        CatchupCommand::ResetAll
    );
    assert_eq!(s.cursor().last_id, Some(3));
    assert_eq!(s.cursor().epoch.as_deref(), Some("other"));

    let mut s = Catchup::new(cursor(20));
    assert_eq!(
        s.authenticated(&auth(3, "e"))[0],
        CatchupCommand::ResetAll,
        "same epoch, shorter log"
    );

    let mut s = Catchup::new(cursor(20));
    s.authenticated(&auth(30, "e"));
    s.live(ev(31));
    let mut p = page(&[], false, 30);
    p.reset_required = true;
    let c = s.page(p);
    assert_eq!(c[0], CatchupCommand::ResetAll);
    assert_eq!(
        s.cursor().last_id,
        Some(31),
        "the held events are covered by the refetch"
    );
    assert!(applied(&s.live(ev(32))) == vec![(32, false)]);
}

/// First connection without a cursor: start at the log's end and load fresh.
#[test]
fn first_connection_starts_at_the_end() {
    let mut s = Catchup::new(Cursor::default());
    let c = s.authenticated(&auth(42, "e"));
    assert_eq!(c[0], CatchupCommand::ResetAll);
    assert_eq!(s.cursor().last_id, Some(42));
    assert!(applied(&s.live(ev(42))).is_empty());
    assert_eq!(applied(&s.live(ev(43))), vec![(43, false)]);
}

/// A server without ids: the timestamp is the cursor.
#[test]
fn timestamp_fallback() {
    let no_id = |sec: u64| Envelope {
        id: None,
        ..ev(sec * 1000)
    };
    let mut s = Catchup::new(Cursor {
        epoch: None,
        last_id: None,
        last_timestamp: Some(no_id(1).timestamp),
    });
    let c = s.authenticated(&auth(0, "e"));
    assert_eq!(
        c,
        vec![CatchupCommand::Fetch(PageRequest::Since(
            no_id(1).timestamp.0
        ))]
    );
    s.live(no_id(5));
    let missed = MissedEvents {
        events: vec![no_id(2), no_id(3)],
        has_more: false,
        latest_id: 0,
        epoch: "e".into(),
        reset_required: false,
    };
    let c = s.page(missed);
    let stamps: Vec<_> = c
        .iter()
        .filter_map(|c| match c {
            CatchupCommand::Apply { envelope, .. } => Some(envelope.timestamp.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        stamps,
        vec![no_id(2).timestamp, no_id(3).timestamp, no_id(5).timestamp]
    );
    assert!(page_query(&PageRequest::Since(no_id(2).timestamp.0), 500)
        .starts_with("since=2026-11-26T12%3A00%3A02.000Z"));
}

/// A failed page is asked for again from the same place.
#[test]
fn failed_page_is_retried() {
    let mut s = Catchup::new(cursor(10));
    s.authenticated(&auth(20, "e"));
    s.page(page(&[11], true, 20));
    assert_eq!(
        s.page_failed(),
        vec![CatchupCommand::Fetch(PageRequest::After {
            id: 11,
            epoch: Some("e".into())
        })]
    );
}

/// Property: for any interleaving of live frames, replayed pages, duplicates and commit
/// points, every event the user may see after the cursor is applied exactly once, in id order.
#[test]
fn every_interleaving_applies_each_event_once_in_order() {
    for seed in 0..400u64 {
        let mut rng = Lcg(seed * 7 + 1);
        // The user's events: increasing ids with holes (others' events).
        let mut visible = Vec::new();
        let mut id = 0;
        for _ in 0..(20 + rng.next(60)) {
            id += 1 + rng.next(3);
            visible.push(id);
        }
        let start = visible[rng.next(visible.len() as u64 / 2) as usize];
        let joined_at = visible[(visible.len() / 2 + rng.next(visible.len() as u64 / 3) as usize)
            .min(visible.len() - 1)];
        let live: Vec<u64> = visible.iter().copied().filter(|i| *i > joined_at).collect();

        let mut s = Catchup::new(cursor(start));
        let mut got: Vec<u64> = Vec::new();
        let mut out = s.authenticated(&auth(joined_at, "e"));
        let mut delivered = 0usize;
        let mut committed = joined_at;
        let mut pending: Vec<PageRequest> = Vec::new();
        let mut steps = 0;
        loop {
            for c in std::mem::take(&mut out) {
                match c {
                    CatchupCommand::Fetch(r) => pending.push(r),
                    CatchupCommand::Apply { envelope, .. } => got.push(envelope.id.unwrap()),
                    _ => {}
                }
            }
            steps += 1;
            assert!(steps < 10_000, "seed {seed}: no progress");
            let can_live = delivered < live.len();
            if !can_live && pending.is_empty() {
                break;
            }
            if can_live && (pending.is_empty() || rng.next(2) == 0) {
                // Deliver the next live frame; sometimes repeat the previous one.
                let e = if delivered > 0 && rng.next(5) == 0 {
                    live[delivered - 1]
                } else {
                    delivered += 1;
                    live[delivered - 1]
                };
                committed = committed.max(e);
                out = s.live(ev(e));
            } else {
                let req = pending.remove(0);
                let PageRequest::After { id: after, .. } = req else {
                    panic!("ids are known")
                };
                // Events may be committed but not yet delivered when the page is read.
                if rng.next(3) == 0 {
                    committed = committed.max(
                        *live
                            .get(delivered + rng.next(3) as usize)
                            .unwrap_or(&committed),
                    );
                }
                let limit = 1 + rng.next(6) as usize;
                let all: Vec<u64> = visible
                    .iter()
                    .copied()
                    .filter(|i| *i > after && *i <= committed)
                    .collect();
                let has_more = all.len() > limit;
                let ids: Vec<u64> = all.into_iter().take(limit).collect();
                out = s.page(page(&ids, has_more, committed));
                if rng.next(8) == 0 {
                    // A duplicated answer of the same page changes nothing.
                    out.extend(s.page(page(&ids, has_more, committed)));
                }
            }
        }
        let want: Vec<u64> = visible.iter().copied().filter(|i| *i > start).collect();
        assert_eq!(
            got, want,
            "seed {seed}: start {start}, joined at {joined_at}"
        );
    }
}

/// While paused, polled pages apply new events once, in order, and move the cursor.
#[test]
fn polling_applies_new_events_once() {
    let mut s = Catchup::new(cursor(10));
    s.authenticated(&auth(10, "e"));
    assert_eq!(
        s.poll_request(),
        Some(PageRequest::After {
            id: 10,
            epoch: Some("e".into())
        })
    );
    let c = s.polled(page(&[11, 12], true, 14));
    assert_eq!(applied(&c), vec![(11, false), (12, false)]);
    assert!(c.contains(&CatchupCommand::Poll(PageRequest::After {
        id: 12,
        epoch: Some("e".into())
    })));
    let c = s.polled(page(&[12, 14], false, 14));
    assert_eq!(applied(&c), vec![(14, false)]);
    assert_eq!(s.cursor().last_id, Some(14));
}

/// Without a cursor (no socket ever opened in this browser), polling asks where the log
/// stands: that answer resets (everything is loaded again) and gives the cursor; the next
/// polls go after it, and a socket opened later catches up from the polled cursor.
#[test]
fn polling_without_a_cursor_starts_at_the_head() {
    let mut s = Catchup::new(Cursor::default());
    assert_eq!(s.poll_request(), Some(PageRequest::Head));
    let head = MissedEvents {
        reset_required: true,
        ..page(&[], false, 40)
    };
    let c = s.polled(head);
    assert!(c.contains(&CatchupCommand::ResetAll), "{c:?}");
    assert_eq!(s.cursor().last_id, Some(40));
    assert_eq!(
        s.poll_request(),
        Some(PageRequest::After {
            id: 40,
            epoch: Some("e".into())
        })
    );
    let c = s.polled(page(&[41, 43], false, 43));
    assert_eq!(applied(&c), vec![(41, false), (43, false)]);
    // The socket opens at last: catch-up starts from the polled cursor, and what polling
    // applied is not applied again.
    let c = s.authenticated(&auth(45, "e"));
    assert!(c.contains(&CatchupCommand::Fetch(PageRequest::After {
        id: 43,
        epoch: Some("e".into())
    })));
    let c = s.page(page(&[43, 44, 45], false, 45));
    assert_eq!(applied(&c), vec![(44, true), (45, true)]);
}

fn chained(id: u64, prev: u64) -> Envelope {
    Envelope {
        prev_id: Some(prev),
        ..ev(id)
    }
}

/// A `prevId` beyond the cursor holds the event and fetches the missing range first.
#[test]
fn a_gap_in_the_live_stream_is_filled_first() {
    let mut s = Catchup::new(cursor(10));
    s.authenticated(&auth(10, "e"));
    assert_eq!(
        applied(&s.live(chained(12, 10))),
        vec![(12, false)],
        "12 follows 10 for this user"
    );
    let c = s.live(chained(20, 15));
    assert_eq!(
        c,
        vec![CatchupCommand::Fetch(PageRequest::After {
            id: 12,
            epoch: Some("e".into())
        })]
    );
    assert!(
        s.live(chained(21, 20)).is_empty(),
        "held while the gap is filled"
    );
    let c = s.page(page(&[15, 20], false, 20));
    assert_eq!(applied(&c), vec![(15, true), (20, true), (21, false)]);
    assert!(c.contains(&CatchupCommand::GapFilled { applied: 2 }));
}

/// Property: whatever live frames go missing, the `prevId` chain finds every hole and each
/// event is applied exactly once, in order.
#[test]
fn dropped_live_frames_are_recovered() {
    for seed in 0..300u64 {
        let mut rng = Lcg(seed * 13 + 5);
        let mut visible = Vec::new();
        let mut id = 0;
        for _ in 0..(10 + rng.next(50)) {
            id += 1 + rng.next(4);
            visible.push(id);
        }
        let mut s = Catchup::new(cursor(0));
        let mut got = Vec::new();
        let mut pending = Vec::new();
        let collect =
            |cmds: Vec<CatchupCommand>, got: &mut Vec<u64>, pending: &mut Vec<PageRequest>| {
                for c in cmds {
                    match c {
                        CatchupCommand::Apply { envelope, .. } => got.push(envelope.id.unwrap()),
                        CatchupCommand::Fetch(r) => pending.push(r),
                        _ => {}
                    }
                }
            };
        collect(s.authenticated(&auth(0, "e")), &mut got, &mut pending);
        let mut prev = 0;
        let mut delivered_upto = 0;
        for &i in &visible {
            let dropped = rng.next(4) == 0;
            if !dropped {
                collect(s.live(chained(i, prev)), &mut got, &mut pending);
                delivered_upto = i;
            }
            prev = i;
            while !pending.is_empty() && rng.next(2) == 0 {
                let PageRequest::After { id: after, .. } = pending.remove(0) else {
                    unreachable!()
                };
                let ids: Vec<u64> = visible
                    .iter()
                    .copied()
                    .filter(|v| *v > after && *v <= delivered_upto.max(i))
                    .take(3)
                    .collect();
                let more = visible
                    .iter()
                    .filter(|v| **v > after && **v <= delivered_upto.max(i))
                    .count()
                    > 3;
                collect(
                    s.page(page(&ids, more, delivered_upto.max(i))),
                    &mut got,
                    &mut pending,
                );
            }
        }
        while let Some(r) = (!pending.is_empty()).then(|| pending.remove(0)) {
            let PageRequest::After { id: after, .. } = r else {
                unreachable!()
            };
            let last = *visible.last().unwrap();
            let ids: Vec<u64> = visible
                .iter()
                .copied()
                .filter(|v| *v > after)
                .take(3)
                .collect();
            let more = visible.iter().filter(|v| **v > after).count() > 3;
            collect(s.page(page(&ids, more, last)), &mut got, &mut pending);
        }
        // Frames dropped at the very end have no later frame to reveal them; the next
        // reconnection's catch-up covers those. Everything up to the last delivered frame:
        let want: Vec<u64> = visible
            .iter()
            .copied()
            .filter(|v| *v <= delivered_upto)
            .collect();
        let got_upto: Vec<u64> = got
            .iter()
            .copied()
            .filter(|v| *v <= delivered_upto)
            .collect();
        assert_eq!(got_upto, want, "seed {seed}");
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: in order, once"
        );
    }
}
