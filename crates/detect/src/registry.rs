//! The detector registry: every built-in detector in one list, and [`Detectors`], the
//! set the rule engine resolves rules against (the built-in list, extendable with
//! detectors defined elsewhere, e.g. in a test or a downstream crate).

use crate::dark::detector::{DarkDetector, GapsDetector};
use crate::detector::Detector;
use crate::encounters::gear::GearDetector;
use crate::encounters::loitering::LoiteringDetector;
use crate::encounters::pair_trawl::PairTrawlDetector;
use crate::encounters::transship::TransshipmentDetector;
use crate::error::RegistryError;
use crate::identity::segments::SegmentsDetector;
use crate::identity::spoofing::SpoofingDetector;
use crate::reception::ReceptionDetector;
use crate::zones::ZonesDetector;

/// Every built-in detector, in a stable order. One line per detector.
pub static ALGORITHMS: &[&dyn Detector] = &[
    &GapsDetector,
    &DarkDetector,
    &SegmentsDetector,
    &SpoofingDetector,
    &ZonesDetector,
    &TransshipmentDetector,
    &LoiteringDetector,
    &PairTrawlDetector,
    &GearDetector,
    &ReceptionDetector,
];

/// The built-in detector with this code.
pub fn algorithm(code: &str) -> Option<&'static dyn Detector> {
    ALGORITHMS.iter().copied().find(|d| d.code() == code)
}

/// A set of detectors with unique codes: the built-in ones first, in [`ALGORITHMS`]
/// order, then the added ones in the order they were added.
#[derive(Clone)]
pub struct Detectors {
    list: Vec<&'static dyn Detector>,
}

impl Detectors {
    /// The built-in detectors.
    pub fn builtin() -> Detectors {
        Detectors { list: ALGORITHMS.to_vec() }
    }

    /// This set plus `detector`; its code must not be taken.
    pub fn with(mut self, detector: &'static dyn Detector) -> Result<Detectors, RegistryError> {
        if self.get(detector.code()).is_some() {
            return Err(RegistryError::DuplicateCode(detector.code().to_string()));
        }
        self.list.push(detector);
        Ok(self)
    }

    /// The detector with this code.
    pub fn get(&self, code: &str) -> Option<&'static dyn Detector> {
        self.list.iter().copied().find(|d| d.code() == code)
    }

    /// Every detector, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn Detector> + '_ {
        self.list.iter().copied()
    }

    /// Their codes, in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.iter().map(|d| d.code()).collect()
    }
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors::builtin()
    }
}

impl std::fmt::Debug for Detectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Detectors").field(&self.codes()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_an_added_code_must_be_new() {
        let all = Detectors::builtin();
        let codes = all.codes();
        let unique: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
        assert_eq!(codes.len(), ALGORITHMS.len());
        assert_eq!(all.get("gaps").map(|d| d.code()), Some("gaps"));
        let again = all.with(&GapsDetector).err().map(|e| e.to_string());
        assert_eq!(again.as_deref(), Some("detector code 'gaps' is already registered"));
    }
}
