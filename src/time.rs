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

/// A span of time typed by a user: a whole number and a unit, `h` hours, `d`
/// days, `w` weeks (`7d`, `12h`, `2w`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Span(i64);

const HOUR_MS: i64 = 3_600_000;

impl Span {
    pub fn as_ms(self) -> i64 {
        self.0
    }

    /// Parses `7d`, `12h` or `2w`; the error says what is accepted.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        let bad = || format!("'{text}' is not a duration; write a whole number and a unit: '12h', '7d' or '2w'");
        let split = text
            .len()
            .checked_sub(1)
            .filter(|&at| text.is_char_boundary(at))
            .ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: i64 = number.parse().map_err(|_| bad())?;
        let unit_ms = match unit {
            "h" => HOUR_MS,
            "d" => 24 * HOUR_MS,
            "w" => 7 * 24 * HOUR_MS,
            _ => return Err(bad()),
        };
        if number <= 0 {
            return Err(format!("'{text}' is not a positive duration"));
        }
        number
            .checked_mul(unit_ms)
            .map(Span)
            .ok_or_else(|| format!("'{text}' is too long"))
    }

    /// `7d`, `12h`, `2w`: the shortest exact form.
    pub fn to_short(self) -> String {
        let day = 24 * HOUR_MS;
        if self.0 % (7 * day) == 0 {
            format!("{}w", self.0 / (7 * day))
        } else if self.0 % day == 0 {
            format!("{}d", self.0 / day)
        } else {
            format!("{}h", (self.0 + HOUR_MS - 1) / HOUR_MS)
        }
    }
}

impl Timestamp {
    /// `self` plus `span` (saturating at the far future).
    pub fn plus(self, span: Span) -> Timestamp {
        Timestamp(self.0.saturating_add(span.0))
    }

    /// `self` minus `span` (saturating at the epoch's far past).
    pub fn minus(self, span: Span) -> Timestamp {
        Timestamp(self.0.saturating_sub(span.0))
    }

    /// A cutoff typed by a user: a date (`2026-01-31`, local midnight), an RFC
    /// 3339 time, or a span back from `now` (`30d`).
    pub fn parse_cutoff(text: &str, now: Timestamp) -> Result<Timestamp, String> {
        let text = text.trim();
        if let Ok(span) = Span::parse(text) {
            return Ok(now.minus(span));
        }
        if let Ok(time) = text.parse::<jiff::Timestamp>() {
            return Ok(Timestamp(time.as_millisecond()));
        }
        if let Ok(date) = text.parse::<jiff::civil::Date>()
            && let Ok(time) = jiff::tz::TimeZone::system().to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        {
            return Ok(Timestamp(time.as_millisecond()));
        }
        Err(format!(
            "'{text}' is not a date or a duration; write a date like '2026-01-31', a time like \
             '2026-01-31T12:00:00Z', or a span back from now like '30d'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_in_hours_days_and_weeks_and_print_back() {
        assert_eq!(Span::parse("12h").unwrap().as_ms(), 12 * HOUR_MS);
        assert_eq!(Span::parse("7d").unwrap().to_short(), "1w");
        assert_eq!(Span::parse("3d").unwrap().to_short(), "3d");
        for bad in ["", "d", "7", "7y", "-1d", "0d", "1.5d", "99999999999999999w", "7é"] {
            let err = Span::parse(bad).unwrap_err();
            assert!(err.contains(&format!("'{}'", bad.trim())), "{err}");
        }
    }

    #[test]
    fn cutoffs_are_dates_times_or_spans_back_from_now() {
        let now = Timestamp::from_unix_ms(1_795_000_000_000);
        assert_eq!(
            Timestamp::parse_cutoff("2d", now).unwrap().as_unix_ms(),
            1_795_000_000_000 - 48 * HOUR_MS
        );
        assert_eq!(
            Timestamp::parse_cutoff("2026-11-18T11:06:40Z", now)
                .unwrap()
                .as_unix_ms(),
            1_795_000_000_000
        );
        assert!(Timestamp::parse_cutoff("2026-01-31", now).is_ok());
        let err = Timestamp::parse_cutoff("last tuesday", now).unwrap_err();
        assert!(err.contains("'last tuesday'") && err.contains("30d"), "{err}");
    }

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
