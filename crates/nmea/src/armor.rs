//! 6-bit payload armoring (IEC 61162-1 / ITU-R M.1371) and a fixed-size bit buffer.
//!
//! The buffer lives on the stack so single-sentence messages decode without any heap
//! allocation; bits are kept MSB-first in `u64` words so a field read is at most two
//! word loads and a couple of shifts.

/// Largest message we accept, in bits. ITU-R M.1371 caps a message at five slots
/// (1,008 bits for types 6/8/25/26); the slack covers non-conforming senders.
pub(crate) const MAX_BITS: usize = 2048;
const WORDS: usize = MAX_BITS / 64;
const INVALID: u8 = 0xFF;

const fn build_dearmor() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut c = 48;
    while c <= 87 {
        t[c] = (c - 48) as u8;
        c += 1;
    }
    let mut c = 96;
    while c <= 119 {
        t[c] = (c - 56) as u8;
        c += 1;
    }
    t
}

static DEARMOR: [u8; 256] = build_dearmor();

/// Why a payload could not be turned into bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArmorError {
    /// A byte outside the two armoring ranges `0`..`W` and `` ` ``..`w`.
    BadChar(u8),
    /// More than [`MAX_BITS`] bits.
    TooLong,
}

/// A message's bits, MSB first.
#[derive(Clone)]
pub struct Bits {
    words: [u64; WORDS + 1],
    len: usize,
}

impl Default for Bits {
    fn default() -> Self {
        Bits { words: [0; WORDS + 1], len: 0 }
    }
}

impl Bits {
    /// Number of valid bits (after fill bits were dropped).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no bit was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends armored payload characters (6 bits each).
    pub(crate) fn push_armored(&mut self, chars: &[u8]) -> Result<(), ArmorError> {
        if self.len + chars.len() * 6 > MAX_BITS {
            return Err(ArmorError::TooLong);
        }
        let mut pos = self.len;
        // Ten characters fill 60 bits of one register: de-armor them branch-free, check
        // them together, then store the run with at most two word writes.
        for chunk in chars.chunks(10) {
            let mut acc = 0u64;
            let mut seen = 0u8;
            for &c in chunk {
                let v = DEARMOR[c as usize];
                seen |= v;
                acc = (acc << 6) | u64::from(v & 0x3F);
            }
            if seen & 0xC0 != 0 {
                let bad = chunk.iter().copied().find(|&c| DEARMOR[c as usize] == INVALID).unwrap_or(0);
                return Err(ArmorError::BadChar(bad));
            }
            let n = chunk.len() * 6;
            self.put_run(pos, acc, n);
            pos += n;
        }
        self.len = pos;
        Ok(())
    }

    /// ORs the low `n` (1..=60) bits of `value` into the buffer at bit `pos`.
    #[inline(always)]
    fn put_run(&mut self, pos: usize, value: u64, n: usize) {
        let aligned = value << (64 - n);
        let w = pos >> 6;
        let off = pos & 63;
        self.words[w] |= aligned >> off;
        if off + n > 64 {
            self.words[w + 1] |= aligned << (64 - off);
        }
    }

    /// Drops the trailing fill bits and zeroes them, so reads past the end see zeros
    /// whatever the sender put in the padding.
    pub(crate) fn drop_fill(&mut self, fill: u8) {
        self.len = self.len.saturating_sub(fill as usize);
        let w = self.len >> 6;
        let off = self.len & 63;
        if w < self.words.len() {
            self.words[w] &= if off == 0 { 0 } else { !0u64 << (64 - off) };
        }
        if w + 1 < self.words.len() {
            self.words[w + 1] = 0;
        }
    }

    /// Writes `width` bits of `value` at `start` (encoder side).
    pub(crate) fn set(&mut self, start: usize, width: u32, value: u64) {
        for i in 0..width as usize {
            let bit = (value >> (width as usize - 1 - i)) & 1;
            let pos = start + i;
            if pos >= MAX_BITS {
                return;
            }
            let mask = 1u64 << (63 - (pos & 63));
            if bit == 1 {
                self.words[pos >> 6] |= mask;
            } else {
                self.words[pos >> 6] &= !mask;
            }
        }
        self.len = self.len.max((start + width as usize).min(MAX_BITS));
    }

    /// Unsigned field of `width` (1..=64) bits at `start`; bits past the end read as 0.
    #[inline(always)]
    pub fn get(&self, start: usize, width: u32) -> u64 {
        debug_assert!((1..=64).contains(&width));
        if start >= MAX_BITS {
            return 0;
        }
        let w = start >> 6;
        let off = (start & 63) as u32;
        let hi = self.words[w] << off;
        let lo = if off == 0 { 0 } else { self.words[w + 1] >> (64 - off) };
        (hi | lo) >> (64 - width)
    }

    /// Two's-complement field of `width` bits.
    #[inline(always)]
    pub fn get_signed(&self, start: usize, width: u32) -> i64 {
        let raw = self.get(start, width);
        let shift = 64 - width;
        ((raw << shift) as i64) >> shift
    }

    /// 6-bit text field of `nchars` characters. `@` ends the text (it is the padding
    /// character); trailing blanks are dropped. `None` when nothing is left.
    pub fn text(&self, start: usize, nchars: usize) -> Option<String> {
        let avail = self.len.saturating_sub(start) / 6;
        let n = nchars.min(avail);
        let mut s = String::with_capacity(n);
        for i in 0..n {
            let v = self.get(start + i * 6, 6) as u8;
            if v == 0 {
                break;
            }
            s.push(sixbit_char(v));
        }
        let trimmed = s.trim_end_matches(' ').len();
        s.truncate(trimmed);
        (!s.is_empty()).then_some(s)
    }

    /// Re-armors the first `len()` bits: payload characters and the fill-bit count.
    pub(crate) fn armor(&self) -> (String, u8) {
        let nchars = self.len.div_ceil(6);
        let fill = (nchars * 6 - self.len) as u8;
        let mut s = String::with_capacity(nchars);
        for i in 0..nchars {
            s.push(armor_char(self.get(i * 6, 6) as u8));
        }
        (s, fill)
    }
}

/// The 6-bit text alphabet: 0..=31 are `@A..Z[\]^_`, 32..=63 are ` !"..?`.
#[inline]
pub(crate) fn sixbit_char(v: u8) -> char {
    let v = v & 63;
    (if v < 32 { v + 64 } else { v }) as char
}

#[inline]
fn armor_char(v: u8) -> char {
    let v = v & 63;
    (if v < 40 { v + 48 } else { v + 56 }) as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armor_round_trips_every_value() {
        for v in 0..64u8 {
            let c = armor_char(v) as u8;
            assert_eq!(DEARMOR[c as usize], v);
        }
        let valid = DEARMOR.iter().filter(|&&v| v != INVALID).count();
        assert_eq!(valid, 64);
    }

    #[test]
    fn reads_across_word_boundaries() {
        let mut b = Bits::default();
        b.set(60, 10, 0b1011001110);
        assert_eq!(b.get(60, 10), 0b1011001110);
        assert_eq!(b.get_signed(60, 10), 0b1011001110 - 1024);
        assert_eq!(b.get(0, 60), 0);
    }

    #[test]
    fn fill_bits_are_cleared() {
        let mut b = Bits::default();
        b.push_armored(b"w").unwrap();
        b.drop_fill(2);
        assert_eq!(b.len(), 4);
        assert_eq!(b.get(0, 6), 0b111100);
    }

    #[test]
    fn rejects_chars_outside_alphabet() {
        let mut b = Bits::default();
        assert_eq!(b.push_armored(b"1X"), Err(ArmorError::BadChar(b'X')));
    }
}
