//! Frames a client sends: `auth` (first frame, carries the JWT) and `ping`.

use serde::{Deserialize, Serialize};

use crate::envelope::Timestamp;

/// `auth` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthPayload {
    pub token: String,
}

/// One client-to-server text frame.
///
/// On the wire `{ "type": "auth", "payload": { "token": … }, "timestamp": … }` and
/// `{ "type": "ping" }`; the timestamp is optional and informational.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientFrame {
    Auth {
        payload: AuthPayload,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timestamp: Option<Timestamp>,
    },
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timestamp: Option<Timestamp>,
    },
}

impl ClientFrame {
    /// The `auth` frame for a token.
    pub fn auth(token: impl Into<String>, timestamp: Option<Timestamp>) -> Self {
        ClientFrame::Auth {
            payload: AuthPayload {
                token: token.into(),
            },
            timestamp,
        }
    }

    /// The `ping` frame.
    pub fn ping() -> Self {
        ClientFrame::Ping { timestamp: None }
    }

    /// Writes the frame as JSON text.
    pub fn to_json(&self) -> String {
        // A frame is strings in maps with string keys: writing it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses one text frame; unknown types and malformed JSON are errors the server answers
    /// with `connection:error` and close code 1008.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}
