//! From a path to a UTF-8 byte stream: gzip by magic bytes, encoding (given, from a BOM,
//! or detected when the text is not UTF-8), BOM, and a sniffed prefix that format detection
//! looks at before the real reader starts.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Decoder, Encoding, EUC_KR, GBK, SHIFT_JIS, UTF_16BE, UTF_16LE, UTF_8};
use flate2::read::MultiGzDecoder;

use crate::IngestError;

/// How much decoded text detection looks at (and id sampling, and UTF-8 checking).
pub(super) const SNIFF_LEN: usize = 64 * 1024;

/// A decoded text stream whose first bytes are also available as [`Source::sniff`].
pub(super) struct Source {
    /// The whole stream, sniffed prefix included.
    pub stream: Box<dyn Read + Send>,
    /// The first up to [`SNIFF_LEN`] bytes, BOM removed; valid UTF-8 except possibly
    /// a multi-byte character cut at the end.
    pub sniff: Vec<u8>,
    pub counter: Arc<AtomicU64>,
    pub total_bytes: Option<u64>,
    /// Set when the text was converted from another encoding.
    pub decoded_from: Option<&'static Encoding>,
    /// True when that encoding was guessed from the bytes, not given or stated by a BOM.
    pub detected: bool,
}

/// Opens `path` and prepares its text. `encoding` is an encoding_rs label.
/// A gzip member decompressing to more than `max_decompressed` bytes stops the reading
/// there with an error (the file counts as cut short).
pub(super) fn open_source(path: &Path, encoding: Option<&str>, max_decompressed: u64) -> Result<Source, IngestError> {
    let io_err = |source| IngestError::Io { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(io_err)?;
    let total_bytes = file.metadata().ok().map(|m| m.len());
    let counter = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(64 * 1024, Counting { inner: file, counter: Arc::clone(&counter) });
    let magic = raw.fill_buf().map_err(io_err)?.to_vec();
    reject_unsupported_compression(path, &magic)?;
    let mut text: Box<dyn Read + Send> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(Capped { inner: MultiGzDecoder::new(raw), left: max_decompressed, cap: max_decompressed })
    } else {
        Box::new(raw)
    };

    let mut decoded_from = None;
    let mut head = read_head(path, &mut text, 4)?;
    if let Some(enc) = pick_encoding(path, encoding, &head)? {
        decoded_from = Some(enc);
        text = transcode(head, text, enc);
        head = Vec::new();
    }
    let mut sniff = head;
    sniff.extend(read_head(path, &mut text, SNIFF_LEN - sniff.len())?);
    // Without a stated encoding, text that is not UTF-8 (and not binary: NULs are reported
    // below) is decoded as the legacy encoding its bytes look like.
    let detected = decoded_from.is_none() && !sniff.contains(&0) && !is_utf8_prefix(&sniff);
    if detected {
        let enc = detect_encoding(&sniff);
        decoded_from = Some(enc);
        text = transcode(sniff, text, enc);
        sniff = read_head(path, &mut text, SNIFF_LEN)?;
    }
    if sniff.starts_with(b"\xEF\xBB\xBF") {
        sniff.drain(..3);
    }
    check_text(path, &sniff, decoded_from.is_some())?;
    let stream: Box<dyn Read + Send> = Box::new(Cursor::new(sniff.clone()).chain(text));
    Ok(Source { stream, sniff, counter, total_bytes, decoded_from, detected })
}

/// A file's text as a UTF-8 stream, exactly as the readers see it (gzip, BOMs, UTF-16 and
/// other encodings handled), for tools that read lines themselves (`lookout decode`).
pub fn open_text(path: &Path, opts: &super::ReadOptions) -> Result<Box<dyn Read + Send>, IngestError> {
    open_source(path, opts.encoding.as_deref(), opts.max_decompressed).map(|s| s.stream)
}

/// `already_read` followed by the rest of `text`, decoded from `enc` to UTF-8.
fn transcode(already_read: Vec<u8>, text: Box<dyn Read + Send>, enc: &'static Encoding) -> Box<dyn Read + Send> {
    let prefixed: Box<dyn Read + Send> = Box::new(Cursor::new(already_read).chain(text));
    Box::new(Transcode::new(prefixed, enc.new_decoder()))
}

/// True when the sniffed prefix is UTF-8 (a character cut by the sniff limit is fine: the
/// rest follows in the stream).
fn is_utf8_prefix(sniff: &[u8]) -> bool {
    match std::str::from_utf8(sniff) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && sniff.len() >= SNIFF_LEN,
    }
}

/// The legacy encoding the bytes look like (chardetng, the detector Firefox uses; it tells
/// Korean, Chinese, Japanese, Cyrillic, Greek, ... and the Western windows-1252 apart).
fn detect_encoding(sniff: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sniff, sniff.len() < SNIFF_LEN);
    detector.guess(None, Utf8Detection::Deny)
}

/// The encoding a label names: encoding_rs's (WHATWG) labels, plus the Windows code page
/// names users know the East Asian encodings by. encoding_rs's EUC-KR is the WHATWG one,
/// which is Windows code page 949 (Unified Hangul Code), a superset of EUC-KR.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().to_ascii_lowercase();
    match label.as_str() {
        "cp949" | "ms949" | "uhc" | "windows-949" | "windows949" => Some(EUC_KR),
        "cp936" | "ms936" | "windows-936" => Some(GBK),
        "cp932" | "windows-932" => Some(SHIFT_JIS),
        _ => Encoding::for_label(label.as_bytes()),
    }
}

/// An encoding's name for messages, with the name Windows users know it by.
pub fn encoding_display_name(enc: &'static Encoding) -> String {
    let alias = match enc.name() {
        "EUC-KR" => " (CP949 / windows-949)",
        "GBK" => " (CP936; GB18030 sequences decoded too)",
        "Shift_JIS" => " (CP932)",
        "windows-1252" => " (Latin-1)",
        _ => "",
    };
    format!("{}{alias}", enc.name())
}

/// The explicit encoding, or UTF-16 when a UTF-16 BOM says so; `None` means UTF-8.
fn pick_encoding(path: &Path, label: Option<&str>, head: &[u8]) -> Result<Option<&'static Encoding>, IngestError> {
    if let Some(label) = label {
        let enc = encoding_for_label(label)
            .ok_or_else(|| IngestError::UnknownEncoding { path: path.to_path_buf(), label: label.to_string() })?;
        return Ok((enc != UTF_8).then_some(enc));
    }
    Ok(match head {
        [0xFF, 0xFE, ..] => Some(UTF_16LE),
        [0xFE, 0xFF, ..] => Some(UTF_16BE),
        _ => None,
    })
}

fn reject_unsupported_compression(path: &Path, magic: &[u8]) -> Result<(), IngestError> {
    let kind = match magic {
        [b'P', b'K', 3, 4, ..] => "zip",
        [b'B', b'Z', b'h', ..] => "bzip2",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => "xz",
        _ => return Ok(()),
    };
    Err(IngestError::Structure {
        path: path.to_path_buf(),
        line: 1,
        message: format!("{kind}-compressed input is not supported; decompress it first (gzip is read directly)"),
    })
}

/// Reads up to `limit` bytes; a failure here (typically a truncated gzip) names the
/// line it happened on.
fn read_head(path: &Path, r: &mut dyn Read, limit: usize) -> Result<Vec<u8>, IngestError> {
    let mut buf = Vec::with_capacity(limit.min(SNIFF_LEN));
    match r.take(limit as u64).read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        Err(e) => Err(IngestError::ReadFailed {
            path: path.to_path_buf(),
            line: line_of(&buf, buf.len()),
            detail: e.to_string(),
        }),
    }
}

/// 1-based line number of byte `offset` in `text`.
pub(super) fn line_of(text: &[u8], offset: usize) -> u64 {
    text[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// Empty, binary and non-UTF-8 input are structural errors, found before any row.
fn check_text(path: &Path, sniff: &[u8], transcoded: bool) -> Result<(), IngestError> {
    if sniff.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    // A stray NUL is one bad line, rejected by its reader; more than 1 % is binary data.
    let nuls = sniff.iter().filter(|b| **b == 0).count();
    if let Some(nul) = sniff.iter().position(|b| *b == 0).filter(|_| nuls * 100 > sniff.len()) {
        return Err(IngestError::Structure {
            path: path.to_path_buf(),
            line: line_of(sniff, nul),
            message: binary_message(sniff, nul),
        });
    }
    if transcoded {
        return Ok(());
    }
    match std::str::from_utf8(sniff) {
        // A character cut by the sniff limit is fine: the rest follows in the stream.
        Err(e) if e.error_len().is_some() || sniff.len() < SNIFF_LEN => Err(IngestError::NotUtf8 {
            path: path.to_path_buf(),
            line: line_of(sniff, e.valid_up_to()),
            offset: e.valid_up_to(),
        }),
        _ => Ok(()),
    }
}

fn binary_message(sniff: &[u8], nul: usize) -> String {
    let nuls = sniff.iter().take(4096).filter(|b| **b == 0).count();
    let odd_nuls = sniff.iter().take(4096).skip(1).step_by(2).filter(|b| **b == 0).count();
    let hint = if nuls > 16 && odd_nuls * 10 >= nuls * 9 {
        "; it looks like UTF-16LE text without a byte-order mark: pass --encoding utf-16le"
    } else if nuls > 16 && odd_nuls * 10 <= nuls {
        "; it looks like UTF-16BE text without a byte-order mark: pass --encoding utf-16be"
    } else {
        ""
    };
    format!("binary data (NUL byte at offset {nul}); expected a text file (CSV, JSON lines or NMEA){hint}")
}

/// Fails once more than `cap` bytes came out of `inner`: a gzip bomb stops at the cap
/// instead of filling the disk or the memory of whatever buffers it.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            let msg = format!(
                "decompressed size exceeds the cap of {} bytes (--max-decompressed); the rest of the file is not read",
                self.cap
            );
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Counts raw (on-disk) bytes for progress reporting.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Converts any encoding_rs encoding to UTF-8 on the fly. Malformed input becomes
/// U+FFFD: with an explicit encoding the user chose, a replaced byte should cost a
/// garbled name, not the file.
struct Transcode<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    /// The decoder has been given its last input and flushed; it must not be called again.
    finished: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
}

impl<R: Read> Transcode<R> {
    fn new(inner: R, decoder: Decoder) -> Self {
        Transcode {
            inner,
            decoder,
            input: vec![0; 32 * 1024],
            in_start: 0,
            in_end: 0,
            eof: false,
            finished: false,
            output: vec![0; 96 * 1024 + 16],
            out_start: 0,
            out_end: 0,
        }
    }

    /// Decodes another chunk into `output`; returns false at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        while !self.finished {
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = self.inner.read(&mut self.input)?;
                self.eof = self.in_end == 0;
            }
            let last = self.eof;
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(&self.input[self.in_start..self.in_end], &mut self.output, last);
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            self.finished = last && result == encoding_rs::CoderResult::InputEmpty;
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.out_end && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}
