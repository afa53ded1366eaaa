//! Options and helpers shared by several subcommands.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use lookout_engine::ingest::FileSummary;
use lookout_ingest::readers::{Format, ReadOptions};
use lookout_model::RejectCounts;
use lookout_store::{Location, OpenMode, Store};

/// Where the store lives: the global `--db` option, else `$LOOKOUT_DB`, else `lookout.db`.
#[derive(Clone, Debug)]
pub(crate) struct DbArgs {
    pub db: String,
}

impl DbArgs {
    /// The store named by `--db` (given before or after the subcommand), else by the
    /// environment, else the default file.
    pub(crate) fn resolve(flag: Option<String>) -> DbArgs {
        let env = std::env::var("LOOKOUT_DB").ok().filter(|v| !v.is_empty());
        DbArgs { db: flag.or(env).unwrap_or_else(|| "lookout.db".to_string()) }
    }

    /// Opens (creating and migrating) the store.
    pub(crate) fn open(&self) -> anyhow::Result<Box<dyn Store>> {
        open_store(&self.db)
    }

    /// Opens the store in the given mode (`lookout db status` inspects without migrating).
    pub(crate) fn open_with(&self, mode: OpenMode) -> anyhow::Result<Box<dyn Store>> {
        // The store's errors name the location (password redacted) themselves.
        lookout_store::open_with(&self.db, mode).context("opening the store")
    }

    /// The location for messages, password redacted.
    pub(crate) fn location(&self) -> String {
        display_location(&self.db)
    }
}

/// A `--db` value for messages: the password of a URL replaced by `***`.
pub(crate) fn display_location(db: &str) -> String {
    Location::parse(db).map(|l| l.redacted()).unwrap_or_else(|_| lookout_store::redact(db))
}

pub(crate) fn open_store(db: &str) -> anyhow::Result<Box<dyn Store>> {
    lookout_store::open(db).context("opening the store")
}

/// Deletes and recreates a store for the demo: the SQLite file, or on PostgreSQL only the
/// schema named by `?schema=` (default `lookout_demo`). Returns the store and a line
/// saying what was recreated.
pub(crate) fn recreate_store(db: &str) -> anyhow::Result<(Box<dyn Store>, String)> {
    let store = lookout_store::recreate(db, "lookout_demo").context("recreating the demo store")?;
    let what = match Location::parse(db)? {
        Location::Sqlite(p) => format!("{} (SQLite, recreated on every demo run)", p.display()),
        Location::Postgres(pg) => format!(
            "{} (PostgreSQL, schema {} dropped and recreated on every demo run; other schemas untouched)",
            pg.redacted(),
            pg.schema.as_deref().unwrap_or("lookout_demo")
        ),
    };
    Ok((store, what))
}

/// How to read input files.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ReadArgs {
    /// Input format; detected from the file's first lines when omitted
    /// (nmea, marinecadastre, dma, gfw, generic, ...).
    #[arg(long)]
    pub format: Option<Format>,
    /// Time zone for timestamps written without one (IANA name).
    #[arg(long, default_value = "UTC")]
    pub timezone: chrono_tz::Tz,
    /// Text encoding of the input (e.g. cp949, euc-kr, gbk, gb18030, shift_jis, windows-1252);
    /// without it, text that is not UTF-8 is detected and the summary names the encoding.
    #[arg(long)]
    pub encoding: Option<String>,
    /// The current time for validation (future-timestamp check); default: the clock.
    #[arg(long, value_parser = crate::commands::report::parse_instant)]
    pub now: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Input bounds shared by `ingest` and `decode`.
#[derive(clap::Args, Clone, Copy, Debug)]
pub(crate) struct LimitArgs {
    /// Longest line read (bytes; K, M, G suffixes); a longer one is a `line_too_long` reject.
    #[arg(long, value_parser = parse_size, default_value = "1M")]
    pub max_line_bytes: u64,
    /// Most bytes one gzip file may decompress to; past it the file stops, cut short.
    #[arg(long, value_parser = parse_size, default_value = "4G")]
    pub max_decompressed: u64,
}

impl LimitArgs {
    /// Read options with these bounds and nothing else set.
    pub(crate) fn apply(self, opts: ReadOptions) -> ReadOptions {
        ReadOptions {
            max_line_bytes: usize::try_from(self.max_line_bytes).unwrap_or(usize::MAX),
            max_decompressed: self.max_decompressed,
            ..opts
        }
    }
}

/// `1048576`, `1M`, `4G` (binary multiples), with overflow checks.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().map_err(|_| format!("expected a size such as 1048576, 1M or 4G, got {s:?}"))?;
    let v = n.checked_mul(1u64 << shift).ok_or_else(|| format!("size {s:?} is too large"))?;
    if v == 0 {
        return Err("the size must be positive".into());
    }
    Ok(v)
}

impl ReadArgs {
    pub(crate) fn read_options(&self) -> ReadOptions {
        self.limits.apply(ReadOptions {
            format: self.format,
            timezone: self.timezone,
            encoding: self.encoding.clone(),
            ..ReadOptions::default()
        })
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

/// A byte-based progress bar, hidden when stderr is not a terminal.
pub(crate) fn file_progress(path: &Path) -> ProgressBar {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    bar
}

/// Prints the per-file ingest summary (stdout) in a readable block.
pub(crate) fn print_file_summary(s: &FileSummary) -> anyhow::Result<()> {
    outln!(
        "{}: {} — {} records, {} positions accepted ({} new), {} static, {} vessels, {} rejected",
        s.path.display(),
        s.format,
        s.records_read,
        s.positions_accepted,
        s.positions_inserted,
        s.static_records,
        s.vessels,
        s.rejects.total()
    );
    if let Some(err) = &s.error {
        outln!("  error: reading stopped early: {err}");
    }
    for note in &s.notes {
        outln!("  note: {note}");
    }
    print_rejects(&s.rejects, "  ")?;
    Ok(())
}

pub(crate) fn print_rejects(rejects: &RejectCounts, indent: &str) -> anyhow::Result<()> {
    for (reason, n) in &rejects.counts {
        let example = rejects.examples.get(reason).and_then(|e| e.first()).map(String::as_str).unwrap_or("");
        outln!("{indent}rejected {reason}: {n}  (e.g. {example})");
    }
    Ok(())
}
