//! The cycle scheduler and late data.
//!
//! Window ends are aligned to the clock: multiples of `every` since the Unix epoch (a
//! 5-minute schedule analyses windows ending at :00, :05, ...). A tick runs every due
//! window in order: after downtime the missed ones are caught up oldest first, those
//! ending before `now - horizon` are skipped and counted. Cycles never overlap (one
//! thread runs them). A position that arrives after the window it belongs to was
//! analysed, and that the next regular window does not cover, marks that window dirty;
//! dirty windows are re-analysed at the next tick (the cycle replaces the window's
//! findings, the output pipeline revises its events).
//!
//! The clock is injected: a test sets it and calls [`Scheduler::tick`].

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use lookout_engine::cycle::{run_cycle, CycleReport, CycleRequest};
use lookout_engine::outputs::{run_after_cycle, OutputConfig};
use lookout_engine::plan::ExecOptions;
use lookout_engine::rules::RuleSet;
use lookout_model::{Position, Timestamp};
use lookout_store::Store;

use crate::stats::{LiveStatus, PathStats};
use crate::{LiveError, SharedClock, Stop};

/// When cycles run and what they cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    pub window: Duration,
    /// How far back missed or dirty windows are still analysed.
    pub horizon: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule { every: Duration::minutes(5), window: Duration::hours(24), horizon: Duration::hours(24) }
    }
}

/// Windows due at a tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// Window ends to analyse, oldest first.
    pub ends: Vec<Timestamp>,
    /// Window ends skipped because they are older than the horizon.
    pub missed: u64,
}

impl Schedule {
    /// Checks the values (a zero or negative interval would never advance).
    pub fn validate(&self) -> Result<(), LiveError> {
        for (field, d) in [("cycle_every", self.every), ("window", self.window), ("horizon", self.horizon)] {
            if d <= Duration::zero() {
                return Err(LiveError::Config { field: field.into(), message: "must be positive".into() });
            }
        }
        if self.every.num_milliseconds() < 1000 {
            return Err(LiveError::Config { field: "cycle_every".into(), message: "at least 1s".into() });
        }
        Ok(())
    }

    fn step_ms(&self) -> i64 {
        self.every.num_milliseconds().max(1)
    }

    /// The last boundary at or before `t`.
    pub fn align_down(&self, t: Timestamp) -> Timestamp {
        let s = self.step_ms();
        let ms = t.timestamp_millis().div_euclid(s) * s;
        Timestamp::from_timestamp_millis(ms).unwrap_or(t)
    }

    /// The first boundary at or after `t`.
    pub fn align_up(&self, t: Timestamp) -> Timestamp {
        let d = self.align_down(t);
        if d == t {
            d
        } else {
            d + self.every
        }
    }

    /// Windows due at `now` after the last analysed window end `last` (none: only the
    /// current one).
    pub fn due(&self, last: Option<Timestamp>, now: Timestamp) -> Due {
        let current = self.align_down(now);
        let Some(last) = last else { return Due { ends: vec![current], missed: 0 } };
        let oldest = now - self.horizon;
        let mut out = Due::default();
        let mut end = self.align_down(last) + self.every;
        if end < oldest {
            // Count what the horizon skips without walking it one step at a time.
            let first_kept = self.align_up(oldest);
            out.missed = ((first_kept - end).num_milliseconds() / self.step_ms()) as u64;
            end = first_kept;
        }
        while end <= current {
            out.ends.push(end);
            end += self.every;
        }
        out
    }
}

/// Shared between the batcher (which sees late positions) and the scheduler (which
/// re-analyses the windows they dirtied).
pub struct LateData {
    pub schedule: Schedule,
    clock: SharedClock,
    last_done: Mutex<Option<Timestamp>>,
    dirty: Mutex<BTreeSet<Timestamp>>,
}

impl LateData {
    pub fn new(schedule: Schedule, clock: SharedClock) -> LateData {
        LateData { schedule, clock, last_done: Mutex::new(None), dirty: Mutex::default() }
    }

    pub fn last_done(&self) -> Option<Timestamp> {
        self.last_done.lock().ok().and_then(|g| *g)
    }

    fn set_last_done(&self, t: Timestamp) {
        if let Ok(mut g) = self.last_done.lock() {
            *g = Some(g.map_or(t, |old| old.max(t)));
        }
    }

    /// Window ends waiting for re-analysis, oldest first.
    pub fn dirty(&self) -> Vec<Timestamp> {
        self.dirty.lock().map(|d| d.iter().copied().collect()).unwrap_or_default()
    }

    /// Positions just stored: those older than the last analysed window end are late;
    /// those the next regular window will not cover dirty their window (within the
    /// horizon).
    pub fn observe(&self, positions: &[Position], stats: &PathStats) {
        let Some(last) = self.last_done() else { return };
        let s = self.schedule;
        let next_start = last + s.every - s.window;
        let oldest = self.clock.now() - s.horizon;
        let mut marks = BTreeSet::new();
        let (mut late, mut too_late) = (0u64, 0u64);
        for p in positions.iter().filter(|p| p.timestamp <= last) {
            late += 1;
            if p.timestamp < oldest {
                too_late += 1;
            } else if p.timestamp <= next_start {
                let end = s.align_up(p.timestamp);
                if end <= last {
                    marks.insert(end);
                }
            }
        }
        stats.positions_late.fetch_add(late, Ordering::SeqCst);
        stats.positions_too_late.fetch_add(too_late, Ordering::SeqCst);
        if !marks.is_empty() {
            tracing::info!(windows = marks.len(), late, "late positions: windows marked for re-analysis");
            if let Ok(mut d) = self.dirty.lock() {
                d.extend(marks);
            }
        }
    }
}

/// Runs one cycle (and what follows it) for the scheduler.
pub trait CycleRunner: Send {
    /// The end of the newest window already analysed (where the schedule resumes).
    fn last_window_end(&mut self) -> Result<Option<Timestamp>, LiveError>;
    /// Analyses the window ending at `at`; `rerun` when late data dirtied it.
    fn run(&mut self, at: Timestamp, window: Duration, rerun: bool) -> Result<(), LiveError>;
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    pub ran: Vec<Timestamp>,
    pub rerun: Vec<Timestamp>,
    pub late: u64,
    pub missed: u64,
    pub failed: u64,
}

/// Runs cycles on the schedule, one at a time.
pub struct Scheduler {
    late: Arc<LateData>,
    runner: Box<dyn CycleRunner>,
    clock: SharedClock,
    status: Arc<LiveStatus>,
}

impl Scheduler {
    /// Resumes after the newest analysed window in the store.
    pub fn new(
        late: Arc<LateData>,
        mut runner: Box<dyn CycleRunner>,
        clock: SharedClock,
        status: Arc<LiveStatus>,
    ) -> Result<Scheduler, LiveError> {
        late.schedule.validate()?;
        if let Some(t) = runner.last_window_end()? {
            late.set_last_done(t);
        }
        Ok(Scheduler { late, runner, clock, status })
    }

    pub fn late_data(&self) -> &Arc<LateData> {
        &self.late
    }

    /// Runs every due window, then every dirty one.
    pub fn tick(&mut self) -> TickReport {
        let s = self.late.schedule;
        let stats = &self.status.path;
        let due = s.due(self.late.last_done(), self.clock.now());
        let mut report = TickReport { missed: due.missed, ..TickReport::default() };
        stats.windows_missed.fetch_add(due.missed, Ordering::SeqCst);
        for end in due.ends {
            if self.clock.now() - end >= s.every {
                report.late += 1;
                stats.cycles_late.fetch_add(1, Ordering::SeqCst);
            }
            match self.runner.run(end, s.window, false) {
                Ok(()) => {
                    stats.cycles.fetch_add(1, Ordering::SeqCst);
                    self.late.set_last_done(end);
                    report.ran.push(end);
                }
                Err(e) => {
                    // Retried at the next tick; later windows wait so the order holds.
                    tracing::error!(window_end = %end, error = %e, "scheduled cycle failed");
                    stats.cycles_failed.fetch_add(1, Ordering::SeqCst);
                    report.failed += 1;
                    return report;
                }
            }
        }
        for end in self.late.dirty() {
            match self.runner.run(end, s.window, true) {
                Ok(()) => {
                    stats.cycles_rerun.fetch_add(1, Ordering::SeqCst);
                    report.rerun.push(end);
                    if let Ok(mut d) = self.late.dirty.lock() {
                        d.remove(&end);
                    }
                }
                Err(e) => {
                    tracing::error!(window_end = %end, error = %e, "re-analysis of a dirty window failed");
                    stats.cycles_failed.fetch_add(1, Ordering::SeqCst);
                    report.failed += 1;
                    break;
                }
            }
        }
        report
    }

    /// Ticks at every boundary until `stop` (the clock is read, so a real clock is
    /// expected here; tests call [`Scheduler::tick`]).
    pub fn run(mut self, stop: Stop) {
        while !stop.is_stopped() {
            self.tick();
            let now = self.clock.now();
            let next = self.late.schedule.align_down(now) + self.late.schedule.every;
            let wait = (next - now).to_std().unwrap_or_default();
            let end = std::time::Instant::now() + wait;
            while !stop.is_stopped() && std::time::Instant::now() < end {
                std::thread::sleep((end - std::time::Instant::now()).min(crate::feed::POLL));
            }
        }
    }
}

/// Called after each cycle and its output pipeline (the server publishes to its stream).
pub type AfterCycle = Box<dyn FnMut(&mut dyn Store, &CycleReport, bool) + Send>;

/// The engine's cycle (`cycle::run_cycle`, so its default mode applies) and output
/// pipeline (`outputs::run_after_cycle`) over a store, with the shipped (or given) rules
/// and the ACTIVE model versions.
pub struct EngineCycles {
    pub store: Box<dyn Store + Send>,
    pub rules: RuleSet,
    pub lookback: Duration,
    pub output: OutputConfig,
    pub clock: SharedClock,
    pub actor: String,
    pub after: Option<AfterCycle>,
    /// Ports and anchorages the cycles measure "distance from port" from (`--ports`).
    pub places: Option<Arc<lookout_engine::ports::PlaceSet>>,
}

impl CycleRunner for EngineCycles {
    fn last_window_end(&mut self) -> Result<Option<Timestamp>, LiveError> {
        Ok(self.store.recent_cycle_stats(1)?.first().map(|c| c.key.window_end))
    }

    fn run(&mut self, at: Timestamp, window: Duration, rerun: bool) -> Result<(), LiveError> {
        let now = self.clock.now();
        lookout_engine::models::ensure_seeded(self.store.as_mut(), &self.actor, now)?;
        let rules = lookout_engine::models::resolve(&self.rules, self.store.as_ref(), &Default::default(), None)?;
        let req = CycleRequest {
            at,
            window,
            lookback: self.lookback,
            rules: &rules,
            exec: ExecOptions::default(),
            registry: None,
            zones: None,
            places: self.places.as_deref(),
        };
        let report = run_cycle(self.store.as_mut(), &req)?;
        let pipeline = run_after_cycle(self.store.as_mut(), &report.key, now, &self.output);
        tracing::info!(
            window_end = %at, rerun, positions = report.positions, findings = report.findings.len(),
            stages = pipeline.stages.len(), "cycle done"
        );
        if let Some(after) = self.after.as_mut() {
            after(self.store.as_mut(), &report, rerun);
        }
        Ok(())
    }
}
