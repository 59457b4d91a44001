//! JSON for the app: [`read`] and [`write`] through [`ReadJson`] and [`WriteJson`], derived
//! for the wire types from their serde attributes (`ppt-json-derive`), and [`RawJson`], JSON
//! text passed along as it is (a queued create's body, the answer it got).
//!
//! Why not serde_json in the app: serde's derive writes, per type, visitors that serde_json
//! then compiles against its parser again for every type, about a fifth of the app's wasm.
//! Here the parser ([`Reader`]) and the writer ([`Writer`]) are compiled once, without
//! generics, and each type adds only its field names and calls (docs/performance-notes.md).
//! The server keeps serde (axum's extractors, sqlx); the tests check that both read and write
//! the same text for every wire type.

mod reader;
mod writer;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use ppt_json_derive::{ReadJson, WriteJson};
pub use reader::{Reader, MAX_DEPTH};
pub use writer::Writer;

/// What went wrong reading JSON, and where (a byte offset in the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    what: Cow<'static, str>,
    at: usize,
}

impl Error {
    pub fn new(what: &'static str, at: usize) -> Self {
        Error {
            what: Cow::Borrowed(what),
            at,
        }
    }

    /// The byte offset in the text.
    pub fn offset(&self) -> usize {
        self.at
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A type read from JSON.
pub trait ReadJson: Sized {
    fn read_json(r: &mut Reader<'_>) -> Result<Self>;

    /// The value of a field that is absent from its object: none (an error) but for
    /// `Option`, which is `None` (as with serde).
    fn absent() -> Option<Self> {
        None
    }
}

/// A type written as JSON.
pub trait WriteJson {
    fn write_json(&self, w: &mut Writer);
}

/// Reads the whole of `text` as a `T` (only white space may follow it).
pub fn read<T: ReadJson>(text: &str) -> Result<T> {
    let mut r = Reader::new(text);
    let value = T::read_json(&mut r)?;
    r.end()?;
    Ok(value)
}

/// `value` as compact JSON text.
pub fn write<T: WriteJson + ?Sized>(value: &T) -> String {
    let mut w = Writer::new();
    value.write_json(&mut w);
    w.finish()
}

/// A field read (`Some`) or absent from its object; used by the derive.
pub fn field<T: ReadJson>(value: Option<T>, name: &'static str, r: &Reader<'_>) -> Result<T> {
    match value {
        Some(v) => Ok(v),
        None => T::absent().ok_or_else(|| missing(name, r)),
    }
}

fn missing(name: &'static str, r: &Reader<'_>) -> Error {
    Error {
        what: Cow::Owned(format!("missing field `{name}`")),
        at: r.offset(),
    }
}

impl ReadJson for String {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.string()
    }
}

impl WriteJson for String {
    fn write_json(&self, w: &mut Writer) {
        w.string(self)
    }
}

impl WriteJson for str {
    fn write_json(&self, w: &mut Writer) {
        w.string(self)
    }
}

impl ReadJson for bool {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.bool()
    }
}

impl WriteJson for bool {
    fn write_json(&self, w: &mut Writer) {
        w.bool(*self)
    }
}

impl ReadJson for u64 {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.u64()
    }
}

impl WriteJson for u64 {
    fn write_json(&self, w: &mut Writer) {
        w.u64(*self)
    }
}

impl ReadJson for u32 {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.u32()
    }
}

impl WriteJson for u32 {
    fn write_json(&self, w: &mut Writer) {
        w.u64(u64::from(*self))
    }
}

impl ReadJson for i64 {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.i64()
    }
}

impl WriteJson for i64 {
    fn write_json(&self, w: &mut Writer) {
        w.i64(*self)
    }
}

impl<T: ReadJson> ReadJson for Option<T> {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        if r.null() {
            Ok(None)
        } else {
            T::read_json(r).map(Some)
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, w: &mut Writer) {
        match self {
            Some(v) => v.write_json(w),
            None => w.null(),
        }
    }
}

impl<T: ReadJson> ReadJson for Vec<T> {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        let mut out = Vec::new();
        r.array(&mut |r| {
            out.push(T::read_json(r)?);
            Ok(())
        })?;
        Ok(out)
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, w: &mut Writer) {
        self.as_slice().write_json(w)
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, w: &mut Writer) {
        w.array_begin();
        for v in self {
            v.write_json(w);
        }
        w.array_end();
    }
}

impl<V: ReadJson> ReadJson for BTreeMap<String, V> {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        let mut out = BTreeMap::new();
        r.object(&mut |r, key| {
            out.insert(key.to_owned(), V::read_json(r)?);
            Ok(())
        })?;
        Ok(out)
    }
}

impl<V: WriteJson> WriteJson for BTreeMap<String, V> {
    fn write_json(&self, w: &mut Writer) {
        w.object_begin();
        for (k, v) in self {
            w.key(k);
            v.write_json(w);
        }
        w.object_end();
    }
}

impl<T: ReadJson> ReadJson for Box<T> {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        T::read_json(r).map(Box::new)
    }
}

impl<T: WriteJson + ?Sized> WriteJson for Box<T> {
    fn write_json(&self, w: &mut Writer) {
        (**self).write_json(w)
    }
}

impl<T: ReadJson> ReadJson for Rc<T> {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        T::read_json(r).map(Rc::new)
    }
}

impl<T: WriteJson + ?Sized> WriteJson for Rc<T> {
    fn write_json(&self, w: &mut Writer) {
        (**self).write_json(w)
    }
}

/// Any value, read past unread (an answer nobody looks at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ignored;

impl ReadJson for Ignored {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.skip().map(|()| Ignored)
    }
}

/// `null`, as serde writes `()`.
impl WriteJson for () {
    fn write_json(&self, w: &mut Writer) {
        w.null()
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, w: &mut Writer) {
        (**self).write_json(w)
    }
}

/// JSON text, written and read as JSON where it sits, compared as text. In the app it stands
/// where `serde_json::Value` would: reading into a value of every kind would put a second
/// reader of every wire type into the wasm (docs/performance-notes.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(Box<str>);

impl Default for RawJson {
    /// `null`.
    fn default() -> Self {
        RawJson("null".into())
    }
}

impl RawJson {
    /// `value` as JSON text.
    pub fn of<T: WriteJson + ?Sized>(value: &T) -> Self {
        RawJson(write(value).into())
    }

    /// JSON text as it is; an error if it is not one JSON value.
    pub fn from_text(text: String) -> Result<Self> {
        read::<Ignored>(&text)?;
        Ok(RawJson(text.into()))
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// Reads the text as `T`.
    pub fn read<T: ReadJson>(&self) -> Result<T> {
        read(&self.0)
    }
}

impl ReadJson for RawJson {
    fn read_json(r: &mut Reader<'_>) -> Result<Self> {
        r.raw().map(|raw| RawJson(raw.into()))
    }
}

impl WriteJson for RawJson {
    fn write_json(&self, w: &mut Writer) {
        w.raw(&self.0)
    }
}

// The server's way, through serde: the text goes through serde_json's `RawValue`, which
// writes it unchanged and reads it without looking inside.
impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(RawJson(raw.get().into()))
    }
}

#[cfg(test)]
mod tests;
