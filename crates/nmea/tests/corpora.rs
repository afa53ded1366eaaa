//! The other real NMEA files: counts, stamps, reject accounting, the record iterator.

mod common;

use std::collections::BTreeMap;

use lookout_model::{Record, RejectReason};
use lookout_nmea::{DecoderOptions, NmeaRecords, Outcome};

fn tally(out: &[Outcome]) -> (BTreeMap<u8, usize>, BTreeMap<RejectReason, usize>) {
    let mut types = BTreeMap::new();
    let mut rejects = BTreeMap::new();
    for o in out {
        match o {
            Ok(d) => *types.entry(d.message.msg_type).or_default() += 1,
            Err(r) => *rejects.entry(r.reason).or_default() += 1,
        }
    }
    (types, rejects)
}

/// SOURCES.md counts first-fragment types. The file holds 20 first fragments of
/// 2-part messages whose second fragments are absent: those must be
/// `IncompleteMultipart` (never a partial message), and with their first-fragment
/// types they make up the documented counts.
/// Sentences that start a message (`!xxVDM,n,1,`): one outcome each is expected.
fn first_fragments(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| l.len() > 10 && l[0] == b'!' && &l[3..5] == b"VD" && l[8..].starts_with(b",1,"))
        .count()
}

#[test]
fn pyais_sample_counts_match_sources_md() {
    let bytes = common::read("pyais_nmea_data_sample.txt");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let out = common::decode_all(&bytes);
    let (mut types, _) = tally(&out);
    let mut empty = 0;
    for r in out.iter().filter_map(|o| o.as_ref().err()) {
        match r.reason {
            RejectReason::MalformedSentence => {
                assert_eq!(r.detail, "empty payload");
                empty += 1;
            }
            RejectReason::IncompleteMultipart => {
                let line = lines[r.line as usize - 1];
                let payload = line.split(|&b| b == b',').nth(5).unwrap_or_default();
                assert!(line.starts_with(b"!AIVDM,2,1,"), "{}", String::from_utf8_lossy(line));
                *types.entry(payload[0] - b'0').or_default() += 1;
            }
            other => panic!("unexpected reject {other}: {r}"),
        }
    }
    let want: BTreeMap<u8, usize> = [(1, 668), (3, 76), (5, 19), (18, 19), (15, 7), (4, 6), (24, 2), (20, 1)].into();
    assert_eq!(types, want);
    let empty_lines = lines.iter().filter(|l| l.windows(4).any(|w| w == b",,0*")).count();
    assert_eq!(empty, empty_lines);
    assert_eq!(empty, 100);
}

#[test]
fn gfw_tag_blocks_give_times_and_groups() {
    let out = common::decode_all(&common::read("gfw_ais_listener/nmea-with-tagblock.txt"));
    let first = out[0].as_ref().expect("first line decodes");
    assert_eq!(first.received.map(|t| t.timestamp()), Some(1_668_046_497));
    assert_eq!(first.message.msg_type, 3);
    let ok: Vec<_> = out.iter().flatten().collect();
    assert!(ok.iter().all(|d| d.received.is_some()));
    let t5 = ok.iter().filter(|d| d.message.msg_type == 5).count();
    assert!(t5 > 100, "{t5} type 5 reassembled via g: groups");
    assert!(ok.iter().filter(|d| d.message.msg_type == 27).count() > 3000);
    let (_, rejects) = tally(&out);
    assert_eq!(rejects.get(&RejectReason::BadChecksum), None, "{rejects:?}");
    let span = ok
        .iter()
        .filter_map(|d| d.received)
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t.timestamp()), b.max(t.timestamp())));
    // SOURCES.md: 2022-11-10 02:09:52 -> 02:15:17 UTC.
    assert_eq!(span, (1_668_046_192, 1_668_046_517));
}

#[test]
fn dma_pghp_stamps() {
    let bytes = common::read("dma_aislib_stream_example_2010-06-11.txt");
    let out = common::decode_all(&bytes);
    let first = out[0].as_ref().expect("decodes");
    assert_eq!(first.received.map(|t| t.to_rfc3339()), Some("2010-06-11T11:46:11.390+00:00".into()));
    let ok: Vec<_> = out.iter().flatten().collect();
    assert!(ok.iter().all(|d| d.received.is_some()));
    // `!BSVDM` and `!BYVDM` talkers decode like `!AIVDM`; SOURCES.md: 4,018 messages.
    let (types, rejects) = tally(&out);
    let unsupported = rejects.get(&RejectReason::UnsupportedType).copied().unwrap_or(0);
    assert_eq!(ok.len() + unsupported, first_fragments(&bytes), "{rejects:?}");
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    for t in [1, 3, 4, 5, 15, 18, 20, 24] {
        assert!(types.contains_key(&t), "type {t} missing: {types:?}");
    }
}

#[test]
fn dma_abnormal_trailing_and_pghp_stamps() {
    let out = common::decode_all(&common::read("dma_aisabnormal/219165000_ssc_1.ais"));
    let ok: Vec<_> = out.iter().flatten().collect();
    let (_, rejects) = tally(&out);
    // SOURCES.md: 80 messages; the 12 type 10 (UTC inquiry) ones are not decoded.
    assert_eq!(ok.len(), 68);
    assert_eq!(rejects, [(RejectReason::UnsupportedType, 12)].into());
    // Line 2 carries `,1412524603` after the checksum; the type 5 ending on line 15
    // follows `$PGHP,1,2014,10,5,15,57,32,248,...` (a tag block line in between).
    assert_eq!(ok[0].received.map(|t| t.timestamp()), Some(1_412_524_603));
    assert_eq!(ok[1].line, 15);
    assert_eq!(ok[1].received.map(|t| t.to_rfc3339()), Some("2014-10-05T15:57:32.248+00:00".into()));
    assert!(ok.iter().all(|d| d.received.is_some()));
}

#[test]
fn gpsd_log_mixed_with_gnss_sentences() {
    let bytes = common::read("gpsd_daemon_ais/ais-nmea.log");
    let out = common::decode_all(&bytes);
    let (types, rejects) = tally(&out);
    assert!(rejects.is_empty() || rejects.keys().all(|r| *r == RejectReason::UnsupportedType), "{rejects:?}");
    assert_eq!(types.values().sum::<usize>() + rejects.values().sum::<usize>(), first_fragments(&bytes), "{types:?}");
    assert_eq!(first_fragments(&bytes), 171);
}

#[test]
fn record_iterator_over_a_stamped_file() {
    let bytes = common::read("dma_aisabnormal/219165000_ssc_1.ais");
    let mut it = NmeaRecords::new(&bytes[..], DecoderOptions::default());
    let mut positions = 0;
    let mut statics = 0;
    let mut rejects = 0;
    for r in it.by_ref() {
        match r {
            Ok(Record::Position(p)) => {
                positions += 1;
                assert!(p.vessel.is_mmsi());
                assert!((-90.0..=90.0).contains(&p.lat));
            }
            Ok(Record::Static { .. }) => statics += 1,
            Err(_) => rejects += 1,
        }
    }
    assert_eq!(positions, 59, "SOURCES.md: 59 positions");
    assert!(statics > 0);
    assert!(it.io_error().is_none());
    assert_eq!(it.bytes_read(), bytes.len() as u64);
    assert!(rejects < 80);
}

#[test]
fn records_without_time_are_missing_timestamp() {
    let bytes = common::read("pyais_nmea_data_sample.txt");
    let mut reasons: BTreeMap<RejectReason, usize> = BTreeMap::new();
    let mut statics = 0;
    for r in NmeaRecords::new(&bytes[..], DecoderOptions::default()) {
        match r {
            Ok(Record::Static { timestamp, .. }) => {
                assert!(timestamp.is_none());
                statics += 1;
            }
            Ok(Record::Position(_)) => panic!("position without receive time"),
            Err(e) => *reasons.entry(e.reason).or_default() += 1,
        }
    }
    // 2 type 24 halves; the type 5s are all incomplete (see above).
    assert_eq!(statics, 2);
    let missing = reasons.get(&RejectReason::MissingTimestamp).copied().unwrap_or(0);
    let na = reasons.get(&RejectReason::PositionNotAvailable).copied().unwrap_or(0);
    assert_eq!(missing + na, 667 + 76 + 19, "{reasons:?}");
}

#[test]
fn binary_and_non_ascii_lines_are_rejects() {
    let data: &[u8] = b"\xff\xfe\x00garbage\n!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\xc3\xa9\n\x00\x01\x02\n";
    let out = common::decode_all(data);
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|o| o.as_ref().err().map(|r| r.reason) == Some(RejectReason::MalformedSentence)), "{out:?}");
}
