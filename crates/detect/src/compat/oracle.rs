//! The reference oracle's text formats: its positions CSV (with pandas' coercions) and
//! its output (one `json.dumps` line per MMSI). Pure functions over text; the CLI does
//! the IO. Kept apart from the detectors, which only see parsed points.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::Value;

use crate::compat::point::OraclePoint;
use crate::compat::repr::write_py_repr;
use crate::csvtext::records;
use crate::dark::analysis::{analyze_sorted, GapInfo};
use crate::dark::params::DarkParams;
use crate::dark::sample::is_time_sorted;
use crate::dark::score::{compute_dark_suspicion, DarkHistory, DarkScore, ScoreInputs, ShipClass};
use crate::error::InputError;

/// Cell texts pandas' `read_csv` turns into NaN by default, whatever the column type.
const NA_VALUES: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
];

fn is_na(cell: &str) -> bool {
    NA_VALUES.contains(&cell)
}

/// Parses an ISO 8601 timestamp as `pd.to_datetime(utc=True)` reads the layouts the
/// oracle CSVs use: `YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z|±HH[:MM]]`; no offset
/// means UTC. Returns nanoseconds since the epoch.
pub fn parse_timestamp_ns(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let mut secs = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    let mut rest = &s[10..];
    let mut nanos: i64 = 0;
    if let Some(r) = rest.strip_prefix(['T', ' ']) {
        let (hms_secs, frac, r2) = parse_clock(r)?;
        secs += hms_secs;
        nanos = frac;
        rest = r2;
    }
    secs -= parse_offset(rest.trim_start())?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn two_digits(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit())
        .then(|| i64::from((b[0] - b'0') * 10 + (b[1] - b'0')))
}

/// `HH:MM[:SS[.f]]` → (seconds of day, nanoseconds, remaining text).
fn parse_clock(s: &str) -> Option<(i64, i64, &str)> {
    let h = two_digits(s)?;
    let m = two_digits(s.strip_prefix(s.get(..2)?)?.strip_prefix(':')?)?;
    let mut rest = &s[5..];
    let mut sec = 0;
    let mut nanos = 0;
    if let Some(r) = rest.strip_prefix(':') {
        sec = two_digits(r)?;
        rest = &r[2..];
        if let Some(f) = rest.strip_prefix('.') {
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            let digits = &f[..n];
            let mut v: i64 = 0;
            for (i, d) in digits.bytes().enumerate().take(9) {
                v += i64::from(d - b'0') * 10i64.pow(8 - i as u32);
            }
            nanos = v;
            rest = &f[n..];
        }
    }
    (h < 24 && m < 60 && sec < 60).then_some((h * 3600 + m * 60 + sec, nanos, rest))
}

/// `""`, `Z`, `UTC`, `±HH`, `±HHMM`, `±HH:MM` → offset east of UTC in seconds.
fn parse_offset(s: &str) -> Option<i64> {
    match s {
        "" | "Z" | "z" | "UTC" => return Some(0),
        _ => {}
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let h = two_digits(body)?;
    let mins = match &body[2..] {
        "" => 0,
        r => two_digits(r.strip_prefix(':').unwrap_or(r)).filter(|_| r.trim_start_matches(':').len() == 2)?,
    };
    Some(sign * (h * 3600 + mins * 60))
}

struct Columns {
    mmsi: usize,
    timestamp: usize,
    lat: usize,
    lon: usize,
    sog: usize,
    raw_sog: Option<usize>,
    cog: Option<usize>,
    heading: Option<usize>,
    nav_status: Option<usize>,
    ship_kind_code: Option<usize>,
}

fn columns(header: &[String]) -> Result<Columns, InputError> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let required = ["mmsi", "timestamp", "lat", "lon", "sog"];
    let missing: Vec<&str> = required.iter().copied().filter(|c| find(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(InputError::MissingColumns(missing.join(", ")));
    }
    let req = |name: &str| find(name).ok_or_else(|| InputError::MissingColumns(name.into()));
    Ok(Columns {
        mmsi: req("mmsi")?,
        timestamp: req("timestamp")?,
        lat: req("lat")?,
        lon: req("lon")?,
        sog: req("sog")?,
        raw_sog: find("raw_sog"),
        cog: find("cog"),
        heading: find("heading"),
        nav_status: find("nav_status"),
        ship_kind_code: find("ship_kind_code"),
    })
}

fn number(fields: &[String], col: usize, name: &str, line: usize) -> Result<f64, InputError> {
    let cell = fields.get(col).map(String::as_str).unwrap_or("");
    if is_na(cell) {
        return Ok(f64::NAN);
    }
    cell.trim().parse().map_err(|_| InputError::BadCell {
        line,
        column: name.into(),
        message: format!("not a number: '{cell}'"),
    })
}

fn opt_number(fields: &[String], col: Option<usize>, name: &str, line: usize, absent: f64) -> Result<f64, InputError> {
    col.map_or(Ok(absent), |c| number(fields, c, name, line))
}

fn text(fields: &[String], col: Option<usize>) -> String {
    match col.and_then(|c| fields.get(c)) {
        Some(cell) if !is_na(cell) => cell.clone(),
        _ => String::new(),
    }
}

/// Reads the oracle's positions CSV. Rows whose MMSI is a pandas NA value are dropped
/// (pandas' `groupby` drops NaN keys). Empty timestamps are rejected.
pub fn parse_oracle_csv(csv_text: &str) -> Result<Vec<OraclePoint>, InputError> {
    let mut rows = records(csv_text).into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(InputError::Invalid("empty CSV".into()));
    };
    let c = columns(&header)?;
    let mut out = Vec::new();
    for (line, f) in rows {
        let mmsi_cell = f.get(c.mmsi).map(String::as_str).unwrap_or("");
        if is_na(mmsi_cell) {
            continue;
        }
        let ts_cell = f.get(c.timestamp).map(String::as_str).unwrap_or("");
        let time_ns = parse_timestamp_ns(ts_cell).ok_or_else(|| InputError::BadCell {
            line,
            column: "timestamp".into(),
            message: format!("unsupported timestamp '{ts_cell}'"),
        })?;
        out.push(OraclePoint {
            mmsi: mmsi_cell.trim().to_string(),
            time_ns,
            lat: number(&f, c.lat, "lat", line)?,
            lon: number(&f, c.lon, "lon", line)?,
            sog: number(&f, c.sog, "sog", line)?,
            raw_sog: opt_number(&f, c.raw_sog, "raw_sog", line, 0.0)?,
            cog: opt_number(&f, c.cog, "cog", line, f64::NAN)?,
            heading: opt_number(&f, c.heading, "heading", line, f64::NAN)?,
            nav_status: text(&f, c.nav_status),
            ship_kind_code: text(&f, c.ship_kind_code),
        });
    }
    Ok(out)
}

/// Python's `int(x or 0)` over a JSON value.
fn py_int(v: &Value, path: &str) -> Result<i64, InputError> {
    match v {
        Value::Null | Value::Bool(false) => Ok(0),
        Value::Bool(true) => Ok(1),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64))
            .ok_or_else(|| InputError::Invalid(format!("{path}: not an integer"))),
        Value::String(s) if s.is_empty() => Ok(0),
        Value::String(s) => s.trim().parse().map_err(|_| InputError::Invalid(format!("{path}: not an integer: '{s}'"))),
        _ => Err(InputError::Invalid(format!("{path}: not an integer"))),
    }
}

/// The oracle's `--history` object: `{mmsi: {"count_7d": n, "count_24h": m}}`, keys
/// trimmed, missing counts 0.
pub fn parse_history(v: &Value) -> Result<BTreeMap<String, DarkHistory>, InputError> {
    let map = match v {
        Value::Null => return Ok(BTreeMap::new()),
        Value::Object(m) => m,
        _ => return Err(InputError::Invalid("--history must be a JSON object mapping mmsi -> counts".into())),
    };
    let mut out = BTreeMap::new();
    for (k, entry) in map {
        let mut h = DarkHistory::default();
        match entry {
            Value::Null => {}
            Value::Object(m) => {
                if let Some(x) = m.get("count_7d") {
                    h.count_7d = py_int(x, &format!("{k}.count_7d"))?;
                }
                if let Some(x) = m.get("count_24h") {
                    h.count_24h = py_int(x, &format!("{k}.count_24h"))?;
                }
            }
            _ => return Err(InputError::Invalid(format!("{k}: expected an object of counts"))),
        }
        out.insert(k.trim().to_string(), h);
    }
    Ok(out)
}

/// Arguments of one oracle run besides the positions.
pub struct OracleRun<'a> {
    pub permitted: &'a BTreeSet<String>,
    pub history: &'a BTreeMap<String, DarkHistory>,
    pub now_kst_hour: i64,
    pub params: &'a DarkParams,
}

fn opt_num(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// Scores every MMSI of `points` and returns the oracle's output: one line per MMSI,
/// sorted by MMSI as a string, each ending in `\n`.
pub fn score_oracle(points: &[OraclePoint], run: &OracleRun<'_>) -> String {
    let mut groups: BTreeMap<&str, Vec<&OraclePoint>> = BTreeMap::new();
    for p in points {
        groups.entry(p.mmsi.as_str()).or_default().push(p);
    }
    let mut out = String::with_capacity(groups.len() * 420);
    for (mmsi, mut pts) in groups {
        if !is_time_sorted(&pts) {
            pts.sort_by_key(|p| p.time_ns);
        }
        let p = run.params;
        let info = analyze_sorted(&pts, &p.gap_thresholds, p.teleport_speed_kn);
        let start = info.start_index.and_then(|i| pts.get(i).copied());
        let inputs = ScoreInputs {
            permitted: run.permitted.contains(mmsi),
            history: run.history.get(mmsi).copied().unwrap_or_default(),
            local_hour: run.now_kst_hour,
            zones: None,
            ship_class: start.map_or(ShipClass::Other, |s| ShipClass::from_code_exact(&s.ship_kind_code)),
            nav_status: start.map_or("", |s| s.nav_status.as_str()),
            heading: start.and_then(|s| opt_num(s.heading)),
            last_cog: start.and_then(|s| opt_num(s.cog)),
            reception_outage: false,
            unobserved: false,
        };
        let score = compute_dark_suspicion(&info, &inputs, p);
        write_line(&mut out, mmsi, &info, &score);
    }
    out
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_float(out: &mut String, x: f64) {
    if x.is_finite() {
        write_py_repr(out, x);
    } else {
        out.push_str("null");
    }
}

fn push_opt(out: &mut String, x: Option<f64>) {
    match x {
        Some(v) => push_float(out, v),
        None => out.push_str("null"),
    }
}

fn push_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// One output line exactly as `json.dumps(..., ensure_ascii=False)` writes it.
pub fn write_line(out: &mut String, mmsi: &str, g: &GapInfo, s: &DarkScore) {
    use std::fmt::Write;
    out.push_str("{\"mmsi\": ");
    push_json_str(out, mmsi);
    out.push_str(", \"gap_info\": {\"is_dark\": ");
    push_bool(out, g.is_dark);
    let _ = write!(out, ", \"gap_min\": {}", g.gap_min);
    out.push_str(", \"gap_start_lat\": ");
    push_opt(out, g.gap_start_lat);
    out.push_str(", \"gap_start_lon\": ");
    push_opt(out, g.gap_start_lon);
    out.push_str(", \"gap_start_sog\": ");
    push_float(out, g.gap_start_sog);
    let _ = write!(out, ", \"gap_start_state\": \"{}\"", g.gap_start_state.as_str());
    out.push_str(", \"gap_end_lat\": ");
    push_opt(out, g.gap_end_lat);
    out.push_str(", \"gap_end_lon\": ");
    push_opt(out, g.gap_end_lon);
    out.push_str(", \"gap_distance_nm\": ");
    push_float(out, g.gap_distance_nm);
    out.push_str(", \"gap_resumed\": ");
    push_bool(out, g.gap_resumed);
    out.push_str(", \"pre_gap_turn_or_teleport\": ");
    push_bool(out, g.pre_gap_turn_or_teleport);
    out.push_str(", \"avg_sog_before\": ");
    push_float(out, g.avg_sog_before);
    let _ = write!(out, "}}, \"score\": {}, \"patterns\": [", s.score);
    for (i, p) in s.patterns.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(out, p.id());
    }
    let _ = writeln!(out, "], \"tier\": \"{}\"}}", s.tier.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let base = parse_timestamp_ns("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(base, 1_704_067_200 * 1_000_000_000);
        assert_eq!(parse_timestamp_ns("2024-01-01 00:00:00"), Some(base));
        assert_eq!(parse_timestamp_ns("2024-01-01T09:00:00+09:00"), Some(base));
        assert_eq!(parse_timestamp_ns("2024-01-01T09:00:00+0900"), Some(base));
        assert_eq!(parse_timestamp_ns("2024-01-01T00:00:00.5Z"), Some(base + 500_000_000));
        assert_eq!(parse_timestamp_ns("2024-01-01"), Some(base));
        assert_eq!(parse_timestamp_ns("2024-01-01T00:00"), Some(base));
        assert_eq!(parse_timestamp_ns("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp_ns("nonsense"), None);
    }

    #[test]
    fn json_strings_like_python() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\n\u{1}한");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001한\"");
    }
}
