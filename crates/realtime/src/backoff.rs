//! Reconnect delays: exponential (1 s, 2 s, 4 s, 8 s … capped at 30 s) with jitter.
//!
//! The jitter spreads each delay over ±25 % of its nominal value (kept within 1 s..30 s), so
//! a thousand clients dropped by one server restart do not come back in one wave.

/// Backoff settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            base_ms: 1_000,
            max_ms: 30_000,
        }
    }
}

impl BackoffConfig {
    /// The nominal delay before retry number `attempt` (0-based): base · 2^attempt, capped.
    pub fn nominal(&self, attempt: u32) -> u64 {
        self.base_ms
            .saturating_mul(1u64 << attempt.min(32))
            .min(self.max_ms)
    }

    /// The delay before retry `attempt` with `jitter` in `[0, 1)`: nominal · (0.75 + 0.5 · jitter),
    /// kept within `base_ms..=max_ms`.
    pub fn delay(&self, attempt: u32, jitter: f64) -> u64 {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let nominal = self.nominal(attempt) as f64;
        let d = (nominal * (0.75 + 0.5 * jitter)).round() as u64;
        d.clamp(self.base_ms, self.max_ms)
    }

    /// The bounds [`delay`](Self::delay) stays within for `attempt`.
    pub fn bounds(&self, attempt: u32) -> (u64, u64) {
        let n = self.nominal(attempt) as f64;
        (
            ((n * 0.75).round() as u64).clamp(self.base_ms, self.max_ms),
            ((n * 1.25).round() as u64).clamp(self.base_ms, self.max_ms),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nominal sequence is 1, 2, 4, 8, 16, 30, 30 … seconds.
    #[test]
    fn nominal_sequence_doubles_and_caps() {
        let b = BackoffConfig::default();
        let seq: Vec<u64> = (0..8).map(|a| b.nominal(a)).collect();
        assert_eq!(
            seq,
            vec![1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(
            b.nominal(u32::MAX),
            30_000,
            "no overflow however many attempts"
        );
    }

    /// Property: for every attempt and every jitter, the delay is within its bounds and
    /// within 1 s..30 s.
    #[test]
    fn every_delay_is_within_its_bounds() {
        let b = BackoffConfig::default();
        let mut rng = Lcg(7);
        for attempt in 0..64 {
            let (lo, hi) = b.bounds(attempt);
            for _ in 0..500 {
                let d = b.delay(attempt, rng.next());
                assert!(
                    lo <= d && d <= hi,
                    "attempt {attempt}: {d} not in {lo}..={hi}"
                );
                assert!((1_000..=30_000).contains(&d));
            }
        }
        for weird in [f64::NAN, f64::INFINITY, -1.0, 2.0] {
            let d = b.delay(3, weird);
            assert!((6_000..=10_000).contains(&d), "{weird}: {d}");
        }
    }

    /// Property: with many clients, retry times spread out instead of arriving together.
    #[test]
    fn many_clients_spread_out() {
        let b = BackoffConfig::default();
        let mut rng = Lcg(42);
        for attempt in [2, 3, 4] {
            let delays: Vec<u64> = (0..1_000).map(|_| b.delay(attempt, rng.next())).collect();
            let (lo, hi) = b.bounds(attempt);
            // Split the window into 10 buckets: none may hold more than a fifth of the clients.
            let width = (hi - lo) / 10 + 1;
            let mut buckets = [0usize; 10];
            for d in &delays {
                buckets[(((d - lo) / width) as usize).min(9)] += 1;
            }
            assert!(
                buckets.iter().all(|&n| n < 200),
                "attempt {attempt}: {buckets:?}"
            );
            let distinct: std::collections::HashSet<_> = delays.iter().collect();
            assert!(
                distinct.len() > 500,
                "attempt {attempt}: only {} distinct delays",
                distinct.len()
            );
        }
    }

    /// A small deterministic generator for property tests.
    pub struct Lcg(pub u64);
    impl Lcg {
        pub fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }
}
