//! [`RawJson`]: JSON text kept as it is, for bodies and answers the app passes along without
//! reading them (a queued create's body, the answer it got).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// JSON text, written and read as JSON where it sits, compared as text. In the app it stands
/// where `serde_json::Value` would: reading into `Value` would put a second reader of every
/// wire type into the wasm (docs/performance-notes.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// `value` as JSON text (`null` if it cannot be written: only maps with keys that are not
    /// strings fail, and the wire types have none).
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        RawJson(serde_json::value::to_raw_value(value).unwrap_or_default())
    }

    /// JSON text as it is; an error if it is not JSON.
    pub fn from_text(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(RawJson)
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// Reads the text as `T`.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Eq for RawJson {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_as_written_and_read_back() {
        let body = RawJson::of(&serde_json::json!({ "title": "Lift", "n": [1, 2] }));
        assert_eq!(body.text(), r#"{"n":[1,2],"title":"Lift"}"#);
        let inside: Vec<RawJson> = serde_json::from_str(r#"[{"a": 1}, null]"#).unwrap();
        assert_eq!(inside[0].text(), r#"{"a": 1}"#);
        assert_eq!(
            serde_json::to_string(&inside).unwrap(),
            r#"[{"a": 1},null]"#
        );
        assert_eq!(inside[1], RawJson::default());
        assert_eq!(body.read::<serde_json::Value>().unwrap()["n"][1], 2);
        assert!(RawJson::from_text("{".into()).is_err());
    }
}
