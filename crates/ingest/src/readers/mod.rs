//! Position readers (being written).
