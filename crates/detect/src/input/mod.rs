//! What the engine prepares for a cycle before any detector runs: tracks, the vessel
//! registry, the dark and identity histories, the zones, and the findings of upstream
//! rules. Detectors read these; none of them does IO to get more.

use std::collections::BTreeMap;

use lookout_model::{Finding, Timestamp, Track};

pub mod identities;
pub mod observation;
pub mod places;
pub mod segmentation;
pub mod vessels;
pub mod zones;

use identities::IdentityHistory;
use observation::Observation;
use places::PlaceSet;
use segmentation::Segmentation;
use vessels::Registry;
use zones::ZoneClassifier;

/// Start times of earlier dark episodes per vessel (MMSI text), fetched by the engine
/// from the store before the cycle runs, so that detectors stay free of IO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DarkHistoryIndex {
    pub starts: BTreeMap<String, Vec<Timestamp>>,
}

impl DarkHistoryIndex {
    /// Episode starts of `vessel` in `[from, to)`, in time order.
    pub fn between(&self, vessel: &str, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        self.starts
            .get(vessel)
            .map(|s| s.iter().copied().filter(|t| *t >= from && *t < to).collect())
            .unwrap_or_default()
    }
}

/// Everything a cycle's detectors may look at, prepared by the engine before any runs.
#[derive(Clone, Copy)]
pub struct CycleInput<'a> {
    /// Window start (exclusive): a finding belongs to the window holding its end.
    pub window_start: Timestamp,
    /// Window end (inclusive); the "now" of the cycle.
    pub window_end: Timestamp,
    /// Tracks with positions from `window_start - lookback` to `window_end`, by vessel.
    pub tracks: &'a [Track],
    /// Permits and ship kinds; without a registry nobody is permitted (as the reference).
    pub registry: Option<&'a Registry>,
    pub dark_history: &'a DarkHistoryIndex,
    /// Identity rows (name, call sign, IMO, ship type with first/last sighting and
    /// report count) of the cycle's vessels overlapping the loaded time range, fetched
    /// from the store by the engine; `IdentityHistory::empty()` when there are none.
    pub identities: &'a IdentityHistory,
    /// Zone lookup hook (P2); `Sync` because rules may run on several threads.
    pub zones: Option<&'a (dyn ZoneClassifier + Sync)>,
    /// The tracks' segmentation, computed once by the engine for every detector that
    /// needs segments; `None` (or other params) makes such a detector segment itself.
    pub segmentation: Option<&'a Segmentation>,
    /// The observation timelines of every loaded track (who was heard where and when),
    /// built once by the engine; `None` makes a detector build its own from `tracks`.
    pub observation: Option<&'a Observation>,
    /// Ports and anchorages (the shipped list, the user's, or none): what transshipment's
    /// stage 5 and loitering measure from when their params list no places.
    pub places: Option<&'a PlaceSet>,
}

/// Findings of the rules a rule depends on, by algorithm code.
#[derive(Clone, Debug, Default)]
pub struct Upstream<'a> {
    pub findings: BTreeMap<&'a str, Vec<&'a Finding>>,
}

impl<'a> Upstream<'a> {
    /// Findings of the dependencies running `code`, or `None` when no dependency runs it.
    pub fn of(&self, code: &str) -> Option<&[&'a Finding]> {
        self.findings.get(code).map(Vec::as_slice)
    }
}
