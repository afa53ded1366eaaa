//! The dark family's two detectors: `gaps` (every reporting gap that ends inside the
//! cycle window, classified by length) and `dark_suspicion` (the P1-P11 score of the
//! longest gap that ends inside the window).

use std::collections::BTreeSet;

use chrono::{Duration, TimeZone};
use lookout_model::{Finding, ShipType, Timestamp, Track};

use crate::dark::finding::UnobservedNote;
use crate::dark::finding::{dark_finding, dark_finding_with, gap_findings, local_hour, DarkContext, GapNotes};
use crate::dark::params::{DarkParams, GapThresholds, UnobservedParams};
use crate::dark::score::DarkHistory;
use crate::detector::{About, Algorithm, DetectError, EntityType, Text};
use crate::error::ParamsError;
use crate::input::observation::{timeline_for, ObservationTimeline};
use crate::input::zones::ZoneClassifier;
use crate::input::{CycleInput, Upstream};
use crate::reception::outage::{outages_from, OutageRef, RECEPTION};

/// Gap detection; params are the [`GapThresholds`].
pub struct GapsDetector;

impl Algorithm for GapsDetector {
    const ABOUT: About = About {
        code: "gaps",
        name: Text { ko: "AIS 수신 공백", en: "AIS reporting gaps" },
        description: Text {
            ko: "연속 위치 보고 사이의 공백을 길이에 따라 의심·고위험·위반으로 분류",
            en: "Gaps between consecutive position reports, classified suspicious / high / violation by length",
        },
        entity: EntityType::Vessel,
    };
    type Params = GapThresholds;

    /// One track at a time, in track order (incremental cycles rely on it). The
    /// observation timeline it reads comes from every vessel's positions: incremental
    /// cycles fingerprint what of it each vessel's gaps can see.
    fn vessel_local(&self) -> bool {
        true
    }

    /// Gaps are judged per transmitter: a hop between two ships sharing an id is no gap.
    fn per_segment(&self) -> bool {
        true
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        thresholds: &GapThresholds,
        _upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        // The product path takes the thresholds inside the dark params (one struct for
        // both detectors); only `gap_thresholds` is read from it.
        let dark = DarkParams { gap_thresholds: thresholds.clone(), ..DarkParams::default() };
        let mut out = Vec::new();
        for track in input.tracks {
            out.extend(gap_findings(track, &dark).into_iter().filter(|f| f.end > input.window_start));
        }
        annotate_unobserved(&mut out, input);
        Ok(out)
    }
}

/// Adds to each gap finding how much of it nobody at all was heard around it (on the
/// default grid of the dark model's `unobserved` params), so an analyst sees at once a
/// gap that spans a hole in the data. The timeline is built only when there is a gap.
fn annotate_unobserved(gaps: &mut [Finding], input: &CycleInput<'_>) {
    if gaps.is_empty() {
        return;
    }
    let grid = UnobservedParams::default().grid();
    let timeline = timeline_for(input.observation, input.tracks, &grid);
    for f in gaps {
        let (Some(from), Some(to)) = (end_of(&f.evidence, "from"), end_of(&f.evidence, "to")) else { continue };
        f.evidence["unobserved"] = timeline.unobserved(f.start, f.end, from, to).evidence(&grid);
    }
}

/// `(lat, lon)` of a gap end in a finding's evidence.
fn end_of(evidence: &serde_json::Value, key: &str) -> Option<(f64, f64)> {
    let end = evidence.get(key)?;
    Some((end.get("lat")?.as_f64()?, end.get("lon")?.as_f64()?))
}

/// Dark-vessel suspicion; params are the [`DarkParams`]. When a rule it depends on runs
/// `gaps`, only vessels with a gap finding in the window are scored (a vessel without
/// one cannot have a dark gap ending there with the same thresholds); without such a
/// dependency every track is scored. When a rule it depends on runs `reception`, a gap
/// that a detected receiver outage explains ([`OutageRef::explains`]) gains the
/// `reception_outage` pattern; without such a dependency nothing changes. A gap most of
/// which nobody at all was heard around (the cycle's observation timeline, see
/// [`crate::input::observation`]) gains the `unobserved` pattern.
pub struct DarkDetector;

/// Points before a gap that the reference uses for average speed and teleports.
const PRE_GAP_POINTS: usize = 5;

impl DarkDetector {
    fn candidates<'a>(input: &CycleInput<'a>, upstream: &Upstream<'_>) -> Vec<&'a Track> {
        match upstream.of("gaps") {
            None => input.tracks.iter().collect(),
            Some(gaps) => {
                let flagged: BTreeSet<&str> = gaps.iter().map(|f| f.vessel.as_str()).collect();
                input.tracks.iter().filter(|t| flagged.contains(t.vessel.as_str())).collect()
            }
        }
    }
}

impl Algorithm for DarkDetector {
    const ABOUT: About = About {
        code: "dark_suspicion",
        name: Text { ko: "다크 선박 의심도", en: "Dark vessel suspicion" },
        description: Text {
            ko: "가장 긴 AIS 공백을 P1-P11 패턴으로 평가한 0-100 의심 점수와 등급",
            en: "0-100 suspicion score and tier of the longest AIS gap, from patterns P1-P11",
        },
        entity: EntityType::Vessel,
    };
    type Params = DarkParams;

    /// One track at a time, in track order (incremental cycles rely on it). The
    /// observation timeline it reads comes from every vessel's positions: incremental
    /// cycles fingerprint what of it each vessel's gaps can see.
    fn vessel_local(&self) -> bool {
        true
    }

    /// The longest gap is judged per transmitter: a hop between two ships sharing an id is
    /// no gap to score.
    fn per_segment(&self) -> bool {
        true
    }

    fn entities_in(&self, input: &CycleInput<'_>, upstream: &Upstream<'_>) -> usize {
        Self::candidates(input, upstream).len()
    }

    fn run(
        &self,
        input: &CycleInput<'_>,
        params: &DarkParams,
        upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        let tz: chrono_tz::Tz = params
            .timezone
            .parse()
            .map_err(|_| ParamsError::at("timezone", format!("unknown time zone '{}'", params.timezone)))?;
        let outages = upstream.of(RECEPTION).map(outages_from).unwrap_or_default();
        let candidates = Self::candidates(input, upstream);
        let timeline =
            (!candidates.is_empty()).then(|| ObservationTimeline::build(input.tracks, &params.unobserved.grid()));
        let known = Known { outages: &outages, timeline: timeline.as_ref() };
        let mut out = Vec::new();
        for track in candidates {
            out.extend(dark_for_track(track, input, params, tz, &known)?);
        }
        Ok(out)
    }
}

/// The dark finding of a track, judged on its longest gap that ends inside the window.
///
/// The reference model scores the longest gap of whatever positions it is given, so the
/// track is cut to start shortly before the window: first with the five points the
/// pre-gap statistics need; if the longest gap then still ends before the window (an
/// earlier, longer gap in that context), again from the last point before the window.
///
/// P5 ("daytime") is judged at the local hour the AIS went silent, not the hour the
/// cycle happens to run: a batch re-run must score a gap the same way as a live one.
fn dark_for_track(
    track: &Track,
    input: &CycleInput<'_>,
    params: &DarkParams,
    tz: chrono_tz::Tz,
    known: &Known<'_>,
) -> Result<Option<Finding>, DetectError> {
    let window_start = input.window_start;
    let entry = input.registry.and_then(|r| r.entries.get(track.vessel.as_str()));
    let mut ctx = DarkContext {
        permitted: entry.is_some_and(|e| e.permitted),
        history: DarkHistory::default(),
        local_hour: local_hour(input.window_end, params)?,
        zones: input.zones.map(|z| z as &dyn ZoneClassifier),
    };
    let ship_type = entry.and_then(|e| e.ship_type).or(track.static_data.ship_type);
    // Index of the last position at or before the window start.
    let last_before = track.positions.partition_point(|p| p.timestamp <= window_start).saturating_sub(1);
    let mut found = None;
    for from in [last_before.saturating_sub(PRE_GAP_POINTS), last_before] {
        let view = track_from(track, from, ship_type);
        match dark_finding(&view, &ctx, params) {
            Some(f) if f.end > window_start => {
                found = Some((view, f));
                break;
            }
            _ => {}
        }
    }
    let Some((view, first)) = found else {
        return Ok(None);
    };
    ctx.local_hour = local_hour(first.start, params)?;
    ctx.history = history(input, &view, first.start, tz);
    let outage = explaining_outage(&first, known.outages);
    let unobserved = known.timeline.and_then(|t| unobserved_note(&first, t, &params.unobserved));
    let notes = GapNotes { outage: outage.map(|o| &o.note), unobserved: unobserved.as_ref() };
    Ok(dark_finding_with(&view, &ctx, params, notes))
}

/// What the cycle knows around every gap: receiver outages and the observation timeline.
struct Known<'a> {
    outages: &'a [OutageRef],
    timeline: Option<&'a ObservationTimeline>,
}

/// The `unobserved` note of a dark finding's gap, when at least `min_share` of it was
/// unobserved.
fn unobserved_note(gap: &Finding, timeline: &ObservationTimeline, p: &UnobservedParams) -> Option<UnobservedNote> {
    let (from, to) = (end_of(&gap.evidence, "gap_start")?, end_of(&gap.evidence, "gap_end")?);
    let u = timeline.unobserved(gap.start, gap.end, from, to);
    (u.gap_sec > 0 && u.share() >= p.min_share).then(|| UnobservedNote::new(&u, timeline.grid()))
}

/// The first outage (in start order) that explains the finding's gap, which runs from
/// its last report before the silence to the first one after.
fn explaining_outage<'o>(gap: &Finding, outages: &'o [OutageRef]) -> Option<&'o OutageRef> {
    let lat = gap.evidence.pointer("/gap_start/lat").and_then(serde_json::Value::as_f64)?;
    let lon = gap.evidence.pointer("/gap_start/lon").and_then(serde_json::Value::as_f64)?;
    outages.iter().find(|o| o.explains(gap.start, gap.end, lat, lon))
}

fn track_from(track: &Track, from: usize, ship_type: Option<ShipType>) -> Track {
    let mut view = Track {
        vessel: track.vessel.clone(),
        static_data: track.static_data.clone(),
        positions: track.positions.get(from..).map(<[_]>::to_vec).unwrap_or_default(),
    };
    view.static_data.ship_type = ship_type;
    view
}

/// Dark history before `gap_start`: distinct local days with a dark episode in the
/// previous 7 days, and dark episodes in the previous 24 hours.
fn history(input: &CycleInput<'_>, track: &Track, gap_start: Timestamp, tz: chrono_tz::Tz) -> DarkHistory {
    let starts = input.dark_history.between(track.vessel.as_str(), gap_start - Duration::days(7), gap_start);
    let days: BTreeSet<chrono::NaiveDate> =
        starts.iter().map(|t| tz.from_utc_datetime(&t.naive_utc()).date_naive()).collect();
    let day_ago = gap_start - Duration::hours(24);
    DarkHistory { count_7d: days.len() as i64, count_24h: starts.iter().filter(|t| **t >= day_ago).count() as i64 }
}
