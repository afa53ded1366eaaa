//! lookout-detect
