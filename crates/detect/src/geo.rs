//! Great-circle distance exactly as the reference's haversine shim computes it.

/// Earth radius of the reference model, nautical miles (about 6371 km / 1.852).
pub const EARTH_RADIUS_NM: f64 = 3440.065;

extern "C" {
    // The platform libm `pow`, as CPython's `x ** 2.0` calls it. LLVM rewrites
    // `powf(x, 2.0)` into `x * x`, which can differ from libm in the last bit.
    fn pow(x: f64, y: f64) -> f64;
}

fn py_square(x: f64) -> f64 {
    // SAFETY: `pow` is a pure libm function with no preconditions.
    unsafe { pow(x, std::hint::black_box(2.0)) }
}

fn radians(deg: f64) -> f64 {
    deg * (std::f64::consts::PI / 180.0)
}

/// Haversine distance in nautical miles, replicating the reference's float recipe
/// step by step (`a = sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2)`,
/// `d = R · 2·asin(min(1, √a))`).
///
/// Quirk kept on purpose: Python's `min(1.0, nan)` is `1.0`, so a NaN coordinate gives
/// half the Earth's circumference, not NaN.
pub fn haversine_nm(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let phi1 = radians(lat1);
    let phi2 = radians(lat2);
    let dphi = radians(lat2 - lat1);
    let dlmb = radians(lon2 - lon1);
    let a = py_square((dphi / 2.0).sin()) + phi1.cos() * phi2.cos() * py_square((dlmb / 2.0).sin());
    let root = a.sqrt();
    let clipped = if root < 1.0 { root } else { 1.0 };
    let c = 2.0 * clipped.asin();
    EARTH_RADIUS_NM * c
}

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine; stable for short distances).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// A longitude difference or value brought into `[-180, 180)`.
pub(crate) fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_vessel_a_distance() {
        let d = haversine_nm(35.0, 128.16277, 35.0, 128.48831);
        assert_eq!(crate::pyfloat::round2(d), 16.01);
    }

    #[test]
    fn nan_coordinate_is_half_circumference() {
        let d = haversine_nm(f64::NAN, 0.0, 1.0, 1.0);
        assert_eq!(d, EARTH_RADIUS_NM * (2.0 * 1.0f64.asin()));
    }
}
