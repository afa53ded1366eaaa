//! Vessel registry (permits, ship kind, flag, name) and the reference's permitted list.
//! (The ship class P9 reads from an entry is the dark model's: [`crate::dark::score`].)

use std::collections::{BTreeMap, BTreeSet};

use lookout_model::ShipType;

use crate::csvtext::records;
use crate::error::InputError;

/// One registry row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegistryEntry {
    pub permitted: bool,
    /// ITU type (the Korean `000020`/`000023` aliases are mapped to 30/70).
    pub ship_type: Option<ShipType>,
    pub flag: Option<String>,
    pub name: Option<String>,
}

/// Registry keyed by MMSI (as written, trimmed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Registry {
    pub entries: BTreeMap<String, RegistryEntry>,
}

impl Registry {
    /// Whether the MMSI holds a permit; unknown vessels do not.
    pub fn is_permitted(&self, mmsi: &str) -> bool {
        self.entries.get(mmsi).is_some_and(|e| e.permitted)
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "t" => Some(true),
        "0" | "false" | "no" | "n" | "f" | "" => Some(false),
        _ => None,
    }
}

fn non_empty(raw: Option<&String>) -> Option<String> {
    raw.map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Parses a registry CSV with header `mmsi,permitted[,ship_kind][,flag][,name]`
/// (column order free; `ship_type` is accepted for `ship_kind`).
pub fn parse_registry(text: &str) -> Result<Registry, InputError> {
    let mut rows = records(text).into_iter();
    let Some((_, header)) = rows.next() else {
        return Ok(Registry::default());
    };
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()));
    let (Some(mmsi_c), Some(perm_c)) = (col(&["mmsi"]), col(&["permitted"])) else {
        return Err(InputError::MissingColumns("mmsi, permitted".into()));
    };
    let kind_c = col(&["ship_kind", "ship_type", "ship_kind_code"]);
    let (flag_c, name_c) = (col(&["flag"]), col(&["name"]));
    let mut reg = Registry::default();
    for (line, f) in rows {
        let mmsi = f.get(mmsi_c).map(|s| s.trim().to_string()).unwrap_or_default();
        if mmsi.is_empty() {
            continue;
        }
        let raw_perm = f.get(perm_c).map(String::as_str).unwrap_or("");
        let permitted = parse_bool(raw_perm).ok_or_else(|| InputError::BadCell {
            line,
            column: "permitted".into(),
            message: format!("not a boolean: '{raw_perm}'"),
        })?;
        let entry = RegistryEntry {
            permitted,
            ship_type: kind_c.and_then(|c| f.get(c)).and_then(|s| ShipType::parse(s)),
            flag: non_empty(flag_c.and_then(|c| f.get(c))),
            name: non_empty(name_c.and_then(|c| f.get(c))),
        };
        reg.entries.insert(mmsi, entry);
    }
    Ok(reg)
}

/// The reference's `--permitted` file: one MMSI per line, `#` starts a comment.
pub fn parse_permitted_list(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dark::score::ShipClass;

    #[test]
    fn registry_and_permitted_list() {
        let r = parse_registry(
            "mmsi,permitted,ship_kind,flag,name\n440000001,yes,000020,KR,\"Dae, Ho\"\n440000002,0,75,,\n",
        )
        .unwrap();
        assert!(r.is_permitted("440000001"));
        assert!(!r.is_permitted("440000002"));
        assert!(!r.is_permitted("1"));
        assert_eq!(r.entries["440000001"].ship_class(), ShipClass::Fishing);
        assert_eq!(r.entries["440000002"].ship_class(), ShipClass::Cargo);
        assert_eq!(r.entries["440000001"].name.as_deref(), Some("Dae, Ho"));
        assert!(parse_registry("mmsi,permitted\n1,maybe\n").is_err());
        let p = parse_permitted_list("# list\n440000001  # A\n\n 440000002\n");
        assert_eq!(p.into_iter().collect::<Vec<_>>(), vec!["440000001", "440000002"]);
    }
}
