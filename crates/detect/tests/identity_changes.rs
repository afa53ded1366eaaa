//! Identity changes over time in the `spoofing` detector (M6 `identity_change`, M7
//! `identity_flip_flop`): every threshold just inside and just outside, normalisation,
//! corrupted receptions, the sequence of runs (returns, flip-flops), placeholders, the
//! cycle window and the params merge. Rows here are runs: consecutive sightings of one
//! tuple, as the store keeps them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lookout_detect::identity::spoofing::SpoofingDetector;
use lookout_detect::{CycleInput, DarkHistoryIndex, Detector, IdentityHistory, Upstream};
use lookout_model::{Finding, Identity, IdentityObservation, Position, StaticData, Track, VesselId};
use serde_json::{json, Value};

const ID: &str = "440123456";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time")
}

fn h(hours: f64) -> DateTime<Utc> {
    t0() + Duration::milliseconds((hours * 3_600_000.0) as i64)
}

/// A steady track inside the window: the detector reports only vessels seen in it.
fn tracks() -> Vec<Track> {
    let positions = (0..=24)
        .map(|k| Position {
            vessel: VesselId::new(ID),
            timestamp: t0() + Duration::minutes(k * 10),
            lat: 35.0 + k as f64 * 0.02,
            lon: 125.0,
            sog: Some(8.0),
            cog: None,
            heading: None,
            nav_status: None,
        })
        .collect();
    vec![Track { vessel: VesselId::new(ID), static_data: StaticData::default(), positions }]
}

fn name(v: &str, first: f64, last: f64, reports: u64) -> IdentityObservation {
    IdentityObservation {
        vessel: VesselId::new(ID),
        identity: Identity { name: Some(v.into()), ..Identity::default() },
        first_seen: h(first),
        last_seen: h(last),
        reports,
    }
}

fn imo(v: u32, first: f64, last: f64, reports: u64) -> IdentityObservation {
    IdentityObservation {
        identity: Identity { imo: Some(v), ..Identity::default() },
        ..name("X", first, last, reports)
    }
}

/// Runs the detector over `rows` with the window (t0 - 1 h, t0 + 24 h].
fn run_over(rows: Vec<IdentityObservation>, over: Value) -> Option<Finding> {
    run_window(rows, over, h(-1.0), h(24.0))
}

fn run_window(rows: Vec<IdentityObservation>, over: Value, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Finding> {
    let history = DarkHistoryIndex::default();
    let identities = IdentityHistory::from_rows(rows);
    let tracks = tracks();
    let input = CycleInput {
        window_start: from,
        window_end: to,
        tracks: &tracks,
        registry: None,
        dark_history: &history,
        identities: &identities,
        zones: None,
        segmentation: None,
        observation: None,
        places: None,
    };
    let d = SpoofingDetector;
    let params = d.merge_params(&d.default_params(), &over).expect("params");
    let mut found = d.run(&input, &params, &Upstream::default()).expect("runs");
    assert!(found.len() <= 1);
    found.pop()
}

fn patterns(f: &Option<Finding>) -> Vec<(String, i64)> {
    f.iter().flat_map(|f| f.breakdown.iter().map(|b| (b.pattern.clone(), b.points))).collect()
}

#[test]
fn a_sequential_name_change_is_reported_with_both_values() {
    let f = run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 4.0, 7)], Value::Null);
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15)]);
    let f = f.expect("finding");
    assert_eq!((f.score, f.level.as_str()), (Some(15), "LOW"));
    let c = &f.evidence["identity_changes"][0];
    assert_eq!(c["field"], "name");
    assert_eq!(c["kind"], "renaming");
    assert_eq!(c["flip_flop"], false);
    assert_eq!(
        c["before"],
        json!({"value": "FOO", "first_seen": "2024-05-01T00:00:00+00:00", "last_seen": "2024-05-01T02:00:00+00:00", "reports": 5})
    );
    assert_eq!(
        c["after"],
        json!({"value": "BAR", "first_seen": "2024-05-01T03:00:00+00:00", "last_seen": "2024-05-01T04:00:00+00:00", "reports": 7})
    );
    assert!(f.breakdown[0].description_en.contains("name 'FOO' → 'BAR'"), "{}", f.breakdown[0].description_en);
    assert!(f.breakdown[0].description_ko.contains("선명 'FOO' → 'BAR'"), "{}", f.breakdown[0].description_ko);
}

#[test]
fn min_reports_just_inside_and_just_outside() {
    // One corrupted message (1 report) makes no change; two reports do.
    assert!(run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 3.0, 1)], Value::Null).is_none());
    assert_eq!(patterns(&run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 3.5, 2)], Value::Null)).len(), 1);
    let three = json!({"identity": {"min_reports": 3}});
    assert!(run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 3.5, 2)], three.clone()).is_none());
    // Reports of one value add up across rows (here: two tuples with the same name).
    assert_eq!(
        patterns(&run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 3.5, 2), name("bar", 4.0, 4.5, 1)], three))
            .len(),
        1
    );
}

#[test]
fn normalisation_makes_padding_case_and_spacing_equal() {
    assert!(run_over(vec![name("FOO  BAR@@", 0.0, 2.0, 5), name("foo bar", 3.0, 4.0, 5)], Value::Null).is_none());
    assert!(run_over(vec![name("M/V FOO", 0.0, 2.0, 5), name("M.V. FOO", 3.0, 4.0, 5)], Value::Null).is_none());
    let strict = json!({"identity": {"normalise": {"fold_case": false, "collapse_whitespace": false, "strip_punctuation": false}}});
    let f = run_over(vec![name("FOO  BAR@@", 0.0, 2.0, 5), name("foo bar", 3.0, 4.0, 5)], strict);
    // Padding goes even with every folding off: the shown value is as reported.
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15)]);
    assert_eq!(f.expect("f").evidence["identity_changes"][0]["before"]["value"], "FOO  BAR@@");
}

#[test]
fn placeholders_and_invalid_imos_are_ignored() {
    assert!(run_over(vec![name("FOO", 0.0, 2.0, 5), name("UNKNOWN", 3.0, 4.0, 50)], Value::Null).is_none());
    assert!(run_over(vec![name("FOO", 0.0, 2.0, 5), name("n/a", 3.0, 4.0, 50)], Value::Null).is_none());
    // IMO 0 is "not available"; 1234568 fails the check digit (1234567 would pass).
    assert!(run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(0, 3.0, 4.0, 50)], Value::Null).is_none());
    assert!(run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(1_234_568, 3.0, 4.0, 50)], Value::Null).is_none());
    let lax = json!({"identity": {"imo_check_digit": false}});
    assert_eq!(
        patterns(&run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(1_234_568, 3.0, 4.0, 50)], lax)),
        [("identity_change".to_string(), 30)]
    );
    // The placeholder list is a parameter, replaced whole.
    let mine = json!({"identity": {"placeholders": ["FOO"]}});
    assert!(run_over(vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 4.0, 5)], mine.clone()).is_none());
    assert!(run_over(vec![name("BAR", 0.0, 2.0, 5), name("UNKNOWN", 3.0, 4.0, 5)], mine).is_some());
}

#[test]
fn an_imo_change_weighs_more_and_fields_can_be_turned_off() {
    let f = run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(9_176_187, 3.0, 4.0, 5)], Value::Null);
    assert_eq!(patterns(&f), [("identity_change".to_string(), 30)]);
    assert_eq!((f.as_ref().and_then(|f| f.score), f.as_ref().map(|f| f.level.as_str())), (Some(30), Some("MEDIUM")));
    let off = json!({"identity": {"fields": {"imo": false}}});
    assert!(run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(9_176_187, 3.0, 4.0, 5)], off).is_none());
    let pts = json!({"identity": {"points": {"imo": 45}}});
    assert_eq!(patterns(&run_over(vec![imo(9_074_729, 0.0, 2.0, 5), imo(9_176_187, 3.0, 4.0, 5)], pts))[0].1, 45);
    // Name and IMO both changing: points add up, once per field.
    let rows = vec![
        IdentityObservation {
            identity: Identity { name: Some("FOO".into()), imo: Some(9_074_729), ..Identity::default() },
            ..name("", 0.0, 2.0, 5)
        },
        IdentityObservation {
            identity: Identity { name: Some("BAR".into()), imo: Some(9_176_187), ..Identity::default() },
            ..name("", 3.0, 4.0, 5)
        },
    ];
    assert_eq!(patterns(&run_over(rows, Value::Null)), [("identity_change".to_string(), 45)]);
}

#[test]
fn flip_flop_is_judged_on_the_sequence_just_inside_and_just_outside() {
    // FOO until 1 h, BAR from 2 h to 8 h, FOO again at 10 h: FOO was away 9 hours.
    let rows = || vec![name("FOO", 0.0, 1.0, 20), name("BAR", 2.0, 8.0, 10), name("FOO", 10.0, 10.5, 3)];
    let f = run_over(rows(), Value::Null);
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15), ("identity_flip_flop".to_string(), 40)]);
    let f = f.expect("f");
    assert_eq!((f.score, f.level.as_str()), (Some(55), "HIGH"));
    let list = f.evidence["identity_changes"].as_array().expect("list");
    assert_eq!(list.len(), 2, "FOO → BAR and the return BAR → FOO are both changes");
    assert_eq!((list[0]["kind"].as_str(), list[0]["flip_flop"].as_bool()), (Some("renaming"), Some(false)));
    assert_eq!(
        (list[1]["kind"].as_str(), list[1]["flip_flop"].as_bool(), list[1]["away_hours"].as_f64()),
        (Some("return_to_earlier"), Some(true), Some(9.0))
    );
    assert!(f.breakdown[1].description_en.contains("two transmitters"), "{}", f.breakdown[1].description_en);
    assert_eq!(patterns(&run_over(rows(), json!({"identity": {"flip_flop_hours": 9.0}}))).len(), 2);
    let outside = run_over(rows(), json!({"identity": {"flip_flop_hours": 8.9}}));
    assert_eq!(patterns(&outside), [("identity_change".to_string(), 15)]);
    assert_eq!(outside.expect("f").evidence["identity_changes"][1]["kind"], "return_to_earlier");
}

#[test]
fn a_name_alternating_within_two_hours_fires_although_its_ranges_span_days() {
    // FOO is the name for days on either side; BAR shows for 20 minutes in between,
    // FOO comes back 70 minutes after it was last seen.
    let rows = vec![
        name("FOO", -72.0, 5.0, 400),
        name("BAR", 5.5, 5.83, 4),
        name("FOO", 6.17, 60.0, 300),
        name("BAR", 61.0, 61.5, 3),
    ];
    let f = run_window(rows, Value::Null, h(-1.0), h(24.0));
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15), ("identity_flip_flop".to_string(), 40)]);
    let list = f.expect("f").evidence["identity_changes"].as_array().cloned().expect("list");
    assert_eq!(list.len(), 2, "the window holds FOO → BAR and BAR → FOO, not the later BAR: {list:?}");
    assert_eq!(list[1]["away_hours"], 1.17);
}

#[test]
fn a_return_long_after_is_a_change_but_no_flip_flop() {
    let rows = vec![name("FOO", -200.0, -150.0, 20), name("BAR", -100.0, -50.0, 20), name("FOO", 3.0, 4.0, 5)];
    let f = run_over(rows, Value::Null);
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15)]);
    let c = &f.expect("f").evidence["identity_changes"][0];
    assert_eq!((c["kind"].as_str(), c["flip_flop"].as_bool()), (Some("return_to_earlier"), Some(false)));
}

#[test]
fn a_name_garbled_in_a_few_characters_is_a_corrupted_reception_not_a_renaming() {
    // 6-bit garbling of two characters in 14, seen in a few messages between the real
    // name's runs.
    let garbled = || {
        vec![
            name("OCEAN PIONEER 7", 0.0, 2.0, 40),
            name("OCEAN PIONKER 1", 2.5, 2.6, 3),
            name("OCEAN PIONEER 7", 3.0, 8.0, 50),
        ]
    };
    let report = lookout_detect::identity::changes::analyse(
        &garbled(),
        h(-1.0),
        h(24.0),
        &lookout_detect::identity::changes::IdentityParams::default(),
    );
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(report.corrupted.len(), 1);
    assert_eq!((report.corrupted[0].value.as_str(), report.corrupted[0].edits), ("OCEAN PIONKER 1", 2));
    assert!(run_over(garbled(), Value::Null).is_none(), "no renaming, so no finding");
    // With a real renaming too, the finding says which is which.
    let mut rows = garbled();
    rows.push(name("SEA FALCON", 12.0, 14.0, 30));
    let f = run_over(rows, Value::Null).expect("finding");
    assert_eq!(f.evidence["identity_changes"].as_array().map(Vec::len), Some(1));
    assert_eq!(f.evidence["identity_changes"][0]["after"]["value"], "SEA FALCON");
    let note = &f.evidence["identity_corrupted_receptions"][0];
    assert_eq!(
        (note["value"].as_str(), note["taken_for"].as_str()),
        (Some("OCEAN PIONKER 1"), Some("OCEAN PIONEER 7"))
    );
    // Off, or a short name (three characters allow no edit): a change again.
    assert!(run_over(garbled(), json!({"identity": {"corruption": {"max_edits": 0}}})).is_some());
    assert!(run_over(
        vec![name("FOO", 0.0, 2.0, 40), name("FOX", 2.5, 2.6, 3), name("FOO", 3.0, 8.0, 50)],
        Value::Null
    )
    .is_some());
    // Three edits in fifteen characters are allowed, four are not.
    let with = |v: &str| {
        vec![name("OCEAN PIONEER 7", 0.0, 2.0, 40), name(v, 2.5, 2.6, 3), name("OCEAN PIONEER 7", 3.0, 8.0, 50)]
    };
    assert!(run_over(with("OCEAN PXONKER 1"), Value::Null).is_none());
    assert!(run_over(with("OCXAN PXONKER 1"), Value::Null).is_some());
    // The value seen less is the corruption, whichever came first.
    let f = run_over(vec![name("OCEAN PIONKER 1", 0.0, 0.5, 3), name("OCEAN PIONEER 7", 1.0, 8.0, 50)], Value::Null);
    assert!(f.is_none(), "{f:?}");
}

#[test]
fn two_near_names_both_reported_at_their_own_rate_are_a_flip_flop_not_a_corruption() {
    // Fleet sisters on one MMSI: one character apart, each reported regularly.
    let rows = || vec![name("HAI DA 1", 0.0, 1.0, 12), name("HAI DA 2", 1.2, 2.0, 8), name("HAI DA 1", 2.2, 3.0, 10)];
    let f = run_over(rows(), Value::Null);
    assert_eq!(patterns(&f), [("identity_change".to_string(), 15), ("identity_flip_flop".to_string(), 40)]);
    assert_eq!(f.expect("f").evidence["identity_corrupted_receptions"], Value::Null);
    // 22 against 8 is under the ratio of 5; at a ratio of 2 the rarer is a corruption.
    assert!(run_over(rows(), json!({"identity": {"corruption": {"min_ratio": 2.0}}})).is_none());
}

#[test]
fn stray_characters_after_trailing_spaces_and_commas_are_not_changes() {
    let rows = vec![name("FOO BAR", 0.0, 2.0, 40), name("FOO BAR      X", 3.0, 4.0, 30), name("FOO,BAR", 5.0, 6.0, 30)];
    assert!(run_over(rows, Value::Null).is_none());
}

#[test]
fn a_change_belongs_to_the_window_holding_the_new_value_first_sighting() {
    let rows = || vec![name("FOO", 0.0, 2.0, 5), name("BAR", 3.0, 4.0, 5)];
    // Window start is exclusive, window end inclusive.
    assert!(run_window(rows(), Value::Null, h(-1.0), h(2.999)).is_none());
    assert!(run_window(rows(), Value::Null, h(-1.0), h(3.0)).is_some());
    let later = run_window(rows(), Value::Null, h(3.0), h(24.0));
    assert!(later.is_none(), "{later:?}");
}

#[test]
fn params_merge_strictly_and_stored_versions_without_identity_still_merge() {
    let d = SpoofingDetector;
    let mut old = d.default_params();
    old.as_object_mut().expect("object").remove("identity");
    let merged = d.merge_params(&old, &json!({"identity": {"min_reports": 5}})).expect("merges");
    assert_eq!(merged["identity"]["min_reports"], 5);
    assert_eq!(merged["identity"]["points"]["imo"], 30);
    let err = d.merge_params(&d.default_params(), &json!({"identity": {"min_report": 5}})).expect_err("unknown key");
    assert_eq!(err.path, "identity.min_report");
    let err = d.merge_params(&d.default_params(), &json!({"identity": {"min_reports": 1.5}})).expect_err("type");
    assert_eq!(err.path, "identity.min_reports");
    let err = d.merge_params(&d.default_params(), &json!({"identity": {"flip_flop_hours": -1.0}})).expect_err("range");
    assert_eq!(err.path, "identity.flip_flop_hours");
}

#[test]
fn history_days_just_inside_and_just_outside() {
    // FOO last seen 240 h before the window start (t0 - 1 h), BAR inside the window.
    let rows = || vec![name("FOO", -250.0, -241.0, 5), name("BAR", 3.0, 4.0, 5)];
    assert!(run_over(rows(), Value::Null).is_some(), "90 days by default");
    assert!(run_over(rows(), json!({"identity": {"history_days": 10.0}})).is_some());
    assert!(run_over(rows(), json!({"identity": {"history_days": 9.99}})).is_none());
    let err = SpoofingDetector
        .merge_params(&SpoofingDetector.default_params(), &json!({"identity": {"history_days": 1e9}}))
        .expect_err("range");
    assert_eq!(err.path, "identity.history_days");
}
