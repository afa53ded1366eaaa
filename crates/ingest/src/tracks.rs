//! Grouping accepted records into per-vessel tracks.

use std::collections::BTreeMap;

use lookout_model::{Position, Record, Track, VesselId};

/// Collects accepted records and yields tracks sorted by vessel id, positions by time.
#[derive(Default)]
pub struct TrackBuilder {
    tracks: BTreeMap<VesselId, Track>,
}

impl TrackBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, record: Record) {
        match record {
            Record::Position(p) => self.entry(&p.vessel).positions.push(p),
            Record::Static { vessel, data, .. } => self.entry(&vessel).static_data.merge_from(&data),
        }
    }

    fn entry(&mut self, vessel: &VesselId) -> &mut Track {
        self.tracks.entry(vessel.clone()).or_insert_with(|| Track { vessel: vessel.clone(), ..Track::default() })
    }

    /// Tracks with at least one position, each sorted by time (stable: input order
    /// breaks ties, so the same input always gives the same track).
    pub fn finish(self) -> Vec<Track> {
        self.tracks
            .into_values()
            .filter(|t| !t.positions.is_empty())
            .map(|mut t| {
                sort_positions(&mut t.positions);
                t
            })
            .collect()
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
