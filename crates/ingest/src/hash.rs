//! A fast non-cryptographic hasher for the per-row hash maps of ingest.
//!
//! Ingest hashes every row (duplicate detection, static-data dedup). SipHash's
//! resistance to crafted collisions buys nothing against a file the user chose to
//! read, and costs a fifth of the ingest time; a collision here only costs a probe.
//! Public for the engine's per-row maps (identity sightings).

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hasher (the FxHash construction).
#[derive(Default)]
pub struct FastHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        for b in chunks.remainder() {
            self.mix(u64::from(*b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    fn write_i64(&mut self, i: i64) {
        self.mix(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// `BuildHasher` for `HashMap`/`HashSet` with [`FastHasher`].
pub type FastBuild = BuildHasherDefault<FastHasher>;
