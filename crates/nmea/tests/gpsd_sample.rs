//! gpsd's `test/sample.aivdm`: every decoded message is compared with every expected
//! value its comment block gives.
//!
//! Comment formats differ between contributors; keys are normalised (lower case,
//! letters and digits only). Units: `SOG`/`COG` are knots/degrees, while the
//! Maritec-style `Speed Over Ground`/`Course Over Ground` print raw tenths.
//!
//! Expectations we deliberately do not meet (listed in `KNOWN_DIFFERENCES`):
//! * the type 24 part B block says `partnum: 0`; the payload's part bits are 1
//!   (it is the B half, carrying ship type, vendor id and call sign, which do match);
//! * the first type 5 block says `ETAhour: 16`; bits 283-287 hold 14 (month 5 and
//!   day 15 right before them and minute 0 after them match, so the field boundaries
//!   are right; gpsd's own daemon oracle agrees with our ETA decoding on 150 type 5s).
//!
//! Only the first occurrence of a key in a block counts: the type 15 block repeats
//! `Message type` for the second interrogation.

mod common;

use std::collections::BTreeMap;

use lookout_model::RejectReason;
use lookout_nmea::{AisMessage, Decoded};

/// (line of the sentence, normalised key): expectation in the file we do not meet.
const KNOWN_DIFFERENCES: &[(u64, &str)] = &[(125, "etahour"), (910, "partnum")];

fn norm_key(k: &str) -> String {
    k.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn int(v: &str) -> Option<i64> {
    v.trim().trim_end_matches('|').parse().ok()
}

fn float(v: &str) -> Option<f64> {
    v.trim().parse().ok()
}

fn boolean(v: &str) -> Option<bool> {
    match v.trim() {
        "True" | "true" | "1" => Some(true),
        "False" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn close(got: Option<f64>, want: f64, tol: f64) -> bool {
    got.is_some_and(|g| (g - want).abs() <= tol)
}

fn epfd_code(v: &str) -> Option<i64> {
    match v.trim() {
        "GPS" => Some(1),
        other => int(other),
    }
}

/// `Some(true/false)`: compared; `None`: key not understood (ignored).
fn check(m: &AisMessage, key: &str, v: &str) -> Option<bool> {
    let opt_int = |o: Option<i64>, sentinel: i64| -> Option<bool> {
        let w = int(v)?;
        Some(if w == sentinel { o.is_none() } else { o == Some(w) })
    };
    let utc = |f: fn(&chrono::DateTime<chrono::Utc>) -> i64| m.utc.as_ref().map(f);
    use chrono::{Datelike, Timelike};
    Some(match key {
        "messageid" | "messagetype" => int(v)? == i64::from(m.msg_type),
        "repeatindicator" => int(v)? == i64::from(m.repeat),
        "userid" | "mmsi" => int(v)? == i64::from(m.mmsi),
        "navigationstatus" => int(v)? == m.nav_status.map_or(-1, i64::from),
        "rot" => opt_int(m.rot.map(i64::from), -128)?,
        "sog" => {
            let w = float(v)?;
            if w == 102.3 {
                m.sog.is_none()
            } else {
                close(m.sog, w, 0.051)
            }
        }
        "speedoverground" => close(m.sog.map(|s| s * 10.0), float(v)?, 0.51),
        "cog" => close(m.cog, float(v)?, 0.051),
        "courseoverground" => close(m.cog.map(|c| c * 10.0), float(v)?, 0.51),
        "positionaccuracy" => boolean(v)? == m.accuracy?,
        "longitude" | "positionlongitude" => close(m.lon, float(v)?, 1e-5),
        "latitude" | "positionlatitude" => close(m.lat, float(v)?, 1e-5),
        "trueheading" => opt_int(m.heading.map(i64::from), 511)?,
        "timestamp" | "utcsecond" => opt_int(m.second.map(i64::from), 60)?,
        "raim" | "raimflag" => boolean(v)? == m.raim?,
        "timeyear" => utc(|t| i64::from(t.year()))? == int(v)?,
        "timemonth" => utc(|t| i64::from(t.month()))? == int(v)?,
        "timeday" => utc(|t| i64::from(t.day()))? == int(v)?,
        "timehour" => utc(|t| i64::from(t.hour()))? == int(v)?,
        "timemin" => utc(|t| i64::from(t.minute()))? == int(v)?,
        "timesec" => utc(|t| i64::from(t.second()))? == int(v)?,
        "fixtype" | "typeofepfd" => epfd_code(v)? == m.epfd.map_or(-1, i64::from),
        "aisversion" => int(v)? == m.ais_version.map_or(-1, i64::from),
        "imonumber" => opt_int(m.imo.map(i64::from), 0)?,
        "callsign" => m.call_sign.as_deref() == Some(v.trim()),
        "name" => m.name.as_deref() == Some(v.trim()),
        "destination" => m.destination.as_deref() == Some(v.trim()),
        "vendorid" => m.vendor_id.as_deref() == Some(v.trim()),
        "shipandcargo" => opt_int(m.ship_type.map(i64::from), 0)?,
        "dima" | "dimensiontobow" => int(v)? == m.dim_to_bow.map_or(-1, i64::from),
        "dimb" | "dimensiontostern" => int(v)? == m.dim_to_stern.map_or(-1, i64::from),
        "dimc" | "dimensiontoport" => int(v)? == m.dim_to_port.map_or(-1, i64::from),
        "dimd" | "dimensiontostarboard" => int(v)? == m.dim_to_starboard.map_or(-1, i64::from),
        "etamonth" => opt_int(m.eta_month.map(i64::from), 0)?,
        "etaday" => opt_int(m.eta_day.map(i64::from), 0)?,
        "etahour" => opt_int(m.eta_hour.map(i64::from), 24)?,
        "etaminute" => opt_int(m.eta_minute.map(i64::from), 60)?,
        "draught" => close(m.draught, float(v)?, 0.051),
        "dte" => boolean(v)? == m.dte?,
        "partnum" => int(v)? == m.part_number.map_or(-1, i64::from),
        "aidtype" => int(v)? == m.aid_type.map_or(-1, i64::from),
        "destinationmmsi" | "firstinterrogatedmmsi" => int(v)? == m.dest_mmsi.map_or(-1, i64::from),
        "offpositionindicator" => boolean(v)? == m.off_position?,
        "virtualaidflag" => boolean(v)? == m.virtual_aid?,
        "assignedmodeflag" => boolean(v)? == m.assigned?,
        "csunit" => boolean(v)? == m.cs_unit?,
        _ => return None,
    })
}

/// `key: value` lines of the comment block right after `line` (1-based), up to a bare `#`.
fn expectations(lines: &[&str], line: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for l in lines.iter().skip(line as usize) {
        let Some(c) = l.strip_prefix('#') else { break };
        let c = c.trim();
        if c.is_empty() {
            break;
        }
        if let Some((k, v)) = c.split_once(':') {
            let k = norm_key(k);
            if out.iter().all(|(seen, _)| *seen != k) {
                out.push((k, v.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn every_expected_field_matches() {
    let bytes = common::read("gpsd_sample.aivdm");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lines: Vec<&str> = text.split('\n').collect();
    let outcomes = common::decode_all(&bytes);
    let decoded: Vec<&Decoded> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();

    let mut compared = 0;
    let mut fields: BTreeMap<String, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for d in &decoded {
        for (key, want) in expectations(&lines, d.line) {
            let Some(ok) = check(&d.message, &key, &want) else { continue };
            compared += 1;
            *fields.entry(key.clone()).or_default() += 1;
            if !ok && !KNOWN_DIFFERENCES.contains(&(d.line, key.as_str())) {
                mismatches.push(format!("line {}: {key}: want {want:?}, got {:?}", d.line, d.message));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    // Guard against silently comparing nothing.
    assert!(compared >= 180, "only {compared} fields compared: {fields:?}");
    for key in [
        "mmsi",
        "userid",
        "sog",
        "longitude",
        "latitude",
        "cog",
        "trueheading",
        "name",
        "callsign",
        "imonumber",
        "shipandcargo",
        "destination",
        "timeyear",
    ] {
        assert!(fields.contains_key(key), "no comparison of {key}: {fields:?}");
    }
}

#[test]
fn outcome_per_sentence() {
    let outcomes = common::decode_all(&common::read("gpsd_sample.aivdm"));
    let mut by_type: BTreeMap<u8, usize> = BTreeMap::new();
    let mut rejects: BTreeMap<RejectReason, usize> = BTreeMap::new();
    for o in &outcomes {
        match o {
            Ok(d) => *by_type.entry(d.message.msg_type).or_default() += 1,
            Err(r) => *rejects.entry(r.reason).or_default() += 1,
        }
    }
    // Every message of a decoded type in the corpus decodes.
    let want_types: BTreeMap<u8, usize> =
        [(1, 4), (2, 1), (3, 1), (4, 4), (5, 3), (15, 3), (18, 3), (19, 1), (20, 5), (21, 2), (24, 7), (27, 2)].into();
    assert_eq!(by_type, want_types, "rejects: {rejects:?}");
    // The only rejects: unsupported types, and nothing else is broken in this file.
    assert_eq!(
        rejects.keys().copied().collect::<Vec<_>>(),
        vec![RejectReason::MalformedSentence, RejectReason::UnsupportedType]
    );
    let malformed: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .filter(|r| r.reason == RejectReason::MalformedSentence)
        .collect();
    // `AIVDM,2,2,...` without its `!` in the "invalid packet" section.
    assert_eq!(malformed.len(), 1, "{malformed:?}");
    assert!(outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .filter(|r| r.reason == RejectReason::UnsupportedType)
        .all(|r| r.detail.starts_with("AIS message type ")));
}

#[test]
fn type4_utc_and_not_available_values() {
    let outcomes = common::decode_all(&common::read("gpsd_sample.aivdm"));
    let t4: Vec<&AisMessage> =
        outcomes.iter().filter_map(|o| o.as_ref().ok()).map(|d| &d.message).filter(|m| m.msg_type == 4).collect();
    assert_eq!(t4[0].utc.map(|t| t.to_rfc3339()), Some("2007-05-14T19:57:39+00:00".to_string()));
    // "Type 4 with date/time set to N/A" and "HHmmSS N/A".
    assert!(t4[2].utc.is_none() && t4[3].utc.is_none(), "{:?}", &t4[2..]);
}
