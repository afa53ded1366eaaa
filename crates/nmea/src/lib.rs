//! NMEA 0183 AIS decoding for Lookout.
//!
//! * [`Decoder`] takes physical lines: `!xxVDM`/`!xxVDO` sentences (any talker), with
//!   optional NMEA 4.0 tag blocks (`\s:..,c:<unix>*hh\`, checksum verified, `g:` groups),
//!   DMA `$PGHP` stamp lines, trailing `,<unix seconds>` and leading receive-time
//!   stamps (see [`stamp`](crate#receive-time-stamps)). It verifies checksums, reassembles
//!   multi-part messages with a bound on pending groups, and decodes types 1-5, 15, 18,
//!   19, 20 (header), 21, 24 and 27 into [`AisMessage`]. Other types are rejected as
//!   `UnsupportedType` with the type number in the detail.
//! * [`to_records`] turns a decoded message into domain [`lookout_model::Record`]s;
//!   [`NmeaRecords`] does it all over a `BufRead`.
//! * [`encode_position_report`] and [`rewrite_mmsi`] build sentences for tests and
//!   benchmarks.
//!
//! # Receive-time stamps
//! Priority, highest first: tag block `c:` (seconds, or milliseconds when more than 10
//! digits), a leading stamp before the sentence (RFC 3339, `YYYY-MM-DD hh:mm:ss[.f]`
//! taken as UTC, or Unix seconds `1609459200[.123]`, separated from the sentence by
//! blanks, `,` or `;`), a trailing `,<unix seconds>` after the checksum, and last the
//! most recent `$PGHP` line or stand-alone tag block (used by the next sentence only).
//! For multi-part messages the first fragment's stamp wins.
//!
//! The hot path (single-sentence messages) does no heap allocation: the payload is
//! de-armored through a lookup table into a stack bit buffer of `u64` words.

mod armor;
mod decoder;
mod encode;
mod message;
mod records;
mod stamp;

pub use armor::Bits;
pub use decoder::{Decoded, Decoder, DecoderOptions, Outcome};
pub use encode::{encode_position_report, encode_static_call_sign, encode_static_name, rewrite_mmsi, PositionFields};
pub use message::AisMessage;
pub use records::{read_line_bounded, to_records, vessel_id, NmeaRecords, DEFAULT_MAX_LINE_BYTES};
