//! [`Reader`]: JSON text read in place, one value at a time, without generics. Every wire
//! type's [`ReadJson`](super::ReadJson) calls it; it accepts exactly what serde_json accepts
//! (RFC 8259: no trailing commas, no comments, no lone surrogates, no control characters in
//! strings) and nests at most [`MAX_DEPTH`] deep, as serde_json does.

use std::borrow::Cow;

use super::{Error, Result};

/// How deep arrays and objects may nest (serde_json's limit too).
pub const MAX_DEPTH: u32 = 128;

/// A field's name and what reads its value (see [`Reader::fields`]).
pub type Field<'f> = (
    &'static str,
    &'f mut dyn FnMut(&mut Reader<'_>) -> Result<()>,
);

/// A position in JSON text.
pub struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            at: 0,
            depth: 0,
        }
    }

    /// The current position: a byte offset in the text.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// An error at the current position.
    pub fn error(&self, what: &'static str) -> Error {
        Error::new(what, self.at)
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn eat(&mut self, want: u8, what: &'static str) -> Result<()> {
        if self.peek() == Some(want) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn word(&mut self, word: &str) -> bool {
        if self.peek().is_some() && self.text[self.at..].starts_with(word) {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    /// Only white space is left.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    /// Whether a string comes next.
    pub fn at_string(&mut self) -> bool {
        self.peek() == Some(b'"')
    }

    /// Reads `null` if it comes next, and says whether it did.
    pub fn null(&mut self) -> bool {
        self.word("null")
    }

    pub fn bool(&mut self) -> Result<bool> {
        if self.word("true") {
            Ok(true)
        } else if self.word("false") {
            Ok(false)
        } else {
            Err(self.error("expected a boolean"))
        }
    }

    /// The text of a number, checked against JSON's grammar.
    fn number(&mut self) -> Result<&'a str> {
        self.peek();
        let start = self.at;
        let b = self.bytes();
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        let int = digits(&mut i);
        if int == 0 || (int > 1 && b[i - int] == b'0') {
            return Err(self.error("expected a number"));
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Error::new("expected a number", i));
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(Error::new("expected a number", i));
            }
        }
        self.at = i;
        Ok(&self.text[start..i])
    }

    /// An integer that fits `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        self.parse("expected an unsigned integer")
    }

    /// An integer that fits `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        self.parse("expected an unsigned 32-bit integer")
    }

    /// An integer that fits `i64`.
    pub fn i64(&mut self) -> Result<i64> {
        self.parse("expected an integer")
    }

    /// A number read as `T` (JSON's grammar first, then `T`'s range and kind).
    fn parse<T: std::str::FromStr>(&mut self, what: &'static str) -> Result<T> {
        let at = self.at;
        self.number()?.parse().map_err(|_| Error::new(what, at))
    }

    /// A string, unescaped.
    pub fn string(&mut self) -> Result<String> {
        self.str().map(Cow::into_owned)
    }

    /// A string: borrowed from the text when it has no escapes.
    pub fn str(&mut self) -> Result<Cow<'a, str>> {
        self.eat(b'"', "expected a string")?;
        let b = self.bytes();
        let start = self.at;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            let Some(&c) = b.get(self.at) else {
                return Err(self.error("unterminated string"));
            };
            match c {
                b'"' => {
                    let tail = &self.text[run..self.at];
                    self.at += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(tail),
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[run..self.at]);
                    self.at += 1;
                    let escape = b.get(self.at).copied();
                    self.at += 1;
                    match escape {
                        Some(b'"') => s.push('"'),
                        Some(b'\\') => s.push('\\'),
                        Some(b'/') => s.push('/'),
                        Some(b'b') => s.push('\u{8}'),
                        Some(b'f') => s.push('\u{c}'),
                        Some(b'n') => s.push('\n'),
                        Some(b'r') => s.push('\r'),
                        Some(b't') => s.push('\t'),
                        Some(b'u') => {
                            let c = self.unicode_escape()?;
                            s.push(c);
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                    run = self.at;
                }
                0..=0x1f => return Err(self.error("control character in a string")),
                _ => self.at += 1,
            }
        }
    }

    /// After `\u`: four hex digits, and a second escape when they are a leading surrogate.
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.text[self.at..].starts_with("\\u") {
                    return Err(self.error("lone leading surrogate"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("invalid surrogate pair"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid unicode escape"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid unicode escape"))?;
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid unicode escape"))
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.error("nested too deep"))
        } else {
            Ok(())
        }
    }

    /// An object: `each` is called with every key, the reader at its value, and must read
    /// or [`skip`](Self::skip) that value.
    pub fn object(&mut self, each: &mut dyn FnMut(&mut Self, &str) -> Result<()>) -> Result<()> {
        self.items(b'{', b'}', &mut |r| {
            let key = r.str()?;
            r.eat(b':', "expected ':'")?;
            each(r, &key)
        })
    }

    /// An object read into `fields`: each key's value goes to the reader of that name; values
    /// of other keys are skipped. The derive's way: one matching loop for every type, each
    /// field only a name and a small reader.
    pub fn fields(&mut self, fields: &mut [Field<'_>]) -> Result<()> {
        self.object(
            &mut |r, key| match fields.iter_mut().find(|(name, _)| *name == key) {
                Some((_, read)) => read(r),
                None => r.skip(),
            },
        )
    }

    /// An array: `each` is called for every element, the reader at it, and must read or
    /// skip it.
    pub fn array(&mut self, each: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.items(b'[', b']', each)
    }

    /// What an object and an array share: `open`, items separated by commas, `close`.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        item: &mut dyn FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let what = if open == b'{' {
            "expected an object"
        } else {
            "expected an array"
        };
        self.eat(open, what)?;
        self.nest()?;
        if self.peek() == Some(close) {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b) if b == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(self.error("expected ',' or the end")),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads past one value of any kind, checking it.
    pub fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') => self.object(&mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut Self::skip),
            Some(b'"') => self.str().map(drop),
            Some(b't' | b'f') => self.bool().map(drop),
            Some(b'n') if self.null() => Ok(()),
            _ => self.number().map(drop),
        }
    }

    /// One value of any kind, as the text it is written with.
    pub fn raw(&mut self) -> Result<&'a str> {
        self.peek();
        let start = self.at;
        self.skip()?;
        Ok(&self.text[start..self.at])
    }
}
