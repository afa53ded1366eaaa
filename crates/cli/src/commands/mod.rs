//! One module per subcommand: an `Args` struct (clap) and a `run` function.

pub(crate) mod alerts;
pub(crate) mod analyze;
pub(crate) mod anomaly;
pub(crate) mod bench;
pub(crate) mod common;
pub(crate) mod completions;
pub(crate) mod db;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod ingest;
pub(crate) mod kpis;
pub(crate) mod live;
pub(crate) mod models;
pub(crate) mod outputs_common;
pub(crate) mod replay;
pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod score_dark;
pub(crate) mod serve;
pub(crate) mod tokens;
