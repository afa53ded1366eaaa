//! `lookout analyze --zones`: the shipped zone files through the rule engine, and zone
//! files that cannot be used.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lookout_detect::zones::ZoneSet;
use lookout_detect::{ZoneClass, ZoneClassifier};
use lookout_store::{CycleKey, SqliteStore, Store};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").env_remove("LOOKOUT_DB").args(args).output().expect("run lookout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn analyze_with_the_demo_zones_finds_zone_episodes_and_feeds_p2_exactly_where_gaps_start_in_a_zone() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db_s = db.to_str().expect("p");
    let data = repo().join("data/demo/shipstrike_kitimat_2019-07-01_14.csv.gz");
    assert!(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]).status.success());
    let zones = repo().join("data/zones/kitimat_demo.geojson");
    let pmz = repo().join("data/zones/korea_china_pmz.geojson");
    let at = ["--at", "2019-07-08T00:00:00Z", "--now", "2019-07-08T00:00:00Z"];
    let with = lookout(
        &[&["analyze", "--db", db_s, "--zones", zones.to_str().expect("p"), pmz.to_str().expect("p")][..], &at[..]]
            .concat(),
    );
    assert!(with.status.success(), "{}", stderr(&with));
    let key = CycleKey {
        window_start: "2019-07-07T00:00:00Z".parse().expect("t"),
        window_end: "2019-07-08T00:00:00Z".parse().expect("t"),
    };
    let rows = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    let zone_rows: Vec<_> = rows.iter().filter(|f| f.detector == "zones").collect();
    assert!(!zone_rows.is_empty(), "vessels cross the illustrative special zone");
    // The Kitimat ids are anonymised: no flag, so every entry is unverified and LOW.
    assert!(zone_rows.iter().all(|f| f.evidence["zone"] == "ZONE_KITIMAT_DEMO" && f.level == "LOW"));
    assert!(zone_rows.iter().all(|f| f.breakdown.iter().any(|b| b.pattern == "flag_unknown")));
    // P2: exactly the dark gaps that start inside a special zone score `special_zone`.
    let mut set = ZoneSet::from_geojson(&std::fs::read_to_string(&zones).expect("read")).expect("zones");
    set.extend(ZoneSet::from_geojson(&std::fs::read_to_string(&pmz).expect("read")).expect("zones"));
    let dark: Vec<_> = rows.iter().filter(|f| f.detector == "dark_suspicion").collect();
    assert!(!dark.is_empty());
    for f in &dark {
        let (lat, lon) = (f.evidence["gap_start"]["lat"].as_f64(), f.evidence["gap_start"]["lon"].as_f64());
        let (Some(lat), Some(lon)) = (lat, lon) else { panic!("gap start in {f:?}") };
        let in_special = matches!(set.classify(lat, lon), Some(ZoneClass::Special(_)));
        let scored = f.breakdown.iter().any(|b| b.pattern == "special_zone");
        assert_eq!(scored, in_special, "{} at {lat},{lon}", f.vessel);
    }
    let p2 = dark.iter().filter(|f| f.breakdown.iter().any(|b| b.pattern == "special_zone")).count();

    // The table ends with the highest composite risks; each line's shares add up to it.
    let table = String::from_utf8_lossy(&with.stdout).to_string();
    let risks: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("highest composite risk"))
        .skip(1)
        .take_while(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(risks.len(), 10, "{table}");
    for line in risks {
        let (head, parts) = line.split_once(" = ").expect("risk line");
        let total: i64 = head.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("score");
        let shares: i64 = parts
            .split(" + ")
            .map(|p| p.split_whitespace().nth(1).and_then(|n| n.parse::<i64>().ok()).expect("share"))
            .sum();
        assert_eq!(shares, total, "{line}");
    }

    // Without zones the zones rule finds nothing and P2 never fires.
    let without = lookout(&[&["analyze", "--db", db_s][..], &at[..]].concat());
    assert!(without.status.success(), "{}", stderr(&without));
    let rows = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
    assert!(rows.iter().all(|f| f.detector != "zones"));
    assert!(rows.iter().all(|f| f.breakdown.iter().all(|b| b.pattern != "special_zone")));
    println!("zones findings {}, dark findings with P2 special_zone {p2} of {}", zone_rows.len(), dark.len());
}

#[test]
fn bad_zone_files_are_errors_naming_the_file_and_feature() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone":"HIGH_SEAS"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#,
    )
    .expect("write");
    let data = repo().join("data/demo/dma_collision_2021-12-13_219021240_232018267.csv");
    assert!(lookout(&["ingest", "--db", db.to_str().expect("p"), data.to_str().expect("p")]).status.success());
    let out = lookout(&["analyze", "--db", db.to_str().expect("p"), "--zones", bad.to_str().expect("p")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.geojson") && err.contains("feature 0: unknown zone 'HIGH_SEAS'"), "{err}");
    let missing = dir.path().join("missing.geojson");
    let out = lookout(&["analyze", "--db", db.to_str().expect("p"), "--zones", missing.to_str().expect("p")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing.geojson"), "{}", stderr(&out));
}

/// The global satellite NMEA of the demo against the shipped approximate world zones, then
/// the same zones relabelled as Marine Regions ships its files: the same intrusions by
/// vessels of known flag, only the approximate mark differs.
#[test]
fn eez_intrusions_from_the_approximate_world_zones_and_from_a_marine_regions_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db_s = db.to_str().expect("p");
    let data = repo().join("data/demo/gfw_listener_nmea-with-tagblock.txt.gz");
    assert!(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]).status.success());
    let world = repo().join("data/zones/world_approx_zones.geojson.gz");
    let at = ["--at", "2022-11-11T00:00:00Z", "--now", "2022-11-11T00:00:00Z"];
    let key = CycleKey {
        window_start: "2022-11-10T00:00:00Z".parse().expect("t"),
        window_end: "2022-11-11T00:00:00Z".parse().expect("t"),
    };
    let zone_findings = |zones: &Path| {
        let out = lookout(&[&["analyze", "--db", db_s, "--zones", zones.to_str().expect("p")][..], &at[..]].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        let rows = SqliteStore::open(&db).expect("open").cycle_findings(&key).expect("rows");
        rows.into_iter().filter(|f| f.detector == "zones").collect::<Vec<_>>()
    };

    let approx = zone_findings(&world);
    let set = ZoneSet::from_geojson(&gunzip(&world)).expect("world zones");
    let eez = approx.iter().filter(|f| f.evidence["zone"] == "EEZ").count();
    assert!(eez > 0, "a global feed crosses EEZs");
    for f in &approx {
        assert_eq!(f.evidence["zone_approximate"], true, "{f:?}");
        assert!(f.breakdown.iter().any(|b| b.pattern.ends_with("_intrusion")), "{f:?}");
        // The flag is never the zone's own, and the entry point lies in that state's band.
        let countries: Vec<String> = serde_json::from_value(f.evidence["zone_countries"].clone()).expect("countries");
        assert!(f.evidence["flag"].as_str().is_none_or(|flag| !countries.iter().any(|c| c == flag)), "{f:?}");
        let (lat, lon) =
            (f.evidence["enter"]["lat"].as_f64().expect("lat"), f.evidence["enter"]["lon"].as_f64().expect("lon"));
        let here = set.zones_at(lat, lon);
        assert!(here.iter().any(|z| z.code == f.evidence["zone"] && z.countries == countries), "{f:?}");
    }

    // The same polygons with Marine Regions' attribute names (alpha-3 sovereign, POL_TYPE).
    let mr = dir.path().join("eez_v12_style.geojson");
    std::fs::write(&mr, marine_regions_style(&gunzip(&world))).expect("write");
    let authoritative = zone_findings(&mr);
    let pairs = |fs: &[lookout_model::Finding]| {
        let mut v: Vec<(String, String, Option<i64>)> =
            fs.iter().map(|f| (f.vessel.to_string(), f.evidence["zone"].to_string(), f.score)).collect();
        v.sort();
        v
    };
    // An authoritative file also judges vessels of unknown flag; an approximate one does not.
    assert!(approx.iter().all(|f| f.evidence["flag"].is_string()));
    let known: Vec<_> = authoritative.iter().filter(|f| f.evidence["flag"].is_string()).cloned().collect();
    assert!(known.len() < authoritative.len(), "the feed has ids of unknown flag");
    assert_eq!(pairs(&known), pairs(&approx));
    assert!(authoritative.iter().all(|f| f.evidence["zone_approximate"] == false));
    println!("{} zone findings, {eez} in an EEZ", approx.len());
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    let file = std::fs::File::open(path).expect("open");
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).expect("gzip");
    text
}

/// The shipped world zones rewritten as a Marine Regions download: no `zone`, `POL_TYPE`,
/// `ISO_SOV1` in alpha-3, `GEONAME`.
fn marine_regions_style(world: &str) -> String {
    let alpha3: std::collections::BTreeMap<String, String> =
        std::fs::read_to_string(repo().join("crates/detect/data/iso3166.csv"))
            .expect("iso table")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let a3 = f.next()?.to_string();
                Some((f.next()?.to_string(), a3))
            })
            .collect();
    let mut doc: serde_json::Value = serde_json::from_str(world).expect("json");
    for f in doc["features"].as_array_mut().expect("features") {
        let p = &f["properties"];
        let pol = match p["zone"].as_str().expect("zone") {
            "TERRITORIAL_SEA" => "12NM",
            "CONTIGUOUS_ZONE" => "24NM",
            _ => "200NM",
        };
        let iso = alpha3[p["country"].as_str().expect("country")].clone();
        let name = p["name"].as_str().expect("name").replace(" (APPROXIMATE)", "");
        f["properties"] = serde_json::json!({"MRGID": 1, "GEONAME": name, "POL_TYPE": pol, "ISO_SOV1": iso});
    }
    doc.to_string()
}
