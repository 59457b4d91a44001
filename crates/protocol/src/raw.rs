//! [`RawJson`]: JSON text passed along as it is (a queued create's body and the answer it
//! got, an unknown event's payload), written and read through serde_json's `RawValue`.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One JSON value kept as its text, and compared as text: written unchanged where it sits
/// and read without looking inside. A `serde_json::Value` would reorder an object's keys
/// (a stored outbox written back would not be the text it was read from) and is not `Eq`.
#[derive(Clone, PartialEq, Eq)]
pub struct RawJson(Box<str>);

impl Default for RawJson {
    /// `null`.
    fn default() -> Self {
        RawJson("null".into())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.0)
    }
}

impl RawJson {
    /// `value` as JSON text.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(|text| RawJson(text.into()))
    }

    /// JSON text as it is; an error if it is not one JSON value.
    pub fn from_text(text: String) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<IgnoredAny>(&text)?;
        Ok(RawJson(text.into()))
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// Reads the text as `T`.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(RawJson(raw.get().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::RawJson;

    /// Text goes in and comes out unchanged, key order and spacing included, inside other
    /// JSON too; text that is not one JSON value is refused.
    #[test]
    fn text_is_kept_as_it_is() {
        let raw = RawJson::from_text(r#"{"z":1, "a":[true,null]}"#.into()).unwrap();
        assert_eq!(raw.text(), r#"{"z":1, "a":[true,null]}"#);
        let wrapped = serde_json::to_string(&vec![raw.clone()]).unwrap();
        assert_eq!(wrapped, r#"[{"z":1, "a":[true,null]}]"#);
        let back: Vec<RawJson> = serde_json::from_str(&wrapped).unwrap();
        assert_eq!(back, [raw]);
        assert!(RawJson::from_text("{".into()).is_err());
        assert!(RawJson::from_text("1 2".into()).is_err());
        assert_eq!(RawJson::default().text(), "null");
        assert_eq!(
            RawJson::of(&[1, 2]).unwrap().read::<Vec<u8>>().unwrap(),
            [1, 2]
        );
    }
}
