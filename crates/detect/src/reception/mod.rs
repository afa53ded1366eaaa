//! The `reception` detector: AIS receiver outages found in per-area message rates.
//!
//! The cycle's reports are counted per grid cell (`cell_deg` degrees) and per time
//! bucket (`bucket_min` minutes, aligned to the Unix epoch so every cycle cuts the same
//! buckets). A complete bucket of a cell is **down** when, judged only from earlier
//! buckets (no look-ahead):
//!
//! 1. the cell's reports fell by at least `min_drop_pct` against the median of its last
//!    `baseline_buckets` up buckets, with a robust z-score of at least `min_z`
//!    ([`lookout_anomaly::rate_drop`]), and that median is at least
//!    `min_baseline_reports` over at least `min_baseline_buckets` buckets (enough
//!    traffic to judge);
//! 2. at least `min_vessels` vessels were heard in the cell in its last up bucket, and at
//!    least `min_silent_pct` of them are heard nowhere in the whole area during the
//!    bucket (they went silent together, they did not sail to the next cell);
//! 3. the rest of the area (every other cell together) kept reporting: at least
//!    `rest_min_pct` of its own trailing median, which must itself reach
//!    `min_baseline_reports` (a stop of the whole feed is not a receiver outage, and
//!    neither is the end of the data).
//!
//! Down buckets are not learned, so the baseline stays frozen through an outage. A run
//! of consecutive down buckets lasting at least `min_duration_min` is an outage: one
//! finding for the AREA (`vessel` = `area:<deg>:<corner>`, severity NONE, level
//! `OUTAGE`), which belongs to the cycle whose window holds its end. The dark detector
//! reads these findings from its upstream (see [`outage::OutageRef::explains`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use lookout_anomaly::rate_drop::{DropJudge, DropRule, DropVerdict};
use lookout_model::{Finding, Severity, Timestamp, Track, VesselId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::error::ParamsError;
use crate::finding::{item, round_to};
use crate::input::{CycleInput, Upstream};
use crate::params::Params;

pub mod outage;

use outage::{cell_of, describe, Cell, RECEPTION};

/// Receiver-outage detection; params are the [`ReceptionParams`].
pub struct ReceptionDetector;

/// Parameters of the outage rule (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceptionParams {
    /// Side of a grid cell in degrees (latitude and longitude).
    pub cell_deg: f64,
    /// Length of a time bucket in minutes.
    pub bucket_min: i64,
    /// Up buckets the baseline median is taken over.
    pub baseline_buckets: i64,
    /// Up buckets needed before a cell is judged.
    pub min_baseline_buckets: i64,
    /// Smallest baseline median (reports per bucket) of a cell that is judged.
    pub min_baseline_reports: f64,
    /// Vessels that must have been heard in the cell in its last up bucket.
    pub min_vessels: i64,
    /// Smallest drop of the cell's reports against its baseline, in percent.
    pub min_drop_pct: f64,
    /// Smallest robust z-score of that drop.
    pub min_z: f64,
    /// Share of the cell's last vessels heard nowhere during the bucket, in percent.
    pub min_silent_pct: f64,
    /// The rest of the area must report at least this share of its own baseline.
    pub rest_min_pct: f64,
    /// Shortest outage, in minutes (a whole number of buckets).
    pub min_duration_min: i64,
}

impl Default for ReceptionParams {
    fn default() -> Self {
        ReceptionParams {
            cell_deg: 0.5,
            bucket_min: 30,
            baseline_buckets: 12,
            min_baseline_buckets: 4,
            min_baseline_reports: 30.0,
            min_vessels: 3,
            min_drop_pct: 80.0,
            min_z: 3.5,
            min_silent_pct: 80.0,
            rest_min_pct: 50.0,
            min_duration_min: 60,
        }
    }
}

impl Params for ReceptionParams {
    fn validate(&self) -> Result<(), ParamsError> {
        let checks: [(&str, bool, &str); 8] = [
            ("cell_deg", self.cell_deg > 0.0 && self.cell_deg <= 10.0, "expected 0 < cell_deg <= 10"),
            ("bucket_min", (1..=1440).contains(&self.bucket_min), "expected 1..=1440 minutes"),
            ("baseline_buckets", (1..=10_000).contains(&self.baseline_buckets), "expected 1..=10000"),
            (
                "min_baseline_buckets",
                (1..=self.baseline_buckets).contains(&self.min_baseline_buckets),
                "expected 1..=baseline_buckets",
            ),
            ("min_baseline_reports", self.min_baseline_reports > 0.0, "expected > 0"),
            ("min_vessels", self.min_vessels >= 1, "expected >= 1"),
            ("min_duration_min", self.min_duration_min >= 1, "expected >= 1"),
            (
                "min_drop_pct",
                [self.min_drop_pct, self.min_silent_pct, self.rest_min_pct].iter().all(|p| (0.0..=100.0).contains(p)),
                "percentages (min_drop_pct, min_silent_pct, rest_min_pct) must lie in 0..=100",
            ),
        ];
        match checks.iter().find(|c| !c.1) {
            Some((path, _, msg)) => Err(ParamsError::at(path, *msg)),
            None => Ok(()),
        }
    }
}

impl ReceptionParams {
    fn bucket_sec(&self) -> i64 {
        self.bucket_min * 60
    }

    fn cell_rule(&self) -> DropRule {
        DropRule {
            window: usize::try_from(self.baseline_buckets).unwrap_or(1),
            min_points: usize::try_from(self.min_baseline_buckets).unwrap_or(1),
            min_level: self.min_baseline_reports,
            min_drop: self.min_drop_pct / 100.0,
            min_z: self.min_z,
        }
    }

    /// The rest of the area is only measured, never called down: no drop threshold.
    fn rest_rule(&self) -> DropRule {
        DropRule { min_drop: f64::INFINITY, ..self.cell_rule() }
    }
}

fn bucket_of(t: Timestamp, bucket_sec: i64) -> i64 {
    t.timestamp().div_euclid(bucket_sec)
}

fn bucket_time(b: i64, bucket_sec: i64) -> Timestamp {
    Utc.timestamp_opt(b.saturating_mul(bucket_sec), 0).single().unwrap_or_default()
}

/// Reports and distinct vessels (indices into the cycle's tracks) of one cell-bucket.
#[derive(Default)]
struct Counts {
    reports: u64,
    vessels: BTreeSet<usize>,
}

/// The per-area message-rate series of a cycle.
struct Rates {
    cells: BTreeMap<Cell, BTreeMap<i64, Counts>>,
    /// Vessels heard anywhere, per bucket.
    heard: BTreeMap<i64, BTreeSet<usize>>,
    /// Reports anywhere, per bucket.
    totals: BTreeMap<i64, u64>,
    /// First bucket judged: the one after the earliest report, because the earliest
    /// bucket may be cut by the look-back edge of the loaded data.
    first: i64,
    /// Buckets before this one are complete at the window end ("now").
    end: i64,
    /// Statistics count the buckets from this one on (the cycle's window).
    count_from: i64,
}

fn rates(tracks: &[Track], p: &ReceptionParams, now: Timestamp) -> Rates {
    let bs = p.bucket_sec();
    let mut r = Rates {
        cells: BTreeMap::new(),
        heard: BTreeMap::new(),
        totals: BTreeMap::new(),
        first: i64::MAX,
        end: bucket_of(now, bs),
        count_from: i64::MIN,
    };
    for (vi, track) in tracks.iter().enumerate() {
        for pos in track.positions.iter().filter(|q| q.timestamp <= now) {
            let Some(cell) = cell_of(pos.lat, pos.lon, p.cell_deg) else { continue };
            let b = bucket_of(pos.timestamp, bs);
            r.first = r.first.min(b);
            let c = r.cells.entry(cell).or_default().entry(b).or_default();
            c.reports += 1;
            c.vessels.insert(vi);
            r.heard.entry(b).or_default().insert(vi);
            *r.totals.entry(b).or_insert(0) += 1;
        }
    }
    r.first = r.first.saturating_add(1);
    r
}

/// Why a bucket of a cell is down.
#[derive(Clone, Debug)]
struct Down {
    cell: DropVerdict,
    rest: DropVerdict,
    /// Vessels heard in the cell in its last up bucket.
    reference: usize,
    /// Those of them heard nowhere during the bucket.
    silent: Vec<usize>,
}

fn is_down(
    cell: Option<DropVerdict>,
    rest: Option<DropVerdict>,
    reference: &BTreeSet<usize>,
    heard: Option<&BTreeSet<usize>>,
    p: &ReceptionParams,
) -> Option<Down> {
    let cell = cell.filter(|v| v.down)?;
    if (reference.len() as i64) < p.min_vessels {
        return None;
    }
    let silent: Vec<usize> = reference.iter().copied().filter(|v| !heard.is_some_and(|h| h.contains(v))).collect();
    if (silent.len() as f64) < p.min_silent_pct / 100.0 * reference.len() as f64 {
        return None;
    }
    let rest = rest?;
    if rest.observed < p.rest_min_pct / 100.0 * rest.baseline {
        return None;
    }
    Some(Down { cell, rest, reference: reference.len(), silent })
}

/// The down buckets of one cell. Each bucket is judged from earlier buckets only, then
/// learned unless down, so appending later data never changes an earlier verdict.
fn judge_cell(r: &Rates, series: &BTreeMap<i64, Counts>, p: &ReceptionParams) -> BTreeMap<i64, Down> {
    judge_cell_counted(r, series, p, &mut Work::default(), true)
}

/// What judging cost and found, for the run's statistics.
#[derive(Default)]
struct Work {
    /// Buckets with enough traffic to be judged, from `count_from` on.
    judged: u64,
    /// Buckets stepped through: what bounds the run time.
    visited: u64,
}

/// [`judge_cell`], adding to `work` the buckets judged and visited.
///
/// A stretch where the whole area is silent is stepped through only until the judges
/// settle (their windows full of zeros, no vessel to miss: about twice
/// `baseline_buckets`); from there every further silent bucket would be judged the same
/// and change nothing, so the walk jumps to the next bucket with reports anywhere. The
/// cost is then bounded by the buckets that have data, not by the time span (a stray
/// position dated 1970 no longer means millions of buckets per cell). `skip` false walks
/// every bucket, for the test that the jump changes no verdict.
fn judge_cell_counted(
    r: &Rates,
    series: &BTreeMap<i64, Counts>,
    p: &ReceptionParams,
    work: &mut Work,
    skip: bool,
) -> BTreeMap<i64, Down> {
    let mut cell_judge = DropJudge::new(p.cell_rule());
    let mut rest_judge = DropJudge::new(p.rest_rule());
    let mut reference: BTreeSet<usize> = BTreeSet::new();
    let empty = Counts::default();
    let mut out = BTreeMap::new();
    let Some(&first_seen) = series.keys().next() else { return out };
    let mut b = first_seen.max(r.first);
    while b < r.end {
        work.visited += 1;
        let here = series.get(&b).unwrap_or(&empty);
        let rest = r.totals.get(&b).copied().unwrap_or(0).saturating_sub(here.reports) as f64;
        let verdict = cell_judge.judge(here.reports as f64);
        work.judged += u64::from(verdict.is_some() && b >= r.count_from);
        let down = is_down(verdict, rest_judge.judge(rest), &reference, r.heard.get(&b), p);
        rest_judge.learn(rest);
        let was_down = down.is_some();
        match down {
            Some(d) => {
                out.insert(b, d);
            }
            None => {
                cell_judge.learn(here.reports as f64);
                reference.clone_from(&here.vessels);
            }
        }
        let settled = !was_down
            && !r.totals.contains_key(&b)
            && reference.is_empty()
            && cell_judge.saturated_with(0.0)
            && rest_judge.saturated_with(0.0);
        b = match r.totals.range(b + 1..).next() {
            Some((&next, _)) if skip && settled => next.min(r.end),
            None if skip && settled => r.end,
            _ => b + 1,
        };
    }
    out
}

/// One outage: a run of consecutive down buckets of a cell.
struct Outage {
    cell: Cell,
    /// First down bucket and one past the last.
    from: i64,
    to: i64,
    first: Down,
    /// Mean reports per bucket during the outage.
    observed: f64,
    /// True when the run reaches the last complete bucket of the cycle.
    ongoing: bool,
}

fn outages_of(cell: Cell, down: BTreeMap<i64, Down>, end: i64, p: &ReceptionParams) -> Vec<Outage> {
    let mut out = Vec::new();
    let mut run: Vec<(i64, Down)> = Vec::new();
    let mut close = |run: &mut Vec<(i64, Down)>| {
        let n = run.len() as i64;
        if n > 0 && n * p.bucket_min >= p.min_duration_min {
            let (from, first) = run[0].clone();
            let observed = run.iter().map(|(_, d)| d.cell.observed).sum::<f64>() / n as f64;
            out.push(Outage { cell, from, to: from + n, first, observed, ongoing: from + n == end });
        }
        run.clear();
    };
    for (b, d) in down {
        if run.last().is_some_and(|(last, _)| *last + 1 != b) {
            close(&mut run);
        }
        run.push((b, d));
    }
    close(&mut run);
    out
}

/// Every outage of the cycle, by cell then time.
/// How much of the area could be judged: an outage-free cycle over cells too quiet to
/// judge says little, and the statistics tell the two apart.
#[derive(Debug, Default, Serialize)]
struct RunStats {
    cells: usize,
    /// Cells with at least one bucket judged.
    cells_judged: usize,
    /// Complete cell-buckets with enough history and traffic to be judged.
    buckets_judged: u64,
    /// Cell-buckets stepped through (judged or not): the run's cost, bounded by the
    /// buckets that have reports, not by the time span they cover.
    buckets_visited: u64,
    buckets_down: usize,
    outages: usize,
}

/// Every outage of the cycle, by cell then time, and the run's statistics.
fn detect(tracks: &[Track], p: &ReceptionParams, window: (Timestamp, Timestamp)) -> (Vec<Outage>, RunStats) {
    let mut r = rates(tracks, p, window.1);
    r.count_from = bucket_of(window.0, p.bucket_sec());
    let mut all = Vec::new();
    let mut stats = RunStats { cells: r.cells.len(), ..RunStats::default() };
    for (cell, series) in &r.cells {
        let mut work = Work::default();
        let down = judge_cell_counted(&r, series, p, &mut work, true);
        stats.cells_judged += usize::from(work.judged > 0);
        stats.buckets_judged += work.judged;
        stats.buckets_visited += work.visited;
        stats.buckets_down += down.range(r.count_from..).count();
        all.extend(outages_of(*cell, down, r.end, p));
    }
    stats.outages = all.iter().filter(|o| o.to > r.count_from).count();
    (all, stats)
}

/// The area id of a cell: `area:<deg>:<south-west corner>`, e.g. `area:0.5:N53.50W129.00`.
pub fn area_id(cell_deg: f64, i: i64, j: i64) -> String {
    let (lat, lon) = (i as f64 * cell_deg, j as f64 * cell_deg);
    let ns = if lat < 0.0 { 'S' } else { 'N' };
    let ew = if lon < 0.0 { 'W' } else { 'E' };
    format!("area:{cell_deg}:{ns}{:.2}{ew}{:.2}", lat.abs(), lon.abs())
}

fn outage_finding(o: &Outage, tracks: &[Track], p: &ReceptionParams) -> Finding {
    let (i, j) = o.cell;
    let (lat0, lon0) = (i as f64 * p.cell_deg, j as f64 * p.cell_deg);
    let (start, end) = (bucket_time(o.from, p.bucket_sec()), bucket_time(o.to, p.bucket_sec()));
    // Sorted by id, so the evidence does not depend on the order tracks came in.
    let mut silent: Vec<&str> =
        o.first.silent.iter().filter_map(|&v| tracks.get(v)).map(|t| t.vessel.as_str()).collect();
    silent.sort_unstable();
    let evidence = json!({
        "area": area_id(p.cell_deg, i, j),
        "cell": { "i": i, "j": j, "cell_deg": p.cell_deg,
                  "lat_min": round_to(lat0, 6), "lat_max": round_to(lat0 + p.cell_deg, 6),
                  "lon_min": round_to(lon0, 6), "lon_max": round_to(lon0 + p.cell_deg, 6) },
        "bucket_min": p.bucket_min,
        "buckets": o.to - o.from,
        "duration_min": (o.to - o.from) * p.bucket_min,
        "baseline_reports_per_bucket": round_to(o.first.cell.baseline, 2),
        "observed_reports_per_bucket": round_to(o.observed, 2),
        "drop_pct": round_to((1.0 - o.observed / o.first.cell.baseline) * 100.0, 1),
        "z": round_to(o.first.cell.z, 2),
        "reference_vessels": o.first.reference,
        "silent_count": silent.len(),
        "silent_vessels": silent,
        "rest_baseline_reports_per_bucket": round_to(o.first.rest.baseline, 2),
        "rest_observed_reports_per_bucket": round_to(o.first.rest.observed, 2),
        "ongoing": o.ongoing,
    });
    let note = describe(&evidence, start, end);
    Finding {
        detector: RECEPTION.into(),
        vessel: VesselId::new(area_id(p.cell_deg, i, j)),
        start,
        end,
        score: None,
        level: "OUTAGE".into(),
        // An outage is context for other findings, not a risk: NONE keeps it out of the
        // risk statistics and the events.
        severity: Severity::None,
        breakdown: vec![item("RCV", "receiver_outage", 0, "수신 장애", "Receiver outage", note.0, note.1)],
        evidence,
        rule: None,
        model_version: None,
        params_hash: None,
    }
}

/// Every down bucket of the cycle as (area id, bucket start), by area then time,
/// whether or not it belongs to an outage long enough to report: what the no-look-ahead
/// guarantee is about (a bucket's verdict never changes when later data arrives).
pub fn down_buckets(tracks: &[Track], params: &Value, now: Timestamp) -> Result<Vec<(String, Timestamp)>, ParamsError> {
    let p = ReceptionParams::parse(params)?;
    let r = rates(tracks, &p, now);
    let mut out = Vec::new();
    for (cell, series) in &r.cells {
        let area = area_id(p.cell_deg, cell.0, cell.1);
        out.extend(judge_cell(&r, series, &p).into_keys().map(|b| (area.clone(), bucket_time(b, p.bucket_sec()))));
    }
    Ok(out)
}

impl Algorithm for ReceptionDetector {
    const ABOUT: About = About {
        code: RECEPTION,
        name: Text { ko: "수신 장애", en: "Reception outages" },
        description: Text {
            ko: "해역 격자별 AIS 보고율이 자체 기준선 대비 지속적으로 급감하고 그 해역 선박이 동시에 무신호가 된 수신기 장애 구간",
            en: "Receiver outages: a grid cell's AIS report rate drops far below its own trailing baseline while its vessels all fall silent at once and the rest of the area keeps reporting",
        },
        entity: EntityType::Area,
    };
    type Params = ReceptionParams;

    fn run(
        &self,
        input: &CycleInput<'_>,
        p: &ReceptionParams,
        upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        Algorithm::run_with_stats(self, input, p, upstream).map(|(f, _)| f)
    }

    /// Statistics: cells, cells and cell-buckets judged, down buckets, outages; buckets
    /// and outages are counted inside the window (the look-back only feeds baselines).
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        p: &ReceptionParams,
        _upstream: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        let (outages, stats) = detect(input.tracks, p, (input.window_start, input.window_end));
        let findings =
            outages.iter().map(|o| outage_finding(o, input.tracks, p)).filter(|f| f.end > input.window_start).collect();
        Ok((findings, serde_json::to_value(stats).unwrap_or(Value::Null)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn cells_and_buckets_are_floored() {
        assert_eq!(cell_of(53.74, -128.6, 0.5), Some((107, -258)));
        assert_eq!(cell_of(f64::NAN, 0.0, 0.5), None);
        assert_eq!(area_id(0.5, 107, -258), "area:0.5:N53.50W129.00");
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 29, 59).single().expect("t");
        assert_eq!(bucket_of(t, 1800), bucket_of(t - Duration::minutes(29), 1800));
        assert_eq!(bucket_time(bucket_of(t, 1800), 1800), t - Duration::seconds(29 * 60 + 59));
    }

    #[test]
    fn params_are_validated() {
        assert!(ReceptionParams::default().validate().is_ok());
        let bad = ReceptionParams { min_baseline_buckets: 13, ..Default::default() };
        assert_eq!(bad.validate().err().map(|e| e.path), Some("min_baseline_buckets".into()));
        let bad = ReceptionParams { rest_min_pct: 120.0, ..Default::default() };
        assert!(bad.validate().is_err());
    }

    fn track(id: &str, times: &[Timestamp], lat: f64, lon: f64) -> Track {
        let positions = times
            .iter()
            .map(|&t| lookout_model::Position {
                vessel: VesselId::new(id),
                timestamp: t,
                lat,
                lon,
                sog: Some(1.0),
                cog: None,
                heading: None,
                nav_status: None,
            })
            .collect();
        Track { vessel: VesselId::new(id), static_data: Default::default(), positions }
    }

    /// Two busy cells over two days with a day of silence everywhere between them; cell A
    /// goes quiet for two hours on each day while cell B keeps reporting (an outage), and
    /// a third cell holds a few positions dated year 0000 and 1970 (older stores).
    fn fleet() -> Vec<Track> {
        let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("t0");
        let busy = |skip_hours: std::ops::Range<i64>| -> Vec<Timestamp> {
            (0..24 * 60)
                .chain(2 * 24 * 60..3 * 24 * 60)
                .filter(|m| !skip_hours.contains(&((m / 60) % 24)))
                .map(|m| t0 + Duration::minutes(m))
                .collect()
        };
        let mut tracks = Vec::new();
        for v in 0..3 {
            tracks.push(track(&format!("a{v}"), &busy(14..16), 35.2, 125.2));
            tracks.push(track(&format!("b{v}"), &busy(0..0), 36.2, 126.2));
        }
        let ancient = [
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).single().expect("year 0"),
            Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).single().expect("1970"),
            Utc.with_ymd_and_hms(1970, 1, 1, 0, 10, 0).single().expect("1970"),
        ];
        tracks.push(track("old", &ancient, 10.2, 100.2));
        tracks
    }

    fn walk(tracks: &[Track], p: &ReceptionParams, now: Timestamp, skip: bool) -> (Vec<(Cell, Vec<i64>)>, u64) {
        let r = rates(tracks, p, now);
        let mut work = Work::default();
        let down = r
            .cells
            .iter()
            .map(|(cell, series)| (*cell, judge_cell_counted(&r, series, p, &mut work, skip).into_keys().collect()))
            .collect();
        (down, work.visited)
    }

    #[test]
    fn cost_is_bounded_by_the_buckets_with_data_not_the_time_span() {
        let tracks = fleet();
        let p = ReceptionParams::default();
        let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("t0");
        let (start, end) = (t0, t0 + Duration::days(3));
        let (outages, stats) = detect(&tracks, &p, (start, end));
        // 3 cells; 96 buckets with data; each silent stretch costs at most about twice
        // the baseline before the walk jumps. Walking the span from year 0000 would be
        // over 100 million cell-buckets.
        let data_buckets = 2 * 48;
        let settle = 2 * p.baseline_buckets as u64 + 2;
        assert!(
            stats.buckets_visited <= 3 * (data_buckets + 3 * settle),
            "visited {} cell-buckets",
            stats.buckets_visited
        );
        assert_eq!(stats.cells, 3);
        assert_eq!(outages.len(), 2, "cell A's two quiet spells are outages");
        assert!(outages.iter().all(|o| o.cell == (70, 250) && o.to - o.from == 4));
    }

    #[test]
    fn jumping_over_silence_changes_no_verdict() {
        // Without the year-0000 cell, so that the full walk is short enough to compare.
        let tracks: Vec<Track> = fleet().into_iter().filter(|t| t.vessel.as_str() != "old").collect();
        let p = ReceptionParams::default();
        let now = Utc.with_ymd_and_hms(2024, 5, 4, 0, 0, 0).single().expect("now");
        let (jumped, visited_jumped) = walk(&tracks, &p, now, true);
        let (walked, visited_all) = walk(&tracks, &p, now, false);
        assert_eq!(jumped, walked);
        assert!(jumped.iter().any(|(_, down)| !down.is_empty()));
        assert!(visited_jumped < visited_all, "{visited_jumped} < {visited_all}");
    }
}
