//! What the gap and dark detectors need from a position, whatever its origin.

use lookout_model::Position;

/// A position as seen by the gap and dark detectors.
pub trait DarkSample {
    /// UTC instant in nanoseconds since the Unix epoch.
    fn time_ns(&self) -> i64;
    /// Latitude in degrees (NaN when unknown).
    fn lat(&self) -> f64;
    /// Longitude in degrees (NaN when unknown).
    fn lon(&self) -> f64;
    /// Speed as the reference reads it: `sog or raw_sog or 0.0`. A NaN speed is truthy
    /// in Python and is returned as NaN; a zero speed falls back to the raw speed.
    fn effective_sog(&self) -> f64;
}

impl<T: DarkSample + ?Sized> DarkSample for &T {
    fn time_ns(&self) -> i64 {
        (**self).time_ns()
    }
    fn lat(&self) -> f64 {
        (**self).lat()
    }
    fn lon(&self) -> f64 {
        (**self).lon()
    }
    fn effective_sog(&self) -> f64 {
        (**self).effective_sog()
    }
}

/// Nanoseconds since the epoch, saturating outside ±292 years instead of failing.
pub fn timestamp_ns(t: &lookout_model::Timestamp) -> i64 {
    t.timestamp().saturating_mul(1_000_000_000).saturating_add(i64::from(t.timestamp_subsec_nanos()))
}

impl DarkSample for Position {
    fn time_ns(&self) -> i64 {
        timestamp_ns(&self.timestamp)
    }
    fn lat(&self) -> f64 {
        self.lat
    }
    fn lon(&self) -> f64 {
        self.lon
    }
    /// "Not available" is the reference's empty cell, i.e. NaN (truthy), not zero.
    fn effective_sog(&self) -> f64 {
        match self.sog {
            Some(v) if v != 0.0 => v,
            Some(_) => 0.0,
            None => f64::NAN,
        }
    }
}

/// True when `points` is in non-decreasing time order.
pub fn is_time_sorted<P: DarkSample>(points: &[P]) -> bool {
    points.windows(2).all(|w| w[0].time_ns() <= w[1].time_ns())
}
