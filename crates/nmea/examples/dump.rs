//! Prints every outcome of a file (debug aid): `cargo run --example dump FILE`.
use lookout_nmea::{Decoder, DecoderOptions};

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(path)?;
    let mut d = Decoder::new(DecoderOptions::default());
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        d.feed(i as u64 + 1, line, &mut out);
    }
    d.finish(&mut out);
    for o in out {
        match o {
            Ok(m) => println!("ok {} type {} {:?}", m.line, m.message.msg_type, m.received),
            Err(r) => println!("err {r}"),
        }
    }
    Ok(())
}
