//! Query parameters arrive as text and are parsed here, so a bad value names its field.

use chrono::{DateTime, Utc};
use lookout_model::Severity;
use lookout_pipeline::{Category, EventStatus};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

pub fn time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| ApiError::bad_request(field, format!("{field}: not an RFC 3339 time ({e})")))
        })
        .transpose()
}

/// `from`/`to` as a half-open range; a reversed range is the caller's mistake.
/// `from` and `to`, each optional.
pub type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

pub fn range(from: Option<&str>, to: Option<&str>) -> Result<Range, ApiError> {
    let (from, to) = (time("from", from)?, time("to", to)?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::bad_request("to", "to: before from"));
        }
    }
    Ok((from, to))
}

pub fn limit(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(v) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request("limit", format!("limit: an integer from 1 to {MAX_LIMIT}"))),
    }
}

pub fn boolean(field: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request(field, format!("{field}: true or false"))),
    }
}

pub fn category(value: Option<&str>) -> Result<Option<Category>, ApiError> {
    parsed("category", value, |v| Category::parse(&v.to_ascii_uppercase()))
}

pub fn status(value: Option<&str>) -> Result<Option<EventStatus>, ApiError> {
    parsed("status", value, |v| EventStatus::parse(&v.to_ascii_uppercase()))
}

pub fn level(value: Option<&str>) -> Result<Option<Severity>, ApiError> {
    parsed("level", value, |v| serde_json::from_value(serde_json::Value::String(v.to_ascii_uppercase())).ok())
}

fn parsed<T>(field: &str, value: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
    value
        .map(|v| parse(v).ok_or_else(|| ApiError::bad_request(field, format!("{field}: unknown value '{v}'"))))
        .transpose()
}

/// A page of a list ordered by a unique key: the cursor is opaque to clients (the hex of
/// the last key returned) and the next page starts after it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

pub fn decode_cursor(value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let bad = || ApiError::bad_request("cursor", "cursor: not a cursor this server returned");
    if v.len() % 2 != 0 || v.is_empty() {
        return Err(bad());
    }
    let bytes = (0..v.len())
        .step_by(2)
        .map(|i| v.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    String::from_utf8(bytes).map(Some).map_err(|_| bad())
}

pub fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Items (sorted by `key`) after `cursor`, at most `limit`.
pub fn page<T>(mut items: Vec<T>, key: impl Fn(&T) -> &str, cursor: Option<&str>, limit: usize) -> Page<T> {
    items.sort_by(|a, b| key(a).cmp(key(b)));
    let start = cursor.map(|c| items.partition_point(|i| key(i) <= c)).unwrap_or(0);
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next_cursor = if more { rest.last().map(|i| encode_cursor(key(i))) } else { None };
    Page { items: rest, next_cursor }
}

/// `min_lon,min_lat,max_lon,max_lat` in degrees.
pub fn bbox(value: Option<&str>) -> Result<Option<lookout_store::BBox>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let bad = |why: &str| ApiError::bad_request("bbox", format!("bbox: {why} (min_lon,min_lat,max_lon,max_lat)"));
    let n: Vec<f64> = v
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("four numbers"))?;
    let [min_lon, min_lat, max_lon, max_lat] = n[..] else { return Err(bad("four numbers")) };
    if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
        return Err(bad("longitudes from -180 to 180"));
    }
    if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
        return Err(bad("latitudes from -90 to 90"));
    }
    if min_lon > max_lon || min_lat > max_lat {
        return Err(bad("a minimum above its maximum"));
    }
    Ok(Some(lookout_store::BBox { min_lon, min_lat, max_lon, max_lat }))
}

/// A findings cursor: `window_start_ms:window_end_ms:seq` of the last finding returned.
pub fn finding_cursor(value: Option<&str>) -> Result<Option<lookout_store::FindingKey>, ApiError> {
    let Some(text) = decode_cursor(value)? else { return Ok(None) };
    let bad = || ApiError::bad_request("cursor", "cursor: not a cursor this server returned");
    let n: Vec<i64> = text.split(':').map(|x| x.parse().ok()).collect::<Option<_>>().ok_or_else(bad)?;
    let [ws, we, seq] = n[..] else { return Err(bad()) };
    let ts = |ms| DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(bad);
    Ok(Some(lookout_store::FindingKey { window_start: ts(ws)?, window_end: ts(we)?, seq }))
}

pub fn encode_finding_cursor(k: &lookout_store::FindingKey) -> String {
    encode_cursor(&format!("{}:{}:{}", k.window_start.timestamp_millis(), k.window_end.timestamp_millis(), k.seq))
}

/// A page from a query asked for `limit + 1` rows: the extra row only says another follows.
pub fn page_of<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(cursor) } else { None };
    Page { items: rows, next_cursor }
}
