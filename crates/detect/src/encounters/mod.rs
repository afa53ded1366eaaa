//! The encounters family: detectors that compare vessels with each other on one shared
//! resampled time grid.
//!
//! * [`grid`]: resampling to fixed ticks, the exact 3-D grid index of close pairs
//!   (never all pairs), runs of ticks, places, ship types: shared by every detector here.
//! * [`transship`]: the `transshipment` detector, carrier × fishing encounters through a
//!   five-stage funnel.
//! * [`loitering`]: the `loitering` detector, carriers drifting far from shore.
//! * [`pair_trawl`]: the `pair_trawl` detector, two fishing vessels towing in parallel.
//! * [`gear`]: the `gear` detector, gear transmitters, their parents and G01-G06.

pub mod gear;
pub mod grid;
pub mod loitering;
pub mod pair_trawl;
pub mod transship;
