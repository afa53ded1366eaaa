//! Stage isolation: a failing stage is logged and reported and never stops the others.

use serde::{Deserialize, Serialize};

/// What happened to one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReport {
    pub stage: String,
    pub ok: bool,
    /// One line of what it did, or the error.
    pub detail: String,
}

/// The reports of one pipeline run, in stage order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub stages: Vec<StageReport>,
}

impl RunReport {
    /// True when every stage succeeded.
    pub fn all_ok(&self) -> bool {
        self.stages.iter().all(|s| s.ok)
    }

    /// The failed stages.
    pub fn failures(&self) -> impl Iterator<Item = &StageReport> {
        self.stages.iter().filter(|s| !s.ok)
    }

    /// Runs `f` as stage `name`. An error — or a panic, which would otherwise take the
    /// remaining stages with it — is logged and recorded and `None` is returned; the
    /// caller goes on with the next stage either way.
    pub fn run<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        f: impl FnOnce() -> Result<(T, String), E>,
    ) -> Option<T> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let (value, ok, detail) = match result {
            Ok(Ok((v, detail))) => (Some(v), true, detail),
            Ok(Err(e)) => (None, false, e.to_string()),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".into());
                (None, false, format!("panicked: {msg}"))
            }
        };
        if ok {
            tracing::info!(stage = name, "{detail}");
        } else {
            tracing::error!(stage = name, "pipeline stage failed: {detail}");
        }
        self.stages.push(StageReport { stage: name.to_string(), ok, detail });
        value
    }
}
