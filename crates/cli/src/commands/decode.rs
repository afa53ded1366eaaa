//! `lookout decode FILE [--json]`: decode NMEA AIS sentences and print each message.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use lookout_ingest::readers::{open_text, ReadOptions};
use lookout_model::{Reject, RejectCounts, RejectReason};
use lookout_nmea::{read_line_bounded, Decoded, Decoder, DecoderOptions, Outcome};

use super::common::LimitArgs;

#[derive(clap::Args)]
pub(crate) struct DecodeArgs {
    /// NMEA 0183 file (`!AIVDM` sentences, optional tag blocks / `$PGHP` / stamps), optionally
    /// gzip-compressed, in UTF-8, UTF-16 with a BOM or the encoding `--encoding` names.
    pub file: PathBuf,
    /// One JSON object per message instead of the readable one-line form.
    #[arg(long)]
    pub json: bool,
    /// Most multi-part messages kept waiting for their fragments.
    #[arg(long, default_value_t = 256)]
    pub max_pending_groups: usize,
    /// Text encoding (e.g. utf-16le, windows-1252); UTF-16 with a BOM is recognised alone.
    #[arg(long)]
    pub encoding: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Prints every decoded message on stdout and a summary on stderr. The file is opened by
/// the ingest crate's source layer, so gzip, BOMs, UTF-16 and other encodings read as in
/// `ingest`. Exit codes as `ingest`: 1 when reading stopped early (a damaged or cut file),
/// 3 when nothing in it decodes; a file that cannot be opened at all is an error.
pub(crate) fn run(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let opts = args.limits.apply(ReadOptions { encoding: args.encoding.clone(), ..ReadOptions::default() });
    let text = match open_text(&args.file, &opts) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("lookout: error: {e}");
            return Ok(ExitCode::from(crate::EXIT_NOTHING_READ));
        }
    };
    let mut reader = BufReader::with_capacity(1 << 16, text);
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    let mut dec =
        Decoder::new(DecoderOptions { max_pending_groups: args.max_pending_groups, ..DecoderOptions::default() });
    let source = args.file.display().to_string();
    let mut summary = Summary::default();
    let mut line = Vec::with_capacity(256);
    let mut out: Vec<Outcome> = Vec::new();
    let mut line_no = 0u64;
    let mut stopped = None;
    loop {
        line.clear();
        let n = match read_line_bounded(&mut reader, &mut line, opts.max_line_bytes) {
            Ok((_, true)) => {
                line_no += 1;
                let detail = format!("line longer than {} bytes", opts.max_line_bytes);
                summary.rejects.add(&source, &Reject::new(RejectReason::LineTooLong, line_no, detail));
                continue;
            }
            Ok((n, false)) => n,
            Err(e) => {
                stopped = Some(format!("line {}: {e}", line_no + 1));
                0
            }
        };
        if n == 0 {
            dec.finish(&mut out);
        } else {
            line_no += 1;
            dec.feed(line_no, &line, &mut out);
        }
        for o in out.drain(..) {
            summary.emit(&mut w, &source, o, args.json)?;
        }
        if n == 0 {
            break;
        }
    }
    w.flush()?;
    summary.report(&source, line_no);
    if let Some(why) = &stopped {
        eprintln!("lookout: error: {source}: reading stopped early at {why}");
    }
    Ok(if summary.decoded == 0 {
        if stopped.is_none() {
            eprintln!("lookout: error: {source}: no AIS message decoded");
        }
        ExitCode::from(crate::EXIT_NOTHING_READ)
    } else if stopped.is_some() {
        ExitCode::from(crate::EXIT_CUT_SHORT)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Default)]
struct Summary {
    decoded: u64,
    by_type: BTreeMap<u8, u64>,
    rejects: RejectCounts,
}

impl Summary {
    fn emit(&mut self, w: &mut impl Write, source: &str, o: Outcome, json: bool) -> anyhow::Result<()> {
        match o {
            Ok(d) => {
                self.decoded += 1;
                *self.by_type.entry(d.message.msg_type).or_default() += 1;
                if json {
                    writeln!(w, "{}", to_json(&d))?;
                } else {
                    writeln!(w, "{}", readable(&d))?;
                }
            }
            Err(r) => self.rejects.add(source, &r),
        }
        Ok(())
    }

    fn report(&self, source: &str, lines: u64) {
        let types: Vec<String> = self.by_type.iter().map(|(t, n)| format!("type {t}: {n}")).collect();
        eprintln!("{source}: {lines} lines, {} messages decoded ({})", self.decoded, types.join(", "));
        if self.rejects.total() == 0 {
            eprintln!("no rejects");
            return;
        }
        eprintln!("{} rejects:", self.rejects.total());
        for (reason, n) in &self.rejects.counts {
            eprintln!("  {reason}: {n}");
            for ex in self.rejects.examples.get(reason).into_iter().flatten() {
                eprintln!("    e.g. {ex}");
            }
        }
    }
}

/// The message's fields plus where and when it was received.
fn to_json(d: &Decoded) -> serde_json::Value {
    let mut v = serde_json::to_value(&d.message).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("mmsi".into(), serde_json::Value::from(d.message.mmsi));
        obj.insert("line".into(), serde_json::Value::from(d.line));
        if let Some(t) = d.received {
            obj.insert("timestamp".into(), serde_json::Value::from(t.to_rfc3339()));
        }
        if let Some(c) = d.channel {
            obj.insert("channel".into(), serde_json::Value::from(c.to_string()));
        }
        if d.own_ship {
            obj.insert("own_ship".into(), serde_json::Value::from(true));
        }
    }
    v
}

fn readable(d: &Decoded) -> String {
    let m = &d.message;
    let mut s = format!("line {:>6}  type {:>2}  mmsi {:09}", d.line, m.msg_type, m.mmsi);
    if let Some(t) = d.received {
        s.push_str(&format!("  {}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    }
    if let (Some(lat), Some(lon)) = (m.lat, m.lon) {
        s.push_str(&format!("  {lat:.5},{lon:.5}"));
    }
    let opt = |name: &str, v: Option<String>| v.map(|v| format!("  {name} {v}")).unwrap_or_default();
    s.push_str(&opt("sog", m.sog.map(|v| format!("{v:.1}"))));
    s.push_str(&opt("cog", m.cog.map(|v| format!("{v:.1}"))));
    s.push_str(&opt("hdg", m.heading.map(|v| v.to_string())));
    s.push_str(&opt("status", m.nav_status.map(|v| v.to_string())));
    s.push_str(&opt("utc", m.utc.map(|t| t.to_rfc3339())));
    s.push_str(&opt("name", m.name.as_ref().map(|n| format!("{n:?}"))));
    s.push_str(&opt("callsign", m.call_sign.clone()));
    s.push_str(&opt("imo", m.imo.map(|v| v.to_string())));
    s.push_str(&opt("shiptype", m.ship_type.map(|v| v.to_string())));
    s.push_str(&opt("dest", m.destination.as_ref().map(|n| format!("{n:?}"))));
    s
}
