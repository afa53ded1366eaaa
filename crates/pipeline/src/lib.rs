//! The output pipeline that runs after every analysis cycle, as pure logic over
//! [`lookout_model::Finding`]s with an injected clock:
//!
//! 1. [`event`]: the event generator (seven rules, per-category dedup by fingerprint,
//!    escalation, withdrawal by late data);
//! 2. [`classify`]: violation labels EEZ, DARK, MMSI, TRANSSHIP, GEAR, RISK;
//! 3. [`lifecycle`]: NEW → ACK → CONFIRMED | FALSE_POSITIVE | ENFORCED → CLOSED;
//! 4. [`kpi`]: the six real-time KPIs;
//! 5. [`stats`]: hourly, daily and monthly statistics, recomputed per touched bucket;
//! 6. [`alert`]: the alert dispatcher with Alertmanager semantics.
//!
//! [`zone`] holds the one place local days, hours and months become UTC instants, and
//! [`stage`] the isolation that keeps a failing stage from stopping the others. All of
//! this is pure; the one module with IO is [`delivery`] (webhook, NATS, log sinks and
//! the outbox round with backoff). The store persists the outputs.

pub mod alert;
pub mod classify;
pub mod clock;
pub mod delivery;
pub mod event;
pub mod kpi;
pub mod lifecycle;
pub mod stage;
pub mod stats;
pub mod zone;

use serde::{Deserialize, Serialize};

pub use alert::{Alert, AlertConfig, AlertStatus, DispatchState, Matcher, Notification, Silence};
pub use classify::ViolationLabel;
pub use clock::{Clock, FixedClock, SystemClock};
pub use event::{Category, CycleWindow, Event, EventRules, GenerateOutcome};
pub use kpi::Kpis;
pub use lifecycle::{Action, Enforcement, EventStatus, HistoryEntry, LifecycleError};
pub use stage::{RunReport, StageReport};
pub use stats::{DailyStats, Detection, HourlyStats, MonthlyStats};

/// Errors of the pipeline's own logic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("unknown time zone '{0}'")]
    UnknownTimeZone(String),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Alert(#[from] alert::AlertError),
}

/// Configuration of the whole pipeline. `Default` is the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// IANA zone of "today", days, hours and months (default Asia/Seoul).
    pub timezone: String,
    pub events: EventRules,
    pub alerts: AlertConfig,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            timezone: zone::DEFAULT_TIMEZONE.to_string(),
            events: EventRules::default(),
            alerts: AlertConfig::default(),
        }
    }
}

impl PipelineConfig {
    /// The configured zone.
    pub fn tz(&self) -> Result<chrono_tz::Tz, PipelineError> {
        zone::parse_tz(&self.timezone)
    }
}
