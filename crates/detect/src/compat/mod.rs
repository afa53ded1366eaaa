//! Compatibility with the reference dark-vessel model: its positions CSV, history JSON
//! and output lines (as pure functions over strings), and Python's `repr(float)`.
//! Used by `lookout score-dark` and the differential test; no detector imports it.
//! The numeric side of Python's float semantics that the scores themselves depend on
//! (`round`, `max`) is [`crate::pyfloat`], which detectors may use.

pub mod oracle;
pub mod point;
pub mod repr;
