//! The identity history of a cycle's vessels (read by the `spoofing` detector's M6/M7,
//! see [`crate::identity::changes`]).

use std::collections::BTreeMap;

use lookout_model::IdentityObservation;

/// Identity runs of the vessels of a cycle (each row: consecutive sightings of one
/// tuple, the store's run-length form of the sequence of sightings), by vessel id, each
/// list in the store's order (first sighting, last sighting, tuple). Fetched by the
/// engine before the cycle runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityHistory {
    pub by_vessel: BTreeMap<String, Vec<IdentityObservation>>,
}

static EMPTY: IdentityHistory = IdentityHistory { by_vessel: BTreeMap::new() };

impl IdentityHistory {
    /// A history with nothing in it, for inputs without identity data.
    pub fn empty() -> &'static IdentityHistory {
        &EMPTY
    }

    /// Groups rows by vessel, keeping their order within each vessel.
    pub fn from_rows(rows: impl IntoIterator<Item = IdentityObservation>) -> Self {
        let mut by_vessel: BTreeMap<String, Vec<IdentityObservation>> = BTreeMap::new();
        for r in rows {
            by_vessel.entry(r.vessel.as_str().to_string()).or_default().push(r);
        }
        IdentityHistory { by_vessel }
    }

    /// The rows of one vessel (empty when it has none).
    pub fn of(&self, vessel: &str) -> &[IdentityObservation] {
        self.by_vessel.get(vessel).map_or(&[], Vec::as_slice)
    }
}
