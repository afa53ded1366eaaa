//! Line-level decoding: stamps and tag blocks, sentence checks, multi-part reassembly.

use std::collections::VecDeque;

use lookout_model::{Reject, RejectReason, Timestamp};

use crate::armor::{ArmorError, Bits};
use crate::message::{decode, AisMessage};
use crate::stamp::{parse_leading, parse_pghp, parse_unix};

/// Tuning for a [`Decoder`].
#[derive(Clone, Debug)]
pub struct DecoderOptions {
    /// Most multi-part messages waiting for fragments at once. When a new group would
    /// exceed it, the oldest pending group is dropped as `IncompleteMultipart`.
    pub max_pending_groups: usize,
    /// A first fragment of a different message arriving within this many lines of a
    /// pending one with the same sequence id and channel means two messages interleave
    /// (e.g. merged copies of a feed): the later fragments cannot be attributed, so both
    /// are rejected as `InterleavedMultipart`. Further apart, the pending one is taken as
    /// lost (sequence ids repeat only after ten multi-part messages).
    pub interleave_window_lines: u64,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions { max_pending_groups: 256, interleave_window_lines: 20 }
    }
}

/// One decoded AIS message and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// 1-based line of the sentence (the last fragment for multi-part messages).
    pub line: u64,
    /// Receive time from a tag block, a leading/trailing stamp or a `$PGHP` line.
    pub received: Option<Timestamp>,
    /// Radio channel as given in the sentence (`A`, `B`, `1`, `2`), if any.
    pub channel: Option<char>,
    /// `!xxVDO`: the receiver's own ship.
    pub own_ship: bool,
    pub message: AisMessage,
}

/// Outcome list type used by [`Decoder::feed`].
pub type Outcome = Result<Decoded, Reject>;

/// Most recent multi-part messages remembered for spotting a message heard twice;
/// bounds memory whatever the input.
const MAX_REMEMBERED: usize = 64;

/// Identifies the fragments of one multi-part message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GroupKey {
    seq: Option<u8>,
    channel: Option<u8>,
    tag_group: Option<u32>,
    own_ship: bool,
}

struct Group {
    key: GroupKey,
    total: u8,
    next: u8,
    payload: Vec<u8>,
    first_line: u64,
    received: Option<Timestamp>,
    /// Line of the group's latest fragment.
    last_line: u64,
    /// The first line of a recent message this one repeats so far (the same first
    /// fragment on the same key): a copy heard again, expected to continue like it.
    copy_of: Option<u64>,
}

/// The fragments of a recent multi-part message, for recognising a copy of it.
struct Sent {
    key: GroupKey,
    first_line: u64,
    last_line: u64,
    fragments: Vec<Vec<u8>>,
}

impl Sent {
    /// Fragment `n` (1-based) when it has arrived.
    fn fragment(&self, n: u8) -> Option<&[u8]> {
        self.fragments.get(usize::from(n).checked_sub(1)?).map(Vec::as_slice)
    }
}

/// Where a later fragment goes among the pending groups of its key.
enum Attribution {
    To(usize),
    /// Every group expects another fragment: this one's message began unseen.
    Nobody,
    /// Several groups could take it: two messages interleave.
    Ambiguous(Vec<usize>),
}

/// Per-line context collected before the sentence itself.
struct LineCtx {
    line: u64,
    stamp: Option<Timestamp>,
    tag_group: Option<u32>,
}

/// The fields of one `!xxVDM`/`!xxVDO` sentence.
struct Vdm<'a> {
    own_ship: bool,
    total: u8,
    number: u8,
    seq: Option<u8>,
    channel: Option<u8>,
    payload: &'a [u8],
    fill: u8,
}

/// Stateful NMEA 0183 AIS decoder: feed it physical lines in order.
pub struct Decoder {
    opts: DecoderOptions,
    pending: VecDeque<Group>,
    spare: Vec<Vec<u8>>,
    /// Fragments of recent multi-part messages (pending or complete): a message heard
    /// again (two receivers, a feed merged with a lagged copy of itself) is recognised by
    /// them, so its later fragments go to it and never to another message.
    sent: VecDeque<Sent>,
    /// Stamp from a `$PGHP` or stand-alone tag-block line, for the next sentence.
    next_stamp: Option<Timestamp>,
}

type LineResult<T> = Result<T, Reject>;

fn reject(reason: RejectReason, line: u64, detail: impl Into<String>) -> Reject {
    Reject::new(reason, line, detail)
}

impl Decoder {
    /// A decoder with no pending state.
    pub fn new(opts: DecoderOptions) -> Self {
        Decoder { opts, pending: VecDeque::new(), spare: Vec::new(), sent: VecDeque::new(), next_stamp: None }
    }

    /// Feeds one physical line (`line_no` is 1-based) and appends zero or more outcomes.
    /// Comments (`#`), blank lines and non-AIS sentences (`$GPGGA`, ...) add nothing.
    /// A carriage return ends a sentence in NMEA 0183, so a caller that split the input
    /// on `\n` only (a CR-only or mixed-ending file) still gets every sentence: each
    /// CR-separated piece is fed on its own, under the same line number.
    pub fn feed(&mut self, line_no: u64, line: &[u8], out: &mut Vec<Outcome>) {
        for piece in line.split(|&b| b == b'\r') {
            self.feed_one(line_no, piece, out);
        }
    }

    fn feed_one(&mut self, line_no: u64, line: &[u8], out: &mut Vec<Outcome>) {
        // A UTF-8 byte-order mark (a file saved by a Windows editor) is not content.
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line).trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            return;
        }
        let mut ctx = LineCtx { line: line_no, stamp: None, tag_group: None };
        let rest = match self.strip_prefix(line, &mut ctx) {
            Ok(r) => r,
            Err(e) => return out.push(Err(e)),
        };
        match rest.first() {
            None => {
                // A tag block alone on its line stamps the sentence that follows.
                if ctx.stamp.is_some() {
                    self.next_stamp = ctx.stamp;
                }
            }
            Some(b'$') => {
                if let Err(e) = self.proprietary(rest, line_no) {
                    out.push(Err(e));
                }
            }
            Some(b'!') => {
                if let Err(e) = self.sentence(rest, &ctx, out) {
                    out.push(Err(e));
                }
            }
            Some(_) => {
                out.push(Err(reject(RejectReason::MalformedSentence, line_no, "no NMEA sentence after the prefix")))
            }
        }
    }

    /// End of input: every group still waiting for fragments becomes a reject.
    pub fn finish(&mut self, out: &mut Vec<Outcome>) {
        while let Some(g) = self.pending.pop_front() {
            out.push(Err(incomplete(&g, g.first_line, "input ended before the last fragment")));
            self.recycle(g);
        }
        self.next_stamp = None;
        self.sent.clear();
    }

    /// Number of multi-part messages currently waiting for fragments.
    pub fn pending_groups(&self) -> usize {
        self.pending.len()
    }

    fn strip_prefix<'a>(&mut self, line: &'a [u8], ctx: &mut LineCtx) -> LineResult<&'a [u8]> {
        let mut rest = line;
        if !matches!(rest[0], b'\\' | b'!' | b'$') {
            let start = rest
                .iter()
                .position(|&b| matches!(b, b'!' | b'\\' | b'$'))
                .ok_or_else(|| reject(RejectReason::MalformedSentence, ctx.line, "not an NMEA sentence"))?;
            let raw = rest[..start].trim_ascii_end();
            let raw = raw.strip_suffix(b",").or_else(|| raw.strip_suffix(b";")).unwrap_or(raw);
            ctx.stamp = Some(parse_leading(raw).ok_or_else(|| {
                reject(RejectReason::MalformedSentence, ctx.line, "unrecognised text before the sentence")
            })?);
            rest = &rest[start..];
        }
        if rest.first() == Some(&b'\\') {
            let (tag, after) = parse_tag_block(rest, ctx.line)?;
            if tag.time.is_some() {
                ctx.stamp = tag.time;
            }
            ctx.tag_group = tag.group;
            rest = after.trim_ascii_start();
        }
        Ok(rest)
    }

    /// `$` sentences: only DMA's `$PGHP` matters (it stamps the next sentence). A `$PGHP`
    /// line that fails its checksum or carries no time is a counted reject, never a
    /// silent drop; the next sentence then has no stamp from it.
    fn proprietary(&mut self, s: &[u8], line: u64) -> LineResult<()> {
        if !s.starts_with(b"$PGHP,") {
            return Ok(());
        }
        self.next_stamp = None;
        let (body, _) =
            checked_body(s).ok_or_else(|| reject(RejectReason::BadChecksum, line, "$PGHP line fails its checksum"))?;
        self.next_stamp = parse_pghp(body);
        // Type 1 is DMA's time line; other proprietary types carry no time.
        if self.next_stamp.is_none() && body.starts_with(b"PGHP,1,") {
            return Err(reject(RejectReason::MalformedSentence, line, "$PGHP line without a valid time"));
        }
        Ok(())
    }

    fn sentence(&mut self, s: &[u8], ctx: &LineCtx, out: &mut Vec<Outcome>) -> LineResult<()> {
        let pending_stamp = self.next_stamp.take();
        let line = ctx.line;
        let star = s
            .iter()
            .position(|&b| b == b'*')
            .ok_or_else(|| reject(RejectReason::BadChecksum, line, "checksum missing"))?;
        let body = &s[1..star];
        let (sum, printable) = xor_printable(body);
        if !printable {
            return Err(reject(RejectReason::MalformedSentence, line, "non-printable byte in sentence"));
        }
        let given = s
            .get(star + 1..star + 3)
            .and_then(hex2)
            .ok_or_else(|| reject(RejectReason::BadChecksum, line, "checksum is not two hex digits"))?;
        if given != sum {
            return Err(reject(
                RejectReason::BadChecksum,
                line,
                format!("expected checksum {sum:02X}, found {given:02X}"),
            ));
        }
        let tail = &s[star + 3..];
        if !xor_printable(tail).1 {
            return Err(reject(RejectReason::MalformedSentence, line, "non-printable byte after the checksum"));
        }
        let Some(vdm) = parse_vdm(body, line)? else { return Ok(()) };
        let received = ctx.stamp.or_else(|| trailing_stamp(tail)).or(pending_stamp);
        if vdm.total == 1 {
            let mut bits = Bits::default();
            armor_into(&mut bits, vdm.payload, vdm.fill, line)?;
            out.push(finish_message(&bits, line, received, vdm.channel, vdm.own_ship));
            return Ok(());
        }
        self.fragment(&vdm, ctx, received, out)
    }

    fn fragment(
        &mut self,
        v: &Vdm<'_>,
        ctx: &LineCtx,
        received: Option<Timestamp>,
        out: &mut Vec<Outcome>,
    ) -> LineResult<()> {
        let line = ctx.line;
        let key = GroupKey { seq: v.seq, channel: v.channel, tag_group: ctx.tag_group, own_ship: v.own_ship };
        let window = self.opts.interleave_window_lines;
        self.sent.retain(|s| line.saturating_sub(s.last_line) <= window);
        if v.number == 1 {
            self.open_group(key, v, line, received, out);
            return Ok(());
        }
        let candidates: Vec<usize> = (0..self.pending.len())
            .filter(|&i| {
                self.pending[i].key == key && self.pending[i].next == v.number && self.pending[i].total == v.total
            })
            .collect();
        if candidates.is_empty() {
            if let Some(i) = self.pending.iter().position(|g| g.key == key) {
                let (expect, total) = (self.pending[i].next, self.pending[i].total);
                let why = format!("expected fragment {expect}/{total}, got {}/{}", v.number, v.total);
                self.drop_group(i, line, &why, out);
                return Ok(());
            }
            return Err(orphan(v, line));
        }
        let i = match self.attribute(&candidates, v) {
            Attribution::To(i) => i,
            Attribution::Nobody => return Err(orphan(v, line)),
            Attribution::Ambiguous(viable) => {
                for &i in viable.iter().rev() {
                    self.drop_interleaved(i, line, out);
                }
                return Err(interleaved(line, &format!("fragment {}/{} cannot be attributed", v.number, v.total)));
            }
        };
        self.append(i, v, line, received, out);
        Ok(())
    }

    /// A first fragment opens a group; an older group of the same key that has waited
    /// longer than the window is taken as lost (sequence ids repeat only after ten
    /// multi-part messages), a recent one stays: the two messages may interleave.
    fn open_group(
        &mut self,
        key: GroupKey,
        v: &Vdm<'_>,
        line: u64,
        received: Option<Timestamp>,
        out: &mut Vec<Outcome>,
    ) {
        while let Some(i) = self.pending.iter().position(|g| g.key == key && self.stale(g, line)) {
            self.drop_group(i, line, "a new message started before the last fragment", out);
        }
        let copy_of = self.sent.iter().find(|s| s.key == key && s.fragment(1) == Some(v.payload)).map(|s| s.first_line);
        self.make_room(line, out);
        let mut payload = self.spare.pop().unwrap_or_default();
        payload.clear();
        payload.extend_from_slice(v.payload);
        let group =
            Group { key, total: v.total, next: 2, payload, first_line: line, last_line: line, received, copy_of };
        self.pending.push_back(group);
        if self.sent.len() >= MAX_REMEMBERED {
            self.sent.pop_front();
        }
        self.sent.push_back(Sent { key, first_line: line, last_line: line, fragments: vec![v.payload.to_vec()] });
    }

    /// Which pending group (all of `v`'s key and waiting for its number) fragment `v`
    /// continues. A copy of a recent message continues only with that message's next
    /// fragment; a group whose continuation is unknown takes the fragment only when no
    /// other such group could (or all of them hold the same fragments so far).
    fn attribute(&self, candidates: &[usize], v: &Vdm<'_>) -> Attribution {
        let expected = |i: usize| {
            let of = self.pending[i].copy_of?;
            self.sent.iter().find(|s| s.first_line == of)?.fragment(v.number)
        };
        if let Some(&i) = candidates.iter().find(|&&i| expected(i) == Some(v.payload)) {
            return Attribution::To(i);
        }
        let viable: Vec<usize> = candidates.iter().copied().filter(|&i| expected(i).is_none()).collect();
        match viable.as_slice() {
            [] => Attribution::Nobody,
            [i] => Attribution::To(*i),
            [first, rest @ ..] if rest.iter().all(|&j| self.pending[j].payload == self.pending[*first].payload) => {
                Attribution::To(*first)
            }
            _ => Attribution::Ambiguous(viable),
        }
    }

    fn append(&mut self, i: usize, v: &Vdm<'_>, line: u64, received: Option<Timestamp>, out: &mut Vec<Outcome>) {
        let g = &mut self.pending[i];
        g.payload.extend_from_slice(v.payload);
        g.next += 1;
        g.last_line = line;
        g.received = g.received.or(received);
        let first_line = g.first_line;
        if let Some(sent) = self.sent.iter_mut().find(|s| s.first_line == first_line) {
            sent.fragments.push(v.payload.to_vec());
            sent.last_line = line;
        }
        if v.number < v.total {
            return;
        }
        if let Some(g) = self.pending.remove(i) {
            let mut bits = Bits::default();
            let res = armor_into(&mut bits, &g.payload, v.fill, line)
                .and_then(|()| finish_message(&bits, line, g.received, v.channel, v.own_ship));
            out.push(res);
            self.recycle(g);
        }
    }

    fn stale(&self, g: &Group, line: u64) -> bool {
        line.saturating_sub(g.last_line) > self.opts.interleave_window_lines
    }

    fn make_room(&mut self, line: u64, out: &mut Vec<Outcome>) {
        let max = self.opts.max_pending_groups.max(1);
        while self.pending.len() >= max {
            match self.pending.pop_front() {
                Some(g) => {
                    self.forget(g.first_line);
                    out.push(Err(incomplete(&g, line, "evicted: too many pending multi-part messages")));
                    self.recycle(g);
                }
                None => break,
            }
        }
    }

    fn drop_group(&mut self, i: usize, line: u64, why: &str, out: &mut Vec<Outcome>) {
        if let Some(g) = self.pending.remove(i) {
            self.forget(g.first_line);
            out.push(Err(incomplete(&g, line, why)));
            self.recycle(g);
        }
    }

    fn drop_interleaved(&mut self, i: usize, line: u64, out: &mut Vec<Outcome>) {
        if let Some(g) = self.pending.remove(i) {
            self.forget(g.first_line);
            out.push(Err(interleaved(line, &format!("message of {} fragments from line {}", g.total, g.first_line))));
            self.recycle(g);
        }
    }

    /// A rejected message is no original: a later copy of it must stand on its own.
    fn forget(&mut self, first_line: u64) {
        self.sent.retain(|s| s.first_line != first_line);
    }

    fn recycle(&mut self, g: Group) {
        if self.spare.len() < 64 {
            self.spare.push(g.payload);
        }
    }
}

fn incomplete(g: &Group, line: u64, why: &str) -> Reject {
    let seq = g.key.seq.map_or(String::from("-"), |s| s.to_string());
    let ch = g.key.channel.map_or('-', char::from);
    reject(
        RejectReason::IncompleteMultipart,
        line,
        format!(
            "{why} (message of {} fragments from line {}, seq {seq}, channel {ch}; got {})",
            g.total,
            g.first_line,
            g.next - 1
        ),
    )
}

fn orphan(v: &Vdm<'_>, line: u64) -> Reject {
    reject(
        RejectReason::IncompleteMultipart,
        line,
        format!("fragment {}/{} without the fragments before it", v.number, v.total),
    )
}

fn interleaved(line: u64, what: &str) -> Reject {
    reject(
        RejectReason::InterleavedMultipart,
        line,
        format!("{what}: two messages interleaved under one sequence id and channel"),
    )
}

fn finish_message(bits: &Bits, line: u64, received: Option<Timestamp>, channel: Option<u8>, own_ship: bool) -> Outcome {
    match decode(bits) {
        Ok(message) => Ok(Decoded { line, received, channel: channel.map(char::from), own_ship, message }),
        Err((reason, detail)) => Err(reject(reason, line, detail)),
    }
}

fn armor_into(bits: &mut Bits, payload: &[u8], fill: u8, line: u64) -> LineResult<()> {
    bits.push_armored(payload).map_err(|e| match e {
        ArmorError::BadChar(c) => {
            reject(RejectReason::MalformedSentence, line, format!("byte 0x{c:02X} is not a payload character"))
        }
        ArmorError::TooLong => reject(RejectReason::MalformedSentence, line, "payload longer than any AIS message"),
    })?;
    bits.drop_fill(fill);
    Ok(())
}

/// XOR of the bytes and whether all of them are printable ASCII.
#[inline]
fn xor_printable(body: &[u8]) -> (u8, bool) {
    let mut x = 0u8;
    let mut bad = false;
    for &b in body {
        x ^= b;
        bad |= !(0x20..=0x7e).contains(&b);
    }
    (x, !bad)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn hex2(s: &[u8]) -> Option<u8> {
    match s {
        [a, b] => Some(hex_digit(*a)? << 4 | hex_digit(*b)?),
        _ => None,
    }
}

/// The body between the start character and `*` when the checksum matches.
fn checked_body(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let star = s.iter().position(|&b| b == b'*')?;
    let body = s.get(1..star)?;
    let given = hex2(s.get(star + 1..star + 3)?)?;
    (xor_printable(body) == (given, true)).then(|| (body, &s[star + 3..]))
}

/// `,<unix seconds>` as the last comma field after the checksum.
fn trailing_stamp(tail: &[u8]) -> Option<Timestamp> {
    if tail.first() != Some(&b',') {
        return None;
    }
    let last = tail.rsplit(|&b| b == b',').next()?.trim_ascii();
    let int_len = last.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(9..=13).contains(&int_len) {
        return None;
    }
    parse_unix(last)
}

fn single_digit(f: &[u8]) -> Option<u8> {
    match f {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => None,
    }
}

/// Splits a checksummed sentence body. `Ok(None)`: a valid sentence that is not AIS.
fn parse_vdm(body: &[u8], line: u64) -> LineResult<Option<Vdm<'_>>> {
    let bad = |what: &str| reject(RejectReason::MalformedSentence, line, what.to_string());
    let mut f = body.split(|&b| b == b',');
    let addr = f.next().unwrap_or_default();
    let own_ship = match addr {
        [_, _, b'V', b'D', b'M'] => false,
        [_, _, b'V', b'D', b'O'] => true,
        a if a.len() >= 3 && a.iter().all(u8::is_ascii_alphanumeric) => return Ok(None),
        _ => return Err(bad("sentence address is not a talker and type")),
    };
    let mut next = || f.next().ok_or_else(|| bad("too few fields"));
    let total = single_digit(next()?).filter(|&n| n >= 1).ok_or_else(|| bad("bad fragment count"))?;
    let number =
        single_digit(next()?).filter(|&n| (1..=total).contains(&n)).ok_or_else(|| bad("bad fragment number"))?;
    let seq_field = next()?;
    let seq = match seq_field {
        [] => None,
        s => Some(single_digit(s).ok_or_else(|| bad("bad sequential message id"))?),
    };
    let channel = match next()? {
        [] => None,
        [c] => Some(*c),
        _ => return Err(bad("bad channel field")),
    };
    let payload = next()?;
    let fill = match next()? {
        [] => 0,
        s => single_digit(s).filter(|&n| n <= 5).ok_or_else(|| bad("bad fill-bit count"))?,
    };
    if f.next().is_some() {
        return Err(bad("too many fields"));
    }
    if payload.is_empty() {
        return Err(bad("empty payload"));
    }
    Ok(Some(Vdm { own_ship, total, number, seq, channel, payload, fill }))
}

struct TagBlock {
    time: Option<Timestamp>,
    group: Option<u32>,
}

/// `\key:value,...*hh\` at the start of `s`; returns the block and what follows it.
fn parse_tag_block(s: &[u8], line: u64) -> LineResult<(TagBlock, &[u8])> {
    let end = s[1..]
        .iter()
        .position(|&b| b == b'\\')
        .map(|p| p + 1)
        .ok_or_else(|| reject(RejectReason::MalformedSentence, line, "unterminated tag block"))?;
    let inner = &s[1..end];
    let star = inner
        .iter()
        .rposition(|&b| b == b'*')
        .ok_or_else(|| reject(RejectReason::BadChecksum, line, "tag block checksum missing"))?;
    let body = &inner[..star];
    let (sum, printable) = xor_printable(body);
    if !printable {
        return Err(reject(RejectReason::MalformedSentence, line, "non-printable byte in tag block"));
    }
    match hex2(&inner[star + 1..]) {
        Some(given) if given == sum => {}
        Some(given) => {
            return Err(reject(
                RejectReason::BadChecksum,
                line,
                format!("tag block: expected checksum {sum:02X}, found {given:02X}"),
            ))
        }
        None => return Err(reject(RejectReason::BadChecksum, line, "tag block checksum is not two hex digits")),
    }
    let mut tag = TagBlock { time: None, group: None };
    for field in body.split(|&b| b == b',') {
        if let Some(v) = field.strip_prefix(b"c:") {
            tag.time = parse_unix(v);
        } else if let Some(v) = field.strip_prefix(b"g:") {
            // g:<fragment>-<total>-<group id>; only the id ties fragments together.
            tag.group = v.rsplit(|&b| b == b'-').next().and_then(|id| std::str::from_utf8(id).ok()?.parse().ok());
        }
    }
    Ok((tag, &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Vec<Outcome> {
        run_with(lines, DecoderOptions::default())
    }

    fn run_with(lines: &[&str], opts: DecoderOptions) -> Vec<Outcome> {
        let mut d = Decoder::new(opts);
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            d.feed(i as u64 + 1, l.as_bytes(), &mut out);
        }
        d.finish(&mut out);
        out
    }

    fn reasons(out: &[Outcome]) -> Vec<Result<u8, RejectReason>> {
        out.iter().map(|o| o.as_ref().map(|d| d.message.msg_type).map_err(|r| r.reason)).collect()
    }

    const P1: &str = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C";
    const P2: &str = "!AIVDM,2,2,1,A,88888888880,2*25";

    #[test]
    fn two_fragments_reassemble() {
        let out = run(&[P1, P2]);
        assert_eq!(reasons(&out), vec![Ok(5)]);
        let d = out[0].as_ref().expect("decoded");
        assert_eq!(d.line, 2);
        assert_eq!(d.message.name.as_deref(), Some("EVER DIADEM"));
    }

    #[test]
    fn lost_first_fragment_is_incomplete() {
        assert_eq!(reasons(&run(&[P2])), vec![Err(RejectReason::IncompleteMultipart)]);
    }

    #[test]
    fn lost_last_fragment_is_flushed_at_end() {
        let out = run(&[P1]);
        assert_eq!(reasons(&out), vec![Err(RejectReason::IncompleteMultipart)]);
    }

    #[test]
    fn out_of_order_fragments_never_yield_a_message() {
        let out = run(&[P2, P1]);
        assert_eq!(reasons(&out), vec![Err(RejectReason::IncompleteMultipart), Err(RejectReason::IncompleteMultipart)]);
    }

    #[test]
    fn repeated_first_fragment_yields_the_message_once() {
        let out = run(&[P1, P1, P2]);
        assert_eq!(reasons(&out), vec![Ok(5), Err(RejectReason::IncompleteMultipart)]);
    }

    /// `body` between `!` and `*` as a sentence with its checksum.
    fn sentence(body: &str) -> String {
        format!("!{body}*{:02X}", body.bytes().fold(0u8, |a, b| a ^ b))
    }

    /// A second type-5 message on P1/P2's sequence id and channel.
    fn q1() -> String {
        sentence("AIVDM,2,1,1,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0")
    }
    fn q2() -> String {
        sentence("AIVDM,2,2,1,A,00000000000,2")
    }

    #[test]
    fn restart_after_the_window_drops_the_old_one() {
        let filler = vec!["$GPGGA,x*00".to_string(); 25];
        let (q1, q2) = (q1(), q2());
        let mut lines = vec![P1];
        lines.extend(filler.iter().map(String::as_str));
        lines.extend([q1.as_str(), q2.as_str()]);
        let out = run(&lines);
        assert_eq!(reasons(&out), vec![Err(RejectReason::IncompleteMultipart), Ok(5)]);
    }

    #[test]
    fn interleaved_messages_are_never_joined() {
        let (q1, q2) = (q1(), q2());
        let out = run(&[P1, &q1, P2, &q2]);
        assert!(out.iter().all(Result::is_err), "no message may come out of two interleaved ones: {out:?}");
        let interleaved = Err(RejectReason::InterleavedMultipart);
        // Both groups and the first later fragment are interleaved; the second later
        // fragment finds no group left.
        assert_eq!(reasons(&out), vec![interleaved, interleaved, interleaved, Err(RejectReason::IncompleteMultipart)]);
    }

    #[test]
    fn a_copy_heard_again_is_followed_not_joined_with_another_message() {
        // P1/P2 complete, then its copy interleaves with a new message Q on the same key.
        let (q1, q2) = (q1(), q2());
        let out = run(&[P1, P2, &q1, P1, &q2, P2]);
        let decoded: Vec<_> = out.iter().filter_map(|o| o.as_ref().ok()).map(|d| d.message.mmsi).collect();
        let p = run(&[P1, P2])[0].as_ref().map(|d| d.message.mmsi).unwrap_or_default();
        let q = run(&[&q1, &q2])[0].as_ref().map(|d| d.message.mmsi).unwrap_or_default();
        assert_eq!(decoded, vec![p, q, p], "the copy is the same message again, never P's start with Q's end");
    }

    #[test]
    fn interleaved_channels() {
        let out = run(&[
            "!AIVDM,2,1,6,B,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht50000000000,0*3B",
            "!AIVDM,2,1,2,A,542M92h00001@<7;?G0PD4i@R0<tqA8tj37>220o0h:2240Ht500000000000000,0*3C",
            "!AIVDM,2,2,2,A,0000002,2*24",
            "!AIVDM,2,2,6,B,00000000000,2*21",
        ]);
        assert_eq!(reasons(&out), vec![Ok(5), Ok(5)]);
        assert_eq!(out[0].as_ref().map(|d| d.channel), Ok(Some('A')));
        assert_eq!(out[1].as_ref().map(|d| d.channel), Ok(Some('B')));
    }

    #[test]
    fn pending_groups_are_bounded() {
        let mut d = Decoder::new(DecoderOptions { max_pending_groups: 2, ..DecoderOptions::default() });
        let mut out = Vec::new();
        for (i, ch) in ["A", "B", "1"].iter().enumerate() {
            let body = format!("AIVDM,2,1,3,{ch},55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0");
            let sum = body.bytes().fold(0u8, |a, b| a ^ b);
            d.feed(i as u64 + 1, format!("!{body}*{sum:02X}").as_bytes(), &mut out);
            assert!(d.pending_groups() <= 2);
        }
        assert_eq!(reasons(&out), vec![Err(RejectReason::IncompleteMultipart)]);
        assert!(out[0].as_ref().err().map(|r| r.detail.contains("evicted")).unwrap_or(false));
        d.finish(&mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(d.pending_groups(), 0);
    }

    #[test]
    fn checksum_and_structure() {
        let out = run(&[
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B",
            "!AIVDM,1,1,,B,,0*25",
            "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0",
            "$GPGGA,whatever*00",
            "# comment",
            "",
            "garbage line",
        ]);
        assert_eq!(
            reasons(&out),
            vec![
                Err(RejectReason::BadChecksum),
                Err(RejectReason::MalformedSentence),
                Err(RejectReason::BadChecksum),
                Err(RejectReason::MalformedSentence),
            ]
        );
        let detail = &out[0].as_ref().err().map(|r| r.detail.clone()).unwrap_or_default();
        assert_eq!(detail, "expected checksum 4A, found 4B");
    }

    #[test]
    fn stamps_from_every_source() {
        let s = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
        let lines = [
            format!("2020-01-01T00:00:00Z {s}"),
            format!("1609459200.5 {s}"),
            format!("2020-01-01 00:00:00,{s}"),
            format!("{s},1262304000"),
            "$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B".to_string(),
            s.to_string(),
            s.to_string(),
            format!("\\s:117,c:1668046497*0A\\{s}"),
            format!("\\s:117,c:1668046497*0B\\{s}"),
        ];
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let out = run(&refs);
        let got: Vec<Option<String>> =
            out.iter().map(|o| o.as_ref().ok().and_then(|d| d.received).map(|t| t.to_rfc3339())).collect();
        assert_eq!(
            got,
            vec![
                Some("2020-01-01T00:00:00+00:00".into()),
                Some("2021-01-01T00:00:00.500+00:00".into()),
                Some("2020-01-01T00:00:00+00:00".into()),
                Some("2010-01-01T00:00:00+00:00".into()),
                Some("2010-06-11T11:46:11.390+00:00".into()),
                None,
                Some("2022-11-10T02:14:57+00:00".into()),
                None,
            ]
        );
        assert_eq!(out[7].as_ref().err().map(|r| r.reason), Some(RejectReason::BadChecksum));
    }

    #[test]
    fn pghp_lines_that_fail_are_counted() {
        let s = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
        let out = run(&[
            "$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5C",
            s,
            "$PGHP,1,2010,13,11,11,46,11,390,231,45,992190934,1,2B*6F",
            s,
            "$PGHP,2,whatever*33",
            s,
        ]);
        assert_eq!(
            reasons(&out),
            vec![Err(RejectReason::BadChecksum), Ok(1), Err(RejectReason::MalformedSentence), Ok(1), Ok(1)]
        );
        // A failed time line stamps nothing: the sentence after it has no receive time.
        assert!(out.iter().flatten().all(|d| d.received.is_none()));
    }

    #[test]
    fn carriage_returns_end_sentences_and_a_bom_is_not_content() {
        let s = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
        let cr_only = format!("{s}\r{s}\r\n\r{s}\r");
        let out = run(&[cr_only.as_str(), &format!("\u{feff}{s}")]);
        assert_eq!(reasons(&out), vec![Ok(1), Ok(1), Ok(1), Ok(1)]);
    }

    #[test]
    fn tag_block_groups_key_reassembly() {
        let out = run(&[
            "\\g:1-2-7218,s:117,c:1668046497*74\\!AIVDM,2,1,9,,5815Njh2Bah1KL7CGG<HUHu>2222222222222216D@LB>6jm0@CSmSlS,0*62",
            "\\g:2-2-7218*51\\!AIVDM,2,2,9,,lljFDjp88888880,2*26",
        ]);
        assert_eq!(reasons(&out), vec![Ok(5)]);
        let d = out[0].as_ref().expect("decoded");
        assert_eq!(d.received.map(|t| t.timestamp()), Some(1668046497));
        assert_eq!(d.channel, None);
    }
}
