//! Plain-language explanations (Korean and English) built from a point's numbers.
//!
//! Only the sentence templates are fixed; every clause comes from a measured number
//! (value, expected range, change in %, reconstruction error against its threshold, the
//! detectors that fired), and a clause is left out when its number does not exist.

use crate::detector::{DetectorParams, PointScore};
use crate::series::format_timestamp;

/// Output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Korean.
    Ko,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ko" => Ok(Lang::Ko),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language {other:?} (ko or en)")),
        }
    }
}

/// A number with about four significant digits, without trailing noise.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (3 - mag).clamp(0, 8) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn detector_name(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("autoencoder", Lang::En) => "autoencoder",
        ("autoencoder", Lang::Ko) => "오토인코더",
        ("decrease", Lang::En) => "decrease rule",
        ("decrease", Lang::Ko) => "감소율 규칙",
        ("mad", Lang::En) => "MAD z-score",
        ("mad", Lang::Ko) => "MAD z-점수",
        ("seasonal", Lang::En) => "seasonal residual",
        ("seasonal", Lang::Ko) => "계절성 잔차",
        ("ewma", Lang::En) => "EWMA",
        ("ewma", Lang::Ko) => "EWMA",
        ("context", Lang::En) => "contextual novelty",
        ("context", Lang::Ko) => "문맥 신규성",
        (_, Lang::En) => "calibrated score",
        (_, Lang::Ko) => "보정 점수",
    }
}

/// One sentence explaining why `s` was flagged.
pub fn explain(s: &PointScore, p: &DetectorParams, lang: Lang) -> String {
    let when = format_timestamp(s.timestamp);
    let mut parts: Vec<String> = Vec::new();
    let v = num(s.value);
    match (s.expected, lang) {
        (Some((lo, hi)), Lang::En) => {
            let side = if s.value > hi {
                "above"
            } else if s.value < lo {
                "below"
            } else {
                "inside"
            };
            parts.push(format!("value {v} is {side} the expected range {}..{}", num(lo), num(hi)));
        }
        (Some((lo, hi)), Lang::Ko) => {
            let side = if s.value > hi {
                "보다 높습니다"
            } else if s.value < lo {
                "보다 낮습니다"
            } else {
                " 안에 있습니다"
            };
            parts.push(format!("값 {v}은(는) 예상 범위 {}~{}{side}", num(lo), num(hi)));
        }
        (None, Lang::En) => parts.push(format!("value {v}")),
        (None, Lang::Ko) => parts.push(format!("값 {v}")),
    }
    if let Some(c) = s.pct_change {
        let rule = num(p.decrease * 100.0);
        // Say whether the rule fired: the same sentence must not read as a firing rule
        // for a -2.9 % change.
        let fired = s.decrease_flag;
        parts.push(match (lang, fired) {
            (Lang::En, true) => format!("change from the previous point {c:+.1}% (decrease rule: below {rule}%)"),
            (Lang::En, false) => {
                format!("change from the previous point {c:+.1}% (decrease rule needs below {rule}%: not met)")
            }
            (Lang::Ko, true) => format!("직전 대비 변화율 {c:+.1}% (감소율 규칙 기준 {rule}% 미만)"),
            (Lang::Ko, false) => format!("직전 대비 변화율 {c:+.1}% (감소율 규칙 기준 {rule}% 미만 아님)"),
        });
    }
    if let (Some(e), Some(t)) = (s.recon_error, s.recon_threshold) {
        let ratio = if t > 0.0 { e / t } else { f64::INFINITY };
        parts.push(match lang {
            Lang::En => format!("reconstruction error {} is {:.1}x the threshold {}", num(e), ratio, num(t)),
            Lang::Ko => format!("재구성 오차 {}는 임계값 {}의 {:.1}배", num(e), num(t), ratio),
        });
    }
    if let Some(n) = s.novelty {
        parts.push(match lang {
            Lang::En if n >= 1.0 => "contextual novelty 1.00 (a value level never seen before)".to_string(),
            Lang::En => format!("contextual novelty {n:.2} (share of new patterns after familiar ones)"),
            Lang::Ko if n >= 1.0 => "문맥 신규성 1.00 (처음 보는 값 수준)".to_string(),
            Lang::Ko => format!("문맥 신규성 {n:.2} (익숙한 흐름 뒤 새 패턴의 비율)"),
        });
    }
    let fired: Vec<&str> = s.fired(p).into_iter().map(|c| detector_name(c, lang)).collect();
    let strongest = [("MAD", s.mad_z), ("seasonal", s.seasonal_z), ("EWMA", s.ewma_z)]
        .into_iter()
        .filter_map(|(n, z)| z.map(|z| (n, z)))
        .fold(None, |acc: Option<(&str, f64)>, (n, z)| match acc {
            Some((_, best)) if best >= z => acc,
            _ => Some((n, z)),
        });
    match lang {
        Lang::En => {
            let list = if fired.is_empty() { "none".to_string() } else { fired.join(", ") };
            let z = strongest.map(|(n, z)| format!("; largest z {z:.1} ({n})")).unwrap_or_default();
            parts.push(format!("detectors fired: {list}{z}; score {:.2}", s.score));
            format!("{when}: {}.", parts.join("; "))
        }
        Lang::Ko => {
            let list = if fired.is_empty() { "없음".to_string() } else { fired.join(", ") };
            let z = strongest.map(|(n, z)| format!("; 최대 z {z:.1} ({n})")).unwrap_or_default();
            parts.push(format!("작동한 탐지기: {list}{z}; 점수 {:.2}", s.score));
            format!("{when}: {}.", parts.join("; "))
        }
    }
}
