//! Timing settings of the connection. Defaults follow the contract (ping every 30 s, dead
//! after 10 s, backoff 1 s to 30 s); a JSON object in localStorage under
//! [`STORAGE_KEY`] overrides any of them, which is how tests shrink intervals.

use ppt_realtime::backoff::BackoffConfig;
use ppt_realtime::heartbeat::HeartbeatConfig;
use ppt_realtime::live::LiveConfig;
use ppt_realtime::ConnectionConfig;

/// localStorage key of the overrides.
pub const STORAGE_KEY: &str = "ppt-web.realtime-config";

/// Overrides, all optional, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    pub ping_interval_ms: Option<u64>,
    pub pong_timeout_ms: Option<u64>,
    pub backoff_base_ms: Option<u64>,
    pub backoff_max_ms: Option<u64>,
    pub connect_timeout_ms: Option<u64>,
    pub stable_after_ms: Option<u64>,
    pub degrade_after_ms: Option<u64>,
    /// How often to poll `/events/missed` while live updates are paused.
    pub poll_interval_ms: Option<u64>,
    /// A restarting server's clients try again within this, at random.
    pub handover_spread_ms: Option<u64>,
}

impl Overrides {
    /// The defaults with these overrides applied (zeroes are ignored).
    pub fn apply(&self, base: ConnectionConfig) -> ConnectionConfig {
        let pick = |o: Option<u64>, d: u64| o.filter(|v| *v > 0).unwrap_or(d);
        ConnectionConfig {
            backoff: BackoffConfig {
                base_ms: pick(self.backoff_base_ms, base.backoff.base_ms),
                max_ms: pick(self.backoff_max_ms, base.backoff.max_ms),
            },
            heartbeat: HeartbeatConfig {
                interval_ms: pick(self.ping_interval_ms, base.heartbeat.interval_ms),
                timeout_ms: pick(self.pong_timeout_ms, base.heartbeat.timeout_ms),
            },
            connect_timeout_ms: pick(self.connect_timeout_ms, base.connect_timeout_ms),
            stable_after_ms: pick(self.stable_after_ms, base.stable_after_ms),
            degrade_after_ms: pick(self.degrade_after_ms, base.degrade_after_ms),
            handover_spread_ms: pick(self.handover_spread_ms, base.handover_spread_ms),
        }
    }
}

/// Reads the settings: defaults, with any overrides from `raw` (the stored JSON).
pub fn config_from(raw: Option<&str>) -> ConnectionConfig {
    let overrides: Overrides = raw
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    overrides.apply(ConnectionConfig::default())
}

/// How often the app polls `/events/missed` while live updates are paused (15 s).
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 15_000;

/// The live core's settings in force in this browser (the poll interval may be overridden).
pub fn live_config() -> LiveConfig {
    LiveConfig {
        poll_ms: stored_overrides()
            .poll_interval_ms
            .filter(|v| *v > 0)
            .unwrap_or(DEFAULT_POLL_INTERVAL_MS),
        ..LiveConfig::default()
    }
}

fn stored_overrides() -> Overrides {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|raw| serde_json::from_str(&raw).ok())
            .unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    Overrides::default()
}

/// The settings in force in this browser.
pub fn realtime_config() -> ConnectionConfig {
    stored_overrides().apply(ConnectionConfig::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No overrides: the contract's numbers. Overrides replace only what they name; junk is ignored.
    #[test]
    fn overrides_apply() {
        let d = config_from(None);
        assert_eq!(
            (d.heartbeat.interval_ms, d.heartbeat.timeout_ms),
            (30_000, 10_000)
        );
        assert_eq!((d.backoff.base_ms, d.backoff.max_ms), (1_000, 30_000));
        let c = config_from(Some(
            r#"{"pingIntervalMs":500,"pongTimeoutMs":300,"backoffMaxMs":0}"#,
        ));
        assert_eq!(
            (c.heartbeat.interval_ms, c.heartbeat.timeout_ms),
            (500, 300)
        );
        assert_eq!(c.backoff.max_ms, 30_000);
        assert_eq!(config_from(Some("not json")), d);
    }
}
