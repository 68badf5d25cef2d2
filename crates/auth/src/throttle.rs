//! Back-off after failed logins.
//!
//! Pure arithmetic: the store counts consecutive failures per account (and
//! resets the count on success); this module says how long the next attempt
//! must wait. A few free failures forgive typos, then the wait doubles with
//! each failure up to a cap. The cap keeps a locked-out legitimate user
//! waiting minutes, not forever, while online guessing still drops to a few
//! attempts an hour.

use std::time::Duration;

/// How long to make a client wait after consecutive failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures that cost nothing (default 5).
    pub free_failures: u32,
    /// Unit of the exponential delay in seconds (default 1).
    pub base_delay_secs: u64,
    /// Longest delay in seconds (default 900, a quarter of an hour).
    pub max_delay_secs: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            base_delay_secs: 1,
            max_delay_secs: 900,
        }
    }
}

impl ThrottlePolicy {
    /// The wait before the next attempt after `consecutive_failures`.
    ///
    /// Zero for up to `free_failures`; after that
    /// `base_delay_secs × 2^(consecutive_failures − free_failures)`, never
    /// more than `max_delay_secs`. With the defaults: failures 1–5 wait 0 s,
    /// then 2 s, 4 s, 8 s, … 512 s, and from the 15th on 900 s.
    pub fn delay_after(&self, consecutive_failures: u32) -> Duration {
        let Some(excess) = consecutive_failures.checked_sub(self.free_failures) else {
            return Duration::ZERO;
        };
        if excess == 0 {
            return Duration::ZERO;
        }
        // 2^excess overflows u64 from 64 on; by then any non-zero base is
        // far past every sensible cap, so saturate.
        let factor = 1u64.checked_shl(excess).unwrap_or(u64::MAX);
        let secs = self
            .base_delay_secs
            .saturating_mul(factor)
            .min(self.max_delay_secs);
        Duration::from_secs(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u32) -> u64 {
        ThrottlePolicy::default().delay_after(n).as_secs()
    }

    #[test]
    fn the_default_policy_is_five_free_failures_one_second_and_a_quarter_hour_cap() {
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.free_failures, 5);
        assert_eq!(policy.base_delay_secs, 1);
        assert_eq!(policy.max_delay_secs, 900);
    }

    #[test]
    fn the_first_five_failures_cost_nothing() {
        for n in 0..=5 {
            assert_eq!(secs(n), 0, "after {n} failures");
        }
    }

    #[test]
    fn the_delay_doubles_after_the_free_failures() {
        assert_eq!(secs(6), 2);
        assert_eq!(secs(7), 4);
        assert_eq!(secs(8), 8);
        assert_eq!(secs(14), 512);
    }

    #[test]
    fn the_delay_is_capped() {
        assert_eq!(secs(15), 900);
        assert_eq!(secs(64), 900);
        assert_eq!(secs(70), 900);
        assert_eq!(secs(u32::MAX), 900);
    }

    #[test]
    fn a_custom_policy_is_respected() {
        let policy = ThrottlePolicy {
            free_failures: 0,
            base_delay_secs: 3,
            max_delay_secs: 10,
        };
        assert_eq!(policy.delay_after(0), Duration::ZERO);
        assert_eq!(policy.delay_after(1), Duration::from_secs(6));
        assert_eq!(policy.delay_after(2), Duration::from_secs(10));
        let never = ThrottlePolicy {
            base_delay_secs: 0,
            ..ThrottlePolicy::default()
        };
        assert_eq!(never.delay_after(100), Duration::ZERO);
    }
}
