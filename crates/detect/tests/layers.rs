//! The crate's module structure, read from its source files: no import circle between
//! modules nor between top-level modules (families), only the registry imports a
//! module holding a detector, and no detector imports the reference-compatibility code. Run with `--nocapture` to
//! print the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`dark::score`, `reception` for `reception/mod.rs`) -> source text
/// without its `#[cfg(test)]` module and comments.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&root).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&f).expect("source");
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or("")
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            (parts.join("::"), code)
        })
        .collect()
}

/// Full paths named by a `use` tree such as `crate::a::{b, c::{d, e}}`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or("").trim();
        if !path.is_empty() {
            out.push(format!("{prefix}{path}"));
        }
        return;
    };
    let head = format!("{prefix}{}", &tree[..open]);
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand(&head, &inner[start..], out);
}

/// The modules each module imports (through `use` or an inline `crate::` path),
/// resolved to the longest known module prefix.
fn graph(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").map(str::trim).collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| mods.contains_key(m) && !m.is_empty())
    };
    let mut g = BTreeMap::new();
    for (name, code) in mods {
        let mut paths = Vec::new();
        let flat = code.replace('\n', " ");
        for stmt in flat.split(';') {
            let stmt = stmt.trim();
            let Some(tree) = stmt.strip_prefix("pub use ").or_else(|| stmt.strip_prefix("use ")) else {
                // Inline paths: `crate::a::b::item(..)`.
                for (i, _) in stmt.match_indices("crate::") {
                    let path: String =
                        stmt[i + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                    paths.push(path);
                }
                continue;
            };
            let mut full = Vec::new();
            expand("", tree, &mut full);
            for p in full {
                if let Some(rest) = p.strip_prefix("crate::") {
                    paths.push(rest.to_string());
                } else if !name.is_empty() {
                    // A child module named relative to this one (`use outage::X` in mod.rs).
                    paths.push(format!("{name}::{p}"));
                }
            }
        }
        let deps: BTreeSet<String> = paths.iter().filter_map(|p| resolve(p)).filter(|m| m != name).collect();
        g.insert(name.clone(), deps);
    }
    g
}

/// A circle in `g`, if any, as a closed path.
fn circle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            match state.get(d.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == d).unwrap_or(0);
                    let mut c = path[from..].to_vec();
                    c.push(d.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(d, g, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    let mut path = Vec::new();
    g.keys().find_map(|n| if state.contains_key(n) { None } else { visit(n, g, &mut state, &mut path) })
}

fn family(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn modules_form_layers_without_circles() {
    let mods = modules();
    let g = graph(&mods);
    for (m, deps) in &g {
        println!(
            "{:<28} -> {}",
            if m.is_empty() { "(lib)" } else { m },
            deps.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    // The crate root declares and re-exports everything; it is no layer.
    let mut g: BTreeMap<String, BTreeSet<String>> = g.into_iter().filter(|(m, _)| !m.is_empty()).collect();
    assert!(g.len() > 30, "the source files were found");
    assert_eq!(circle(&g), None, "an import circle between modules");

    let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, deps) in &g {
        let f = family(m).to_string();
        let out = families.entry(f.clone()).or_default();
        out.extend(deps.iter().map(|d| family(d).to_string()).filter(|d| *d != f));
    }
    assert_eq!(circle(&families), None, "an import circle between top-level modules");

    let adapters: BTreeSet<&String> =
        mods.iter().filter(|(_, code)| code.contains("impl Algorithm for")).map(|(m, _)| m).collect();
    assert!(adapters.len() >= 8, "{adapters:?}");
    for (m, deps) in &mut g {
        let compat = deps.iter().any(|d| family(d) == "compat");
        assert!(family(m) == "compat" || !compat, "{m} imports the reference-compatibility code");
        assert!(!deps.contains("registry"), "{m} imports the registry, which sits on top");
        for d in deps.iter().filter(|d| adapters.contains(d)) {
            assert!(m == "registry", "{m} imports the module of the detector {d}: only the registry may");
        }
    }
}

#[test]
fn use_trees_expand_to_full_paths() {
    let mut out = Vec::new();
    expand("", "crate::a::{b, c::{d, e as f}, g::H}", &mut out);
    assert_eq!(out, ["crate::a::b", "crate::a::c::d", "crate::a::c::e", "crate::a::g::H"]);
}
