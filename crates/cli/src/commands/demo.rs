//! `lookout demo`: the main job end to end on the real AIS slice shipped in `data/demo`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use lookout_detect::zones::ZoneSet;
use lookout_detect::ZoneClassifier;
use lookout_engine::cycle::{run_cycle, CycleRequest, DARK, GAPS, SEGMENTS};
use lookout_engine::ingest::{ingest_file, FileSummary};
use lookout_ingest::readers::ReadOptions;
use lookout_model::{Finding, RejectCounts};
use lookout_store::Store;

use lookout_engine::composite::COMPOSITE;
use lookout_engine::exec::ResolvedRule;
use lookout_engine::models::{self, ensure_seeded, resolve};
use lookout_engine::plan::{ExecOptions, Plan};
use lookout_engine::rules::RuleSet;
use lookout_engine::shadow::shadow;
use lookout_store::ModelChange;

use super::analyze::{load_ports, load_zones};
use super::common::{file_progress, print_file_summary, print_rejects, recreate_store};
use super::models::print_shadow;
use super::outputs_common::{demo_output_config, print_demo_outputs};
use super::report::{add_reception_stats, breakdown_lines, dark_headline, outage_summary, unobserved_line};
use super::rules::{overrides, AsStore};

#[derive(clap::Args)]
pub(crate) struct DemoArgs {
    /// Folder with the demo data (default: the repository's data/demo).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// How many dark vessels to explain.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Then serve the demo store over HTTP (`lookout serve`), with a new admin token.
    #[arg(long)]
    pub serve: bool,
    /// Address for --serve.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Ports and anchorages (CSV or GeoJSON, gzip allowed) or `none`; default: the
    /// shipped list (data/ports/world_ports.csv.gz).
    #[arg(long, value_name = "FILE|none")]
    pub ports: Option<PathBuf>,
}

/// Data and parameter files are read relative to the repository when run from a clone.
fn default_data_dir() -> PathBuf {
    let here = PathBuf::from("data/demo");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo")
}

/// The demo's store when `--db` is not given; the demo never takes `$LOOKOUT_DB`, since it
/// recreates the store it runs on.
const DEMO_DB: &str = "lookout-demo.db";

/// `db`: the global `--db`, a SQLite file to (re)create for the demo, or a PostgreSQL
/// URL: there only the schema `lookout_demo` (or the URL's `?schema=`) is dropped and
/// recreated.
pub(crate) fn run(args: DemoArgs, db: Option<String>) -> anyhow::Result<ExitCode> {
    let db = db.unwrap_or_else(|| DEMO_DB.to_string());
    let data = args.data.clone().unwrap_or_else(default_data_dir);
    let files = data_files(&data)?;
    let (mut store, store_line) = recreate_store(&db)?;
    outln!("Lookout demo: real AIS from {} (origins and licences in its SOURCES.md)", data.display());
    outln!("store: {store_line}\n");

    outln!("== 1. Ingest: decode, validate, store");
    let summaries = ingest_all(store.store_mut(), &files)?;
    print_ingest_totals(store.store(), &summaries)?;

    let params_path = data.join("params.json");
    let over = overrides(&[params_path.display().to_string()])?;
    let set = RuleSet::builtin()?;
    // The demo's changes are recorded as made by "demo"; the clock only stamps the audit
    // rows, which the demo does not print, so its output stays reproducible.
    let now = Utc::now();
    ensure_seeded(store.store_mut(), DEMO_ACTOR, now)?;
    let rules = resolve(&set, store.store(), &over, None)?;
    let exec = ExecOptions::default();
    outln!("\n== 2. Analysis: one cycle per day (window 24h, look-back 24h) over each file's time span");
    outln!("rule engine, shipped rules/default.toml:");
    for line in Plan::new(&set, exec).render(&set) {
        outln!("  {line}");
    }
    outln!("model dark_suspicion: version 1 (reference defaults) + {} (receiver coverage box and local time zone of the Kitimat data)", params_path.display());
    let zone_files = demo_zone_files()?;
    let zones = load_zones(&zone_files)?;
    outln!(
        "zones: {} (the Korea-China PMZ, ILLUSTRATIVE Kitimat zones and APPROXIMATE world territorial seas, contiguous zones and EEZs: not legal boundaries; see data/zones/SOURCES.md)",
        zone_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    let ports = load_ports(args.ports.as_deref())?;
    outln!("{} (transshipment's distance from port, loitering's distance from shore)", ports.describe());
    let (findings, busiest) =
        run_daily_cycles(store.store_mut(), &summaries, &rules, exec, zones.as_ref(), ports.set.as_ref())?;

    outln!("\n== 3. Top dark vessels, explained pattern by pattern");
    print_top_dark(&findings, args.top)?;

    outln!("\n== 4. Model registry: a DRAFT run in shadow beside the ACTIVE version");
    let draft_over = serde_json::json!({ "weights": { "P7_unpermitted": 20 } });
    let change =
        ModelChange { actor: DEMO_ACTOR.into(), at: now, reason: "demo: weigh unpermitted vessels double".into() };
    let draft = models::create_draft(store.store_mut(), DARK, &draft_over, None, &change)?;
    outln!("created {}@{} (DRAFT) from {}", draft.model, draft.version, draft_over);
    // The cycle with the most dark vessels shows the most; `lookout models shadow`
    // defaults to the latest cycle.
    let report = shadow(store.store(), &set, DARK, draft.version, &over, exec, None, busiest)?;
    print_shadow(&report)?;
    outln!("(promote with `lookout models promote {DARK} {}`; nothing above was written but the DRAFT)", draft.version);

    outln!("\n== 5. Output pipeline: events, alerts, KPIs (after every cycle, on the data's clock)");
    if let Some(last) = days(&summaries).last() {
        print_demo_outputs(store.store_mut(), *last)?;
    }
    if args.serve {
        serve_demo(store.store_mut(), &db, args.bind, ports.set)?;
    }
    Ok(ExitCode::SUCCESS)
}

const DEMO_ACTOR: &str = "demo";

/// `--serve`: an admin token for the demo store (printed once), then `lookout serve`.
fn serve_demo(
    store: &mut dyn Store,
    db: &str,
    bind: std::net::SocketAddr,
    places: Option<lookout_detect::input::places::PlaceSet>,
) -> anyhow::Result<()> {
    let role = lookout_server::auth::Role::Admin;
    let (token, _) = lookout_server::auth::create_token(store, role, "demo", Utc::now())?;
    outln!("\n== 6. Serving the demo store (ctrl-c stops)");
    outln!("admin token (shown once): {token}");
    outln!("try: curl -H 'Authorization: Bearer {token}' http://{bind}/api/v1/events?limit=5");
    let state = lookout_server::AppState::new(db, demo_output_config()).with_places(places);
    let location = super::common::display_location(db);
    super::serve::serve_until_stopped(state, bind, lookout_server::Limits::default(), &location)
}

fn data_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("demo data folder {} (pass --data DIR)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "json")))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no data files in {}", dir.display());
    Ok(files)
}

fn ingest_all(store: &mut dyn Store, files: &[PathBuf]) -> anyhow::Result<Vec<FileSummary>> {
    let now = Utc::now();
    let mut out = Vec::new();
    for path in files {
        let bar = file_progress(path);
        let result = ingest_file(store, path, &ReadOptions::default(), now, &mut |done, total| {
            bar.set_length(total.unwrap_or(done));
            bar.set_position(done);
        });
        bar.finish_and_clear();
        let summary = result.with_context(|| format!("ingesting {}", path.display()))?;
        print_file_summary(&summary)?;
        out.push(summary);
    }
    Ok(out)
}

fn print_ingest_totals(store: &dyn Store, summaries: &[FileSummary]) -> anyhow::Result<()> {
    let mut rejects = RejectCounts::default();
    summaries.iter().for_each(|s| rejects.merge(&s.rejects));
    let records: u64 = summaries.iter().map(|s| s.records_read).sum();
    let counts = store.counts()?;
    outln!(
        "\ntotal: {} files, {records} records → {} vessels, {} positions stored; {} rejected:",
        summaries.len(),
        counts.vessels,
        counts.positions,
        rejects.total()
    );
    print_rejects(&rejects, "  ")?;
    Ok(())
}

fn days(summaries: &[FileSummary]) -> Vec<DateTime<Utc>> {
    let mut ends = std::collections::BTreeSet::new();
    for (first, last) in summaries.iter().filter_map(|s| s.span) {
        let Ok(mut day) = first.duration_trunc(Duration::days(1)) else {
            continue;
        };
        while day <= last {
            day += Duration::days(1);
            ends.insert(day);
        }
    }
    ends.into_iter().collect()
}

/// The shipped zone files (`data/zones/*.geojson[.gz]`), in name order.
fn demo_zone_files() -> anyhow::Result<Vec<PathBuf>> {
    let here = PathBuf::from("data/zones");
    let dir = if here.is_dir() { here } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/zones") };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("zone folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_str().is_some_and(|n| n.ends_with(".geojson") || n.ends_with(".geojson.gz")))
        .collect();
    files.sort();
    Ok(files)
}

/// One line per finding family of issue 7 part A, with its strongest finding, so the
/// demo shows each family or says why the data has none.
fn print_family_examples(examples: &BTreeMap<String, Finding>) -> anyhow::Result<()> {
    let why_none = |d: &str| match d {
        "segments" => "no id in the data is used by two transmitters",
        "spoofing" => "no teleport, bad MID or shared id in the data",
        _ => "no vessel entered a zone",
    };
    for detector in [SEGMENTS, "spoofing", "zones"] {
        match examples.get(detector) {
            Some(f) => {
                let what: Vec<String> = f.breakdown.iter().map(|b| format!("{} {:+}", b.pattern, b.points)).collect();
                let zone =
                    f.evidence.get("zone").and_then(|z| z.as_str()).map(|z| format!(" in {z}")).unwrap_or_default();
                outln!(
                    "  e.g. {detector}: {} {} {}{zone} ({}..{}): {}",
                    f.vessel,
                    f.level,
                    f.score.map(|s| s.to_string()).unwrap_or_default(),
                    f.start.format("%Y-%m-%d %H:%M"),
                    f.end.format("%Y-%m-%d %H:%M"),
                    what.join(", ")
                );
            }
            None => outln!("  e.g. {detector}: none ({})", why_none(detector)),
        }
    }
    Ok(())
}

/// Identity changes (spoofing M6/M7) over the cycles and the identity history behind
/// them, so the demo says why there are none when the data has none.
fn print_identity_summary(store: &dyn Store, findings: usize) -> anyhow::Result<()> {
    let Some((from, to)) = store.position_span()? else {
        return Ok(());
    };
    let rows = store.identities_between(from - Duration::days(1), to + Duration::days(1))?;
    // Per id: identities, and identities seen at least twice (the default min_reports).
    let mut per_vessel: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let e = per_vessel.entry(r.vessel.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(r.reports >= 2);
    }
    let several = per_vessel.values().filter(|(n, _)| *n > 1).count();
    let comparable = per_vessel.values().filter(|(_, seen_twice)| *seen_twice > 1).count();
    outln!(
        "  identity changes (spoofing M6/M7): {findings} findings; identity history: {} identities of {} ids, \
         {several} ids with more than one, {comparable} with two or more seen at least twice",
        rows.len(),
        per_vessel.len(),
    );
    if findings == 0 {
        outln!("  (an identity counts from 2 reports (identity.min_reports): a single corrupted or one-off message is no renaming)");
    }
    Ok(())
}

fn run_daily_cycles(
    store: &mut dyn Store,
    summaries: &[FileSummary],
    rules: &[ResolvedRule],
    exec: ExecOptions,
    zones: Option<&ZoneSet>,
    places: Option<&lookout_detect::input::places::PlaceSet>,
) -> anyhow::Result<(Vec<Finding>, Option<DateTime<Utc>>)> {
    // The strongest finding of each family (ties: the first, so the output is stable).
    let mut examples: BTreeMap<String, Finding> = BTreeMap::new();
    let mut by_level: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut all = Vec::new();
    let mut encounters = EncounterSummary::default();
    let mut busiest: Option<(usize, DateTime<Utc>)> = None;
    let mut reception_stats = serde_json::json!({});
    let mut identity_findings = 0usize;
    let ends = days(summaries);
    for at in &ends {
        let req = CycleRequest {
            at: *at,
            window: Duration::days(1),
            lookback: Duration::days(1),
            rules,
            exec,
            registry: None,
            zones: zones.map(|z| z as &(dyn ZoneClassifier + Sync)),
            places,
        };
        let report = run_cycle(store, &req)?;
        encounters.add(&report);
        add_reception_stats(&mut reception_stats, &report.rules);
        // The output pipeline after each cycle, on the data's clock (the window end), so
        // the demo is reproducible; a failing stage is reported, never fatal.
        let pipeline =
            lookout_engine::outputs::run_after_cycle(store, &report.key, report.key.window_end, &demo_output_config());
        for f in pipeline.failures() {
            outln!("  output pipeline stage {} failed: {}", f.stage, f.detail);
        }
        let dark = report.findings.iter().filter(|f| f.detector == DARK).count();
        // Strictly more, so the earliest of equally busy days wins (deterministic).
        match busiest {
            Some((n, _)) if n >= dark => {}
            _ => busiest = Some((dark, *at)),
        }
        for f in report.findings.iter().filter(|f| matches!(f.detector.as_str(), SEGMENTS | "spoofing" | "zones")) {
            let better = examples
                .get(&f.detector)
                .is_none_or(|e| (f.score.unwrap_or(0), f.severity) > (e.score.unwrap_or(0), e.severity));
            if better {
                examples.insert(f.detector.clone(), f.clone());
            }
        }
        identity_findings +=
            report.findings.iter().filter(|f| f.breakdown.iter().any(|b| b.pattern.starts_with("identity_"))).count();
        for f in &report.findings {
            *by_level.entry((f.detector.clone(), f.level.clone())).or_default() += 1;
        }
        all.extend(report.findings.into_iter().filter(|f| f.detector == DARK || f.detector == "reception"));
    }
    outln!("{} daily cycles", ends.len());
    for detector in [GAPS, DARK, SEGMENTS, "spoofing", "zones", COMPOSITE] {
        let levels: Vec<String> =
            by_level.iter().filter(|((d, _), _)| d == detector).map(|((_, l), n)| format!("{l} {n}")).collect();
        outln!("  {detector}: {}", if levels.is_empty() { "none".into() } else { levels.join(", ") });
    }
    print_family_examples(&examples)?;
    print_identity_summary(store, identity_findings)?;
    encounters.print()?;
    // Receiver outages over all cycles (each belongs to the cycle holding its end).
    for l in outage_summary(&all, &reception_stats).iter() {
        outln!("  {l}");
    }
    outln!("  {}", unobserved_line(&all));
    all.retain(|f| f.detector == DARK);
    Ok((all, busiest.map(|(_, at)| at)))
}

fn print_top_dark(findings: &[Finding], top: usize) -> anyhow::Result<()> {
    let mut best: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in findings {
        let slot = best.entry(f.vessel.as_str()).or_insert(f);
        if f.score > slot.score {
            *slot = f;
        }
    }
    let mut ranked: Vec<&Finding> = best.into_values().collect();
    ranked.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.vessel.cmp(&b.vessel)));
    if ranked.is_empty() {
        outln!("no dark vessels found");
    }
    for (i, f) in ranked.iter().take(top).enumerate() {
        outln!("{:>2}. {}", i + 1, dark_headline(f));
        for line in breakdown_lines(f) {
            outln!("      {line}");
        }
    }
    Ok(())
}

/// Issue 7 part B families over all daily cycles: the transshipment and pair-trawl
/// funnels (summed over cycles, from the rules' statistics), findings by level, and a
/// gear example; a family without findings says at which stage its candidates ran out.
#[derive(Default)]
struct EncounterSummary {
    /// detector -> stage -> count, summed over cycles.
    funnels: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// (detector, level) -> findings.
    levels: BTreeMap<(String, String), u64>,
    /// The gear finding with the most recognition signals (first on ties).
    gear_example: Option<Finding>,
}

const ENCOUNTER_FAMILIES: [&str; 4] = ["transshipment", "loitering", "pair_trawl", "gear"];

impl EncounterSummary {
    fn add(&mut self, report: &lookout_engine::cycle::CycleReport) {
        for r in &report.rules {
            let Some(family) = ENCOUNTER_FAMILIES.iter().find(|f| **f == r.algorithm) else { continue };
            if let Some(stages) = r.stats.get("funnel").and_then(|f| f.as_object()) {
                let sums = self.funnels.entry(family).or_default();
                for (stage, n) in stages {
                    *sums.entry(stage.clone()).or_default() += n.as_u64().unwrap_or(0);
                }
            }
        }
        for f in report.findings.iter().filter(|f| ENCOUNTER_FAMILIES.contains(&f.detector.as_str())) {
            *self.levels.entry((f.detector.clone(), f.level.clone())).or_default() += 1;
            if f.detector == "gear" && f.evidence.get("violation").is_none() {
                let signals = |g: &Finding| g.evidence["signals"].as_array().map_or(0, Vec::len);
                if self.gear_example.as_ref().is_none_or(|e| signals(f) > signals(e)) {
                    self.gear_example = Some(f.clone());
                }
            }
        }
    }

    fn stage(&self, family: &str, stage: &str) -> u64 {
        self.funnels.get(family).and_then(|s| s.get(stage)).copied().unwrap_or(0)
    }

    fn print(&self) -> anyhow::Result<()> {
        outln!("transshipment, loitering, pair trawl and gear (funnels summed over the daily cycles):");
        let stages = |family: &str, names: &[(&str, &str)]| {
            names.iter().map(|(k, label)| format!("{label} {}", self.stage(family, k))).collect::<Vec<_>>().join(" -> ")
        };
        outln!(
            "  transshipment funnel: {}",
            stages(
                "transshipment",
                &[
                    ("type_pairs", "carrier x fishing pairs"),
                    ("proximity", "within 500 m"),
                    ("slow", "both < 2 kn"),
                    ("duration", ">= 2 h"),
                    ("location", ">= 10 km from port")
                ]
            )
        );
        outln!(
            "  pair trawl funnel: {}",
            stages(
                "pair_trawl",
                &[
                    ("fishing_pairs", "fishing pairs"),
                    ("proximity", "within 1500 m"),
                    ("parallel", "parallel at 2-5 kn"),
                    ("duration", ">= 1 h")
                ]
            )
        );
        for family in ENCOUNTER_FAMILIES {
            let levels: Vec<String> =
                self.levels.iter().filter(|((d, _), _)| d == family).map(|((_, l), n)| format!("{l} {n}")).collect();
            if !levels.is_empty() {
                outln!("  {family}: {}", levels.join(", "));
                continue;
            }
            let why = match family {
                "transshipment" if self.stage(family, "type_pairs") == 0 => {
                    "no carrier (ITU 70-89) and fishing vessel both had a 10-minute track in one window; \
                     the NMEA snapshot holds about one report per vessel"
                        .to_string()
                }
                "transshipment" => "no carrier and fishing vessel passed every stage (see the funnel)".to_string(),
                "pair_trawl" if self.stage(family, "proximity") == 0 => {
                    "no two fishing vessels came within 1500 m of each other".to_string()
                }
                "pair_trawl" => "no two fishing vessels moved in parallel at towing speed for 1 h".to_string(),
                "loitering" => "no carrier stayed under 2 kn for 4 h in any window".to_string(),
                _ => "no gear transmitter in the data".to_string(),
            };
            outln!("  {family}: none ({why})");
        }
        if let Some(g) = &self.gear_example {
            let e = &g.evidence;
            outln!(
                "  e.g. gear {} {:?}: signals {}, parent {} ({} candidates)",
                g.vessel,
                e["name"].as_str().unwrap_or(""),
                e["signals"]
                    .as_array()
                    .map(|s| s.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("+"))
                    .unwrap_or_default(),
                e["parent_status"].as_str().unwrap_or(""),
                e["candidate_count"].as_u64().unwrap_or(0)
            );
        }
        let attributed = self.levels.keys().any(|(d, l)| d == "gear" && (l == "DIRECT_MATCH" || l == "AUTO_PROMOTED"));
        if self.gear_example.is_some() && !attributed {
            outln!("  (no parent: each buoy of the snapshot reports about once, so none is seen travelling with a vessel, and no base name is a vessel of the data)");
        }
        Ok(())
    }
}
