//! The session: who is logged in and their access token, held in memory only (contract
//! section 10). Nothing of it is written to storage: a reload restores the session through
//! the refresh cookie, which script cannot read (`api::auth::refresh`). Changes are reducer
//! actions.

use std::rc::Rc;

use ppt_protocol::rest::{LoginResponse, User};
use yewdux::{Context, Reducer, Store};

/// Where earlier versions kept the session (token included); removed at start.
pub const LEGACY_STORAGE_KEY: &str = "ppt-web.session";

/// The logged-in user and their token, or nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub token: Option<String>,
    pub user: Option<User>,
    /// How long the token was valid when it arrived, in milliseconds (the connection renews
    /// it before then).
    pub lifetime_ms: Option<u64>,
    /// The last session ended because it could not be renewed (the login page says so).
    pub expired: bool,
    /// A reload is asking the server whether the browser still has a session.
    pub restoring: bool,
    /// Signed in as "a shared computer": nothing of the session is stored in the browser.
    pub shared: bool,
    /// The session's tag (what it stores carries it; `LoginResponse::session_tag`).
    pub tag: String,
}

impl Session {
    /// Whether someone is logged in.
    pub fn is_logged_in(&self) -> bool {
        self.token.is_some() && self.user.is_some()
    }

    /// Whether what this session does may be stored in the browser (its outbox, its cursor):
    /// someone is signed in, and not on a shared computer.
    pub fn keeps_anything(&self) -> bool {
        self.is_logged_in() && !self.shared
    }

    /// The answer another tab is given to share this session.
    pub fn to_share(&self) -> Option<LoginResponse> {
        Some(LoginResponse {
            token: self.token.clone()?,
            user: self.user.clone()?,
            expires_in: self.lifetime_ms.unwrap_or(0) / 1000,
            shared: self.shared,
            offline_max_age: 0,
            session_tag: self.tag.clone(),
        })
    }
}

impl Store for Session {
    fn new(_cx: &Context) -> Self {
        forget_legacy_storage();
        Session {
            // In the browser `main` asks for the session at start (the refresh cookie).
            restoring: cfg!(target_arch = "wasm32"),
            ..Session::default()
        }
    }

    fn should_notify(&self, old: &Self) -> bool {
        self != old
    }
}

/// What can happen to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// A login, or a session restored at start.
    LoggedIn(LoginResponse),
    /// The start-up check found no session to restore.
    NothingToRestore,
    TokenRefreshed {
        token: String,
        lifetime_ms: Option<u64>,
    },
    /// Another tab of this browser signed in or renewed the token: the same user keeps
    /// their session with the new token; anyone else is signed in as that user.
    Shared(LoginResponse),
    LoggedOut,
    /// The session could not be renewed: log out and say why.
    Expired,
}

/// A login answer's token lifetime in milliseconds (`None` when the server did not say).
pub fn lifetime_ms(r: &LoginResponse) -> Option<u64> {
    (r.expires_in > 0).then(|| r.expires_in.saturating_mul(1000))
}

impl Reducer<Session> for SessionAction {
    fn apply(self, mut state: Rc<Session>) -> Rc<Session> {
        let s = Rc::make_mut(&mut state);
        match self {
            SessionAction::LoggedIn(r) => {
                s.lifetime_ms = lifetime_ms(&r);
                s.token = Some(r.token);
                s.user = Some(r.user);
                s.shared = r.shared;
                s.tag = r.session_tag;
                s.expired = false;
                s.restoring = false;
            }
            SessionAction::NothingToRestore => s.restoring = false,
            SessionAction::TokenRefreshed { token, lifetime_ms } => {
                if s.user.is_some() {
                    s.token = Some(token);
                    s.lifetime_ms = lifetime_ms;
                }
            }
            SessionAction::Shared(r) => {
                let same = s.is_logged_in() && s.user.as_ref().map(|u| &u.id) == Some(&r.user.id);
                if same {
                    s.lifetime_ms = lifetime_ms(&r);
                    s.token = Some(r.token);
                    s.shared = r.shared;
                    s.tag = r.session_tag;
                } else {
                    return SessionAction::LoggedIn(r).apply(state);
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
fn forget_legacy_storage() {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::delete(LEGACY_STORAGE_KEY);
}

#[cfg(not(target_arch = "wasm32"))]
fn forget_legacy_storage() {}

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
            building_name: String::new(),
        }
    }

    fn login(token: &str) -> LoginResponse {
        LoginResponse {
            token: token.into(),
            user: alice(),
            expires_in: 900,
            shared: false,
            offline_max_age: 0,
            session_tag: "tag".into(),
        }
    }

    /// A session from another tab renews the same user's token, or signs its user in.
    #[test]
    fn a_shared_session_renews_or_signs_in() {
        let cx = Context::new();
        let dispatch = Dispatch::<Session>::new(&cx);
        dispatch.apply(SessionAction::Shared(login("t1")));
        assert_eq!(dispatch.get().token.as_deref(), Some("t1"));
        assert!(dispatch.get().is_logged_in());
        let mut other = login("t2");
        other.expires_in = 60;
        dispatch.apply(SessionAction::Shared(other));
        assert_eq!(dispatch.get().token.as_deref(), Some("t2"));
        assert_eq!(dispatch.get().lifetime_ms, Some(60_000));
        let mut bob = login("t3");
        bob.user.id = "2".into();
        dispatch.apply(SessionAction::Shared(bob));
        assert_eq!(dispatch.get().user.as_ref().unwrap().id, "2");
    }

    /// A restore that finds nothing ends the restoring state and logs nobody in.
    #[test]
    fn restoring_ends_either_way() {
        let cx = Context::new();
        let dispatch = Dispatch::<Session>::new(&cx);
        dispatch.reduce_mut(|s| s.restoring = true);
        dispatch.apply(SessionAction::NothingToRestore);
        assert!(!dispatch.get().restoring);
        assert!(!dispatch.get().is_logged_in());
        dispatch.reduce_mut(|s| s.restoring = true);
        dispatch.apply(SessionAction::LoggedIn(login("t")));
        assert!(!dispatch.get().restoring);
        assert_eq!(dispatch.get().lifetime_ms, Some(900_000));
    }

    /// Login fills the session, a refresh swaps only the token, logout clears everything.
    #[test]
    fn session_reducer() {
        let cx = Context::new();
        let dispatch = Dispatch::<Session>::new(&cx);
        assert!(!dispatch.get().is_logged_in());
        dispatch.apply(SessionAction::LoggedIn(login("t1")));
        assert!(dispatch.get().is_logged_in());
        dispatch.apply(SessionAction::TokenRefreshed {
            token: "t2".into(),
            lifetime_ms: Some(5),
        });
        assert_eq!(dispatch.get().lifetime_ms, Some(5));
        assert_eq!(dispatch.get().token.as_deref(), Some("t2"));
        dispatch.apply(SessionAction::LoggedOut);
        assert_eq!(*dispatch.get(), Session::default());
        dispatch.apply(SessionAction::TokenRefreshed {
            token: "t3".into(),
            lifetime_ms: None,
        });
        assert_eq!(dispatch.get().token, None, "a refresh cannot log anyone in");
        dispatch.apply(SessionAction::LoggedIn(login("t4")));
        dispatch.apply(SessionAction::Expired);
        assert!(!dispatch.get().is_logged_in());
        assert!(dispatch.get().expired);
        dispatch.apply(SessionAction::LoggedIn(login("t5")));
        assert!(!dispatch.get().expired);
    }
}
