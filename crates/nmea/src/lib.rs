//! NMEA 0183 AIS decoding (being written).
