//! One file through reader → validator → store, in batches. Identity sightings (name,
//! call sign, IMO, ship type over time) are aggregated for the whole file and written
//! once at its end (see `ingest_identity`).
//!
//! Crash safety: position batches commit one by one, each counted in the file's journal
//! row (`Store::begin_ingest`); the vessels, identity history and run record commit
//! together at the end, removing the row. An ingest killed anywhere is completed by
//! ingesting the file again: the rows are then those of an uninterrupted ingest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use lookout_ingest::coverage::TimeCoverage;
use lookout_ingest::readers::{self, ReadOptions, RecordReader};
use lookout_ingest::validate::{ValidateOptions, Validator};
use lookout_model::{Position, Record, RejectCounts, StaticData, Timestamp, VesselId};
use lookout_store::{IngestRun, Store, VesselRow};

use crate::ingest_identity::IdentityTally;
use crate::EngineError;

/// Positions buffered before one store transaction.
const BATCH: usize = 20_000;

/// What happened to one file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileSummary {
    pub path: PathBuf,
    pub format: String,
    pub notes: Vec<String>,
    /// For CSV layouts, which column was read for what: (role, header column).
    pub columns: Vec<(String, String)>,
    pub ids_are_opaque: bool,
    /// Records kept whose id is not a valid MMSI (in a file whose ids are MMSIs): they
    /// are stored for the spoofing detector, not rejected.
    pub ids_not_mmsi: u64,
    pub records_read: u64,
    pub positions_accepted: u64,
    pub positions_inserted: u64,
    pub static_records: u64,
    /// Distinct (vessel, identity) sightings of the file added to the identity history.
    pub identities: u64,
    /// Static records without a time and without a timed position of their vessel in
    /// the file: they update the vessel's static data but not its identity history.
    pub identities_untimed: u64,
    pub vessels: u64,
    pub rejects: RejectCounts,
    /// First and last accepted position time.
    pub span: Option<(Timestamp, Timestamp)>,
    /// Set when the file ended in a structural error after some records were read.
    pub error: Option<String>,
}

/// Progress callback: bytes read so far, total bytes if known.
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

/// Reads, validates and stores one file. Bad records are counted, never fatal;
/// only a structural problem with the file (or the store) is an error.
///
/// Two threads: a parsing thread (reader, validator, identity tally) fills batches and
/// hands them over a bounded queue ([`QUEUE`] batches) to the calling thread, which
/// writes each in one store transaction. Memory is bounded by the queue, not the file.
pub fn ingest_file(
    store: &mut dyn Store,
    path: &Path,
    read: &ReadOptions,
    now: Timestamp,
    progress: Progress<'_>,
) -> Result<FileSummary, EngineError> {
    let reader = readers::open(path, read)?;
    let validator =
        Validator::new(ValidateOptions { check_mmsi: !reader.ids_are_opaque(), ..ValidateOptions::new(now) });
    let source = path.display().to_string();
    let mut summary = FileSummary {
        path: path.to_path_buf(),
        format: reader.format().name().to_string(),
        notes: Vec::new(),
        columns: reader.columns().to_vec(),
        ids_are_opaque: reader.ids_are_opaque(),
        ids_not_mmsi: 0,
        records_read: 0,
        positions_accepted: 0,
        positions_inserted: 0,
        static_records: 0,
        identities: 0,
        identities_untimed: 0,
        vessels: 0,
        rejects: RejectCounts::default(),
        error: None,
        span: None,
    };
    // Positions this run committed, for the error when the store fails part-way.
    let mut committed = 0u64;
    let stopped = |committed: u64| {
        let path = source.clone();
        move |cause| EngineError::IngestStopped { path, committed, cause }
    };
    let resumed = store.begin_ingest(&source).map_err(stopped(0))?;
    crate::fault::pause_point("ingest-begun");
    if let Some(n) = resumed {
        // The killed ingest's positions are no longer new: count them as this file's.
        summary.positions_inserted = n;
    }
    let batch_size = crate::fault::batch_size(BATCH);
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(QUEUE);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Position>>();
    let parsed = std::thread::scope(|scope| -> Result<Parsed, EngineError> {
        let src = source.as_str();
        let parser = scope.spawn(move || parse_file(reader, validator, src, batch_size, full_tx, empty_rx));
        // One transaction per batch, in file order. On a store error `full_rx` is
        // dropped with this closure, which ends the parsing thread at its next batch.
        for batch in full_rx {
            committed += store.insert_ingest_positions(&source, &batch.positions).map_err(stopped(committed))?;
            crate::fault::pause_point("ingest-batch");
            progress(batch.bytes_read, batch.total_bytes);
            let mut positions = batch.positions;
            positions.clear();
            // The parser may have finished already: then the buffer is simply dropped.
            let _ = empty_tx.send(positions);
        }
        match parser.join() {
            Ok(parsed) => Ok(parsed),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })?;
    crate::fault::pause_point("ingest-positions");
    let Parsed { counts, statics, identities, notes, ids_not_mmsi, error, bytes_read, total_bytes } = parsed;
    summary.records_read = counts.records_read;
    summary.positions_accepted = counts.positions_accepted;
    summary.static_records = counts.static_records;
    summary.span = counts.span;
    summary.rejects = counts.rejects;
    // A file that breaks part-way (a truncated gzip) keeps what was read before the
    // break; the summary carries the error so the user sees where it stopped.
    summary.error = error;
    summary.positions_inserted += committed;
    summary.notes = notes;
    summary.ids_not_mmsi = ids_not_mmsi;
    progress(bytes_read, total_bytes);
    finish_file(store, &mut summary, statics, identities, resumed, now).map_err(stopped(committed))?;
    crate::fault::pause_point("ingest-finished");
    Ok(summary)
}

/// Batches queued between the parsing thread and the writer (besides the one being
/// parsed and the one being written).
const QUEUE: usize = 2;

/// Positions for one store transaction, with the reader's progress when it was full.
struct Batch {
    positions: Vec<Position>,
    bytes_read: u64,
    total_bytes: Option<u64>,
}

/// What the parsing thread counted.
#[derive(Default)]
struct Counts {
    records_read: u64,
    positions_accepted: u64,
    static_records: u64,
    span: Option<(Timestamp, Timestamp)>,
    rejects: RejectCounts,
}

/// Everything the parsing thread learnt besides the positions it sent.
struct Parsed {
    counts: Counts,
    statics: BTreeMap<VesselId, StaticData>,
    identities: IdentityTally,
    notes: Vec<String>,
    ids_not_mmsi: u64,
    error: Option<String>,
    bytes_read: u64,
    total_bytes: Option<u64>,
}

/// The parsing thread: reader → validator → batches of `batch_size` positions sent to
/// `full`, buffers reused from `empty`. The last batch is sent even when empty, so the
/// writer commits (and passes its `ingest-batch` point) at least once per file. Stops
/// early when the writer is gone (a store error).
fn parse_file(
    mut reader: RecordReader,
    mut validator: Validator,
    source: &str,
    batch_size: usize,
    full: mpsc::SyncSender<Batch>,
    empty: mpsc::Receiver<Vec<Position>>,
) -> Parsed {
    let mut counts = Counts::default();
    let mut statics: BTreeMap<VesselId, StaticData> = BTreeMap::new();
    let mut identities = IdentityTally::default();
    let mut coverage = TimeCoverage::default();
    let mut batch: Vec<Position> = Vec::with_capacity(batch_size);
    let mut writer_gone = false;
    while let Some(item) = reader.next() {
        counts.records_read += 1;
        let checked = item.and_then(|rec| validator.check(rec, reader.line()));
        match checked {
            Ok(Record::Position(p)) => {
                counts.positions_accepted += 1;
                counts.span = Some(match counts.span {
                    None => (p.timestamp, p.timestamp),
                    Some((a, b)) => (a.min(p.timestamp), b.max(p.timestamp)),
                });
                if !statics.contains_key(&p.vessel) {
                    statics.insert(p.vessel.clone(), StaticData::default());
                }
                identities.on_position(&reader, &p.vessel, p.timestamp);
                coverage.add(p.timestamp);
                batch.push(p);
                if batch.len() >= batch_size {
                    let next = empty.try_recv().unwrap_or_else(|_| Vec::with_capacity(batch_size));
                    let full_batch = Batch {
                        positions: std::mem::replace(&mut batch, next),
                        bytes_read: reader.bytes_read(),
                        total_bytes: reader.total_bytes(),
                    };
                    if full.send(full_batch).is_err() {
                        writer_gone = true;
                        break;
                    }
                }
            }
            Ok(Record::Static { vessel, timestamp, data }) => {
                counts.static_records += 1;
                identities.on_static(&reader, &vessel, timestamp, &data);
                statics.entry(vessel).or_default().merge_from(&data);
            }
            Err(reject) => counts.rejects.add(source, &reject),
        }
    }
    if !writer_gone {
        let last = Batch { positions: batch, bytes_read: reader.bytes_read(), total_bytes: reader.total_bytes() };
        // A writer gone at this point has failed; it reports its own error.
        let _ = full.send(last);
    }
    let mut notes = reader.notes();
    notes.extend(validator.notes());
    notes.extend(extract_warning(&coverage));
    Parsed {
        counts,
        statics,
        identities,
        notes,
        ids_not_mmsi: validator.ids_not_mmsi(),
        error: reader.take_error().map(|e| e.to_string()),
        bytes_read: reader.bytes_read(),
        total_bytes: reader.total_bytes(),
    }
}

/// The warning for a file with holes longer than the shortest gap the dark model judges.
fn extract_warning(coverage: &TimeCoverage) -> Option<String> {
    let min = lookout_detect::GapThresholds::default().suspicious_sec;
    coverage.extract_warning(min, &format!("{} min (the shortest gap the dark model judges)", min / 60))
}

/// The file's vessels, identity sightings and run record, in the one transaction that
/// ends its ingest. `resumed`: what an interrupted ingest of the file had committed.
fn finish_file(
    store: &mut dyn Store,
    summary: &mut FileSummary,
    statics: BTreeMap<VesselId, StaticData>,
    identities: IdentityTally,
    resumed: Option<u64>,
    now: Timestamp,
) -> Result<(), lookout_store::StoreError> {
    let rows: Vec<VesselRow> = statics
        .into_iter()
        .map(|(vessel, data)| VesselRow { id_is_mmsi: vessel.is_mmsi() && !summary.ids_are_opaque, vessel, data })
        .collect();
    summary.vessels = rows.len() as u64;
    let (mut sightings, untimed) = identities.finish();
    summary.identities_untimed = untimed;
    if let Some(n) = resumed {
        summary.notes.push(format!("completed an interrupted ingest of this file, which had stored {n} new positions"));
    }
    // Sightings add to report counts, which the store cannot tell apart from new ones: a
    // file none of whose positions were new was ingested before, and must add nothing
    // (unless it is the interrupted ingest being completed, which never wrote them).
    if resumed.is_none() && summary.positions_accepted > 0 && summary.positions_inserted == 0 && !sightings.is_empty() {
        summary.notes.push("identity history unchanged: no position of this file was new (ingested before)".into());
        sightings.clear();
    }
    let distinct: std::collections::BTreeSet<(&VesselId, &lookout_model::Identity)> =
        sightings.iter().map(|s| (&s.vessel, &s.identity)).collect();
    summary.identities = distinct.len() as u64;
    let run = IngestRun {
        source: summary.path.display().to_string(),
        format: summary.format.clone(),
        started_at: now,
        records_read: summary.records_read,
        positions_inserted: summary.positions_inserted,
        rejects: summary.rejects.counts.iter().map(|(r, n)| (r.as_str().to_string(), *n)).collect(),
    };
    store.finish_ingest(&rows, &sightings, &run)
}
