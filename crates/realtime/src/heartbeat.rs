//! The heartbeat: a `ping` every 30 s, and a link is dead after 10 s without any frame
//! following a ping. Judged on elapsed wall time, not on how often timers fired, so a
//! throttled background tab neither raises false alarms (a late timer finds the pong that
//! came meanwhile) nor misses a dead link (a late timer still finds no frame since the ping).

/// Heartbeat settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatConfig {
    pub interval_ms: u64,
    pub timeout_ms: u64,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        HeartbeatConfig {
            interval_ms: 30_000,
            timeout_ms: 10_000,
        }
    }
}

/// What the heartbeat wants done now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Nothing yet; ask again at the given time.
    Wait(u64),
    /// Send a `ping` now.
    Ping,
    /// No frame for too long after a ping: the link is dead.
    Dead,
}

/// One connection's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    cfg: HeartbeatConfig,
    last_frame_at: u64,
    ping_sent_at: Option<u64>,
    /// From the last ping to the frame that answered it, in ms.
    rtt_ms: Option<u64>,
}

impl Heartbeat {
    /// A heartbeat for a link that was last heard from at `now`.
    pub fn new(cfg: HeartbeatConfig, now: u64) -> Self {
        Heartbeat {
            cfg,
            last_frame_at: now,
            ping_sent_at: None,
            rtt_ms: None,
        }
    }

    /// Any frame arrived: the link is alive.
    pub fn frame_received(&mut self, now: u64) {
        self.last_frame_at = self.last_frame_at.max(now);
        if let Some(sent) = self.ping_sent_at.take() {
            self.rtt_ms = Some(now.saturating_sub(sent));
        }
    }

    /// The last round trip: from a ping to the first frame after it.
    pub fn rtt_ms(&self) -> Option<u64> {
        self.rtt_ms
    }

    /// A ping went out.
    pub fn ping_sent(&mut self, now: u64) {
        self.ping_sent_at = Some(now);
    }

    /// Whether a ping is waiting for an answer.
    pub fn awaiting_pong(&self) -> bool {
        self.ping_sent_at.is_some()
    }

    /// What to do at `now`.
    pub fn check(&self, now: u64) -> Beat {
        match self.ping_sent_at {
            Some(sent) => {
                let deadline = sent.saturating_add(self.cfg.timeout_ms);
                if now >= deadline {
                    Beat::Dead
                } else {
                    Beat::Wait(deadline)
                }
            }
            None => {
                let due = self.last_frame_at.saturating_add(self.cfg.interval_ms);
                if now >= due {
                    Beat::Ping
                } else {
                    Beat::Wait(due)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb() -> Heartbeat {
        Heartbeat::new(HeartbeatConfig::default(), 0)
    }

    /// A ping is due 30 s after the last frame; any frame pushes it back.
    #[test]
    fn ping_every_interval_after_the_last_frame() {
        let mut h = hb();
        assert_eq!(h.check(29_999), Beat::Wait(30_000));
        assert_eq!(h.check(30_000), Beat::Ping);
        h.frame_received(20_000);
        assert_eq!(h.check(30_000), Beat::Wait(50_000));
    }

    /// 10 s without a frame after a ping is a dead link; a pong in time is not.
    #[test]
    fn dead_after_timeout_without_frames() {
        let mut h = hb();
        h.ping_sent(30_000);
        assert_eq!(h.check(39_999), Beat::Wait(40_000));
        assert_eq!(h.check(40_000), Beat::Dead);
        h.frame_received(35_000);
        assert_eq!(h.check(40_000), Beat::Wait(65_000));
    }

    /// A throttled tab whose timer fires a minute late: if the pong came meanwhile there is
    /// no alarm; if nothing came, the dead link is still seen.
    #[test]
    fn throttled_timers_judge_by_elapsed_time() {
        let mut alive = hb();
        alive.ping_sent(30_000);
        alive.frame_received(30_050);
        assert_eq!(
            alive.check(100_000),
            Beat::Ping,
            "late timer: just ping again"
        );
        let mut dead = hb();
        dead.ping_sent(30_000);
        assert_eq!(dead.check(100_000), Beat::Dead);
    }
}
