//! What an operation takes, parsed: made only through `parse`, so an operation never sees an
//! empty title or an over-long text. A value that does not parse is the client's mistake:
//! 400 `invalid` naming the field.

use crate::error::AppError;

/// A trimmed, non-empty text field of at most `max` characters.
fn bounded(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        Err(AppError::field(field, "must not be empty"))
    } else if v.chars().count() > max {
        Err(AppError::field(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(v.to_owned())
    }
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The most characters it holds.
            pub const MAX: usize = $max;

            /// `value` trimmed, if it is not empty and not longer than [`Self::MAX`]; else a
            /// 400 naming `field`.
            pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
                bounded(field, value, Self::MAX).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }
    };
}

text_value!(
    /// A title: an announcement's, a fault's, a vote's.
    Title,
    200
);
text_value!(
    /// A longer text: an announcement's body, a fault's description.
    Text,
    10_000
);
text_value!(
    /// A message's body.
    MessageBody,
    4_000
);

/// An email address as accounts are kept: trimmed and in lower case (lookups and uniqueness
/// ignore case on both backends), one `@` with something on both sides, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// `raw` as an account's address, or why it is not one (said to whoever typed it).
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = Self::fold(raw);
        let at = email.find('@');
        if !at.is_some_and(|i| i > 0 && i + 1 < email.len()) || email.contains(char::is_whitespace)
        {
            return Err(format!("{raw:?} is not an email address"));
        }
        Ok(Email(email))
    }

    /// `raw` folded as accounts are kept, for looking one up (a sign-in with a malformed
    /// address simply finds nobody).
    pub fn fold(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A vote's options: 2 to [`VoteOptions::MAX`], each a label of at most 100 characters, no
/// two the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteOptions(Vec<String>);

impl VoteOptions {
    pub const MAX: usize = 10;

    pub fn parse(field: &str, options: &[String]) -> Result<Self, AppError> {
        let mut out: Vec<String> = Vec::new();
        for o in options {
            let o = bounded(field, o, 100)?;
            if out.contains(&o) {
                return Err(AppError::field(field, "options must differ"));
            }
            out.push(o);
        }
        if out.len() < 2 || out.len() > Self::MAX {
            return Err(AppError::field(
                field,
                format!("a vote needs 2 to {} options", Self::MAX),
            ));
        }
        Ok(VoteOptions(out))
    }

    pub fn labels(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are trimmed and bounded; what does not parse names its field.
    #[test]
    fn values_parse_or_name_their_field() {
        assert_eq!(Title::parse("title", "  Lift  ").unwrap().as_str(), "Lift");
        assert!(Title::parse("title", "   ").is_err());
        assert!(Title::parse("title", &"x".repeat(201)).is_err());
        assert!(Title::parse("title", &"é".repeat(200)).is_ok());
        assert!(MessageBody::parse("body", &"x".repeat(4_001)).is_err());
        let two = ["Yes".to_owned(), "No".to_owned()];
        assert_eq!(VoteOptions::parse("options", &two).unwrap().labels(), two);
        assert!(VoteOptions::parse("options", &two[..1]).is_err());
        assert!(VoteOptions::parse("options", &["A".into(), " A ".into()]).is_err());
        assert_eq!(
            Email::parse(" Alice@Demo.PPT ").unwrap().as_str(),
            "alice@demo.ppt"
        );
        for bad in ["alice", "@demo.ppt", "alice@", "al ice@demo.ppt"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
