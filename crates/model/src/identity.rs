//! Identity history: the distinct (name, call sign, IMO, ship type) tuples a vessel id
//! has reported, each with when it was first and last seen and how often.

use serde::{Deserialize, Serialize};

use crate::{ShipType, StaticData, Timestamp, VesselId};

/// One identity tuple as reported, with AIS padding removed. `None` means "not reported";
/// a tuple with every field `None` is no identity at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    pub name: Option<String>,
    pub call_sign: Option<String>,
    pub imo: Option<u32>,
    pub ship_type: Option<ShipType>,
}

/// Removes what the AIS six-bit encoding adds to text fields: `@` (character 0) pads
/// names and call signs to their fixed width, so everything from the first `@` on is
/// padding; surrounding spaces are padding too. Case and inner spacing are kept (the
/// detector's parameters decide how to compare them).
pub fn strip_ais_padding(raw: &str) -> Option<String> {
    let text = raw.split('@').next().unwrap_or("").trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl Identity {
    /// The identity a static record states, or `None` when it states none of the
    /// identity fields. IMO 0 and ship type 0 are the AIS "not available" values.
    pub fn from_static(data: &StaticData) -> Option<Identity> {
        let id = Identity {
            name: data.name.as_deref().and_then(strip_ais_padding),
            call_sign: data.call_sign.as_deref().and_then(strip_ais_padding),
            imo: data.imo.filter(|v| *v != 0),
            ship_type: data.ship_type.filter(|t| t.0 != 0),
        };
        (id != Identity::default()).then_some(id)
    }
}

/// One stored identity of one vessel: seen `reports` times between `first_seen` and
/// `last_seen` (inclusive). The store keeps one row per distinct tuple per vessel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityObservation {
    pub vessel: VesselId,
    pub identity: Identity,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen: Timestamp,
    pub reports: u64,
}

impl IdentityObservation {
    /// Widens the time range and adds the reports of another sighting of the same tuple.
    pub fn absorb(&mut self, at_first: Timestamp, at_last: Timestamp, reports: u64) {
        self.first_seen = self.first_seen.min(at_first);
        self.last_seen = self.last_seen.max(at_last);
        self.reports = self.reports.saturating_add(reports);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_removed_but_case_and_inner_spaces_kept() {
        assert_eq!(strip_ais_padding("FOO  BAR@@@@"), Some("FOO  BAR".into()));
        assert_eq!(strip_ais_padding("  Foo Bar  "), Some("Foo Bar".into()));
        assert_eq!(strip_ais_padding("@@@@"), None);
        assert_eq!(strip_ais_padding("   "), None);
    }

    #[test]
    fn not_available_values_are_no_identity() {
        let none = StaticData {
            imo: Some(0),
            ship_type: Some(ShipType(0)),
            name: Some("@@@".into()),
            ..StaticData::default()
        };
        assert_eq!(Identity::from_static(&none), None);
        let some = StaticData { imo: Some(9_074_729), length_m: Some(20.0), ..StaticData::default() };
        assert_eq!(Identity::from_static(&some), Some(Identity { imo: Some(9_074_729), ..Identity::default() }));
    }
}
