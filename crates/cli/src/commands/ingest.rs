use std::path::PathBuf;
use std::process::ExitCode;

use lookout_engine::ingest::ingest_file;
use lookout_engine::EngineError;
use lookout_model::RejectCounts;

use super::common::{file_progress, print_file_summary, print_rejects, DbArgs, ReadArgs};

#[derive(clap::Args)]
pub(crate) struct IngestArgs {
    /// AIS files: NMEA, CSV or JSON lines, optionally gzip-compressed.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Ingests every file; a file that cannot be read is reported and the others go on.
/// Exits 0 when every file was read (rejects are normal), 1 when some file could not be
/// read or was cut short, 3 when nothing could be read at all.
pub(crate) fn run(args: IngestArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    let opts = args.read.read_options();
    let now = args.read.now();
    let (mut files_ok, mut records, mut inserted) = (0usize, 0u64, 0u64);
    let mut any_failed = false;
    let mut rejects = RejectCounts::default();
    for path in &args.files {
        let bar = file_progress(path);
        let result = ingest_file(&mut *store, path, &opts, now, &mut |done, total| {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        });
        bar.finish_and_clear();
        match result {
            Ok(summary) => {
                print_file_summary(&summary)?;
                any_failed |= summary.error.is_some();
                report_no_rows(&summary);
                files_ok += 1;
                records += summary.records_read;
                inserted += summary.positions_inserted;
                rejects.merge(&summary.rejects);
            }
            Err(err) => {
                // Batches committed before a store failure stay: the total counts them.
                if let EngineError::IngestStopped { committed, .. } = &err {
                    inserted += committed;
                }
                any_failed = true;
                eprintln!("lookout: error: {err}");
            }
        }
    }
    outln!(
        "total: {files_ok}/{} files, {records} records, {inserted} new positions, {} rejected",
        args.files.len(),
        rejects.total()
    );
    print_rejects(&rejects, "  ")?;
    Ok(if files_ok == 0 || records == 0 {
        ExitCode::from(crate::EXIT_NOTHING_READ)
    } else if any_failed {
        ExitCode::from(crate::EXIT_CUT_SHORT)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file that opened but held no record at all says so as an error, not only in notes.
fn report_no_rows(summary: &lookout_engine::ingest::FileSummary) {
    if summary.records_read > 0 || summary.rejects.total() > 0 || summary.error.is_some() {
        return;
    }
    let what = match summary.format.as_str() {
        "nmea" => "holds no NMEA sentence",
        "gfw" => "holds no JSON row",
        _ => "holds a header and no rows",
    };
    eprintln!("lookout: error: {}: the file {what}", summary.path.display());
}
