//! Typed errors of the detect crate.

use thiserror::Error;

/// A rejected parameter override: `path: message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct ParamsError {
    /// Dotted key path, e.g. `weights.P1_moving_off`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ParamsError {
    pub(crate) fn at(path: &str, message: impl Into<String>) -> Self {
        ParamsError { path: path.to_string(), message: message.into() }
    }
}

/// A malformed input text (oracle CSV, registry, permitted list, history JSON).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// A required column is absent from the header.
    #[error("missing required column(s): {0}")]
    MissingColumns(String),
    /// A cell that cannot be read.
    #[error("line {line}: column {column}: {message}")]
    BadCell { line: usize, column: String, message: String },
    /// The text is not what was expected at all.
    #[error("{0}")]
    Invalid(String),
}

/// A detector set that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// Two detectors claim one code.
    #[error("detector code '{0}' is already registered")]
    DuplicateCode(String),
}
