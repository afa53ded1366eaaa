//! Test-only hooks for fault tests (`crates/cli/tests/crash_safety.rs`): a pause at
//! named stage boundaries, so that a test can kill the process exactly there, and a
//! smaller ingest batch, so that small files span several transactions.
//!
//! - `LOOKOUT_TEST_PAUSE_AT=<stage>` (or `<stage>:<n>` for its n-th passage, counting
//!   from 1): on reaching that stage the process creates the file named by
//!   `LOOKOUT_TEST_PAUSE_MARKER`, then sleeps until the file named by
//!   `LOOKOUT_TEST_PAUSE_RESUME` exists (without it: for good).
//! - `LOOKOUT_TEST_BATCH=<n>`: positions per ingest transaction.
//!
//! Unset, as always outside tests, a stage costs one environment lookup. Stages:
//! `ingest-begun` (journal row written), `ingest-batch` (after each position batch
//! commit), `ingest-positions` (every position committed, nothing else yet),
//! `ingest-finished`; `analyze-seeded`, `analyze-cycle` (cycle output committed) and
//! `outputs-<stage>` after each stage of the output pipeline.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Pauses here when the test hook names `stage` (see the module docs).
pub fn pause_point(stage: &str) {
    let Ok(wanted) = std::env::var("LOOKOUT_TEST_PAUSE_AT") else { return };
    let (name, nth) = match wanted.rsplit_once(':') {
        Some((name, n)) => (name, n.parse().unwrap_or(1)),
        None => (wanted.as_str(), 1),
    };
    // Only one stage is ever named, so one counter serves.
    static PASSES: AtomicU64 = AtomicU64::new(0);
    if name != stage || PASSES.fetch_add(1, Ordering::SeqCst) + 1 != nth {
        return;
    }
    if let Ok(marker) = std::env::var("LOOKOUT_TEST_PAUSE_MARKER") {
        // Best effort: a test that misses its marker times out and says so.
        let _ = std::fs::write(marker, stage);
    }
    let resume = std::env::var_os("LOOKOUT_TEST_PAUSE_RESUME").map(PathBuf::from);
    while !resume.as_ref().is_some_and(|r| r.exists()) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Positions per ingest transaction: `default`, unless a test sets `LOOKOUT_TEST_BATCH`.
pub(crate) fn batch_size(default: usize) -> usize {
    std::env::var("LOOKOUT_TEST_BATCH").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(default)
}
