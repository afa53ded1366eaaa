//! Shared helpers for the corpus tests.
#![allow(dead_code)]

use std::path::PathBuf;

use lookout_nmea::{Decoder, DecoderOptions, Outcome};

/// The real reference files shipped in the repository (`testdata/ais`), overridable with
/// `LOOKOUT_AIS_DATA`.
pub(crate) fn data_dir() -> PathBuf {
    match std::env::var_os("LOOKOUT_AIS_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ais")),
    }
}

/// A reference file's bytes; a gzipped copy (`name.gz`) stands for `name`.
pub(crate) fn read(rel: &str) -> Vec<u8> {
    let p = data_dir().join(rel);
    if p.exists() {
        return std::fs::read(&p).unwrap_or_else(|e| panic!("reference file {} unreadable: {e}", p.display()));
    }
    let gz = data_dir().join(format!("{rel}.gz"));
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("reference file {} unreadable: {e}", gz.display()));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(file), &mut out)
        .unwrap_or_else(|e| panic!("reference file {} not gzip: {e}", gz.display()));
    out
}

/// Decodes a whole file, one outcome per message or reject.
pub(crate) fn decode_all(bytes: &[u8]) -> Vec<Outcome> {
    let mut d = Decoder::new(DecoderOptions::default());
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        d.feed(i as u64 + 1, line, &mut out);
    }
    d.finish(&mut out);
    out
}
