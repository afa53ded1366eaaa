//! Unix epoch stamps whose unit (seconds or milliseconds) is not written down.

/// 1995-01-01T00:00:00Z: no AIS network reported before it (the standard dates from
/// 1998), so an earlier time is a corrupted or wrongly read stamp.
pub const EARLIEST_PLAUSIBLE_SECS: i64 = 788_918_400;
/// 2100-01-01T00:00:00Z: the upper end used to tell the unit of an epoch value apart.
pub(crate) const LATEST_UNIT_SECS: i64 = 4_102_444_800;

/// The unit of an epoch value, chosen by range: seconds when the value read as seconds
/// falls in 1995-2100, milliseconds when read as milliseconds it does; anything else is
/// read as seconds, so that its implausible date shows in the reject rather than a
/// plausible-looking but wrong one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Millis,
}

impl EpochUnit {
    pub fn of(whole: u64) -> EpochUnit {
        let plausible = (EARLIEST_PLAUSIBLE_SECS as u64)..(LATEST_UNIT_SECS as u64);
        if !plausible.contains(&whole) && plausible.contains(&(whole / 1000)) {
            EpochUnit::Millis
        } else {
            EpochUnit::Seconds
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_by_range() {
        assert_eq!(EpochUnit::of(1_668_046_497), EpochUnit::Seconds);
        assert_eq!(EpochUnit::of(1_668_046_497_123), EpochUnit::Millis);
        // Year 9999 in seconds is never read as a 1978 millisecond value.
        assert_eq!(EpochUnit::of(253_402_300_799), EpochUnit::Seconds);
        assert_eq!(EpochUnit::of(0), EpochUnit::Seconds);
        assert_eq!(EpochUnit::of(86_400), EpochUnit::Seconds);
    }
}
