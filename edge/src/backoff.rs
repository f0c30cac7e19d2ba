//! Delivery retry schedule: exponential backoff with jitter, capped.
//!
//! Attempt `n` (1-based, the attempt that just failed) waits
//! `min(max, base * 2^(n-1))`, of which the upper half is randomised ("equal
//! jitter") so a burst of failures does not retry in lockstep. The caller
//! supplies the random fraction; this module reads no clock and no RNG.

/// Backoff settings, from the `DELIVERY_BACKOFF_BASE_S` / `DELIVERY_BACKOFF_MAX_S` vars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base_s: u32,
    pub max_s: u32,
}

/// Cloudflare Queues accept at most 12 hours of retry delay.
pub const QUEUE_MAX_DELAY_S: u32 = 43_200;

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_s: 30,
            max_s: 3_600,
        }
    }
}

impl Backoff {
    /// Delay before the next try after `failed_attempt` failed; `jitter` in `[0, 1)`.
    pub fn delay_s(&self, failed_attempt: u32, jitter: f64) -> u32 {
        let exponent = failed_attempt.saturating_sub(1).min(31);
        let ceiling = u64::from(self.base_s)
            .saturating_mul(1u64 << exponent)
            .min(u64::from(self.max_s.min(QUEUE_MAX_DELAY_S)));
        let half = ceiling / 2;
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let random_part = ((ceiling - half) as f64 * jitter).floor() as u64;
        (half + random_part).min(ceiling) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_bounds() {
        let backoff = Backoff {
            base_s: 30,
            max_s: 3_600,
        };
        // (failed attempt, lowest possible delay, highest possible delay)
        let cases = [
            (1, 15, 30),
            (2, 30, 60),
            (3, 60, 120),
            (5, 240, 480),
            (8, 1_800, 3_600),
            (40, 1_800, 3_600),
        ];
        for (attempt, low, high) in cases {
            assert_eq!(backoff.delay_s(attempt, 0.0), low, "attempt {attempt}");
            assert_eq!(
                backoff.delay_s(attempt, 0.999_999),
                high - 1,
                "attempt {attempt}"
            );
            let middle = backoff.delay_s(attempt, 0.5);
            assert!((low..=high).contains(&middle));
        }
    }

    #[test]
    fn tolerates_odd_inputs() {
        let backoff = Backoff {
            base_s: 1,
            max_s: 2,
        };
        assert_eq!(backoff.delay_s(0, 0.0), 0);
        assert!(backoff.delay_s(u32::MAX, 1.0) <= 2);
        assert!(backoff.delay_s(3, f64::NAN) <= 2);
        let huge = Backoff {
            base_s: u32::MAX,
            max_s: u32::MAX,
        };
        assert!(huge.delay_s(10, 1.0) <= QUEUE_MAX_DELAY_S);
    }
}
