//! A plain SVG plot: the series, the expected band and the flagged points.
//! Written by hand (no plotting crate) because it is one polyline, one polygon and circles.

use std::fmt::Write;

use crate::detector::{DetectorParams, PointScore};
use crate::explain::num;
use crate::series::format_timestamp;

/// Render the scored series as an SVG document.
pub fn svg(title: &str, scores: &[PointScore], p: &DetectorParams) -> String {
    let (w, h, left, right, top, bottom) = (1200.0, 420.0, 70.0, 20.0, 40.0, 40.0);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in scores {
        lo = lo.min(s.value);
        hi = hi.max(s.value);
    }
    if !lo.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    // The band may be far wider than the data (a flat series); clamp it to the data range
    // plus a margin instead of letting it squash the series.
    let margin = ((hi - lo) * 0.1).max(1e-9);
    let (ymin, ymax) = (lo - margin, hi + margin);
    let n = scores.len().max(2) as f64;
    let x = |i: usize| left + (w - left - right) * i as f64 / (n - 1.0);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v.clamp(ymin, ymax) - ymin) / (ymax - ymin));
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(out, r#"<text x="{left}" y="22" font-size="15">{}</text>"#, escape(title));
    // Expected band: upper edge left to right, lower edge back.
    let band: Vec<(usize, (f64, f64))> = scores.iter().filter_map(|s| s.expected.map(|e| (s.index, e))).collect();
    if !band.is_empty() {
        let mut pts = String::new();
        for (i, (_, hi_b)) in &band {
            let _ = write!(pts, "{:.1},{:.1} ", x(*i), y(*hi_b));
        }
        for (i, (lo_b, _)) in band.iter().rev() {
            let _ = write!(pts, "{:.1},{:.1} ", x(*i), y(*lo_b));
        }
        let _ = writeln!(out, r##"<polygon points="{pts}" fill="#9ecae1" fill-opacity="0.45" stroke="none"/>"##);
    }
    let mut line = String::new();
    for s in scores {
        let _ = write!(line, "{:.1},{:.1} ", x(s.index), y(s.value));
    }
    let _ = writeln!(out, r##"<polyline points="{line}" fill="none" stroke="#08519c" stroke-width="1"/>"##);
    for s in scores.iter().filter(|s| s.flagged(p)) {
        let colour = if s.hybrid >= 1.0 { "#d62728" } else { "#ff7f0e" };
        let _ = writeln!(
            out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></circle>"#,
            x(s.index),
            y(s.value),
            escape(&format_timestamp(s.timestamp))
        );
    }
    // Axes and labels.
    let _ = writeln!(
        out,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        h - bottom,
        w - right,
        h - bottom
    );
    let _ = writeln!(out, r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>"#, h - bottom);
    let _ = writeln!(out, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 4.0, y(hi) + 4.0, num(hi));
    let _ = writeln!(out, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 4.0, y(lo) + 4.0, num(lo));
    if let (Some(first), Some(last)) = (scores.first(), scores.last()) {
        let _ =
            writeln!(out, r#"<text x="{left}" y="{}">{}</text>"#, h - bottom + 16.0, format_timestamp(first.timestamp));
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            w - right,
            h - bottom + 16.0,
            format_timestamp(last.timestamp)
        );
    }
    let flagged = scores.iter().filter(|s| s.flagged(p)).count();
    let _ = writeln!(
        out,
        r##"<text x="{}" y="22" text-anchor="end" font-size="12">series (blue), expected range (band), flagged: {flagged} (red = hybrid 1.0, orange = score at or above the flag threshold)</text>"##,
        w - right
    );
    out.push_str("</svg>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
