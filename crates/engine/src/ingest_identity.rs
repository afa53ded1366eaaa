//! Identity sightings of one file, aggregated in memory and written once at its end,
//! as *runs*: consecutive sightings of one identity tuple of a vessel (first and last
//! time, report count). The store keeps both the per-tuple totals and the runs, the
//! bounded form of the sequence of sightings that identity changes are judged on
//! (a name alternating A, B, A is three runs). A file none of whose positions was new
//! adds none (see `ingest::ingest_file`).
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
//!   rows are counted in runs of fingerprints and resolved to identities at the end.
//!
//! Runs follow the file's order (a receiver writes in receive order); at the end they
//! are ordered by first sighting and neighbours with the same identity merged. A file
//! far out of time order gives overlapping runs (a run's range may hold another's). A vessel keeps at most twice the store's
//! cap of runs in memory (compacted to its latest runs when over).

use std::collections::HashMap;

use lookout_ingest::hash::FastBuild;
use lookout_ingest::readers::RecordReader;
use lookout_model::{Identity, IdentityObservation, StaticData, Timestamp, VesselId};
use lookout_store::IDENTITY_RUNS_PER_VESSEL;

/// Consecutive sightings of one key (an identity, or a CSV row's cell fingerprint).
#[derive(Clone, Debug)]
struct Run<K> {
    key: K,
    first: Timestamp,
    last: Timestamp,
    reports: u64,
}

impl<K> Run<K> {
    fn add(&mut self, t: Timestamp) {
        self.first = self.first.min(t);
        self.last = self.last.max(t);
        self.reports += 1;
    }
}

/// The runs of one vessel, in file order.
#[derive(Debug)]
struct Runs<K>(Vec<Run<K>>);

impl<K> Default for Runs<K> {
    fn default() -> Self {
        Runs(Vec::new())
    }
}

impl<K: PartialEq + Clone> Runs<K> {
    /// A sighting: extends the last run when it has the same key (no allocation).
    fn see(&mut self, key: &K, t: Timestamp) {
        match self.0.last_mut() {
            Some(run) if run.key == *key => run.add(t),
            _ => {
                self.0.push(Run { key: key.clone(), first: t, last: t, reports: 1 });
                if self.0.len() > 2 * IDENTITY_RUNS_PER_VESSEL {
                    self.0 = in_time_order(std::mem::take(&mut self.0));
                    let excess = self.0.len().saturating_sub(IDENTITY_RUNS_PER_VESSEL);
                    self.0.drain(..excess);
                }
            }
        }
    }
}

/// Runs ordered by first sighting (then last), neighbours with the same key merged.
fn in_time_order<K: PartialEq>(mut runs: Vec<Run<K>>) -> Vec<Run<K>> {
    runs.sort_by_key(|r| (r.first, r.last));
    let mut out: Vec<Run<K>> = Vec::with_capacity(runs.len());
    for run in runs {
        match out.last_mut() {
            Some(prev) if prev.key == run.key => {
                prev.first = prev.first.min(run.first);
                prev.last = prev.last.max(run.last);
                prev.reports += run.reports;
            }
            _ => out.push(run),
        }
    }
    out
}

/// Sightings of one file.
#[derive(Default)]
pub(crate) struct IdentityTally {
    /// Static records with their own time (or one borrowed from a position).
    records: HashMap<VesselId, Runs<Identity>, FastBuild>,
    /// CSV rows: the identity each (vessel, fingerprint) states, learnt from the static
    /// record of the first row with those cells.
    known: HashMap<VesselId, HashMap<u64, Identity, FastBuild>, FastBuild>,
    rows: HashMap<VesselId, Runs<u64>, FastBuild>,
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
                Some(runs) => runs.see(&fp, at),
                None => {
                    let mut runs = Runs::default();
                    runs.see(&fp, at);
                    self.rows.insert(vessel.clone(), runs);
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
        self.records.entry(vessel.clone()).or_default().see(&identity, at);
    }

    /// The file's sightings as runs, by vessel id, then in time order (see the module
    /// documentation), and how many static records got no time. Rows whose cells state
    /// no identity (every static cell empty) are not sightings.
    pub(crate) fn finish(self) -> (Vec<IdentityObservation>, u64) {
        let untimed = self.untimed + self.waiting.values().map(|w| w.len() as u64).sum::<u64>();
        let mut per_vessel: HashMap<VesselId, Vec<Run<Identity>>, FastBuild> = HashMap::default();
        for (vessel, runs) in self.records {
            per_vessel.entry(vessel).or_default().extend(runs.0);
        }
        for (vessel, runs) in self.rows {
            let Some(known) = self.known.get(&vessel) else { continue };
            let resolved = runs.0.into_iter().filter_map(|r| {
                let key = known.get(&r.key)?.clone();
                Some(Run { key, first: r.first, last: r.last, reports: r.reports })
            });
            per_vessel.entry(vessel).or_default().extend(resolved);
        }
        let mut vessels: Vec<(VesselId, Vec<Run<Identity>>)> = per_vessel.into_iter().collect();
        vessels.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for (vessel, runs) in vessels {
            out.extend(in_time_order(runs).into_iter().map(|r| IdentityObservation {
                vessel: vessel.clone(),
                identity: r.key,
                first_seen: r.first,
                last_seen: r.last,
                reports: r.reports,
            }));
        }
        (out, untimed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn at(min: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("time") + Duration::minutes(min)
    }

    #[test]
    fn runs_extend_on_the_same_key_and_stay_bounded() {
        let mut runs: Runs<u64> = Runs::default();
        for (m, key) in [(0, 1), (1, 1), (2, 2), (3, 1)] {
            runs.see(&key, at(m));
        }
        let seen: Vec<(u64, u64)> = runs.0.iter().map(|r| (r.key, r.reports)).collect();
        assert_eq!(seen, [(1, 2), (2, 1), (1, 1)]);
        // An id flipping on every report: memory stays under twice the store's cap and
        // the latest runs are kept.
        let mut flips: Runs<u64> = Runs::default();
        for m in 0..5_000 {
            flips.see(&(m as u64 % 2), at(m));
        }
        assert!(flips.0.len() <= 2 * IDENTITY_RUNS_PER_VESSEL);
        assert_eq!(flips.0.last().map(|r| r.first), Some(at(4_999)));
        let ordered = in_time_order(flips.0);
        assert!(ordered.windows(2).all(|w| w[0].first <= w[1].first && w[0].key != w[1].key));
    }
}
