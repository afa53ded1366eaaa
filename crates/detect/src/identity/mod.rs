//! The identity family: who is really behind a vessel id.
//!
//! * [`segment`]: one id's positions split into physically plausible segments and
//!   chains (the engine also runs gaps and dark scores per chain).
//! * [`segments`]: the `segments` detector, ids whose positions form several chains.
//! * [`mid`]: MMSI forms and the ITU MID table (flags).
//! * [`changes`]: identity changes over time (M6/M7) from the stored identity history.
//! * [`spoofing`]: the `spoofing` detector, checks M1-M8.

pub mod changes;
pub mod mid;
pub mod segment;
pub mod segments;
pub mod spoofing;
