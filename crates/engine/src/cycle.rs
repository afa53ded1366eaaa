//! Analysis cycle (being written).
