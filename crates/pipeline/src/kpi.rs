//! The six real-time KPIs. "Today" is the local day of `now` in the configured zone
//! (default Asia/Seoul), as UTC instants from [`crate::zone::day_of`].

use std::collections::BTreeSet;

use chrono::Duration;
use chrono_tz::Tz;
use lookout_model::{Severity, Timestamp, VesselId};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::event::{Category, Event};
use crate::lifecycle::EventStatus;
use crate::zone::{day_of, Bucket};

/// A vessel counts as tracked when it reported within this long before now.
pub const TRACKING_WINDOW_MIN: i64 = 30;

/// The KPI values at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpis {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// The local day the `*_today` values count.
    pub today: Bucket,
    /// Vessels with a position in `(now - 30 min, now]`.
    pub tracking_active: u64,
    /// Distinct vessels of DARK_VESSEL events that occurred today.
    pub dark_vessels_today: u64,
    /// EEZ_INTRUSION events that occurred today.
    pub eez_violations_today: u64,
    /// TRANSSHIPMENT events that occurred today.
    pub transshipments_today: u64,
    /// CRITICAL events of any category that occurred today.
    pub critical_events_today: u64,
    /// Alerts that started firing today.
    pub alerts_today: u64,
}

impl Kpis {
    /// `(name, value)` in the documented order.
    pub fn values(&self) -> [(&'static str, u64); 6] {
        [
            ("tracking_active", self.tracking_active),
            ("dark_vessels_today", self.dark_vessels_today),
            ("eez_violations_today", self.eez_violations_today),
            ("transshipments_today", self.transshipments_today),
            ("critical_events_today", self.critical_events_today),
            ("alerts_today", self.alerts_today),
        ]
    }
}

/// Computes the KPIs. `last_reports` is each vessel's latest position time (the store
/// gives those newer than `now - 30 min`; older ones are ignored here anyway). Withdrawn
/// events never count: late data showed they did not happen.
pub fn compute(
    now: Timestamp,
    tz: &Tz,
    last_reports: &[(VesselId, Timestamp)],
    events: &[Event],
    alerts: &[Alert],
) -> Kpis {
    let today = day_of(now, tz);
    let since = now - Duration::minutes(TRACKING_WINDOW_MIN);
    let tracking: BTreeSet<&VesselId> =
        last_reports.iter().filter(|(_, t)| *t > since && *t <= now).map(|(v, _)| v).collect();
    let todays: Vec<&Event> = events
        .iter()
        .filter(|e| e.status != EventStatus::Withdrawn && today.contains(e.occurred_at) && e.occurred_at <= now)
        .collect();
    let count = |c: Category| todays.iter().filter(|e| e.category == c).count() as u64;
    let dark: BTreeSet<&VesselId> =
        todays.iter().filter(|e| e.category == Category::DarkVessel).flat_map(|e| e.vessels.iter()).collect();
    Kpis {
        at: now,
        tracking_active: tracking.len() as u64,
        dark_vessels_today: dark.len() as u64,
        eez_violations_today: count(Category::EezIntrusion),
        transshipments_today: count(Category::Transshipment),
        critical_events_today: todays.iter().filter(|e| e.level == Severity::Critical).count() as u64,
        alerts_today: alerts.iter().filter(|a| today.contains(a.starts_at) && a.starts_at <= now).count() as u64,
        today,
    }
}
