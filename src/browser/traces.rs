//! What a user leaves in this browser, and forgetting it (docs/protocol.md, "Sessions and tokens").
//!
//! A signed-in user leaves, besides what the page holds in memory: their stored outbox and
//! event cursor in localStorage (`ppt-web.outbox.<id>`, `ppt-web.cursor.<id>`), the lists
//! the service worker kept for them in Cache Storage (`ppt-lists-v2-<id>`, and
//! `ppt-session-v2`, which names the user it keeps for), and the system notifications the
//! page raised. When a session ends in any way the browser learns of (the logout button, a
//! refresh answered 401, a socket closed 4401, the session's cap, another user signing in),
//! [`forget_all_but`] removes every trace of everyone but the user who stays. The app does
//! it itself, so it does not depend on the worker controlling the page; the worker also
//! forgets on its own when it sees a logout or a 401 go by.
//!
//! Which keys and caches belong to whom is decided by the pure functions here (tested
//! natively); the browser calls stay thin and quiet.

/// The localStorage keys that belong to one user: these prefixes and the user's id.
pub const USER_KEYS: [&str; 2] = ["ppt-web.outbox.", "ppt-web.cursor."];

/// The cache that names the user the service worker keeps lists for (`static/sw.js`).
pub const SESSION_CACHE: &str = "ppt-session-v2";

/// The prefix of the caches of lists kept for one user, followed by their id.
pub const LISTS_CACHE: &str = "ppt-lists-v2-";

/// Caches of the lists of earlier versions of the worker (one for every user).
const OLD_LISTS_CACHES: [&str; 1] = ["ppt-data-v1"];

/// The user a localStorage key belongs to, if it is one of a user's.
pub fn key_owner(key: &str) -> Option<&str> {
    USER_KEYS
        .iter()
        .find_map(|prefix| key.strip_prefix(prefix))
        .filter(|id| !id.is_empty())
}

/// Whether a localStorage key is to be removed when only `stays` (or nobody) remains.
pub fn key_doomed(key: &str, stays: Option<&str>) -> bool {
    key_owner(key).is_some_and(|owner| Some(owner) != stays)
}

/// Whether a cache is to be removed when only `stays` (or nobody) remains: the lists of
/// anyone else, the old shared lists, and the worker's note of its user when nobody stays.
/// The app's shell (`ppt-shell-…`) is nobody's and stays.
pub fn cache_doomed(name: &str, stays: Option<&str>) -> bool {
    if name == SESSION_CACHE {
        return stays.is_none();
    }
    if OLD_LISTS_CACHES.contains(&name) {
        return true;
    }
    name.strip_prefix(LISTS_CACHE)
        .is_some_and(|owner| Some(owner) != stays)
}

/// Removes from this browser everything of every user but `stays` (`None`: of everyone):
/// their stored outboxes and cursors, the lists kept for them, and the system notifications
/// this page raised (when nobody stays, or someone else signed in).
#[cfg(target_arch = "wasm32")]
pub fn forget_all_but(stays: Option<&str>) {
    use wasm_bindgen_futures::JsFuture;

    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(Some(storage)) = window.local_storage() {
        let keys: Vec<String> = (0..storage.length().unwrap_or(0))
            .filter_map(|i| storage.key(i).ok().flatten())
            .collect();
        for key in keys.iter().filter(|k| key_doomed(k, stays)) {
            let _ = storage.remove_item(key);
        }
    }
    crate::browser::notifications::close_all();
    // Cache Storage is there only in a secure context (https, or localhost).
    let Ok(caches) = window.caches() else {
        return;
    };
    let stays = stays.map(str::to_owned);
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(names) = JsFuture::from(caches.keys()).await else {
            return;
        };
        for name in js_sys::Array::from(&names).iter() {
            let Some(name) = name.as_string() else {
                continue;
            };
            if cache_doomed(&name, stays.as_deref()) {
                let _ = JsFuture::from(caches.delete(&name)).await;
            }
        }
    });
}

/// Natively there is no browser to forget anything in.
#[cfg(not(target_arch = "wasm32"))]
pub fn forget_all_but(_stays: Option<&str>) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user's keys are theirs; config and the shell are nobody's.
    #[test]
    fn keys_belong_to_their_user() {
        assert_eq!(key_owner("ppt-web.outbox.7"), Some("7"));
        assert_eq!(key_owner("ppt-web.cursor.12"), Some("12"));
        assert_eq!(key_owner("ppt-web.cursor."), None);
        assert_eq!(key_owner("ppt-web.realtime"), None);
        assert_eq!(key_owner("ppt-web.refresh"), None);
        assert!(key_doomed("ppt-web.outbox.7", None));
        assert!(key_doomed("ppt-web.outbox.7", Some("8")));
        assert!(!key_doomed("ppt-web.outbox.7", Some("7")));
        assert!(!key_doomed("ppt-web.realtime", None), "settings stay");
        assert!(!key_doomed("someone-else.outbox.7", None));
    }

    /// Signing out removes every user's lists and the worker's note; another user signing in
    /// removes the others' lists and keeps the note (the worker rewrites it); the shell stays.
    #[test]
    fn caches_belong_to_their_user() {
        for nobody in [
            "ppt-session-v2",
            "ppt-lists-v2-7",
            "ppt-lists-v2-8",
            "ppt-data-v1",
        ] {
            assert!(cache_doomed(nobody, None), "{nobody}");
        }
        assert!(!cache_doomed("ppt-shell-v1", None));
        assert!(!cache_doomed("ppt-lists-v2-7", Some("7")));
        assert!(cache_doomed("ppt-lists-v2-8", Some("7")));
        assert!(!cache_doomed("ppt-session-v2", Some("7")));
        assert!(cache_doomed("ppt-data-v1", Some("7")));
        assert!(
            cache_doomed("ppt-lists-v2-70", Some("7")),
            "another user whose id starts alike"
        );
    }
}
