//! lookout-store
