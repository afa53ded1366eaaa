//! The port list cycles measure "distance from port" from: the shipped one
//! (`data/ports/world_ports.csv.gz`, compiled into the binary so it is there wherever
//! Lookout runs), a user's own file, or none. The CLI and the server choose; detectors
//! get the parsed [`PlaceSet`] through `CycleRequest::places`.

use std::io::Read;
use std::path::{Path, PathBuf};

pub use lookout_detect::input::places::PlaceSet;
use thiserror::Error;

/// Where the shipped list comes from, as said to the user.
pub const SHIPPED: &str =
    "data/ports/world_ports.csv.gz (3,923 UN/LOCODE seaports from the searoute package, Apache-2.0)";

static SHIPPED_GZ: &[u8] = include_bytes!("../../../data/ports/world_ports.csv.gz");

/// Which port list a command uses (`--ports`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PortsChoice {
    /// The shipped list (no `--ports`).
    #[default]
    Shipped,
    /// `--ports none`.
    Disabled,
    /// `--ports FILE`: CSV or GeoJSON, gzip allowed.
    File(PathBuf),
}

impl PortsChoice {
    /// The choice an optional `--ports` value makes (`none`, any case, disables).
    pub fn from_arg(arg: Option<&Path>) -> PortsChoice {
        match arg {
            None => PortsChoice::Shipped,
            Some(p) if p.as_os_str().eq_ignore_ascii_case("none") => PortsChoice::Disabled,
            Some(p) => PortsChoice::File(p.to_path_buf()),
        }
    }
}

/// A port list that cannot be read.
#[derive(Debug, Error)]
pub enum PortsError {
    #[error("ports file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("ports file {path}: {source}")]
    Parse { path: String, source: lookout_detect::InputError },
}

/// The loaded list (`None` when disabled) and where it came from.
#[derive(Clone, Debug, Default)]
pub struct Ports {
    pub set: Option<PlaceSet>,
    pub source: String,
}

impl Ports {
    /// How many places are loaded.
    pub fn len(&self) -> usize {
        self.set.as_ref().map_or(0, PlaceSet::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One line for the console: how many ports and from where.
    pub fn describe(&self) -> String {
        match &self.set {
            Some(s) => format!("ports: {} from {}", s.len(), self.source),
            None => "ports: none (--ports none)".to_string(),
        }
    }
}

/// Loads the chosen list.
pub fn load(choice: &PortsChoice) -> Result<Ports, PortsError> {
    match choice {
        PortsChoice::Disabled => Ok(Ports { set: None, source: "none".into() }),
        PortsChoice::Shipped => {
            let path = "data/ports/world_ports.csv.gz (built in)".to_string();
            let text = gunzip(SHIPPED_GZ).map_err(|source| PortsError::Io { path: path.clone(), source })?;
            let set = PlaceSet::parse(&text).map_err(|source| PortsError::Parse { path, source })?;
            Ok(Ports { set: Some(set), source: SHIPPED.into() })
        }
        PortsChoice::File(p) => {
            let path = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|source| PortsError::Io { path: path.clone(), source })?;
            let text = if bytes.starts_with(&[0x1f, 0x8b]) {
                gunzip(&bytes).map_err(|source| PortsError::Io { path: path.clone(), source })?
            } else {
                String::from_utf8(bytes).map_err(|e| PortsError::Io {
                    path: path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                })?
            };
            let set = PlaceSet::parse(&text).map_err(|source| PortsError::Parse { path: path.clone(), source })?;
            Ok(Ports { set: Some(set), source: path })
        }
    }
}

fn gunzip(bytes: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}
