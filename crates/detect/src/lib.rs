//! lookout-detect: detectors as pure functions from positions to findings.
//!
//! The crate is layered; a module only imports modules of its own layer or below, so
//! there is no import circle (checked by `tests/layers.rs`):
//!
//! 1. Base: [`error`], [`params`] (the params trait and strict merge), [`pyfloat`]
//!    (Python rounding the reference's numbers need), [`geo`], [`level`] (the one risk
//!    scale), [`finding`] (shared finding builders), [`input`] (what the engine prepares
//!    for a cycle: tracks, vessel registry, zones, dark and identity histories,
//!    upstream findings) and [`detector`] (the `Detector`/`Algorithm` contract).
//! 2. Families, one folder each, holding every detector's params, logic and adapter:
//!    * [`dark`]: `gaps` and `dark_suspicion` (longest-gap analysis, P1-P11, patterns),
//!      reproducing the reference model bit for bit (quirks in the reference oracle's NOTES; golden output in `testdata/oracle`);
//!    * [`identity`]: `segments` (ids shared by several transmitters) and `spoofing`
//!      (teleports, MIDs, placeholder MMSIs, two places at once, names, identity
//!      changes over time);
//!    * [`encounters`]: the shared resampled grid, `transshipment`, `loitering`,
//!      `pair_trawl` and `gear`;
//!    * [`zones`]: zone entry/exit episodes and intrusions;
//!    * [`reception`]: receiver outages from per-area message rates (a gap inside one
//!      gets `reception_outage` in its dark score).
//!
//!    A family may read another family's logic (the dark score reads
//!    [`reception::outage`], `zones` reads [`identity::mid`]), never its detector.
//! 3. Top: [`registry`] (one list of detectors) and [`compat`] (the reference oracle's
//!    text formats for `lookout score-dark` and the differential test; no detector
//!    imports it).
//!
//! Nothing here does IO.

pub mod compat;
mod csvtext;
pub mod dark;
pub mod detector;
pub mod encounters;
pub mod error;
pub mod finding;
pub mod geo;
pub mod identity;
pub mod input;
pub mod level;
pub mod params;
pub mod pyfloat;
pub mod reception;
pub mod registry;
pub mod zones;

pub use compat::point::OraclePoint;
pub use compat::repr::py_repr;
pub use dark::analysis::{analyze_dark_pattern, analyze_sorted, has_teleport, ActivityState, GapInfo};
pub use dark::finding::{
    dark_finding, dark_finding_with, detect_track, gap_findings, local_hour, score_track, DarkContext, GapNotes,
    UnobservedNote,
};
pub use dark::gaps::{classify_gap, detect_gaps, for_each_gap, Gap, GapSeverity};
pub use dark::params::{defaults_json, DarkParams, GapThresholds, UnobservedParams};
pub use dark::pattern::{Pattern, PatternMeta};
pub use dark::sample::DarkSample;
pub use dark::score::{compute_dark_suspicion, heading_mismatch, DarkHistory, DarkScore, ScoreInputs, ShipClass, Tier};
pub use detector::{About, Algorithm, DetectError, Detector, EntityType, Text};
pub use error::{InputError, ParamsError, RegistryError};
pub use geo::haversine_nm;
pub use input::identities::IdentityHistory;
pub use input::vessels::{parse_permitted_list, parse_registry, Registry, RegistryEntry};
pub use input::zones::{ZoneClass, ZoneClassifier, ZoneSet};
pub use input::{CycleInput, DarkHistoryIndex, Upstream};
pub use params::{canonical_json, params_hash, ListRule, Params};
pub use pyfloat::{py_round, round2};
pub use registry::{algorithm, Detectors, ALGORITHMS};
