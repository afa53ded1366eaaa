//! The `spoofing` detector: identity and position anomalies of one vessel id.
//!
//! | code | pattern | points | when |
//! |---|---|---|---|
//! | M1 | `unallocated_mid` | +40 | the MMSI's MID is not in the ITU table (`data/mid.csv`) or the MMSI has no valid form |
//! | M2 | `placeholder_mmsi` | +20 | a MID followed by only zeros (`416000000`), one digit repeated, or `123456789` |
//! | M3 | `teleport` | +30 | consecutive positions imply more than `teleport_speed_kn` over at least `teleport_min_nm` |
//! | M4 | `two_places_at_once` | +40 | two positions at most `two_places_within_min` apart in time, at least `two_places_min_nm` apart in space, faster than `teleport_speed_kn` between them, neither alone in its segment; every such pair, grouped into episodes by day |
//! | M5 | `identity_mismatch` | +20 | the AIS name differs from the registry's name for the MMSI |
//! | M6 | `identity_change` | +15 name, +15 call sign, +30 IMO | a field changed under the id (history from the store; see [`crate::identity::changes`]) |
//! | M7 | `identity_flip_flop` | +40 | an earlier identity came back in the sequence of sightings (A, B, A) after at most `identity.flip_flop_hours` away (two transmitters) |
//!
//! Score = the sum, clamped to 100; level CRITICAL >= 70, HIGH >= 50, MEDIUM >= 30,
//! else LOW. Opaque ids (not nine digits: anonymised extracts) skip M1 and M2; their
//! format was checked at ingest (`invalid_mmsi` rejects) for sources with real MMSIs.
//!
//! M6/M7 read the identity runs the engine loaded (`CycleInput::identities`); a change
//! is reported by the cycle whose window holds the new value's first sighting, and
//! corrupted receptions are noted in the evidence (`identity_corrupted_receptions`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lookout_model::{BreakdownItem, Finding, Position, Track};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::error::ParamsError;
use crate::finding::{item, position_json};
use crate::geo::haversine_nm;
use crate::identity::changes::{analyse, breakdown as identity_breakdown, corrupted_json, IdentityParams};
use crate::identity::mid::{is_placeholder, mid_table, mmsi_kind, MmsiKind};
use crate::identity::segment::{hours_between, segmented_in, SegmentParams};
use crate::input::{CycleInput, Upstream};
use crate::level::scored;
use crate::params::{check_points, first_failure, merge_strict, non_negative, positive, ListRule, Params};

/// Thresholds and weights of the `spoofing` detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoofingParams {
    /// Implied speed above which a hop is a teleport, knots (the dark model's P6 uses 50).
    pub teleport_speed_kn: f64,
    /// Shorter hops are position noise, not teleports, nm.
    pub teleport_min_nm: f64,
    /// Positions at once closer than this are not reported, nm. The segmenter folds
    /// parallel trails closer than `segment.parallel_nm` into one ship seen through two
    /// feeds, so the default equals that.
    pub two_places_min_nm: f64,
    /// Two positions at most this many minutes apart are "at once" (M4). Ten minutes:
    /// any transmitter that is received at all reports within it (class B sends every
    /// 3 minutes at its slowest, class A more often), and at the default distance and
    /// speed limits a pair closer in time than 36 minutes is impossible anyway.
    #[serde(default = "default_within_min")]
    pub two_places_within_min: f64,
    /// How positions are segmented (M4: a position alone in its segment is an isolated
    /// outlier, noise, never one of two places).
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
    /// M8: a second transmitter trailing the first on the id. Defaulted so that params
    /// stored before it existed still parse.
    #[serde(default = "default_second_transmitter")]
    pub second_transmitter: i64,
}

fn default_second_transmitter() -> i64 {
    30
}

fn default_within_min() -> f64 {
    10.0
}

impl Default for SpoofingParams {
    fn default() -> Self {
        SpoofingParams {
            teleport_speed_kn: 50.0,
            teleport_min_nm: 1.0,
            two_places_min_nm: 30.0,
            two_places_within_min: default_within_min(),
            segment: SegmentParams::default(),
            weights: SpoofingWeights {
                unallocated_mid: 40,
                placeholder_mmsi: 20,
                teleport: 30,
                two_places_at_once: 40,
                identity_mismatch: 20,
                second_transmitter: default_second_transmitter(),
            },
            identity: IdentityParams::default(),
        }
    }
}

impl Params for SpoofingParams {
    /// Lists (the identity placeholders) are replaced whole; their items are checked by
    /// parsing.
    const LISTS: ListRule = ListRule::Replace;

    fn validate(&self) -> Result<(), ParamsError> {
        self.segment.validate().map_err(|e| ParamsError::at(&format!("segment.{}", e.path), e.message))?;
        if !(self.teleport_speed_kn.is_finite() && self.teleport_speed_kn > 0.0) {
            return Err(ParamsError::at("teleport_speed_kn", "expected a positive number"));
        }
        first_failure(&[
            ("teleport_min_nm", non_negative(self.teleport_min_nm), "expected a number >= 0"),
            ("two_places_min_nm", positive(self.two_places_min_nm), "expected a positive number"),
            (
                "two_places_within_min",
                positive(self.two_places_within_min) && self.two_places_within_min <= 1440.0,
                "expected a number of minutes above 0, at most 1440",
            ),
        ])?;
        let w = &self.weights;
        check_points(&[
            ("weights.unallocated_mid", w.unallocated_mid),
            ("weights.placeholder_mmsi", w.placeholder_mmsi),
            ("weights.teleport", w.teleport),
            ("weights.two_places_at_once", w.two_places_at_once),
            ("weights.identity_mismatch", w.identity_mismatch),
        ])?;
        self.identity.validate()
    }

    fn merge(base: &Value, over: &Value) -> Result<Value, ParamsError> {
        // A version stored before `identity` existed lacks the key: complete it from the
        // defaults first so an override of `identity` merges instead of being unknown.
        let base = merge_strict(&Self::defaults(), base, Self::LISTS)?;
        let merged = merge_strict(&base, over, Self::LISTS)?;
        Self::parse(&merged)?;
        Ok(merged)
    }
}

/// Identity and position anomalies; params are the [`SpoofingParams`].
pub struct SpoofingDetector;

impl Algorithm for SpoofingDetector {
    const ABOUT: About = About {
        code: "spoofing",
        name: Text { ko: "위치 조작·MMSI 이상", en: "Spoofing and MMSI anomalies" },
        description: Text {
            ko: "순간이동, 미할당 MID, 자리표시 MMSI, 동시에 두 곳, 뒤따르는 두 번째 송신기, 선명 불일치, 식별정보 변경",
            en: "Teleports, unallocated MIDs, placeholder MMSIs, one id in two places at once, a second transmitter trailing the first, name mismatches, identity changes over time",
        },
        entity: EntityType::Vessel,
    };
    type Params = SpoofingParams;

    /// One track at a time, in track order (incremental cycles rely on it).
    fn vessel_local(&self) -> bool {
        true
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        p: &SpoofingParams,
        _upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        let mut out = Vec::new();
        for track in input.tracks {
            if let Some(f) = spoofing_for_track(track, input, p) {
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// What the checks found about one track: breakdown lines and evidence, in check order.
#[derive(Default)]
struct Found {
    breakdown: Vec<BreakdownItem>,
    evidence: Map<String, Value>,
}

fn spoofing_for_track(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams) -> Option<Finding> {
    let (first, last) = (track.positions.first()?, track.positions.last()?);
    if last.timestamp <= input.window_start {
        return None;
    }
    let mut found = Found::default();
    // M1, M2: only for ids that are MMSIs.
    if let Some(mmsi) = track.vessel.mmsi() {
        unallocated_mid(mmsi, p, &mut found);
        placeholder_mmsi(mmsi, p, &mut found);
    }
    teleports(track, input, p, &mut found);
    two_places_at_once(track, input, p, &mut found);
    trailing_transmitter(track, input, p, &mut found);
    identity_mismatch(track, input, p, &mut found);
    identity_changes(track, input, p, &mut found);
    if found.breakdown.is_empty() {
        return None;
    }
    Some(finding(track, input, (first, last), found))
}

/// M1: the MMSI's MID is not allocated, or the MMSI has no valid form. Records the MID
/// and its flag as evidence either way.
fn unallocated_mid(mmsi: u32, p: &SpoofingParams, found: &mut Found) {
    let kind = mmsi_kind(mmsi);
    let mid = match kind {
        MmsiKind::Ship(m) | MmsiKind::Other(m) => Some(m),
        _ => None,
    };
    let entry = mid.and_then(|m| mid_table().get(&m));
    found.evidence.insert("mid".into(), json!(mid));
    found.evidence.insert("flag".into(), json!(entry.map(|e| json!({"country": e.country, "iso": e.iso}))));
    if kind == MmsiKind::Invalid || (mid.is_some() && entry.is_none()) {
        found.breakdown.push(item(
            "M1",
            "unallocated_mid",
            p.weights.unallocated_mid,
            "미할당 MID",
            "Unallocated MID",
            format!("MMSI {mmsi:09}의 MID {}는 ITU 할당 목록에 없음", mid.map_or("-".into(), |m| m.to_string())),
            format!("MID {} of MMSI {mmsi:09} is not allocated by the ITU", mid.map_or("-".into(), |m| m.to_string())),
        ));
    }
}

/// M2: an MMSI nobody configured.
fn placeholder_mmsi(mmsi: u32, p: &SpoofingParams, found: &mut Found) {
    if is_placeholder(mmsi) {
        found.breakdown.push(item(
            "M2",
            "placeholder_mmsi",
            p.weights.placeholder_mmsi,
            "기본값 MMSI",
            "Placeholder MMSI",
            format!("MMSI {mmsi:09}는 설정되지 않은 기본값 형태"),
            format!("MMSI {mmsi:09} looks like an unconfigured default"),
        ));
    }
}

/// M3: teleports whose later end is inside the window.
fn teleports(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams, found: &mut Found) {
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
    if teleports.is_empty() {
        return;
    }
    found.breakdown.push(item(
        "M3",
        "teleport",
        p.weights.teleport,
        "순간이동",
        "Teleport",
        format!("{}회 {} kn 초과 이동", teleports.len(), p.teleport_speed_kn),
        format!("{} hop(s) faster than {} kn", teleports.len(), p.teleport_speed_kn),
    ));
    teleports.truncate(20);
    found.evidence.insert("teleports".into(), Value::Array(teleports));
}

/// Most later positions each position is compared with in the M4 sweep: bounds the
/// cost to O(n·k) on dense tracks. Two transmitters interleave, so a pair missed from
/// one side is found from the other's.
const PAIR_SCAN: usize = 64;

/// Two positions of the id reported at once from places no ship could join.
struct FarPair<'a> {
    a: &'a Position,
    b: &'a Position,
    nm: f64,
}

/// M4: the id reported from two places at once. Every pair of positions at most
/// `two_places_within_min` apart in time, at least `two_places_min_nm` apart, and
/// further than `teleport_speed_kn` could cover in between, the later one inside the
/// window, is judged (a sweep in time order, see [`PAIR_SCAN`]). A position alone in
/// its segment is an isolated outlier (one corrupted message), never one of the two
/// places. Pairs are grouped into episodes by the UTC day of the later position; the
/// evidence counts them all and lists the first 60 days and one example pair for each of
/// the first 20.
fn two_places_at_once(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams, found: &mut Found) {
    let pairs = far_simultaneous_pairs(track, input, p);
    let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else { return };
    let mut days: BTreeMap<NaiveDate, Vec<&FarPair<'_>>> = BTreeMap::new();
    for pair in &pairs {
        days.entry(pair.b.timestamp.date_naive()).or_default().push(pair);
    }
    let mut nm: Vec<f64> = pairs.iter().map(|x| x.nm).collect();
    nm.sort_by(f64::total_cmp);
    let (min, median, max) = (nm[0], median_of_sorted(&nm), nm[nm.len() - 1]);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let episodes: Vec<Value> = days
        .iter()
        .take(60)
        .map(|(day, list)| {
            let (lo, hi) = list.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(x.nm), hi.max(x.nm)));
            json!({
                "day": day.to_string(), "pairs": list.len(), "min_nm": round(lo), "max_nm": round(hi),
                "first": list[0].b.timestamp.to_rfc3339(), "last": list[list.len() - 1].b.timestamp.to_rfc3339(),
            })
        })
        .collect();
    // One example per day: its farthest pair.
    let examples: Vec<Value> = days
        .values()
        .take(20)
        .filter_map(|list| list.iter().max_by(|x, y| x.nm.total_cmp(&y.nm)))
        .map(|x| json!({"a": position_json(x.a), "b": position_json(x.b), "distance_nm": round(x.nm)}))
        .collect();
    let (n_days, n_pairs) = (days.len(), pairs.len());
    found.breakdown.push(item(
        "M4",
        "two_places_at_once",
        p.weights.two_places_at_once,
        "동시에 두 곳",
        "Two places at once",
        format!(
            "같은 식별번호가 {n_days}일에 걸쳐 {}분 이내 간격으로 {}~{} nm 떨어진 두 곳에서 보고됨({n_pairs}쌍)",
            p.two_places_within_min,
            round(min),
            round(max)
        ),
        format!(
            "the id reported from two places {}-{} nm apart within {} min of each other on {n_days} day(s) ({n_pairs} pair(s))",
            round(min),
            round(max),
            p.two_places_within_min
        ),
    ));
    found.evidence.insert(
        "two_places".into(),
        json!({
            "pairs": n_pairs, "days": n_days,
            "distance_nm": {"min": round(min), "median": round(median), "max": round(max)},
            "first": first.b.timestamp.to_rfc3339(), "last": last.b.timestamp.to_rfc3339(),
            "within_min": p.two_places_within_min, "episodes": episodes,
        }),
    );
    found.evidence.insert("simultaneous".into(), Value::Array(examples));
}

fn median_of_sorted(x: &[f64]) -> f64 {
    match x.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => x[n / 2],
        n => (x[n / 2 - 1] + x[n / 2]) / 2.0,
    }
}

/// The pairs M4 judges impossible, ordered by the later position's time.
fn far_simultaneous_pairs<'a>(track: &'a Track, input: &CycleInput<'_>, p: &SpoofingParams) -> Vec<FarPair<'a>> {
    let positions = &track.positions;
    let mut order: Vec<usize> = (0..positions.len()).collect();
    order.sort_by_key(|&i| positions[i].timestamp);
    let alone = isolated_positions(track, input, &p.segment);
    let within = chrono::Duration::milliseconds((p.two_places_within_min * 60_000.0).round() as i64);
    let mut out = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        if alone[i] {
            continue;
        }
        let a = &positions[i];
        for &j in order.iter().skip(k + 1).take(PAIR_SCAN) {
            let b = &positions[j];
            if b.timestamp - a.timestamp > within {
                break;
            }
            if alone[j] || b.timestamp <= input.window_start {
                continue;
            }
            let nm = haversine_nm(a.lat, a.lon, b.lat, b.lon);
            let h = hours_between(a.timestamp, b.timestamp);
            let impossible = if h > 0.0 { nm / h > p.teleport_speed_kn } else { true };
            if nm >= p.two_places_min_nm && impossible {
                out.push(FarPair { a, b, nm });
            }
        }
    }
    out.sort_by_key(|x| (x.b.timestamp, x.a.timestamp));
    out
}

/// Per position (track order): alone in its segment, i.e. no other report of the id
/// is plausible with it.
fn isolated_positions(track: &Track, input: &CycleInput<'_>, p: &SegmentParams) -> Vec<bool> {
    let mut alone = vec![false; track.positions.len()];
    for segment in &segmented_in(input, track, p).segments {
        if let [only] = segment.indices.as_slice() {
            if let Some(flag) = alone.get_mut(*only) {
                *flag = true;
            }
        }
    }
    alone
}

/// Most segment pairs M8 judges on one track (the largest segments first): bounds its
/// cost on ids with very many segments.
const TRAIL_PAIRS: usize = 4096;

/// M8: a second transmitter trailing the first on the id (see
/// [`crate::identity::segment::trails`]): segments of the cycle's segmentation, of at
/// least 6 positions each, overlapping in time (the follower within the lag limit), one
/// following the other's path with a steady lag. The evidence gives the lag and the
/// distance (medians) of each trail found, the later trail's positions inside the window.
fn trailing_transmitter(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams, found: &mut Found) {
    let seg = segmented_in(input, track, &p.segment);
    let positions = &track.positions;
    let mut big: Vec<usize> = (0..seg.segments.len()).filter(|&s| seg.segments[s].indices.len() >= 6).collect();
    big.sort_by_key(|&s| (std::cmp::Reverse(seg.segments[s].indices.len()), s));
    let span = |s: usize| {
        let ix = &seg.segments[s].indices;
        (positions[ix[0]].timestamp, positions[ix[ix.len() - 1]].timestamp)
    };
    let max_lag = chrono::Duration::milliseconds((p.segment.trail_max_lag_hours * 3_600_000.0) as i64);
    let mut trails_found = Vec::new();
    let mut judged = 0usize;
    'pairs: for (k, &a) in big.iter().enumerate() {
        for &b in &big[k + 1..] {
            for (lead, follow) in [(a, b), (b, a)] {
                let ((l0, l1), (f0, f1)) = (span(lead), span(follow));
                if f1 <= l0 || f0 > l1 + max_lag || f1 <= input.window_start {
                    continue;
                }
                judged += 1;
                if judged > TRAIL_PAIRS {
                    break 'pairs;
                }
                let (ls, fs) = (&seg.segments[lead], &seg.segments[follow]);
                if let Some(t) = crate::identity::segment::trails(positions, ls, fs, &p.segment) {
                    trails_found.push((ls.id.clone(), fs.id.clone(), t));
                }
            }
        }
    }
    if trails_found.is_empty() {
        return;
    }
    trails_found.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let (_, _, t) = &trails_found[0];
    found.breakdown.push(item(
        "M8",
        "second_transmitter",
        p.weights.second_transmitter,
        "뒤따르는 두 번째 송신기",
        "Second transmitter trailing",
        format!(
            "같은 식별번호의 두 번째 송신기가 약 {:.0}분 뒤, 약 {:.1} nm 떨어져 같은 항로를 따라감({:.1}시간)",
            t.lag_min, t.distance_nm, t.hours
        ),
        format!(
            "second transmitter trailing by ~{:.0} min at ~{:.1} nm on the same route ({:.1} h)",
            t.lag_min, t.distance_nm, t.hours
        ),
    ));
    let list: Vec<Value> = trails_found
        .iter()
        .take(20)
        .map(|(lead, follow, t)| {
            json!({
                "leader_segment": lead, "trailing_segment": follow, "lag_min": round(t.lag_min),
                "distance_nm": round(t.distance_nm), "hours": round(t.hours), "compared": t.compared,
            })
        })
        .collect();
    found.evidence.insert("trailing_transmitters".into(), Value::Array(list));
}

/// M5: the AIS name against the registry's.
fn identity_mismatch(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams, found: &mut Found) {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
    let reg_name = input.registry.and_then(|r| r.entries.get(track.vessel.as_str())).and_then(|e| e.name.clone());
    let (Some(ais), Some(reg)) = (track.static_data.name.as_deref(), reg_name.as_deref()) else {
        return;
    };
    if ais.trim().is_empty() || norm(ais) == norm(reg) {
        return;
    }
    found.breakdown.push(item(
        "M5",
        "identity_mismatch",
        p.weights.identity_mismatch,
        "선명 불일치",
        "Identity mismatch",
        format!("AIS 선명 '{ais}'이(가) 등록 선명 '{reg}'와 다름"),
        format!("AIS name '{ais}' differs from the registered name '{reg}'"),
    ));
    found.evidence.insert("names".into(), json!({"ais": ais, "registry": reg}));
}

/// M6, M7: identity changes over time.
fn identity_changes(track: &Track, input: &CycleInput<'_>, p: &SpoofingParams, found: &mut Found) {
    let report = analyse(input.identities.of(track.vessel.as_str()), input.window_start, input.window_end, &p.identity);
    let (items, list) = identity_breakdown(&report.changes, &p.identity);
    if !items.is_empty() {
        found.breakdown.extend(items);
        found.evidence.insert("identity_changes".into(), list);
    }
    // Noted whether or not a change was found: it says why a name seen is no renaming.
    let corrupted = corrupted_json(&report);
    if !corrupted.is_null() {
        found.evidence.insert("identity_corrupted_receptions".into(), corrupted);
    }
}

/// The finding of a track the checks found something about.
fn finding(track: &Track, input: &CycleInput<'_>, (first, last): (&Position, &Position), found: Found) -> Finding {
    let Found { breakdown, mut evidence } = found;
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
    Finding {
        detector: SpoofingDetector::ABOUT.code.into(),
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
    }
}
