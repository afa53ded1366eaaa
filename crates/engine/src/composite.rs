//! The result processor: per vessel, the combination of rule scores into one 0-100
//! risk score and level, as a `composite` finding whose breakdown lists each rule's
//! contribution.
//!
//! - A rule's score for a vessel is the highest score among its findings for that
//!   vessel; findings without a score (e.g. gaps, which only classify) count by
//!   severity: CRITICAL 100, HIGH 70, MEDIUM 50, WATCH 40, LOW 20, NONE 0.
//! - A rule's weight (0..=1) is how far its score alone can carry the risk: the rule
//!   contributes the probability `p = weight · score / 100`.
//! - overall = 100 · (1 − Π (1 − p)) over the rules that ran (a probabilistic OR of
//!   independent evidence), rounded half away from zero. Why not a weighted mean: in a
//!   mean, every rule that finds nothing for a vessel pulls its risk down, so adding a
//!   detector would lower every dark vessel's risk. Here a rule that finds nothing
//!   changes nothing, more evidence never lowers the risk, a single rule of weight 1
//!   keeps its own score (so a vessel judged only by the dark model keeps its tier), and
//!   the result cannot exceed 100.
//! - Contributions: the overall score is shared among the rules in proportion to
//!   −ln(1 − p) (each rule's share of the product), rounded by largest remainder so the
//!   listed points add up exactly to the overall score. A failed or skipped rule is
//!   left out and listed in the evidence (`not_run`).
//! - Levels: CRITICAL ≥ 70, HIGH ≥ 50, MEDIUM ≥ 30, otherwise LOW — the same cut-offs
//!   as the dark model's tiers.
//!
//! One composite finding per vessel with at least one finding, in vessel order.

use std::collections::BTreeMap;

use lookout_detect::EntityType;
use lookout_model::{BreakdownItem, Finding, Severity};
use serde_json::json;

use crate::exec::{ResolvedRule, RuleOutcome, RuleStatus};

/// Detector code of the composite findings.
pub const COMPOSITE: &str = "composite";

pub use lookout_detect::level::{level_of as level, CRITICAL_MIN, HIGH_MIN, MEDIUM_MIN};

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

fn finding_points(f: &Finding) -> i64 {
    f.score.unwrap_or_else(|| severity_points(f.severity)).clamp(0, 100)
}

/// One rule's part in a vessel's composite.
struct Part {
    rule: usize,
    score: i64,
    /// `weight · score / 100`, in 0..=1.
    probability: f64,
}

/// Overall score and each part's whole points (adding up to the overall score).
fn noisy_or(parts: &[Part]) -> (i64, Vec<i64>) {
    let miss: f64 = parts.iter().map(|p| 1.0 - p.probability).product();
    let overall = ((100.0 * (1.0 - miss)).round() as i64).clamp(0, 100);
    // A certain part (p = 1) has an infinite log share: certain parts share equally.
    let certain = parts.iter().filter(|p| p.probability >= 1.0).count();
    let shares: Vec<f64> = parts
        .iter()
        .map(|p| match certain {
            0 => -(1.0 - p.probability).ln(),
            _ if p.probability >= 1.0 => 1.0,
            _ => 0.0,
        })
        .collect();
    (overall, largest_remainder(overall, &shares))
}

/// Splits `total` whole points in proportion to `shares`; ties go to the earlier part.
fn largest_remainder(total: i64, shares: &[f64]) -> Vec<i64> {
    let sum: f64 = shares.iter().sum();
    if sum <= 0.0 || total == 0 {
        return vec![0; shares.len()];
    }
    let exact: Vec<f64> = shares.iter().map(|s| total as f64 * s / sum).collect();
    let mut points: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let left = (total - points.iter().sum::<i64>()).max(0) as usize;
    for &i in order.iter().take(left) {
        points[i] += 1;
    }
    points
}

/// Composite findings for every vessel some rule reported on.
pub fn combine(rules: &[ResolvedRule], outcomes: &[RuleOutcome]) -> Vec<Finding> {
    // vessel -> rule index -> score
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
    let missing: Vec<&str> = outcomes.iter().filter(|o| o.status != RuleStatus::Ok).map(|o| o.rule.as_str()).collect();
    let weights: BTreeMap<&str, f64> = rules.iter().map(|r| (r.id.as_str(), r.weight)).collect();
    let params_hash = lookout_detect::params_hash(&json!({
        "formula": "noisy_or",
        "weights": weights,
        "levels": { "critical": CRITICAL_MIN, "high": HIGH_MIN, "medium": MEDIUM_MIN },
    }));
    let mut out = Vec::new();
    for (vessel, scores) in per_vessel {
        let Some((start, end, id)) = spans.get(&vessel).cloned() else {
            continue;
        };
        let parts: Vec<Part> = ran
            .iter()
            .map(|&i| {
                let score = scores.get(&i).copied().unwrap_or(0);
                Part { rule: i, score, probability: (rules[i].weight * score as f64 / 100.0).clamp(0.0, 1.0) }
            })
            .collect();
        let (score, points) = noisy_or(&parts);
        let mut breakdown = Vec::new();
        let mut listed = Vec::new();
        for (part, &pts) in parts.iter().zip(&points) {
            let r = &rules[part.rule];
            listed.push(json!({
                "rule": r.id, "algorithm": r.detector.code(), "weight": r.weight,
                "score": part.score, "probability": (part.probability * 10_000.0).round() / 10_000.0,
                "contribution": pts,
            }));
            if part.probability > 0.0 {
                breakdown.push(contribution_item(r, part, pts));
            }
        }
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
            evidence: json!({ "formula": "noisy_or", "rules": listed, "not_run": missing }),
            rule: None,
            model_version: None,
            params_hash: Some(params_hash.clone()),
        });
    }
    out
}

fn contribution_item(r: &ResolvedRule, part: &Part, points: i64) -> BreakdownItem {
    let name = r.detector.name();
    BreakdownItem {
        code: r.id.clone(),
        pattern: r.detector.code().to_string(),
        points,
        label_ko: name.ko.to_string(),
        label_en: name.en.to_string(),
        description_ko: format!("규칙 점수 {} × 가중치 {:.2} = 확률 {:.2}", part.score, r.weight, part.probability),
        description_en: format!(
            "rule score {} × weight {:.2} = probability {:.2}",
            part.score, r.weight, part.probability
        ),
    }
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

    fn part(rule: usize, score: i64, weight: f64) -> Part {
        Part { rule, score, probability: weight * score as f64 / 100.0 }
    }

    #[test]
    fn a_single_full_weight_rule_keeps_its_score() {
        for s in [0, 1, 29, 30, 49, 50, 69, 70, 100] {
            assert_eq!(noisy_or(&[part(0, s, 1.0)]), (s, vec![s]));
        }
    }

    #[test]
    fn rules_that_find_nothing_change_nothing() {
        let alone = noisy_or(&[part(0, 55, 1.0)]);
        let with_others = noisy_or(&[part(0, 0, 0.8), part(1, 55, 1.0), part(2, 0, 1.0)]);
        assert_eq!(alone.0, with_others.0);
        assert_eq!(with_others.1, vec![0, 55, 0]);
    }

    #[test]
    fn evidence_combines_as_a_probabilistic_or() {
        // 1 - (1 - 0.55)(1 - 0.8·0.6) = 1 - 0.45·0.52 = 0.766 → 77
        let (score, points) = noisy_or(&[part(0, 55, 1.0), part(1, 60, 0.8)]);
        assert_eq!(score, 77);
        // Shares: -ln 0.45 = 0.7985, -ln 0.52 = 0.6539 → 42.34 and 34.66 → 42 + 35.
        assert_eq!(points, vec![42, 35]);
        assert_eq!(points.iter().sum::<i64>(), score);
        // Never above 100, and certain evidence shares equally.
        assert_eq!(noisy_or(&[part(0, 100, 1.0), part(1, 100, 1.0), part(2, 50, 1.0)]), (100, vec![50, 50, 0]));
    }

    #[test]
    fn more_evidence_never_lowers_the_risk() {
        let mut parts = vec![part(0, 40, 1.0)];
        let mut last = noisy_or(&parts).0;
        for (i, s) in [10, 0, 35, 90, 5].into_iter().enumerate() {
            parts.push(part(i + 1, s, 0.7));
            let now = noisy_or(&parts).0;
            assert!(now >= last, "{now} < {last}");
            last = now;
        }
    }

    #[test]
    fn largest_remainder_adds_up_and_breaks_ties_in_order() {
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(0, &[1.0, 2.0]), vec![0, 0]);
        assert_eq!(largest_remainder(7, &[0.0, 0.0]), vec![0, 0]);
    }
}
