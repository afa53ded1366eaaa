//! Incremental cycles: re-running a window after new or late positions without
//! re-analysing the vessels nothing changed for.
//!
//! **How changes are known.** Every cycle written by [`run_cycle_with`] keeps, with its
//! findings and in the same transaction, a [`CycleState`] (store migration 0014): a *run
//! hash* of everything that is the same for every vessel (each rule's id, algorithm,
//! model version, params hash, weight and inputs; the look-back; the zones; the port list;
//! the engine version) and one *fingerprint* per loaded vessel of everything its own findings may
//! depend on: every loaded position (look-back included), its static data, its registry
//! entry, its identity runs and its dark history. The next cycle of the same window loads
//! its input as a full cycle does, fingerprints it (with what the observation timeline
//! shows around the vessel's positions over its time span: the `unobserved` share of its
//! gaps reads other vessels' reports), and a vessel is *changed* when its
//! fingerprint differs or is new. New positions, late (older) positions, positions that
//! left the load range (pruned), a new static report or identity, a registry change and
//! a dark episode found by another cycle all change the fingerprint, so nothing relies
//! on the ingest path telling the engine what it wrote, and a killed ingest cannot leave
//! a change unseen.
//!
//! **What a window is.** The state belongs to one window key `(start, end]` with its
//! look-back; a cycle over another window (the live 5-minute slide of a 24 h window)
//! runs in full. A slide is not reused: dark scores read the local hour of the window
//! end, encounter grids are aligned to the window start and gaps are filtered at it, so
//! every vessel's findings may change with the window even when its positions do not.
//!
//! **What re-runs.** A rule whose detector is [`Detector::vessel_local`] (gaps, dark
//! suspicion, segments, spoofing, zones, loitering) runs over the changed vessels only;
//! its previous findings for the others are kept, merged in track order (the order a
//! full run gives). Every other rule (transshipment, pair trawl, gear, reception
//! outages, rules defined elsewhere) runs over all tracks, as in a full cycle, unless no
//! vessel changed at all, when its previous findings are kept. A vessel-local rule that
//! reads a rule which is not vessel-local (dark suspicion reads the reception outages)
//! keeps previous findings only when that rule's new findings are identical to its
//! previous ones; otherwise the cycle falls back to a full run. Any other doubt (a rule
//! that failed, findings of one vessel not contiguous, a previous run that is missing)
//! also falls back to a full run, with the reason in the cycle statistics. The
//! composite risk and the output pipeline then work on the merged findings as after a
//! full run. Results equal a full re-run: `tests/incremental.rs` checks it on real data.

use std::collections::{BTreeMap, BTreeSet};

use lookout_detect::reception::outage::{OutageRef, RECEPTION};
use lookout_model::{Finding, Track};
use lookout_store::{CycleState, Store};
use serde::Serialize;

use crate::cycle::{
    assemble, cycle_output, prepare, run_rules, CycleReport, CycleRequest, Prepared, SEGMENTS, SPOOFING,
};
use crate::exec::{RuleOutcome, RuleStatus};
use crate::EngineError;

/// Whether a cycle may reuse the previous run of its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleMode {
    /// Every rule over every vessel (`analyze --full`).
    Full,
    /// Reuse the previous run of the same window and params when there is one.
    Incremental,
}

/// How a cycle used the previous run of its window (in the stored cycle statistics).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IncrementalStats {
    /// `full`, or `incremental` when previous findings were reused.
    pub mode: String,
    /// Why the cycle ran in full (absent when incremental).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Vessels whose input changed since the previous run (all of them in a full run).
    pub vessels_changed: usize,
    /// Vessels loaded.
    pub vessels: usize,
    /// Per rule: `changed vessels`, `all vessels` or `kept` (previous findings reused).
    pub rules: BTreeMap<String, String>,
}

impl IncrementalStats {
    fn full(reason: &str, vessels: usize) -> Self {
        IncrementalStats {
            mode: "full".into(),
            reason: Some(reason.into()),
            vessels_changed: vessels,
            vessels,
            rules: BTreeMap::new(),
        }
    }
}

/// Runs a cycle (incrementally when `mode` allows and the previous run of the window
/// kept its state) and writes its output and new state in one transaction.
pub fn run_cycle_with(
    store: &mut dyn Store,
    req: &CycleRequest<'_>,
    mode: CycleMode,
) -> Result<CycleReport, EngineError> {
    let prepared = prepare(&*store, req)?;
    let run_hash = run_hash(req);
    let own = own_dark_starts(&*store, &prepared.key)?;
    let fingerprints = fingerprints(&prepared, req, &own);
    let report = match (&run_hash, mode) {
        (_, CycleMode::Full) => full(&prepared, req, "full run requested"),
        (None, _) => full(&prepared, req, "the zones cannot be fingerprinted"),
        (Some(hash), CycleMode::Incremental) => match store.cycle_state(&prepared.key)? {
            None => full(&prepared, req, "no previous run of this window kept its state"),
            Some(state) if &state.run_hash != hash => {
                full(&prepared, req, "rules, params, look-back, zones or engine version changed")
            }
            Some(state) => {
                let previous = store.cycle_findings(&prepared.key)?;
                match incremental(&prepared, req, &state, &fingerprints, previous) {
                    Ok(report) => report,
                    Err(reason) => full(&prepared, req, &reason),
                }
            }
        },
    };
    let output = cycle_output(req, &report);
    let all_ok = report.rules.iter().all(|r| r.status == RuleStatus::Ok);
    match run_hash {
        // A state is kept only for an output every rule completed: a failed rule's
        // findings are missing and must not be reused.
        Some(run_hash) if all_ok => {
            let vessels =
                prepared.tracks.iter().map(|t| t.vessel.as_str().to_string()).zip(fingerprints).collect::<Vec<_>>();
            store.write_cycle_with_state(&output, &CycleState { run_hash, vessels: sorted(vessels) })?
        }
        _ => store.write_cycle(&output)?,
    }
    Ok(report)
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn full(prepared: &Prepared, req: &CycleRequest<'_>, reason: &str) -> CycleReport {
    let mut report = crate::cycle::analyse_prepared(prepared, req);
    report.incremental = Some(IncrementalStats::full(reason, prepared.tracks.len()));
    report
}

/// The incremental cycle, or why it must run in full.
fn incremental(
    prepared: &Prepared,
    req: &CycleRequest<'_>,
    state: &CycleState,
    fingerprints: &[String],
    previous: Vec<Finding>,
) -> Result<CycleReport, String> {
    let before: BTreeMap<&str, &str> = state.vessels.iter().map(|(v, f)| (v.as_str(), f.as_str())).collect();
    let changed: Vec<bool> = prepared
        .tracks
        .iter()
        .zip(fingerprints)
        .map(|(t, f)| before.get(t.vessel.as_str()) != Some(&f.as_str()))
        .collect();
    let n_changed = changed.iter().filter(|c| **c).count();
    let any_change = n_changed > 0 || before.len() != prepared.tracks.len();
    let local: Vec<bool> = req.rules.iter().map(|r| r.detector.vessel_local()).collect();
    for (r, _) in req.rules.iter().zip(&local).filter(|(_, l)| !**l) {
        if r.detector.per_segment() || matches!(r.detector.code(), SEGMENTS | SPOOFING) {
            return Err(format!("rule '{}' needs segments but is not vessel-local", r.id));
        }
        if let Some(u) = r.waits_for().find(|&u| local.get(u).copied().unwrap_or(false)) {
            return Err(format!("rule '{}' reads the vessel-local rule '{}'", r.id, req.rules[u].id));
        }
    }
    let mut by_rule: BTreeMap<&str, Vec<Finding>> = BTreeMap::new();
    for f in previous {
        let Some(rule) = f.rule.clone() else { continue };
        if let Some(r) = req.rules.iter().find(|r| r.id == rule) {
            by_rule.entry(r.id.as_str()).or_default().push(f);
        }
    }
    if !any_change {
        let mut outcomes: Vec<RuleOutcome> =
            req.rules.iter().map(|r| kept_outcome(r.id.as_str(), r.detector.code())).collect();
        for (o, r) in outcomes.iter_mut().zip(req.rules) {
            o.findings = by_rule.remove(r.id.as_str()).unwrap_or_default();
        }
        let mut report = assemble(prepared, req, outcomes, 0);
        report.incremental = Some(IncrementalStats {
            mode: "incremental".into(),
            reason: None,
            vessels_changed: 0,
            vessels: prepared.tracks.len(),
            rules: req.rules.iter().map(|r| (r.id.clone(), "kept".to_string())).collect(),
        });
        return Ok(report);
    }
    // At most two passes: the second when changed outputs of rules over every vessel
    // reach vessels the first pass did not re-run.
    let mut changed = changed;
    for _pass in 0..2 {
        let tracks: Vec<Track> =
            prepared.tracks.iter().zip(&changed).filter(|(_, c)| **c).map(|(t, _)| t.clone()).collect();
        let (mut outcomes, segmentation_us) = run_rules(prepared, req, Some((&local, &tracks)));
        if let Some(o) = outcomes.iter().find(|o| o.status != RuleStatus::Ok) {
            return Err(format!("rule '{}' did not complete", o.rule));
        }
        // Rules over every vessel: which outputs changed, and which vessels that reaches.
        let mut reached = vec![false; changed.len()];
        let mut same = vec![true; req.rules.len()];
        for (i, rule) in req.rules.iter().enumerate().filter(|(i, _)| !local[*i]) {
            let prev = by_rule.get(rule.id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let diff = difference(&outcomes[i].findings, prev);
            same[i] = diff.is_empty();
            let readers: Vec<&str> = req
                .rules
                .iter()
                .enumerate()
                .filter(|(k, r)| local[*k] && r.waits_for().any(|u| u == i))
                .map(|(_, r)| r.id.as_str())
                .collect();
            if same[i] || readers.is_empty() {
                continue;
            }
            if rule.detector.code() != RECEPTION {
                return Err(format!("rule '{}' reads rule '{}', whose findings changed", readers[0], rule.id));
            }
            // A dark score reads an outage only for a gap that starts in the outage's
            // cell during it (`OutageRef::explains`): re-run the vessels heard there then.
            let outages: Vec<OutageRef> = diff.iter().filter_map(|f| OutageRef::from_finding(f)).collect();
            for (k, t) in prepared.tracks.iter().enumerate() {
                if !reached[k] {
                    reached[k] = t
                        .positions
                        .iter()
                        .any(|p| outages.iter().any(|o| o.explains(p.timestamp, p.timestamp, p.lat, p.lon)));
                }
            }
        }
        if reached.iter().zip(&changed).any(|(r, c)| *r && !*c) {
            changed = changed.iter().zip(&reached).map(|(c, r)| *c || *r).collect();
            continue;
        }
        let n_changed = changed.iter().filter(|c| **c).count();
        let mut stats = IncrementalStats {
            mode: "incremental".into(),
            reason: None,
            vessels_changed: n_changed,
            vessels: prepared.tracks.len(),
            rules: BTreeMap::new(),
        };
        for (i, o) in outcomes.iter_mut().enumerate() {
            let rule = &req.rules[i];
            if !local[i] {
                stats.rules.insert(rule.id.clone(), "all vessels".into());
                continue;
            }
            let prev = by_rule.remove(rule.id.as_str()).unwrap_or_default();
            o.findings = merge(&prepared.tracks, &changed, prev, std::mem::take(&mut o.findings))
                .map_err(|e| format!("rule '{}': {e}", rule.id))?;
            stats.rules.insert(rule.id.clone(), "changed vessels".into());
        }
        let mut report = assemble(prepared, req, outcomes, segmentation_us);
        report.incremental = Some(stats);
        return Ok(report);
    }
    Err("changed outages reached vessels twice".into())
}

/// The findings of `a` not in `b` and of `b` not in `a` (compared as the store writes
/// them), in that order.
fn difference<'f>(a: &'f [Finding], b: &'f [Finding]) -> Vec<&'f Finding> {
    let key = |f: &Finding| lookout_store::canonical_json(serde_json::to_value(f).unwrap_or_default()).to_string();
    let (ka, kb): (BTreeSet<String>, BTreeSet<String>) = (a.iter().map(key).collect(), b.iter().map(key).collect());
    let mut out: Vec<&Finding> = a.iter().filter(|f| !kb.contains(&key(f))).collect();
    out.extend(b.iter().filter(|f| !ka.contains(&key(f))));
    if out.is_empty() && a.len() != b.len() {
        // Same findings, repeated a different number of times: changed all the same.
        out.extend(a.iter().chain(b));
    }
    out
}

/// An outcome whose findings are filled from the previous run.
fn kept_outcome(rule: &str, algorithm: &str) -> RuleOutcome {
    RuleOutcome {
        rule: rule.to_string(),
        algorithm: algorithm.to_string(),
        status: RuleStatus::Ok,
        entities_in: 0,
        findings: Vec::new(),
        stats: serde_json::Value::Null,
        duration: std::time::Duration::ZERO,
    }
}

/// A vessel-local rule's full output from its previous findings (unchanged vessels) and
/// its new findings (changed vessels): per-vessel groups in track order.
fn merge(
    tracks: &[Track],
    changed: &[bool],
    previous: Vec<Finding>,
    new: Vec<Finding>,
) -> Result<Vec<Finding>, String> {
    let prev = group(previous).map_err(|v| format!("previous findings of {v} are not contiguous"))?;
    let mut new = group(new).map_err(|v| format!("findings of {v} are not contiguous"))?;
    let mut prev = prev;
    let mut out = Vec::new();
    for (t, c) in tracks.iter().zip(changed) {
        let from = if *c { &mut new } else { &mut prev };
        if let Some(f) = from.remove(t.vessel.as_str()) {
            out.extend(f);
        }
    }
    if let Some(v) = new.keys().next() {
        return Err(format!("a finding about {v}, which has no changed track"));
    }
    Ok(out)
}

/// Findings grouped by vessel (each vessel's in their order); `Err(vessel)` when one
/// vessel's findings are not contiguous.
fn group(findings: Vec<Finding>) -> Result<BTreeMap<String, Vec<Finding>>, String> {
    let mut out: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut last: Option<String> = None;
    for f in findings {
        let v = f.vessel.as_str();
        if last.as_deref() != Some(v) {
            if out.contains_key(v) {
                return Err(v.to_string());
            }
            last = Some(v.to_string());
        }
        out.entry(v.to_string()).or_default().push(f);
    }
    Ok(out)
}

/// The hash of everything shared by all vessels; `None` when the zones cannot be
/// fingerprinted (a classifier without a zone set).
fn run_hash(req: &CycleRequest<'_>) -> Option<String> {
    let mut h = Fingerprint::new();
    h.text(concat!("lookout-engine incremental 1 ", env!("CARGO_PKG_VERSION")));
    h.word(req.lookback.num_milliseconds() as u64);
    for r in req.rules {
        h.text(&r.id);
        h.text(r.detector.code());
        h.text(&r.model);
        h.word(r.model_version as u64);
        h.text(&r.params_hash);
        h.word(r.weight.to_bits());
        h.word(r.depends_on.len() as u64);
        r.depends_on.iter().for_each(|d| h.word(*d as u64));
        h.word(r.uses.len() as u64);
        r.uses.iter().for_each(|d| h.word(*d as u64));
    }
    match req.zones {
        None => h.word(0),
        Some(z) => {
            let set = z.zone_set()?;
            h.word(1);
            h.text(&format!("{set:?}"));
        }
    }
    // Ports and anchorages (transshipment's stage 5, loitering): another list is another run.
    match req.places {
        None => h.word(0),
        Some(places) => {
            h.word(1);
            h.text(&format!("{:?}", places.places()));
        }
    }
    Some(h.hex())
}

/// The starts of the dark findings this window's previous run stored, by vessel. They are
/// in the dark history the cycle loads, but a dark score never reads them for a vessel
/// whose input is unchanged (its gap starts where that finding starts, and history counts
/// only earlier episodes), so they stay out of the fingerprints: a re-run of an unchanged
/// window is then unchanged.
fn own_dark_starts(
    store: &dyn Store,
    key: &lookout_store::CycleKey,
) -> Result<BTreeMap<String, BTreeSet<i64>>, EngineError> {
    let mut own: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for f in store.cycle_findings(key)?.into_iter().filter(|f| f.detector == crate::cycle::DARK) {
        own.entry(f.vessel.as_str().to_string()).or_default().insert(f.start.timestamp_millis());
    }
    Ok(own)
}

/// One fingerprint per loaded track, in track order.
fn fingerprints(prepared: &Prepared, req: &CycleRequest<'_>, own: &BTreeMap<String, BTreeSet<i64>>) -> Vec<String> {
    // Gaps and dark scores read whether anyone at all was heard around a gap, from every
    // vessel's positions: what of that a vessel's gaps can see is part of its fingerprint,
    // so another vessel's (late) report that fills an empty hour around it changes it.
    let timelines = prepared.observation.timelines();
    let opt = |h: &mut Fingerprint, v: Option<f64>| match v {
        Some(x) => {
            h.word(1);
            h.word(x.to_bits());
        }
        None => h.word(0),
    };
    prepared
        .tracks
        .iter()
        .map(|t| {
            let mut h = Fingerprint::new();
            h.text(t.vessel.as_str());
            h.text(&serde_json::to_string(&t.static_data).unwrap_or_default());
            h.word(t.positions.len() as u64);
            for p in &t.positions {
                h.word(p.timestamp.timestamp_millis() as u64);
                h.word(p.lat.to_bits());
                h.word(p.lon.to_bits());
                opt(&mut h, p.sog);
                opt(&mut h, p.cog);
                opt(&mut h, p.heading);
                h.word(p.nav_status.map_or(u64::MAX, |s| u64::from(s.0)));
            }
            let entry = req.registry.and_then(|r| r.entries.get(t.vessel.as_str()));
            h.text(&format!("{entry:?}"));
            let ids = prepared.identities.by_vessel.get(t.vessel.as_str());
            h.text(&ids.map(|i| serde_json::to_string(i).unwrap_or_default()).unwrap_or_default());
            let starts = prepared.history.starts.get(t.vessel.as_str());
            let skip = own.get(t.vessel.as_str());
            let starts: Vec<i64> = starts
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|s| s.timestamp_millis())
                .filter(|s| !skip.is_some_and(|k| k.contains(s)))
                .collect();
            h.word(starts.len() as u64);
            starts.iter().for_each(|s| h.word(*s as u64));
            for timeline in timelines {
                timeline.visible_to(t, |lat, lon, bucket| {
                    h.word(lat as u64);
                    h.word(lon as u64);
                    h.word(bucket as u64);
                });
            }
            h.hex()
        })
        .collect()
}

/// A 128-bit non-cryptographic hash (two independent multiply-rotate lanes): stable
/// across builds and platforms, fast enough for every position of a cycle.
struct Fingerprint {
    a: u64,
    b: u64,
}

impl Fingerprint {
    fn new() -> Self {
        Fingerprint { a: 0x243f_6a88_85a3_08d3, b: 0x1319_8a2e_0370_7344 }
    }

    fn word(&mut self, w: u64) {
        self.a = (self.a ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
        self.b = (self.b.rotate_left(23) ^ w ^ 0xa076_1d64_78bd_642f).wrapping_mul(0xff51_afd7_ed55_8ccd);
    }

    fn text(&mut self, s: &str) {
        self.word(s.len() as u64);
        for chunk in s.as_bytes().chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
    }

    fn hex(&self) -> String {
        let fin = |mut x: u64| {
            x ^= x >> 33;
            x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        };
        format!("{:016x}{:016x}", fin(self.a), fin(self.b ^ self.a.rotate_left(32)))
    }
}
