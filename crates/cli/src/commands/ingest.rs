use std::path::PathBuf;
use std::process::ExitCode;

use lookout_engine::ingest::ingest_file;
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
/// Exits non-zero only when nothing could be read at all.
pub(crate) fn run(args: IngestArgs, db: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut store = db.open()?;
    let opts = args.read.read_options();
    let now = args.read.now();
    let (mut files_ok, mut records, mut inserted) = (0usize, 0u64, 0u64);
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
                files_ok += 1;
                records += summary.records_read;
                inserted += summary.positions_inserted;
                rejects.merge(&summary.rejects);
            }
            Err(err) => eprintln!("lookout: error: {err}"),
        }
    }
    outln!(
        "total: {files_ok}/{} files, {records} records, {inserted} new positions, {} rejected",
        args.files.len(),
        rejects.total()
    );
    print_rejects(&rejects, "  ")?;
    Ok(if files_ok == 0 || records == 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
