//! `lookout score-dark`: the dark-vessel model over a positions CSV, printed exactly as
//! the reference oracle (the Python `oracle.py`; its golden output is in `testdata/oracle`) prints it, for differential testing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use lookout_detect::compat::oracle::{parse_history, parse_oracle_csv, score_oracle, OracleRun};
use lookout_detect::{parse_permitted_list, DarkParams};

#[derive(clap::Args)]
pub(crate) struct ScoreDarkArgs {
    /// Positions CSV: mmsi,timestamp,lat,lon,sog[,cog,heading,nav_status,ship_kind_code,raw_sog].
    pub csv: PathBuf,
    /// File with one permitted MMSI per line (`#` comments); default: nobody is permitted.
    #[arg(long, value_name = "FILE")]
    pub permitted: Option<PathBuf>,
    /// `{mmsi: {"count_7d": n, "count_24h": m}}`, inline (starting with `{`) or a file path.
    #[arg(long, value_name = "JSON")]
    pub history: Option<String>,
    /// Current hour in the model's time zone (KST by default).
    #[arg(long = "now-kst-hour", value_name = "H", default_value_t = 12, allow_negative_numbers = true)]
    pub now_kst_hour: i64,
    /// Zone polygons: not implemented yet, refused rather than silently ignored.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<String>,
    /// Params override deep-merged over the defaults, inline (starting with `{`) or a file path.
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
}

/// Reads an argument that is either inline JSON (first non-blank character `{`) or a
/// path to a JSON file, as the oracle does.
fn load_json_arg(value: &str, what: &str) -> anyhow::Result<serde_json::Value> {
    let text = if value.trim_start().starts_with('{') {
        value.to_string()
    } else {
        std::fs::read_to_string(value).with_context(|| format!("--{what}: reading {value}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("--{what}: invalid JSON"))
}

pub(crate) fn run(args: ScoreDarkArgs) -> anyhow::Result<ExitCode> {
    if args.zones.is_some() {
        eprintln!(
            "lookout score-dark: error: --zones is not implemented yet (no zone classifier); \
             refusing to silently ignore it"
        );
        return Ok(ExitCode::from(2));
    }
    let permitted = match &args.permitted {
        Some(path) => parse_permitted_list(
            &std::fs::read_to_string(path).with_context(|| format!("--permitted: reading {}", path.display()))?,
        ),
        None => BTreeSet::new(),
    };
    let history = match &args.history {
        Some(v) => parse_history(&load_json_arg(v, "history")?).context("--history")?,
        None => Default::default(),
    };
    let params = match &args.params {
        Some(v) => DarkParams::from_override(&load_json_arg(v, "params")?).context("--params")?,
        None => DarkParams::default(),
    };
    let text = std::fs::read_to_string(&args.csv).with_context(|| format!("reading {}", args.csv.display()))?;
    let points = parse_oracle_csv(&text).with_context(|| format!("{}", args.csv.display()))?;
    let run = OracleRun { permitted: &permitted, history: &history, now_kst_hour: args.now_kst_hour, params: &params };
    let out = score_oracle(&points, &run);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
