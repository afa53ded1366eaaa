//! Options and helpers shared by several subcommands.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use lookout_engine::ingest::FileSummary;
use lookout_ingest::readers::{Format, ReadOptions};
use lookout_model::RejectCounts;
use lookout_store::SqliteStore;

/// `--db`: where the store lives.
#[derive(clap::Args, Clone, Debug)]
pub struct DbArgs {
    /// SQLite database file.
    #[arg(long, env = "LOOKOUT_DB", default_value = "lookout.db")]
    pub db: PathBuf,
}

impl DbArgs {
    pub fn open(&self) -> anyhow::Result<SqliteStore> {
        open_store(&self.db)
    }
}

pub fn open_store(path: &Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(path).with_context(|| format!("opening the store at {}", path.display()))
}

/// How to read input files.
#[derive(clap::Args, Clone, Debug)]
pub struct ReadArgs {
    /// Input format; detected from the file's first lines when omitted
    /// (nmea, marinecadastre, dma, gfw, generic, ...).
    #[arg(long)]
    pub format: Option<Format>,
    /// Time zone for timestamps written without one (IANA name).
    #[arg(long, default_value = "UTC")]
    pub timezone: chrono_tz::Tz,
    /// Text encoding of the input when it is not UTF-8 (e.g. euc-kr, windows-1252).
    #[arg(long)]
    pub encoding: Option<String>,
    /// The current time for validation (future-timestamp check); default: the clock.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
}

impl ReadArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions { format: self.format, timezone: self.timezone, encoding: self.encoding.clone() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

/// A byte-based progress bar, hidden when stderr is not a terminal.
pub fn file_progress(path: &Path) -> ProgressBar {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    bar
}

/// Prints the per-file ingest summary (stdout) in a readable block.
pub fn print_file_summary(s: &FileSummary) {
    println!(
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
        println!("  error: reading stopped early: {err}");
    }
    for note in &s.notes {
        println!("  note: {note}");
    }
    print_rejects(&s.rejects, "  ");
}

pub fn print_rejects(rejects: &RejectCounts, indent: &str) {
    for (reason, n) in &rejects.counts {
        let example = rejects.examples.get(reason).and_then(|e| e.first()).map(String::as_str).unwrap_or("");
        println!("{indent}rejected {reason}: {n}  (e.g. {example})");
    }
}
