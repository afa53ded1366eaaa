//! NMEA files: everything is delegated to `lookout_nmea`; this only adapts its end of
//! stream (an IO error is kept on the side there) to a [`Step`].

use std::io::{BufReader, Read};
use std::path::PathBuf;

use lookout_nmea::{DecoderOptions, NmeaRecords};

use super::Step;
use crate::IngestError;

pub(super) struct NmeaRows {
    inner: NmeaRecords<BufReader<Box<dyn Read + Send>>>,
    path: PathBuf,
    failed: bool,
}

impl NmeaRows {
    /// Lines consumed so far: the line of the last record's final fragment.
    pub(crate) fn line(&self) -> u64 {
        self.inner.lines_read()
    }

    pub(super) fn new(stream: Box<dyn Read + Send>, path: PathBuf, max_line_bytes: usize) -> Self {
        let reader = BufReader::with_capacity(64 * 1024, stream);
        let inner = NmeaRecords::new(reader, DecoderOptions::default()).with_max_line_bytes(max_line_bytes);
        NmeaRows { inner, path, failed: false }
    }

    pub(super) fn next_step(&mut self) -> Step {
        if let Some(item) = self.inner.next() {
            return Step::Item(item);
        }
        match self.inner.io_error() {
            Some(e) if !self.failed => {
                self.failed = true;
                Step::Fatal(IngestError::ReadFailed {
                    path: self.path.clone(),
                    line: self.inner.lines_read() + 1,
                    detail: e.to_string(),
                })
            }
            _ => Step::End,
        }
    }
}
