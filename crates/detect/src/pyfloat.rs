//! Python float semantics the reference model's output depends on: `round(x, n)` and
//! `repr(x)`. Both must match CPython bit for bit, because the differential test
//! compares printed bytes.

/// `round(x, ndigits)` as CPython computes it: the decimal rounding of the *exact*
/// binary value of `x`, ties to even, converted back to the nearest double.
///
/// `(x * 100.0).round() / 100.0` is not the same: the product is itself rounded, and
/// `f64::round` breaks ties away from zero.
pub fn py_round(x: f64, ndigits: u32) -> f64 {
    if !x.is_finite() || ndigits > 22 {
        return x;
    }
    let scale = 10f64.powi(ndigits as i32);
    let y = x * scale;
    // Fast path: when the scaled value is clearly away from a .5 boundary, the product's
    // rounding error cannot change the chosen integer, and `k / scale` is the correctly
    // rounded double of the decimal `k * 10^-n` (both operands are exact).
    if y.is_finite() && y.abs() < 4.0e15 {
        let floor = y.floor();
        let frac = y - floor;
        if (frac - 0.5).abs() > y.abs() * 1.0e-15 + 1.0e-300 {
            let k = if frac < 0.5 { floor } else { floor + 1.0 };
            let r = k / scale;
            return if r == 0.0 { 0.0f64.copysign(x) } else { r };
        }
    }
    round_exact(x, ndigits)
}

/// `round(x, 2)`: the rounding used for `gap_distance_nm` and `avg_sog_before`.
pub fn round2(x: f64) -> f64 {
    py_round(x, 2)
}

/// Slow path: round the exact decimal expansion of `x` (every finite double has one
/// of at most 1074 fractional digits) with ties to even, then parse it back.
fn round_exact(x: f64, ndigits: u32) -> f64 {
    let text = format!("{:.1100}", x.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let n = ndigits as usize;
    let kept = &frac_part[..n.min(frac_part.len())];
    let rest = frac_part.get(n..).unwrap_or("");
    let mut digits: Vec<u8> = int_part.bytes().chain(kept.bytes()).collect();
    let first = rest.bytes().next().unwrap_or(b'0');
    let beyond_nonzero = rest.bytes().skip(1).any(|b| b != b'0');
    let last_odd = digits.last().is_some_and(|d| (d - b'0') % 2 == 1);
    let round_up = first > b'5' || (first == b'5' && (beyond_nonzero || last_odd));
    if round_up {
        increment_decimal(&mut digits);
    }
    let split = digits.len() - n;
    let mut s = String::with_capacity(digits.len() + 2);
    if x.is_sign_negative() {
        s.push('-');
    }
    s.push_str(std::str::from_utf8(&digits[..split]).unwrap_or("0"));
    s.push('.');
    s.push_str(std::str::from_utf8(&digits[split..]).unwrap_or("0"));
    s.push('0');
    s.parse().unwrap_or(x)
}

fn increment_decimal(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

/// Python's `repr(float)`: shortest round-trip digits; fixed notation when the decimal
/// exponent is in [-4, 16), otherwise `d.ddde±XX`; always a `.0` on integral values.
/// NaN and infinities give `nan`, `inf`, `-inf`.
pub fn py_repr(x: f64) -> String {
    let mut out = String::with_capacity(24);
    write_py_repr(&mut out, x);
    out
}

/// Appends [`py_repr`] of `x` to `out` (no intermediate allocation for the caller).
pub fn write_py_repr(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let mut sci = String::with_capacity(32);
    let _ = write!(sci, "{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1;
    if x < 0.0 {
        out.push('-');
    }
    if decpt > -4 && decpt <= 16 {
        write_fixed(out, &digits, decpt);
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

fn write_fixed(out: &mut String, digits: &str, decpt: i32) {
    let len = digits.len() as i32;
    if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(digits);
    } else if decpt >= len {
        out.push_str(digits);
        for _ in 0..(decpt - len) {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
}

/// Python's `max(a, b)`: keeps `a` unless `b > a`, so a NaN in first place survives
/// (Rust's `f64::max` would drop it).
pub fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Python's `min(a, b)`: keeps `a` unless `b < a`.
pub fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_even_on_exact_binary_value() {
        assert_eq!(round2(2.675), 2.67);
        assert_eq!(round2(0.125), 0.12);
        assert_eq!(round2(0.375), 0.38);
        assert_eq!(round2(0.625), 0.62);
        assert_eq!(round2(1.005), 1.0);
        assert_eq!(round2(16.00543), 16.01);
        assert_eq!(round2(-0.125), -0.12);
        assert_eq!(round2(-0.001).to_bits(), (-0.0f64).to_bits());
        assert_eq!(py_round(0.25, 1), 0.2);
        assert_eq!(py_round(0.35, 1), 0.3);
        assert_eq!(py_round(120.05, 1), 120.0);
        assert!(round2(f64::NAN).is_nan());
        assert_eq!(round2(1e300), 1e300);
        assert_eq!(round2(4503599627370497.0), 4503599627370497.0);
    }

    #[test]
    fn repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (35.0, "35.0"),
            (0.1, "0.1"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (-0.0, "-0.0"),
            (128.16277, "128.16277"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5e-7, "-2.5e-07"),
            (100.0, "100.0"),
        ];
        for (x, want) in cases {
            assert_eq!(py_repr(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn python_max_keeps_leading_nan() {
        assert!(py_max(f64::NAN, 1.0).is_nan());
        assert_eq!(py_max(1.0, f64::NAN), 1.0);
        assert_eq!(py_min(1.0, f64::NAN), 1.0);
    }
}
