//! Notification preferences, loaded from and saved to `/notification-preferences`, and
//! replaced when another session changes them (`preferences:updated`).

use std::rc::Rc;

use ppt_protocol::rest::{NotificationCategory, NotificationPreferences};
use yewdux::{Reducer, Store};

use crate::api::ApiError;

/// The user's preferences as the app knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct Preferences {
    pub prefs: NotificationPreferences,
    pub loaded: bool,
    pub saving: bool,
    pub error: Option<ApiError>,
}

/// The three switches of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Toast,
    Sound,
    Browser,
}

/// What can happen to the preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreferencesAction {
    /// From the server (a load, a save's answer, or another session's change).
    Replaced(NotificationPreferences),
    /// The user flipped a switch; saved optimistically.
    Set {
        category: NotificationCategory,
        channel: Channel,
        on: bool,
    },
    SaveFailed {
        previous: NotificationPreferences,
        error: ApiError,
    },
    Clear,
}

impl Reducer<Preferences> for PreferencesAction {
    fn apply(self, mut state: Rc<Preferences>) -> Rc<Preferences> {
        let s = Rc::make_mut(&mut state);
        match self {
            PreferencesAction::Replaced(p) => {
                s.prefs = p;
                s.loaded = true;
                s.saving = false;
                s.error = None;
            }
            PreferencesAction::Set {
                category,
                channel,
                on,
            } => {
                let c = s.prefs.get_mut(category);
                match channel {
                    Channel::Toast => c.toast = on,
                    Channel::Sound => c.sound = on,
                    Channel::Browser => c.browser = on,
                }
                s.saving = true;
            }
            PreferencesAction::SaveFailed { previous, error } => {
                s.prefs = previous;
                s.saving = false;
                s.error = Some(error);
            }
            PreferencesAction::Clear => *s = Preferences::default(),
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use yewdux::{Context, Dispatch};

    use super::*;

    /// A switch changes at once; a failed save puts the old value back and says why.
    #[test]
    fn optimistic_set_and_rollback() {
        let d = Dispatch::<Preferences>::new(&Context::new());
        let before = d.get().prefs.clone();
        d.apply(PreferencesAction::Set {
            category: NotificationCategory::Vote,
            channel: Channel::Sound,
            on: false,
        });
        assert!(!d.get().prefs.vote.sound);
        let error = ApiError::Network("offline".into());
        d.apply(PreferencesAction::SaveFailed {
            previous: before.clone(),
            error: error.clone(),
        });
        assert_eq!(d.get().prefs, before);
        assert_eq!(d.get().error, Some(error));
    }
}
