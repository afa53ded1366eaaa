//! lookout-engine
