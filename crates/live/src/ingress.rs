//! From received bytes to records, per connection: line framing (bounded), the NMEA
//! decoder (its multi-part state belongs to one connection), the receive time from the
//! clock for sentences without a stamp, and the source's counters.

use std::collections::BTreeMap;
use std::sync::Arc;

use lookout_model::{Record, Timestamp};
use lookout_nmea::{to_records, Decoder, DecoderOptions, Outcome};

use crate::stats::SourceStats;
use crate::SharedClock;

/// Longest line kept; a longer one is rejected as `line_too_long` (NMEA allows 82 bytes,
/// tag blocks add some).
pub const MAX_LINE_BYTES: usize = 4096;

/// Records of one read, from one source, on their way to the batcher.
#[derive(Debug)]
pub struct Chunk {
    pub source: Arc<SourceStats>,
    /// Each record with its line number on the connection.
    pub records: Vec<(u64, Record)>,
}

/// One connection's decoder and line framer.
pub struct Ingress {
    stats: Arc<SourceStats>,
    clock: SharedClock,
    decoder: Decoder,
    line_no: u64,
    partial: Vec<u8>,
    overlong: bool,
    outcomes: Vec<Outcome>,
}

impl Ingress {
    pub fn new(stats: Arc<SourceStats>, clock: SharedClock) -> Ingress {
        Ingress {
            stats,
            clock,
            decoder: Decoder::new(DecoderOptions::default()),
            line_no: 0,
            partial: Vec::new(),
            overlong: false,
            outcomes: Vec::new(),
        }
    }

    pub fn stats(&self) -> &Arc<SourceStats> {
        &self.stats
    }

    /// Bytes as they arrived (any split): complete lines are decoded, the rest kept for
    /// the next call. Returns the chunk of records (possibly empty).
    pub fn bytes(&mut self, mut data: &[u8]) -> Chunk {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        while let Some(i) = data.iter().position(|&b| b == b'\n') {
            let (head, rest) = data.split_at(i);
            data = &rest[1..];
            if self.overlong || self.partial.len() + head.len() > MAX_LINE_BYTES {
                self.overlong_line();
                self.partial.clear();
                self.overlong = false;
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(head);
            lines.push(line);
        }
        if !data.is_empty() {
            if self.partial.len() + data.len() > MAX_LINE_BYTES {
                self.overlong = true;
                self.partial.clear();
            } else {
                self.partial.extend_from_slice(data);
            }
        }
        self.lines(lines.iter().map(Vec::as_slice))
    }

    /// Whole lines (a datagram, a line of a file), without their `\n`.
    pub fn lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a [u8]>) -> Chunk {
        let now = self.clock.now();
        let mut sentences = 0u64;
        for line in lines {
            self.line_no += 1;
            if !line.trim_ascii().is_empty() {
                sentences += 1;
            }
            self.decoder.feed(self.line_no, line, &mut self.outcomes);
        }
        self.stats.sentences(sentences);
        self.drain(now)
    }

    /// The connection ended: pending multi-part messages become rejects.
    pub fn finish(&mut self) -> Chunk {
        if !self.partial.is_empty() && !self.overlong {
            let last = std::mem::take(&mut self.partial);
            let mut chunk = self.lines([last.as_slice()]);
            self.decoder.finish(&mut self.outcomes);
            chunk.records.extend(self.drain(self.clock.now()).records);
            return chunk;
        }
        self.decoder.finish(&mut self.outcomes);
        self.drain(self.clock.now())
    }

    fn overlong_line(&mut self) {
        self.line_no += 1;
        self.stats.sentences(1);
        self.stats.reject("line_too_long", 1);
    }

    fn drain(&mut self, now: Timestamp) -> Chunk {
        let mut records = Vec::new();
        let mut by_type: BTreeMap<u8, u64> = BTreeMap::new();
        let mut last: Option<Timestamp> = None;
        let mut rejects: BTreeMap<&'static str, u64> = BTreeMap::new();
        for outcome in self.outcomes.drain(..) {
            match outcome {
                Ok(mut d) => {
                    *by_type.entry(d.message.msg_type).or_insert(0) += 1;
                    let at = *d.received.get_or_insert(now);
                    last = Some(last.map_or(at, |l| l.max(at)));
                    for r in to_records(&d) {
                        match r {
                            Ok(rec) => records.push((d.line, rec)),
                            Err(rej) => *rejects.entry(rej.reason.as_str()).or_insert(0) += 1,
                        }
                    }
                }
                Err(rej) => *rejects.entry(rej.reason.as_str()).or_insert(0) += 1,
            }
        }
        if !by_type.is_empty() {
            self.stats.messages(&by_type, last);
        }
        for (reason, n) in rejects {
            self.stats.reject(reason, n);
        }
        Chunk { source: self.stats.clone(), records }
    }
}
