//! Field-level parsing shared by the CSV and JSON readers: vessel ids, numbers, static
//! data and its de-duplication.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use lookout_model::{ShipType, StaticData, VesselId};

/// Trims an id and drops a float export's `.0` (`643.0` → `643`, `219021240.0` →
/// `219021240`); anything else (hashes, names) is kept as given.
pub(super) fn normalise_id(raw: &str) -> &str {
    let t = raw.trim();
    match t.split_once('.') {
        Some((int, frac))
            if !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b == b'0') =>
        {
            int
        }
        _ => t,
    }
}

/// Cells that mean "no value" in common exports (R's NA, pandas' NaN, DMA's Unknown).
pub(super) fn is_placeholder(t: &str) -> bool {
    t.is_empty()
        || ["na", "n/a", "nan", "null", "none", "unknown", "undefined", "-"].iter().any(|p| t.eq_ignore_ascii_case(p))
}

/// A number cell: `Ok(None)` when empty or a placeholder, `Err` when it is text.
pub(super) fn opt_number(raw: &str) -> Result<Option<f64>, ()> {
    // Most cells are plain numbers: parse first, look for blanks and placeholders after.
    if let Ok(v) = raw.parse::<f64>() {
        if v.is_finite() {
            return Ok(Some(v));
        }
    }
    let t = raw.trim();
    if is_placeholder(t) {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(()),
    }
}

fn opt_text(raw: Option<&str>) -> Option<String> {
    let t = raw?.trim();
    (!is_placeholder(t)).then(|| t.to_string())
}

/// Raw static cells of one row, borrowed from the record.
#[derive(Default)]
pub(super) struct StaticCells<'a> {
    pub name: Option<&'a str>,
    pub call_sign: Option<&'a str>,
    pub imo: Option<&'a str>,
    pub ship_type: Option<&'a str>,
    pub length: Option<&'a str>,
    pub width: Option<&'a str>,
}

impl StaticCells<'_> {
    pub(super) fn fingerprint(&self) -> u64 {
        let mut h = crate::hash::FastHasher::default();
        // Raw cells, untrimmed: trimming every cell of every row cost more than the rare
        // extra static record that differently padded but equal cells produce.
        for cell in [self.name, self.call_sign, self.imo, self.ship_type, self.length, self.width] {
            cell.hash(&mut h);
        }
        h.finish()
    }

    /// Static fields are parsed leniently: a bad IMO, an unknown type text or an
    /// implausible dimension should not cost the position on the same row. The second
    /// value counts dimensions dropped as implausible.
    fn to_static(&self) -> (StaticData, u64) {
        let number = |c: Option<&str>| c.and_then(|v| opt_number(v).ok().flatten());
        let (length_m, bad_length) = plausible(number(self.length), MAX_LENGTH_M);
        let (width_m, bad_width) = plausible(number(self.width), MAX_WIDTH_M);
        let data = StaticData {
            name: opt_text(self.name),
            call_sign: opt_text(self.call_sign),
            imo: self.imo.and_then(parse_imo),
            ship_type: self.ship_type.and_then(ShipType::parse),
            length_m,
            width_m,
        };
        (data, u64::from(bad_length) + u64::from(bad_width))
    }
}

/// Longest plausible hull, metres: the longest ships ever built are under 460 m, and
/// AIS itself cannot say more than 1022 m.
pub(crate) const MAX_LENGTH_M: f64 = 600.0;
/// Widest plausible beam, metres (the widest ships are under 80 m).
pub(crate) const MAX_WIDTH_M: f64 = 100.0;

/// A dimension within `0..=max` (0 is the usual "not available"), or `None` and `true`
/// when it was present but implausible (`1e308`, negative).
fn plausible(v: Option<f64>, max: f64) -> (Option<f64>, bool) {
    match v {
        Some(x) if !(0.0..=max).contains(&x) => (None, true),
        other => (other, false),
    }
}

/// IMO numbers, with or without MarineCadastre's `IMO` prefix; 0 means none.
fn parse_imo(raw: &str) -> Option<u32> {
    let t = raw.trim();
    let digits = t.strip_prefix("IMO").or_else(|| t.strip_prefix("imo")).unwrap_or(t).trim();
    let v = normalise_id(digits).parse::<u32>().ok()?;
    (v != 0).then_some(v)
}

/// Emits static data once per vessel and distinct set of static cells, so a file that
/// repeats the name on every row yields one static record per vessel.
#[derive(Default)]
pub(super) struct StaticDedup {
    seen: HashMap<String, Vec<u64>, crate::hash::FastBuild>,
    /// Lengths and widths dropped as implausible, for the reader's notes.
    pub dropped_dimensions: u64,
}

impl StaticDedup {
    /// The static data to emit for this row, if the vessel has not had these cells yet.
    pub(super) fn check(&mut self, vessel: &VesselId, cells: &StaticCells<'_>, fp: u64) -> Option<StaticData> {
        match self.seen.get_mut(vessel.as_str()) {
            Some(prints) if prints.contains(&fp) => return None,
            Some(prints) => prints.push(fp),
            None => {
                self.seen.insert(vessel.as_str().to_string(), vec![fp]);
            }
        }
        let data = self.identity_of(cells);
        (!data.is_empty()).then_some(data)
    }

    /// The static data the cells state, counting implausible dimensions dropped.
    pub(super) fn identity_of(&mut self, cells: &StaticCells<'_>) -> StaticData {
        let (data, dropped) = cells.to_static();
        self.dropped_dimensions += dropped;
        data
    }
}

/// Decides whether a file's ids are MMSIs from a sample of them: opaque when most
/// distinct ids are not nine digits (a few bad MMSIs must still reach the validator as
/// MMSIs so it can reject them).
#[derive(Default)]
pub(super) struct IdSample {
    distinct: std::collections::HashSet<String>,
}

impl IdSample {
    const LIMIT: usize = 2000;

    pub(super) fn add(&mut self, raw: &str) {
        let id = normalise_id(raw);
        if !id.is_empty() && self.distinct.len() < Self::LIMIT {
            self.distinct.insert(id.to_string());
        }
    }

    pub(super) fn opaque(&self) -> bool {
        let mmsi = self.distinct.iter().filter(|id| VesselId::new(id.as_str()).is_mmsi()).count();
        !self.distinct.is_empty() && mmsi * 2 < self.distinct.len()
    }

    /// A few ids for the notes, smallest first.
    pub(super) fn examples(&self) -> String {
        let mut v: Vec<&String> = self.distinct.iter().collect();
        v.sort_by_key(|s| (s.len(), s.as_str()));
        v.iter().take(3).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(normalise_id(" 643.0 "), "643");
        assert_eq!(normalise_id("219021240.0"), "219021240");
        assert_eq!(normalise_id("643.5"), "643.5");
        assert_eq!(normalise_id("a1b2.0"), "a1b2.0");
    }

    #[test]
    fn imo() {
        assert_eq!(parse_imo("IMO9307839"), Some(9307839));
        assert_eq!(parse_imo("9331347"), Some(9331347));
        assert_eq!(parse_imo("Unknown"), None);
        assert_eq!(parse_imo("0"), None);
    }
}
