//! The server-to-client envelope `{ type, payload, timestamp, requestId?, id? }` and its events.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::raw::RawJson;
use crate::rest::{Message, NotificationCategory, NotificationPreferences};

/// An RFC 3339 UTC timestamp with milliseconds, e.g. `2026-11-26T12:00:00.123Z`.
///
/// Kept as the string the server wrote: in this fixed format, string order is time order,
/// which is all the client needs (the fallback cursor), and it keeps date code out of the wasm.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub String);

impl Timestamp {
    /// The timestamp as written on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which kind of record an `entity:*` event is about: one per resource, declared with them.
pub use crate::resources::EntityKind;

/// `message:new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageNew {
    pub message: Message,
}

/// `message:read`: the reader's unread count in one conversation after reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRead {
    pub conversation_id: String,
    pub unread_count: u64,
}

/// `notification:announcement`, `notification:fault`, `notification:vote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    pub title: String,
    pub body: String,
    pub entity_id: String,
    pub link: String,
}

/// `entity:created`, `entity:updated`, `entity:deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityChange {
    pub entity: EntityKind,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// `connection:authenticated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authenticated {
    pub user_id: String,
    /// The newest event id in the log when this socket joined; every later event this user
    /// may see arrives on the socket.
    pub last_event_id: u64,
    /// Names this event log; changes when the log is recreated.
    pub epoch: String,
    pub server_time: Timestamp,
}

/// `connection:error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionError {
    pub code: String,
    pub message: String,
}

/// What happened to an entity in an `entity:*` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityAction {
    Created,
    Updated,
    Deleted,
}

/// Every event (docs/protocol.md, "Events and who receives them"), with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    MessageNew(MessageNew),
    MessageRead(MessageRead),
    Notification(NotificationCategory, Notification),
    Entity(EntityAction, EntityChange),
    Authenticated(Authenticated),
    ConnectionError(ConnectionError),
    Pong,
    /// `preferences:updated` (extension): the user's notification preferences changed in
    /// another session; the payload is the whole new set.
    PreferencesUpdated(NotificationPreferences),
    /// A `type` this build does not know; kept by name, its payload as the JSON text it
    /// came as, and otherwise ignored.
    Unknown {
        event_type: String,
        payload: RawJson,
    },
}

impl ServerEvent {
    /// The wire `type` of this event.
    pub fn event_type(&self) -> &str {
        match self {
            ServerEvent::MessageNew(_) => "message:new",
            ServerEvent::MessageRead(_) => "message:read",
            // Messages are notified through `message:new`, never as `notification:message`;
            // the name exists only so every category has one.
            ServerEvent::Notification(category, _) => category.event_type(),
            ServerEvent::Entity(EntityAction::Created, _) => "entity:created",
            ServerEvent::Entity(EntityAction::Updated, _) => "entity:updated",
            ServerEvent::Entity(EntityAction::Deleted, _) => "entity:deleted",
            ServerEvent::Authenticated(_) => "connection:authenticated",
            ServerEvent::ConnectionError(_) => "connection:error",
            ServerEvent::Pong => "pong",
            ServerEvent::PreferencesUpdated(_) => "preferences:updated",
            ServerEvent::Unknown { event_type, .. } => event_type,
        }
    }

    /// The payload as JSON text (`{}` for `pong`).
    pub fn payload_json(&self) -> Result<String, serde_json::Error> {
        match self {
            ServerEvent::Pong => Ok(String::from("{}")),
            ServerEvent::Unknown { payload, .. } => Ok(payload.text().to_owned()),
            other => serde_json::to_string(&Payload(other)),
        }
    }

    /// An event from its wire `type` and its payload's JSON text; unknown types become
    /// [`ServerEvent::Unknown`]. Each payload is read once, straight into its type.
    pub fn from_parts(event_type: &str, payload: &str) -> Result<Self, serde_json::Error> {
        use serde_json::from_str as read;
        let p = payload;
        Ok(match event_type {
            "message:new" => ServerEvent::MessageNew(read(p)?),
            "message:read" => ServerEvent::MessageRead(read(p)?),
            "entity:created" => ServerEvent::Entity(EntityAction::Created, read(p)?),
            "entity:updated" => ServerEvent::Entity(EntityAction::Updated, read(p)?),
            "entity:deleted" => ServerEvent::Entity(EntityAction::Deleted, read(p)?),
            "connection:authenticated" => ServerEvent::Authenticated(read(p)?),
            "connection:error" => ServerEvent::ConnectionError(read(p)?),
            "pong" => ServerEvent::Pong,
            "preferences:updated" => ServerEvent::PreferencesUpdated(read(p)?),
            other => match other
                .strip_prefix("notification:")
                .and_then(NotificationCategory::parse)
            {
                Some(NotificationCategory::Message) | None => ServerEvent::Unknown {
                    event_type: other.to_owned(),
                    payload: RawJson::from_text(p.to_owned())?,
                },
                Some(category) => ServerEvent::Notification(category, read(p)?),
            },
        })
    }
}

/// An event's payload, written as its type writes it (`null` for `pong`).
struct Payload<'a>(&'a ServerEvent);

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ServerEvent::MessageNew(p) => p.serialize(serializer),
            ServerEvent::MessageRead(p) => p.serialize(serializer),
            ServerEvent::Notification(_, p) => p.serialize(serializer),
            ServerEvent::Entity(_, p) => p.serialize(serializer),
            ServerEvent::Authenticated(p) => p.serialize(serializer),
            ServerEvent::ConnectionError(p) => p.serialize(serializer),
            ServerEvent::Pong => serializer.serialize_unit(),
            ServerEvent::PreferencesUpdated(p) => p.serialize(serializer),
            ServerEvent::Unknown { payload, .. } => payload.serialize(serializer),
        }
    }
}

/// One server-to-client WebSocket text frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub event: ServerEvent,
    pub timestamp: Timestamp,
    pub request_id: Option<String>,
    /// The event log's sequence number; `None` on control frames and from servers of the
    /// original design.
    pub id: Option<u64>,
    /// Extension (`prevId`): the id of the event this socket's user was sent before this one,
    /// so a client can tell a real gap from ids that belong to other users' events.
    pub prev_id: Option<u64>,
}

impl Envelope {
    /// An envelope without `requestId` or `id` (a control frame).
    pub fn control(event: ServerEvent, timestamp: Timestamp) -> Self {
        Envelope {
            event,
            timestamp,
            request_id: None,
            id: None,
            prev_id: None,
        }
    }

    /// Parses one text frame.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Writes the frame as JSON text.
    pub fn to_json(&self) -> String {
        // Every payload is made of strings, numbers and maps with string keys.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// One user's copy of an event frame already written as JSON (by [`Envelope::to_json`], so
/// without `prevId`): `"prevId":prev` added as its last field. The server writes a frame
/// once and gives each recipient a copy this way instead of serialising it again per user.
/// Text that is not a JSON object is returned unchanged.
pub fn with_prev_id(frame: &str, prev: u64) -> String {
    match frame.strip_suffix('}') {
        Some(open) if frame.starts_with('{') && open.len() > 1 => {
            format!("{open},\"prevId\":{prev}}}")
        }
        Some(open) if frame.starts_with('{') => format!("{open}\"prevId\":{prev}}}"),
        _ => frame.to_owned(),
    }
}

/// The envelope as written: the payload by its type.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeOut<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    payload: Payload<'a>,
    timestamp: &'a Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_id: Option<u64>,
}

/// The envelope exactly as on the wire, its payload still JSON text (it can come before
/// `type`), read into its type once `type` is known.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeIn {
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    payload: Option<Box<RawValue>>,
    // Lenient: a frame without a timestamp is still applied, only not usable as a cursor.
    #[serde(default)]
    timestamp: Timestamp,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    prev_id: Option<u64>,
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EnvelopeOut {
            event_type: self.event.event_type(),
            payload: Payload(&self.event),
            timestamp: &self.timestamp,
            request_id: &self.request_id,
            id: self.id,
            prev_id: self.prev_id,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = EnvelopeIn::deserialize(deserializer)?;
        let payload = raw.payload.as_deref().map_or("null", RawValue::get);
        let event = ServerEvent::from_parts(&raw.event_type, payload)
            .map_err(|e| D::Error::custom(format!("bad payload for {}: {e}", raw.event_type)))?;
        Ok(Envelope {
            event,
            timestamp: raw.timestamp,
            request_id: raw.request_id,
            id: raw.id,
            prev_id: raw.prev_id,
        })
    }
}

/// An event a component can ask for by its type (the app's `use_event::<E>`): taken out of
/// an applied envelope when it is one. [`Envelope`] and [`ServerEvent`] take every event.
pub trait Event: Clone + 'static {
    fn from_envelope(envelope: &Envelope) -> Option<Self>;
}

impl Event for Envelope {
    fn from_envelope(envelope: &Envelope) -> Option<Self> {
        Some(envelope.clone())
    }
}

impl Event for ServerEvent {
    fn from_envelope(envelope: &Envelope) -> Option<Self> {
        Some(envelope.event.clone())
    }
}

/// A type that is the payload of one event variant is that event.
macro_rules! payload_event {
    ($t:ty, $variant:ident) => {
        impl Event for $t {
            fn from_envelope(envelope: &Envelope) -> Option<Self> {
                match &envelope.event {
                    ServerEvent::$variant(payload) => Some(payload.clone()),
                    _ => None,
                }
            }
        }
    };
}

payload_event!(MessageNew, MessageNew);
payload_event!(MessageRead, MessageRead);
payload_event!(NotificationPreferences, PreferencesUpdated);

/// A `notification:*` event, with its category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    pub category: NotificationCategory,
    pub notification: Notification,
}

impl Event for Notified {
    fn from_envelope(envelope: &Envelope) -> Option<Self> {
        match &envelope.event {
            ServerEvent::Notification(category, n) => Some(Notified {
                category: *category,
                notification: n.clone(),
            }),
            _ => None,
        }
    }
}

/// An `entity:*` event: what happened to which record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityEvent {
    pub action: EntityAction,
    pub change: EntityChange,
}

impl Event for EntityEvent {
    fn from_envelope(envelope: &Envelope) -> Option<Self> {
        match &envelope.event {
            ServerEvent::Entity(action, change) => Some(EntityEvent {
                action: *action,
                change: change.clone(),
            }),
            _ => None,
        }
    }
}
