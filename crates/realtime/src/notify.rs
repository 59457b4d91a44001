//! The preference filter: given a category, the user's preferences and the circumstances,
//! which channels (toast, sound, browser notification) an alert may use.

use ppt_protocol::rest::{NotificationCategory, NotificationPreferences};

/// The channels one alert goes out on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub toast: bool,
    pub sound: bool,
    pub browser: bool,
}

impl Delivery {
    /// Whether the alert goes anywhere at all.
    pub fn any(self) -> bool {
        self.toast || self.sound || self.browser
    }
}

/// What the filter needs to know besides the preferences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Circumstances {
    /// The user caused it (their own message, from another tab).
    pub own: bool,
    /// The tab is hidden: browser notifications only then.
    pub tab_hidden: bool,
    /// The user granted browser notifications.
    pub browser_permitted: bool,
    /// Replayed after an outage: summarised elsewhere, never alerted one by one.
    pub replayed: bool,
}

/// Decides the channels for one alert.
pub fn decide(
    category: NotificationCategory,
    prefs: &NotificationPreferences,
    c: Circumstances,
) -> Delivery {
    if c.own || c.replayed {
        return Delivery::default();
    }
    let p = prefs.get(category);
    Delivery {
        toast: p.toast,
        sound: p.sound,
        browser: p.browser && c.browser_permitted && c.tab_hidden,
    }
}

/// Sounds closer together than this are one sound: a burst of alerts chimes once.
pub const SOUND_GAP_MS: u64 = 1500;

/// Lets a sound through unless one played less than [`SOUND_GAP_MS`] ago.
#[derive(Debug, Clone, Default)]
pub struct SoundGate {
    last: Option<u64>,
}

impl SoundGate {
    /// Whether a sound may play at `now` (milliseconds); if so, it counts as played.
    pub fn allow(&mut self, now: u64) -> bool {
        match self.last {
            Some(t) if now.saturating_sub(t) < SOUND_GAP_MS => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ppt_protocol::rest::ChannelPreference;

    use super::*;

    fn prefs(toast: bool, sound: bool, browser: bool) -> NotificationPreferences {
        NotificationPreferences {
            announcement: ChannelPreference {
                toast,
                sound,
                browser,
            },
            ..Default::default()
        }
    }

    /// Each switch controls its own channel, for its own category only.
    #[test]
    fn switches_control_channels() {
        let c = Circumstances {
            tab_hidden: true,
            browser_permitted: true,
            ..Default::default()
        };
        for toast in [false, true] {
            for sound in [false, true] {
                for browser in [false, true] {
                    let d = decide(
                        NotificationCategory::Announcement,
                        &prefs(toast, sound, browser),
                        c,
                    );
                    assert_eq!(
                        d,
                        Delivery {
                            toast,
                            sound,
                            browser
                        }
                    );
                }
            }
        }
        let d = decide(NotificationCategory::Fault, &prefs(false, false, false), c);
        assert!(d.toast && d.sound, "other categories keep their defaults");
    }

    /// Browser notifications need permission and a hidden tab.
    #[test]
    fn browser_needs_permission_and_a_hidden_tab() {
        let p = prefs(true, true, true);
        let visible = Circumstances {
            browser_permitted: true,
            ..Default::default()
        };
        assert!(!decide(NotificationCategory::Announcement, &p, visible).browser);
        let no_permission = Circumstances {
            tab_hidden: true,
            ..Default::default()
        };
        assert!(!decide(NotificationCategory::Announcement, &p, no_permission).browser);
    }

    /// Nothing for my own actions, nothing one by one for replayed events.
    #[test]
    fn own_and_replayed_are_silent() {
        let p = NotificationPreferences::default();
        for c in [
            Circumstances {
                own: true,
                ..Default::default()
            },
            Circumstances {
                replayed: true,
                ..Default::default()
            },
        ] {
            assert!(!decide(NotificationCategory::Message, &p, c).any());
        }
    }

    /// A burst of alerts plays one sound; the next one after the gap plays again.
    #[test]
    fn a_burst_chimes_once() {
        let mut g = SoundGate::default();
        assert!(g.allow(10_000));
        assert!(!g.allow(10_001));
        assert!(!g.allow(10_000 + SOUND_GAP_MS - 1));
        assert!(g.allow(10_000 + SOUND_GAP_MS));
    }
}
