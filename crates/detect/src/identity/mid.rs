//! MMSI forms (ITU-R M.585) and the ITU MID table shipped in `data/mid.csv` (compiled
//! in): which country an id's digits name, and which ids were never configured.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lookout_model::VesselId;

/// One allocated MID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MidEntry {
    pub country: String,
    pub iso: String,
}

/// The ITU MID table shipped in `data/mid.csv`, parsed once.
pub fn mid_table() -> &'static BTreeMap<u16, MidEntry> {
    static TABLE: OnceLock<BTreeMap<u16, MidEntry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/mid.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let mid = f.next()?.trim().parse().ok()?;
                let country = f.next()?.trim().to_string();
                let iso = f.next()?.trim().to_string();
                Some((mid, MidEntry { country, iso }))
            })
            .collect()
    })
}

/// What an MMSI's digits say (ITU-R M.585): the MID it carries, if its form has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmsiKind {
    /// A ship station: MID then six digits.
    Ship(u16),
    /// Group (0MID), coast station (00MID), SAR aircraft (111MID), craft of a parent
    /// ship (98MID), aid to navigation (99MID), handheld (8MID).
    Other(u16),
    /// SART / MOB / EPIRB (970, 972, 974): no MID.
    Device,
    /// No valid MMSI form.
    Invalid,
}

/// The kind and MID of a nine-digit MMSI.
pub fn mmsi_kind(mmsi: u32) -> MmsiKind {
    let s = format!("{mmsi:09}");
    let mid = |from: usize| s.get(from..from + 3).and_then(|m| m.parse::<u16>().ok());
    let b = s.as_bytes();
    match b[0] {
        b'2'..=b'7' => mid(0).map_or(MmsiKind::Invalid, MmsiKind::Ship),
        b'0' if b[1] == b'0' => mid(2).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'0' => mid(1).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'1' if s.starts_with("111") => mid(3).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'8' => mid(1).map_or(MmsiKind::Invalid, MmsiKind::Other),
        b'9' if s.starts_with("970") || s.starts_with("972") || s.starts_with("974") => MmsiKind::Device,
        b'9' if s.starts_with("98") || s.starts_with("99") => mid(2).map_or(MmsiKind::Invalid, MmsiKind::Other),
        _ => MmsiKind::Invalid,
    }
}

/// The MID's entry when the MMSI carries an allocated one.
pub fn flag_of(id: &VesselId) -> Option<&'static MidEntry> {
    match mmsi_kind(id.mmsi()?) {
        MmsiKind::Ship(m) | MmsiKind::Other(m) => mid_table().get(&m),
        _ => None,
    }
}

/// A MID followed by only zeros, one digit repeated, or `123456789`: an MMSI nobody
/// configured.
pub fn is_placeholder(mmsi: u32) -> bool {
    let s = format!("{mmsi:09}");
    let first = s.as_bytes()[0];
    s.bytes().all(|b| b == first) || s == "123456789" || (matches!(first, b'2'..=b'7') && &s[3..] == "000000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_table_has_the_allocations_we_rely_on() {
        let t = mid_table();
        assert!(t.len() > 280);
        assert_eq!(t.get(&440).map(|e| e.iso.as_str()), Some("KR"));
        assert_eq!(t.get(&412).map(|e| e.iso.as_str()), Some("CN"));
        assert_eq!(t.get(&316).map(|e| e.iso.as_str()), Some("CA"));
        assert_eq!(t.get(&338).map(|e| e.iso.as_str()), Some("US"));
        assert!(t.get(&200).is_none() && t.get(&217).is_none() && t.get(&780).is_none());
    }

    #[test]
    fn mmsi_kinds() {
        assert_eq!(mmsi_kind(440_123_456), MmsiKind::Ship(440));
        assert_eq!(mmsi_kind(4_400_123), MmsiKind::Other(440)); // 004400123: coast station
        assert_eq!(mmsi_kind(44_012_345), MmsiKind::Other(440)); // 044012345: group
        assert_eq!(mmsi_kind(111_440_123), MmsiKind::Other(440));
        assert_eq!(mmsi_kind(992_351_000), MmsiKind::Other(235));
        assert_eq!(mmsi_kind(970_123_456), MmsiKind::Device);
        assert_eq!(mmsi_kind(123_456_789), MmsiKind::Invalid);
        assert_eq!(mmsi_kind(912_345_678), MmsiKind::Invalid);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(416_000_000));
        assert!(is_placeholder(111_111_111));
        assert!(is_placeholder(123_456_789));
        assert!(!is_placeholder(416_000_001));
        assert!(!is_placeholder(1_000_000)); // 001000000: coast station form, not a ship MID
    }
}
