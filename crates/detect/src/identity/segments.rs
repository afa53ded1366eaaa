//! The `segments` detector: vessel ids whose positions split into several physically
//! separate chains of segments (see [`crate::identity::segment`]), i.e. one id used by more than
//! one transmitter, or positions no single ship could have reported.
//!
//! It classifies and does not score: the finding tells the analyst that the id's gaps
//! and dark scores were computed per chain, and lists the chains as evidence. Scored
//! identity anomalies are the `spoofing` detector's.

use lookout_model::{Finding, Severity};
use serde_json::{json, Value};

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::finding::{item, position_json};
use crate::identity::segment::{chains_in, SegmentParams};
use crate::input::{CycleInput, Upstream};

/// Segmentation report; params are the [`SegmentParams`].
pub struct SegmentsDetector;

impl Algorithm for SegmentsDetector {
    const ABOUT: About = About {
        code: "segments",
        name: Text { ko: "MMSI 공유 분할", en: "Shared-id segmentation" },
        description: Text {
            ko: "물리적으로 가능한 이동(속도·시간 한계)으로 위치를 구간으로 나누어, 하나의 식별번호를 여러 송신기가 쓰는 경우를 찾음",
            en: "Splits an id's positions into physically plausible segments (speed and time limits) to find ids used by several transmitters",
        },
        entity: EntityType::Vessel,
    };
    type Params = SegmentParams;

    /// One track at a time, in track order (incremental cycles rely on it).
    fn vessel_local(&self) -> bool {
        true
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        p: &SegmentParams,
        _upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        let mut out = Vec::new();
        for track in input.tracks {
            let (Some(first), Some(last)) = (track.positions.first(), track.positions.last()) else { continue };
            if last.timestamp <= input.window_start {
                continue;
            }
            let chains = chains_in(input, track, p);
            if chains.len() < 2 {
                continue;
            }
            let segments: usize = chains.iter().map(|c| c.segment_ids.len()).sum();
            let evidence_chains: Vec<Value> = chains
                .iter()
                .filter_map(|c| {
                    let (a, b) = (c.positions.first()?, c.positions.last()?);
                    Some(json!({
                        "segments": c.segment_ids,
                        "positions": c.positions.len(),
                        "first": position_json(a),
                        "last": position_json(b),
                    }))
                })
                .collect();
            out.push(Finding {
                detector: Self::ABOUT.code.into(),
                vessel: track.vessel.clone(),
                start: first.timestamp,
                end: last.timestamp,
                score: None,
                level: "MULTIPLE_TRACKS".into(),
                severity: Severity::Low,
                breakdown: vec![item(
                    "S1",
                    "multiple_tracks",
                    0,
                    "복수 궤적",
                    "Several tracks under one id",
                    format!("위치가 물리적으로 분리된 {}개 궤적({}개 구간)으로 나뉨", chains.len(), segments),
                    format!(
                        "positions split into {} physically separate tracks ({} segments) at {} kn / {} h",
                        chains.len(),
                        segments,
                        p.max_speed_kn,
                        p.max_gap_hours
                    ),
                )],
                // `from`/`to` (first and last position) give the finding a line on maps.
                evidence: json!({
                    "tracks": chains.len(), "segments": segments, "chains": evidence_chains,
                    "from": position_json(first), "to": position_json(last),
                }),
                rule: None,
                model_version: None,
                params_hash: None,
            });
        }
        Ok(out)
    }
}
