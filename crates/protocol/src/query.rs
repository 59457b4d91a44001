//! Query keys (lists of strings, matched by prefix) and the contract's invalidation table.

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

/// The invalidation map (docs/protocol.md, "Queries and invalidation") as one value: which key each entity's
/// `entity:*` events invalidate (and with it every key it prefixes).
pub const INVALIDATION_MAP: [(EntityKind, &str); 6] = [
    (EntityKind::Announcement, "announcements"),
    (EntityKind::Fault, "faults"),
    (EntityKind::Vote, "votes"),
    (EntityKind::Document, "documents"),
    (EntityKind::Message, "messages"),
    (EntityKind::Neighbor, "neighbors"),
];

/// The key an `entity:*` event invalidates, from [`INVALIDATION_MAP`].
pub fn key_for_entity(entity: EntityKind) -> QueryKey {
    let root = INVALIDATION_MAP
        .iter()
        .find(|(e, _)| *e == entity)
        .map_or("", |(_, k)| *k);
    QueryKey::new([root])
}
