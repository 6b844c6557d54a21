//! The Relative Rate Index and its 95% confidence interval (docs/domain.md §Disproportionality):
//! RRI = (a ÷ n₁) ÷ (c ÷ n₂), where a of n₁ is the group and c of n₂ the reference group;
//! SE(ln RRI) = √(1/a − 1/n₁ + 1/c − 1/n₂); CI = exp(ln RRI ± 1.96·SE). Pure arithmetic on
//! the true counts; whether a value may be published is the caller's business.

/// z of a two-sided 95% interval.
const Z_95: f64 = 1.96;

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
    /// The group has no events: the RRI is 0 and its logarithm (so its interval) undefined.
    NoEvents,
    /// More events than the base (inconsistent counts).
    EventsAboveBase,
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
    if a == 0 {
        return Err(NoRri::NoEvents);
    }
    let (a, n1, c, n2) = (a as f64, n1 as f64, c as f64, n2 as f64);
    let rri = (a / n1) / (c / n2);
    // Each term 1/a − 1/n₁ is ≥ 0 since a ≤ n₁; max guards against rounding below zero.
    let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2).max(0.0).sqrt();
    let ln = rri.ln();
    Ok(RriEstimate { rri, low: (ln - Z_95 * se).exp(), high: (ln + Z_95 * se).exp() })
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

    #[test]
    fn hand_worked_example() {
        // a = 30 of n₁ = 1000 (3%) against c = 60 of n₂ = 4000 (1.5%): RRI = 0.03 / 0.015 = 2.
        // SE² = 1/30 − 1/1000 + 1/60 − 1/4000
        //     = 0.0333333 − 0.001 + 0.0166667 − 0.00025 = 0.04875; SE = 0.220794.
        // ln 2 = 0.693147; 1.96 × SE = 0.432756.
        // low  = exp(0.693147 − 0.432756) = exp(0.260391) = 1.297
        // high = exp(0.693147 + 0.432756) = exp(1.125903) = 3.083
        let e = rri(30, 1000, 60, 4000).unwrap();
        close(e.rri, 2.0);
        close(e.low, 1.297);
        close(e.high, 3.083);
    }

    #[test]
    fn a_second_hand_worked_example_below_parity() {
        // The reverse comparison: 60 of 4000 against 30 of 1000 gives 0.5, and the interval
        // is the reciprocal of the one above: 1/3.083 = 0.324, 1/1.297 = 0.771.
        let e = rri(60, 4000, 30, 1000).unwrap();
        close(e.rri, 0.5);
        close(e.low, 0.324);
        close(e.high, 0.771);
    }

    #[test]
    fn equal_rates_give_parity() {
        // 10 of 50 and 20 of 100 are both 20%: RRI 1; SE² = 1/10 − 1/50 + 1/20 − 1/100 = 0.12,
        // SE = 0.346410, interval exp(±0.678964) = 0.507 to 1.972.
        let e = rri(10, 50, 20, 100).unwrap();
        close(e.rri, 1.0);
        close(e.low, 0.507);
        close(e.high, 1.972);
    }

    #[test]
    fn zero_events_and_empty_bases_have_no_rri() {
        assert_eq!(rri(0, 50, 20, 100), Err(NoRri::NoEvents));
        assert_eq!(rri(5, 50, 0, 100), Err(NoRri::NoReferenceEvents));
        assert_eq!(rri(5, 50, 0, 0), Err(NoRri::NoReferenceEvents));
        assert_eq!(rri(0, 0, 20, 100), Err(NoRri::EmptyBase));
        assert_eq!(rri(60, 50, 20, 100), Err(NoRri::EventsAboveBase));
    }

    #[test]
    fn everyone_in_both_groups_gives_a_point_interval() {
        // a = n₁ and c = n₂: both rates are 1, SE = 0.
        let e = rri(4, 4, 9, 9).unwrap();
        assert_eq!((e.rri, e.low, e.high), (1.0, 1.0, 1.0));
    }

    #[test]
    fn rounding_for_publication() {
        assert_eq!(round(1.2974371, 2), 1.3);
        assert_eq!(round(3.0830009, 3), 3.083);
    }
}
