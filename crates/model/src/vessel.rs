use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Identity of a vessel as the source gave it.
///
/// Usually a 9-digit MMSI, but public extracts often anonymise it (a hash, a small
/// integer). Such opaque ids are accepted; MMSI checks do not apply to them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct VesselId(pub String);

impl VesselId {
    pub fn new(id: impl Into<String>) -> Self {
        VesselId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The MMSI if this id is exactly nine ASCII digits.
    pub fn mmsi(&self) -> Option<u32> {
        let s = self.0.as_str();
        if s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    }

    /// True when the id looks like an MMSI, so MMSI validity checks apply.
    pub fn is_mmsi(&self) -> bool {
        self.mmsi().is_some()
    }
}

impl std::fmt::Display for VesselId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// AIS navigational status (ITU-R M.1371, 0..=15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct NavStatus(pub u8);

const NAV_STATUS_TEXT: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted manoeuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Power-driven vessel towing astern",
    "Power-driven vessel pushing ahead or towing alongside",
    "Reserved",
    "AIS-SART is active",
    "Not defined",
];

impl NavStatus {
    /// The standard English text, as DMA and the reference model use it.
    pub fn text(self) -> &'static str {
        NAV_STATUS_TEXT.get(self.0 as usize).copied().unwrap_or("Not defined")
    }

    /// Parses a numeric code or a textual status as written by common exports.
    pub fn parse(raw: &str) -> Option<NavStatus> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        if let Ok(v) = t.parse::<f64>() {
            return (v.fract() == 0.0 && (0.0..=15.0).contains(&v)).then_some(NavStatus(v as u8));
        }
        let lower = t.to_ascii_lowercase();
        let code = match lower.as_str() {
            "under way using engine" => 0,
            "at anchor" => 1,
            "not under command" => 2,
            s if s.starts_with("restricted man") => 3,
            s if s.starts_with("constrained") => 4,
            "moored" => 5,
            "aground" => 6,
            "engaged in fishing" => 7,
            "under way sailing" => 8,
            s if s.contains("towing astern") => 11,
            s if s.contains("pushing ahead") || s.contains("towing alongside") => 12,
            s if s.contains("sart") => 14,
            "not defined" | "unknown value" | "unknown" | "undefined" | "default" => 15,
            _ => return None,
        };
        Some(NavStatus(code))
    }
}

/// ITU AIS ship and cargo type code (0..=99).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ShipType(pub u16);

/// Coarse ship kind used by detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipKind {
    Fishing,
    Cargo,
    Tanker,
    Passenger,
    Tug,
    Pleasure,
    Other,
}

impl ShipType {
    pub fn kind(self) -> ShipKind {
        match self.0 {
            30 => ShipKind::Fishing,
            31 | 32 | 52 => ShipKind::Tug,
            36 | 37 => ShipKind::Pleasure,
            60..=69 => ShipKind::Passenger,
            70..=79 => ShipKind::Cargo,
            80..=89 => ShipKind::Tanker,
            _ => ShipKind::Other,
        }
    }

    /// Parses an ITU code, the Korean registry aliases (`000020` fishing, `000023`
    /// cargo) or the English type names used by public extracts ("Fishing", "Cargo").
    pub fn parse(raw: &str) -> Option<ShipType> {
        let t = raw.trim();
        match t {
            "" => return None,
            "000020" => return Some(ShipType(30)),
            "000023" => return Some(ShipType(70)),
            _ => {}
        }
        if let Ok(v) = t.parse::<f64>() {
            return (v.fract() == 0.0 && (0.0..=99.0).contains(&v)).then_some(ShipType(v as u16));
        }
        let lower = t.to_ascii_lowercase();
        let code = match lower.as_str() {
            "fishing" => 30,
            "towing" => 31,
            "towing long/wide" => 32,
            "dredging" | "dredging or underwater ops" => 33,
            "diving" | "diving ops" => 34,
            "military" | "military ops" => 35,
            "sailing" => 36,
            "pleasure" | "pleasure craft" => 37,
            "hsc" | "high speed craft" => 40,
            "pilot" => 50,
            "search/rescue" | "sar" => 51,
            "tug" => 52,
            "port tender" => 53,
            "anti-pollution" => 54,
            "law enforcement" => 55,
            "medical" => 58,
            "passenger" | "passenger ship" => 60,
            "cargo" => 70,
            "tanker" => 80,
            "other" => 90,
            _ => return None,
        };
        Some(ShipType(code))
    }
}

/// One decoded position report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position {
    pub vessel: VesselId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: Timestamp,
    pub lat: f64,
    pub lon: f64,
    /// Knots; `None` when the source says "not available" (102.3) or gives nothing.
    pub sog: Option<f64>,
    /// Degrees; `None` for "not available" (360).
    pub cog: Option<f64>,
    /// Degrees; `None` for "not available" (511).
    pub heading: Option<f64>,
    pub nav_status: Option<NavStatus>,
}

/// Static and voyage data about a vessel (AIS types 5, 19, 24, or CSV columns).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaticData {
    pub name: Option<String>,
    pub call_sign: Option<String>,
    pub imo: Option<u32>,
    pub ship_type: Option<ShipType>,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
}

impl StaticData {
    pub fn is_empty(&self) -> bool {
        *self == StaticData::default()
    }

    /// Fills fields this record lacks from `newer` (newer values win).
    pub fn merge_from(&mut self, newer: &StaticData) {
        fn take<T: Clone>(slot: &mut Option<T>, v: &Option<T>) {
            if v.is_some() {
                slot.clone_from(v);
            }
        }
        take(&mut self.name, &newer.name);
        take(&mut self.call_sign, &newer.call_sign);
        take(&mut self.imo, &newer.imo);
        take(&mut self.ship_type, &newer.ship_type);
        take(&mut self.length_m, &newer.length_m);
        take(&mut self.width_m, &newer.width_m);
    }
}

/// What a reader yields for one accepted input record.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    Position(Position),
    Static { vessel: VesselId, timestamp: Option<Timestamp>, data: StaticData },
}

impl Record {
    /// The vessel the record is about.
    pub fn vessel(&self) -> &VesselId {
        match self {
            Record::Position(p) => &p.vessel,
            Record::Static { vessel, .. } => vessel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmsi_requires_nine_digits() {
        assert_eq!(VesselId::new("440000001").mmsi(), Some(440000001));
        assert_eq!(VesselId::new("1303").mmsi(), None);
        assert_eq!(VesselId::new("44000000a").mmsi(), None);
    }

    #[test]
    fn nav_status_text_round_trips() {
        for code in 0..16u8 {
            let s = NavStatus(code);
            if code == 9 || code == 10 || code == 13 {
                continue;
            }
            assert_eq!(NavStatus::parse(s.text()), Some(s), "{code}");
        }
        assert_eq!(NavStatus::parse("Unknown value"), Some(NavStatus(15)));
        assert_eq!(NavStatus::parse("7"), Some(NavStatus(7)));
        assert_eq!(NavStatus::parse("16"), None);
    }

    #[test]
    fn ship_type_aliases() {
        assert_eq!(ShipType::parse("000020").map(ShipType::kind), Some(ShipKind::Fishing));
        assert_eq!(ShipType::parse("000023").map(ShipType::kind), Some(ShipKind::Cargo));
        assert_eq!(ShipType::parse("Tanker").map(ShipType::kind), Some(ShipKind::Tanker));
        assert_eq!(ShipType::parse("84").map(ShipType::kind), Some(ShipKind::Tanker));
        assert_eq!(ShipType::parse("nonsense"), None);
    }
}

/// One vessel's positions sorted by time, with what is known about it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub vessel: VesselId,
    pub static_data: StaticData,
    /// Sorted by timestamp, no exact duplicates.
    pub positions: Vec<Position>,
}
