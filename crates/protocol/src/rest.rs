//! Request and response bodies of the REST API (docs/protocol.md, "REST"), all camelCase JSON.
//!
//! Ids are strings on the wire: opaque to clients, safe from JavaScript's number limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Timestamp};

/// A user's role in the building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Resident,
    Manager,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Resident, Role::Manager];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Manager => "manager",
        }
    }

    /// The role named `name` (`resident`, `manager`).
    pub fn parse(name: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == name.trim())
    }
}

/// `GET /me`, and the `user` of a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The name of the user's building ("Maple House 3"), as the pages show it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub building_name: String,
}

/// `POST /auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// "This is a shared computer": the session ends with the browser, lives at most
    /// `--shared-session-secs`, and nothing of it is kept in the browser's storage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

/// Answer to `POST /auth/login` and `POST /auth/refresh`: a short-lived access token, whose
/// lifetime is `expiresIn` seconds, and its user. (The refresh token travels only in an
/// `HttpOnly` cookie.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub user: User,
    /// Seconds the token is valid from now (0 when a server did not say).
    #[serde(default)]
    pub expires_in: u64,
    /// A session started as "a shared computer": the browser keeps nothing of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
    /// How long what the browser kept of this user (lists read, for offline use) may still
    /// be shown offline, in seconds from this answer (`--offline-max-age`; 0: keep nothing).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offline_max_age: u64,
    /// Names the session (the same for all its refreshes; an HMAC the server derives from
    /// it, which reveals nothing): what the browser stores for a session (the outbox) carries
    /// it, and is sent only by the session it names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub session_tag: String,
}

/// One message between two users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    /// The same for both directions between two users.
    pub conversation_id: String,
    pub from_user_id: String,
    pub from_name: String,
    pub to_user_id: String,
    pub body: String,
    pub sent_at: Timestamp,
    /// Whether the recipient has read it (extension; absent means unread).
    #[serde(default)]
    pub read: bool,
}

/// `POST /messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    pub to_user_id: String,
    pub body: String,
}

/// `GET /messages/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCount {
    pub count: u64,
}

/// Answer to `POST /messages/{id}/read`: the conversation and the reader's unread total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadReceipt {
    pub conversation_id: String,
    pub unread_count: u64,
}

/// An announcement from the building's management.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    pub id: String,
    pub title: String,
    pub body: String,
    pub author_name: String,
    pub created_at: Timestamp,
    pub version: u64,
}

/// `POST /announcements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAnnouncement {
    pub title: String,
    pub body: String,
}

/// Where a fault report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultStatus {
    Open,
    InProgress,
    Resolved,
}

impl FaultStatus {
    /// Every status, in workflow order.
    pub const ALL: [FaultStatus; 3] = [
        FaultStatus::Open,
        FaultStatus::InProgress,
        FaultStatus::Resolved,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultStatus::Open => "open",
            FaultStatus::InProgress => "in_progress",
            FaultStatus::Resolved => "resolved",
        }
    }

    /// Reads the name on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        FaultStatus::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            FaultStatus::Open => "Open",
            FaultStatus::InProgress => "In progress",
            FaultStatus::Resolved => "Resolved",
        }
    }
}

/// A reported fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: FaultStatus,
    pub reporter_id: String,
    pub reporter_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// `POST /faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFault {
    pub title: String,
    pub description: String,
}

/// `PATCH /faults/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateFault {
    pub status: FaultStatus,
}

/// One option of a vote with its ballots so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteOption {
    pub label: String,
    pub count: u64,
}

/// A vote among the building's residents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    pub id: String,
    pub title: String,
    pub options: Vec<VoteOption>,
    /// The option the asking user chose, if any.
    #[serde(default)]
    pub my_choice: Option<String>,
    pub created_at: Timestamp,
    pub version: u64,
}

/// `POST /votes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenVote {
    pub title: String,
    pub options: Vec<String>,
}

/// `POST /votes/{id}/ballots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CastBallot {
    pub option: String,
}

/// A building document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: String,
    pub title: String,
    pub url: String,
    pub uploaded_at: Timestamp,
}

/// A neighbour: another user of the building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbor {
    pub id: String,
    pub name: String,
    pub apartment: String,
    pub role: Role,
}

/// A notification category of the preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationCategory {
    Message,
    Announcement,
    Fault,
    Vote,
}

impl NotificationCategory {
    /// Every category, in the contract's order.
    pub const ALL: [NotificationCategory; 4] = [
        NotificationCategory::Message,
        NotificationCategory::Announcement,
        NotificationCategory::Fault,
        NotificationCategory::Vote,
    ];

    /// The category named `name` on the wire.
    pub fn parse(name: &str) -> Option<NotificationCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The type of the event that announces it: `notification:fault`.
    pub fn event_type(self) -> &'static str {
        match self {
            NotificationCategory::Message => "notification:message",
            NotificationCategory::Announcement => "notification:announcement",
            NotificationCategory::Fault => "notification:fault",
            NotificationCategory::Vote => "notification:vote",
        }
    }

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationCategory::Message => "message",
            NotificationCategory::Announcement => "announcement",
            NotificationCategory::Fault => "fault",
            NotificationCategory::Vote => "vote",
        }
    }
}

/// How one category may reach the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPreference {
    pub toast: bool,
    pub sound: bool,
    pub browser: bool,
}

impl Default for ChannelPreference {
    /// Toasts and sound on; browser notifications need the user's permission first.
    fn default() -> Self {
        ChannelPreference {
            toast: true,
            sound: true,
            browser: false,
        }
    }
}

/// `GET` and `PUT /notification-preferences`: every category, each with its channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPreferences {
    #[serde(default)]
    pub message: ChannelPreference,
    #[serde(default)]
    pub announcement: ChannelPreference,
    #[serde(default)]
    pub fault: ChannelPreference,
    #[serde(default)]
    pub vote: ChannelPreference,
}

impl NotificationPreferences {
    /// The channels of one category.
    pub fn get(&self, category: NotificationCategory) -> ChannelPreference {
        match category {
            NotificationCategory::Message => self.message,
            NotificationCategory::Announcement => self.announcement,
            NotificationCategory::Fault => self.fault,
            NotificationCategory::Vote => self.vote,
        }
    }

    /// Mutable channels of one category.
    pub fn get_mut(&mut self, category: NotificationCategory) -> &mut ChannelPreference {
        match category {
            NotificationCategory::Message => &mut self.message,
            NotificationCategory::Announcement => &mut self.announcement,
            NotificationCategory::Fault => &mut self.fault,
            NotificationCategory::Vote => &mut self.vote,
        }
    }
}

/// `GET /events/missed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MissedEvents {
    pub events: Vec<Envelope>,
    pub has_more: bool,
    /// The newest id in the log when this page was read.
    pub latest_id: u64,
    pub epoch: String,
    pub reset_required: bool,
}

/// The body of every error answer: `{ "error": { "code", "message" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ApiErrorDetail,
}

/// The inside of [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    pub code: String,
    pub message: String,
    /// Field-level problems, when the request body was the issue (extension).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// For `skip_serializing_if`: a zero is not written (it is the default when read).
fn is_zero(n: &u64) -> bool {
    *n == 0
}
