//! The live path's store step: one micro-batch of already validated records (from a
//! receiver feed, not a file) into the store.
//!
//! Positions commit in one transaction (`Store::insert_positions`, exact repeats
//! ignored, so a batch stored twice adds nothing); a batch is *acknowledged* once that
//! returns. Static data and identity sightings follow in their own transactions: a crash
//! between them loses at most the vessel names of one batch, which the next static report
//! of the vessel (sent every six minutes by AIS) restores. The file path
//! ([`crate::ingest`]) keeps its journal; a stream has no end to complete.

use std::collections::BTreeMap;

use lookout_model::{Identity, IdentityObservation, Position, StaticData, Timestamp, VesselId};
use lookout_store::{Store, VesselRow};

use crate::EngineError;

/// One micro-batch of validated records.
#[derive(Clone, Debug, Default)]
pub struct StreamBatch {
    pub positions: Vec<Position>,
    /// Static reports: vessel, receive time, data (newest last).
    pub statics: Vec<(VesselId, Timestamp, StaticData)>,
}

impl StreamBatch {
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty() && self.statics.is_empty()
    }
}

/// What storing a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchOutcome {
    /// Positions that were new (not exact repeats of stored ones).
    pub positions_inserted: u64,
    pub vessels_updated: u64,
    /// Oldest and newest position time of the batch.
    pub span: Option<(Timestamp, Timestamp)>,
}

/// Stores one batch: positions (acknowledged when this returns `Ok`), then the vessels'
/// static data and identity sightings.
pub fn store_batch(store: &mut dyn Store, batch: &StreamBatch) -> Result<BatchOutcome, EngineError> {
    let mut out = BatchOutcome::default();
    for p in &batch.positions {
        out.span = Some(match out.span {
            None => (p.timestamp, p.timestamp),
            Some((a, b)) => (a.min(p.timestamp), b.max(p.timestamp)),
        });
    }
    if !batch.positions.is_empty() {
        out.positions_inserted = store.insert_positions(&batch.positions)?;
    }
    if batch.statics.is_empty() {
        return Ok(out);
    }
    let mut merged: BTreeMap<&VesselId, StaticData> = BTreeMap::new();
    // Sightings folded per (vessel, identity) within the batch.
    let mut sightings: BTreeMap<(&VesselId, Identity), IdentityObservation> = BTreeMap::new();
    for (vessel, at, data) in &batch.statics {
        merged.entry(vessel).or_default().merge_from(data);
        if let Some(identity) = Identity::from_static(data) {
            sightings.entry((vessel, identity.clone())).and_modify(|o| o.absorb(*at, *at, 1)).or_insert_with(|| {
                IdentityObservation { vessel: vessel.clone(), identity, first_seen: *at, last_seen: *at, reports: 1 }
            });
        }
    }
    let rows: Vec<VesselRow> = merged
        .into_iter()
        .map(|(vessel, data)| VesselRow { id_is_mmsi: vessel.is_mmsi(), vessel: vessel.clone(), data })
        .collect();
    out.vessels_updated = rows.len() as u64;
    store.upsert_vessels(&rows)?;
    let sightings: Vec<IdentityObservation> = sightings.into_values().collect();
    if !sightings.is_empty() {
        store.record_identities(&sightings)?;
    }
    Ok(out)
}
