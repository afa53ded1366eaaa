//! Column names: which header column plays which role, for every CSV layout.
//!
//! Names are compared after [`normalise`] (lower case, letters and digits only), so
//! `# Timestamp`, `Local.Time`, `navigational_status` and `Ship type` need one alias each.

use super::Format;

/// What a CSV column means to Lookout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Id,
    Time,
    Lat,
    Lon,
    Sog,
    Cog,
    Heading,
    NavStatus,
    ShipType,
    Name,
    Imo,
    CallSign,
    Length,
    Width,
    /// The AIS message type of the row (GFW's `type`: `AIS.1`, `AIS.5`): read so it is
    /// never taken for a ship type; rows are told apart by whether they hold a position.
    MessageType,
}

impl Role {
    pub(super) const ALL: [Role; 15] = [
        Role::Id,
        Role::Time,
        Role::Lat,
        Role::Lon,
        Role::Sog,
        Role::Cog,
        Role::Heading,
        Role::NavStatus,
        Role::ShipType,
        Role::Name,
        Role::Imo,
        Role::CallSign,
        Role::Length,
        Role::Width,
        Role::MessageType,
    ];

    /// Canonical (generic-format) name, used in messages.
    pub(super) fn name(self) -> &'static str {
        self.aliases()[0]
    }

    /// Short label for notes ("vessel=ID, time=Local.Time").
    fn label(self) -> &'static str {
        match self {
            Role::Id => "vessel",
            Role::Time => "time",
            Role::NavStatus => "status",
            Role::ShipType => "type",
            Role::MessageType => "message type",
            other => other.name(),
        }
    }

    /// Accepted normalised names, best first: when two columns match (`Local.Time` and
    /// `time`, or DMA's `# Timestamp` and `DateTime`), the earlier alias wins.
    ///
    /// Korean names follow Korea Coast Guard / KRISO AIS exports: 선박ID/선박번호 (vessel
    /// id), 일시/시각/수신일시 (time), 위도/경도, 대지속력/속력 (SOG), 대지침로/침로 (COG),
    /// 선수방위 (heading), 항해상태 (nav status), 선종/선종코드 (ship type), 선명 (name),
    /// 호출부호 (call sign), 전장/길이 (length), 선폭/폭 (width).
    pub(super) fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::Id => &[
                "mmsi",
                "ssvid",
                "vesselid",
                "vessel",
                "shipid",
                "id",
                "vid",
                "선박id",
                "선박번호",
                "mmsi번호",
                "해상이동업무식별번호",
            ],
            Role::Time => &[
                "timestamp",
                "basedatetime",
                "localtime",
                "datetime",
                "time",
                "일시",
                "시각",
                "수신일시",
                "수신시각",
                "일시utc",
                "시간",
                "date",
            ],
            Role::Lat => &["lat", "latitude", "y", "위도"],
            Role::Lon => &["lon", "longitude", "long", "lng", "x", "경도"],
            Role::Sog => &["sog", "speed", "speedknots", "speedoverground", "대지속력", "속력", "속도"],
            Role::Cog => &["cog", "course", "courseoverground", "대지침로", "침로"],
            Role::Heading => &["heading", "trueheading", "hdg", "선수방위", "선수방향"],
            Role::NavStatus => &["navstatus", "navigationalstatus", "status", "항해상태", "항행상태"],
            Role::ShipType => &["shiptype", "vesseltype", "type", "shiptypecode", "선종", "선종코드", "선박종류"],
            Role::Name => &["name", "vesselname", "shipname", "선명", "선박명"],
            Role::Imo => &["imo", "imonumber", "imo번호"],
            Role::CallSign => &["callsign", "호출부호"],
            Role::Length => &["length", "전장", "길이", "선박길이"],
            Role::Width => &["width", "beam", "선폭", "폭"],
            Role::MessageType => &["messagetype", "msgtype"],
        }
    }

    /// [`Role::aliases`] as `format` names its columns: in GFW's message layout `type`
    /// is the message type (`AIS.1`), not the ship type.
    fn aliases_in(self, format: Format) -> &'static [&'static str] {
        match (format, self) {
            (Format::GfwCsv, Role::ShipType) => &["shiptype", "vesseltype"],
            (Format::GfwCsv, Role::MessageType) => &["type", "messagetype", "msgtype"],
            _ => self.aliases(),
        }
    }

    fn required(self) -> bool {
        matches!(self, Role::Id | Role::Time | Role::Lat | Role::Lon)
    }
}

/// Lower case, letters and digits only (any script).
pub(super) fn normalise(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// For the named layouts, the exact column a required role must come from: forcing
/// `--format marinecadastre` on a DMA file should fail on the header, not guess.
fn exact_required(format: Format) -> &'static [(Role, &'static str)] {
    match format {
        Format::MarineCadastre => {
            &[(Role::Id, "MMSI"), (Role::Time, "BaseDateTime"), (Role::Lat, "LAT"), (Role::Lon, "LON")]
        }
        Format::DmaAisdk => {
            &[(Role::Id, "MMSI"), (Role::Time, "# Timestamp"), (Role::Lat, "Latitude"), (Role::Lon, "Longitude")]
        }
        Format::DmaResampled => &[
            (Role::Id, "MMSI"),
            (Role::Time, "Timestamp"),
            (Role::Lat, "Latitude"),
            (Role::Lon, "Longitude"),
            (Role::Sog, "SOG"),
        ],
        Format::GfwCsv => &[(Role::Id, "ssvid"), (Role::Time, "timestamp"), (Role::Lat, "lat"), (Role::Lon, "lon")],
        Format::Generic | Format::Nmea | Format::GfwJsonl => &[],
    }
}

/// (role label, header column) pairs: which column was read for what.
pub(super) type ColumnMapping = Vec<(String, String)>;

/// Column index per role, resolved once from the header.
#[derive(Clone, Debug, Default)]
pub(super) struct Columns {
    idx: [Option<usize>; Role::ALL.len()],
}

impl Columns {
    pub(super) fn get(&self, role: Role) -> Option<usize> {
        self.idx[role as usize]
    }

    pub(super) fn any_static(&self) -> bool {
        [Role::Name, Role::Imo, Role::CallSign, Role::ShipType, Role::Length, Role::Width]
            .iter()
            .any(|r| self.get(*r).is_some())
    }

    /// (role label, header column) for every role a column was found for, in role order.
    pub(super) fn mapping(&self, header: &[String]) -> ColumnMapping {
        Role::ALL
            .iter()
            .filter_map(|r| self.get(*r).and_then(|i| header.get(i)).map(|h| (r.label().to_string(), h.clone())))
            .collect()
    }

    /// "vessel=MMSI, time=BaseDateTime, ...; not read: VesselName2" for the reader's notes.
    pub(super) fn describe(&self, header: &[String]) -> String {
        let used: Vec<String> = self.mapping(header).iter().map(|(role, col)| format!("{role}={col}")).collect();
        let unused: Vec<&str> =
            header.iter().enumerate().filter(|(i, _)| !self.idx.contains(&Some(*i))).map(|(_, h)| h.as_str()).collect();
        if unused.is_empty() {
            used.join(", ")
        } else {
            format!("{}; not read: {}", used.join(", "), unused.join(", "))
        }
    }
}

/// A required column the header lacks.
#[derive(Debug)]
pub(super) struct Missing {
    pub column: &'static str,
    pub accepted: String,
}

/// Maps header columns to roles for `format`.
pub(super) fn resolve(format: Format, header: &[String]) -> Result<Columns, Missing> {
    let norm: Vec<String> = header.iter().map(|h| normalise(h)).collect();
    let exact = exact_required(format);
    let mut cols = Columns::default();
    for role in Role::ALL {
        let exact_name = exact.iter().find(|(r, _)| *r == role).map(|(_, n)| *n);
        let found = match exact_name {
            Some(name) => {
                let want = normalise(name);
                norm.iter().position(|n| *n == want)
            }
            None => best_match(role.aliases_in(format), &norm),
        };
        if found.is_none() && role.required() {
            let accepted = exact_name.map_or_else(|| role.aliases().join(", "), str::to_string);
            return Err(Missing { column: exact_name.unwrap_or(role.name()), accepted });
        }
        cols.idx[role as usize] = found;
    }
    Ok(cols)
}

fn best_match(aliases: &[&str], norm: &[String]) -> Option<usize> {
    aliases.iter().find_map(|alias| norm.iter().position(|n| n == alias))
}

/// Picks a CSV layout from the header, `None` when no column is recognised at all.
pub(super) fn detect_csv(raw_header: &[String]) -> Option<Format> {
    let norm: Vec<String> = raw_header.iter().map(|h| normalise(h)).collect();
    let has = |n: &str| norm.iter().any(|c| c == n);
    if has("mmsi") && has("basedatetime") && has("lat") && has("lon") {
        return Some(Format::MarineCadastre);
    }
    // GFW's message export: `ssvid` plus its own `seg_id` or `speed_knots`.
    if has("ssvid") && (has("segid") || has("speedknots")) && has("lat") && has("lon") {
        return Some(Format::GfwCsv);
    }
    let dma_timestamp = raw_header.iter().any(|h| h.trim_start().starts_with('#') && normalise(h) == "timestamp");
    if dma_timestamp && has("mmsi") {
        return Some(Format::DmaAisdk);
    }
    let mut sorted = norm.clone();
    sorted.sort();
    if sorted == ["cog", "latitude", "longitude", "mmsi", "segment", "sog", "timestamp"] {
        return Some(Format::DmaResampled);
    }
    let recognised = norm.iter().any(|n| Role::ALL.iter().any(|r| r.aliases().contains(&n.as_str())));
    recognised.then_some(Format::Generic)
}

/// The delimiter that occurs most in the header line (`,` when none does).
pub(super) fn sniff_delimiter(header_line: &str) -> u8 {
    let mut best = (0, b',');
    for d in [b',', b';', b'\t', b'|'] {
        let n = header_line.bytes().filter(|b| *b == d).count();
        if n > best.0 {
            best = (n, d);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn picks_best_alias_not_first_column() {
        let h = header("rowid,Local.Time,Year,month,day,time,ampm,ID,Type,Length,SOG,COG,Latitude,Longitude");
        let c = resolve(Format::Generic, &h).expect("resolves");
        assert_eq!(c.get(Role::Time), Some(1));
        assert_eq!(c.get(Role::Id), Some(7));
        let h = header("MMSI,DateTime,# Timestamp,Latitude,Longitude,SOG,Heading,Ship type");
        assert_eq!(detect_csv(&h), Some(Format::DmaAisdk));
        assert_eq!(resolve(Format::DmaAisdk, &h).expect("resolves").get(Role::Time), Some(2));
    }

    #[test]
    fn gfw_messages_type_is_the_message_type() {
        let h = header("ssvid,seg_id,timestamp,lat,lon,speed_knots,course,heading,type,shipname,callsign,imo");
        assert_eq!(detect_csv(&h), Some(Format::GfwCsv));
        let c = resolve(Format::GfwCsv, &h).expect("resolves");
        assert_eq!(c.get(Role::Sog), Some(5));
        assert_eq!(c.get(Role::MessageType), Some(8));
        assert_eq!(c.get(Role::ShipType), None);
        assert_eq!(c.get(Role::Name), Some(9));
        assert!(c.describe(&h).ends_with("; not read: seg_id"), "{}", c.describe(&h));
        // Elsewhere a `type` column is still a ship type.
        assert_eq!(resolve(Format::Generic, &h).expect("resolves").get(Role::ShipType), Some(8));
    }

    #[test]
    fn korean_headers() {
        let h = header("선박ID,수신일시,위도,경도,대지속력,대지침로,선수방위,항해상태,선종,선명");
        assert_eq!(detect_csv(&h), Some(Format::Generic));
        let c = resolve(Format::Generic, &h).expect("resolves");
        assert_eq!(c.get(Role::Heading), Some(6));
        assert_eq!(c.get(Role::Name), Some(9));
    }
}
