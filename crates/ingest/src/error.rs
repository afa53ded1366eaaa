use std::path::PathBuf;

/// A structural problem with an input file: nothing (more) can be read from it.
///
/// Record-level problems are not errors: they are [`lookout_model::Reject`]s, counted
/// and reported while the rest of the file is read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: line {line}: {message}")]
    Structure { path: PathBuf, line: u64, message: String },
    #[error("{path}: line {line}: text is not valid UTF-8 (byte offset {offset}); pass --encoding (e.g. --encoding euc-kr or --encoding windows-1252)")]
    NotUtf8 { path: PathBuf, line: u64, offset: usize },
    #[error("{path}: unknown encoding label {label:?}")]
    UnknownEncoding { path: PathBuf, label: String },
    #[error("{path}: cannot detect the format from its first lines; expected NMEA sentences (!AIVDM), or a CSV/JSON header such as {expected}; pass --format")]
    UnknownFormat { path: PathBuf, expected: String },
    #[error("{path}: line {line}: missing required column {column:?} for format {format}; header has: {header}")]
    MissingColumn { path: PathBuf, line: u64, column: String, format: String, header: String },
}
