//! [`serde_by_name!`]: a unit enum written and read as its name (`as_str`), through serde and
//! through the app's [`json`](crate::json), as serde's derive would with `rename_all`, in a
//! fraction of the code: the derive gives every such enum a reader of its own (~1 KB of the
//! app's wasm each, docs/performance-notes.md).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// Reads a name and finds the value of `all` that `name` gives it.
pub fn read<'de, D: Deserializer<'de>, T: Copy>(
    deserializer: D,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    by_name(all, name, &text).ok_or_else(|| D::Error::unknown_variant(&text, &[]))
}

/// [`read`] for the app's reader.
pub fn read_json<T: Copy>(
    r: &mut crate::json::Reader<'_>,
    all: &[T],
    name: fn(T) -> &'static str,
) -> crate::json::Result<T> {
    let text = r.str()?;
    by_name(all, name, &text).ok_or_else(|| r.error("unknown variant"))
}

/// The value of `all` that `name` gives `text`.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == text)
}

/// `serde_by_name!(Type, ALL)`: `Type` is written as `Type::as_str()` and read back from it;
/// `ALL` (an array or a const such as `Type::ALL`) must hold every variant.
#[macro_export]
macro_rules! serde_by_name {
    ($ty:ident, $all:expr) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                $crate::names::read(deserializer, &$all, $ty::as_str)
            }
        }

        impl $crate::json::ReadJson for $ty {
            fn read_json(r: &mut $crate::json::Reader<'_>) -> $crate::json::Result<Self> {
                $crate::names::read_json(r, &$all, $ty::as_str)
            }
        }

        impl $crate::json::WriteJson for $ty {
            fn write_json(&self, w: &mut $crate::json::Writer) {
                w.string(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Light {
        Red,
        InBetween,
    }

    impl Light {
        fn as_str(self) -> &'static str {
            match self {
                Light::Red => "red",
                Light::InBetween => "in_between",
            }
        }
    }

    serde_by_name!(Light, [Light::Red, Light::InBetween]);

    #[test]
    fn written_and_read_by_name() {
        assert_eq!(
            serde_json::to_string(&Light::InBetween).unwrap(),
            r#""in_between""#
        );
        let back: Vec<Light> = serde_json::from_str(r#"["red","in_between"]"#).unwrap();
        assert_eq!(back, [Light::Red, Light::InBetween]);
        let err = serde_json::from_str::<Light>(r#""green""#).unwrap_err();
        assert!(err.to_string().contains("unknown variant `green`"), "{err}");
        assert!(serde_json::from_str::<Light>("1").is_err());
    }
}
