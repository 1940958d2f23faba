//! Wall-clock timestamps as the vault stores them: whole milliseconds since the
//! Unix epoch, UTC. Formatting for people lives here too, so every screen and
//! every message shows time the same way.

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time from the system clock. A clock set before 1970 reads as
    /// the epoch rather than failing: timestamps order events, they never gate
    /// security decisions.
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }

    pub fn from_unix_ms(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn as_unix_ms(self) -> i64 {
        self.0
    }

    fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, for machine-readable output (`--json`).
    pub fn to_rfc3339(self) -> String {
        self.to_jiff().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Date and minute in the user's local time zone, for people.
    pub fn to_local_display(self) -> String {
        self.to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_with_milliseconds() {
        let t = Timestamp::from_unix_ms(1_795_000_000_123);
        assert_eq!(t.to_rfc3339(), "2026-11-18T11:06:40.123Z");
    }

    #[test]
    fn now_is_after_this_code_was_written() {
        assert!(Timestamp::now().as_unix_ms() > 1_790_000_000_000);
    }
}
