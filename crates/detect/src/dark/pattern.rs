//! The pattern catalogue: every rule of the dark suspicion score with its code, id,
//! weight key and ko/en label and description for the console's breakdown.

use lookout_model::BreakdownItem;

use crate::dark::params::Weights;

/// One scoring rule outcome. The order of variants is the order rules are evaluated.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    MovingAtOff,
    SlowMovingAtOff,
    SensitiveZone,
    SpecialZone,
    RepeatHigh,
    RepeatLow,
    RecentDark,
    DistanceAnomaly,
    DaytimeFishingOff,
    TeleportBeforeGap,
    Unpermitted,
    VeryLongGap,
    LongGap,
    FishingVesselDark,
    CargoNaturalGap,
    UnderwayDeliberateOff,
    AnchoredNaturalGap,
    HeadingCogMismatch,
    OutOfCoverage,
    /// Not in the reference: the gap began during a receiver outage of its area
    /// (the `reception` detector); fires only when a `reception` rule runs upstream.
    ReceptionOutage,
    /// Not in the reference: most of the gap fell where and when nobody at all was
    /// heard (the observation timeline); fires only in `analyze`, never in `score-dark`.
    Unobserved,
}

/// Static description of a pattern.
#[derive(Clone, Copy, Debug)]
pub struct PatternMeta {
    /// Rule code: `P1`..`P11`, `COV` for the coverage penalty, `RCV` for a receiver outage, `OBS` for
    /// an unobserved silence.
    pub code: &'static str,
    /// Pattern id as the reference reports it, e.g. `moving_at_off`.
    pub id: &'static str,
    /// Key of its points in [`Weights`] (JSON name).
    pub weight_key: &'static str,
    pub label_ko: &'static str,
    pub label_en: &'static str,
    pub description_ko: &'static str,
    pub description_en: &'static str,
}

const fn meta(
    code: &'static str,
    id: &'static str,
    weight_key: &'static str,
    labels: [&'static str; 2],
    descriptions: [&'static str; 2],
) -> PatternMeta {
    PatternMeta {
        code,
        id,
        weight_key,
        label_ko: labels[0],
        label_en: labels[1],
        description_ko: descriptions[0],
        description_en: descriptions[1],
    }
}

const CATALOGUE: [PatternMeta; 21] = [
    meta("P1", "moving_at_off", "P1_moving_off", ["이동중 OFF", "Moving at OFF"],
        ["빠르게 항해하던 중 AIS 송신이 끊김 (기본 5노트 초과)",
         "Transmissions stopped while the vessel was making way fast (above 5 kn by default)"]),
    meta("P1", "slow_moving_at_off", "P1_slow_moving_off", ["저속 이동중 OFF", "Slow moving at OFF"],
        ["저속으로 움직이던 중 AIS 송신이 끊김 (기본 2~5노트)",
         "Transmissions stopped while the vessel moved slowly (2 to 5 kn by default)"]),
    meta("P2", "sensitive_zone", "P2_sensitive_zone", ["민감 수역", "Sensitive zone"],
        ["신호가 끊긴 위치가 영해 또는 접속수역 안",
         "The silence began inside territorial sea or the contiguous zone"]),
    meta("P2", "special_zone", "P2_special_zone", ["특정수역", "Special zone"],
        ["신호가 끊긴 위치가 특정어업수역 안",
         "The silence began inside a special fishing zone"]),
    meta("P3", "repeat_high", "P3_repeat_high", ["반복 dark (고)", "Repeat dark (high)"],
        ["최근 7일 중 여러 날(기본 3일 이상) dark로 판정됨",
         "Flagged dark on many of the last 7 days (3 or more by default)"]),
    meta("P3", "repeat_low", "P3_repeat_low", ["반복 dark (저)", "Repeat dark (low)"],
        ["최근 7일 중 이틀 dark로 판정됨",
         "Flagged dark on two of the last 7 days"]),
    meta("P3", "recent_dark", "P3_recent_dark", ["최근 dark", "Recent dark"],
        ["지난 24시간 안에도 dark 판정 이력이 있음",
         "Already flagged dark within the last 24 hours"]),
    meta("P4", "distance_anomaly", "P4_distance_anomaly", ["이동거리 이상", "Distance anomaly"],
        ["신호 공백 동안 직전 속도로 설명되는 거리보다 훨씬(기본 2배 초과) 멀리 이동",
         "Covered far more ground during the silence than its earlier speed explains (over 2x by default)"]),
    meta("P5", "daytime_fishing_off", "P5_daytime_fishing_off", ["주간 조업중 OFF", "Daytime fishing OFF"],
        ["주간 조업 시간대(기본 06~18시)에 조업 속도로 움직이다 신호가 끊김",
         "Went silent at fishing speed during daytime fishing hours (06-18 local by default)"]),
    meta("P6", "teleport_before_gap", "P6_teleport_before_gap", ["gap 전 텔레포트", "Teleport before gap"],
        ["공백 직전 위치 기록에 물리적으로 불가능한 점프가 있음",
         "The positions just before the silence contain a physically impossible jump"]),
    meta("P7", "unpermitted", "P7_unpermitted", ["무허가", "Unpermitted"],
        ["허가 선박 목록에 없는 선박",
         "The vessel is not on the permit registry"]),
    meta("P8", "very_long_gap", "P8_very_long_gap", ["장기 gap (6h+)", "Very long gap (6h+)"],
        ["신호 공백이 매우 김 (기본 360분 이상)",
         "The silence lasted very long (360 minutes or more by default)"]),
    meta("P8", "long_gap", "P8_long_gap", ["gap (3h+)", "Long gap (3h+)"],
        ["신호 공백이 김 (기본 180분 이상)",
         "The silence lasted long (180 minutes or more by default)"]),
    meta("P9", "fishing_vessel_dark", "P9_fishing_vessel_dark", ["어선 dark", "Fishing vessel dark"],
        ["어선은 조업 은폐를 위해 AIS를 끌 유인이 큼",
         "Fishing vessels have a motive to hide where they fish"]),
    meta("P9", "cargo_natural_gap", "P9_cargo_natural_gap", ["화물선 자연 gap", "Cargo natural gap"],
        ["화물선은 원거리 항해 중 수신 공백이 흔함 (감점)",
         "Cargo ships on long passages often drop out of reception (lowers the score)"]),
    meta("P10", "underway_deliberate_off", "P10_underway_deliberate", ["항행중 의도적 OFF", "Underway deliberate OFF"],
        ["항행 중 상태로 속력을 내던 선박이 갑자기 송신을 멈춤",
         "Reported itself under way at speed, then suddenly stopped transmitting"]),
    meta("P10", "anchored_natural_gap", "P10_anchored_natural", ["정박중 자연 gap", "Anchored natural gap"],
        ["정박 또는 계류 상태의 공백은 대개 자연스러움 (감점)",
         "Silence while at anchor or moored is usually harmless (lowers the score)"]),
    meta("P11", "heading_cog_mismatch", "P11_heading_cog_mismatch", ["방향 불일치", "Heading/COG mismatch"],
        ["선수 방향과 실제 침로가 크게 다름 (기본 60° 초과)",
         "Bow heading and course over ground disagree widely (more than 60 degrees by default)"]),
    meta("COV", "out_of_coverage", "out_of_coverage", ["커버리지 밖", "Out of coverage"],
        ["수신 가능 영역 밖에서 시작된 공백은 자연 소실일 가능성이 큼 (감점)",
         "A silence starting outside receiver coverage is most likely natural (lowers the score)"]),
    meta("RCV", "reception_outage", "reception_outage", ["수신기 장애", "Receiver outage"],
        ["해당 해역 수신기 장애 중에 시작된 공백은 자연 소실일 가능성이 큼 (감점)",
         "The silence began during a detected receiver outage of its area, so it is most likely natural (lowers the score)"]),
    meta("OBS", "unobserved", "unobserved", ["관측 공백", "Unobserved silence"],
        ["공백의 대부분 동안 주변 해역에서 어떤 선박의 보고도 저장되지 않음 (자료 추출 사이 등): 꺼진 증거가 아님 (감점)",
         "For most of the silence nobody at all was heard around it (e.g. between two extracts of the data): no evidence of a switch-off (lowers the score)"]),
];

impl Pattern {
    /// Every pattern, in rule order.
    pub const ALL: [Pattern; 21] = [
        Pattern::MovingAtOff,
        Pattern::SlowMovingAtOff,
        Pattern::SensitiveZone,
        Pattern::SpecialZone,
        Pattern::RepeatHigh,
        Pattern::RepeatLow,
        Pattern::RecentDark,
        Pattern::DistanceAnomaly,
        Pattern::DaytimeFishingOff,
        Pattern::TeleportBeforeGap,
        Pattern::Unpermitted,
        Pattern::VeryLongGap,
        Pattern::LongGap,
        Pattern::FishingVesselDark,
        Pattern::CargoNaturalGap,
        Pattern::UnderwayDeliberateOff,
        Pattern::AnchoredNaturalGap,
        Pattern::HeadingCogMismatch,
        Pattern::OutOfCoverage,
        Pattern::ReceptionOutage,
        Pattern::Unobserved,
    ];

    /// Catalogue entry.
    pub fn meta(self) -> &'static PatternMeta {
        &CATALOGUE[self as usize]
    }

    /// Pattern id, e.g. `moving_at_off`.
    pub fn id(self) -> &'static str {
        self.meta().id
    }

    /// Looks a pattern up by id.
    pub fn from_id(id: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Points this pattern adds (or removes) under `w`.
    pub fn weight(self, w: &Weights) -> i64 {
        match self {
            Pattern::MovingAtOff => w.p1_moving_off,
            Pattern::SlowMovingAtOff => w.p1_slow_moving_off,
            Pattern::SensitiveZone => w.p2_sensitive_zone,
            Pattern::SpecialZone => w.p2_special_zone,
            Pattern::RepeatHigh => w.p3_repeat_high,
            Pattern::RepeatLow => w.p3_repeat_low,
            Pattern::RecentDark => w.p3_recent_dark,
            Pattern::DistanceAnomaly => w.p4_distance_anomaly,
            Pattern::DaytimeFishingOff => w.p5_daytime_fishing_off,
            Pattern::TeleportBeforeGap => w.p6_teleport_before_gap,
            Pattern::Unpermitted => w.p7_unpermitted,
            Pattern::VeryLongGap => w.p8_very_long_gap,
            Pattern::LongGap => w.p8_long_gap,
            Pattern::FishingVesselDark => w.p9_fishing_vessel_dark,
            Pattern::CargoNaturalGap => w.p9_cargo_natural_gap,
            Pattern::UnderwayDeliberateOff => w.p10_underway_deliberate,
            Pattern::AnchoredNaturalGap => w.p10_anchored_natural,
            Pattern::HeadingCogMismatch => w.p11_heading_cog_mismatch,
            Pattern::OutOfCoverage => w.out_of_coverage,
            Pattern::ReceptionOutage => w.reception_outage,
            Pattern::Unobserved => w.unobserved,
        }
    }

    /// One line of a finding's breakdown.
    pub fn breakdown_item(self, w: &Weights) -> BreakdownItem {
        let m = self.meta();
        BreakdownItem {
            code: m.code.to_string(),
            pattern: m.id.to_string(),
            points: self.weight(w),
            label_ko: m.label_ko.to_string(),
            label_en: m.label_en.to_string(),
            description_ko: m.description_ko.to_string(),
            description_en: m.description_en.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_in_variant_order_and_weight_keys_exist() {
        let w = serde_json::to_value(crate::dark::params::DarkParams::default()).unwrap();
        for (i, p) in Pattern::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i);
            assert_eq!(Pattern::from_id(p.id()), Some(*p));
            let key = p.meta().weight_key;
            assert_eq!(w["weights"][key].as_i64(), Some(p.weight(&crate::dark::params::DarkParams::default().weights)));
        }
    }
}
