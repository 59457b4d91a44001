//! `Recent`: the last `N` keys seen, answering "seen before?" in constant time, so an alert or
//! a toast is raised once however many copies of its event arrive.

use std::collections::{HashSet, VecDeque};

/// The most recent `N` distinct keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent<const N: usize> {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl<const N: usize> Recent<N> {
    /// Remembers `key`; returns whether it was new. The oldest key is forgotten past `N`.
    pub fn insert(&mut self, key: &str) -> bool {
        if self.set.contains(key) {
            return false;
        }
        if self.order.len() == N {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(key.to_owned());
        self.set.insert(key.to_owned());
        true
    }

    /// Whether `key` is remembered.
    pub fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key is new once; past the capacity the oldest is forgotten and new again.
    #[test]
    fn remembers_the_last_n() {
        let mut r = Recent::<2>::default();
        assert!(r.insert("a"));
        assert!(!r.insert("a"));
        assert!(r.insert("b"));
        assert!(r.insert("c"));
        assert_eq!(r.len(), 2);
        assert!(!r.insert("b"));
        assert!(r.insert("a"));
    }
}
