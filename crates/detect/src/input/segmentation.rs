//! The segmentation of a cycle's tracks, computed once by the engine (with
//! [`crate::identity::segment::segment_tracks`]) and read by every detector that needs
//! segments (`segments`, `spoofing`; the engine's per-segment split for `gaps` and
//! `dark_suspicion` is built from it too), so no detector segments a track again.

use std::collections::BTreeMap;

use serde_json::Value;

/// One segment: indices into the positions it was cut from, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `<vessel>-<first timestamp, RFC 3339>`, as GFW names its segments.
    pub id: String,
    pub indices: Vec<usize>,
}

/// One track's segments and their chains (indices into `segments`, see
/// [`crate::identity::segment::chain_segments`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentedTrack {
    /// Positions of the track this was computed from (a check against a stale lookup).
    pub positions: usize,
    pub segments: Vec<Segment>,
    pub chains: Vec<Vec<usize>>,
    /// Segments set apart as noise (isolated single messages), in no chain.
    pub noise: Vec<usize>,
}

/// Every track's segmentation under one set of segmenter params.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Segmentation {
    /// The segmenter params used, as JSON: a detector configured otherwise computes its own.
    pub params: Value,
    pub by_vessel: BTreeMap<String, SegmentedTrack>,
}

impl Segmentation {
    /// The segmentation of `vessel`'s track of `positions` positions under `params`, if
    /// this one holds it.
    pub fn get(&self, vessel: &str, positions: usize, params: &Value) -> Option<&SegmentedTrack> {
        if &self.params != params {
            return None;
        }
        self.by_vessel.get(vessel).filter(|s| s.positions == positions)
    }
}
