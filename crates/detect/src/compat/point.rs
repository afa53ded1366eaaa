//! The reference oracle's position row.

use crate::dark::sample::DarkSample;

/// One row of the reference's positions CSV, after the reference's type coercions.
#[derive(Clone, Debug, PartialEq)]
pub struct OraclePoint {
    /// MMSI, stripped of whitespace.
    pub mmsi: String,
    /// UTC nanoseconds since the epoch.
    pub time_ns: i64,
    pub lat: f64,
    pub lon: f64,
    /// NaN when the cell is empty.
    pub sog: f64,
    /// `0.0` when the column is absent (the reference then falls back to 0.0), NaN when
    /// the cell is empty.
    pub raw_sog: f64,
    /// NaN when absent or empty.
    pub cog: f64,
    /// NaN when absent or empty.
    pub heading: f64,
    /// Empty when absent or empty.
    pub nav_status: String,
    /// Raw string, leading zeros kept; empty when absent or empty.
    pub ship_kind_code: String,
}

impl DarkSample for OraclePoint {
    fn time_ns(&self) -> i64 {
        self.time_ns
    }
    fn lat(&self) -> f64 {
        self.lat
    }
    fn lon(&self) -> f64 {
        self.lon
    }
    fn effective_sog(&self) -> f64 {
        if self.sog != 0.0 {
            self.sog
        } else if self.raw_sog != 0.0 {
            self.raw_sog
        } else {
            0.0
        }
    }
}
