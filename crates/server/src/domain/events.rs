//! The events an operation emits, and to whom: `entity:*` to the building, a notification to
//! the users it concerns.

use ppt_protocol::envelope::{EntityAction, EntityChange, Notification};
use ppt_protocol::rest::NotificationCategory;
use ppt_protocol::{EntityKind, ServerEvent};

use crate::eventlog::Audience;
use crate::storage::Tx;

/// Emits `entity:<action>` for the building.
pub fn emit_entity(
    tx: &mut Tx,
    action: EntityAction,
    entity: EntityKind,
    id: i64,
    version: Option<u64>,
    building: i64,
) {
    tx.emit(
        ServerEvent::Entity(
            action,
            EntityChange {
                entity,
                id: id.to_string(),
                version,
            },
        ),
        Audience::Building(building),
    );
}

/// Emits a `notification:*` to the given users.
pub fn emit_notification(
    tx: &mut Tx,
    category: NotificationCategory,
    n: Notification,
    users: Vec<i64>,
) {
    if !users.is_empty() {
        tx.emit(
            ServerEvent::Notification(category, n),
            Audience::Users(users),
        );
    }
}

/// A notification about one entity.
pub fn notification(
    key: String,
    title: String,
    body: String,
    entity_id: i64,
    link: String,
) -> Notification {
    Notification {
        notification_id: key,
        title,
        body,
        entity_id: entity_id.to_string(),
        link,
    }
}
