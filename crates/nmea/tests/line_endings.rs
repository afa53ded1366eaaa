//! Every line ending is read: real NMEA files rewritten with CRLF, CR-only and randomly
//! mixed endings (LF, CRLF, CR and the reversed LF CR) give the same records as with LF.

mod common;

use std::io::Cursor;

use lookout_nmea::{DecoderOptions, NmeaRecords};
use proptest::prelude::*;

fn records(bytes: &[u8]) -> Vec<String> {
    NmeaRecords::new(Cursor::new(bytes.to_vec()), DecoderOptions::default())
        .map(|r| match r {
            Ok(rec) => format!("{rec:?}"),
            // Line numbers depend on how many line breaks came before: compare the rest.
            Err(rej) => format!("reject {} {}", rej.reason, rej.detail),
        })
        .collect()
}

fn rejoin(bytes: &[u8], ending: impl Fn(usize) -> &'static [u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for (i, line) in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        out.extend_from_slice(line);
        out.extend_from_slice(ending(i));
    }
    out
}

/// The DMA stream stamps each sentence with the `$PGHP` line before it, so a lost line
/// break would also move stamps; the GFW listener's tag blocks group multi-part messages.
const FILES: [&str; 2] = ["dma_aislib_stream_example_2010-06-11.txt", "gfw_ais_listener/nmea-with-tagblock.txt"];

#[test]
fn crlf_and_cr_only_read_like_lf() {
    for f in FILES {
        let lf = common::read(f);
        let want = records(&rejoin(&lf, |_| b"\n"));
        assert!(want.iter().filter(|r| !r.starts_with("reject")).count() > 100, "{f}: too few records");
        assert_eq!(records(&rejoin(&lf, |_| b"\r\n")), want, "{f}: CRLF");
        assert_eq!(records(&rejoin(&lf, |_| b"\r")), want, "{f}: CR only");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn mixed_endings_read_like_lf(seed in any::<u64>()) {
        const ENDINGS: [&[u8]; 4] = [b"\n", b"\r\n", b"\r", b"\n\r"];
        for f in FILES {
            let lf = common::read(f);
            let want = records(&rejoin(&lf, |_| b"\n"));
            let mixed = rejoin(&lf, |i| {
                let x = (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                ENDINGS[(x >> 62) as usize]
            });
            prop_assert_eq!(records(&mixed), want);
        }
    }
}
