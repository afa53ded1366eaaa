//! lookout-detect: detectors as pure functions from positions to findings.
//!
//! * `gaps`: every reporting gap of at least 100 minutes, with severity.
//! * `dark_suspicion`: analysis of a vessel's longest gap and the P1-P11 suspicion
//!   score of the reference dark-vessel model, reproduced bit for bit (including its
//!   quirks; see `shared/oracle/NOTES.md`).
//!
//! * `segments`: one id's positions split into physically plausible segments
//!   ([`segment`]); gaps and dark scores run per chain of segments.
//! * `spoofing`: teleports, unallocated MIDs (ITU table in `data/mid.csv`), placeholder
//!   MMSIs, one id in two places at once, AIS name against the registry, identity
//!   changes over time ([`identity`]).
//! * `zones`: GeoJSON zones with a grid index ([`zones`]), entry/exit episodes and
//!   intrusions by foreign unpermitted vessels; the zone set is P2's classifier.
//! * `transshipment` / `loitering`: carrier × fishing encounters through a five-stage
//!   funnel and carriers loitering far from shore, on a resampled 10-minute grid with a
//!   spatial grid index ([`transship`]).
//! * `pair_trawl`: two fishing vessels towing in parallel ([`pair_trawl`]), same grid.
//! * `gear`: fishing-gear transmitters, parent inference and violations G01-G06 ([`gear`]).
//! * `reception`: receiver outages from per-area message rates
//!   ([`algorithm_reception`]); a gap inside one gets `reception_outage` in its dark score.
//!
//! [`algorithm`] is the registry the rule engine runs them through (one trait,
//! one registration line per detector).
//!
//! Nothing here does IO. The [`oracle`] module reads and writes the reference oracle's
//! text formats (as pure functions over strings) for `lookout score-dark` and the
//! differential test.

pub mod algorithm;
pub mod algorithm_dark;
pub mod algorithm_gaps;
pub mod algorithm_segments;
pub mod algorithm_spoofing;
pub mod algorithm_transship;
pub mod algorithm_zones;
pub mod algorithm_pair_trawl;
pub mod algorithm_gear;
pub mod algorithm_reception;
mod csvtext;
pub mod dark;
pub mod error;
pub mod findings;
pub mod gaps;
pub mod geo;
pub mod identity;
pub mod level;
pub mod oracle;
pub mod params;
pub mod pattern;
pub mod pyfloat;
pub mod registry;
pub mod sample;
pub mod segment;
pub mod transship;
pub mod zones;
pub mod pair_trawl;
pub mod gear;

pub use algorithm::{
    algorithm, canonical_json, params_hash, About, CycleInput, DarkHistoryIndex, DetectError, Detector, EntityType, Upstream,
    ALGORITHMS,
};
pub use identity::IdentityHistory;
pub use dark::{
    analyze_dark_pattern, analyze_sorted, compute_dark_suspicion, has_teleport, heading_mismatch, ActivityState,
    DarkHistory, DarkScore, GapInfo, ScoreInputs, ShipClass, Tier, ZoneClass, ZoneClassifier,
};
pub use error::{InputError, ParamsError};
pub use findings::{dark_finding, dark_finding_with, detect_track, gap_findings, local_hour, score_track, DarkContext};
pub use gaps::{classify_gap, detect_gaps, for_each_gap, Gap, GapSeverity};
pub use geo::haversine_nm;
pub use params::{defaults_json, DarkParams, GapThresholds};
pub use pattern::{Pattern, PatternMeta};
pub use pyfloat::{py_repr, py_round, round2};
pub use registry::{parse_permitted_list, parse_registry, Registry, RegistryEntry};
pub use sample::{DarkSample, OraclePoint};
