//! The engine runs `gaps` and `dark_suspicion` per chain of segments: on the real
//! shared-MMSI track 416000000 (several transmitters), no gap joins two transmitters.

use std::path::PathBuf;

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use lookout_detect::identity::segment::SegmentParams;
use lookout_detect::{gap_findings, DarkParams};
use lookout_engine::cycle::{analyse, CycleRequest, GAPS};
use lookout_engine::models::resolve;
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{Finding, Position, Track, VesselId};
use lookout_store::{SqliteStore, Store, VesselRow};

fn shared_416() -> Vec<Position> {
    let text = testdata_ais_text("gfw_segment_416000000.jsonl");
    let mut out: Vec<Position> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let t = NaiveDateTime::parse_from_str(v["timestamp"].as_str()?, "%Y-%m-%d %H:%M:%S%.f").ok()?;
            Some(Position {
                vessel: VesselId::new("416000000"),
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
    out.sort_by_key(|p| p.timestamp);
    out
}

fn hop_is_implausible(f: &Finding, p: &SegmentParams) -> bool {
    let d = f.evidence["displacement_nm"].as_f64().unwrap_or(0.0);
    let h = (f.end - f.start).num_seconds() as f64 / 3600.0;
    d > p.max_speed_kn * h + p.jitter_nm.max(p.parallel_nm)
}

#[test]
fn shared_mmsi_makes_no_gap_between_transmitters() {
    let positions = shared_416();
    assert_eq!(positions.len(), 1668);
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = SqliteStore::open(&dir.path().join("t.db")).expect("store");
    store
        .upsert_vessels(&[VesselRow { vessel: VesselId::new("416000000"), id_is_mmsi: true, data: Default::default() }])
        .expect("vessel");
    store.insert_positions(&positions).expect("positions");
    let rules = resolve(&RuleSet::builtin().expect("rules"), &store, &Default::default(), None).expect("resolve");
    let at = Utc.with_ymd_and_hms(2014, 2, 1, 0, 0, 0).single().expect("time");
    let req = CycleRequest {
        at,
        window: Duration::days(32),
        lookback: Duration::days(1),
        rules: &rules,
        exec: ExecOptions::default(),
        registry: None,
        zones: None,
        places: None,
    };
    let report = analyse(&store, &req).expect("cycle");
    let params = SegmentParams::default();
    let gaps: Vec<&Finding> = report.findings.iter().filter(|f| f.detector == GAPS).collect();
    // The same track without segmentation: what `gaps` reported before.
    let whole = gap_findings(
        &Track { vessel: VesselId::new("416000000"), static_data: Default::default(), positions },
        &DarkParams::default(),
    );
    let spurious_before = whole.iter().filter(|f| hop_is_implausible(f, &params)).count();
    println!(
        "416000000 in a cycle: {} gaps ({spurious_before} hops between transmitters) before, {} after",
        whole.len(),
        gaps.len()
    );
    assert!(spurious_before >= 20, "{spurious_before}");
    assert!(!gaps.is_empty(), "each transmitter's own silences are still gaps");
    assert!(gaps.iter().all(|f| !hop_is_implausible(f, &params)), "no gap joins two transmitters");
    // The segments rule reports the id as used by several tracks.
    let seg: Vec<&Finding> = report.findings.iter().filter(|f| f.detector == "segments").collect();
    assert_eq!(seg.len(), 1);
    assert!(seg[0].evidence["tracks"].as_u64().unwrap_or(0) >= 3);
}

/// A file of the repository's `testdata/ais` as text; files are stored gzipped.
fn testdata_ais_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(format!("{name}.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text).expect("gzip text");
    text
}
