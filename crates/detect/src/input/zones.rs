//! Zone polygons from GeoJSON and a point-in-polygon index over them.
//!
//! A zone file is a GeoJSON `FeatureCollection` (or one `Feature`) whose features carry
//! `zone` (`TERRITORIAL_SEA`, `CONTIGUOUS_ZONE`, `EEZ`, `ZONE_<name>` for a special
//! fishing zone, `PORT`) and `country` (ISO 3166 alpha-2 codes, comma-separated when a
//! zone is shared, e.g. `KR,CN`), and a `Polygon` or `MultiPolygon` geometry (holes
//! allowed). Parsing is a pure function of the text: the CLI reads the files.
//!
//! The index is a grid of 1-degree cells, each listing the polygons whose bounding box
//! touches it; a lookup tests only the polygons of its cell, first against their bounding
//! box, then by ray casting (even-odd rule over every ring, so holes count). Coordinates
//! are taken as planar lon/lat: fine for zones that do not cross the antimeridian, which
//! is all this project ships; a polygon crossing it is rejected.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;
use thiserror::Error;

/// Zone class of a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneClass {
    TerritorialSea,
    ContiguousZone,
    Eez,
    /// A special fishing zone (`ZONE_<name>`).
    Special(String),
    Port,
    Other(String),
}

/// Tells which zone a position lies in (the dark model's P2, the encounter detectors'
/// zone hook). Implemented by [`ZoneSet`].
pub trait ZoneClassifier {
    /// The zone at `(lat, lon)`, or `None` when outside every known zone.
    fn classify(&self, lat: f64, lon: f64) -> Option<ZoneClass>;
    /// The zone polygons behind the classifier, for detectors that need more than the
    /// class (countries, episodes: the `zones` detector); `None` for a bare classifier.
    fn zone_set(&self) -> Option<&ZoneSet> {
        None
    }
}

/// A zone file that cannot be used, with the feature at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ZoneError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("{0}")]
    NotGeoJson(String),
    #[error("feature {index}: {message}")]
    Feature { index: usize, message: String },
}

/// One linear ring, `(lon, lat)` pairs, closed or not.
pub type Ring = Vec<(f64, f64)>;

/// A polygon: the exterior ring first, then holes.
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Ring>,
    /// `(min_lon, min_lat, max_lon, max_lat)` of the exterior ring.
    pub bbox: (f64, f64, f64, f64),
    /// Every edge of every ring, grouped by the horizontal bands of the bbox its latitude
    /// span touches: a lookup casts its ray only over the edges of its own band, so a
    /// coastline of 100,000 vertices costs a few dozen edge tests, not 100,000.
    bands: EdgeBands,
}

/// Edges `(x1, y1, x2, y2)` by latitude band.
#[derive(Clone, Debug, PartialEq, Default)]
struct EdgeBands {
    min_lat: f64,
    height: f64,
    bands: Vec<Vec<(f64, f64, f64, f64)>>,
}

impl EdgeBands {
    /// Aim for about this many edges per band.
    const EDGES_PER_BAND: usize = 8;
    const MAX_BANDS: usize = 4096;

    fn new(rings: &[Ring], min_lat: f64, max_lat: f64) -> EdgeBands {
        let edges: Vec<(f64, f64, f64, f64)> = rings
            .iter()
            .filter(|r| r.len() >= 3)
            .flat_map(|r| {
                (0..r.len()).map(move |i| {
                    let (a, b) = (r[(i + r.len() - 1) % r.len()], r[i]);
                    (a.0, a.1, b.0, b.1)
                })
            })
            .collect();
        let count = (edges.len() / Self::EDGES_PER_BAND).clamp(1, Self::MAX_BANDS);
        let height = ((max_lat - min_lat) / count as f64).max(f64::MIN_POSITIVE);
        let mut bands = vec![Vec::new(); count];
        let band_of = |lat: f64| (((lat - min_lat) / height).floor().max(0.0) as usize).min(count - 1);
        for e in edges {
            for band in &mut bands[band_of(e.1.min(e.3))..=band_of(e.1.max(e.3))] {
                band.push(e);
            }
        }
        EdgeBands { min_lat, height, bands }
    }

    fn edges_at(&self, lat: f64) -> &[(f64, f64, f64, f64)] {
        let i =
            (((lat - self.min_lat) / self.height).floor().max(0.0) as usize).min(self.bands.len().saturating_sub(1));
        self.bands.get(i).map_or(&[], Vec::as_slice)
    }
}

impl Polygon {
    /// A polygon from its rings (exterior first); `None` when the exterior has fewer
    /// than three distinct points.
    pub fn new(rings: Vec<Ring>) -> Option<Polygon> {
        let ext = rings.first()?;
        if ext.len() < 3 {
            return None;
        }
        let mut bbox = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(x, y) in ext {
            bbox = (bbox.0.min(x), bbox.1.min(y), bbox.2.max(x), bbox.3.max(y));
        }
        let bands = EdgeBands::new(&rings, bbox.1, bbox.3);
        Some(Polygon { rings, bbox, bands })
    }

    /// Whether `(lon, lat)` is inside (even-odd over all rings: inside the exterior and
    /// outside every hole). Points exactly on an edge may fall either way.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        if !(lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1) {
            return false;
        }
        // Even-odd ray casting: an edge is one of the ring's (last -> first wraps around).
        let mut inside = false;
        for &(xj, yj, xi, yi) in self.bands.edges_at(lat) {
            if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                inside = !inside;
            }
        }
        inside
    }
}

/// One zone feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    pub class: ZoneClass,
    /// The `zone` property as written, e.g. `ZONE_KR_CN_PMZ`.
    pub code: String,
    /// ISO 3166 alpha-2 codes of the countries the zone belongs to (upper case).
    pub countries: Vec<String>,
    pub name: Option<String>,
    /// Drawn by an approximate method (the shipped world zones: `"approximate": true` in the
    /// file), not a legal boundary; findings say so.
    pub approximate: bool,
    pub polygons: Vec<Polygon>,
}

impl Zone {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.polygons.iter().any(|p| p.contains(lon, lat))
    }

    /// Whether the zone belongs to `iso` (a flag, upper case).
    pub fn belongs_to(&self, iso: &str) -> bool {
        self.countries.iter().any(|c| c.eq_ignore_ascii_case(iso))
    }
}

/// The class of a `zone` property value.
pub fn zone_class(code: &str) -> Option<ZoneClass> {
    match code {
        "TERRITORIAL_SEA" => Some(ZoneClass::TerritorialSea),
        "CONTIGUOUS_ZONE" => Some(ZoneClass::ContiguousZone),
        "EEZ" => Some(ZoneClass::Eez),
        "PORT" => Some(ZoneClass::Port),
        s => s.strip_prefix("ZONE_").filter(|n| !n.is_empty()).map(|n| ZoneClass::Special(n.to_string())),
    }
}

/// Which zone answers `classify` when several contain a point: the most specific. A
/// port wins (a gap that starts in port is not scored as in a sensitive zone), then the
/// territorial sea, the contiguous zone, special zones, the EEZ.
fn rank(c: &ZoneClass) -> u8 {
    match c {
        ZoneClass::Port => 0,
        ZoneClass::TerritorialSea => 1,
        ZoneClass::ContiguousZone => 2,
        ZoneClass::Special(_) => 3,
        ZoneClass::Eez => 4,
        ZoneClass::Other(_) => 5,
    }
}

/// Zones with a grid index; the [`ZoneClassifier`] of the dark model's P2.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoneSet {
    pub zones: Vec<Zone>,
    /// 1-degree cell `(floor(lon), floor(lat))` → `(zone, polygon)` indices.
    grid: BTreeMap<(i32, i32), Vec<(usize, usize)>>,
}

fn cell(v: f64) -> i32 {
    v.floor().clamp(-400.0, 400.0) as i32
}

impl ZoneSet {
    /// Builds the index over `zones`.
    pub fn new(zones: Vec<Zone>) -> ZoneSet {
        let mut set = ZoneSet { zones, grid: BTreeMap::new() };
        set.reindex();
        set
    }

    fn reindex(&mut self) {
        self.grid.clear();
        for (z, zone) in self.zones.iter().enumerate() {
            for (p, poly) in zone.polygons.iter().enumerate() {
                let (x0, y0, x1, y1) = poly.bbox;
                for cx in cell(x0)..=cell(x1) {
                    for cy in cell(y0)..=cell(y1) {
                        self.grid.entry((cx, cy)).or_default().push((z, p));
                    }
                }
            }
        }
    }

    /// Parses one GeoJSON text (the caller names the file in its own error).
    pub fn from_geojson(text: &str) -> Result<ZoneSet, ZoneError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| ZoneError::Json(e.to_string()))?;
        let features: Vec<&Value> = match doc.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => doc
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| ZoneError::NotGeoJson("a FeatureCollection without a features array".into()))?
                .iter()
                .collect(),
            Some("Feature") => vec![&doc],
            other => {
                return Err(ZoneError::NotGeoJson(format!(
                    "expected a FeatureCollection or a Feature, found type {}",
                    other.unwrap_or("(none)")
                )))
            }
        };
        let mut zones = Vec::new();
        for (index, f) in features.into_iter().enumerate() {
            let err = |message: String| ZoneError::Feature { index, message };
            let props = f.get("properties").ok_or_else(|| err("no properties".into()))?;
            let Attributes { code, countries, name, approximate } = attributes(props).map_err(err)?;
            let class = zone_class(&code).ok_or_else(|| {
                err(format!(
                    "unknown zone '{code}' (expected TERRITORIAL_SEA, CONTIGUOUS_ZONE, EEZ, PORT or ZONE_<name>)"
                ))
            })?;
            let geom = f.get("geometry").ok_or_else(|| err("no geometry".into()))?;
            let named = |m: String| match &name {
                Some(n) => err(format!("({n:?}) {m}")),
                None => err(m),
            };
            let polygons = parse_geometry(geom).map_err(named)?;
            if polygons.is_empty() {
                return Err(named("a MultiPolygon without any polygon".into()));
            }
            if polygons.iter().any(|p| p.bbox.2 - p.bbox.0 > 180.0) {
                return Err(
                    err("polygon spans more than 180 degrees of longitude (antimeridian not supported)".into()),
                );
            }
            zones.push(Zone { class, code, countries, name, approximate, polygons });
        }
        Ok(ZoneSet::new(zones))
    }

    /// Adds the zones of `other` (several files make one set).
    pub fn extend(&mut self, other: ZoneSet) {
        self.zones.extend(other.zones);
        self.reindex();
    }

    /// Every zone containing `(lat, lon)`, most specific first (see [`ZoneSet::classify`]),
    /// then in file order.
    pub fn zones_at(&self, lat: f64, lon: f64) -> Vec<&Zone> {
        self.zone_ids_at(lat, lon).into_iter().map(|z| &self.zones[z]).collect()
    }

    /// Indices into [`ZoneSet::zones`] of the zones containing `(lat, lon)`, in the order
    /// of [`ZoneSet::zones_at`].
    pub fn zone_ids_at(&self, lat: f64, lon: f64) -> Vec<usize> {
        if !(lat.is_finite() && lon.is_finite()) {
            return Vec::new();
        }
        let Some(cands) = self.grid.get(&(cell(lon), cell(lat))) else {
            return Vec::new();
        };
        let mut hit: Vec<usize> =
            cands.iter().filter(|(z, p)| self.zones[*z].polygons[*p].contains(lon, lat)).map(|(z, _)| *z).collect();
        hit.sort_unstable();
        hit.dedup();
        hit.sort_by_key(|z| (rank(&self.zones[*z].class), *z));
        hit
    }
}

impl ZoneClassifier for ZoneSet {
    /// The most specific zone at the point, approximate zones left out: a coastline-drawn
    /// band is good enough to say a foreign ship was there (the `zones` detector reads the
    /// whole set), not to add points to a dark score or an encounter.
    fn classify(&self, lat: f64, lon: f64) -> Option<ZoneClass> {
        self.zones_at(lat, lon).into_iter().find(|z| !z.approximate).map(|z| z.class.clone())
    }

    fn zone_set(&self) -> Option<&ZoneSet> {
        Some(self)
    }
}

/// What a feature's properties say about its zone.
struct Attributes {
    code: String,
    countries: Vec<String>,
    name: Option<String>,
    approximate: bool,
}

/// Lookout's own properties (`zone`, `country`, `name`, `approximate`) or, for a feature
/// without `zone`, Marine Regions' attribute names as its EEZ, 12 nm, 24 nm and internal
/// waters files come when downloaded (`POL_TYPE`, `ISO_TER1..3`, `ISO_SOV1..3` in ISO 3166
/// alpha-3, `GEONAME`; any letter case).
fn attributes(props: &Value) -> Result<Attributes, String> {
    let text = |key: &str| {
        props
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .and_then(|(_, v)| v.as_str())
    };
    let approximate = props.get("approximate").and_then(Value::as_bool).unwrap_or(false);
    if let Some(code) = props.get("zone").and_then(Value::as_str) {
        let countries = text("country")
            .unwrap_or("")
            .split(',')
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        let name = props.get("name").and_then(Value::as_str).map(str::to_string);
        return Ok(Attributes { code: code.trim().to_string(), countries, name, approximate });
    }
    let Some(pol_type) = text("POL_TYPE") else {
        return Err("no `zone` property (nor Marine Regions' `POL_TYPE`)".into());
    };
    let code = match pol_type.trim().to_ascii_lowercase().as_str() {
        "12nm" | "internal waters" | "archipelagic waters" => "TERRITORIAL_SEA",
        "24nm" => "CONTIGUOUS_ZONE",
        "200nm" | "overlapping claim" | "joint regime" => "EEZ",
        _ => return Err(format!("Marine Regions POL_TYPE '{}' is not a zone Lookout knows (12NM, 24NM, 200NM, Overlapping claim, Joint regime, Internal waters)", pol_type.trim())),
    };
    let mut countries: Vec<String> = Vec::new();
    for key in ["ISO_TER1", "ISO_TER2", "ISO_TER3", "ISO_SOV1", "ISO_SOV2", "ISO_SOV3"] {
        if let Some(alpha2) = text(key).and_then(alpha2_of) {
            if !countries.contains(&alpha2) {
                countries.push(alpha2);
            }
        }
    }
    let name = text("GEONAME").map(str::to_string);
    Ok(Attributes { code: code.to_string(), countries, name, approximate })
}

/// ISO 3166 alpha-2 of an alpha-3 code (the table in `data/iso3166.csv`, compiled in).
pub fn alpha2_of(alpha3: &str) -> Option<String> {
    static TABLE: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        include_str!("../../data/iso3166.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                Some((f.next()?.trim().to_string(), f.next()?.trim().to_string()))
            })
            .collect()
    });
    table.get(&alpha3.trim().to_ascii_uppercase()).cloned()
}

fn parse_ring(v: &Value) -> Result<Ring, String> {
    let pts = v.as_array().ok_or("a ring is not an array")?;
    let mut ring = Vec::with_capacity(pts.len());
    for p in pts {
        let xy = p.as_array().ok_or("a position is not an array")?;
        let (Some(x), Some(y)) = (xy.first().and_then(Value::as_f64), xy.get(1).and_then(Value::as_f64)) else {
            return Err("a position without two numbers".into());
        };
        if !(x.is_finite() && y.is_finite() && (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return Err(format!("position [{x}, {y}] out of range"));
        }
        ring.push((x, y));
    }
    Ok(ring)
}

fn parse_polygon(v: &Value) -> Result<Polygon, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array")?;
    let rings = rings.iter().map(parse_ring).collect::<Result<Vec<_>, _>>()?;
    for (i, ring) in rings.iter().enumerate() {
        let which = if i == 0 { "exterior ring".to_string() } else { format!("hole {i}") };
        ring_problem(ring).map_or(Ok(()), |p| Err(format!("{which}: {p}")))?;
    }
    Polygon::new(rings).ok_or_else(|| "a polygon needs an exterior ring of at least 3 positions".into())
}

/// Why a ring is not a valid GeoJSON linear ring, if it is not: fewer than 4 positions,
/// not closed (first position repeated last), or self-intersecting. A bad ring makes
/// point-in-polygon answers depend on the ray's direction, i.e. arbitrary findings.
fn ring_problem(ring: &[(f64, f64)]) -> Option<String> {
    if ring.len() < 4 {
        return Some(format!("{} positions; a ring needs at least 4 (the first repeated last)", ring.len()));
    }
    let (first, last) = (ring[0], ring[ring.len() - 1]);
    if first != last {
        return Some(format!(
            "not closed: first position [{}, {}] differs from last [{}, {}]",
            first.0, first.1, last.0, last.1
        ));
    }
    // Repeated consecutive positions are harmless; drop them so that every edge has a length.
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(ring.len());
    for &p in ring {
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    if pts.len() < 4 {
        return Some("fewer than 3 distinct positions".into());
    }
    self_intersection(&pts).map(|(a, b)| {
        let (p, q) = (pts[a], pts[b]);
        format!("self-intersecting: edge {a} from [{}, {}] crosses edge {b} from [{}, {}]", p.0, p.1, q.0, q.1)
    })
}

/// The first pair of edges (by index, `i < j`) of a closed ring (`pts[0] == pts[n-1]`, no
/// repeated consecutive positions) that touch or cross, other than neighbours meeting at
/// their shared vertex. Sweep over edges sorted by their west end: each edge is compared
/// only with edges whose longitude span overlaps its own, O(n log n) for real coastlines.
fn self_intersection(pts: &[(f64, f64)]) -> Option<(usize, usize)> {
    let edges = pts.len() - 1;
    let span = |i: usize| {
        let (a, b) = (pts[i].0, pts[i + 1].0);
        (a.min(b), a.max(b))
    };
    let mut order: Vec<usize> = (0..edges).collect();
    order.sort_by(|&a, &b| span(a).0.total_cmp(&span(b).0).then(a.cmp(&b)));
    let mut found: Option<(usize, usize)> = None;
    for (k, &i) in order.iter().enumerate() {
        let (_, east) = span(i);
        for &j in order[k + 1..].iter().take_while(|&&j| span(j).0 <= east) {
            let (a, b) = (i.min(j), i.max(j));
            if edges_conflict(pts, a, b, edges) && found.is_none_or(|f| (a, b) < f) {
                found = Some((a, b));
            }
        }
    }
    found
}

/// Whether edges `a < b` of a ring with `edges` edges meet where they should not.
fn edges_conflict(pts: &[(f64, f64)], a: usize, b: usize, edges: usize) -> bool {
    let (p1, p2, q1, q2) = (pts[a], pts[a + 1], pts[b], pts[b + 1]);
    let next = b == a + 1;
    let wraps = a == 0 && b == edges - 1;
    if next || wraps {
        // Neighbours share one vertex; they conflict only when they fold back over
        // each other (collinear and overlapping beyond that vertex).
        let (shared, from_a, from_b) = if next { (p2, p1, q2) } else { (p1, p2, q1) };
        return orient(shared, from_a, from_b) == 0.0 && dot(shared, from_a, from_b) > 0.0;
    }
    segments_touch(p1, p2, q1, q2)
}

fn orient(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

fn dot(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.0 - o.0) + (a.1 - o.1) * (b.1 - o.1)
}

/// Closed segments `p1p2` and `q1q2` share at least one point.
fn segments_touch(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    let on = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        c.0 >= a.0.min(b.0) && c.0 <= a.0.max(b.0) && c.1 >= a.1.min(b.1) && c.1 <= a.1.max(b.1)
    };
    (d1 == 0.0 && on(q1, q2, p1))
        || (d2 == 0.0 && on(q1, q2, p2))
        || (d3 == 0.0 && on(p1, p2, q1))
        || (d4 == 0.0 && on(p1, p2, q2))
}

fn parse_geometry(g: &Value) -> Result<Vec<Polygon>, String> {
    let coords = g.get("coordinates").ok_or("geometry without coordinates")?;
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(vec![parse_polygon(coords)?]),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("multipolygon coordinates are not an array")?
            .iter()
            .enumerate()
            .map(|(i, p)| parse_polygon(p).map_err(|e| format!("polygon {i}: {e}")))
            .collect(),
        other => Err(format!("geometry type {} (expected Polygon or MultiPolygon)", other.unwrap_or("(none)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE_WITH_HOLE: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"zone":"EEZ","country":"kr"},
       "geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}},
      {"type":"Feature","properties":{"zone":"TERRITORIAL_SEA","country":"KR"},
       "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,2],[0,0]]],[[[8,8],[10,8],[10,10],[8,10],[8,8]]]]}},
      {"type":"Feature","properties":{"zone":"PORT","country":"KR"},
       "geometry":{"type":"Polygon","coordinates":[[[0.5,0.5],[1,0.5],[1,1],[0.5,1],[0.5,0.5]]]}}]}"#;

    #[test]
    fn holes_multipolygons_and_priority() {
        let set = ZoneSet::from_geojson(SQUARE_WITH_HOLE).expect("zones");
        assert_eq!(set.zones[0].countries, ["KR"]);
        assert_eq!(set.classify(3.0, 3.0), Some(ZoneClass::Eez));
        assert_eq!(set.classify(5.0, 5.0), None, "inside the hole");
        assert_eq!(set.classify(1.5, 1.5), Some(ZoneClass::TerritorialSea), "territorial sea over EEZ");
        assert_eq!(set.classify(9.0, 9.0), Some(ZoneClass::TerritorialSea), "second polygon");
        assert_eq!(set.classify(0.75, 0.75), Some(ZoneClass::Port), "port first");
        assert_eq!(set.classify(11.0, 5.0), None);
        assert_eq!(set.zones_at(0.75, 0.75).len(), 3);
    }

    #[test]
    fn bad_files_name_the_feature() {
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone":"NOPE"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#;
        assert_eq!(
            ZoneSet::from_geojson(bad).err().map(|e| e.to_string()),
            Some(
                "feature 0: unknown zone 'NOPE' (expected TERRITORIAL_SEA, CONTIGUOUS_ZONE, EEZ, PORT or ZONE_<name>)"
                    .into()
            )
        );
        let point = r#"{"type":"Feature","properties":{"zone":"EEZ"},"geometry":{"type":"Point","coordinates":[0,0]}}"#;
        assert!(ZoneSet::from_geojson(point).err().is_some_and(|e| e.to_string().contains("expected Polygon")));
        assert!(matches!(ZoneSet::from_geojson("{"), Err(ZoneError::Json(_))));
        let wide = r#"{"type":"Feature","properties":{"zone":"EEZ"},"geometry":{"type":"Polygon","coordinates":[[[-179,0],[179,0],[179,1],[-179,0]]]}}"#;
        assert!(ZoneSet::from_geojson(wide).err().is_some_and(|e| e.to_string().contains("antimeridian")));
    }

    fn one_ring(coords: &str) -> Result<ZoneSet, ZoneError> {
        ZoneSet::from_geojson(&format!(
            r#"{{"type":"FeatureCollection","features":[
              {{"type":"Feature","properties":{{"zone":"EEZ"}},"geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}}},
              {{"type":"Feature","properties":{{"zone":"ZONE_X","name":"Box"}},"geometry":{{"type":"Polygon","coordinates":[{coords}]}}}}]}}"#
        ))
    }

    #[test]
    fn bad_rings_are_errors_naming_the_feature_and_the_problem() {
        let msg = |coords: &str| one_ring(coords).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg("[[0,0],[2,0],[2,2],[0,2]]"),
            r#"feature 1: ("Box") exterior ring: not closed: first position [0, 0] differs from last [0, 2]"#
        );
        assert_eq!(
            msg("[[0,0],[2,0],[0,0]]"),
            r#"feature 1: ("Box") exterior ring: 3 positions; a ring needs at least 4 (the first repeated last)"#
        );
        // A bow tie: edge 0 (bottom) is fine, edge 1 crosses edge 3.
        assert_eq!(
            msg("[[0,0],[2,0],[0,2],[2,2],[0,0]]"),
            r#"feature 1: ("Box") exterior ring: self-intersecting: edge 1 from [2, 0] crosses edge 3 from [2, 2]"#
        );
        // A spike folding back along its own edge.
        assert!(msg("[[0,0],[2,0],[3,0],[1,0],[1,2],[0,0]]").contains("self-intersecting"));
        // A figure eight pinched at one vertex.
        assert!(msg("[[0,0],[2,2],[4,0],[4,4],[2,2],[0,4],[0,0]]").contains("self-intersecting"));
        // Holes are checked too, and named.
        assert!(msg("[[0,0],[9,0],[9,9],[0,9],[0,0]],[[4,4],[6,4],[6,6],[4,6]]").contains("hole 1: not closed"));
        // Repeated positions and collinear edges are fine.
        assert!(one_ring("[[0,0],[1,0],[1,0],[2,0],[2,2],[0,2],[0,0]]").is_ok());
        let none =
            r#"{"type":"Feature","properties":{"zone":"EEZ"},"geometry":{"type":"MultiPolygon","coordinates":[]}}"#;
        assert_eq!(
            ZoneSet::from_geojson(none).err().map(|e| e.to_string()),
            Some("feature 0: a MultiPolygon without any polygon".into())
        );
        let multi = r#"{"type":"Feature","properties":{"zone":"EEZ"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5]]]]}}"#;
        assert_eq!(
            ZoneSet::from_geojson(multi).err().map(|e| e.to_string()),
            Some(
                "feature 0: polygon 1: exterior ring: 2 positions; a ring needs at least 4 (the first repeated last)"
                    .into()
            )
        );
    }

    #[test]
    fn shipped_zone_files_have_valid_rings() {
        for file in ["kitimat_demo.geojson", "korea_china_pmz.geojson"] {
            let path = format!("{}/../../data/zones/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("zone file");
            assert!(ZoneSet::from_geojson(&text).is_ok_and(|z| !z.zones.is_empty()), "{file}");
        }
    }
}
