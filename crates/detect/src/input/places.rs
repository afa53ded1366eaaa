//! Ports and anchorages: the places the "distance from port" stage of transshipment and
//! the shore distance of loitering are measured from.
//!
//! A [`PlaceSet`] is parsed from text the caller read (CSV with `name,lat,lon` and
//! optional `country,kind,locode` columns, or GeoJSON points and polygons with a `name`
//! property); Lookout ships one (`data/ports/`), which the engine loads unless the user
//! gives their own file or none. Nearest-place lookups go through a latitude index: points
//! are looked at outwards from the query's latitude, and a direction stops as soon as the
//! latitude difference alone is further than the best distance found (the great-circle
//! distance is never below the meridian distance between two parallels), so a lookup
//! looks at the few points of a latitude band, not at all of them. Polygons (user files
//! only; usually few) are all looked at.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::InputError;
use crate::geo::{haversine_m, wrap_lon, EARTH_RADIUS_M};

/// A port, anchorage or shore reference: a point, or a polygon (`[lon, lat]` ring)
/// when `polygon` is non-empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    #[serde(default)]
    pub lat: f64,
    #[serde(default)]
    pub lon: f64,
    #[serde(default)]
    pub polygon: Vec<[f64; 2]>,
}

fn point_in_ring(lat: f64, lon: f64, ring: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let [xi, yi] = ring[i];
        let [xj, yj] = ring[(i + n - 1) % n];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

impl Place {
    /// Metres from `(lat, lon)` to the place: 0 inside a polygon, else to its nearest
    /// edge (on a local flat projection, accurate at port scales).
    pub fn distance_m(&self, lat: f64, lon: f64) -> f64 {
        if self.polygon.len() < 3 {
            return haversine_m(lat, lon, self.lat, self.lon);
        }
        if point_in_ring(lat, lon, &self.polygon) {
            return 0.0;
        }
        let kx = EARTH_RADIUS_M * lat.to_radians().cos() * std::f64::consts::PI / 180.0;
        let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let xy = |p: &[f64; 2]| (wrap_lon(p[0] - lon) * kx, (p[1] - lat) * ky);
        let n = self.polygon.len();
        let mut best = f64::INFINITY;
        for i in 0..n {
            let (ax, ay) = xy(&self.polygon[i]);
            let (bx, by) = xy(&self.polygon[(i + 1) % n]);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { ((-ax * dx - ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let (px, py) = (ax + t * dx, ay + t * dy);
            best = best.min((px * px + py * py).sqrt());
        }
        best
    }
}

/// The nearest place and its distance in metres, or `None` without places (a plain
/// scan, for the short lists given in params).
pub fn nearest_place(places: &[Place], lat: f64, lon: f64) -> Option<(&Place, f64)> {
    places.iter().map(|p| (p, p.distance_m(lat, lon))).min_by(|x, y| x.1.total_cmp(&y.1))
}

/// A list of ports and anchorages with a latitude index (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaceSet {
    /// Every place, in input order.
    places: Vec<Place>,
    /// Point places (index into `places`) by latitude, ascending (ties: input order).
    points_by_lat: Vec<(f64, usize)>,
    /// Polygon places (index into `places`).
    polygons: Vec<usize>,
}

impl PlaceSet {
    /// A set of these places (coordinates are expected finite and within range, as the
    /// parsers check).
    pub fn new(places: Vec<Place>) -> PlaceSet {
        let mut points_by_lat = Vec::new();
        let mut polygons = Vec::new();
        for (i, p) in places.iter().enumerate() {
            if p.polygon.len() >= 3 {
                polygons.push(i);
            } else {
                points_by_lat.push((p.lat, i));
            }
        }
        points_by_lat.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        PlaceSet { places, points_by_lat, polygons }
    }

    /// The places, in input order.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The nearest place and its distance in metres (ties: the earlier place of the
    /// input), or `None` for an empty set or a non-finite position. Same answer as
    /// [`nearest_place`] over [`PlaceSet::places`].
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<(&Place, f64)> {
        if !(lat.is_finite() && lon.is_finite()) {
            return None;
        }
        let mut best: Option<(usize, f64)> = None;
        let consider = |i: usize, best: &mut Option<(usize, f64)>| {
            let d = self.places[i].distance_m(lat, lon);
            if best.is_none_or(|(b, bd)| d < bd || (d == bd && i < b)) {
                *best = Some((i, d));
            }
        };
        for &i in &self.polygons {
            consider(i, &mut best);
        }
        // The meridian distance between the parallels, a little under (never above)
        // the haversine distance.
        let floor = |plat: f64| EARTH_RADIUS_M * (plat - lat).abs().to_radians() * (1.0 - 1e-9) - 1e-6;
        let start = self.points_by_lat.partition_point(|&(plat, _)| plat < lat);
        for &(plat, i) in &self.points_by_lat[start..] {
            if best.is_some_and(|(_, bd)| floor(plat) > bd) {
                break;
            }
            consider(i, &mut best);
        }
        for &(plat, i) in self.points_by_lat[..start].iter().rev() {
            if best.is_some_and(|(_, bd)| floor(plat) > bd) {
                break;
            }
            consider(i, &mut best);
        }
        best.map(|(i, d)| (&self.places[i], d))
    }

    /// Parses a port list: CSV (a header with `name`, `lat`/`latitude`, `lon`/`lng`/
    /// `longitude`; other columns ignored) or GeoJSON (text starting with `{`). Errors
    /// name the line and column (CSV) or the feature (GeoJSON).
    pub fn parse(text: &str) -> Result<PlaceSet, InputError> {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with('{') {
            PlaceSet::from_geojson(trimmed)
        } else {
            PlaceSet::from_csv(text)
        }
    }

    /// See [`PlaceSet::parse`].
    pub fn from_csv(text: &str) -> Result<PlaceSet, InputError> {
        let records = crate::csvtext::records(text);
        let Some((_, header)) = records.first() else {
            return Err(InputError::Invalid("ports file: empty (expected a CSV header with name,lat,lon)".into()));
        };
        let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()));
        let (name_c, lat_c, lon_c) =
            (col(&["name", "port_name"]), col(&["lat", "latitude"]), col(&["lon", "lng", "long", "longitude"]));
        let (Some(name_c), Some(lat_c), Some(lon_c)) = (name_c, lat_c, lon_c) else {
            let missing: Vec<&str> = [("name", name_c), ("lat", lat_c), ("lon", lon_c)]
                .into_iter()
                .filter(|(_, c)| c.is_none())
                .map(|(n, _)| n)
                .collect();
            return Err(InputError::MissingColumns(missing.join(", ")));
        };
        let mut places = Vec::with_capacity(records.len().saturating_sub(1));
        for (line, fields) in &records[1..] {
            let cell = |c: usize, column: &str| {
                fields.get(c).map(|s| s.trim()).ok_or_else(|| InputError::BadCell {
                    line: *line,
                    column: column.to_string(),
                    message: format!("missing (the row has {} fields)", fields.len()),
                })
            };
            let name = cell(name_c, "name")?;
            if name.is_empty() {
                return Err(InputError::BadCell { line: *line, column: "name".into(), message: "empty".into() });
            }
            let lat = coordinate(cell(lat_c, "lat")?, 90.0).map_err(|message| InputError::BadCell {
                line: *line,
                column: "lat".into(),
                message,
            })?;
            let lon = coordinate(cell(lon_c, "lon")?, 180.0).map_err(|message| InputError::BadCell {
                line: *line,
                column: "lon".into(),
                message,
            })?;
            places.push(Place { name: name.to_string(), lat, lon, polygon: Vec::new() });
        }
        Ok(PlaceSet::new(places))
    }

    /// See [`PlaceSet::parse`]: `Point`, `MultiPoint`, `Polygon` (outer ring) and
    /// `MultiPolygon` features; the name from `name` (or `NAME`, `port_name`).
    pub fn from_geojson(text: &str) -> Result<PlaceSet, InputError> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| InputError::Invalid(format!("ports file: not JSON: {e}")))?;
        let features: Vec<&Value> = match doc.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => doc
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| InputError::Invalid("ports file: a FeatureCollection without a features array".into()))?
                .iter()
                .collect(),
            Some("Feature") => vec![&doc],
            other => {
                return Err(InputError::Invalid(format!(
                    "ports file: expected a GeoJSON FeatureCollection or Feature, found type {}",
                    other.unwrap_or("(none)")
                )))
            }
        };
        let mut places = Vec::new();
        for (index, f) in features.into_iter().enumerate() {
            let err = |m: String| InputError::Invalid(format!("ports file: feature {index}: {m}"));
            let props = f.get("properties").unwrap_or(&Value::Null);
            let name = ["name", "NAME", "port_name"]
                .iter()
                .find_map(|k| props.get(*k).and_then(Value::as_str))
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| err("no name property".into()))?
                .to_string();
            let geom = f.get("geometry").ok_or_else(|| err(format!("({name}) no geometry")))?;
            let coords = geom.get("coordinates").ok_or_else(|| err(format!("({name}) no coordinates")))?;
            let point = |v: &Value| -> Result<[f64; 2], InputError> {
                let pair = v.as_array().filter(|a| a.len() >= 2);
                let num = |k: usize, limit: f64| {
                    pair.and_then(|a| a[k].as_f64())
                        .filter(|x| x.is_finite() && x.abs() <= limit)
                        .ok_or_else(|| err(format!("({name}) bad position {v} (expected [lon, lat] in range)")))
                };
                Ok([num(0, 180.0)?, num(1, 90.0)?])
            };
            let ring = |v: &Value| -> Result<Vec<[f64; 2]>, InputError> {
                let outer = v.as_array().and_then(|rings| rings.first()).and_then(Value::as_array);
                let outer = outer.ok_or_else(|| err(format!("({name}) a polygon without a ring")))?;
                let ring = outer.iter().map(point).collect::<Result<Vec<_>, _>>()?;
                if ring.len() < 3 {
                    return Err(err(format!("({name}) a polygon ring of {} positions", ring.len())));
                }
                Ok(ring)
            };
            let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
            match geom.get("type").and_then(Value::as_str) {
                Some("Point") => {
                    let [lon, lat] = point(coords)?;
                    places.push(Place { name, lat, lon, polygon: Vec::new() });
                }
                Some("MultiPoint") => {
                    for c in list(coords) {
                        let [lon, lat] = point(&c)?;
                        places.push(Place { name: name.clone(), lat, lon, polygon: Vec::new() });
                    }
                }
                Some("Polygon") => {
                    let polygon = ring(coords)?;
                    let [lon, lat] = polygon[0];
                    places.push(Place { name, lat, lon, polygon });
                }
                Some("MultiPolygon") => {
                    for c in list(coords) {
                        let polygon = ring(&c)?;
                        let [lon, lat] = polygon[0];
                        places.push(Place { name: name.clone(), lat, lon, polygon });
                    }
                }
                other => {
                    return Err(err(format!(
                        "({name}) geometry type {} (expected Point, MultiPoint, Polygon or MultiPolygon)",
                        other.unwrap_or("(none)")
                    )))
                }
            }
        }
        Ok(PlaceSet::new(places))
    }
}

/// A coordinate cell: a finite number within `±limit` degrees.
fn coordinate(text: &str, limit: f64) -> Result<f64, String> {
    let v: f64 = text.parse().map_err(|_| format!("not a number: {text:?}"))?;
    if !(v.is_finite() && v.abs() <= limit) {
        return Err(format!("{v} is outside ±{limit}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, lat: f64, lon: f64) -> Place {
        Place { name: name.into(), lat, lon, polygon: Vec::new() }
    }

    #[test]
    fn nearest_is_the_plain_scans_answer() {
        // A 7 x 11 lattice of points and one polygon; queries all over the globe.
        let mut places: Vec<Place> = Vec::new();
        for a in -3..=3 {
            for o in -5..=5 {
                places.push(point(&format!("p{a}{o}"), a as f64 * 11.3 + 0.7, o as f64 * 17.1 - 3.0));
            }
        }
        places.push(Place {
            name: "box".into(),
            lat: 50.0,
            lon: 0.0,
            polygon: vec![[0.0, 50.0], [1.0, 50.0], [1.0, 51.0], [0.0, 51.0]],
        });
        let set = PlaceSet::new(places.clone());
        for qa in -18..=18 {
            for qo in -36..=36 {
                let (lat, lon) = (qa as f64 * 4.9 + 0.3, qo as f64 * 4.95 + 0.1);
                let fast = set.nearest(lat, lon).map(|(p, d)| (p.name.clone(), d));
                let plain = nearest_place(&places, lat, lon).map(|(p, d)| (p.name.clone(), d));
                assert_eq!(fast, plain, "at {lat},{lon}");
            }
        }
        assert_eq!(set.nearest(50.5, 0.5).map(|(p, d)| (p.name.as_str(), d)), Some(("box", 0.0)));
        assert!(PlaceSet::default().nearest(0.0, 0.0).is_none());
        assert!(set.nearest(f64::NAN, 0.0).is_none());
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let e = PlaceSet::parse("name,lat,lon\nA,1,2\nB,91,2\n").expect_err("lat 91");
        assert_eq!(e, InputError::BadCell { line: 3, column: "lat".into(), message: "91 is outside ±90".into() });
        let e = PlaceSet::parse("name,lat,lon\nA,1,x\n").expect_err("lon x");
        assert!(matches!(e, InputError::BadCell { line: 2, ref column, .. } if column == "lon"), "{e}");
        assert_eq!(PlaceSet::parse("port,lat\n").expect_err("header"), InputError::MissingColumns("name, lon".into()));
        let e = PlaceSet::parse(r#"{"type":"FeatureCollection","features":[{"properties":{"name":"X"},"geometry":{"type":"LineString","coordinates":[]}}]}"#)
            .expect_err("line string");
        assert!(e.to_string().contains("feature 0") && e.to_string().contains("LineString"), "{e}");
    }

    #[test]
    fn geojson_points_and_polygons() {
        let set = PlaceSet::parse(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"P"},"geometry":{"type":"Point","coordinates":[10.5,55.25]}},
            {"type":"Feature","properties":{"NAME":"Q"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}"#,
        )
        .expect("parses");
        assert_eq!(set.len(), 2);
        assert_eq!(set.places()[0], point("P", 55.25, 10.5));
        assert_eq!(set.nearest(0.5, 0.5).map(|(p, d)| (p.name.as_str(), d)), Some(("Q", 0.0)));
    }
}
