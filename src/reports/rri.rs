//! The Relative Rate Index and its 95% confidence interval (docs/domain.md §Disproportionality):
//! RRI = (a ÷ n₁) ÷ (c ÷ n₂), where a of n₁ is the group and c of n₂ the reference group. The
//! interval is MOVER-Wilson (Donner and Zou's method of variance estimates recovery for a
//! ratio, from each rate's Wilson score interval): unlike the log (Katz) interval it keeps
//! each group's uncertainty when a rate is 0 or 1 (a = 0, a = n) and holds at small counts.
//! Pure arithmetic on the counts given; whether a value may be published is the caller's
//! business.

/// z of a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// The interval's method, named in the output.
pub const METHOD: &str = "MOVER-Wilson 95% interval (Donner and Zou, 2012) for the ratio of two rates";

/// An RRI with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RriEstimate {
    pub rri: f64,
    pub low: f64,
    pub high: f64,
}

/// Why an RRI cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRri {
    /// The group's base is empty.
    EmptyBase,
    /// The reference group's base is empty, or it has no events: its rate is 0 and nothing
    /// can be divided by it.
    NoReferenceEvents,
    /// More events than the base (inconsistent counts).
    EventsAboveBase,
}

/// The Wilson score interval of `x` events in `n` (n > 0).
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let p = x / n;
    let z2 = Z_95 * Z_95;
    let centre = p + z2 / (2.0 * n);
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt();
    let d = 1.0 + z2 / n;
    (((centre - half) / d).max(0.0), ((centre + half) / d).min(1.0))
}

/// The RRI of `a` events in a base of `n1` against `c` events in a base of `n2`.
pub fn rri(a: u64, n1: u64, c: u64, n2: u64) -> Result<RriEstimate, NoRri> {
    if a > n1 || c > n2 {
        return Err(NoRri::EventsAboveBase);
    }
    if n2 == 0 || c == 0 {
        return Err(NoRri::NoReferenceEvents);
    }
    if n1 == 0 {
        return Err(NoRri::EmptyBase);
    }
    let (p1, p2) = (a as f64 / n1 as f64, c as f64 / n2 as f64);
    let (l1, u1) = wilson(a as f64, n1 as f64);
    let (l2, u2) = wilson(c as f64, n2 as f64);
    let product = p1 * p2;
    let low = (product - (product * product - l1 * u2 * (2.0 * p1 - l1) * (2.0 * p2 - u2)).max(0.0).sqrt()) / (u2 * (2.0 * p2 - u2));
    let high = (product + (product * product - u1 * l2 * (2.0 * p1 - u1) * (2.0 * p2 - l2)).max(0.0).sqrt()) / (l2 * (2.0 * p2 - l2));
    Ok(RriEstimate { rri: p1 / p2, low: low.max(0.0), high })
}

/// `x` rounded to `places` decimals, for publication.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64) {
        assert!((x - y).abs() < 0.0005, "{x} is not {y}");
    }

    // Each example worked by hand from the formulas: Wilson's interval for p = x/n is
    // (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964; then for θ = p₁/p₂
    // L = (p₁p₂ − √((p₁p₂)² − l₁u₂(2p₁ − l₁)(2p₂ − u₂))) / (u₂(2p₂ − u₂)) and
    // U = (p₁p₂ + √((p₁p₂)² − u₁l₂(2p₁ − u₁)(2p₂ − l₂))) / (l₂(2p₂ − l₂)).

    #[test]
    fn everyone_in_the_group_keeps_its_uncertainty() {
        // 7 of 7 against 58 of 82: p₁ = 1, p₂ = 0.707317, p₁p₂ = 0.707317 (squared 0.500297).
        // Wilson: 7/7 → (0.645670, 1); 58/82 → (0.601342, 0.794737). θ = 1.413793;
        // L = (0.707317 − √(0.500297 − 0.430802)) / 0.492655 = (0.707317 − 0.263619) / 0.492655 = 0.901
        // U = (0.707317 + √(0.500297 − 0.489067)) / 0.489067 = (0.707317 + 0.105975) / 0.489067 = 1.663
        // Not "significant": the log interval gave 1.23 to 1.63 here.
        let e = rri(7, 7, 58, 82).unwrap();
        close(e.rri, 1.414);
        close(e.low, 0.901);
        close(e.high, 1.663);
    }

    #[test]
    fn a_larger_example() {
        // 30 of 1000 against 60 of 4000: RRI 2; Wilson 0.021094–0.042503 and 0.011672–0.019259;
        // L = 1.301, U = 3.078.
        let e = rri(30, 1000, 60, 4000).unwrap();
        close(e.rri, 2.0);
        close(e.low, 1.301);
        close(e.high, 3.078);
    }

    #[test]
    fn the_reverse_comparison_is_the_reciprocal_and_parity_straddles_one() {
        let e = rri(60, 4000, 30, 1000).unwrap();
        close(e.rri, 0.5);
        close(e.low, 1.0 / 3.078);
        close(e.high, 1.0 / 1.301);
        let p = rri(10, 50, 20, 100).unwrap();
        close(p.rri, 1.0);
        assert!(p.low < 1.0 && p.high > 1.0, "{p:?}");
        close(p.low, 0.508);
        close(p.high, 1.911);
    }

    #[test]
    fn a_zero_cell_has_an_rri_of_zero_and_a_finite_upper_limit() {
        // 0 of 50 against 20 of 100: Wilson 0–0.071348 and 0.133367–0.288829; p₁p₂ = 0, so
        // L = 0 and U = √(0.071348·0.133367·0.071348·0.266633) / (0.133367·0.266633)
        //   = √0.000181018 / 0.035560 = 0.013454 / 0.035560 = 0.378.
        let e = rri(0, 50, 20, 100).unwrap();
        assert_eq!(e.rri, 0.0);
        assert_eq!(e.low, 0.0);
        close(e.high, 0.378);
    }

    #[test]
    fn empty_bases_and_no_reference_events_have_no_rri() {
        assert_eq!(rri(5, 50, 0, 100), Err(NoRri::NoReferenceEvents));
        assert_eq!(rri(5, 50, 0, 0), Err(NoRri::NoReferenceEvents));
        assert_eq!(rri(0, 0, 20, 100), Err(NoRri::EmptyBase));
        assert_eq!(rri(60, 50, 20, 100), Err(NoRri::EventsAboveBase));
    }

    #[test]
    fn everyone_in_both_groups_is_parity_with_an_interval_around_it() {
        // a = n₁ and c = n₂: both rates are 1, RRI 1, and the interval is not a point.
        let e = rri(4, 4, 9, 9).unwrap();
        assert_eq!(e.rri, 1.0);
        assert!(e.low < 1.0 && e.high >= 1.0, "{e:?}");
    }

    #[test]
    fn rounding_for_publication() {
        assert_eq!(round(1.2974371, 2), 1.3);
        assert_eq!(round(3.0830009, 3), 3.083);
    }
}
