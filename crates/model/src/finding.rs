use serde::{Deserialize, Serialize};

use crate::{Timestamp, VesselId};

/// How serious a finding is, shared by every detector so events and alerts can rank them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    None,
    Low,
    Watch,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Watch => "WATCH",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// One line of a score's explanation: which pattern fired and what it added or took away.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreakdownItem {
    /// Rule code, e.g. `P1`.
    pub code: String,
    /// Pattern id, e.g. `moving_at_off`.
    pub pattern: String,
    /// Signed points this pattern contributed.
    pub points: i64,
    pub label_ko: String,
    pub label_en: String,
    pub description_ko: String,
    pub description_en: String,
}

/// What a detector reports about one entity over one episode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// Detector code, e.g. `gaps`, `dark_suspicion`.
    pub detector: String,
    pub vessel: VesselId,
    /// Start of the episode (for a gap: the last position before it).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    /// End of the episode (for a gap: the first position after it, or the window end).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    /// 0..=100 where the detector scores; detectors that only classify leave it `None`.
    pub score: Option<i64>,
    /// Detector-specific level, e.g. `VIOLATION` for a gap or `CRITICAL` for a dark score.
    pub level: String,
    pub severity: Severity,
    pub breakdown: Vec<BreakdownItem>,
    /// Detector-specific evidence (positions, distances, the gap's two ends).
    pub evidence: serde_json::Value,
    /// Id of the rule that produced it; absent outside the rule engine (e.g. `score-dark`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Version of the model whose params were used (the base version when an inline
    /// override was merged over it; `params_hash` then tells them apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<i64>,
    /// Hash of the effective params: FNV-1a 64 over their canonical JSON (keys sorted,
    /// no whitespace), as 16 lowercase hex digits. See `lookout_detect::algorithm::params_hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params_hash: Option<String>,
}
