//! The `spoofing` detector: every pattern just inside and just outside its threshold,
//! opaque ids, and the real shared-MMSI track 416000000.

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use lookout_detect::identity::mid::flag_of;
use lookout_detect::identity::spoofing::SpoofingDetector;
use lookout_detect::{haversine_nm, CycleInput, DarkHistoryIndex, Detector, Registry, RegistryEntry, Upstream};
use lookout_model::{Finding, Position, StaticData, Track, VesselId};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

fn pos(id: &str, min: i64, lat: f64, lon: f64) -> Position {
    Position {
        vessel: VesselId::new(id),
        timestamp: t0() + Duration::minutes(min),
        lat,
        lon,
        sog: Some(8.0),
        cog: None,
        heading: None,
        nav_status: None,
    }
}

fn track(id: &str, positions: Vec<Position>) -> Track {
    Track { vessel: VesselId::new(id), static_data: StaticData::default(), positions }
}

/// A steady 8 kn track northwards, one position every 10 minutes for 4 hours.
fn steady(id: &str) -> Vec<Position> {
    let nm_per_deg = haversine_nm(35.0, 125.0, 36.0, 125.0);
    (0..=24).map(|k| pos(id, k * 10, 35.0 + (k as f64 * 8.0 / 6.0) / nm_per_deg, 125.0)).collect()
}

fn run_with(tracks: &[Track], registry: Option<&Registry>, over: serde_json::Value) -> Vec<Finding> {
    let history = DarkHistoryIndex::default();
    let input = CycleInput {
        window_start: t0() - Duration::hours(1),
        window_end: t0() + Duration::days(1),
        tracks,
        registry,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = SpoofingDetector;
    let params = d.merge_params(&d.default_params(), &over).expect("params");
    d.run(&input, &params, &Upstream::default()).expect("runs")
}

fn run(tracks: &[Track]) -> Vec<Finding> {
    run_with(tracks, None, serde_json::Value::Null)
}

fn patterns(f: &Finding) -> Vec<&str> {
    f.breakdown.iter().map(|b| b.pattern.as_str()).collect()
}

#[test]
fn a_clean_track_has_no_finding() {
    assert!(run(&[track("440123456", steady("440123456"))]).is_empty());
}

#[test]
fn unallocated_mid_and_placeholder() {
    let found = run(&[
        track("217123456", steady("217123456")), // MID 217 is not allocated
        track("416000000", steady("416000000")), // Taiwan's MID, zeros: a default
        track("000000000", steady("000000000")), // not a valid form at all, and a placeholder
        track("vid-768", steady("vid-768")),     // opaque: MMSI checks skipped
    ]);
    let by: Vec<(&str, Vec<&str>, Option<i64>, &str)> =
        found.iter().map(|f| (f.vessel.as_str(), patterns(f), f.score, f.level.as_str())).collect();
    assert_eq!(
        by,
        vec![
            ("217123456", vec!["unallocated_mid"], Some(40), "MEDIUM"),
            ("416000000", vec!["placeholder_mmsi"], Some(20), "LOW"),
            ("000000000", vec!["unallocated_mid", "placeholder_mmsi"], Some(60), "HIGH"),
        ]
    );
    assert_eq!(found[1].evidence["flag"]["iso"], "TW");
    assert_eq!(flag_of(&VesselId::new("440123456")).map(|e| e.iso.as_str()), Some("KR"));
    assert_eq!(flag_of(&VesselId::new("vid-768")), None);
}

#[test]
fn teleport_just_inside_and_just_outside() {
    let nm_per_deg = haversine_nm(35.0, 125.0, 36.0, 125.0);
    // Ten minutes: 50 kn is 8.333 nm. 8.2 nm is inside the limit, 8.5 nm outside.
    for (nm, expect) in [(8.2, false), (8.5, true)] {
        let mut p = steady("440123456");
        let last = p.last().cloned().expect("pos");
        p.push(Position { timestamp: last.timestamp + Duration::minutes(10), lat: last.lat + nm / nm_per_deg, ..last });
        let found = run(&[track("440123456", p)]);
        assert_eq!(!found.is_empty(), expect, "{nm} nm in 10 min");
        if expect {
            assert_eq!(patterns(&found[0]), ["teleport"]);
            assert_eq!(found[0].score, Some(30));
            assert_eq!(found[0].evidence["teleports"][0]["implied_speed_kn"], json!(51.0));
        }
    }
    // A hop under `teleport_min_nm` (1 nm) at the same instant is noise.
    let mut p = steady("440123456");
    let last = p.last().cloned().expect("pos");
    p.push(Position { lat: last.lat + 0.9 / nm_per_deg, ..last.clone() });
    assert!(run(&[track("440123456", p)]).is_empty());
    let mut p = steady("440123456");
    p.push(Position { lat: last.lat + 1.1 / nm_per_deg, timestamp: last.timestamp + Duration::seconds(1), ..last });
    assert_eq!(run(&[track("440123456", p)]).len(), 1);
}

#[test]
fn two_places_at_once_just_inside_and_just_outside() {
    // A second transmitter reporting 5 minutes after each position of the first, `sep`
    // nm east of it; at 35N a degree of longitude is about 49 nm.
    let lon_per_nm = 1.0 / haversine_nm(35.0, 125.0, 35.0, 126.0);
    let cases = [
        // Defaults: 30 nm (the segmenter folds closer parallel trails into one).
        (31.0, serde_json::Value::Null, true),
        (29.0, serde_json::Value::Null, false),
        // With parallel trails kept apart from 5 nm, the 10 nm limit decides.
        (11.0, json!({"two_places_min_nm": 10.0, "segment": {"parallel_nm": 5.0}}), true),
        (9.0, json!({"two_places_min_nm": 10.0, "segment": {"parallel_nm": 5.0}}), false),
    ];
    for (sep, over, expect) in cases {
        let mut p = steady("440123456");
        let other: Vec<Position> = p
            .iter()
            .map(|q| Position {
                lon: q.lon + sep * lon_per_nm,
                timestamp: q.timestamp + Duration::minutes(5),
                ..q.clone()
            })
            .collect();
        p.extend(other);
        p.sort_by_key(|q| q.timestamp);
        let found = run_with(&[track("440123456", p)], None, over);
        let has = found.iter().any(|f| patterns(f).contains(&"two_places_at_once"));
        assert_eq!(has, expect, "{sep} nm apart: {found:?}");
    }
}

#[test]
fn identity_mismatch_against_the_registry() {
    let mut t = track("440123456", steady("440123456"));
    t.static_data.name = Some("SAMPLE  MARU 7".into());
    let mut reg = Registry::default();
    reg.entries.insert("440123456".into(), RegistryEntry { name: Some("sample maru 7".into()), ..Default::default() });
    assert!(run_with(&[t.clone()], Some(&reg), serde_json::Value::Null).is_empty(), "case and spacing do not count");
    reg.entries.insert("440123456".into(), RegistryEntry { name: Some("SAMPLE MARU 8".into()), ..Default::default() });
    let found = run_with(&[t], Some(&reg), serde_json::Value::Null);
    assert_eq!(patterns(&found[0]), ["identity_mismatch"]);
    assert_eq!(found[0].evidence["names"]["registry"], "SAMPLE MARU 8");
}

#[test]
fn weights_are_params() {
    let found = run_with(&[track("217123456", steady("217123456"))], None, json!({"weights": {"unallocated_mid": 75}}));
    assert_eq!((found[0].score, found[0].level.as_str()), (Some(75), "CRITICAL"));
    let d = SpoofingDetector;
    assert!(d.merge_params(&d.default_params(), &json!({"segment": {"max_speed_kn": -1.0}})).is_err());
}

/// The positions of one of the shipped GFW segmenter test files, under `id`.
fn gfw_positions(file: &str, id: &str) -> Vec<Position> {
    let text = testdata_ais_text(file);
    let mut positions: Vec<Position> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let raw = v["timestamp"].as_str()?.trim_end_matches('Z').replace('T', " ");
            let t = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%d %H:%M:%S%.f").ok()?;
            Some(Position {
                vessel: VesselId::new(id),
                timestamp: Utc.from_utc_datetime(&t),
                lat: v["lat"].as_f64()?,
                lon: v["lon"].as_f64()?,
                sog: None,
                cog: None,
                heading: None,
                nav_status: None,
            })
        })
        .collect();
    positions.sort_by_key(|p| p.timestamp);
    positions
}

/// The spoofing detector with default params over one track, the window holding it all.
fn run_real(id: &str, positions: Vec<Position>) -> Vec<Finding> {
    let (Some(first), Some(last)) = (positions.first().cloned(), positions.last().cloned()) else {
        return Vec::new();
    };
    let history = DarkHistoryIndex::default();
    let tracks = [track(id, positions)];
    let input = CycleInput {
        window_start: first.timestamp - Duration::hours(1),
        window_end: last.timestamp,
        tracks: &tracks,
        registry: None,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = SpoofingDetector;
    d.run(&input, &d.default_params(), &Upstream::default()).expect("runs")
}

/// UTC days on which some position of `a` and some of `b` were at most 10 minutes and
/// at least 30 nm apart, faster than 50 kn between them (by brute force over all pairs:
/// the oracle for the detector's sweep), dated by the later position.
fn days_at_once(a: &[Position], b: &[Position]) -> std::collections::BTreeSet<chrono::NaiveDate> {
    let mut days = std::collections::BTreeSet::new();
    for p in a {
        for q in b {
            let dt_h = (q.timestamp - p.timestamp).num_milliseconds().abs() as f64 / 3_600_000.0;
            let nm = haversine_nm(p.lat, p.lon, q.lat, q.lon);
            if dt_h <= 10.0 / 60.0 && nm >= 30.0 && (dt_h == 0.0 || nm / dt_h > 50.0) {
                days.insert(p.timestamp.max(q.timestamp).date_naive());
            }
        }
    }
    days
}

fn two_places(found: &[Finding]) -> Option<&serde_json::Value> {
    found.iter().find(|f| patterns(f).contains(&"two_places_at_once")).map(|f| &f.evidence["two_places"])
}

#[test]
fn shared_416000000_is_in_two_places_at_once() {
    let found = run_real("416000000", gfw_positions("gfw_segment_416000000.jsonl", "416000000"));
    assert_eq!(found.len(), 1);
    assert_eq!(patterns(&found[0]), ["placeholder_mmsi", "teleport", "two_places_at_once"]);
    assert_eq!((found[0].score, found[0].level.as_str()), (Some(90), "CRITICAL"));
    let e = &found[0].evidence["two_places"];
    eprintln!("{e:#}");
    assert!(e["days"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn unmodified_real_tracks_are_never_in_two_places() {
    for (file, id) in [("gfw_segment_338013000.jsonl", "338013000"), ("gfw_segment_263576000.jsonl", "263576000")] {
        let found = run_real(id, gfw_positions(file, id));
        assert_eq!(two_places(&found), None, "{file}: {found:?}");
    }
}

#[test]
fn two_real_vessels_merged_under_one_id_are_in_two_places_on_the_days_both_report() {
    // 263576000 (Indian Ocean, 15-16 Oct 2015) moved in time by a whole number of days
    // onto 19-20 Jul 2017, when 338013000 (American Samoa, 18-20 Jul) reports too.
    let own = gfw_positions("gfw_segment_338013000.jsonl", "338013000");
    let lag = Utc.with_ymd_and_hms(2017, 7, 19, 0, 0, 0).single().expect("t")
        - Utc.with_ymd_and_hms(2015, 10, 15, 0, 0, 0).single().expect("t");
    let other: Vec<Position> = gfw_positions("gfw_segment_263576000.jsonl", "338013000")
        .into_iter()
        .map(|p| Position { timestamp: p.timestamp + lag, ..p })
        .collect();
    let expected = days_at_once(&own, &other);
    let mut merged = own;
    merged.extend(other);
    merged.sort_by_key(|p| p.timestamp);
    let found = run_real("338013000", merged);
    let e = two_places(&found).expect("two places at once");
    eprintln!("{e:#}");
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert_eq!(e["days"].as_u64(), Some(2));
    let days: Vec<&str> =
        e["episodes"].as_array().expect("episodes").iter().filter_map(|x| x["day"].as_str()).collect();
    assert_eq!(days, ["2017-07-19", "2017-07-20"]);
    // Samoa to the eastern Indian Ocean: thousands of miles.
    assert!(e["distance_nm"]["min"].as_f64().unwrap_or(0.0) > 5000.0, "{e}");
}

#[test]
fn a_clone_at_a_fixed_lag_and_offset_is_in_two_places_every_day() {
    // A second transmitter with 338013000's MMSI, 3 minutes behind it and 0.75 degrees
    // of latitude (45 nm) north.
    let own = gfw_positions("gfw_segment_338013000.jsonl", "338013000");
    let clone: Vec<Position> = own
        .iter()
        .map(|p| Position { timestamp: p.timestamp + Duration::minutes(3), lat: p.lat + 0.75, ..p.clone() })
        .collect();
    let expected = days_at_once(&own, &clone);
    let mut merged = own;
    merged.extend(clone);
    merged.sort_by_key(|p| p.timestamp);
    let found = run_real("338013000", merged);
    let e = two_places(&found).expect("two places at once");
    eprintln!("{e:#}");
    assert_eq!(expected.len(), 3);
    assert_eq!(e["days"].as_u64(), Some(3));
    let median = e["distance_nm"]["median"].as_f64().unwrap_or(0.0);
    assert!((median - 45.0).abs() < 1.0, "{e}");
}

/// A file of the repository's `testdata/ais` as text; files are stored gzipped.
fn testdata_ais_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(format!("{name}.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text).expect("gzip text");
    text
}
