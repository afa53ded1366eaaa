//! Fishing gear on AIS: recognising gear transmitters (net buoys named after their
//! vessel), inferring the parent vessel, and the gear violations G01-G06.
//!
//! Recognition. Gear buoys carry the parent's name with a suffix: a battery level
//! (`DAEHO 12%`), an index (`DAEHO-1`, `DAEHO_2`), a keyword (`DAEHO_BUOY`, `NET`), and
//! often an MMSI outside the ship ranges (`98xxxxxxx` craft associated with a parent
//! ship, `99xxxxxxx` aids to navigation, or a first digit that no ship MMSI has). One
//! strong signal (battery suffix, keyword, 98/99 prefix) makes a gear; weak signals
//! (index suffix, non-standard MMSI) need a second one — an index suffix whose base
//! is a known vessel's name counts twice, since `NAME-1` beside a vessel `NAME` is
//! the buoy pattern itself. Vessels of a ship type that is never gear (cargo,
//! tanker, passenger) are never gear.
//!
//! Parent inference, in order:
//! - `DIRECT_MATCH`: the name without its suffix equals exactly one known vessel's name
//!   (tracks in the window and the registry);
//! - `AUTO_PROMOTED`: one strong spatio-temporal candidate: a non-gear vessel within the
//!   candidate radius of the gear on at least `min_cotravel_ticks` grid ticks, and
//!   either alone or with at least `dominance` times the ticks of the runner-up;
//! - `REVIEW_REQUIRED`: several name matches or candidates and no clear winner; the
//!   candidates are listed with their evidence for an analyst;
//! - `UNRESOLVED`: nobody.
//!
//! [`params`] holds the parameters, [`parent`] recognition and parent inference,
//! [`violations`] the findings (G01-G06).

use lookout_model::Finding;

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::input::{CycleInput, Upstream};

pub mod params;
pub mod parent;
pub mod violations;

pub use params::GearParams;
pub use parent::{infer, name_key, recognise, stationarity, Candidate, GearInfo, GearSignals, ParentStatus};
pub use violations::gear_findings;

/// Fishing gear recognition, parent inference and violations.
pub struct GearDetector;

impl Algorithm for GearDetector {
    const ABOUT: About = About {
        code: "gear",
        name: Text { ko: "어구 신호와 모선 추론", en: "Fishing gear and parent inference" },
        description: Text {
            ko: "어구 AIS 신호(부표 이름·배터리·MMSI)를 식별하고 모선을 추론하며 위반 G01-G06을 판정",
            en: "Recognises fishing-gear AIS signals (buoy names, battery levels, MMSI ranges), infers the parent vessel and flags violations G01-G06",
        },
        entity: EntityType::Vessel,
    };
    type Params = GearParams;

    fn run(&self, input: &CycleInput<'_>, p: &GearParams, _up: &Upstream<'_>) -> Result<Vec<Finding>, DetectError> {
        Ok(gear_findings(input, p))
    }
}
