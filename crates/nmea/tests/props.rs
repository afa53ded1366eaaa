//! Property tests: encode→decode round trips over full field ranges; no input panics.

use lookout_nmea::{encode_position_report, rewrite_mmsi, Decoder, DecoderOptions, PositionFields};
use proptest::prelude::*;

fn fields() -> impl Strategy<Value = PositionFields> {
    (
        (prop_oneof![Just(1u8), Just(2), Just(3), Just(18)], 0u8..4, 0u32..(1 << 30), 0u8..16, any::<i8>()),
        (0u16..1024, any::<bool>(), -(1i32 << 27)..(1 << 27), -(1i32 << 26)..(1 << 26)),
        (0u16..4096, 0u16..512, 0u8..64, any::<bool>()),
    )
        .prop_map(
            |((msg_type, repeat, mmsi, nav_status, rot), (sog, accuracy, lon, lat), (cog, heading, second, raim))| {
                PositionFields {
                    msg_type,
                    repeat,
                    mmsi,
                    nav_status,
                    rot,
                    sog,
                    accuracy,
                    lon,
                    lat,
                    cog,
                    heading,
                    second,
                    raim,
                }
            },
        )
}

fn decode_one(line: &str) -> lookout_nmea::Decoded {
    let mut d = Decoder::new(DecoderOptions::default());
    let mut out = Vec::new();
    d.feed(1, line.as_bytes(), &mut out);
    assert_eq!(out.len(), 1, "{line}");
    out.remove(0).unwrap_or_else(|r| panic!("{line}: {r}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn position_reports_round_trip(f in fields()) {
        let line = encode_position_report(&f, 'B');
        let m = decode_one(&line).message;
        prop_assert_eq!(m.msg_type, f.msg_type);
        prop_assert_eq!(m.repeat, f.repeat);
        prop_assert_eq!(m.mmsi, f.mmsi);
        prop_assert_eq!(m.sog, (f.sog != 1023).then(|| f64::from(f.sog) / 10.0));
        prop_assert_eq!(m.accuracy, Some(f.accuracy));
        prop_assert_eq!(m.lon, (f.lon != 181 * 600_000).then(|| f64::from(f.lon) / 600_000.0));
        prop_assert_eq!(m.lat, (f.lat != 91 * 600_000).then(|| f64::from(f.lat) / 600_000.0));
        prop_assert_eq!(m.cog, (f.cog < 3600).then(|| f64::from(f.cog) / 10.0));
        prop_assert_eq!(m.heading, (f.heading < 360).then_some(f.heading));
        prop_assert_eq!(m.second, (f.second != 60).then_some(f.second));
        prop_assert_eq!(m.raim, Some(f.raim));
        if f.msg_type != 18 {
            prop_assert_eq!(m.nav_status, Some(f.nav_status));
            prop_assert_eq!(m.rot, (f.rot != -128).then_some(f.rot));
        }
    }

    #[test]
    fn rewrite_mmsi_changes_only_the_mmsi(f in fields(), new in 0u32..(1 << 30)) {
        let line = encode_position_report(&f, 'A');
        let rewritten = rewrite_mmsi(&line, new).expect("valid sentence");
        let a = decode_one(&line).message;
        let b = decode_one(&rewritten).message;
        prop_assert_eq!(b.mmsi, new);
        prop_assert_eq!(lookout_nmea::AisMessage { mmsi: new, ..a }, b);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 1..20)) {
        let mut d = Decoder::new(DecoderOptions { max_pending_groups: 3, ..DecoderOptions::default() });
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            d.feed(i as u64 + 1, l, &mut out);
        }
        d.finish(&mut out);
        prop_assert_eq!(d.pending_groups(), 0);
    }

    #[test]
    fn sentence_like_lines_never_panic(
        prefix in "(\\\\[a-z]:[0-9a-z,:-]{0,20}\\*[0-9A-F]{2}\\\\)?",
        total in 0u8..10, num in 0u8..10, seq in "[0-9]?", ch in "[AB12]?",
        payload in "[0-9:;<=>?@A-W`a-w]{0,90}", fill in 0u8..8,
    ) {
        let body = format!("AIVDM,{total},{num},{seq},{ch},{payload},{fill}");
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        let line = format!("{prefix}!{body}*{sum:02X}");
        let mut d = Decoder::new(DecoderOptions { max_pending_groups: 2, ..DecoderOptions::default() });
        let mut out = Vec::new();
        d.feed(1, line.as_bytes(), &mut out);
        d.feed(2, line.as_bytes(), &mut out);
        d.finish(&mut out);
    }
}
