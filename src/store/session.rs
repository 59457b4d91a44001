//! The session: who is logged in and their token, kept in localStorage so a reload stays
//! logged in. Changes are reducer actions; saving is a listener's side effect.

use std::rc::Rc;

use ppt_protocol::rest::User;
use serde::{Deserialize, Serialize};
use yewdux::{Context, Reducer, Store};

/// localStorage key of the session.
pub const STORAGE_KEY: &str = "ppt-web.session";

/// The logged-in user and their token, or nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: Option<String>,
    pub user: Option<User>,
    /// The last session ended because it could not be renewed (the login page says so).
    #[serde(default)]
    pub expired: bool,
}

impl Session {
    /// Whether someone is logged in.
    pub fn is_logged_in(&self) -> bool {
        self.token.is_some() && self.user.is_some()
    }
}

impl Store for Session {
    fn new(cx: &Context) -> Self {
        init_persistence(cx);
        load()
    }

    fn should_notify(&self, old: &Self) -> bool {
        self != old
    }
}

/// What can happen to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    LoggedIn {
        token: String,
        user: User,
    },
    TokenRefreshed(String),
    LoggedOut,
    /// The session could not be renewed: log out and say why.
    Expired,
}

impl Reducer<Session> for SessionAction {
    fn apply(self, mut state: Rc<Session>) -> Rc<Session> {
        let s = Rc::make_mut(&mut state);
        match self {
            SessionAction::LoggedIn { token, user } => {
                s.token = Some(token);
                s.user = Some(user);
                s.expired = false;
            }
            SessionAction::TokenRefreshed(token) => {
                if s.user.is_some() {
                    s.token = Some(token);
                }
            }
            SessionAction::LoggedOut => *s = Session::default(),
            SessionAction::Expired => {
                *s = Session::default();
                s.expired = true;
            }
        }
        state
    }
}

#[cfg(target_arch = "wasm32")]
fn load() -> Session {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::raw()
        .get_item(STORAGE_KEY)
        .ok()
        .flatten()
        .and_then(|raw| crate::api::from_json(&raw).ok())
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn load() -> Session {
    Session::default()
}

#[cfg(target_arch = "wasm32")]
fn init_persistence(cx: &Context) {
    struct Save;
    impl yewdux::Listener for Save {
        type Store = Session;
        fn on_change(&self, _cx: &Context, state: Rc<Session>) {
            use gloo_storage::{LocalStorage, Storage};
            if state.is_logged_in() {
                let _ = LocalStorage::set(STORAGE_KEY, state.as_ref());
            } else {
                // Nothing of the user's stays behind; only whether the session expired.
                LocalStorage::delete(STORAGE_KEY);
            }
        }
    }
    yewdux::init_listener(|| Save, cx);
}

#[cfg(not(target_arch = "wasm32"))]
fn init_persistence(_cx: &Context) {}

#[cfg(test)]
mod tests {
    use ppt_protocol::rest::Role;
    use yewdux::Dispatch;

    use super::*;

    fn alice() -> User {
        User {
            id: "1".into(),
            name: "Alice".into(),
            email: "alice@demo.ppt".into(),
            role: Role::Resident,
        }
    }

    /// Login fills the session, a refresh swaps only the token, logout clears everything.
    #[test]
    fn session_reducer() {
        let cx = Context::new();
        let dispatch = Dispatch::<Session>::new(&cx);
        assert!(!dispatch.get().is_logged_in());
        dispatch.apply(SessionAction::LoggedIn {
            token: "t1".into(),
            user: alice(),
        });
        assert!(dispatch.get().is_logged_in());
        dispatch.apply(SessionAction::TokenRefreshed("t2".into()));
        assert_eq!(dispatch.get().token.as_deref(), Some("t2"));
        dispatch.apply(SessionAction::LoggedOut);
        assert_eq!(*dispatch.get(), Session::default());
        dispatch.apply(SessionAction::TokenRefreshed("t3".into()));
        assert_eq!(dispatch.get().token, None, "a refresh cannot log anyone in");
        dispatch.apply(SessionAction::LoggedIn {
            token: "t4".into(),
            user: alice(),
        });
        dispatch.apply(SessionAction::Expired);
        assert!(!dispatch.get().is_logged_in());
        assert!(dispatch.get().expired);
        dispatch.apply(SessionAction::LoggedIn {
            token: "t5".into(),
            user: alice(),
        });
        assert!(!dispatch.get().expired);
    }
}
