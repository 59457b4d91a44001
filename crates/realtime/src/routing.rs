//! Event routing: what one server event means for the app, as a list of effects, and the
//! alert rule (which events are news for me, on which channels). Pure: the caller passes in
//! who I am, my preferences and the circumstances. The live core ([`super::live`]) is its
//! only caller.

use ppt_protocol::envelope::EntityAction;
use ppt_protocol::query::key_for_entity;
use ppt_protocol::rest::{Message, NotificationCategory, NotificationPreferences};
use ppt_protocol::{EntityKind, Envelope, QueryKey, ServerEvent};

use super::notify::{decide, Circumstances, Delivery};

/// Something the app should do because of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Put a message into the cache (the store ignores one it already holds).
    Message(Message),
    /// The unread total, from the server.
    Unread(u64),
    /// A conversation was read in another session.
    ConversationRead(String),
    /// The preferences changed in another session.
    Preferences(NotificationPreferences),
    /// A message was read by its recipient (`entity:updated message`): if it is one I sent,
    /// it and my earlier ones in its conversation show "Read".
    MessageRead(String),
    /// News for the user: on `delivery`'s channels (none when replayed or muted by the
    /// preferences; a replayed alert is still counted in the catch-up summary).
    Alert(Alert),
    /// Data behind these keys changed.
    Invalidate {
        key: QueryKey,
        entity: EntityKind,
        id: String,
        version: Option<u64>,
    },
}

/// One alert for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub category: NotificationCategory,
    /// Stable across live delivery and replay, for de-duplication.
    pub key: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub delivery: Delivery,
}

/// What routing needs to know.
pub struct RouteCtx<'a> {
    /// My user id.
    pub me: &'a str,
    pub prefs: &'a NotificationPreferences,
    pub tab_hidden: bool,
    pub browser_permitted: bool,
    /// The frame is a replay after an outage.
    pub replayed: bool,
}

/// The effects of one frame.
pub fn route(envelope: &Envelope, ctx: &RouteCtx<'_>) -> Vec<Effect> {
    // Only news for me is alerted: never my own doing (the callers see to that).
    let circumstances = Circumstances {
        own: false,
        tab_hidden: ctx.tab_hidden,
        browser_permitted: ctx.browser_permitted,
        replayed: ctx.replayed,
    };
    match &envelope.event {
        ServerEvent::MessageNew(m) => {
            let message = &m.message;
            let mut out = vec![Effect::Message(message.clone())];
            // News for me: a message to me from someone else (mine, from another tab, is not).
            if message.to_user_id == ctx.me && message.from_user_id != ctx.me {
                let delivery = decide(NotificationCategory::Message, ctx.prefs, circumstances);
                out.push(Effect::Alert(Alert {
                    category: NotificationCategory::Message,
                    key: format!("message-{}", message.id),
                    title: format!("New message from {}", message.from_name),
                    body: message.body.chars().take(140).collect(),
                    link: "/messages".into(),
                    delivery,
                }));
            }
            out
        }
        ServerEvent::MessageRead(r) => vec![
            Effect::ConversationRead(r.conversation_id.clone()),
            Effect::Unread(r.unread_count),
        ],
        ServerEvent::Notification(category, n) => vec![Effect::Alert(Alert {
            category: *category,
            key: n.notification_id.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            delivery: decide(*category, ctx.prefs, circumstances),
        })],
        // The one change a message has after it is sent: its recipient read it (and every
        // earlier one from the same sender). Written in place; nothing to refetch.
        ServerEvent::Entity(EntityAction::Updated, change)
            if change.entity == EntityKind::Message =>
        {
            vec![Effect::MessageRead(change.id.clone())]
        }
        ServerEvent::Entity(_action, change) => vec![Effect::Invalidate {
            key: key_for_entity(change.entity),
            entity: change.entity,
            id: change.id.clone(),
            version: change.version,
        }],
        ServerEvent::PreferencesUpdated(p) => vec![Effect::Preferences(p.clone())],
        ServerEvent::Authenticated(_)
        | ServerEvent::ConnectionError(_)
        | ServerEvent::Pong
        | ServerEvent::Unknown { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use ppt_protocol::envelope::{
        EntityAction, EntityChange, MessageNew, MessageRead, Notification,
    };
    use ppt_protocol::rest::ChannelPreference;
    use ppt_protocol::Timestamp;

    use super::*;

    fn env(event: ServerEvent) -> Envelope {
        Envelope {
            event,
            timestamp: Timestamp::default(),
            request_id: None,
            id: Some(1),
            prev_id: None,
        }
    }

    fn msg(id: &str, from: &str, to: &str) -> Message {
        Message {
            id: id.into(),
            conversation_id: "1-2".into(),
            from_user_id: from.into(),
            from_name: "Bob".into(),
            to_user_id: to.into(),
            body: "Hi".into(),
            sent_at: Timestamp::default(),
            read: false,
        }
    }

    fn ctx(prefs: &NotificationPreferences) -> RouteCtx<'_> {
        RouteCtx {
            me: "1",
            prefs,
            tab_hidden: false,
            browser_permitted: false,
            replayed: false,
        }
    }

    fn delivery(fx: &[Effect]) -> Option<Delivery> {
        fx.iter().find_map(|e| match e {
            Effect::Alert(a) => Some(a.delivery),
            _ => None,
        })
    }

    /// A new message to me goes into the cache and is news on every channel the preferences allow.
    #[test]
    fn new_message_to_me_alerts() {
        let prefs = NotificationPreferences::default();
        let e = env(ServerEvent::MessageNew(MessageNew {
            message: msg("7", "2", "1"),
        }));
        let fx = route(&e, &ctx(&prefs));
        assert_eq!(fx.len(), 2);
        assert_eq!(fx[0], Effect::Message(msg("7", "2", "1")));
        assert!(
            matches!(&fx[1], Effect::Alert(a) if a.delivery.toast && a.delivery.sound && a.key == "message-7")
        );
    }

    /// My own message (from another tab) and a message between others are cached, never news.
    #[test]
    fn own_message_is_silent() {
        let prefs = NotificationPreferences::default();
        for m in [msg("8", "1", "2"), msg("8", "1", "1"), msg("8", "2", "3")] {
            let e = env(ServerEvent::MessageNew(MessageNew { message: m.clone() }));
            assert_eq!(route(&e, &ctx(&prefs)), vec![Effect::Message(m)]);
        }
    }

    /// The channels follow the preferences; all off still names the alert (with no channel).
    #[test]
    fn notifications_follow_preferences() {
        let mut prefs = NotificationPreferences::default();
        let n = Notification {
            notification_id: "a-1".into(),
            title: "T".into(),
            body: "B".into(),
            entity_id: "1".into(),
            link: "/announcements".into(),
        };
        let e = env(ServerEvent::Notification(
            NotificationCategory::Announcement,
            n,
        ));
        assert!(delivery(&route(&e, &ctx(&prefs))).unwrap().toast);
        prefs.announcement = ChannelPreference {
            toast: false,
            sound: false,
            browser: false,
        };
        assert!(!delivery(&route(&e, &ctx(&prefs))).unwrap().any());
        prefs.announcement = ChannelPreference {
            toast: false,
            sound: true,
            browser: false,
        };
        let d = delivery(&route(&e, &ctx(&prefs))).unwrap();
        assert!(!d.toast && d.sound);
    }

    /// `message:read` sets the badge from the server's total; entity events invalidate by the contract's map.
    #[test]
    fn reads_and_entity_changes() {
        let prefs = NotificationPreferences::default();
        let e = env(ServerEvent::MessageRead(MessageRead {
            conversation_id: "1-3".into(),
            unread_count: 2,
        }));
        assert_eq!(
            route(&e, &ctx(&prefs)),
            vec![Effect::ConversationRead("1-3".into()), Effect::Unread(2)]
        );
        let e = env(ServerEvent::Entity(
            EntityAction::Updated,
            EntityChange {
                entity: EntityKind::Fault,
                id: "4".into(),
                version: Some(3),
            },
        ));
        assert_eq!(
            route(&e, &ctx(&prefs)),
            vec![Effect::Invalidate {
                key: QueryKey::new(["faults"]),
                entity: EntityKind::Fault,
                id: "4".into(),
                version: Some(3)
            }]
        );
    }

    /// Replayed events update data and are news, but on no channel (the summary tells them).
    #[test]
    fn replayed_events_do_not_alert() {
        let prefs = NotificationPreferences::default();
        let mut c = ctx(&prefs);
        c.replayed = true;
        let e = env(ServerEvent::MessageNew(MessageNew {
            message: msg("9", "2", "1"),
        }));
        let fx = route(&e, &c);
        assert_eq!(fx[0], Effect::Message(msg("9", "2", "1")));
        assert_eq!(delivery(&fx), Some(Delivery::default()));
    }
}
