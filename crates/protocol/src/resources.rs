//! The live lists, each described once: everything the app and the server say about a
//! resource (its REST path, item type, query key, the entity kind whose `entity:*` events
//! make it stale, its notification category, what its create and delete do, the page that
//! shows it). The server's routes, the app's queries, the invalidation of a list by an event,
//! the outbox's "which list does this create change" and the links of notifications all read
//! it from here.
//!
//! Forgetting a part of a new resource is caught: a new [`EntityKind`] does not compile until
//! [`EntityKind::resource`] names its [`Resource`] (and so every fact above), and
//! [`RESOURCES`] missing it fails the test `every_entity_kind_has_its_resource`, which names
//! it. The server's API suite asks every resource's paths (`resources.rs` there); the app's
//! tests check that a resource's page is one of its routes. `docs/adding-a-live-list.md`
//! walks through adding one.
//!
//! ```
//! use ppt_protocol::resources::{self, Creates};
//! use ppt_protocol::{EntityKind, QueryKey};
//!
//! let faults = &resources::FAULTS;
//! assert_eq!(faults.path, "/faults");
//! assert_eq!(faults.key(), QueryKey::new(["faults"]));
//! assert_eq!(faults.item_path(), "/faults/{id}");
//! assert_eq!(faults.creates, Creates::AddToList);
//! assert_eq!(faults.link("42"), "/faults/42");
//! // An `entity:updated fault` event makes `["faults"]` (and `["faults", "42"]`) stale:
//! assert_eq!(EntityKind::Fault.resource().key(), faults.key());
//! // A ballot is a create under the votes: it changes the votes list.
//! assert_eq!(resources::for_path("/votes/7/ballots").map(|r| r.name), Some("votes"));
//! ```

use std::marker::PhantomData;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::query::QueryKey;
use crate::rest::{Announcement, Document, Fault, Message, Neighbor, NotificationCategory, Vote};

/// Which kind of record an `entity:*` event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Announcement,
    Fault,
    Vote,
    Document,
    Message,
    Neighbor,
}

impl EntityKind {
    /// Every kind, in the contract's order.
    pub const ALL: [EntityKind; 6] = [
        EntityKind::Announcement,
        EntityKind::Fault,
        EntityKind::Vote,
        EntityKind::Document,
        EntityKind::Message,
        EntityKind::Neighbor,
    ];

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Announcement => "announcement",
            EntityKind::Fault => "fault",
            EntityKind::Vote => "vote",
            EntityKind::Document => "document",
            EntityKind::Message => "message",
            EntityKind::Neighbor => "neighbor",
        }
    }
}

/// What a create (`POST {path}`, or a `POST` under one of its items) does to the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    /// Nothing is created here.
    Nothing,
    /// The new item joins the list: the list is refetched when the create goes through.
    AddToList,
    /// The new item is written into the cached list in place (messages, by their event).
    WriteInPlace,
}

/// The facts of one resource, whatever its item type (what an event or a path leads to).
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// The first part of its query key and of its REST path: `"faults"`.
    pub name: &'static str,
    /// What people call it, on the page, in the header and in the settings: `"Faults"`.
    pub label: &'static str,
    /// What it is for, in a few words (the dashboard's tile): `"Report and follow repairs"`.
    pub blurb: &'static str,
    /// The REST path of the list under `/api/v1`: `"/faults"`.
    pub path: &'static str,
    /// The entity kind whose `entity:*` events make this list stale.
    pub entity: EntityKind,
    /// The notification category its events are announced under, if any (the preferences'
    /// row, and the `notification:<category>` event).
    pub category: Option<NotificationCategory>,
    /// What a create does.
    pub creates: Creates,
    /// Whether `DELETE {path}/{id}` deletes an item.
    pub deletes: bool,
    /// Whether the list comes in pages (`limit`, `before`), newest first.
    pub paged: bool,
    /// The app's page that shows it, where a notification about it links to.
    pub page: &'static str,
    /// Whether the app has a page per item (`{page}/{id}`), where a notification about one
    /// item links to.
    pub item_pages: bool,
}

impl ResourceInfo {
    /// Its query key, `["faults"]`: an invalidation of it reaches every key it prefixes.
    pub fn key(&self) -> QueryKey {
        QueryKey::new([self.name])
    }

    /// The REST path of one item, as the server's router spells it: `"/faults/{id}"`.
    pub fn item_path(&self) -> String {
        format!("{}/{{id}}", self.path)
    }

    /// The page of one item, where a notification about it links to: `"/faults/42"` when the
    /// app has a page per item, else the list's page.
    pub fn link(&self, id: &str) -> String {
        if self.item_pages {
            format!("{}/{id}", self.page)
        } else {
            self.page.to_owned()
        }
    }
}

/// An item of a resource's list: its id, and its version where it has one (a change's
/// `entity:*` event carries the version, so an event older than the data held is ignored).
pub trait Item: std::fmt::Debug + Clone + PartialEq + 'static {
    fn id(&self) -> &str;
    fn version(&self) -> Option<u64> {
        None
    }
}

/// An item type with versions, the one line each resource adds.
macro_rules! item {
    ($t:ty) => {
        impl Item for $t {
            fn id(&self) -> &str {
                &self.id
            }
        }
    };
    ($t:ty, versioned) => {
        impl Item for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> Option<u64> {
                Some(self.version)
            }
        }
    };
}

item!(Announcement, versioned);
item!(Fault, versioned);
item!(Vote, versioned);
item!(Document);
item!(Message);
item!(Neighbor);

/// A resource with its item type: what the app's typed queries are built from.
#[derive(Debug)]
pub struct Resource<T> {
    pub info: ResourceInfo,
    _item: PhantomData<fn() -> T>,
}

impl<T> Deref for Resource<T> {
    type Target = ResourceInfo;
    fn deref(&self) -> &ResourceInfo {
        &self.info
    }
}

impl<T: Item> Resource<T> {
    const fn new(info: ResourceInfo) -> Self {
        Resource {
            info,
            _item: PhantomData,
        }
    }
}

/// The building's announcements: managers post and delete them; everyone is notified.
pub static ANNOUNCEMENTS: Resource<Announcement> = Resource::new(ResourceInfo {
    name: "announcements",
    label: "Announcements",
    blurb: "News from the management",
    path: "/announcements",
    entity: EntityKind::Announcement,
    category: Some(NotificationCategory::Announcement),
    creates: Creates::AddToList,
    deletes: true,
    paged: true,
    page: "/announcements",
    item_pages: false,
});

/// Faults residents report; the manager is notified and changes their status.
pub static FAULTS: Resource<Fault> = Resource::new(ResourceInfo {
    name: "faults",
    label: "Faults",
    blurb: "Report and follow repairs",
    path: "/faults",
    entity: EntityKind::Fault,
    category: Some(NotificationCategory::Fault),
    creates: Creates::AddToList,
    deletes: true,
    paged: true,
    page: "/faults",
    item_pages: true,
});

/// Votes managers open; residents cast ballots (`POST /votes/{id}/ballots`).
pub static VOTES: Resource<Vote> = Resource::new(ResourceInfo {
    name: "votes",
    label: "Votes",
    blurb: "Decide together",
    path: "/votes",
    entity: EntityKind::Vote,
    category: Some(NotificationCategory::Vote),
    creates: Creates::AddToList,
    deletes: true,
    paged: true,
    page: "/votes",
    item_pages: false,
});

/// The building's documents (uploaded by the administration; managers delete them).
pub static DOCUMENTS: Resource<Document> = Resource::new(ResourceInfo {
    name: "documents",
    label: "Documents",
    blurb: "House rules and reports",
    path: "/documents",
    entity: EntityKind::Document,
    category: None,
    creates: Creates::Nothing,
    deletes: true,
    paged: true,
    page: "/documents",
    item_pages: false,
});

/// My messages: written into the inbox in place by `message:new`, announced by it too.
pub static MESSAGES: Resource<Message> = Resource::new(ResourceInfo {
    name: "messages",
    label: "Messages",
    blurb: "Talk with your neighbours",
    path: "/messages",
    entity: EntityKind::Message,
    category: Some(NotificationCategory::Message),
    creates: Creates::WriteInPlace,
    deletes: false,
    paged: true,
    page: "/messages",
    item_pages: false,
});

/// Everyone in my building (changed by the administration): one answer, not paged.
pub static NEIGHBORS: Resource<Neighbor> = Resource::new(ResourceInfo {
    name: "neighbors",
    label: "Neighbours",
    blurb: "Who lives here",
    path: "/neighbors",
    entity: EntityKind::Neighbor,
    category: None,
    creates: Creates::Nothing,
    deletes: false,
    paged: false,
    page: "/neighbors",
    item_pages: false,
});

/// Every resource, in the order of [`EntityKind::ALL`].
pub static RESOURCES: [&ResourceInfo; 6] = [
    &ANNOUNCEMENTS.info,
    &FAULTS.info,
    &VOTES.info,
    &DOCUMENTS.info,
    &MESSAGES.info,
    &NEIGHBORS.info,
];

impl EntityKind {
    /// The resource this kind's `entity:*` events are about. A new kind does not compile
    /// until it names one.
    pub fn resource(self) -> &'static ResourceInfo {
        match self {
            EntityKind::Announcement => &ANNOUNCEMENTS.info,
            EntityKind::Fault => &FAULTS.info,
            EntityKind::Vote => &VOTES.info,
            EntityKind::Document => &DOCUMENTS.info,
            EntityKind::Message => &MESSAGES.info,
            EntityKind::Neighbor => &NEIGHBORS.info,
        }
    }
}

/// The resource a REST path is under: `"/votes/7/ballots"` is under the votes.
pub fn for_path(path: &str) -> Option<&'static ResourceInfo> {
    let first = path.split(['?', '#']).next()?.trim_start_matches('/');
    let first = first.split('/').next()?;
    RESOURCES
        .iter()
        .copied()
        .find(|r| r.path.trim_start_matches('/') == first)
}

/// The resource whose events are announced under `category`.
pub fn for_category(category: NotificationCategory) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .copied()
        .find(|r| r.category == Some(category))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`RESOURCES`] lists each kind's resource once, in the kinds' order, and each names
    /// its kind back: a resource left out of the list is named here.
    #[test]
    fn every_entity_kind_has_its_resource() {
        assert_eq!(
            RESOURCES.len(),
            EntityKind::ALL.len(),
            "RESOURCES and EntityKind::ALL differ in length"
        );
        for (kind, listed) in EntityKind::ALL.into_iter().zip(RESOURCES) {
            let r = kind.resource();
            assert_eq!(
                r.entity,
                kind,
                "{}'s resource names another kind",
                kind.as_str()
            );
            assert!(
                std::ptr::eq(r, listed),
                "RESOURCES is missing {} (or has it out of order)",
                r.name
            );
        }
    }

    /// `EntityKind::ALL` and `NotificationCategory::ALL` hold every variant (a kind missing
    /// from them would be missing from [`RESOURCES`] unnoticed): a new variant does not
    /// compile until it has a place here, and the test fails until the list has it there.
    #[test]
    fn the_lists_of_kinds_and_categories_are_whole() {
        fn kind_place(k: EntityKind) -> usize {
            match k {
                EntityKind::Announcement => 0,
                EntityKind::Fault => 1,
                EntityKind::Vote => 2,
                EntityKind::Document => 3,
                EntityKind::Message => 4,
                EntityKind::Neighbor => 5,
            }
        }
        fn category_place(c: NotificationCategory) -> usize {
            match c {
                NotificationCategory::Message => 0,
                NotificationCategory::Announcement => 1,
                NotificationCategory::Fault => 2,
                NotificationCategory::Vote => 3,
            }
        }
        for (i, k) in EntityKind::ALL.into_iter().enumerate() {
            assert_eq!(
                kind_place(k),
                i,
                "EntityKind::ALL is missing a kind before {}",
                k.as_str()
            );
        }
        for (i, c) in NotificationCategory::ALL.into_iter().enumerate() {
            assert_eq!(
                category_place(c),
                i,
                "NotificationCategory::ALL is missing one before {}",
                c.as_str()
            );
            assert_eq!(NotificationCategory::parse(c.as_str()), Some(c));
            assert_eq!(c.event_type(), format!("notification:{}", c.as_str()));
        }
    }

    /// Names, paths and keys agree, and no two resources share one.
    #[test]
    fn names_paths_and_keys_agree() {
        for r in RESOURCES {
            assert_eq!(r.path, format!("/{}", r.name), "{}", r.name);
            assert_eq!(r.key(), QueryKey::new([r.name]));
            assert!(std::ptr::eq(for_path(r.path).unwrap(), r));
            assert!(std::ptr::eq(
                for_path(&format!("{}/9/x?y=1", r.path)).unwrap(),
                r
            ));
            assert!(r.page.starts_with('/'));
        }
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(for_path("/auth/login"), None);
        assert_eq!(for_path(""), None);
    }

    /// Every category but none is some resource's, and a resource's category leads back to it.
    #[test]
    fn every_category_has_its_resource() {
        for c in NotificationCategory::ALL {
            let r = for_category(c).unwrap_or_else(|| panic!("no resource for {}", c.as_str()));
            assert_eq!(r.category, Some(c));
        }
    }
}
