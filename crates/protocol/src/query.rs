//! Query keys (lists of strings, matched by prefix), and the key an event invalidates.

use crate::envelope::EntityKind;

/// A query key such as `["faults"]` or `["faults", "42"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryKey(pub Vec<String>);

impl QueryKey {
    /// A key from its parts.
    pub fn new<I, S>(parts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        QueryKey(parts.into_iter().map(Into::into).collect())
    }

    /// Whether invalidating `self` invalidates `other`: `self` is a prefix of `other`.
    pub fn is_prefix_of(&self, other: &QueryKey) -> bool {
        other.0.len() >= self.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }
}

/// The key an `entity:*` event invalidates (and with it every key it prefixes): its
/// resource's ([`crate::resources`]).
pub fn key_for_entity(entity: EntityKind) -> QueryKey {
    entity.resource().key()
}
