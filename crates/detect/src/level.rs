//! The one scale every scored finding and the composite risk use: 0..=100 points and
//! the dark model's cut-offs (CRITICAL >= 70, HIGH >= 50, MEDIUM >= 30, else LOW).

use lookout_model::{BreakdownItem, Severity};

pub const CRITICAL_MIN: i64 = 70;
pub const HIGH_MIN: i64 = 50;
pub const MEDIUM_MIN: i64 = 30;

/// Level text and severity of a 0..=100 score.
pub fn level_of(score: i64) -> (&'static str, Severity) {
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

/// A breakdown's points summed and clamped to 0..=100, with its level and severity.
pub fn scored(breakdown: &[BreakdownItem]) -> (i64, &'static str, Severity) {
    let score = breakdown.iter().map(|b| b.points).sum::<i64>().clamp(0, 100);
    let (level, severity) = level_of(score);
    (score, level, severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_documented_cut_offs() {
        let cases = [
            (100, "CRITICAL"),
            (70, "CRITICAL"),
            (69, "HIGH"),
            (50, "HIGH"),
            (49, "MEDIUM"),
            (30, "MEDIUM"),
            (29, "LOW"),
            (0, "LOW"),
        ];
        for (score, level) in cases {
            assert_eq!(level_of(score).0, level, "{score}");
        }
    }
}
