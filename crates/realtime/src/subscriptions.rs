//! Who wants which frames: subscriptions by exact type, by prefix (`"notification:"`), or
//! everything (`"*"`).

/// What a subscriber listens to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    Exact(String),
    Prefix(String),
    All,
}

impl Pattern {
    /// `"*"` is everything, a pattern ending in `:` is a prefix, anything else is exact.
    pub fn parse(s: &str) -> Self {
        if s == "*" {
            Pattern::All
        } else if s.ends_with(':') {
            Pattern::Prefix(s.to_owned())
        } else {
            Pattern::Exact(s.to_owned())
        }
    }

    /// Whether a frame of `event_type` matches.
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Prefix(p) => event_type.starts_with(p.as_str()),
            Pattern::Exact(t) => event_type == t,
        }
    }
}

/// Subscribers by id, in subscription order.
#[derive(Debug)]
pub struct Registry<T> {
    next: u64,
    entries: Vec<(u64, Pattern, T)>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            next: 0,
            entries: Vec::new(),
        }
    }
}

impl<T> Registry<T> {
    /// Adds a subscriber; the id removes it.
    pub fn add(&mut self, pattern: Pattern, value: T) -> u64 {
        self.next += 1;
        self.entries.push((self.next, pattern, value));
        self.next
    }

    /// Removes a subscriber (idempotent).
    pub fn remove(&mut self, id: u64) {
        self.entries.retain(|(i, _, _)| *i != id);
    }

    /// The subscribers for a frame type, in subscription order.
    pub fn matching<'a>(&'a self, event_type: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        self.entries
            .iter()
            .filter(move |(_, p, _)| p.matches(event_type))
            .map(|(_, _, v)| v)
    }

    /// One batch of frames split by subscriber: each gets, in order, the frames its pattern
    /// matches (subscribers matching none are left out), so a burst is one call each.
    pub fn split<'a, F: Clone>(
        &'a self,
        frames: &[F],
        type_of: impl Fn(&F) -> &str,
    ) -> Vec<(&'a T, Vec<F>)> {
        self.entries
            .iter()
            .filter_map(|(_, p, v)| {
                let mine: Vec<F> = frames
                    .iter()
                    .filter(|f| p.matches(type_of(f)))
                    .cloned()
                    .collect();
                (!mine.is_empty()).then_some((v, mine))
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact, prefix and wildcard patterns match what they say and nothing else.
    #[test]
    fn patterns_match() {
        assert!(Pattern::parse("message:new").matches("message:new"));
        assert!(!Pattern::parse("message:new").matches("message:read"));
        assert!(Pattern::parse("notification:").matches("notification:fault"));
        assert!(!Pattern::parse("notification:").matches("entity:created"));
        assert!(Pattern::parse("*").matches("anything"));
    }

    /// Removing a subscriber stops its deliveries; others keep theirs, in order.
    #[test]
    fn registry_add_remove() {
        let mut r = Registry::default();
        let a = r.add(Pattern::parse("*"), "a");
        let _b = r.add(Pattern::parse("entity:"), "b");
        assert_eq!(
            r.matching("entity:created").copied().collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        r.remove(a);
        r.remove(a);
        assert_eq!(
            r.matching("entity:created").copied().collect::<Vec<_>>(),
            vec!["b"]
        );
        assert_eq!(r.len(), 1);
    }

    /// A batch reaches each subscriber once, with only its frames, in arrival order.
    #[test]
    fn a_batch_is_split_by_subscriber() {
        let mut r = Registry::default();
        r.add(Pattern::parse("*"), "all");
        r.add(Pattern::parse("entity:"), "entities");
        r.add(Pattern::parse("pong"), "pongs");
        let frames = ["entity:created", "message:new", "entity:deleted"];
        let split = r.split(&frames, |f| f);
        assert_eq!(
            split,
            vec![
                (&"all", frames.to_vec()),
                (&"entities", vec!["entity:created", "entity:deleted"]),
            ]
        );
    }
}
