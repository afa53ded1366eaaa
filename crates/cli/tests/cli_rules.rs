//! `lookout rules plan|dry-run` end to end.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lookout_engine::rules::RuleSet;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lookout(args: &[&str]) -> Output {
    Command::cargo_bin("lookout").expect("binary").env_remove("LOOKOUT_DB").args(args).output().expect("run lookout")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn plan_of_the_shipped_rules() {
    let out = lookout(&["rules", "plan"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    // The shipped file grows with the detectors; the dark pair's shape is fixed: gaps
    // at level 0, dark_suspicion after it at level 1.
    let n = RuleSet::builtin().expect("rules").rules.len();
    assert_eq!(lines[0], format!("plan: {n} rules in 2 stages, mode hybrid, concurrency 2"));
    assert!(lines[1].starts_with("stage 1 (level 0): "), "{text}");
    let gaps = lines.iter().position(|l| l.starts_with("  gaps ")).expect("gaps line");
    let stage2 = lines.iter().position(|l| l.starts_with("stage 2 (level 1): ")).expect("stage 2");
    let dark = lines.iter().position(|l| l.starts_with("  dark_suspicion ")).expect("dark line");
    assert!(gaps < stage2 && stage2 < dark, "{text}");
    assert!(lines[gaps].contains("model gaps@active") && lines[gaps].ends_with("depends on -"), "{text}");
    assert!(
        lines[dark].contains("model dark_suspicion@active")
            && lines[dark].ends_with("depends on gaps; uses reception if it succeeds"),
        "{text}"
    );
    assert!(text.contains("dark_suspicion  vessel  다크 선박 의심도 / Dark vessel suspicion"), "{text}");
}

#[test]
fn invalid_rules_files_name_the_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        ("[[rules]]\nid='a'\nalgorithm='gaps'\ndepends_on=['b']\n[[rules]]\nid='b'\nalgorithm='gaps'\ndepends_on=['a']\n", "dependency cycle: a -> b -> a"),
        ("[[rules]]\nid='a'\nalgorithm='radar'\n", "unknown algorithm 'radar'"),
        ("[[rules]]\nid='a'\nalgorithm='gaps'\n[[rules]]\nid='a'\nalgorithm='gaps'\n", "duplicate rule id 'a'"),
        ("[[rules]]\nid='a'\nalgorithm='gaps'\ndepends_on=['zz']\n", "depends on 'zz', which is not defined"),
        ("[[rules]]\nid='a'\nalgorithm='gaps'\nenabled=false\n[[rules]]\nid='b'\nalgorithm='gaps'\ndepends_on=['a']\n", "depends on 'a', which is disabled"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("r{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let out = lookout(&["rules", "plan", "--rules", path.to_str().expect("p")]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(expected), "{expected:?} not in {}", stderr(&out));
    }
}

fn files(db: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(bytes) = std::fs::read(&p) {
            out.push((suffix.to_string(), bytes));
        }
    }
    out
}

#[test]
fn dry_run_writes_nothing_and_estimates_from_recorded_statistics() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("t.db");
    let db_s = db.to_str().expect("p");
    let data = repo().join("data/demo/shipstrike_kitimat_2019-07-01_14.csv.gz");
    assert!(lookout(&["ingest", "--db", db_s, data.to_str().expect("p")]).status.success());
    let at = ["--at", "2019-07-08T00:00:00Z"];

    // No cycle yet: no history, so no estimate (never a made-up constant).
    let before = files(&db);
    let out = lookout(&[&["rules", "dry-run", "--db", db_s][..], &at[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(files(&db), before, "the store is byte-identical after a dry run");
    let n = RuleSet::builtin().expect("rules").rules.len();
    assert!(text.contains(&format!("plan: {n} rules in 2 stages")), "{text}");
    assert!(text.contains("gaps             no history"), "{text}");
    assert!(text.contains("total: unknown"), "{text}");
    let input_line =
        text.lines().find(|l| l.starts_with("input: window 2019-07-07T00:00:00+00:00")).expect("input line");
    assert!(input_line.contains("vessels") && input_line.contains("positions in the window"), "{input_line}");

    // After two cycles the estimate comes from their statistics.
    for day in ["2019-07-07T00:00:00Z", "2019-07-08T00:00:00Z"] {
        let a = lookout(&["analyze", "--db", db_s, "--at", day]);
        assert!(a.status.success(), "{}", stderr(&a));
    }
    let before = files(&db);
    let out = lookout(&[&["rules", "dry-run", "--db", db_s, "--mode", "sequential"][..], &at[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(files(&db), before, "the store is byte-identical after a dry run");
    assert!(!text.contains("no history"), "{text}");
    let gaps = text.lines().find(|l| l.trim_start().starts_with("gaps ") && l.contains(" ms")).expect("gaps estimate");
    assert!(gaps.contains("µs per entity") && gaps.contains("2 cycles"), "{gaps}");
    assert!(text.contains("total (sequential):"), "{text}");
}
