//! The one source of "now" for the services. Production reads the system clock; tests and the
//! demo run on a shifted clock that still ticks (so records keep their order) but can be set to
//! any date and moved forward, instead of rewriting times in the database.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct Clock {
    /// Milliseconds added to the system clock; always 0 for [`Clock::system`].
    offset: Arc<AtomicI64>,
    /// The instant a held clock shows, or [`RUNNING`]; never held for [`Clock::system`].
    held: Arc<AtomicI64>,
    settable: bool,
}

/// `held` of a clock that ticks.
const RUNNING: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset: Arc::new(AtomicI64::new(0)),
            held: Arc::new(AtomicI64::new(RUNNING)),
            settable: false,
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("offset_ms", &self.offset.load(Ordering::Relaxed))
            .field("held", &(self.held.load(Ordering::Relaxed) != RUNNING))
            .field("settable", &self.settable)
            .finish()
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the one read of the system clock"
)]
fn system_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

impl Clock {
    /// The system clock, for production.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that starts at `start_ms` and ticks with real time from there.
    pub fn starting_at(start_ms: i64) -> Clock {
        let c = Clock {
            settable: true,
            ..Clock::default()
        };
        c.set_ms(start_ms);
        c
    }

    /// A settable clock at the real time (tests that move forward from today).
    pub fn settable() -> Clock {
        Clock::starting_at(system_ms())
    }

    /// Current time as unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self.held.load(Ordering::Relaxed) {
            RUNNING => system_ms().saturating_add(self.offset.load(Ordering::Relaxed)),
            at => at,
        }
    }

    /// Moves a settable clock so that now is `at_ms`. Refused (false) on the system clock, so a
    /// production server can never be moved in time.
    pub fn set_ms(&self, at_ms: i64) -> bool {
        if !self.settable {
            return false;
        }
        if self.held.load(Ordering::Relaxed) == RUNNING {
            self.offset.store(at_ms - system_ms(), Ordering::Relaxed);
        } else {
            self.held.store(at_ms, Ordering::Relaxed);
        }
        true
    }

    /// Moves a settable clock forward (or back) by `ms`.
    pub fn advance_ms(&self, ms: i64) -> bool {
        if !self.settable {
            return false;
        }
        if self.held.load(Ordering::Relaxed) == RUNNING {
            self.offset.fetch_add(ms, Ordering::Relaxed);
        } else {
            self.held.fetch_add(ms, Ordering::Relaxed);
        }
        true
    }

    /// Stops a settable clock where it is, so that a test can act at an exact instant (one
    /// second before a deadline) however long the request takes; `set_ms` and `advance_ms`
    /// still move it. Refused (false) on the system clock.
    pub fn hold(&self) -> bool {
        if !self.settable {
            return false;
        }
        let _ = self.held.compare_exchange(
            RUNNING,
            self.now_ms(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        true
    }

    /// Lets a held clock tick again from the instant it shows.
    pub fn release(&self) {
        let at = self.held.load(Ordering::Relaxed);
        if at != RUNNING {
            // The offset first, so that no reader sees the old offset running.
            self.offset.store(at - system_ms(), Ordering::Relaxed);
            self.held.store(RUNNING, Ordering::Relaxed);
        }
    }

    pub fn is_settable(&self) -> bool {
        self.settable
    }

    /// How long ago a file's time stamp was, by the system clock that stamped it: file ages
    /// must not follow a clock set to another date. 0 for a stamp in the future.
    pub fn file_age_ms(stamp: std::time::SystemTime) -> i64 {
        let stamp_ms = stamp
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        (system_ms() - stamp_ms).max(0)
    }

    /// Reads a start for a settable clock: a China date (`2028-03-01`, taken at 9:00 that day,
    /// office hours) or an RFC 3339 instant (`2028-08-31T23:59:00+08:00`); unix milliseconds.
    pub fn parse_start(s: &str) -> Option<i64> {
        use time::format_description::well_known::Rfc3339;
        let s = s.trim();
        let at = match time::OffsetDateTime::parse(s, &Rfc3339) {
            Ok(t) => t,
            Err(_) => {
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .ok()?
                    .with_hms(9, 0, 0)
                    .ok()?
                    .assume_offset(wangqian_domain::lifecycle::CHINA)
            }
        };
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_cannot_be_moved() {
        let c = Clock::system();
        assert!(!c.set_ms(0));
        assert!(!c.advance_ms(1000));
        assert!(!c.hold());
        assert!(c.now_ms() > 1_700_000_000_000);
    }

    #[test]
    fn settable_clock_is_set_and_keeps_ticking_forward() {
        let at = 1_835_000_000_000; // 2028
        let c = Clock::starting_at(at);
        let a = c.now_ms();
        assert!((at..at + 5_000).contains(&a));
        assert!(c.advance_ms(86_400_000));
        assert!(c.now_ms() >= a + 86_400_000);
        let shared = c.clone();
        shared.set_ms(at);
        assert!(c.now_ms() < a + 86_400_000);
    }

    #[test]
    fn a_start_is_a_china_date_at_nine_or_an_instant() {
        // 2028-03-01 09:00 +08:00 = 01:00 UTC.
        assert_eq!(Clock::parse_start("2028-03-01"), Some(1_835_485_200_000));
        assert_eq!(
            Clock::parse_start("2028-03-01T01:00:00Z"),
            Some(1_835_485_200_000)
        );
        assert_eq!(Clock::parse_start("2028-02-30"), None);
        assert_eq!(Clock::parse_start("next week"), None);
    }

    #[test]
    fn a_held_clock_stands_still_until_released() {
        let at = 1_835_000_000_000;
        let c = Clock::starting_at(at);
        assert!(c.hold());
        let held = c.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now_ms(), held);
        c.advance_ms(1000);
        assert_eq!(c.now_ms(), held + 1000);
        c.release();
        let after = c.now_ms();
        assert!(
            (held + 1000..held + 6000).contains(&after),
            "ticks on from there"
        );
    }
}
