//! Identity sightings of one file, aggregated in memory and written once at its end,
//! so the store sees one row per (vessel, identity) per file, never one per report.
//! A file none of whose positions was new adds none (see `ingest::ingest_file`).
//!
//! How a report becomes a sighting depends on the source:
//! - NMEA (types 5, 19, 24) and other formats with separate static records: each
//!   static record is one sighting at its receive time (tag block `c:`, a stamp or a
//!   `$PGHP` line). A record without a time takes the time of the same vessel's
//!   previous accepted position in the file, else of its next one; a vessel with no
//!   timed position in the file leaves it out of the history (counted as untimed;
//!   its static data still updates the vessel).
//! - CSV layouts whose rows carry static columns (MarineCadastre, DMA): every accepted
//!   position row is a sighting of the identity its static cells state, at the row's
//!   time. The reader emits a static record only for a vessel's first row with given
//!   cells and gives each row's cell fingerprint ([`RecordReader::row_statics`]), so
//!   rows are counted by fingerprint and resolved to identities at the end.

use std::collections::{BTreeMap, HashMap};

use lookout_ingest::hash::FastBuild;
use lookout_ingest::readers::RecordReader;
use lookout_model::{Identity, IdentityObservation, StaticData, Timestamp, VesselId};

/// First and last time and count of the sightings of one key.
#[derive(Clone, Copy, Debug)]
struct Tally {
    first: Timestamp,
    last: Timestamp,
    reports: u64,
}

impl Tally {
    fn at(t: Timestamp) -> Self {
        Tally { first: t, last: t, reports: 1 }
    }

    fn add(&mut self, t: Timestamp) {
        self.first = self.first.min(t);
        self.last = self.last.max(t);
        self.reports += 1;
    }
}

/// Sightings of one file.
#[derive(Default)]
pub(crate) struct IdentityTally {
    /// Static records with their own time (or one borrowed from a position).
    records: HashMap<VesselId, HashMap<Identity, Tally>, FastBuild>,
    /// CSV rows: the identity each (vessel, fingerprint) states, learnt from the static
    /// record of the first row with those cells.
    known: HashMap<VesselId, HashMap<u64, Identity, FastBuild>, FastBuild>,
    rows: HashMap<VesselId, HashMap<u64, Tally, FastBuild>, FastBuild>,
    /// Untimed static records waiting for a position of their vessel.
    waiting: HashMap<VesselId, Vec<Identity>, FastBuild>,
    last_position: HashMap<VesselId, Timestamp, FastBuild>,
    /// Static records that got no time and are left out of the history.
    untimed: u64,
}

impl IdentityTally {
    /// An accepted static record.
    pub(crate) fn on_static(
        &mut self,
        reader: &RecordReader,
        vessel: &VesselId,
        at: Option<Timestamp>,
        data: &StaticData,
    ) {
        let Some(identity) = Identity::from_static(data) else { return };
        if let Some(fp) = reader.row_statics() {
            // The row's position (next record) is the sighting; this names its cells.
            self.known.entry(vessel.clone()).or_default().insert(fp, identity);
            return;
        }
        match at.or_else(|| self.last_position.get(vessel).copied()) {
            Some(t) => self.sighting(vessel, identity, t),
            None => self.waiting.entry(vessel.clone()).or_default().push(identity),
        }
    }

    /// An accepted position.
    pub(crate) fn on_position(&mut self, reader: &RecordReader, vessel: &VesselId, at: Timestamp) {
        if let Some(fp) = reader.row_statics() {
            // Every CSV row comes here: no allocation once the vessel is known.
            match self.rows.get_mut(vessel) {
                Some(per) => {
                    per.entry(fp).and_modify(|t| t.add(at)).or_insert_with(|| Tally::at(at));
                }
                None => {
                    let mut per = HashMap::default();
                    per.insert(fp, Tally::at(at));
                    self.rows.insert(vessel.clone(), per);
                }
            }
            return;
        }
        if let Some(waiting) = self.waiting.remove(vessel) {
            for identity in waiting {
                self.sighting(vessel, identity, at);
            }
        }
        // Only needed for untimed static records, which only non-CSV sources have.
        match self.last_position.get_mut(vessel) {
            Some(t) => *t = at,
            None => {
                self.last_position.insert(vessel.clone(), at);
            }
        }
    }

    fn sighting(&mut self, vessel: &VesselId, identity: Identity, at: Timestamp) {
        let per = self.records.entry(vessel.clone()).or_default();
        per.entry(identity).and_modify(|t| t.add(at)).or_insert_with(|| Tally::at(at));
    }

    /// The file's sightings, one per (vessel, identity), in that order, and how many
    /// static records got no time. Rows whose cells state no identity (every static
    /// cell empty) are not sightings.
    pub(crate) fn finish(self) -> (Vec<IdentityObservation>, u64) {
        let untimed = self.untimed + self.waiting.values().map(|w| w.len() as u64).sum::<u64>();
        let mut out: BTreeMap<(VesselId, Identity), IdentityObservation> = BTreeMap::new();
        let mut put = |vessel: &VesselId, identity: &Identity, t: &Tally| {
            out.entry((vessel.clone(), identity.clone()))
                .and_modify(|o| o.absorb(t.first, t.last, t.reports))
                .or_insert_with(|| IdentityObservation {
                    vessel: vessel.clone(),
                    identity: identity.clone(),
                    first_seen: t.first,
                    last_seen: t.last,
                    reports: t.reports,
                });
        };
        for (vessel, per) in &self.records {
            for (identity, t) in per {
                put(vessel, identity, t);
            }
        }
        for (vessel, per) in &self.rows {
            let Some(known) = self.known.get(vessel) else { continue };
            for (fp, t) in per {
                if let Some(identity) = known.get(fp) {
                    put(vessel, identity, t);
                }
            }
        }
        (out.into_values().collect(), untimed)
    }
}
