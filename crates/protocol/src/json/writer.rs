//! [`Writer`]: compact JSON text, written as serde_json writes it (the same escapes, no
//! spaces), so text from the app and from the server compare equal.

/// JSON text being written. Commas come by themselves: a value or key after another gets
/// one.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Writer {
            out: String::with_capacity(128),
        }
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.out
    }

    fn comma(&mut self) {
        if !matches!(self.out.as_bytes().last(), None | Some(b'{' | b'[' | b':')) {
            self.out.push(',');
        }
    }

    pub fn object_begin(&mut self) {
        self.comma();
        self.out.push('{');
    }

    pub fn object_end(&mut self) {
        self.out.push('}');
    }

    pub fn array_begin(&mut self) {
        self.comma();
        self.out.push('[');
    }

    pub fn array_end(&mut self) {
        self.out.push(']');
    }

    /// An object's key; its value comes next.
    pub fn key(&mut self, key: &str) {
        self.string(key);
        self.out.push(':');
    }

    pub fn string(&mut self, text: &str) {
        self.comma();
        self.out.push('"');
        let mut run = 0;
        for (i, b) in text.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            self.out.push_str(&text[run..i]);
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.out.push_str("\\u00");
                self.out.push(HEX[usize::from(b >> 4)] as char);
                self.out.push(HEX[usize::from(b & 0xf)] as char);
            } else {
                self.out.push_str(escape);
            }
            run = i + 1;
        }
        self.out.push_str(&text[run..]);
        self.out.push('"');
    }

    pub fn u64(&mut self, n: u64) {
        self.comma();
        self.digits(n);
    }

    pub fn i64(&mut self, n: i64) {
        self.comma();
        if n < 0 {
            self.out.push('-');
        }
        self.digits(n.unsigned_abs());
    }

    fn digits(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.out.push(char::from(d));
        }
    }

    pub fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    pub fn null(&mut self) {
        self.raw("null");
    }

    /// Text that is already JSON.
    pub fn raw(&mut self, json: &str) {
        self.comma();
        self.out.push_str(json);
    }
}
