//! When the chat needs the time again. Nothing ticks while nothing moves:
//! the runtime waits for input with no timeout unless this says a moment
//! is due (a reply streaming, a notice to take away, the auto-lock deadline,
//! a retention sweep), so an idle session does not wake at all.

use super::state::{Screen, State};

/// How often the clock is read while a reply streams (checkpoints, and the
/// streaming mark redrawn).
pub const STREAMING_TICK_MS: i64 = 250;

/// How often retention is enforced while the vault is open.
pub const SWEEP_EVERY_MS: i64 = 60_000;

impl State {
    /// Milliseconds from `clock` until the next tick is due; `None` when
    /// nothing waits on the time.
    pub fn next_tick_in(&self) -> Option<i64> {
        let now = self.clock.as_unix_ms();
        let due = [
            (self.streaming.is_some() || self.sending).then_some(STREAMING_TICK_MS),
            self.notice.as_ref().map(|n| n.until.as_unix_ms() - now),
            self.auto_lock_watched()
                .then(|| self.last_activity.as_unix_ms() + self.auto_lock_ms - now),
            self.sweeps_retention()
                .then(|| self.last_sweep.as_unix_ms() + SWEEP_EVERY_MS - now),
        ];
        due.into_iter().flatten().min().map(|ms| ms.max(0))
    }

    /// Whether auto-lock has a deadline to watch now.
    pub fn auto_lock_watched(&self) -> bool {
        self.auto_lock_ms > 0
            && !self.incognito
            && matches!(self.screen, Screen::Chat)
            && self.last_activity.as_unix_ms() > 0
    }

    /// Whether retention sweeps run: some rule can expire messages, and the
    /// vault is open.
    pub fn sweeps_retention(&self) -> bool {
        let any_rule = self.retention_default.is_some()
            || self
                .conversations
                .iter()
                .any(|c| matches!(c.retention, Some(crate::store::Retention::For(_))));
        any_rule && !self.incognito && matches!(self.screen, Screen::Chat)
    }

    /// Whether a retention sweep is due now.
    pub fn sweep_due(&self) -> bool {
        self.sweeps_retention() && self.clock.as_unix_ms() - self.last_sweep.as_unix_ms() >= SWEEP_EVERY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::tests_support::chat_state;
    use crate::time::Timestamp;

    #[test]
    fn an_idle_chat_with_nothing_to_time_needs_no_tick() {
        let mut state = chat_state();
        state.clock = Timestamp::from_unix_ms(1_000_000);
        state.auto_lock_ms = 0;
        assert_eq!(state.next_tick_in(), None);
    }

    #[test]
    fn a_notice_the_auto_lock_and_a_stream_each_arm_the_clock_for_their_moment() {
        let mut state = chat_state();
        state.clock = Timestamp::from_unix_ms(1_000_000);
        state.auto_lock_ms = 15 * 60_000;
        state.last_activity = Timestamp::from_unix_ms(1_000_000 - 60_000);
        assert_eq!(state.next_tick_in(), Some(14 * 60_000), "the auto-lock deadline");
        state.notify("theme 'light'");
        let notice = state.next_tick_in().unwrap();
        assert!((1..=4_000).contains(&notice), "{notice}");
        state.sending = true;
        assert_eq!(state.next_tick_in(), Some(STREAMING_TICK_MS));
        state.sending = false;
        state.clock = Timestamp::from_unix_ms(2_000_000);
        assert_eq!(state.next_tick_in(), Some(0), "overdue is now");
    }
}
