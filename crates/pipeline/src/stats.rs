//! Hourly, daily and monthly statistics.
//!
//! Every bucket is recomputed from its sources and replaces the stored row, so running
//! twice, or again after a crash, gives identical rows. Bucket boundaries come from
//! [`crate::zone`] in the one configured zone and carry their UTC instants.
//!
//! Sources:
//! - **detections**: one per vessel per analysis cycle with any finding above NONE,
//!   timed at the cycle's window end (the reference counted one analysis result per
//!   vessel per cycle); its risk level is the vessel's `composite` level when the rule
//!   engine produced one, else its highest finding severity; its violation labels are
//!   those of its findings.
//! - **events** count at `occurred_at`; WITHDRAWN events are left out (late data showed
//!   they did not happen); false positives are events of the bucket whose status is
//!   FALSE_POSITIVE (or CLOSED after being one), as in the reference.
//! - **enforcements** count at their time.
//!
//! Accuracy = 1 − FP / events, as a percentage rounded to two decimals; `None` when
//! there were no events. Monthly rows are sums of the month's daily rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use chrono_tz::Tz;
use lookout_model::{Finding, Severity, Timestamp, VesselId};
use serde::{Deserialize, Serialize};

use crate::classify::finding_labels;
use crate::event::{CycleWindow, Event};
use crate::lifecycle::{Enforcement, EventStatus};
use crate::zone::{day_of, hour_of, month_bucket, month_of, Bucket};

/// How long hourly rows are kept.
pub const HOURLY_RETENTION_HOURS: i64 = 48;

/// Hourly rows starting before this are pruned.
pub fn hourly_cutoff(now: Timestamp) -> Timestamp {
    now - Duration::hours(HOURLY_RETENTION_HOURS)
}

/// One vessel analysed in one cycle with something to report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub vessel: VesselId,
    /// The cycle's window end.
    pub at: Timestamp,
    pub risk_level: Severity,
    /// Violation labels as text (`DARK`, `EEZ`, ...), sorted.
    pub labels: Vec<String>,
}

/// The detections of one cycle, in vessel order.
pub fn detections(window: CycleWindow, findings: &[Finding]) -> Vec<Detection> {
    #[derive(Default)]
    struct Acc {
        max: Option<Severity>,
        composite: Option<Severity>,
        labels: BTreeSet<String>,
    }
    let mut per: BTreeMap<&VesselId, Acc> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.severity > Severity::None) {
        let a = per.entry(&f.vessel).or_default();
        a.max = a.max.max(Some(f.severity));
        if matches!(f.detector.as_str(), "composite" | "risk") {
            a.composite = Some(f.severity);
        }
        a.labels.extend(finding_labels(f).into_iter().map(|l| l.as_str().to_string()));
    }
    per.into_iter()
        .filter_map(|(v, a)| {
            Some(Detection {
                vessel: v.clone(),
                at: window.end,
                risk_level: a.composite.or(a.max)?,
                labels: a.labels.into_iter().collect(),
            })
        })
        .collect()
}

/// One hourly row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourlyStats {
    pub bucket: Bucket,
    pub detections: u64,
    pub by_risk_level: BTreeMap<String, u64>,
    pub events: u64,
    pub critical: u64,
}

/// One daily row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyStats {
    pub bucket: Bucket,
    pub detections: u64,
    pub by_violation_type: BTreeMap<String, u64>,
    pub by_risk_level: BTreeMap<String, u64>,
    pub events: u64,
    pub critical: u64,
    pub enforcements: u64,
    pub false_positives: u64,
    /// 1 − FP/events in percent, two decimals; `None` without events.
    pub accuracy_pct: Option<f64>,
}

/// One monthly row: sums of its daily rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyStats {
    pub bucket: Bucket,
    pub detections: u64,
    pub by_violation_type: BTreeMap<String, u64>,
    pub by_risk_level: BTreeMap<String, u64>,
    pub events: u64,
    pub critical: u64,
    pub enforcements: u64,
    pub false_positives: u64,
    pub accuracy_pct: Option<f64>,
}

/// 1 − fp/events as a percentage rounded half away from zero to two decimals.
pub fn accuracy_pct(false_positives: u64, events: u64) -> Option<f64> {
    if events == 0 {
        return None;
    }
    let v = (1.0 - false_positives as f64 / events as f64) * 100.0;
    Some((v * 100.0).round() / 100.0)
}

fn counted(e: &Event) -> bool {
    e.status != EventStatus::Withdrawn
}

fn was_false_positive(e: &Event) -> bool {
    e.status == EventStatus::FalsePositive
        || (e.status == EventStatus::Closed && e.history.iter().any(|h| h.to == EventStatus::FalsePositive))
}

fn by_risk<'a>(ds: impl Iterator<Item = &'a Detection>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for d in ds {
        *m.entry(d.risk_level.as_str().to_string()).or_insert(0) += 1;
    }
    m
}

/// Recomputes one hourly row from the sources (any superset of the bucket's rows).
pub fn hourly(bucket: &Bucket, detections: &[Detection], events: &[Event]) -> HourlyStats {
    let ds: Vec<&Detection> = detections.iter().filter(|d| bucket.contains(d.at)).collect();
    let es: Vec<&Event> = events.iter().filter(|e| counted(e) && bucket.contains(e.occurred_at)).collect();
    HourlyStats {
        bucket: bucket.clone(),
        detections: ds.len() as u64,
        by_risk_level: by_risk(ds.into_iter()),
        events: es.len() as u64,
        critical: es.iter().filter(|e| e.level == Severity::Critical).count() as u64,
    }
}

/// Recomputes one daily row from the sources (any superset of the bucket's rows).
pub fn daily(bucket: &Bucket, detections: &[Detection], events: &[Event], enforcements: &[Enforcement]) -> DailyStats {
    let ds: Vec<&Detection> = detections.iter().filter(|d| bucket.contains(d.at)).collect();
    let es: Vec<&Event> = events.iter().filter(|e| counted(e) && bucket.contains(e.occurred_at)).collect();
    let mut by_violation = BTreeMap::new();
    for d in &ds {
        for l in &d.labels {
            *by_violation.entry(l.clone()).or_insert(0) += 1;
        }
    }
    let fp = es.iter().filter(|e| was_false_positive(e)).count() as u64;
    let n = es.len() as u64;
    DailyStats {
        bucket: bucket.clone(),
        detections: ds.len() as u64,
        by_violation_type: by_violation,
        by_risk_level: by_risk(ds.into_iter()),
        events: n,
        critical: es.iter().filter(|e| e.level == Severity::Critical).count() as u64,
        enforcements: enforcements.iter().filter(|x| bucket.contains(x.at)).count() as u64,
        false_positives: fp,
        accuracy_pct: accuracy_pct(fp, n),
    }
}

fn add_maps(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

/// Recomputes one monthly row from the daily rows (any superset of the month's days).
/// A daily row belongs to the month holding its start.
pub fn monthly(bucket: &Bucket, days: &[DailyStats]) -> MonthlyStats {
    let mut m = MonthlyStats {
        bucket: bucket.clone(),
        detections: 0,
        by_violation_type: BTreeMap::new(),
        by_risk_level: BTreeMap::new(),
        events: 0,
        critical: 0,
        enforcements: 0,
        false_positives: 0,
        accuracy_pct: None,
    };
    for d in days.iter().filter(|d| bucket.contains(d.bucket.start)) {
        m.detections += d.detections;
        add_maps(&mut m.by_violation_type, &d.by_violation_type);
        add_maps(&mut m.by_risk_level, &d.by_risk_level);
        m.events += d.events;
        m.critical += d.critical;
        m.enforcements += d.enforcements;
        m.false_positives += d.false_positives;
    }
    m.accuracy_pct = accuracy_pct(m.false_positives, m.events);
    m
}

/// The buckets a set of instants touches: hours, days and months, each sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub hours: BTreeSet<Bucket>,
    pub days: BTreeSet<Bucket>,
    pub months: BTreeSet<Bucket>,
}

/// Buckets touched by `times` in `tz`.
pub fn touched(times: impl IntoIterator<Item = Timestamp>, tz: &Tz) -> Touched {
    let mut t = Touched::default();
    for at in times {
        t.hours.insert(hour_of(at, tz));
        let day = day_of(at, tz);
        t.months.insert(month_of(day.start, tz));
        t.days.insert(day);
    }
    t
}

/// The month bucket a day belongs to (for recomputing a month after its days).
pub fn month_of_day(day: &Bucket, tz: &Tz) -> Bucket {
    month_bucket(crate::zone::local_date(day.start, tz), tz)
}
