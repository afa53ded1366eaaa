//! Tracks (being written).
