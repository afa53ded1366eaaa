//! Recognising gear transmitters and inferring each gear's parent vessel (see the
//! family documentation in [`super`]).

use std::collections::{BTreeMap, BTreeSet};

use lookout_model::{ShipKind, Track};
use serde::{Deserialize, Serialize};

use crate::encounters::gear::params::GearParams;
use crate::encounters::grid::{by_tick, close_pairs_by_pair, haversine_m, median, resample, ship_type_of, Sample};
use crate::input::CycleInput;

/// Why a track was recognised as gear.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GearSignals {
    /// Signal names, strongest first: `battery_suffix`, `keyword`, `mmsi_98`, `mmsi_99`,
    /// `index_suffix`, `index_matches_vessel`, `nonstandard_mmsi`.
    pub signals: Vec<String>,
    /// The name without battery level, keyword or index: the parent name it points to.
    pub base_name: Option<String>,
    /// Battery level in percent, when the name carries one.
    pub battery_pct: Option<u32>,
}

/// Upper-case, separators collapsed to single spaces: `Dae-Ho  1` → `DAE-HO 1`.
fn clean(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// A name's comparison key: letters and digits only (`DAE-HO 7` → `DAEHO7`).
pub fn name_key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// Splits a trailing `NN%` battery level (`NAME 12%`, `NAME12%`, `NAME 12 %`).
fn strip_battery(name: &str) -> (String, Option<u32>) {
    let t = name.trim_end();
    let Some(rest) = t.strip_suffix('%') else {
        return (t.to_string(), None);
    };
    let rest = rest.trim_end();
    let digits: String = rest.chars().rev().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 3 {
        return (t.to_string(), None);
    }
    let pct: Option<u32> = digits.chars().rev().collect::<String>().parse().ok();
    let base = rest[..rest.len() - digits.len()].trim_end_matches([' ', '_', '-', '.']).to_string();
    match pct {
        Some(p) if p <= 100 && !base.is_empty() => (base, Some(p)),
        _ => (t.to_string(), None),
    }
}

/// Splits a trailing index (`NAME-1`, `NAME_12`, `NAME 3`, `NAME#2`), 1-3 digits after a
/// separator.
fn strip_index(name: &str) -> (String, bool) {
    let digits: String = name.chars().rev().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 3 {
        return (name.to_string(), false);
    }
    let rest = &name[..name.len() - digits.len()];
    if rest.ends_with(['-', '_', ' ', '#', '/']) {
        let base = rest.trim_end_matches(['-', '_', ' ', '#', '/']).to_string();
        if !base.is_empty() {
            return (base, true);
        }
    }
    (name.to_string(), false)
}

/// Removes keyword tokens (`DAEHO_BUOY`, `BUOY DAEHO`, `DAEHO NET 2`).
fn strip_keywords(name: &str, keywords: &[String]) -> (String, bool) {
    let mut found = false;
    let tokens: Vec<&str> = name
        .split([' ', '_', '-', '/', '#'])
        .filter(|t| !t.is_empty())
        .filter(|t| {
            let kw = keywords.iter().any(|k| k.eq_ignore_ascii_case(t));
            found |= kw;
            !kw
        })
        .collect();
    if found && !tokens.is_empty() {
        (tokens.join(" "), true)
    } else {
        (name.to_string(), false)
    }
}

/// The gear signals of a track, or `None` when it is not gear. `known` holds the
/// [`name_key`]s of known vessel names.
pub fn recognise(
    track: &Track,
    ship_kind: Option<ShipKind>,
    known: &BTreeSet<String>,
    p: &GearParams,
) -> Option<GearSignals> {
    if matches!(ship_kind, Some(ShipKind::Cargo | ShipKind::Tanker | ShipKind::Passenger)) {
        return None;
    }
    let mut s = GearSignals::default();
    let mut strong = 0;
    let mut weak = 0;
    if let Some(raw) = track.static_data.name.as_deref().map(clean).filter(|n| !n.is_empty()) {
        let (name, pct) = strip_battery(&raw);
        if pct.is_some() {
            s.signals.push("battery_suffix".into());
            s.battery_pct = pct;
            strong += 1;
        }
        let (name, kw) = strip_keywords(&name, &p.keywords);
        if kw {
            s.signals.push("keyword".into());
            strong += 1;
        }
        let (name, idx) = strip_index(&name);
        if idx {
            s.signals.push("index_suffix".into());
            weak += 1;
            if known.contains(&name_key(&name)) {
                s.signals.push("index_matches_vessel".into());
                weak += 1;
            }
        }
        s.base_name = Some(name);
    }
    let id = track.vessel.as_str();
    if id.len() == 9 && id.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(prefix) = p.mmsi_prefixes.iter().find(|pre| id.starts_with(pre.as_str())) {
            s.signals.push(format!("mmsi_{prefix}"));
            strong += 1;
        } else if !(b'2'..=b'7').contains(&id.as_bytes()[0]) {
            s.signals.push("nonstandard_mmsi".into());
            weak += 1;
        }
    }
    (strong >= 1 || weak >= 2).then_some(s)
}

/// How the parent was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParentStatus {
    DirectMatch,
    AutoPromoted,
    ReviewRequired,
    Unresolved,
}

impl ParentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ParentStatus::DirectMatch => "DIRECT_MATCH",
            ParentStatus::AutoPromoted => "AUTO_PROMOTED",
            ParentStatus::ReviewRequired => "REVIEW_REQUIRED",
            ParentStatus::Unresolved => "UNRESOLVED",
        }
    }

    /// Whether the gear is attributed to one parent.
    pub fn attributed(self) -> bool {
        matches!(self, ParentStatus::DirectMatch | ParentStatus::AutoPromoted)
    }
}

/// A possible parent with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub vessel: String,
    /// `name` (name match) or `proximity`.
    pub basis: String,
    /// Grid ticks within the candidate radius of the gear.
    pub ticks_together: i64,
    pub min_distance_m: Option<f64>,
}

/// One recognised gear and what was inferred about it.
#[derive(Clone, Debug, PartialEq)]
pub struct GearInfo {
    /// Track index of the gear.
    pub gear: usize,
    pub signals: GearSignals,
    pub status: ParentStatus,
    /// Track index of the parent when attributed and tracked in the window.
    pub parent_track: Option<usize>,
    /// Parent id when attributed (may be a registry vessel without a track).
    pub parent: Option<String>,
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
}

/// Recognises gear among `input.tracks` and infers each gear's parent.
pub fn infer(input: &CycleInput<'_>, p: &GearParams) -> Vec<GearInfo> {
    let tracks = input.tracks;
    let kinds: Vec<Option<ShipKind>> =
        tracks.iter().map(|t| ship_type_of(t, input.registry).map(|s| s.kind())).collect();
    // Known vessel names: tracks and the registry, by name key -> ids.
    let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in tracks {
        if let Some(n) = t.static_data.name.as_deref() {
            by_name.entry(name_key(n)).or_default().insert(t.vessel.as_str().to_string());
        }
    }
    if let Some(reg) = input.registry {
        for (id, e) in &reg.entries {
            if let Some(n) = e.name.as_deref() {
                by_name.entry(name_key(n)).or_default().insert(id.clone());
            }
        }
    }
    by_name.remove("");
    let known: BTreeSet<String> = by_name.keys().cloned().collect();
    let signals: Vec<Option<GearSignals>> =
        tracks.iter().zip(&kinds).map(|(t, k)| recognise(t, *k, &known, p)).collect();
    let is_gear: Vec<bool> = signals.iter().map(Option::is_some).collect();
    if !is_gear.iter().any(|g| *g) {
        return Vec::new();
    }
    let index: BTreeMap<&str, usize> = tracks.iter().enumerate().map(|(i, t)| (t.vessel.as_str(), i)).collect();
    // Spatio-temporal co-presence of every gear with non-gear vessels, through the grid.
    let step = p.step_min * 60;
    let samples: Vec<Vec<Sample>> =
        tracks.iter().map(|t| resample(t, step, p.max_interpolation_gap_min * 60)).collect();
    let table = by_tick(&samples, |_| true);
    let pairs = close_pairs_by_pair(&table, p.candidate_radius_m, |a, b| is_gear[a] != is_gear[b], true);
    let mut near: BTreeMap<usize, Vec<Candidate>> = BTreeMap::new();
    for ((a, b), closes) in &pairs {
        let (g, v) = if is_gear[*a] { (*a, *b) } else { (*b, *a) };
        let min_d = closes.iter().map(|c| c.dist_m).fold(f64::INFINITY, f64::min);
        near.entry(g).or_default().push(Candidate {
            vessel: tracks[v].vessel.as_str().to_string(),
            basis: "proximity".into(),
            ticks_together: closes.len() as i64,
            min_distance_m: Some((min_d * 10.0).round() / 10.0),
        });
    }
    let mut out = Vec::new();
    for (g, sig) in signals.iter().enumerate() {
        let Some(sig) = sig else { continue };
        let mut prox = near.remove(&g).unwrap_or_default();
        prox.sort_by(|x, y| y.ticks_together.cmp(&x.ticks_together).then(x.vessel.cmp(&y.vessel)));
        let own = tracks[g].vessel.as_str();
        let named: Vec<String> = sig
            .base_name
            .as_deref()
            .and_then(|n| by_name.get(&name_key(n)))
            .map(|ids| {
                ids.iter()
                    .filter(|id| id.as_str() != own && index.get(id.as_str()).is_none_or(|&i| !is_gear[i]))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let ticks_of = |id: &str| prox.iter().find(|c| c.vessel == id).map(|c| (c.ticks_together, c.min_distance_m));
        let (status, parent, candidates) = if named.len() == 1 {
            let (t, d) = ticks_of(&named[0]).unwrap_or((0, None));
            let c = Candidate { vessel: named[0].clone(), basis: "name".into(), ticks_together: t, min_distance_m: d };
            (ParentStatus::DirectMatch, Some(named[0].clone()), vec![c])
        } else if named.len() > 1 {
            // Several vessels share the name: the spatio-temporal evidence decides.
            let mut cands: Vec<Candidate> = named
                .iter()
                .map(|id| {
                    let (t, d) = ticks_of(id).unwrap_or((0, None));
                    Candidate { vessel: id.clone(), basis: "name".into(), ticks_together: t, min_distance_m: d }
                })
                .collect();
            cands.sort_by(|x, y| y.ticks_together.cmp(&x.ticks_together).then(x.vessel.cmp(&y.vessel)));
            decide(cands, p)
        } else {
            decide(prox, p)
        };
        let parent_track = parent.as_deref().and_then(|id| index.get(id).copied());
        out.push(GearInfo { gear: g, signals: sig.clone(), status, parent_track, parent, candidates });
    }
    out
}

/// Spatio-temporal decision over candidates sorted best first.
fn decide(cands: Vec<Candidate>, p: &GearParams) -> (ParentStatus, Option<String>, Vec<Candidate>) {
    let strong: Vec<&Candidate> = cands.iter().filter(|c| c.ticks_together >= p.min_cotravel_ticks).collect();
    match strong.as_slice() {
        [] if cands.is_empty() => (ParentStatus::Unresolved, None, cands),
        [] => (ParentStatus::ReviewRequired, None, cands),
        [one] => {
            let id = one.vessel.clone();
            (ParentStatus::AutoPromoted, Some(id), cands)
        }
        [best, second, ..] => {
            if best.ticks_together as f64 >= p.dominance * second.ticks_together as f64 {
                let id = best.vessel.clone();
                (ParentStatus::AutoPromoted, Some(id), cands)
            } else {
                (ParentStatus::ReviewRequired, None, cands)
            }
        }
    }
}

/// Metres between the median position of a gear's reports and its farthest report, and
/// the hours those reports span.
pub fn stationarity(track: &Track) -> Option<(f64, f64)> {
    let pts: Vec<_> = track.positions.iter().filter(|p| p.lat.is_finite() && p.lon.is_finite()).collect();
    let (first, last) = (pts.first()?, pts.last()?);
    let mut lats: Vec<f64> = pts.iter().map(|p| p.lat).collect();
    let mut lons: Vec<f64> = pts.iter().map(|p| p.lon).collect();
    let (lat, lon) = (median(&mut lats), median(&mut lons));
    let spread = pts.iter().map(|p| haversine_m(lat, lon, p.lat, p.lon)).fold(0.0, f64::max);
    Some((spread, (last.timestamp - first.timestamp).num_seconds() as f64 / 3600.0))
}
