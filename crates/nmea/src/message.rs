//! AIS message bodies (ITU-R M.1371-5 field tables) decoded from a [`Bits`] buffer.
//!
//! One flat struct covers every decoded type: a field a type does not carry, or one
//! whose value is the standard's "not available" code, is `None`.

use lookout_model::{RejectReason, Timestamp};
use serde::Serialize;

use crate::armor::Bits;
use crate::stamp::utc_from_fields;

/// A decoded AIS message. Units: degrees, knots, metres; raw codes where the standard
/// defines an enumeration (nav status, ship type, EPFD, aid type).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AisMessage {
    /// Message type 1..=27.
    #[serde(rename = "type")]
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// Navigational status 0..=15 (types 1-3, 27).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav_status: Option<u8>,
    /// Raw rate-of-turn indicator −127..=127 (`ROT_AIS`); −128 (not available) is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rot: Option<i8>,
    /// Knots; 102.3 (types 1-3/18/19) or 63 (type 27) "not available" is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sog: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<bool>,
    /// Degrees east; 181 ("not available") is `None`. Other out-of-range values are kept
    /// so that [`crate::to_records`] can tell them apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Degrees north; 91 ("not available") is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Degrees; 360 and above ("not available") is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cog: Option<f64>,
    /// Degrees; 511 ("not available") and other values above 359 are `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<u16>,
    /// UTC second of the report; 60 ("not available") is `None`; 61-63 are kept (they
    /// encode manual input / dead reckoning / inoperative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maneuver: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raim: Option<bool>,
    /// Type 4 base-station UTC date and time; `None` when any part is "not available".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc: Option<Timestamp>,
    /// Type of electronic position fixing device (0 = undefined is kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epfd: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ais_version: Option<u8>,
    /// IMO number; 0 ("not available") is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<String>,
    /// Vessel name (types 5, 19, 24A) or aid-to-navigation name incl. extension (21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Ship and cargo type code; 0 ("not available") is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim_to_bow: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim_to_stern: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim_to_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim_to_starboard: Option<u16>,
    /// ETA month 1..=12; 0 is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_month: Option<u8>,
    /// ETA day 1..=31; 0 is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_day: Option<u8>,
    /// ETA hour 0..=23; 24 is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_hour: Option<u8>,
    /// ETA minute 0..=59; 60 is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_minute: Option<u8>,
    /// Metres; 0 ("not available") is `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draught: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Data terminal equipment flag (`false` = available).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dte: Option<bool>,
    /// Type 24 part: 0 = A (name), 1 = B (type, call sign, dimensions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_number: Option<u8>,
    /// Type 24B vendor id as the 7 characters of the 42-bit field (older senders put
    /// a plain 7-character id there; newer ones 3 characters + model + serial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// Type 24B unit model code (bits 66-69).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<u8>,
    /// Type 24B serial number (bits 70-89).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// Type 24B of an auxiliary craft (MMSI 98xxxxxxx): the mother ship's MMSI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mothership_mmsi: Option<u32>,
    /// Type 21 aid-to-navigation type 0..=31.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aid_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_position: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_aid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<bool>,
    /// Type 18 class B unit kind: `true` = carrier-sense (CS), `false` = SOTDMA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cs_unit: Option<bool>,
    /// Type 27 position latency flag: `true` = position older than 5 s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gnss_latency: Option<bool>,
    /// Type 15: first interrogated station.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_mmsi: Option<u32>,
}

/// Why a well-formed payload did not yield a message.
pub(crate) type DecodeError = (RejectReason, String);

/// Decodes the message in `b` (fill bits already dropped).
pub(crate) fn decode(b: &Bits) -> Result<AisMessage, DecodeError> {
    if b.len() < 38 {
        return Err(too_short(b, 38));
    }
    let msg_type = b.get(0, 6) as u8;
    let mut m = AisMessage { msg_type, repeat: b.get(6, 2) as u8, mmsi: b.get(8, 30) as u32, ..Default::default() };
    match msg_type {
        1..=3 => need(b, 143).map(|()| class_a_position(b, &mut m)),
        4 => need(b, 138).map(|()| base_station(b, &mut m)),
        5 => need(b, 300).map(|()| static_voyage(b, &mut m)),
        15 => need(b, 70).map(|()| interrogation(b, &mut m)),
        18 => need(b, 139).map(|()| class_b_position(b, &mut m)),
        19 => need(b, 301).map(|()| class_b_extended(b, &mut m)),
        20 => Ok(()),
        21 => need(b, 259).map(|()| aid_to_navigation(b, &mut m)),
        24 => static_data_report(b, &mut m),
        27 => need(b, 95).map(|()| long_range(b, &mut m)),
        t => Err((RejectReason::UnsupportedType, format!("AIS message type {t} ({}) is not decoded", type_name(t)))),
    }?;
    Ok(m)
}

fn need(b: &Bits, bits: usize) -> Result<(), DecodeError> {
    if b.len() < bits {
        Err(too_short(b, bits))
    } else {
        Ok(())
    }
}

fn too_short(b: &Bits, bits: usize) -> DecodeError {
    (RejectReason::MalformedSentence, format!("payload has {} bits, type needs at least {bits}", b.len()))
}

fn type_name(t: u8) -> &'static str {
    match t {
        6 => "binary addressed",
        7 | 13 => "binary acknowledge",
        8 => "binary broadcast",
        9 => "SAR aircraft position",
        10 => "UTC/date inquiry",
        11 => "UTC/date response",
        12 => "addressed safety text",
        14 => "safety broadcast text",
        16 => "assignment mode command",
        17 => "DGNSS broadcast",
        22 => "channel management",
        23 => "group assignment",
        25 | 26 => "binary single/multiple slot",
        _ => "undefined type",
    }
}

/// Longitude/latitude in 1/10000 minute (or 1/10 minute for type 27, `scale` 600).
fn lon_lat(
    b: &Bits,
    lon_at: usize,
    lon_bits: u32,
    lat_at: usize,
    lat_bits: u32,
    scale: f64,
) -> (Option<f64>, Option<f64>) {
    let lon_raw = b.get_signed(lon_at, lon_bits);
    let lat_raw = b.get_signed(lat_at, lat_bits);
    let na_lon = (181.0 * scale) as i64;
    let na_lat = (91.0 * scale) as i64;
    let lon = (lon_raw != na_lon).then(|| lon_raw as f64 / scale);
    let lat = (lat_raw != na_lat).then(|| lat_raw as f64 / scale);
    (lon, lat)
}

fn sog_tenths(raw: u64) -> Option<f64> {
    (raw != 1023).then(|| raw as f64 / 10.0)
}

fn cog_tenths(raw: u64) -> Option<f64> {
    (raw < 3600).then(|| raw as f64 / 10.0)
}

fn heading(raw: u64) -> Option<u16> {
    (raw < 360).then_some(raw as u16)
}

fn second(raw: u64) -> Option<u8> {
    (raw != 60).then_some(raw as u8)
}

fn flag(b: &Bits, at: usize) -> Option<bool> {
    Some(b.get(at, 1) == 1)
}

fn nonzero_u8(raw: u64) -> Option<u8> {
    (raw != 0).then_some(raw as u8)
}

const POS_SCALE: f64 = 600_000.0;

fn class_a_position(b: &Bits, m: &mut AisMessage) {
    m.nav_status = Some(b.get(38, 4) as u8);
    let rot = b.get_signed(42, 8);
    m.rot = (rot != -128).then_some(rot as i8);
    m.sog = sog_tenths(b.get(50, 10));
    m.accuracy = flag(b, 60);
    (m.lon, m.lat) = lon_lat(b, 61, 28, 89, 27, POS_SCALE);
    m.cog = cog_tenths(b.get(116, 12));
    m.heading = heading(b.get(128, 9));
    m.second = second(b.get(137, 6));
    m.maneuver = Some(b.get(143, 2) as u8);
    m.raim = flag(b, 148);
}

fn base_station(b: &Bits, m: &mut AisMessage) {
    let f = |at, w| b.get(at, w) as u32;
    m.utc = utc_from_fields(f(38, 14), f(52, 4), f(56, 5), f(61, 5), f(66, 6), f(72, 6));
    m.accuracy = flag(b, 78);
    (m.lon, m.lat) = lon_lat(b, 79, 28, 107, 27, POS_SCALE);
    m.epfd = Some(b.get(134, 4) as u8);
    m.raim = flag(b, 148);
}

fn dimensions(b: &Bits, at: usize, m: &mut AisMessage) {
    m.dim_to_bow = Some(b.get(at, 9) as u16);
    m.dim_to_stern = Some(b.get(at + 9, 9) as u16);
    m.dim_to_port = Some(b.get(at + 18, 6) as u16);
    m.dim_to_starboard = Some(b.get(at + 24, 6) as u16);
}

fn static_voyage(b: &Bits, m: &mut AisMessage) {
    m.ais_version = Some(b.get(38, 2) as u8);
    m.imo = (b.get(40, 30) != 0).then_some(b.get(40, 30) as u32);
    m.call_sign = b.text(70, 7);
    m.name = b.text(112, 20);
    m.ship_type = nonzero_u8(b.get(232, 8));
    dimensions(b, 240, m);
    m.epfd = Some(b.get(270, 4) as u8);
    m.eta_month = nonzero_u8(b.get(274, 4));
    m.eta_day = nonzero_u8(b.get(278, 5));
    m.eta_hour = (b.get(283, 5) < 24).then_some(b.get(283, 5) as u8);
    m.eta_minute = (b.get(288, 6) < 60).then_some(b.get(288, 6) as u8);
    m.draught = (b.get(294, 8) != 0).then(|| b.get(294, 8) as f64 / 10.0);
    m.destination = b.text(302, 20);
    m.dte = flag(b, 422);
}

fn interrogation(b: &Bits, m: &mut AisMessage) {
    m.dest_mmsi = Some(b.get(40, 30) as u32);
}

fn class_b_common(b: &Bits, m: &mut AisMessage) {
    m.sog = sog_tenths(b.get(46, 10));
    m.accuracy = flag(b, 56);
    (m.lon, m.lat) = lon_lat(b, 57, 28, 85, 27, POS_SCALE);
    m.cog = cog_tenths(b.get(112, 12));
    m.heading = heading(b.get(124, 9));
    m.second = second(b.get(133, 6));
}

fn class_b_position(b: &Bits, m: &mut AisMessage) {
    class_b_common(b, m);
    m.cs_unit = flag(b, 141);
    m.assigned = flag(b, 146);
    m.raim = flag(b, 147);
}

fn class_b_extended(b: &Bits, m: &mut AisMessage) {
    class_b_common(b, m);
    m.name = b.text(143, 20);
    m.ship_type = nonzero_u8(b.get(263, 8));
    dimensions(b, 271, m);
    m.epfd = Some(b.get(301, 4) as u8);
    m.raim = flag(b, 305);
    m.dte = flag(b, 306);
    m.assigned = flag(b, 307);
}

fn aid_to_navigation(b: &Bits, m: &mut AisMessage) {
    m.aid_type = Some(b.get(38, 5) as u8);
    let base = b.text(43, 20);
    // The name extension fills whatever whole characters follow bit 272.
    let ext = if b.len() > 272 { b.text(272, (b.len() - 272) / 6) } else { None };
    m.name = match (base, ext) {
        (Some(n), Some(e)) => Some(n + &e),
        (n, e) => n.or(e),
    };
    m.accuracy = flag(b, 163);
    (m.lon, m.lat) = lon_lat(b, 164, 28, 192, 27, POS_SCALE);
    dimensions(b, 219, m);
    m.epfd = Some(b.get(249, 4) as u8);
    m.second = second(b.get(253, 6));
    m.off_position = flag(b, 259);
    m.raim = flag(b, 268);
    m.virtual_aid = flag(b, 269);
    m.assigned = flag(b, 270);
}

fn static_data_report(b: &Bits, m: &mut AisMessage) -> Result<(), DecodeError> {
    need(b, 40)?;
    let part = b.get(38, 2) as u8;
    m.part_number = Some(part);
    match part {
        0 => {
            need(b, 160)?;
            m.name = b.text(40, 20);
        }
        1 => {
            need(b, 162)?;
            m.ship_type = nonzero_u8(b.get(40, 8));
            m.vendor_id = b.text(48, 7);
            m.model = Some(b.get(66, 4) as u8);
            m.serial = Some(b.get(70, 20) as u32);
            m.call_sign = b.text(90, 7);
            if m.mmsi / 10_000_000 == 98 {
                m.mothership_mmsi = Some(b.get(132, 30) as u32);
            } else {
                dimensions(b, 132, m);
            }
        }
        p => return Err((RejectReason::MalformedSentence, format!("type 24 part number {p} is undefined"))),
    }
    Ok(())
}

fn long_range(b: &Bits, m: &mut AisMessage) {
    m.accuracy = flag(b, 38);
    m.raim = flag(b, 39);
    m.nav_status = Some(b.get(40, 4) as u8);
    (m.lon, m.lat) = lon_lat(b, 44, 18, 62, 17, 600.0);
    let sog = b.get(79, 6);
    m.sog = (sog != 63).then_some(sog as f64);
    let cog = b.get(85, 9);
    m.cog = (cog < 360).then_some(cog as f64);
    m.gnss_latency = flag(b, 94);
}
