//! Python's `repr(float)`, as the reference oracle prints its numbers; must match
//! CPython byte for byte, because the differential test compares printed output.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
