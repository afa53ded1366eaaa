//! A small encoder for tests and benchmarks: build position reports, rewrite MMSIs.

use crate::armor::Bits;

/// Raw fields of a position report, in the units the message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionFields {
    /// 1, 2 or 3 (class A) or 18 (class B).
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// Class A only.
    pub nav_status: u8,
    /// Class A only; −128 = not available.
    pub rot: i8,
    /// 1/10 knot, 1023 = not available.
    pub sog: u16,
    pub accuracy: bool,
    /// 1/10000 minute, 181° = not available.
    pub lon: i32,
    /// 1/10000 minute, 91° = not available.
    pub lat: i32,
    /// 1/10 degree, 3600 = not available.
    pub cog: u16,
    /// Degrees, 511 = not available.
    pub heading: u16,
    pub second: u8,
    pub raim: bool,
}

/// A complete single-sentence `!AIVDM` for a type 1/2/3/18 report, with checksum.
pub fn encode_position_report(p: &PositionFields, channel: char) -> String {
    let mut b = Bits::default();
    b.set(0, 6, u64::from(p.msg_type));
    b.set(6, 2, u64::from(p.repeat));
    b.set(8, 30, u64::from(p.mmsi));
    let twos = |v: i64, w: u32| (v as u64) & ((1u64 << w) - 1);
    if p.msg_type == 18 {
        b.set(38, 8, 0);
        b.set(46, 10, u64::from(p.sog));
        b.set(56, 1, u64::from(p.accuracy));
        b.set(57, 28, twos(i64::from(p.lon), 28));
        b.set(85, 27, twos(i64::from(p.lat), 27));
        b.set(112, 12, u64::from(p.cog));
        b.set(124, 9, u64::from(p.heading));
        b.set(133, 6, u64::from(p.second));
        b.set(139, 8, 0);
        b.set(147, 1, u64::from(p.raim));
        b.set(148, 20, 0);
    } else {
        b.set(38, 4, u64::from(p.nav_status));
        b.set(42, 8, twos(i64::from(p.rot), 8));
        b.set(50, 10, u64::from(p.sog));
        b.set(60, 1, u64::from(p.accuracy));
        b.set(61, 28, twos(i64::from(p.lon), 28));
        b.set(89, 27, twos(i64::from(p.lat), 27));
        b.set(116, 12, u64::from(p.cog));
        b.set(128, 9, u64::from(p.heading));
        b.set(137, 6, u64::from(p.second));
        b.set(143, 5, 0);
        b.set(148, 1, u64::from(p.raim));
        b.set(149, 19, 0);
    }
    let (payload, fill) = b.armor();
    sentence("AIVDM", 1, 1, None, channel, &payload, fill)
}

/// A type 24 part A `!AIVDM` (the name), for tests: `name` in upper-case ASCII, padded
/// with `@` to 20 characters as transmitters do.
pub fn encode_static_name(mmsi: u32, name: &str, channel: char) -> String {
    let mut b = Bits::default();
    b.set(0, 6, 24);
    b.set(8, 30, u64::from(mmsi));
    b.set(38, 2, 0);
    put_text(&mut b, 40, 20, name);
    b.set(160, 8, 0);
    let (payload, fill) = b.armor();
    sentence("AIVDM", 1, 1, None, channel, &payload, fill)
}

/// A type 24 part B `!AIVDM` (ship type and call sign, no dimensions), for tests.
pub fn encode_static_call_sign(mmsi: u32, ship_type: u8, call_sign: &str, channel: char) -> String {
    let mut b = Bits::default();
    b.set(0, 6, 24);
    b.set(8, 30, u64::from(mmsi));
    b.set(38, 2, 1);
    b.set(40, 8, u64::from(ship_type));
    put_text(&mut b, 90, 7, call_sign);
    b.set(132, 36, 0);
    let (payload, fill) = b.armor();
    sentence("AIVDM", 1, 1, None, channel, &payload, fill)
}

/// Six-bit text of `n` characters at `start`, `@`-padded (`@`..`_` are 0..31,
/// space..`?` are 32..63; other characters are not representable).
fn put_text(b: &mut Bits, start: usize, n: usize, text: &str) {
    let bytes = text.as_bytes();
    for i in 0..n {
        let c = bytes.get(i).copied().unwrap_or(b'@');
        let v = if c >= 64 { c - 64 } else { c };
        b.set(start + i * 6, 6, u64::from(v & 63));
    }
}

/// Wraps a payload into a sentence with its checksum.
fn sentence(addr: &str, total: u8, num: u8, seq: Option<u8>, channel: char, payload: &str, fill: u8) -> String {
    let seq = seq.map(|s| s.to_string()).unwrap_or_default();
    let body = format!("{addr},{total},{num},{seq},{channel},{payload},{fill}");
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("!{body}*{sum:02X}")
}

/// Replaces the MMSI in a single sentence (or the first fragment of a multi-part
/// message, which always holds the MMSI) and recomputes the checksum. Anything before
/// the `!` (tag block, stamp) and after the checksum is kept as is. `None` when the
/// line holds no well-formed `!xxVDM`/`VDO` sentence.
pub fn rewrite_mmsi(line: &str, new_mmsi: u32) -> Option<String> {
    let bang = line.find('!')?;
    let star = bang + line[bang..].find('*')?;
    let body = &line[bang + 1..star];
    let fields: Vec<&str> = body.split(',').collect();
    let [addr, total, num, seq, channel, payload, fill] = fields.as_slice() else { return None };
    let fill: u8 = fill.parse().ok().filter(|f| *f <= 5)?;
    let mut bits = Bits::default();
    bits.push_armored(payload.as_bytes()).ok()?;
    if bits.len() < 38 {
        return None;
    }
    bits.drop_fill(fill);
    bits.set(8, 30, u64::from(new_mmsi & 0x3FFF_FFFF));
    let (new_payload, new_fill) = bits.armor();
    let new_body = format!("{addr},{total},{num},{seq},{channel},{new_payload},{new_fill}");
    let sum = new_body.bytes().fold(0u8, |a, b| a ^ b);
    let tail = line.get(star + 3..).unwrap_or("");
    Some(format!("{}!{new_body}*{sum:02X}{tail}", &line[..bang]))
}
