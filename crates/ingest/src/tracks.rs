//! Grouping accepted records into per-vessel tracks.

use std::collections::HashMap;

use lookout_model::{Position, Record, Track, VesselId};

use crate::hash::FastBuild;

/// Collects accepted records and yields tracks sorted by vessel id, positions by time.
#[derive(Default)]
pub struct TrackBuilder {
    tracks: Vec<Track>,
    index: HashMap<VesselId, usize, FastBuild>,
    /// Slot of the vessel pushed last: most inputs list a vessel's reports together.
    last: Option<usize>,
}

impl TrackBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, record: Record) {
        match record {
            Record::Position(p) => {
                let slot = self.slot(&p.vessel);
                self.tracks[slot].positions.push(p);
            }
            Record::Static { vessel, data, .. } => {
                let slot = self.slot(&vessel);
                self.tracks[slot].static_data.merge_from(&data);
            }
        }
    }

    fn slot(&mut self, vessel: &VesselId) -> usize {
        if let Some(i) = self.last.filter(|&i| self.tracks[i].vessel == *vessel) {
            return i;
        }
        let i = match self.index.get(vessel) {
            Some(&i) => i,
            None => {
                self.tracks.push(Track { vessel: vessel.clone(), ..Track::default() });
                self.index.insert(vessel.clone(), self.tracks.len() - 1);
                self.tracks.len() - 1
            }
        };
        self.last = Some(i);
        i
    }

    /// Tracks with at least one position, ordered by vessel id, each sorted by time
    /// (stable: input order breaks ties, so the same input always gives the same track).
    pub fn finish(self) -> Vec<Track> {
        let mut tracks: Vec<Track> = self
            .tracks
            .into_iter()
            .filter(|t| !t.positions.is_empty())
            .map(|mut t| {
                sort_positions(&mut t.positions);
                t
            })
            .collect();
        tracks.sort_by(|a, b| a.vessel.cmp(&b.vessel));
        tracks
    }
}

/// Sorts by timestamp, keeping input order among equal timestamps.
pub fn sort_positions(positions: &mut [Position]) {
    if !positions.windows(2).all(|w| w[0].timestamp <= w[1].timestamp) {
        positions.sort_by_key(|p| p.timestamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use lookout_model::StaticData;

    fn p(id: &str, min: u32) -> Position {
        Position {
            vessel: VesselId::new(id),
            timestamp: chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, min, 0).single().expect("time"),
            lat: 1.0,
            lon: f64::from(min),
            sog: None,
            cog: None,
            heading: None,
            nav_status: None,
        }
    }

    #[test]
    fn groups_sorts_and_joins_static() {
        let mut b = TrackBuilder::new();
        b.push(Record::Position(p("b", 3)));
        b.push(Record::Position(p("a", 5)));
        b.push(Record::Position(p("a", 1)));
        b.push(Record::Static {
            vessel: VesselId::new("a"),
            timestamp: None,
            data: StaticData { name: Some("ALPHA".into()), ..StaticData::default() },
        });
        b.push(Record::Static { vessel: VesselId::new("z"), timestamp: None, data: StaticData::default() });
        let tracks = b.finish();
        assert_eq!(tracks.len(), 2, "static-only vessels have no track");
        assert_eq!(tracks[0].vessel.as_str(), "a");
        assert_eq!(tracks[0].static_data.name.as_deref(), Some("ALPHA"));
        let lons: Vec<f64> = tracks[0].positions.iter().map(|p| p.lon).collect();
        assert_eq!(lons, vec![1.0, 5.0]);
    }
}
