//! The segmenter on Global Fishing Watch's own segmenter test tracks (real satellite
//! AIS, `testdata/ais/gfw_segment_*.jsonl.gz`): 416000000 is shared by several
//! transmitters; 338013000 comes with GFW's expected segment ids.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{NaiveDateTime, TimeZone, Utc};
use lookout_detect::identity::segment::{
    agreement, segment_positions, segment_track, split_track, trails, SegmentParams,
};
use lookout_detect::{gap_findings, DarkParams};
use lookout_model::{Position, Track, VesselId};

/// A file of the repository's `testdata/ais` as text; files are stored gzipped.
fn testdata_ais_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(format!("{name}.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(file), &mut text).expect("gzip text");
    text
}

/// Every row of a GFW segment file, in file order (already time-sorted), with its
/// `expected` id when the file has one. Exact duplicate rows are kept: GFW labels them.
fn read(rel: &str) -> Vec<(Position, Option<String>)> {
    let text = testdata_ais_text(rel);
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let ts = v["timestamp"].as_str().expect("timestamp");
        let naive = NaiveDateTime::parse_from_str(ts.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S%.f"))
            .expect("timestamp format");
        let (Some(lat), Some(lon)) = (v["lat"].as_f64(), v["lon"].as_f64()) else { continue };
        out.push((
            Position {
                vessel: VesselId::new(v["ssvid"].to_string()),
                timestamp: Utc.from_utc_datetime(&naive),
                lat,
                lon,
                sog: v["speed"].as_f64(),
                cog: v["course"].as_f64(),
                heading: None,
                nav_status: None,
            },
            v["expected"].as_str().map(str::to_string),
        ));
    }
    out
}

fn sorted_positions(rows: &[(Position, Option<String>)]) -> Vec<Position> {
    let mut p: Vec<Position> = rows.iter().map(|(p, _)| p.clone()).collect();
    p.sort_by_key(|q| q.timestamp);
    p
}

#[test]
fn shared_416000000_separates_the_transmitters() {
    let positions = sorted_positions(&read("gfw_segment_416000000.jsonl"));
    assert_eq!(positions.len(), 1668);
    let params = SegmentParams::default();
    let place = |p: &Position| {
        if (p.lat - 22.57).abs() < 0.3 && (p.lon - 120.31).abs() < 0.3 {
            'K' // Kaohsiung
        } else if (p.lat - 24.3).abs() < 0.3 && (p.lon - 120.5).abs() < 0.3 {
            'T' // Taichung
        } else if (p.lat + 9.8).abs() < 0.8 && (p.lon - 61.4).abs() < 1.2 {
            'I' // Indian Ocean
        } else {
            'o'
        }
    };
    let segs = segment_positions("416000000", &positions, &params);
    let mut by_place: BTreeMap<char, usize> = BTreeMap::new();
    for seg in &segs {
        let kinds: std::collections::BTreeSet<char> =
            seg.indices.iter().map(|&i| place(&positions[i])).filter(|c| *c != 'o').collect();
        assert!(kinds.len() <= 1, "segment {} mixes transmitters {kinds:?}", seg.id);
        for k in kinds {
            *by_place.entry(k).or_default() += 1;
        }
    }
    println!("416000000: {} segments; segments per transmitter {by_place:?}", segs.len());
    assert_eq!(by_place.keys().copied().collect::<String>(), "IKT");
    // Chains join segments across silences only where a ship could have sailed; inside
    // them, a faster hop is at most `parallel_nm` (two feeds of one ship).
    let track = Track { vessel: VesselId::new("416000000"), static_data: Default::default(), positions };
    let chains = split_track(&track, &params);
    println!("416000000: {} chains", chains.len());
    assert!(chains.len() >= 3);
    for t in &chains {
        for w in t.positions.windows(2) {
            let d = lookout_detect::haversine_nm(w[0].lat, w[0].lon, w[1].lat, w[1].lon);
            assert!(params.reachable(&w[0], &w[1]) || d <= params.parallel_nm, "{:?} -> {:?}", w[0], w[1]);
        }
    }
}

#[test]
fn shared_416000000_split_removes_the_spurious_gaps() {
    let positions = sorted_positions(&read("gfw_segment_416000000.jsonl"));
    let params = SegmentParams::default();
    let track = Track { vessel: VesselId::new("416000000"), static_data: Default::default(), positions };
    let dark = DarkParams::default();
    let whole = gap_findings(&track, &dark);
    let split: Vec<_> = split_track(&track, &params).iter().flat_map(|t| gap_findings(t, &dark)).collect();
    // A gap whose two ends no ship could connect is a hop between transmitters.
    let implausible = |f: &lookout_model::Finding| {
        let d = f.evidence["displacement_nm"].as_f64().unwrap_or(0.0);
        let h = (f.end - f.start).num_seconds() as f64 / 3600.0;
        d > params.max_speed_kn * h + params.jitter_nm.max(params.parallel_nm)
    };
    let spurious_before = whole.iter().filter(|f| implausible(f)).count();
    println!(
        "416000000 gaps: whole track {} ({} implausible hops); split {}",
        whole.len(),
        spurious_before,
        split.len()
    );
    assert!(spurious_before > 0, "the raw track has hops between transmitters");
    assert_eq!(split.iter().filter(|f| implausible(f)).count(), 0);
}

#[test]
fn shared_338013000_agreement_with_gfw_expected_segments() {
    // 1,253 rows, of which 60 have no position (null lat/lon): they are left out.
    let rows = read("gfw_segment_338013000.jsonl");
    assert_eq!(rows.len(), 1193);
    let positions: Vec<Position> = rows.iter().map(|(p, _)| p.clone()).collect();
    assert!(positions.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "file is in time order");
    let expected: Vec<String> = rows.iter().map(|(_, e)| e.clone().expect("expected id")).collect();
    let segs = segment_positions("338013000", &positions, &SegmentParams::default());
    let mut ours = vec![0usize; positions.len()];
    for (s, seg) in segs.iter().enumerate() {
        for &i in &seg.indices {
            ours[i] = s;
        }
    }
    let a = agreement(&ours, &expected);
    let distinct: std::collections::BTreeSet<&String> = expected.iter().collect();
    println!(
        "338013000: ours {} segments, GFW {} segments; pairwise precision {:.4}, recall {:.4}, adjusted Rand {:.4}",
        segs.len(),
        distinct.len(),
        a.pairwise_precision,
        a.pairwise_recall,
        a.adjusted_rand
    );
    // GFW keeps most positions in one segment and sets 23 single or duplicate positions
    // apart (among them points of a second feed whose clock lags by up to 25 minutes);
    // we keep the track whole: every pair GFW keeps together we keep together (recall
    // 1), and 95% of the pairs we keep together GFW does too. The adjusted Rand index is
    // 0 by construction when one side is a single segment, so it says little here.
    assert_eq!(segs.len(), 1);
    assert_eq!(a.pairwise_recall, 1.0);
    assert!((a.pairwise_precision - 0.9503).abs() < 5e-4, "{}", a.pairwise_precision);
}

#[test]
fn isolated_single_messages_are_noise_not_tracks() {
    // GFW's own test track, with a message at lat 91 / lon 181 (an impossible position)
    // among the real ones.
    let positions = sorted_positions(&read("gfw_segment_263576000.jsonl"));
    let track = Track { vessel: VesselId::new("263576000"), static_data: Default::default(), positions };
    let seg = segment_track(&track, &SegmentParams::default());
    let noise: Vec<&Position> =
        seg.noise.iter().flat_map(|&s| &seg.segments[s].indices).map(|&i| &track.positions[i]).collect();
    println!(
        "263576000: {} chains, noise {:?}",
        seg.chains.len(),
        noise.iter().map(|q| (q.lat, q.lon)).collect::<Vec<_>>()
    );
    assert!(noise.iter().all(|q| seg.noise.len() == noise.len() && (q.lat > 90.0 || q.lon > 180.0)));
    assert!(noise.iter().any(|q| q.lat > 90.0));
    assert_eq!(seg.chains.len(), 1, "the stray message is not a second ship");
    let split = split_track(&track, &SegmentParams::default());
    assert_eq!(split.len(), 1);
    assert_eq!(split[0].positions.len(), track.positions.len() - noise.len());
}

#[test]
fn a_stray_message_of_another_ship_far_away_is_noise() {
    // Two real vessels under one id: 338013000's track (GFW), and one message of
    // 416000000 (thousands of nm away) slipped in at the middle of its time span.
    let mut positions: Vec<Position> = read("gfw_segment_338013000.jsonl").into_iter().map(|(p, _)| p).collect();
    let other = sorted_positions(&read("gfw_segment_416000000.jsonl"));
    let mid = positions[positions.len() / 2].timestamp + chrono::Duration::seconds(1);
    let stray = Position { vessel: positions[0].vessel.clone(), timestamp: mid, ..other[0].clone() };
    let far = lookout_detect::haversine_nm(stray.lat, stray.lon, positions[0].lat, positions[0].lon);
    assert!(far > 1000.0, "{far}");
    positions.push(stray.clone());
    positions.sort_by_key(|q| q.timestamp);
    let track = Track { vessel: VesselId::new("338013000"), static_data: Default::default(), positions };
    let seg = segment_track(&track, &SegmentParams::default());
    assert_eq!(seg.chains.len(), 1);
    assert_eq!(seg.noise.len(), 1);
    assert_eq!(track.positions[seg.segments[seg.noise[0]].indices[0]], stray);
    let split = split_track(&track, &SegmentParams::default());
    assert_eq!(split.len(), 1);
    assert!(!split[0].positions.contains(&stray));
}

#[test]
fn detectors_read_the_cycles_shared_segmentation() {
    use lookout_detect::identity::segment::segment_tracks;
    use lookout_detect::identity::segments::SegmentsDetector;
    use lookout_detect::{CycleInput, DarkHistoryIndex, Detector, Upstream};
    let positions = sorted_positions(&read("gfw_segment_416000000.jsonl"));
    let track = Track { vessel: VesselId::new("416000000"), static_data: Default::default(), positions };
    let tracks = std::slice::from_ref(&track);
    let p = SegmentParams::default();
    let shared = segment_tracks(tracks, &p, 2);
    assert_eq!(shared.by_vessel["416000000"], segment_track(&track, &p), "threads change nothing");
    let history = DarkHistoryIndex::default();
    let first = track.positions[0].timestamp;
    let input = |segmentation| CycleInput {
        window_start: first - chrono::Duration::hours(1),
        window_end: first + chrono::Duration::days(60),
        tracks,
        registry: None,
        dark_history: &history,
        identities: lookout_detect::IdentityHistory::empty(),
        zones: None,
        segmentation,
        observation: None,
        places: None,
    };
    let d = SegmentsDetector;
    let params = d.default_params();
    let alone = d.run(&input(None), &params, &Upstream::default()).expect("runs");
    let with_shared = d.run(&input(Some(&shared)), &params, &Upstream::default()).expect("runs");
    assert_eq!(alone.len(), 1);
    assert_eq!(alone, with_shared);
    // What the detector reports is the shared segmentation, not one of its own: with
    // every segment put in one chain it sees one track.
    let mut doctored = shared.clone();
    if let Some(seg) = doctored.by_vessel.get_mut("416000000") {
        seg.chains = vec![(0..seg.segments.len()).collect()];
    }
    assert!(d.run(&input(Some(&doctored)), &params, &Upstream::default()).expect("runs").is_empty());
    // Other params than the shared ones: the detector segments the track itself.
    let other = serde_json::json!({"max_speed_kn": 31.0});
    let other = d.merge_params(&params, &other).expect("params");
    assert_eq!(d.run(&input(Some(&doctored)), &other, &Upstream::default()).expect("runs").len(), 1);
}

/// A real track and a copy of it trailing by `lag` and displaced `dlat` degrees north,
/// as a second transmitter following the same route, merged under the first's id.
fn with_trailing_copy(real: &[Position], lag: chrono::Duration, dlat: f64) -> (Vec<Position>, Vec<Position>) {
    let copy: Vec<Position> =
        real.iter().map(|q| Position { timestamp: q.timestamp + lag, lat: q.lat + dlat, ..q.clone() }).collect();
    let mut merged: Vec<Position> = real.iter().chain(&copy).cloned().collect();
    merged.sort_by_key(|q| q.timestamp);
    (merged, copy)
}

/// The longest stretch of 338013000's real track (GFW) moving above 3 kn without a
/// silence of an hour.
fn moving_stretch() -> Vec<Position> {
    let positions = sorted_positions(&read("gfw_segment_338013000.jsonl"));
    let (mut best, mut start) = ((0usize, 0usize), 0usize);
    for i in 1..positions.len() {
        let moving = positions[i].sog.unwrap_or(0.0) > 3.0
            && (positions[i].timestamp - positions[i - 1].timestamp).num_minutes() < 60;
        if !moving {
            start = i;
        } else if i - start > best.1 - best.0 {
            best = (start, i);
        }
    }
    positions[best.0..=best.1].to_vec()
}

/// Issue 15.3: a second transmitter trailing the first on one MMSI (the real case: a
/// class-B set about 55 min behind a class-A one, 3-9 nm back) is its own segment and
/// chain, not folded into the first as a lagging feed. Built from a real track (26 h of
/// 338013000 under way) and a copy of it 55 minutes later and 0.003° (0.18 nm) north.
#[test]
fn a_trailing_second_transmitter_is_set_apart() {
    let real = moving_stretch();
    assert!(real.len() > 300, "{}", real.len());
    let p = SegmentParams::default();
    let (merged, copy) = with_trailing_copy(&real, chrono::Duration::minutes(55), 0.003);
    let track = Track { vessel: VesselId::new("338013000"), static_data: Default::default(), positions: merged };
    let seg = segment_track(&track, &p);
    let truth: Vec<bool> = track.positions.iter().map(|q| copy.contains(q)).collect();
    let mut ours = vec![0usize; track.positions.len()];
    for (c, chain) in seg.chains.iter().enumerate() {
        for &s in chain {
            for &i in &seg.segments[s].indices {
                ours[i] = c;
            }
        }
    }
    let a = agreement(&ours, &truth);
    println!(
        "trailing copy: {} segments, {} chains; pairwise precision {:.3}, recall {:.3}, adjusted Rand {:.3}",
        seg.segments.len(),
        seg.chains.len(),
        a.pairwise_precision,
        a.pairwise_recall,
        a.adjusted_rand
    );
    assert_eq!(seg.chains.len(), 2);
    // The segmenter gives each report to the nearest plausible segment as it comes, so a
    // few reports near the other trail go astray; the two chains are still the two sets.
    assert!(a.adjusted_rand > 0.7 && a.pairwise_precision > 0.85 && a.pairwise_recall > 0.85, "{a:?}");
    // The trail as `trails` measures it: about 55 min behind, on the leader's path.
    let copies = |c: usize| seg.chains[c].iter().flat_map(|&s| &seg.segments[s].indices).filter(|&&i| truth[i]).count();
    let (lead, follow) = if copies(0) > copies(1) { (1, 0) } else { (0, 1) };
    let (la, fo) = (&seg.segments[seg.chains[lead][0]], &seg.segments[seg.chains[follow][0]]);
    let trail = trails(&track.positions, la, fo, &p).expect("a trail");
    assert!((trail.lag_min - 55.0).abs() < 10.0, "{trail:?}");
    assert!(trail.distance_nm > 1.0 && trail.hours >= p.trail_min_hours, "{trail:?}");
    assert!(trails(&track.positions, fo, la, &p).is_none(), "the leader does not trail its follower");
    // Without the trail criterion (a trail must last longer than the data), the copy is
    // folded into the track as a lagging feed: one segment, as before.
    let off = SegmentParams { trail_min_hours: 1000.0, ..p.clone() };
    assert_eq!(segment_positions("338013000", &track.positions, &off).len(), 1);
}

/// What stays one ship: the same real track copied at the same time 0.3 nm aside (two
/// feeds of one ship), and a copy trailing by 55 min for less than `trail_min_hours`.
#[test]
fn a_same_time_copy_or_a_short_trail_stays_one_ship() {
    let real = moving_stretch();
    let p = SegmentParams::default();
    let (merged, _) = with_trailing_copy(&real, chrono::Duration::zero(), 0.005);
    assert_eq!(segment_positions("338013000", &merged, &p).len(), 1);
    // The densest 100 minutes of the stretch.
    let window = chrono::Duration::minutes(100);
    let count = |i: usize| real[i..].iter().take_while(|q| q.timestamp - real[i].timestamp <= window).count();
    let start = (0..real.len()).max_by_key(|&i| (count(i), std::cmp::Reverse(i))).expect("positions");
    let short: Vec<Position> = real[start..start + count(start)].to_vec();
    assert!(short.len() >= 10, "{}", short.len());
    let (merged, _) = with_trailing_copy(&short, chrono::Duration::minutes(55), 0.003);
    assert_eq!(segment_positions("338013000", &merged, &p).len(), 1, "a 100-minute trail is folded");
}

/// M8 of the spoofing detector reports the trailing transmitter of
/// [`a_trailing_second_transmitter_is_set_apart`] with its lag and distance, and stays
/// silent on the real track alone.
#[test]
fn spoofing_reports_the_trailing_transmitter() {
    use lookout_detect::identity::spoofing::SpoofingDetector;
    use lookout_detect::{CycleInput, DarkHistoryIndex, Detector, Upstream};
    let real = moving_stretch();
    let (merged, _) = with_trailing_copy(&real, chrono::Duration::minutes(55), 0.003);
    let history = DarkHistoryIndex::default();
    let d = SpoofingDetector;
    let params = d.default_params();
    let run = |positions: Vec<Position>| {
        let track = Track { vessel: VesselId::new("338013000"), static_data: Default::default(), positions };
        let tracks = std::slice::from_ref(&track);
        let first = track.positions[0].timestamp;
        let input = CycleInput {
            window_start: first - chrono::Duration::hours(1),
            window_end: first + chrono::Duration::days(3),
            tracks,
            registry: None,
            dark_history: &history,
            identities: lookout_detect::IdentityHistory::empty(),
            zones: None,
            segmentation: None,
            observation: None,
            places: None,
        };
        d.run(&input, &params, &Upstream::default()).expect("runs")
    };
    let found = run(merged);
    assert_eq!(found.len(), 1);
    let codes: Vec<&str> = found[0].breakdown.iter().map(|b| b.pattern.as_str()).collect();
    assert!(codes.contains(&"second_transmitter"), "{codes:?}");
    let trail = &found[0].evidence["trailing_transmitters"][0];
    println!(
        "M8 evidence: {trail}; {}",
        found[0].breakdown.iter().map(|b| b.description_en.as_str()).collect::<Vec<_>>().join("; ")
    );
    let lag = trail["lag_min"].as_f64().expect("lag");
    assert!((lag - 55.0).abs() < 10.0, "{trail}");
    assert!(trail["distance_nm"].as_f64().expect("nm") > 1.0, "{trail}");
    let alone = run(real);
    assert!(
        alone.iter().all(|f| f.breakdown.iter().all(|b| b.pattern != "second_transmitter")),
        "no trail on one transmitter"
    );
}
