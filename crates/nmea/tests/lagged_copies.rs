//! Two copies of one real feed merged with a small lag (two receivers, or a feed
//! relayed twice) must never make the reassembler join fragments of different
//! messages: every decoded message must exist in the feed itself.

mod common;

use std::collections::BTreeSet;

use lookout_nmea::Outcome;

/// Sentence lines of a file (the `$PGHP` and comment lines go along with them).
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).collect()
}

fn decode(lines: &[&[u8]]) -> Vec<Outcome> {
    let mut joined = Vec::new();
    for l in lines {
        joined.extend_from_slice(l);
        joined.push(b'\n');
    }
    common::decode_all(&joined)
}

/// A decoded message as comparable text; stamps are left out because a copy's line
/// may take its stamp from the other copy's `$PGHP` line.
fn messages(out: &[Outcome]) -> BTreeSet<String> {
    out.iter().filter_map(|o| o.as_ref().ok()).map(|d| format!("{:?}", d.message)).collect()
}

/// Copy B runs `lag` lines behind copy A; `burst` lines of A come before each run of B.
fn merge<'a>(feed: &[&'a [u8]], lag: usize, burst: usize) -> Vec<&'a [u8]> {
    let mut merged = Vec::with_capacity(feed.len() * 2);
    let mut b = 0;
    for (i, line) in feed.iter().enumerate() {
        merged.push(*line);
        if (i + 1) % burst == 0 {
            while b + lag <= i {
                merged.push(feed[b]);
                b += 1;
            }
        }
    }
    merged.extend_from_slice(&feed[b..]);
    merged
}

fn check(name: &str, bytes: &[u8]) -> (usize, usize) {
    let feed = lines(bytes);
    let real = messages(&decode(&feed));
    assert!(!real.is_empty(), "{name}: no message decoded from the feed itself");
    let (mut merged_runs, mut recovered_total) = (0, 0);
    for lag in 1..=3 {
        for burst in 1..=4 {
            let merged = merge(&feed, lag, burst);
            assert_eq!(merged.len(), feed.len() * 2, "{name}: merge lost lines");
            let out = decode(&merged);
            let got = messages(&out);
            let phantoms: Vec<&String> = got.difference(&real).collect();
            assert!(
                phantoms.is_empty(),
                "{name}, lag {lag}, burst {burst}: {} messages that are in neither copy, first {:?}",
                phantoms.len(),
                phantoms.first()
            );
            merged_runs += 1;
            recovered_total += got.len();
        }
    }
    (merged_runs, recovered_total / merged_runs)
}

#[test]
fn merged_lagged_copies_of_real_feeds_decode_no_phantom_message() {
    for name in [
        "dma_aislib_stream_example_2010-06-11.txt",
        "pyais_nmea_data_sample.txt",
        "gfw_ais_listener/nmea-with-tagblock.txt",
        "gfw_ais_listener/nmea.txt",
    ] {
        let bytes = common::read(name);
        let real = messages(&decode(&lines(&bytes))).len();
        let (runs, mean_recovered) = check(name, &bytes);
        // Losing a few messages whose fragments interleave ambiguously is allowed (each
        // is a counted reject); losing most of them is not.
        assert!(
            mean_recovered * 10 >= real * 9,
            "{name}: {runs} merges recovered {mean_recovered} of {real} distinct messages on average"
        );
    }
}
