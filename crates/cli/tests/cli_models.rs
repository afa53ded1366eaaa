//! `lookout models ...`: the registry lifecycle, its audit trail and shadow runs.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout")
        .expect("binary")
        .env_remove("LOOKOUT_DB")
        .env("USER", "tester")
        .args(args)
        .output()
        .expect("run")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: Output) -> String {
    assert!(!o.status.success(), "expected a failure: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn draft_promote_rollback_with_audit_trail() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("m.db");
    let db = db.to_str().expect("p");
    let m = |args: &[&str]| lookout(&[&["models", "--db", db][..], args].concat());

    // First start: the defaults in code are version 1, ACTIVE.
    let list = ok(m(&["list"]));
    assert!(list.contains("dark_suspicion — 다크 선박 의심도"), "{list}");
    assert!(list.contains("  v1   ACTIVE "), "{list}");
    let v1: serde_json::Value = serde_json::from_str(&ok(m(&["show", "dark_suspicion"]))).expect("json");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["params"]["weights"]["out_of_coverage"], -50);

    let t = "2024-06-01T09:00:00Z";
    let created = ok(m(&[
        "create",
        "dark_suspicion",
        "--params",
        r#"{"weights": {"out_of_coverage": -30}, "p5_daytime_range": [5, 19]}"#,
        "--actor",
        "kim",
        "--reason",
        "coverage gaps near the coast",
        "--now",
        t,
    ]));
    assert!(created.contains("created dark_suspicion@2 (DRAFT)"), "{created}");
    let diff = ok(m(&["diff", "dark_suspicion", "1", "2"]));
    assert_eq!(
        diff.lines().collect::<Vec<_>>(),
        [
            "dark_suspicion: version 1 → 2",
            "  p5_daytime_range: [6,18] → [5,19]",
            "  weights.out_of_coverage: -50 → -30"
        ]
    );
    // A bad override names the key path and creates nothing.
    assert!(err(m(&["create", "dark_suspicion", "--params", r#"{"weights": {"P1_moving_of": 3}}"#]))
        .contains("weights.P1_moving_of: unknown key"));
    // Only a DRAFT can be promoted.
    assert!(err(m(&["promote", "dark_suspicion", "1", "--now", t])).contains("version 1 is ACTIVE, expected DRAFT"));

    ok(m(&[
        "promote",
        "dark_suspicion",
        "2",
        "--actor",
        "lee",
        "--reason",
        "reviewed",
        "--now",
        "2024-06-02T09:00:00Z",
    ]));
    let list = ok(m(&["list"]));
    assert!(list.contains("  v1   ARCHIVED") && list.contains("  v2   ACTIVE"), "{list}");
    let active: serde_json::Value = serde_json::from_str(&ok(m(&["show", "dark_suspicion"]))).expect("json");
    assert_eq!(active["version"], 2);

    let back = ok(m(&["rollback", "dark_suspicion", "--reason", "too many alerts", "--now", "2024-06-03T09:00:00Z"]));
    assert!(back.contains("dark_suspicion@1 is now ACTIVE"), "{back}");
    let list = ok(m(&["list"]));
    assert!(list.contains("  v1   ACTIVE") && list.contains("  v2   ARCHIVED"), "{list}");

    let history = ok(m(&["history", "dark_suspicion"]));
    let rows: Vec<&str> = history.lines().collect();
    assert_eq!(rows.len(), 4, "{history}");
    assert!(rows[0].contains(" seed ") && rows[0].contains("active null → 1"), "{}", rows[0]);
    assert!(rows[1].starts_with("2024-06-01T09:00:00+00:00  create") && rows[1].contains("by kim"), "{}", rows[1]);
    assert!(rows[1].contains("reason: coverage gaps near the coast (from version 1)"), "{}", rows[1]);
    assert!(
        rows[2].starts_with("2024-06-02T09:00:00+00:00  promote") && rows[2].contains("active 1 → 2"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains("rollback") && rows[3].contains("by tester") && rows[3].contains("active 2 → 1"),
        "{}",
        rows[3]
    );
}

#[test]
fn shadow_reports_changes_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let db_s = db.to_str().expect("p");
    let data = repo().join("data/demo/shipstrike_kitimat_2019-07-01_14.csv.gz");
    let params = repo().join("data/demo/params.json");
    let params = params.to_str().expect("p");
    ok(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]));
    assert!(err(lookout(&["models", "--db", db_s, "shadow", "dark_suspicion", "1"])).contains("no cycle has run yet"));
    for day in ["2019-07-08T00:00:00Z", "2019-07-09T00:00:00Z", "2019-07-10T00:00:00Z"] {
        ok(lookout(&["analyze", "--db", db_s, "--at", day, "--params", params]));
    }
    ok(lookout(&[
        "models",
        "--db",
        db_s,
        "create",
        "dark_suspicion",
        "--params",
        r#"{"weights": {"P7_unpermitted": 20}}"#,
    ]));
    let bytes = std::fs::read(&db).expect("db");
    let out = ok(lookout(&["models", "--db", db_s, "shadow", "dark_suspicion", "2", "--params", params]));
    assert_eq!(std::fs::read(&db).expect("db"), bytes, "a shadow run writes nothing");
    assert!(
        out.contains(
            "shadow run of dark_suspicion@2 beside ACTIVE dark_suspicion@1 on the cycle 2019-07-09T00:00:00+00:00"
        ),
        "{out}"
    );
    assert!(out.contains("weights.P7_unpermitted: 10 → 20"), "{out}");
    // Unpermitted vessels gain 10 points: some move up, none down.
    assert!(out.contains("dark_suspicion: ") && out.contains(" down"), "{out}");
    let dark = out.lines().find(|l| l.starts_with("dark_suspicion: ")).expect("dark line");
    assert!(dark.ends_with("vessels up, 0 down") && !dark.starts_with("dark_suspicion: 0 vessels up"), "{dark}");
    // The same version beside itself changes nothing.
    let same = ok(lookout(&["models", "--db", db_s, "shadow", "dark_suspicion", "1", "--params", params]));
    assert!(
        same.contains("no vessel changes level") && same.contains("findings: 0 added, 0 removed, 0 changed"),
        "{same}"
    );
}
