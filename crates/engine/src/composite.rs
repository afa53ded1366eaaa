//! The result processor: per vessel, the weighted combination of rule scores into one
//! 0-100 risk score and level, as a `composite` finding whose breakdown lists each
//! rule's contribution.
//!
//! - A rule's score for a vessel is the highest score among its findings for that
//!   vessel; findings without a score (e.g. gaps, which only classify) count by
//!   severity: CRITICAL 100, HIGH 70, MEDIUM 50, WATCH 40, LOW 20, NONE 0. A rule that
//!   ran and found nothing for the vessel scores 0.
//! - overall = Σ weight·score / Σ weight over the rules that ran successfully (a
//!   failed or skipped rule is left out of both sums, and listed in the evidence),
//!   rounded half away from zero and clamped to 0..=100.
//! - Levels: CRITICAL ≥ 70, HIGH ≥ 50, MEDIUM ≥ 30, otherwise LOW — the same cut-offs
//!   as the dark model's tiers, so a vessel judged only by it keeps its tier.
//!
//! One composite finding per vessel with at least one finding, in vessel order.

use std::collections::BTreeMap;

use lookout_detect::EntityType;
use lookout_model::{BreakdownItem, Finding, Severity};
use serde_json::json;

use crate::exec::{ResolvedRule, RuleOutcome, RuleStatus};

/// Detector code of the composite findings.
pub const COMPOSITE: &str = "composite";

/// Level cut-offs (minimum overall score).
pub const CRITICAL_MIN: i64 = 70;
pub const HIGH_MIN: i64 = 50;
pub const MEDIUM_MIN: i64 = 30;

/// Points of a finding without a score, by severity.
pub fn severity_points(s: Severity) -> i64 {
    match s {
        Severity::Critical => 100,
        Severity::High => 70,
        Severity::Medium => 50,
        Severity::Watch => 40,
        Severity::Low => 20,
        Severity::None => 0,
    }
}

/// Level and severity of an overall score.
pub fn level(score: i64) -> (&'static str, Severity) {
    if score >= CRITICAL_MIN {
        ("CRITICAL", Severity::Critical)
    } else if score >= HIGH_MIN {
        ("HIGH", Severity::High)
    } else if score >= MEDIUM_MIN {
        ("MEDIUM", Severity::Medium)
    } else {
        ("LOW", Severity::Low)
    }
}

fn finding_points(f: &Finding) -> i64 {
    f.score.unwrap_or_else(|| severity_points(f.severity)).clamp(0, 100)
}

/// Composite findings for every vessel some rule reported on.
pub fn combine(rules: &[ResolvedRule], outcomes: &[RuleOutcome]) -> Vec<Finding> {
    // vessel -> rule index -> (score, earliest start, latest end)
    let mut per_vessel: BTreeMap<String, BTreeMap<usize, i64>> = BTreeMap::new();
    let mut spans: BTreeMap<String, (lookout_model::Timestamp, lookout_model::Timestamp, lookout_model::VesselId)> =
        BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        // Findings about an area or a series (receiver outages) are no vessel's risk.
        if rules.get(i).is_some_and(|r| matches!(r.detector.entity(), EntityType::Area | EntityType::Series)) {
            continue;
        }
        for f in &o.findings {
            let slot = per_vessel.entry(f.vessel.as_str().to_string()).or_default().entry(i).or_insert(0);
            *slot = (*slot).max(finding_points(f));
            let span = spans.entry(f.vessel.as_str().to_string()).or_insert((f.start, f.end, f.vessel.clone()));
            span.0 = span.0.min(f.start);
            span.1 = span.1.max(f.end);
        }
    }
    let ran: Vec<usize> =
        (0..rules.len().min(outcomes.len())).filter(|&i| outcomes[i].status == RuleStatus::Ok).collect();
    let total_weight: f64 = ran.iter().map(|&i| rules[i].weight).sum();
    let missing: Vec<&str> = outcomes.iter().filter(|o| o.status != RuleStatus::Ok).map(|o| o.rule.as_str()).collect();
    let weights: BTreeMap<&str, f64> = rules.iter().map(|r| (r.id.as_str(), r.weight)).collect();
    let params_hash = lookout_detect::params_hash(&json!({
        "weights": weights,
        "levels": { "critical": CRITICAL_MIN, "high": HIGH_MIN, "medium": MEDIUM_MIN },
    }));
    let mut out = Vec::new();
    for (vessel, scores) in per_vessel {
        let Some((start, end, id)) = spans.get(&vessel).cloned() else {
            continue;
        };
        let mut sum = 0.0;
        let mut breakdown = Vec::new();
        let mut parts = Vec::new();
        for &i in &ran {
            let r = &rules[i];
            let score = scores.get(&i).copied().unwrap_or(0);
            let contribution = if total_weight > 0.0 { r.weight * score as f64 / total_weight } else { 0.0 };
            sum += contribution;
            parts.push(json!({
                "rule": r.id, "algorithm": r.detector.code(), "weight": r.weight,
                "score": score, "contribution": (contribution * 100.0).round() / 100.0,
            }));
            if score > 0 {
                let name = r.detector.name();
                breakdown.push(BreakdownItem {
                    code: r.id.clone(),
                    pattern: r.detector.code().to_string(),
                    points: contribution.round() as i64,
                    label_ko: name.ko.to_string(),
                    label_en: name.en.to_string(),
                    description_ko: format!("규칙 점수 {score} × 가중치 {:.2}", r.weight / total_weight),
                    description_en: format!("rule score {score} × weight share {:.2}", r.weight / total_weight),
                });
            }
        }
        let score = (sum.round() as i64).clamp(0, 100);
        let (lvl, severity) = level(score);
        out.push(Finding {
            detector: COMPOSITE.into(),
            vessel: id,
            start,
            end,
            score: Some(score),
            level: lvl.into(),
            severity,
            breakdown,
            evidence: json!({ "rules": parts, "weight_total": total_weight, "not_run": missing }),
            rule: None,
            model_version: None,
            params_hash: Some(params_hash.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_documented_cut_offs() {
        assert_eq!(level(100).0, "CRITICAL");
        assert_eq!(level(70).0, "CRITICAL");
        assert_eq!(level(69).0, "HIGH");
        assert_eq!(level(50).0, "HIGH");
        assert_eq!(level(49).0, "MEDIUM");
        assert_eq!(level(30).0, "MEDIUM");
        assert_eq!(level(29).0, "LOW");
        assert_eq!(level(0).0, "LOW");
    }
}
