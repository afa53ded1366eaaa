//! Bounds what the csv crate buffers: it holds a whole row in memory, so a 1 GB line
//! would take 1 GB. [`CappedRows`] sits between the decoded stream and the csv reader
//! and passes on only rows of at most `max` bytes. A longer row (one physical line, or
//! several joined by a quoted field that never closes) is dropped without being
//! buffered past `max`: its line number goes to [`TooLong`] for a `line_too_long` reject,
//! and the csv reader sees one empty line per dropped line (which it skips), so the line
//! numbers of the rows after it stay right.

use std::collections::VecDeque;
use std::io::{self, BufReader, Read};
use std::sync::{Arc, Mutex, PoisonError};

/// Line numbers of dropped rows, shared between the adapter (which finds them) and the
/// row reader (which reports them).
#[derive(Clone, Default)]
pub(super) struct TooLong(Arc<Mutex<VecDeque<u64>>>);

impl TooLong {
    fn push(&self, line: u64) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push_back(line);
    }

    /// The next dropped row's first line, if any.
    pub(super) fn pop(&self) -> Option<u64> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }
}

/// Bytes handed to the csv reader per refill: whole rows, about this many.
const CHUNK: usize = 64 * 1024;

pub(super) struct CappedRows {
    inner: BufReader<Box<dyn Read + Send>>,
    max: usize,
    /// Complete rows ready for the csv reader, read from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// The row being gathered (lines joined while a quoted field is open).
    row: Vec<u8>,
    line: Vec<u8>,
    in_quotes: bool,
    /// Physical lines read so far, and the first line of `row`.
    line_no: u64,
    row_start: u64,
    header_done: bool,
    eof: bool,
    too_long: TooLong,
}

impl CappedRows {
    pub(super) fn new(stream: Box<dyn Read + Send>, max: usize, too_long: TooLong) -> Self {
        CappedRows {
            inner: BufReader::with_capacity(CHUNK, stream),
            max: max.max(1),
            out: Vec::with_capacity(CHUNK + 1024),
            pos: 0,
            row: Vec::new(),
            line: Vec::new(),
            in_quotes: false,
            line_no: 0,
            row_start: 1,
            header_done: false,
            eof: false,
            too_long,
        }
    }

    /// Refills `out` with whole rows (or the end of the input).
    fn fill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.len() < CHUNK && !self.eof {
            self.line.clear();
            let room = self.max.saturating_sub(self.row.len());
            let (n, cut) = lookout_nmea::read_line_bounded(&mut self.inner, &mut self.line, room)?;
            if n == 0 {
                // An unclosed quote at the very end: pass it on for the csv reader to judge.
                self.out.append(&mut self.row);
                self.eof = true;
                break;
            }
            self.line_no += 1;
            if self.row.is_empty() {
                self.row_start = self.line_no;
            }
            if cut {
                self.drop_row();
                continue;
            }
            if self.line.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                self.in_quotes = !self.in_quotes;
            }
            self.row.extend_from_slice(&self.line);
            if !self.in_quotes {
                // Blank lines before the header are skipped by the csv reader too.
                self.header_done |= self.row.iter().any(|b| !b.is_ascii_whitespace());
                self.out.append(&mut self.row);
            }
        }
        Ok(())
    }

    /// The row so far plus the current line exceed `max`: report it and hand on only its
    /// line breaks. The line was consumed to its end; an open quote ends with it.
    fn drop_row(&mut self) {
        self.too_long.push(self.row_start);
        if !self.header_done {
            // The csv reader takes its first record as the header; keep that a header
            // (the real one was read from the file's start) rather than the next row.
            self.out.push(b'-');
            self.header_done = true;
        }
        let lines = self.line_no - self.row_start + 1;
        self.out.extend(std::iter::repeat_n(b'\n', usize::try_from(lines).unwrap_or(usize::MAX)));
        self.row.clear();
        self.in_quotes = false;
    }
}

impl Read for CappedRows {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = (self.out.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(input: &str, max: usize) -> (String, Vec<u64>) {
        let too_long = TooLong::default();
        let mut r = CappedRows::new(Box::new(io::Cursor::new(input.as_bytes().to_vec())), max, too_long.clone());
        let mut out = String::new();
        r.read_to_string(&mut out).expect("reads");
        (out, std::iter::from_fn(|| too_long.pop()).collect())
    }

    #[test]
    fn long_lines_become_empty_lines_and_are_reported() {
        let (out, lines) = capped("h,h\n1,2\n123456789\r\n3,4\n", 6);
        assert_eq!(out, "h,h\n1,2\n\n3,4\n");
        assert_eq!(lines, vec![3]);
    }

    #[test]
    fn a_quoted_field_joins_lines_and_counts_towards_the_cap() {
        let (out, lines) = capped("h,h\n\"a\nb\",1\nx,y\n", 64);
        assert_eq!(out, "h,h\n\"a\nb\",1\nx,y\n");
        assert!(lines.is_empty());
        let (out, lines) = capped("h,h\n\"aaa\nbbb\nccc,1\nx,y\n", 9);
        assert_eq!(out, "h,h\n\n\n\nx,y\n");
        assert_eq!(lines, vec![2]);
    }

    #[test]
    fn a_long_header_stays_a_header() {
        let (out, lines) = capped("hhhhhhhhhh\n1,2\n", 5);
        assert_eq!(out, "-\n1,2\n");
        assert_eq!(lines, vec![1]);
        let (out, lines) = capped("\n\nhhhhhhhhhh\n1,2\n", 5);
        assert_eq!(out, "\n\n-\n1,2\n");
        assert_eq!(lines, vec![3]);
    }
}
