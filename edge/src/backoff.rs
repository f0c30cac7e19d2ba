//! Delivery retry schedule: when a failing destination is tried again, and
//! how a long wait is cut into Cloudflare Queues delays.
//!
//! The schedule is a list of times after a delivery's first failure, like
//! the Standard Webhooks example (immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
//! 10 h, 14 h, 20 h, 24 h) and then daily, the last try 7 days 3.6 hours
//! after the first failure ([`RETRY_OFFSETS_S`]). The times are absolute: a
//! try that comes late (a busy queue) does not push the later ones back,
//! and a missed time is skipped, so the schedule ends a week after the first
//! failure whatever happened in between. A scale (`DELIVERY_SCHEDULE_SCALE`,
//! 1 in production) multiplies every offset, so tests compress the week.
//!
//! A queue message waits at most [`QUEUE_MAX_DELAY_S`] (12 hours): a longer
//! wait is several re-sends ([`queue_hop_s`]), each checking whether the
//! try is due yet. This module reads no clock and no RNG: the caller
//! supplies the time and the random fraction.

/// Cloudflare Queues accept at most 12 hours of delay per message.
pub const QUEUE_MAX_DELAY_S: u32 = 43_200;

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// When each try after the first failure happens, in seconds after it (the
/// first failed try is at 0): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
/// 24 h between tries, then a day between tries until 7 days have passed.
pub const RETRY_OFFSETS_S: [u64; 13] = [
    5,
    5 + 300,
    5 + 300 + 1_800,
    5 + 300 + 1_800 + 2 * HOUR,
    5 + 300 + 1_800 + 7 * HOUR,
    5 + 300 + 1_800 + 17 * HOUR,
    5 + 300 + 1_800 + 31 * HOUR,
    5 + 300 + 1_800 + 51 * HOUR,
    5 + 300 + 1_800 + 75 * HOUR,
    5 + 300 + 1_800 + 75 * HOUR + DAY,
    5 + 300 + 1_800 + 75 * HOUR + 2 * DAY,
    5 + 300 + 1_800 + 75 * HOUR + 3 * DAY,
    5 + 300 + 1_800 + 75 * HOUR + 4 * DAY,
];

/// The retry schedule at a scale (1.0 in production).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub scale: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule { scale: 1.0 }
    }
}

impl Schedule {
    /// From the `DELIVERY_SCHEDULE_SCALE` var: a positive finite number, else 1.
    pub fn from_var(var: Option<&str>) -> Schedule {
        let scale = var
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(1.0);
        Schedule { scale }
    }

    /// `seconds` at this scale, in milliseconds.
    pub fn scaled_ms(&self, seconds: u64) -> u64 {
        (seconds as f64 * 1000.0 * self.scale).round() as u64
    }

    /// How long the whole schedule lasts, from the first failure (ms).
    pub fn span_ms(&self) -> u64 {
        self.scaled_ms(RETRY_OFFSETS_S[RETRY_OFFSETS_S.len() - 1])
    }

    /// When the next try is due after a failure at `now_ms`, for a delivery
    /// whose first failure was at `from_ms`: the first scheduled time after
    /// `now_ms`, up to 10% of the gap before it later (`jitter` in `[0, 1)`,
    /// so a burst of failures does not retry in lockstep). `None` when the
    /// schedule is over: the delivery is given up (`dead`).
    pub fn next_attempt_ms(&self, from_ms: u64, now_ms: u64, jitter: f64) -> Option<u64> {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut previous = 0;
        for offset in RETRY_OFFSETS_S {
            let at = from_ms.saturating_add(self.scaled_ms(offset));
            if at > now_ms {
                let gap = self.scaled_ms(offset - previous);
                return Some(at + (gap as f64 * 0.1 * jitter).floor() as u64);
            }
            previous = offset;
        }
        None
    }
}

/// The queue delay (whole seconds, at most [`QUEUE_MAX_DELAY_S`]) of the
/// next re-send of a message whose try is due at `due_ms`: rounded up, so a
/// message never comes back before its time; 0 when already due.
pub fn queue_hop_s(due_ms: u64, now_ms: u64) -> u32 {
    let wait_ms = due_ms.saturating_sub(now_ms);
    wait_ms
        .div_ceil(1000)
        .min(u64::from(QUEUE_MAX_DELAY_S))
        .try_into()
        .unwrap_or(QUEUE_MAX_DELAY_S)
}

/// Whether a D1 error message is one of the transient failures Cloudflare
/// documents as worth retrying (a reset or overloaded database object, a
/// lost connection). Only idempotent writes are retried on them.
pub fn is_transient_d1(message: &str) -> bool {
    const TRANSIENT: [&str; 7] = [
        "Network connection lost",
        "storage caused object to be reset",
        "reset because its code was updated",
        "exceeded timeout which caused object to be reset",
        "is overloaded",
        "transient issue",
        "exceeded its memory limit and was reset",
    ];
    TRANSIENT.iter().any(|needle| message.contains(needle))
}

/// The waits (ms) between tries of a transient D1 failure: three tries in
/// all, a quarter second at most.
pub const D1_RETRY_WAITS_MS: [u64; 2] = [50, 200];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_standard_webhooks_steps_then_daily_for_a_week() {
        let gaps: Vec<u64> = RETRY_OFFSETS_S
            .iter()
            .scan(0, |previous, offset| {
                let gap = offset - *previous;
                *previous = *offset;
                Some(gap)
            })
            .collect();
        assert_eq!(
            gaps,
            [
                5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400, 86_400, 86_400,
                86_400, 86_400
            ]
        );
        let last = RETRY_OFFSETS_S[RETRY_OFFSETS_S.len() - 1];
        assert!(last >= 7 * DAY, "{last}");
        assert_eq!(Schedule::default().span_ms(), last * 1000);
    }

    #[test]
    fn next_attempt_table() {
        let schedule = Schedule::default();
        let from = 1_000_000;
        // (now, next due) with no jitter
        let cases = [
            (from, Some(from + 5_000)),
            (from + 4_999, Some(from + 5_000)),
            (from + 5_000, Some(from + 305_000)),
            // Late: the missed 5 min and 30 min tries are skipped.
            (from + 3_000_000, Some(from + 9_305_000)),
            (from + 617_704_999, Some(from + 617_705_000)),
            (from + 617_705_000, None),
            (u64::MAX, None),
        ];
        for (now, due) in cases {
            assert_eq!(schedule.next_attempt_ms(from, now, 0.0), due, "{now}");
        }
        // Jitter adds at most a tenth of the gap.
        assert_eq!(
            schedule.next_attempt_ms(from, from + 5_000, 0.999_999),
            Some(from + 305_000 + 29_999)
        );
        assert_eq!(
            schedule.next_attempt_ms(from, from, f64::NAN),
            Some(from + 5_000)
        );
    }

    #[test]
    fn a_scaled_schedule_compresses_the_week() {
        let schedule = Schedule::from_var(Some("0.0001"));
        assert_eq!(schedule.span_ms(), 61_771);
        assert_eq!(schedule.next_attempt_ms(0, 0, 0.0), Some(1));
        assert_eq!(schedule.next_attempt_ms(0, 61_771, 0.0), None);
        for var in [
            None,
            Some(""),
            Some("0"),
            Some("-1"),
            Some("NaN"),
            Some("x"),
        ] {
            assert_eq!(Schedule::from_var(var), Schedule::default(), "{var:?}");
        }
    }

    #[test]
    fn transient_d1_errors_table() {
        let cases = [
            ("D1_ERROR: Network connection lost.", true),
            ("D1_ERROR: D1 DB is overloaded. Requests queued for too long.", true),
            ("D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.", true),
            ("D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.", true),
            ("D1_ERROR: UNIQUE constraint failed: leads.form_id, leads.submission_id", false),
            ("D1_ERROR: injected storage fault: SQLITE_CONSTRAINT", false),
            ("", false),
        ];
        for (message, transient) in cases {
            assert_eq!(is_transient_d1(message), transient, "{message}");
        }
    }

    #[test]
    fn long_waits_are_cut_into_queue_hops() {
        let cases = [
            (0, 0, 0),
            (999, 1_000, 0),
            (1_001, 1_000, 1),
            (1_999, 0, 2),
            (86_400_000, 0, QUEUE_MAX_DELAY_S),
            (u64::MAX, 0, QUEUE_MAX_DELAY_S),
        ];
        for (due, now, hop) in cases {
            assert_eq!(queue_hop_s(due, now), hop, "{due} {now}");
        }
    }
}
