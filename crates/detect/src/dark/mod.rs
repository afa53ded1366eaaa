//! The dark family: reporting gaps and the reference dark-vessel model.
//!
//! * [`params`]: the model's parameters with its own deep merge (`gaps` reads only
//!   `gap_thresholds`).
//! * [`sample`]: what gap and dark analysis need from a position, whatever its origin.
//! * [`gaps`]: every gap of at least the suspicious length, classified.
//! * [`analysis`]: the facts about a vessel's longest gap.
//! * [`score`]: P1-P11, the coverage and receiver-outage penalties, the tier.
//! * [`pattern`]: the catalogue of those rules (codes, weight keys, ko/en texts).
//! * [`finding`]: the product path, a track in and `gaps`/`dark_suspicion` findings out.
//! * [`detector`]: the two detectors the rule engine runs.
//!
//! Reproduced bit for bit from the reference (including its quirks; see
//! the reference oracle's NOTES; golden output in `testdata/oracle`); the reference's text formats are [`crate::compat`].

pub mod analysis;
pub mod detector;
pub mod finding;
pub mod gaps;
pub mod params;
pub mod pattern;
pub mod sample;
pub mod score;
