//! The contract between detectors and the rule engine.
//!
//! A detector declares who it is ([`About`]: code, ko/en name and description, entity
//! type), its parameters (a [`Params`] type: defaults, strict merge, validation, JSON
//! schema) and a pure `run` over a [`CycleInput`] the engine prepared beforehand.
//! Detectors do no IO: tracks, the vessel registry and the dark history are in memory
//! before the first rule starts.
//!
//! Write a detector as an [`Algorithm`] (typed params); the blanket implementation
//! turns it into the object-safe [`Detector`] the engine runs, so parsing, merging and
//! the schema are never written per detector.

use lookout_model::Finding;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::error::ParamsError;
use crate::input::{CycleInput, Upstream};
use crate::params::Params;

/// What a detector's findings are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Vessel,
    VesselPair,
    Area,
    Series,
}

impl EntityType {
    /// The text used in plans and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Vessel => "vessel",
            EntityType::VesselPair => "vessel_pair",
            EntityType::Area => "area",
            EntityType::Series => "series",
        }
    }
}

/// A text in both languages of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Text {
    pub ko: &'static str,
    pub en: &'static str,
}

/// A detector's identity: its stable code, its names in both languages and what its
/// findings are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct About {
    pub code: &'static str,
    pub name: Text,
    pub description: Text,
    pub entity: EntityType,
}

/// Why a detector could not run.
#[derive(Debug, Error)]
pub enum DetectError {
    #[error("params: {0}")]
    Params(#[from] ParamsError),
    #[error("{0}")]
    Failed(String),
}

/// One detection algorithm as the engine sees it: object-safe, params as JSON.
/// Implementations are stateless and shared between threads. Detectors of this crate
/// implement [`Algorithm`] instead and get this trait from the blanket implementation.
pub trait Detector: Send + Sync {
    /// What the detector states about itself, once, as data.
    fn about(&self) -> &'static About;
    /// Stable code used by rules files, the model registry and findings.
    fn code(&self) -> &'static str {
        self.about().code
    }
    fn name(&self) -> Text {
        self.about().name
    }
    fn description(&self) -> Text {
        self.about().description
    }
    fn entity(&self) -> EntityType {
        self.about().entity
    }
    /// The DEFAULT params (version 1 of the model) as JSON.
    fn default_params(&self) -> Value;
    /// Deep-merges a partial override over `base` (defaults or a stored version) and
    /// validates the result; errors name the key path.
    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError>;
    /// JSON schema of the params, derived from the defaults
    /// (see [`crate::params::schema_from_defaults`]).
    fn params_schema(&self) -> Value {
        crate::params::schema_from_defaults(&self.default_params())
    }
    /// How many entities this detector will look at (for statistics and estimates).
    fn entities_in(&self, input: &CycleInput<'_>, _upstream: &Upstream<'_>) -> usize {
        input.tracks.len()
    }
    /// True when the detector must see each vessel's positions split into plausible
    /// chains of segments ([`crate::identity::segment::split_tracks`]) rather than the raw
    /// track: the engine then runs it over the split tracks, so two transmitters sharing
    /// one id make no false gap. Detectors that look for identity anomalies keep the raw
    /// track.
    fn per_segment(&self) -> bool {
        false
    }
    /// True when the detector's findings about a vessel depend only on that vessel: its
    /// track (or its split chains), static data, registry entry, identity and dark
    /// history, the window and zones, upstream findings about that vessel, and the whole
    /// output of upstream rules that are not vessel-local; and when its output is the
    /// concatenation of per-track outputs in track order. The engine's incremental cycle
    /// then re-runs it for changed vessels only and keeps the others' previous findings.
    /// Default: false (the rule always runs over every track).
    fn vessel_local(&self) -> bool {
        false
    }
    /// Runs over the cycle input; must be deterministic and must not panic on empty input.
    fn run(&self, input: &CycleInput<'_>, params: &Value, upstream: &Upstream<'_>)
        -> Result<Vec<Finding>, DetectError>;
    /// [`Detector::run`] plus statistics of the run that findings cannot carry when there
    /// are none (e.g. the transshipment funnel's stage counts); the engine keeps them with
    /// the rule's cycle statistics. Default: no statistics (`null`).
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        upstream: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        Ok((self.run(input, params, upstream)?, Value::Null))
    }
}

/// A detector written as its [`About`], its params type and its `run`. Every
/// `Algorithm` is a [`Detector`]: the params arrive parsed and validated.
pub trait Algorithm: Send + Sync {
    /// Who the detector is.
    const ABOUT: About;
    /// Its parameters; their `Default` is version 1 of the model.
    type Params: Params;
    /// See [`Detector::per_segment`].
    fn per_segment(&self) -> bool {
        false
    }
    /// See [`Detector::entities_in`].
    fn entities_in(&self, input: &CycleInput<'_>, _upstream: &Upstream<'_>) -> usize {
        input.tracks.len()
    }
    /// See [`Detector::vessel_local`].
    fn vessel_local(&self) -> bool {
        false
    }
    /// Runs over the cycle input; deterministic, no panic on empty input.
    fn run(
        &self,
        input: &CycleInput<'_>,
        params: &Self::Params,
        upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError>;
    /// See [`Detector::run_with_stats`].
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        params: &Self::Params,
        upstream: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        Ok((self.run(input, params, upstream)?, Value::Null))
    }
}

impl<A: Algorithm> Detector for A {
    fn about(&self) -> &'static About {
        &A::ABOUT
    }
    fn default_params(&self) -> Value {
        A::Params::defaults()
    }
    fn merge_params(&self, base: &Value, over: &Value) -> Result<Value, ParamsError> {
        A::Params::merge(base, over)
    }
    fn params_schema(&self) -> Value {
        A::Params::schema()
    }
    fn entities_in(&self, input: &CycleInput<'_>, upstream: &Upstream<'_>) -> usize {
        Algorithm::entities_in(self, input, upstream)
    }
    fn per_segment(&self) -> bool {
        Algorithm::per_segment(self)
    }
    fn vessel_local(&self) -> bool {
        Algorithm::vessel_local(self)
    }
    fn run(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        upstream: &Upstream<'_>,
    ) -> Result<Vec<Finding>, DetectError> {
        Algorithm::run(self, input, &A::Params::parse(params)?, upstream)
    }
    fn run_with_stats(
        &self,
        input: &CycleInput<'_>,
        params: &Value,
        upstream: &Upstream<'_>,
    ) -> Result<(Vec<Finding>, Value), DetectError> {
        Algorithm::run_with_stats(self, input, &A::Params::parse(params)?, upstream)
    }
}
