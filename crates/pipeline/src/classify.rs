//! The violation classifier: the labels EEZ, DARK, MMSI, TRANSSHIP, GEAR, RISK.
//!
//! Each category carries its own label; an event also gets the labels of whatever its
//! findings show besides (a dark vessel whose gap started inside the territorial sea is
//! DARK and EEZ). Statistics count detections by these labels.

use lookout_model::Finding;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Category;

/// A violation type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViolationLabel {
    Eez,
    Dark,
    Mmsi,
    Transship,
    Gear,
    Risk,
}

impl ViolationLabel {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationLabel::Eez => "EEZ",
            ViolationLabel::Dark => "DARK",
            ViolationLabel::Mmsi => "MMSI",
            ViolationLabel::Transship => "TRANSSHIP",
            ViolationLabel::Gear => "GEAR",
            ViolationLabel::Risk => "RISK",
        }
    }
}

/// The label a category always carries. PAIR_TRAWL is a fishing-gear method
/// violation, so it is GEAR.
pub fn primary_label(c: Category) -> ViolationLabel {
    match c {
        Category::DarkVessel => ViolationLabel::Dark,
        Category::EezIntrusion => ViolationLabel::Eez,
        Category::MmsiAnomaly => ViolationLabel::Mmsi,
        Category::Transshipment => ViolationLabel::Transship,
        Category::GearViolation | Category::PairTrawl => ViolationLabel::Gear,
        Category::HighRisk => ViolationLabel::Risk,
    }
}

/// Zones whose presence in a finding makes it an EEZ matter.
const EEZ_ZONES: [&str; 3] = ["TERRITORIAL_SEA", "CONTIGUOUS_ZONE", "EEZ"];

/// Labels one finding shows on its own, beyond its category.
pub fn finding_labels(f: &Finding) -> Vec<ViolationLabel> {
    let mut out = Vec::new();
    let zone = f.evidence.get("zone").and_then(Value::as_str);
    // Dark model P2 "sensitive_zone" means the gap started in the territorial sea or
    // contiguous zone.
    let in_sensitive = f.breakdown.iter().any(|b| b.pattern == "sensitive_zone");
    if zone.is_some_and(|z| EEZ_ZONES.contains(&z)) || in_sensitive {
        out.push(ViolationLabel::Eez);
    }
    // A teleport before the gap is an identity/position anomaly.
    if f.breakdown.iter().any(|b| b.pattern == "teleport_before_gap") {
        out.push(ViolationLabel::Mmsi);
    }
    match f.detector.as_str() {
        "dark_suspicion" | "gaps" => out.push(ViolationLabel::Dark),
        "eez_intrusion" | "zones" => out.push(ViolationLabel::Eez),
        "mmsi_anomaly" | "spoofing" => out.push(ViolationLabel::Mmsi),
        "transshipment" => out.push(ViolationLabel::Transship),
        "gear" | "pair_trawl" => out.push(ViolationLabel::Gear),
        "composite" | "risk" => out.push(ViolationLabel::Risk),
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

/// Labels of an event of `category` made from `findings`, sorted and unique.
pub fn labels_for(category: Category, findings: &[&Finding]) -> Vec<ViolationLabel> {
    let mut out = vec![primary_label(category)];
    for f in findings {
        out.extend(finding_labels(f));
    }
    out.sort();
    out.dedup();
    out
}
