//! One module per subcommand: an `Args` struct (clap) and a `run` function.

pub mod alerts;
pub mod analyze;
pub mod anomaly;
pub mod bench;
pub mod common;
pub mod completions;
pub mod db;
pub mod decode;
pub mod demo;
pub mod events;
pub mod ingest;
pub mod kpis;
pub mod models;
pub mod outputs_common;
pub mod report;
pub mod rules;
pub mod score_dark;
pub mod serve;
pub mod tokens;
