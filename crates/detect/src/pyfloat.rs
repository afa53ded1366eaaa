//! Python float semantics the reference model's numbers depend on: `round(x, n)`,
//! `max`, `min`. They must match CPython bit for bit, because the dark score and the
//! gap evidence reproduce the reference exactly. (Python's `repr(float)`, a text
//! format of the oracle's output, is [`crate::compat::repr`].)

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
    fn python_max_keeps_leading_nan() {
        assert!(py_max(f64::NAN, 1.0).is_nan());
        assert_eq!(py_max(1.0, f64::NAN), 1.0);
        assert_eq!(py_min(1.0, f64::NAN), 1.0);
    }
}
