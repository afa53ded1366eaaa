//! Domain types shared by every Lookout crate.
//!
//! This crate has no IO and no policy: it names things (a vessel, a position report,
//! a rejected record, a finding) so that ingest, detectors, the store and the CLI
//! speak one language.

mod epoch;
mod finding;
mod identity;
mod reject;
mod vessel;

pub use epoch::{EpochUnit, EARLIEST_PLAUSIBLE_SECS};
pub use finding::{BreakdownItem, Finding, Severity};
pub use identity::{strip_ais_padding, Identity, IdentityObservation};
pub use reject::{Reject, RejectCounts, RejectReason};
pub use vessel::{NavStatus, Position, Record, ShipKind, ShipType, StaticData, Track, VesselId};

/// All timestamps in Lookout are UTC instants.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
