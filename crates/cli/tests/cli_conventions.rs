//! Command-line conventions, on every subcommand, through the real binary on a real store
//! (the Kitimat AIS slice ingested and analysed):
//! * global options (`--db`, `--log`) and the options a whole group shares (`rules
//!   --mode`, `bench --threads/--json`, `silences --now`) go before or after the
//!   subcommand, with the same result;
//! * a closed stdout (`| head`) ends every command quietly with status 0;
//! * the list commands print `--format table|json|csv`;
//! * `lookout completions SHELL` prints a completion script naming the subcommands.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const AT: &str = "2019-07-08T00:00:00Z";
const LATER: &str = "2019-07-08T06:00:00Z";
const KITIMAT: &str = "shipstrike_kitimat_2019-07-01_14.csv.gz";
const DMA: &str = "dma_collision_2021-12-13_219021240_232018267.csv";

/// Real sentences (pyais and GFW ais-listener samples), as in `cli_bench.rs`.
const NMEA: &str = "\
!AIVDM,1,1,,A,33P;Tw0tjBQO22:E7dm66DrB20UP,0*2E
!AIVDM,1,1,,B,35VwAv0300QcEQ`EGcpN40jD0PUQ,0*61
!AIVDM,1,1,,A,13RlIW?04F1beOVEFLB9bRvH0L0L,0*6C
\\g:1-2-7218,s:117,c:1668046497*74\\!AIVDM,2,1,9,,5815Njh2Bah1KL7CGG<HUHu>2222222222222216D@LB>6jm0@CSmSlS,0*62
\\g:2-2-7218*51\\!AIVDM,2,2,9,,lljFDjp88888880,2*26
";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_file(name: &str) -> PathBuf {
    repo().join("data/demo").join(name)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The binary run in `cwd` with no `$LOOKOUT_DB`, so only `--db` can name the store.
fn lookout_in(cwd: &Path, args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lookout"));
    c.current_dir(cwd).env_remove("LOOKOUT_DB").env_remove("RUST_LOG").env("USER", "tester").args(args);
    c
}

fn run(cwd: &Path, args: &[String]) -> Output {
    lookout_in(cwd, args).output().expect("run lookout")
}

fn ok(cwd: &Path, args: &[String]) -> String {
    let o = run(cwd, args);
    assert!(o.status.success(), "lookout {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8 output")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A store after one analysed day, with events in every lifecycle state the steps need,
/// a silence and three versions of the dark model; plus small input files.
struct Fixture {
    dir: tempfile::TempDir,
    /// The prepared store; each command runs on a fresh copy (`work.db`).
    prepared: PathBuf,
    new_event: String,
    acked_event: String,
    confirmed_event: String,
    silence: String,
    /// A viewer token's id.
    token: String,
    /// Where `replay` sends its datagrams (a socket that stays open for the test).
    udp: std::net::UdpSocket,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().to_path_buf();
        let prepared = root.join("prepared.db");
        let db = s(&prepared);
        let at = |args: &[&str]| ok(&root, &strings(args));
        at(&["ingest", "--db", &db, &s(&demo_file(KITIMAT))]);
        let params = s(&demo_file("params.json"));
        at(&["analyze", "--db", &db, "--at", AT, "--now", AT, "--params", &params, "--no-log-sink"]);
        let events: Value =
            serde_json::from_str(&at(&["events", "list", "--db", &db, "--format", "json"])).expect("json");
        let ids: Vec<String> =
            events.as_array().expect("array").iter().map(|e| e["id"].as_str().expect("id").to_string()).collect();
        assert!(ids.len() >= 4, "the Kitimat day raises events: {ids:?}");
        for id in &ids[1..3] {
            at(&["events", "ack", id, "--db", &db, "--now", LATER, "--no-log-sink"]);
        }
        at(&["events", "confirm", &ids[2], "--db", &db, "--now", LATER, "--no-log-sink"]);
        at(&[
            "silences",
            "add",
            "category=DARK_VESSEL",
            "--db",
            &db,
            "--author",
            "tester",
            "--comment",
            "checked",
            "--duration",
            "12h",
            "--now",
            AT,
        ]);
        let silences: Value =
            serde_json::from_str(&at(&["silences", "list", "--db", &db, "--now", AT, "--json"])).expect("json");
        let silence = silences[0]["id"].as_str().expect("silence id").to_string();
        at(&["tokens", "create", "--db", &db, "--role", "viewer", "--name", "fixture"]);
        let token = at(&["tokens", "list", "--db", &db]).split_whitespace().next().expect("token id").to_string();
        let change = ["--actor", "tester", "--reason", "test", "--now", AT];
        let m = |args: &[&str]| at(&[&["models", "--db", &db][..], args, &change].concat());
        m(&["create", "dark_suspicion", "--params", r#"{"weights": {"out_of_coverage": -30}}"#]);
        m(&["promote", "dark_suspicion", "2"]);
        m(&["create", "dark_suspicion", "--params", r#"{"weights": {"out_of_coverage": -20}}"#]);
        // Inputs of the commands that use no store.
        std::fs::write(root.join("tiny.nmea"), NMEA).expect("write");
        write_metric_csv(&root.join("metric.csv"));
        let nab = root.join("nab/data/cat");
        std::fs::create_dir_all(&nab).expect("mkdir");
        write_metric_csv(&nab.join("m.csv"));
        std::fs::create_dir_all(root.join("nab/labels")).expect("mkdir");
        std::fs::write(
            root.join("nab/labels/combined_windows.json"),
            r#"{"cat/m.csv": [["2020-01-02 00:00:00.000000", "2020-01-02 02:00:00.000000"]]}"#,
        )
        .expect("write");
        write_positions_csv(&root.join("positions.csv"));
        let demo = root.join("demo-data");
        std::fs::create_dir_all(&demo).expect("mkdir");
        for f in [DMA, "params.json"] {
            std::fs::copy(demo_file(f), demo.join(f)).expect("copy demo data");
        }
        Fixture {
            dir,
            prepared,
            new_event: ids[0].clone(),
            acked_event: ids[1].clone(),
            confirmed_event: ids[2].clone(),
            silence,
            token,
            udp: std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket"),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh copy of the prepared store, always at the same path (so outputs that name
    /// the store compare equal).
    fn work_db(&self) -> String {
        let work = self.root().join("work.db");
        std::fs::copy(&self.prepared, &work).expect("copy store");
        s(&work)
    }

    fn input(&self, name: &str) -> String {
        s(&self.root().join(name))
    }
}

/// A smooth 5-minute metric with one spike: enough points for every detector.
fn write_metric_csv(path: &Path) {
    let mut text = String::from("timestamp,value\n");
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date").and_hms_opt(0, 0, 0).expect("time");
    for i in 0..400i64 {
        let t = start + chrono::Duration::minutes(5 * i);
        let v = 10.0 + (i as f64 / 10.0).sin() + if i == 300 { 30.0 } else { 0.0 };
        text.push_str(&format!("{},{v:.3}\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    std::fs::write(path, text).expect("write metric");
}

/// One vessel reporting every 10 minutes with a 5-hour silence: a dark-model input.
fn write_positions_csv(path: &Path) {
    let mut text = String::from("mmsi,timestamp,lat,lon,sog\n");
    let start = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").expect("time");
    for i in 0..30i64 {
        let t = start + chrono::Duration::minutes(10 * i + if i > 20 { 300 } else { 0 });
        let (lat, lon) = (35.0 + i as f64 * 0.01, 125.0 + i as f64 * 0.01);
        text.push_str(&format!("440123456,{},{lat:.3},{lon:.3},8.0\n", t.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    std::fs::write(path, text).expect("write positions");
}

/// One subcommand with the arguments it needs.
struct Case {
    /// The subcommand words, e.g. `["events", "list"]`.
    path: Vec<String>,
    /// Arguments after the subcommand.
    args: Vec<String>,
    /// Options of the command group: placed right after the group's word, or at the end.
    group_opts: Vec<String>,
    /// Whether the command uses the store (`--db`).
    store: bool,
    /// Whether two runs print the same bytes (not so for timings).
    deterministic: bool,
}

impl Case {
    fn new(path: &str, args: &[&str]) -> Case {
        Case {
            path: path.split(' ').map(str::to_string).collect(),
            args: strings(args),
            group_opts: Vec::new(),
            store: true,
            deterministic: true,
        }
    }
    fn no_store(mut self) -> Case {
        self.store = false;
        self
    }
    fn timed(mut self) -> Case {
        self.deterministic = false;
        self
    }
    fn group_opts(mut self, opts: &[&str]) -> Case {
        self.group_opts = strings(opts);
        self
    }
    fn name(&self) -> String {
        self.path.join(" ")
    }

    /// `lookout --log warn [--db DB] GROUP [GROUP_OPTS] LEAF ARGS`.
    fn options_before(&self, db: &str) -> Vec<String> {
        let mut v = strings(&["--log", "warn"]);
        if self.store {
            v.extend(strings(&["--db", db]));
        }
        v.push(self.path[0].clone());
        v.extend(self.group_opts.iter().cloned());
        v.extend(self.path[1..].iter().cloned());
        v.extend(self.args.iter().cloned());
        v
    }

    /// `lookout GROUP LEAF ARGS [GROUP_OPTS] [--db DB] --log warn`.
    fn options_after(&self, db: &str) -> Vec<String> {
        let mut v = self.path.clone();
        v.extend(self.args.iter().cloned());
        v.extend(self.group_opts.iter().cloned());
        if self.store {
            v.extend(strings(&["--db", db]));
        }
        v.extend(strings(&["--log", "warn"]));
        v
    }
}

/// Every subcommand of the binary, each with arguments that make it succeed and print.
fn cases(f: &Fixture) -> Vec<Case> {
    let (new, acked, confirmed) = (f.new_event.as_str(), f.acked_event.as_str(), f.confirmed_event.as_str());
    let step = |id: &str| vec![id.to_string(), "--now".into(), LATER.into(), "--no-log-sink".into()];
    let step_case = |path: &str, id: &str| {
        let mut c = Case::new(path, &[]);
        c.args = step(id);
        c
    };
    let mut enforce = step_case("events enforce", acked);
    enforce.args.extend(strings(&["--action", "boarding"]));
    let params = s(&demo_file("params.json"));
    let change = ["--actor", "tester", "--reason", "test", "--now", LATER];
    let nmea = f.input("tiny.nmea");
    let dma = s(&demo_file(DMA));
    let udp = format!("udp://{}", f.udp.local_addr().expect("udp address"));
    vec![
        Case::new("demo", &["--data", &f.input("demo-data"), "--top", "1"]),
        Case::new("db migrate", &[]),
        Case::new("db status", &[]),
        Case::new("db prune", &["--keep", "30d", "--now", AT]),
        Case::new("ingest", &[&s(&demo_file(DMA))]),
        Case::new("decode", &[&nmea]).no_store(),
        Case::new("analyze", &["--at", AT, "--now", AT, "--params", &params, "--no-log-sink"]),
        Case::new("events list", &[]),
        Case::new("events show", &[new]),
        step_case("events ack", new),
        step_case("events confirm", acked),
        step_case("events false-positive", acked),
        enforce,
        step_case("events close", confirmed),
        Case::new("alerts list", &["--all"]),
        Case::new("alerts tick", &["--now", LATER, "--no-log-sink"]),
        Case::new("silences add", &["vessel=1345", "--author", "tester", "--comment", "known", "--duration", "2h"])
            .group_opts(&["--now", AT]),
        Case::new("silences list", &[]).group_opts(&["--now", AT]),
        Case::new("silences expire", &[&f.silence]).group_opts(&["--now", LATER]),
        Case::new("outbox list", &[]),
        Case::new("outbox deliver", &["--now", LATER, "--no-log-sink"]),
        Case::new("kpis", &[]),
        Case::new("stats", &["daily"]),
        Case::new("score-dark", &[&f.input("positions.csv")]).no_store(),
        Case::new("bench decode", &[&nmea]).no_store().timed().group_opts(&["--threads", "1", "--json"]),
        Case::new("bench csv", &[&dma]).no_store().timed().group_opts(&["--threads", "1", "--json"]),
        Case::new("bench dark", &[&dma]).no_store().timed().group_opts(&["--threads", "1", "--json"]),
        Case::new("rules plan", &[]).no_store().group_opts(&["--mode", "sequential"]),
        Case::new("rules dry-run", &["--at", AT]).group_opts(&["--mode", "sequential"]),
        Case::new("models list", &[]),
        Case::new("models show", &["dark_suspicion", "2"]),
        Case::new("models create", &[&["gaps", "--params", r#"{"suspicious_sec": 7200}"#][..], &change].concat()),
        Case::new("models diff", &["dark_suspicion", "1", "3"]),
        Case::new("models promote", &[&["dark_suspicion", "3"][..], &change].concat()),
        Case::new("models rollback", &[&["dark_suspicion"][..], &change].concat()),
        Case::new("models history", &["dark_suspicion"]),
        Case::new("models shadow", &["dark_suspicion", "3", "--params", &params]),
        Case::new("anomaly", &[&f.input("metric.csv")]).no_store(),
        Case::new("anomaly nab", &["--data", &f.input("nab/data")]).no_store().timed(),
        Case::new("completions", &["bash"]).no_store(),
        // A random port and a random token: the same shape, not the same bytes.
        Case::new("serve", &["--bind", "127.0.0.1:0", "--check"]).timed(),
        Case::new("tokens create", &["--role", "analyst", "--name", "ana"]).timed(),
        Case::new("tokens list", &[]),
        Case::new("tokens revoke", &[&f.token]),
        Case::new("track", &["1345", "--from", "2019-07-07T00:00:00Z", "--to", AT, "--max-points", "50"]),
        Case::new("export events", &["--format", "csv"]),
        Case::new("export findings", &["--format", "geojson", "--from", "2019-07-07T12:00:00Z"]),
        Case::new("replay", &["--to", &udp, "--speed", "max", &nmea]).no_store().timed(),
    ]
}

/// The subcommand paths `lookout help` lists, down to the leaves (`help` itself aside).
fn leaf_subcommands(cwd: &Path) -> BTreeSet<String> {
    fn children(cwd: &Path, path: &[String]) -> Vec<String> {
        let mut args = vec!["help".to_string()];
        args.extend(path.iter().cloned());
        let help = ok(cwd, &args);
        help.lines()
            .skip_while(|l| l.trim() != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|name| name != "help")
            .collect()
    }
    let mut leaves = BTreeSet::new();
    let mut todo: Vec<Vec<String>> = children(cwd, &[]).into_iter().map(|c| vec![c]).collect();
    while let Some(path) = todo.pop() {
        let below = children(cwd, &path);
        if below.is_empty() {
            leaves.insert(path.join(" "));
        }
        todo.extend(below.into_iter().map(|c| [path.clone(), vec![c]].concat()));
    }
    leaves
}

#[test]
fn the_cases_cover_every_subcommand() {
    let f = Fixture::new();
    let covered: BTreeSet<String> = cases(&f).iter().map(Case::name).collect();
    let leaves = leaf_subcommands(f.root());
    assert!(leaves.len() > 30, "lookout help lists the subcommands: {leaves:?}");
    let missing: Vec<&String> = leaves.difference(&covered).collect();
    assert!(missing.is_empty(), "subcommands without a case: {missing:?}");
}

/// Options before the subcommand and after it: both succeed, print the same (timings
/// aside), and act on the store `--db` names (never the default `lookout.db`).
#[test]
fn global_and_group_options_go_before_or_after_the_subcommand() {
    let f = Fixture::new();
    for case in cases(&f) {
        let before = case.options_before(&f.work_db());
        let out_before = ok(f.root(), &before);
        let after = case.options_after(&f.work_db());
        let out_after = ok(f.root(), &after);
        assert!(!out_before.trim().is_empty(), "{} prints something", case.name());
        if case.deterministic {
            assert_eq!(out_before, out_after, "{before:?} and {after:?} print the same");
        } else {
            assert_eq!(out_before.lines().count(), out_after.lines().count(), "{before:?} vs {after:?}");
        }
    }
    for default in ["lookout.db", "lookout-demo.db"] {
        assert!(!f.root().join(default).exists(), "no command fell back to {default}");
    }
}

/// A placement that really reaches the store: `--db` before or after names the same file
/// (issue 13: `models list --db x.db` failed while `events list --db x.db` worked).
#[test]
fn db_before_or_after_reaches_the_named_store() {
    let f = Fixture::new();
    let db = f.work_db();
    for args in [
        strings(&["models", "list", "--db", &db, "--format", "csv"]),
        strings(&["--db", &db, "models", "list", "--format", "csv"]),
        strings(&["models", "--db", &db, "list", "--format", "csv"]),
    ] {
        let csv = ok(f.root(), &args);
        assert!(csv.contains("dark_suspicion,3,DRAFT"), "{args:?} read the prepared store: {csv}");
    }
    let status = ok(f.root(), &strings(&["db", "status", "--db", &db]));
    assert!(status.contains(&format!("location: {db}")), "{status}");
    assert!(!f.root().join("lookout.db").exists());
}

/// Runs with stdout closed before the command writes anything, as `| head -0` would, or
/// after reading `read_first` bytes, as `| head -c N`.
fn with_closed_stdout(cwd: &Path, args: &[String], read_first: usize) -> Output {
    let mut child = lookout_in(cwd, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn lookout");
    let mut stdout = child.stdout.take().expect("piped stdout");
    if read_first > 0 {
        let mut first = vec![0u8; read_first];
        stdout.read_exact(&mut first).unwrap_or_else(|e| panic!("{args:?} prints {read_first} bytes: {e}"));
    }
    drop(stdout);
    child.wait_with_output().expect("wait for lookout")
}

fn assert_quiet_success(o: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{what}: status {:?} with stdout closed: {stderr}", o.status);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe") && !stderr.contains("error"),
        "{what}: quiet on a closed stdout: {stderr}"
    );
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_status_0() {
    let f = Fixture::new();
    for case in cases(&f) {
        let args = case.options_before(&f.work_db());
        let o = with_closed_stdout(f.root(), &args, 0);
        assert_quiet_success(&o, &case.name());
    }
    // `| head`: the reader takes the first bytes of a long output, then goes.
    // Decoding prints more than a pipe holds (64 KiB), so it is still writing when the
    // reader goes.
    let many = f.root().join("many.nmea");
    std::fs::write(&many, NMEA.repeat(2000)).expect("write");
    let decode = strings(&["decode", &s(&many)]);
    let long = [
        strings(&["demo", "--data", &f.input("demo-data"), "--db", &f.input("demo.db")]),
        strings(&["events", "list", "--db", &f.work_db(), "--format", "json"]),
        strings(&["completions", "zsh"]),
    ];
    for args in long.iter().chain([&decode]) {
        let o = with_closed_stdout(f.root(), args, 64);
        assert_quiet_success(&o, &args.join(" "));
    }
}

/// Parses CSV text: the header and the rows, each checked to have the header's width.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().expect("header row").iter().map(str::to_string).collect();
    let rows: Vec<Vec<String>> =
        r.records().map(|rec| rec.expect("a well-formed row").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// The list commands: one JSON document, a CSV with a header row and one row per item,
/// and the table with its count line, all of the same items.
#[test]
fn list_commands_print_table_json_and_csv() {
    let f = Fixture::new();
    let db = f.work_db();
    let list = |cmd: &[&str], format: &str| {
        let mut args = strings(cmd);
        args.extend(strings(&["--db", &db, "--format", format]));
        ok(f.root(), &args)
    };
    // (command, CSV header, the table's count-line suffix, the JSON's key per row)
    let arrays: [(&[&str], &[&str], &str, &str); 6] = [
        (
            &["events", "list"],
            &[
                "id",
                "category",
                "level",
                "status",
                "vessels",
                "area",
                "occurred_at",
                "last_seen",
                "episode_start",
                "episode_end",
                "occurrences",
                "score",
                "labels",
            ],
            " events",
            "id",
        ),
        (
            &["alerts", "list", "--all"],
            &[
                "fingerprint",
                "status",
                "category",
                "level",
                "vessel",
                "area",
                "starts_at",
                "ends_at",
                "event_id",
                "silenced_by",
                "group_key",
            ],
            " alerts",
            "fingerprint",
        ),
        (
            &["silences", "list", "--now", AT],
            &["id", "state", "starts_at", "ends_at", "matchers", "created_by", "comment"],
            " silences",
            "id",
        ),
        (
            &["stats", "hourly"],
            &["bucket", "start", "end", "detections", "events", "critical", "by_risk_level"],
            " hourly rows",
            "bucket",
        ),
        (
            &["stats", "daily"],
            &[
                "bucket",
                "start",
                "end",
                "detections",
                "events",
                "critical",
                "enforcements",
                "false_positives",
                "accuracy_pct",
                "by_violation_type",
                "by_risk_level",
            ],
            " daily rows",
            "bucket",
        ),
        (
            &["stats", "monthly"],
            &[
                "bucket",
                "start",
                "end",
                "detections",
                "events",
                "critical",
                "enforcements",
                "false_positives",
                "accuracy_pct",
                "by_violation_type",
                "by_risk_level",
            ],
            " monthly rows",
            "bucket",
        ),
    ];
    for (cmd, header, count_suffix, key) in arrays {
        let json: Value = serde_json::from_str(&list(cmd, "json")).expect("one JSON document");
        let items = json.as_array().unwrap_or_else(|| panic!("{cmd:?}: a JSON array"));
        assert!(!items.is_empty(), "{cmd:?}: the prepared store has rows");
        let (csv_header, rows) = csv_rows(&list(cmd, "csv"));
        assert_eq!(csv_header, header.iter().map(|h| h.to_string()).collect::<Vec<_>>(), "{cmd:?}");
        assert_eq!(rows.len(), items.len(), "{cmd:?}: one CSV row per JSON item");
        for (row, item) in rows.iter().zip(items) {
            let want = match &item[key] {
                Value::String(v) => v.clone(),
                Value::Object(b) => b["label"].as_str().expect("bucket label").to_string(),
                other => other.to_string(),
            };
            assert_eq!(row[0], want, "{cmd:?}: CSV and JSON list the same items in the same order");
        }
        let table = list(cmd, "table");
        let last = table.lines().last().expect("a count line");
        assert_eq!(last, format!("{}{count_suffix}", items.len()), "{cmd:?}");
        let mut json_flag = strings(cmd);
        json_flag.extend(strings(&["--db", &db, "--json"]));
        assert_eq!(ok(f.root(), &json_flag), list(cmd, "json"), "{cmd:?}: --json is --format json");
    }

    // The CSV cells say the same as the JSON, e.g. an event's vessels, labels and score.
    let events: Value = serde_json::from_str(&list(&["events", "list"], "json")).expect("json");
    let (_, rows) = csv_rows(&list(&["events", "list"], "csv"));
    for (row, e) in rows.iter().zip(events.as_array().expect("array")) {
        let vessels: Vec<String> =
            e["vessels"].as_array().expect("vessels").iter().map(|v| v.as_str().expect("id").to_string()).collect();
        assert_eq!(row[4], vessels.join("+"));
        assert_eq!(row[3], e["status"].as_str().expect("status"));
        assert_eq!(row[11], e["score"].as_i64().map(|v| v.to_string()).unwrap_or_default());
    }

    // models list: one object per model with its versions; CSV: one row per version.
    let models: Value = serde_json::from_str(&list(&["models", "list"], "json")).expect("json");
    let models = models.as_array().expect("array of models");
    let dark = models.iter().find(|m| m["model"] == "dark_suspicion").expect("the dark model");
    let statuses: Vec<&str> =
        dark["versions"].as_array().expect("versions").iter().map(|v| v["status"].as_str().expect("status")).collect();
    assert_eq!(statuses, ["ARCHIVED", "ACTIVE", "DRAFT"]);
    assert!(dark["name"]["en"].is_string() && dark["name"]["ko"].is_string());
    assert!(dark["versions"][0]["params"].is_object() && dark["versions"][0]["params_hash"].is_string());
    let versions: usize = models.iter().map(|m| m["versions"].as_array().expect("versions").len()).sum();
    let (header, rows) = csv_rows(&list(&["models", "list"], "csv"));
    assert_eq!(header, ["model", "version", "status", "params_hash", "created_at", "created_by", "reason"]);
    assert_eq!(rows.len(), versions);
    assert!(rows.iter().any(|r| r[..3] == ["dark_suspicion", "3", "DRAFT"]));
    let table = list(&["models", "list"], "table");
    assert!(table.contains("dark_suspicion — "), "{table}");

    // kpis: the snapshot as one object; CSV: at, today, then the six KPIs.
    let k: Value = serde_json::from_str(&list(&["kpis"], "json")).expect("json");
    let (header, rows) = csv_rows(&list(&["kpis"], "csv"));
    assert_eq!(
        header,
        [
            "at",
            "today",
            "tracking_active",
            "dark_vessels_today",
            "eez_violations_today",
            "transshipments_today",
            "critical_events_today",
            "alerts_today",
        ]
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], AT);
    for (name, cell) in header.iter().zip(&rows[0]).skip(2) {
        assert_eq!(cell, &k[name].to_string(), "{name}");
    }
    assert!(list(&["kpis"], "table").starts_with(&format!("KPIs at {AT}")));

    // An unknown format and `--json` with another format are refused.
    let bad = run(f.root(), &strings(&["events", "list", "--db", &db, "--format", "xml"]));
    assert!(!bad.status.success());
    let both = run(f.root(), &strings(&["kpis", "--db", &db, "--format", "csv", "--json"]));
    assert!(!both.status.success());
}

/// Before any analysis: JSON is `null` and CSV the header alone, never the hint text.
#[test]
fn kpis_before_any_analysis_stay_machine_readable() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = s(&dir.path().join("empty.db"));
    let json = ok(dir.path(), &strings(&["kpis", "--db", &db, "--format", "json"]));
    assert_eq!(json.trim(), "null");
    let csv = ok(dir.path(), &strings(&["kpis", "--db", &db, "--format", "csv"]));
    assert_eq!(csv.lines().count(), 1, "{csv}");
    assert!(csv.starts_with("at,today,tracking_active,"), "{csv}");
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    let dir = tempfile::tempdir().expect("tmp");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = ok(dir.path(), &strings(&["completions", shell]));
        assert!(script.len() > 1000, "{shell}: a real script");
        for sub in ["events", "silences", "models", "completions", "dry-run", "false-positive"] {
            assert!(script.contains(sub), "{shell} completions mention {sub}");
        }
        // fish spells a long option `-l db`, the others `--db`.
        for option in ["db", "format"] {
            let spelled = if shell == "fish" { format!("-l {option}") } else { format!("--{option}") };
            assert!(script.contains(&spelled), "{shell} completions mention {spelled}");
        }
    }
    let bad = run(dir.path(), &strings(&["completions", "tcsh"]));
    assert!(!bad.status.success());
}
