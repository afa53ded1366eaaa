//! The injected clock. Nothing in the pipeline reads the wall clock itself, so tests and
//! replays of historical data drive time exactly.

use lookout_model::Timestamp;

/// A source of "now".
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real clock, for the binary only.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that says what it is told; tests and replays (the demo uses each cycle's
/// window end) set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}
