//! The `gaps` detector behind the [`Detector`] trait: every reporting gap that ends
//! inside the cycle window, classified by length.

use lookout_model::Finding;
use serde_json::Value;

use crate::algorithm::{merge_checked, About, CycleInput, DetectError, Detector, EntityType, Text, Upstream};
use crate::error::ParamsError;
use crate::findings::gap_findings;
use crate::params::{DarkParams, GapThresholds};

/// Gap detection; params are the [`GapThresholds`].
pub struct GapsDetector;

fn parse(params: &Value) -> Result<GapThresholds, ParamsError> {
    crate::algorithm::parse_params(params)
}

impl Detector for GapsDetector {
    fn about(&self) -> &'static About {
        const ABOUT: About = About {
            code: "gaps",
            name: Text { ko: "AIS 수신 공백", en: "AIS reporting gaps" },
            description: Text {
                ko: "연속 위치 보고 사이의 공백을 길이에 따라 의심·고위험·위반으로 분류",
                en: "Gaps between consecutive position reports, classified suspicious / high / violation by length",
            },
            entity: EntityType::Vessel,
        };
        &ABOUT
    }

    /// Gaps are judged per transmitter: a hop between two ships sharing an id is no gap.
    fn per_segment(&self) -> bool {
        true
    }

    fn default_params(&self) -> Value {
        serde_json::to_value(GapThresholds::default()).unwrap_or(Value::Null)
    }

    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError> {
        let merged = merge_checked(base, over)?;
        let thr = parse(&merged)?;
        if !(0 < thr.suspicious_sec
            && thr.suspicious_sec <= thr.high_suspicious_sec
            && thr.high_suspicious_sec <= thr.violation_sec)
        {
            return Err(ParamsError::at(
                "(root)",
                "expected 0 < suspicious_sec <= high_suspicious_sec <= violation_sec",
            ));
        }
        Ok(merged)
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        _upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        // The product path takes the thresholds inside the dark params (one struct for
        // both detectors); only `gap_thresholds` is read from it.
        let dark = DarkParams { gap_thresholds: parse(params)?, ..DarkParams::default() };
        let mut out = Vec::new();
        for track in input.tracks {
            out.extend(gap_findings(track, &dark).into_iter().filter(|f| f.end > input.window_start));
        }
        Ok(out)
    }
}
