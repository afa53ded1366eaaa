//! Human-readable rendering of findings, shared by `analyze` and `demo`.

use lookout_model::Finding;
use serde_json::Value;

/// Longest duration accepted on the command line: long enough for any real window or
/// retention, short enough that adding it to or subtracting it from any time the store
/// can hold never overflows chrono (which panics instead of erroring).
pub(crate) const MAX_DURATION_DAYS: i64 = 36_600;

/// Parses durations such as `90m`, `24h`, `7d`, `3600s`, `2w`, at most
/// [`MAX_DURATION_DAYS`]; clap names the option in the error.
pub(crate) fn parse_duration(raw: &str) -> Result<chrono::Duration, String> {
    let t = raw.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let too_long = || format!("'{raw}' is too long (at most {MAX_DURATION_DAYS}d, about 100 years)");
    let n: i64 = match num.parse() {
        Ok(n) => n,
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => return Err(too_long()),
        Err(_) => return Err(format!("'{raw}': expected a number followed by s, m, h, d or w")),
    };
    let secs: i64 = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("'{raw}': unknown unit '{unit}' (use s, m, h, d or w)")),
    };
    n.checked_mul(secs)
        .filter(|s| *s <= MAX_DURATION_DAYS * 86_400)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(too_long)
}

/// Earliest and latest year accepted for a time given on the command line (RFC 3339's
/// own range): any such time plus or minus a [`parse_duration`] value stays in chrono's
/// range.
const INSTANT_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Parses an RFC 3339 time (`--at`, `--now`, `--from`, `--to`, `--starts`, `--ends`),
/// with a year in 0001..=9999; clap names the option in the error.
pub(crate) fn parse_instant(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::Datelike;
    let t: chrono::DateTime<chrono::Utc> = raw
        .trim()
        .parse()
        .map_err(|e| format!("'{raw}': expected an RFC 3339 time such as 2024-05-01T12:00:00Z ({e})"))?;
    if !INSTANT_YEARS.contains(&t.year()) {
        return Err(format!("'{raw}': the year must be within 0001..=9999"));
    }
    Ok(t)
}

/// Parses a JSON argument given inline (`{...}`) or as a file path.
pub(crate) fn json_arg(raw: &str, what: &str) -> anyhow::Result<Value> {
    use anyhow::Context;
    let text = if raw.trim_start().starts_with('{') {
        raw.to_string()
    } else {
        std::fs::read_to_string(raw).with_context(|| format!("--{what}: reading {raw}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("--{what}: invalid JSON"))
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_f64)
}

fn latlon(v: &Value, which: &str) -> String {
    match (num(v, &[which, "lat"]), num(v, &[which, "lon"])) {
        (Some(lat), Some(lon)) => format!("{lat:.4},{lon:.4}"),
        _ => "?".into(),
    }
}

/// One line describing a dark finding: vessel, tier, score, the gap.
pub(crate) fn dark_headline(f: &Finding) -> String {
    let gap = f.evidence.get("gap_info").cloned().unwrap_or(Value::Null);
    let minutes = num(&gap, &["gap_min"]).unwrap_or(0.0) as i64;
    format!(
        "vessel {} — {} score {} — silent {}h{:02}m from {} ({}) to {} ({}), {:.2} nm apart",
        f.vessel,
        f.level,
        f.score.unwrap_or(0),
        minutes / 60,
        minutes % 60,
        f.start.format("%Y-%m-%d %H:%MZ"),
        latlon(&f.evidence, "gap_start"),
        f.end.format("%Y-%m-%d %H:%MZ"),
        latlon(&f.evidence, "gap_end"),
        num(&gap, &["gap_distance_nm"]).unwrap_or(0.0),
    )
}

/// The breakdown, added points first, then subtracted, each with ko/en labels.
pub(crate) fn breakdown_lines(f: &Finding) -> Vec<String> {
    let mut items: Vec<_> = f.breakdown.iter().collect();
    items.sort_by_key(|b| (b.points < 0, -b.points.abs()));
    let mut lines: Vec<String> = items
        .iter()
        .map(|b| {
            format!(
                "{:+4}  {:<4} {:<24} {} / {} — {}",
                b.points, b.code, b.pattern, b.label_ko, b.label_en, b.description_en
            )
        })
        .collect();
    let raw: i64 = f.breakdown.iter().map(|b| b.points).sum();
    let clamp = if Some(raw) != f.score { format!(" (sum {raw}, clamped to 0..100)") } else { String::new() };
    lines.push(format!("= {}{clamp} → {}", f.score.unwrap_or(0), f.level));
    lines
}

/// One line per composite risk: vessel, level, score and each rule's share.
pub(crate) fn risk_line(f: &Finding) -> String {
    let parts: Vec<String> =
        f.breakdown.iter().map(|b| format!("{} {:+} ({})", b.code, b.points, b.description_en)).collect();
    format!("vessel {} — risk {} {} = {}", f.vessel, f.level, f.score.unwrap_or(0), parts.join(" + "))
}

/// One line describing a receiver outage (`reception` finding): the area, the span and
/// the numbers, from its breakdown.
pub(crate) fn outage_line(f: &Finding) -> String {
    let what = f.breakdown.first().map(|b| b.description_en.as_str()).unwrap_or("");
    let ongoing = if f.evidence.get("ongoing").and_then(Value::as_bool) == Some(true) {
        " (still on at the window end)"
    } else {
        ""
    };
    format!("{} — {}{ongoing}", f.vessel, what)
}

/// Reception outages of a set of findings, how many dark scores one lowered, and how
/// much of the area could be judged (`judged`: summed `reception` rule statistics).
pub(crate) fn outage_summary(findings: &[Finding], judged: &Value) -> Vec<String> {
    let outages: Vec<&Finding> = findings.iter().filter(|f| f.detector == "reception").collect();
    let dark: Vec<&Finding> = findings.iter().filter(|f| f.detector == "dark_suspicion").collect();
    let lowered = dark.iter().filter(|f| f.breakdown.iter().any(|b| b.pattern == "reception_outage")).count();
    let n = |k: &str| judged.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut lines = vec![format!(
        "reception outages: {} (dark scores lowered by reception_outage: {lowered} of {}; \
         judged {} cell-buckets in {} of {} cells, {} down)",
        outages.len(),
        dark.len(),
        n("buckets_judged"),
        n("cells_judged"),
        n("cells"),
        n("buckets_down"),
    )];
    lines.extend(outages.iter().map(|f| format!("  {}", outage_line(f))));
    lines
}

/// How many dark scores the `unobserved` pattern lowered: gaps most of which nobody at
/// all was heard around (a hole in the data, not a switch-off).
pub(crate) fn unobserved_line(findings: &[Finding]) -> String {
    let dark: Vec<&Finding> = findings.iter().filter(|f| f.detector == "dark_suspicion").collect();
    let lowered = dark.iter().filter(|f| f.breakdown.iter().any(|b| b.pattern == "unobserved")).count();
    format!(
        "unobserved silences: {lowered} of {} dark scores lowered by unobserved (most of the gap fell where and \
         when nobody at all was heard: a hole in the data, not a switch-off)",
        dark.len()
    )
}

/// Sums the numeric statistics of every `reception` rule of `rules` into `into`.
pub(crate) fn add_reception_stats(into: &mut Value, rules: &[lookout_engine::cycle::RuleSummary]) {
    for r in rules.iter().filter(|r| r.algorithm == "reception") {
        let Some(stats) = r.stats.as_object() else { continue };
        for (k, v) in stats {
            let sum = into.get(k).and_then(Value::as_u64).unwrap_or(0) + v.as_u64().unwrap_or(0);
            into[k.as_str()] = sum.into();
        }
    }
}

/// Dark findings as GeoJSON: one line from the gap's start to its end per finding.
pub(crate) fn geojson(findings: &[Finding]) -> Value {
    let features: Vec<Value> = findings
        .iter()
        .filter_map(|f| {
            let coords = ["gap_start", "gap_end", "from", "to"].chunks(2).find_map(|k| {
                let a = (num(&f.evidence, &[k[0], "lon"])?, num(&f.evidence, &[k[0], "lat"])?);
                let b = (num(&f.evidence, &[k[1], "lon"])?, num(&f.evidence, &[k[1], "lat"])?);
                Some(serde_json::json!([[a.0, a.1], [b.0, b.1]]))
            })?;
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "LineString", "coordinates": coords },
                "properties": {
                    "detector": f.detector, "vessel": f.vessel, "level": f.level, "score": f.score,
                    "start": f.start, "end": f.end,
                    "patterns": f.breakdown.iter().map(|b| &b.pattern).collect::<Vec<_>>(),
                },
            }))
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(chrono::Duration::hours(24)));
        assert_eq!(parse_duration("90m"), Ok(chrono::Duration::minutes(90)));
        assert_eq!(parse_duration("7d"), Ok(chrono::Duration::days(7)));
        assert!(parse_duration("7y").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn overflowing_durations_are_errors_not_panics() {
        for raw in ["99999999999999d", "99999999999999999999999s", "9223372036854775807w", "36601d"] {
            let e = parse_duration(raw).unwrap_err();
            assert!(e.contains("too long"), "{raw}: {e}");
        }
        assert_eq!(parse_duration("36600d"), Ok(chrono::Duration::days(MAX_DURATION_DAYS)));
    }

    #[test]
    fn instants_keep_to_rfc3339_years() {
        assert!(parse_instant("2024-05-01T12:00:00Z").is_ok());
        assert!(parse_instant("2024-05-01T12:00:00+09:00").is_ok());
        assert!(parse_instant("0000-01-01T00:00:00Z").unwrap_err().contains("0001..=9999"));
        assert!(parse_instant("yesterday").is_err());
    }
}
