//! The `spoofing` detector: identity and position anomalies of one vessel id.
//!
//! | code | pattern | points | when |
//! |---|---|---|---|
//! | M1 | `unallocated_mid` | +40 | the MMSI's MID is not in the ITU table (`data/mid.csv`) or the MMSI has no valid form |
//! | M2 | `placeholder_mmsi` | +20 | a MID followed by only zeros (`416000000`), one digit repeated, or `123456789` |
//! | M3 | `teleport` | +30 | consecutive positions imply more than `teleport_speed_kn` over at least `teleport_min_nm` |
//! | M4 | `two_places_at_once` | +40 | two chains of segments active at the same time at least `two_places_min_nm` apart |
//! | M5 | `identity_mismatch` | +20 | the AIS name differs from the registry's name for the MMSI |
//! | M6 | `identity_change` | +15 name, +15 call sign, +30 IMO | a field changed under the id (history from the store; see [`crate::identity`]) |
//! | M7 | `identity_flip_flop` | +40 | an earlier identity came back within `identity.flip_flop_hours` (two transmitters) |
//!
//! Score = the sum, clamped to 100; level CRITICAL >= 70, HIGH >= 50, MEDIUM >= 30,
//! else LOW. Opaque ids (not nine digits: anonymised extracts) skip M1 and M2; their
//! format was checked at ingest (`invalid_mmsi` rejects) for sources with real MMSIs.
//!
//! M6/M7 read the identity history the engine loaded (`CycleInput::identities`); a
//! change is reported by the cycle whose window holds the new value's first sighting.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lookout_model::{Finding, Track, VesselId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::level::scored;
use crate::algorithm::{merge_strict, About, CycleInput, ListRule, DetectError, Detector, EntityType, Text, Upstream};
use crate::algorithm_segments::{chains_of, item, position_json};
use crate::error::ParamsError;
use crate::geo::haversine_nm;
use crate::identity::IdentityParams;
use crate::segment::{hours_between, SegmentParams};

/// Thresholds and weights of the `spoofing` detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoofingParams {
    /// Implied speed above which a hop is a teleport, knots (the dark model's P6 uses 50).
    pub teleport_speed_kn: f64,
    /// Shorter hops are position noise, not teleports, nm.
    pub teleport_min_nm: f64,
    /// Chains active at the same time closer than this are not reported, nm. Chains
    /// exist only where the segmenter kept them apart (further than
    /// `segment.parallel_nm`), so the default equals that.
    pub two_places_min_nm: f64,
    /// How positions are segmented into chains (M4).
    pub segment: SegmentParams,
    pub weights: SpoofingWeights,
    /// Identity changes over time (M6, M7), with their own points. Defaulted so that
    /// params stored before identity history existed still parse.
    #[serde(default)]
    pub identity: IdentityParams,
}

/// Points per pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoofingWeights {
    pub unallocated_mid: i64,
    pub placeholder_mmsi: i64,
    pub teleport: i64,
    pub two_places_at_once: i64,
    pub identity_mismatch: i64,
}

impl Default for SpoofingParams {
    fn default() -> Self {
        SpoofingParams {
            teleport_speed_kn: 50.0,
            teleport_min_nm: 1.0,
            two_places_min_nm: 30.0,
            segment: SegmentParams::default(),
            weights: SpoofingWeights {
                unallocated_mid: 40,
                placeholder_mmsi: 20,
                teleport: 30,
                two_places_at_once: 40,
                identity_mismatch: 20,
            },
            identity: IdentityParams::default(),
        }
    }
}

fn parse(params: &Value) -> Result<SpoofingParams, ParamsError> {
    let p: SpoofingParams = crate::algorithm::parse_params(params)?;
    p.segment.validate().map_err(|e| ParamsError::at(&format!("segment.{}", e.path), e.message))?;
    if !(p.teleport_speed_kn.is_finite() && p.teleport_speed_kn > 0.0) {
        return Err(ParamsError::at("teleport_speed_kn", "expected a positive number"));
    }
    p.identity.validate()?;
    Ok(p)
}

/// One allocated MID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MidEntry {
    pub country: String,
    pub iso: String,
}

/// The ITU MID table shipped in `data/mid.csv`, parsed once.
pub fn mid_table() -> &'static BTreeMap<u16, MidEntry> {
    static TABLE: OnceLock<BTreeMap<u16, MidEntry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/mid.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let mid = f.next()?.trim().parse().ok()?;
                let country = f.next()?.trim().to_string();
                let iso = f.next()?.trim().to_string();
                Some((mid, MidEntry { country, iso }))
            })
            .collect()
    })
}

/// What an MMSI's digits say (ITU-R M.585): the MID it carries, if its form has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmsiKind {
    /// A ship station: MID then six digits.
    Ship(u16),
    /// Group (0MID), coast station (00MID), SAR aircraft (111MID), craft of a parent
    /// ship (98MID), aid to navigation (99MID), handheld (8MID).
    Other(u16),
    /// SART / MOB / EPIRB (970, 972, 974): no MID.
    Device,
    /// No valid MMSI form.
    Invalid,
}

/// The kind and MID of a nine-digit MMSI.
pub fn mmsi_kind(mmsi: u32) -> MmsiKind {
    let s = format!("{mmsi:09}");
    let mid = |from: usize| s.get(from..from + 3).and_then(|m| m.parse::<u16>().ok());
    let b = s.as_bytes();
    match b[0] {
        b'2'..=b'7' => mid(0).map_or(MmsiKind::Invalid, MmsiKind::Ship),
        b'0' if b[1] == b'0' => mid(2).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'0' => mid(1).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'1' if s.starts_with("111") => mid(3).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'8' => mid(1).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'9' if s.starts_with("970") || s.starts_with("972") || s.starts_with("974") => MmsiKind::Device,
        b'9' if s.starts_with("98") || s.starts_with("99") => mid(2).map_or(MmsiKind::Invalid, MmsiKind::Other),
        _ => MmsiKind::Invalid,
    }
}

/// The MID's entry when the MMSI carries an allocated one.
pub fn flag_of(id: &VesselId) -> Option<&'static MidEntry> {
    match mmsi_kind(id.mmsi()?) {
        MmsiKind::Ship(m) | MmsiKind::Other(m) => mid_table().get(&m),
        _ => None,
    }
}

fn is_placeholder(mmsi: u32) -> bool {
    let s = format!("{mmsi:09}");
    let first = s.as_bytes()[0];
    s.bytes().all(|b| b == first) || s == "123456789" || (matches!(first, b'2'..=b'7') && &s[3..] == "000000")
}

/// Identity and position anomalies; params are the [`SpoofingParams`].
pub struct SpoofingDetector;

impl Detector for SpoofingDetector {
    fn about(&self) -> &'static About {
        const ABOUT: About = About {
            code: "spoofing",
            name: Text { ko: "위치 조작·MMSI 이상", en: "Spoofing and MMSI anomalies" },
            description: Text {
                ko: "순간이동, 미할당 MID, 자리표시 MMSI, 동시에 두 곳, 선명 불일치, 식별정보 변경",
                en: "Teleports, unallocated MIDs, placeholder MMSIs, one id in two places at once, name mismatches, identity changes over time",
            },
            entity: EntityType::Vessel,
        };
        &ABOUT
    }

    fn default_params(&self) -> Value {
        serde_json::to_value(SpoofingParams::default()).unwrap_or(Value::Null)
    }

    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError> {
        // A version stored before `identity` existed lacks the key: complete it from the
        // defaults first so an override of `identity` merges instead of being unknown.
        // Lists (the placeholders) are replaced whole; their items are checked by parsing.
        let base = merge_strict(&self.default_params(), base, ListRule::Replace)?;
        let merged = merge_strict(&base, over, ListRule::Replace)?;
        parse(&merged)?;
        Ok(merged)
    }

    fn run(&self, input: &CycleInput<'_>, params: &Value, _upstream: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
        let p = parse(params)?;
        let mut out = Vec::new();
        for track in input.tracks {
            if let Some(f) = spoofing_for_track(track, input, &p) {
                out.push(f);
            }
        }
        Ok(out)
    }
}

fn spoofing_for_track(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams) -> Option<Finding> {
    let (first, last) = (track.positions.first()?, track.positions.last()?);
    if last.timestamp <= input.window_start {
        return None;
    }
    let w = &p.weights;
    let mut breakdown = Vec::new();
    let mut evidence = serde_json::Map::new();
    // M1, M2: only for ids that are MMSIs.
    if let Some(mmsi) = track.vessel.mmsi() {
        let kind = mmsi_kind(mmsi);
        let mid = match kind {
            MmsiKind::Ship(m) | MmsiKind::Other(m) => Some(m),
            _ => None,
        };
        let entry = mid.and_then(|m| mid_table().get(&m));
        evidence.insert("mid".into(), json!(mid));
        evidence.insert("flag".into(), json!(entry.map(|e| json!({"country": e.country, "iso": e.iso}))));
        if kind == MmsiKind::Invalid || (mid.is_some() && entry.is_none()) {
            breakdown.push(item(
                "M1",
                "unallocated_mid",
                w.unallocated_mid,
                "미할당 MID",
                "Unallocated MID",
                format!("MMSI {mmsi:09}의 MID {}는 ITU 할당 목록에 없음", mid.map_or("-".into(), |m| m.to_string())),
                format!("MID {} of MMSI {mmsi:09} is not allocated by the ITU", mid.map_or("-".into(), |m| m.to_string())),
            ));
        }
        if is_placeholder(mmsi) {
            breakdown.push(item(
                "M2",
                "placeholder_mmsi",
                w.placeholder_mmsi,
                "기본값 MMSI",
                "Placeholder MMSI",
                format!("MMSI {mmsi:09}는 설정되지 않은 기본값 형태"),
                format!("MMSI {mmsi:09} looks like an unconfigured default"),
            ));
        }
    }
    // M3: teleports whose later end is inside the window.
    let mut teleports = Vec::new();
    for pair in track.positions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.timestamp <= input.window_start {
            continue;
        }
        let d = haversine_nm(a.lat, a.lon, b.lat, b.lon);
        let h = hours_between(a.timestamp, b.timestamp);
        // A same-instant hop has an infinite implied speed.
        let speed = if h > 0.0 { d / h } else { f64::INFINITY };
        if d >= p.teleport_min_nm && speed > p.teleport_speed_kn {
            teleports.push(json!({
                "from": position_json(a), "to": position_json(b),
                "distance_nm": (d * 100.0).round() / 100.0,
                "implied_speed_kn": if speed.is_finite() { json!((speed * 10.0).round() / 10.0) } else { Value::Null },
            }));
        }
    }
    if !teleports.is_empty() {
        breakdown.push(item(
            "M3",
            "teleport",
            w.teleport,
            "순간이동",
            "Teleport",
            format!("{}회 {} kn 초과 이동", teleports.len(), p.teleport_speed_kn),
            format!("{} hop(s) faster than {} kn", teleports.len(), p.teleport_speed_kn),
        ));
        teleports.truncate(20);
        evidence.insert("teleports".into(), Value::Array(teleports));
    }
    // M4: two chains active at the same time, far apart.
    let chains = chains_of(track, &p.segment);
    let mut overlaps = Vec::new();
    for (i, a) in chains.iter().enumerate() {
        for b in chains.iter().skip(i + 1) {
            let (Some(a0), Some(a1), Some(b0), Some(b1)) =
                (a.positions.first(), a.positions.last(), b.positions.first(), b.positions.last())
            else {
                continue;
            };
            if a1.timestamp < b0.timestamp || b1.timestamp < a0.timestamp || a1.timestamp.max(b1.timestamp) <= input.window_start {
                continue;
            }
            // The closest-in-time pair of positions of the two chains tells how far apart
            // they were at once.
            let Some((pa, pb)) = a
                .positions
                .iter()
                .filter_map(|pa| {
                    let k = b.positions.partition_point(|q| q.timestamp < pa.timestamp);
                    [k.checked_sub(1), Some(k)]
                        .into_iter()
                        .flatten()
                        .filter_map(|k| b.positions.get(k))
                        .min_by_key(|q| (q.timestamp - pa.timestamp).num_seconds().abs())
                        .map(|q| (*pa, *q))
                })
                .min_by_key(|(pa, q)| (q.timestamp - pa.timestamp).num_seconds().abs())
            else {
                continue;
            };
            let d = haversine_nm(pa.lat, pa.lon, pb.lat, pb.lon);
            if d >= p.two_places_min_nm {
                overlaps.push(json!({
                    "a": position_json(pa), "b": position_json(pb),
                    "distance_nm": (d * 100.0).round() / 100.0,
                    "segments_a": a.segment_ids, "segments_b": b.segment_ids,
                }));
            }
        }
    }
    if !overlaps.is_empty() {
        breakdown.push(item(
            "M4",
            "two_places_at_once",
            w.two_places_at_once,
            "동시에 두 곳",
            "Two places at once",
            format!("같은 식별번호가 같은 시간대에 {}개 궤적 쌍으로 떨어져 보고됨", overlaps.len()),
            format!("the id reported from {} pair(s) of distant tracks at the same time", overlaps.len()),
        ));
        overlaps.truncate(20);
        evidence.insert("simultaneous".into(), Value::Array(overlaps));
    }
    // M5: AIS name against the registry's.
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
    let reg_name = input.registry.and_then(|r| r.entries.get(track.vessel.as_str())).and_then(|e| e.name.clone());
    if let (Some(ais), Some(reg)) = (track.static_data.name.as_deref(), reg_name.as_deref()) {
        if !ais.trim().is_empty() && norm(ais) != norm(reg) {
            breakdown.push(item(
                "M5",
                "identity_mismatch",
                w.identity_mismatch,
                "선명 불일치",
                "Identity mismatch",
                format!("AIS 선명 '{ais}'이(가) 등록 선명 '{reg}'와 다름"),
                format!("AIS name '{ais}' differs from the registered name '{reg}'"),
            ));
            evidence.insert("names".into(), json!({"ais": ais, "registry": reg}));
        }
    }
    // M6, M7: identity changes over time.
    let changes = crate::identity::changes(
        input.identities.of(track.vessel.as_str()),
        input.window_start,
        input.window_end,
        &p.identity,
    );
    let (items, list) = crate::identity::breakdown(&changes, &p.identity);
    if !items.is_empty() {
        breakdown.extend(items);
        evidence.insert("identity_changes".into(), list);
    }
    if breakdown.is_empty() {
        return None;
    }
    // `from`/`to` give the finding a line on maps: the first teleport or simultaneous
    // pair, else the track's first and last positions.
    let pair = ["teleports", "simultaneous"].iter().find_map(|k| {
        let e = evidence.get(*k)?.get(0)?;
        Some((e.get("from").or_else(|| e.get("a"))?.clone(), e.get("to").or_else(|| e.get("b"))?.clone()))
    });
    let (from, to) = pair.unwrap_or_else(|| (position_json(first), position_json(last)));
    evidence.insert("from".into(), from);
    evidence.insert("to".into(), to);
    let (score, lvl, severity) = scored(&breakdown);
    Some(Finding {
        detector: "spoofing".into(),
        vessel: track.vessel.clone(),
        start: first.timestamp.max(input.window_start),
        end: last.timestamp,
        score: Some(score),
        level: lvl.into(),
        severity,
        breakdown,
        evidence: Value::Object(evidence),
        rule: None,
        model_version: None,
        params_hash: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_table_has_the_allocations_we_rely_on() {
        let t = mid_table();
        assert!(t.len() > 280);
        assert_eq!(t.get(&440).map(|e| e.iso.as_str()), Some("KR"));
        assert_eq!(t.get(&412).map(|e| e.iso.as_str()), Some("CN"));
        assert_eq!(t.get(&316).map(|e| e.iso.as_str()), Some("CA"));
        assert_eq!(t.get(&338).map(|e| e.iso.as_str()), Some("US"));
        assert!(t.get(&200).is_none() && t.get(&217).is_none() && t.get(&780).is_none());
    }

    #[test]
    fn mmsi_kinds() {
        assert_eq!(mmsi_kind(440_123_456), MmsiKind::Ship(440));
        assert_eq!(mmsi_kind(4_400_123), MmsiKind::Other(440)); // 004400123: coast station
        assert_eq!(mmsi_kind(44_012_345), MmsiKind::Other(440)); // 044012345: group
        assert_eq!(mmsi_kind(111_440_123), MmsiKind::Other(440));
        assert_eq!(mmsi_kind(992_351_000), MmsiKind::Other(235));
        assert_eq!(mmsi_kind(970_123_456), MmsiKind::Device);
        assert_eq!(mmsi_kind(123_456_789), MmsiKind::Invalid);
        assert_eq!(mmsi_kind(912_345_678), MmsiKind::Invalid);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(416_000_000));
        assert!(is_placeholder(111_111_111));
        assert!(is_placeholder(123_456_789));
        assert!(!is_placeholder(416_000_001));
        assert!(!is_placeholder(1_000_000)); // 001000000: coast station form, not a ship MID
    }
}
