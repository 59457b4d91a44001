//! Event routing: what one server frame means for the app, as a list of effects for the glue
//! to carry out. Pure: the caller passes in what it knows (who I am, my preferences, which
//! messages I already hold).

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
    /// Tell the user, on these channels.
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
    /// Whether a message id is already in the cache (then it is no news).
    pub known_message: &'a dyn Fn(&str) -> bool,
    pub tab_hidden: bool,
    pub browser_permitted: bool,
    /// The frame is a replay after an outage.
    pub replayed: bool,
}

/// The effects of one frame.
pub fn route(envelope: &Envelope, ctx: &RouteCtx<'_>) -> Vec<Effect> {
    let circumstances = |own: bool| Circumstances {
        own,
        tab_hidden: ctx.tab_hidden,
        browser_permitted: ctx.browser_permitted,
        replayed: ctx.replayed,
    };
    match &envelope.event {
        ServerEvent::MessageNew(m) => {
            let message = &m.message;
            let mut out = Vec::new();
            let news = !(ctx.known_message)(&message.id);
            out.push(Effect::Message(message.clone()));
            if news && message.to_user_id == ctx.me {
                let own = message.from_user_id == ctx.me;
                let delivery = decide(NotificationCategory::Message, ctx.prefs, circumstances(own));
                if delivery.any() {
                    out.push(Effect::Alert(Alert {
                        category: NotificationCategory::Message,
                        key: format!("message-{}", message.id),
                        title: format!("New message from {}", message.from_name),
                        body: message.body.chars().take(140).collect(),
                        link: "/messages".into(),
                        delivery,
                    }));
                }
            }
            out
        }
        ServerEvent::MessageRead(r) => vec![
            Effect::ConversationRead(r.conversation_id.clone()),
            Effect::Unread(r.unread_count),
        ],
        ServerEvent::Notification(category, n) => {
            let delivery = decide(*category, ctx.prefs, circumstances(false));
            if delivery.any() {
                vec![Effect::Alert(Alert {
                    category: *category,
                    key: n.notification_id.clone(),
                    title: n.title.clone(),
                    body: n.body.clone(),
                    link: n.link.clone(),
                    delivery,
                })]
            } else {
                Vec::new()
            }
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

    fn ctx<'a>(
        prefs: &'a NotificationPreferences,
        known: &'a dyn Fn(&str) -> bool,
    ) -> RouteCtx<'a> {
        RouteCtx {
            me: "1",
            prefs,
            known_message: known,
            tab_hidden: false,
            browser_permitted: false,
            replayed: false,
        }
    }

    /// A new message to me goes into the cache and raises one alert; a known one only merges.
    #[test]
    fn new_message_to_me_alerts_once() {
        let prefs = NotificationPreferences::default();
        let e = env(ServerEvent::MessageNew(MessageNew {
            message: msg("7", "2", "1"),
        }));
        let fx = route(&e, &ctx(&prefs, &|_| false));
        assert_eq!(fx.len(), 2);
        assert!(
            matches!(&fx[1], Effect::Alert(a) if a.delivery.toast && a.delivery.sound && a.key == "message-7")
        );
        let fx = route(&e, &ctx(&prefs, &|id| id == "7"));
        assert_eq!(
            fx,
            vec![Effect::Message(msg("7", "2", "1"))],
            "already held: no second alert"
        );
    }

    /// My own message (from another tab) is cached but never alerts.
    #[test]
    fn own_message_is_silent() {
        let prefs = NotificationPreferences::default();
        let e = env(ServerEvent::MessageNew(MessageNew {
            message: msg("8", "1", "2"),
        }));
        assert_eq!(route(&e, &ctx(&prefs, &|_| false)).len(), 1);
    }

    /// Announcement toasts off: no alert at all when sound and browser are off too.
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
        assert_eq!(route(&e, &ctx(&prefs, &|_| false)).len(), 1);
        prefs.announcement = ChannelPreference {
            toast: false,
            sound: false,
            browser: false,
        };
        assert!(route(&e, &ctx(&prefs, &|_| false)).is_empty());
        prefs.announcement = ChannelPreference {
            toast: false,
            sound: true,
            browser: false,
        };
        let fx = route(&e, &ctx(&prefs, &|_| false));
        assert!(matches!(&fx[0], Effect::Alert(a) if !a.delivery.toast && a.delivery.sound));
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
            route(&e, &ctx(&prefs, &|_| false)),
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
            route(&e, &ctx(&prefs, &|_| false)),
            vec![Effect::Invalidate {
                key: QueryKey::new(["faults"]),
                entity: EntityKind::Fault,
                id: "4".into(),
                version: Some(3)
            }]
        );
    }

    /// Replayed events update data but alert nobody one by one.
    #[test]
    fn replayed_events_do_not_alert() {
        let prefs = NotificationPreferences::default();
        let known = |_: &str| false;
        let mut c = ctx(&prefs, &known);
        c.replayed = true;
        let e = env(ServerEvent::MessageNew(MessageNew {
            message: msg("9", "2", "1"),
        }));
        assert_eq!(route(&e, &c), vec![Effect::Message(msg("9", "2", "1"))]);
    }
}
