//! AIS input: everything between a file on disk and validated, per-vessel tracks.
//!
//! - [`readers`]: format detection and readers for NMEA and position CSV/JSON layouts.
//! - [`validate`]: the single place where records are accepted or rejected with a reason.
//! - [`coverage`]: the holes in a file's time in which none of its vessels reported.
//! - [`tracks`]: grouping accepted positions into sorted, de-duplicated tracks.

pub mod coverage;
pub mod readers;
pub mod tracks;
pub mod validate;

mod error;
pub mod hash;

pub use error::IngestError;
