use std::path::PathBuf;

/// A structural problem with an input file: nothing (more) can be read from it.
///
/// Record-level problems are not errors: they are [`lookout_model::Reject`]s, counted
/// and reported while the rest of the file is read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or its metadata read.
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Reading failed part-way through (truncated or corrupt gzip, device error).
    #[error("{path}: line {line}: read failed: {detail}; the file may be truncated or corrupt")]
    ReadFailed { path: PathBuf, line: u64, detail: String },
    /// Nothing but whitespace (after decompression and a byte-order mark).
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },
    /// The content is not of the expected shape (binary data, wrong format, ...).
    #[error("{path}: line {line}: {message}")]
    Structure { path: PathBuf, line: u64, message: String },
    /// Text that is not UTF-8 and no `--encoding` was given.
    #[error("{path}: line {line}: text is not valid UTF-8 (byte offset {offset}); pass --encoding (e.g. --encoding cp949 or --encoding windows-1252)")]
    NotUtf8 { path: PathBuf, line: u64, offset: usize },
    /// `--encoding` named something encoding_rs does not know.
    #[error("{path}: unknown encoding label {label:?} (try utf-8, cp949, euc-kr, gbk, gb18030, shift_jis, windows-1252, utf-16le)")]
    UnknownEncoding { path: PathBuf, label: String },
    /// Format auto-detection found nothing it recognises.
    #[error("{path}: line {line}: cannot detect the format from its first lines; expected NMEA sentences (!AIVDM), or a CSV/JSON header such as {expected}; pass --format")]
    UnknownFormat { path: PathBuf, line: u64, expected: String },
    /// A CSV header lacks a column the format needs.
    #[error("{path}: line {line}: missing required column {column:?} for format {format}; header has: {header} (accepted names: {accepted})")]
    MissingColumn { path: PathBuf, line: u64, column: String, format: String, header: String, accepted: String },
}
