//! How the programme report cuts time into periods, and turns a value into a figure the
//! disclosure rule lets it publish: a mean, median and quartiles, a value or a share, each
//! only over enough people.

use chrono::{Datelike, NaiveDate};

use super::disclosure::Rule;
use super::dto::{ReportDisclosureRule, ReportFigure, ReportGroupBy};
use crate::config::DisclosureMode;

/// The period a month ("YYYY-MM") falls in.
pub fn period_of(month: &str, group_by: ReportGroupBy) -> String {
    match group_by {
        ReportGroupBy::Month => month.to_string(),
        ReportGroupBy::Quarter => {
            let year = month.get(..4).unwrap_or("");
            let m: u32 = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
            format!("{year}-Q{}", m.clamp(1, 12).div_ceil(3))
        }
    }
}

pub(super) fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Every period from the first month to the last, in order.
pub fn periods_between(first: NaiveDate, last: NaiveDate, group_by: ReportGroupBy) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first);
    while d <= last {
        let p = period_of(&month_key(d), group_by);
        if out.last() != Some(&p) {
            out.push(p);
        }
        match d.checked_add_months(chrono::Months::new(1)) {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

/// The first and last day of a period label.
pub fn bounds_of(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let year: i32 = period.get(..4)?.parse().ok()?;
    let (first_month, months) = if let Some(q) = period.strip_prefix(&format!("{year}-Q")) {
        let q: u32 = q.parse().ok()?;
        (3 * (q - 1) + 1, 3)
    } else {
        (period.get(5..7)?.parse().ok()?, 1)
    };
    let start = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let end = start.checked_add_months(chrono::Months::new(months))?.pred_opt()?;
    Some((start, end))
}

/// The `p`-quantile (0–1) of sorted values, interpolated linearly (Hyndman–Fan type 7, the
/// default of R and NumPy).
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

pub(super) fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

pub(super) fn withheld(rule: &Rule) -> String {
    format!("Not shown: fewer than {} people.", rule.min_people())
}

/// Median and quartiles (and mean) of `values`, published only over enough people.
pub(super) fn quantile_figure(rule: &Rule, period: &str, values: &[f64]) -> ReportFigure {
    let n = values.len() as u64;
    let mut fig = ReportFigure {
        period: period.into(),
        people: rule.count(n),
        mean: None,
        median: None,
        q1: None,
        q3: None,
        value: None,
        note: None,
    };
    if n == 0 {
        fig.note = Some("No one in this period.".into());
    } else if !rule.average_allowed(n) {
        fig.note = Some(format!("Not shown: fewer than {} people.", rule.min_people_for_averages()));
    } else {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        fig.mean = Some(round(v.iter().sum::<f64>() / n as f64, 2));
        fig.median = quantile(&v, 0.5).map(|x| round(x, 2));
        fig.q1 = quantile(&v, 0.25).map(|x| round(x, 2));
        fig.q3 = quantile(&v, 0.75).map(|x| round(x, 2));
    }
    fig
}

/// A value (a total or a share) over `people`, published only over enough of them.
pub(super) fn value_figure(rule: &Rule, period: &str, people: u64, value: f64, places: i32) -> ReportFigure {
    let allowed = people > 0 && rule.statistic_allowed(people);
    ReportFigure {
        period: period.into(),
        people: rule.count(people),
        mean: None,
        median: None,
        q1: None,
        q3: None,
        value: allowed.then(|| round(value, places)),
        note: if people == 0 {
            Some("No one in this period.".into())
        } else if allowed {
            None
        } else {
            Some(withheld(rule))
        },
    }
}

/// A share `numerator / n` (0–1), rounded to whole per cent, over `people`. Published only
/// when it cannot give away a count the rule hides: `people` and `n` are enough for a
/// statistic, and both the numerator and `n − numerator` would be shown by the rule
/// (`numerator_hidden` says the numerator is hidden where it is published, e.g. by a table's
/// secondary suppression). Otherwise null with a note: a share to three decimals over 9
/// people would turn a hidden 1 into 0.111.
pub(super) fn share_figure(rule: &Rule, period: &str, people: u64, numerator: u64, n: u64, numerator_hidden: bool) -> ReportFigure {
    let mut fig = value_figure(rule, period, people, 0.0, 2);
    if people == 0 || n == 0 {
        fig.value = None;
        fig.note = Some("No one in this period.".into());
        return fig;
    }
    let rest = n.saturating_sub(numerator);
    let safe = rule.statistic_allowed(people)
        && rule.statistic_allowed(n)
        && !numerator_hidden
        && !rule.count(numerator.min(n)).is_hidden()
        && !rule.count(rest).is_hidden();
    if safe {
        fig.value = Some(round(numerator.min(n) as f64 / n as f64, 2));
        fig.note = None;
    } else {
        fig.value = None;
        fig.note = Some(if rule.statistic_allowed(people) && rule.statistic_allowed(n) {
            "Not shown: it would reveal a count the disclosure rule hides.".into()
        } else {
            withheld(rule)
        });
    }
    fig
}

/// The rule in force, in figures and in words.
pub fn disclosure_rule(rule: &Rule) -> ReportDisclosureRule {
    let (mode, description) = match rule.mode {
        DisclosureMode::Nhs => (
            "nhs",
            "Counts follow NHS Digital's rule for published statistics: 0 is shown as 0, 1 to 7 as \"*\", and 8 or more \
             rounded to the nearest 5 (totals are rounded on their own). Shares are shown only over 8 or more people; \
             means, medians and quartiles only over 10 or more."
                .to_string(),
        ),
        DisclosureMode::Threshold => (
            "threshold",
            format!(
                "Counts from 1 to {} are hidden; where a table has totals, further cells are hidden so that no hidden \
                 count can be worked out from the totals. Every hidden count is shown as \"[c]\", whichever the reason. \
                 Shares are shown only over {} or more people; means, medians and quartiles only over {} or more.",
                rule.k.saturating_sub(1),
                rule.k,
                rule.min_people_for_averages()
            ),
        ),
    };
    ReportDisclosureRule {
        mode: mode.into(),
        k: rule.k,
        min_people: rule.min_people(),
        min_people_for_averages: rule.min_people_for_averages(),
        hidden_symbol: rule.hidden_symbol(),
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::disclosure::Published;

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 0.75), Some(3.25));
        assert_eq!(quantile(&[7.0], 0.25), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn months_fold_into_quarters() {
        assert_eq!(period_of("2026-01", ReportGroupBy::Quarter), "2026-Q1");
        assert_eq!(period_of("2026-09", ReportGroupBy::Quarter), "2026-Q3");
        assert_eq!(period_of("2026-10", ReportGroupBy::Quarter), "2026-Q4");
        assert_eq!(period_of("2026-10", ReportGroupBy::Month), "2026-10");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(periods_between(d(2026, 2, 10), d(2026, 7, 1), ReportGroupBy::Quarter), ["2026-Q1", "2026-Q2", "2026-Q3"]);
        assert_eq!(periods_between(d(2026, 11, 10), d(2027, 1, 1), ReportGroupBy::Month), ["2026-11", "2026-12", "2027-01"]);
        assert_eq!(bounds_of("2026-Q3"), Some((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(bounds_of("2026-02"), Some((d(2026, 2, 1), d(2026, 2, 28))));
    }

    #[test]
    fn statistics_over_too_few_people_are_withheld() {
        let rule = Rule { mode: DisclosureMode::Threshold, k: 3 };
        let f = quantile_figure(&rule, "total", &[1.0, 9.0]);
        assert_eq!(f.median, None);
        assert!(f.note.is_some());
        assert_eq!(f.people, Published::Hidden("[c]".into()));
        // Quartiles over nine people: withheld (three of five values follow from them over
        // five people); over ten, shown.
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        let f = quantile_figure(&rule, "total", &nine);
        assert_eq!((f.median, f.q1, f.q3, f.mean), (None, None, None, None));
        assert!(f.note.as_deref().unwrap_or("").contains("fewer than 10"));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let f = quantile_figure(&rule, "total", &ten);
        assert_eq!((f.median, f.q1, f.q3, f.mean), (Some(5.5), Some(3.25), Some(7.75), Some(5.5)));
        // A share needs only k.
        let v = value_figure(&rule, "total", 2, 0.5, 3);
        assert_eq!(v.value, None);
        let v = value_figure(&rule, "total", 3, 2.0 / 3.0, 3);
        assert_eq!(v.value, Some(0.667));
    }

    #[test]
    fn means_medians_and_quartiles_need_ten_people_and_shares_the_nhs_minimum_of_eight() {
        let rule = Rule { mode: DisclosureMode::Nhs, k: 5 };
        let seven: Vec<f64> = (1..=7).map(f64::from).collect();
        let f = quantile_figure(&rule, "total", &seven);
        assert_eq!((f.mean, f.median, f.q1, f.q3), (None, None, None, None));
        assert_eq!(f.people, Published::Hidden("*".into()));
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        let f = quantile_figure(&rule, "total", &nine);
        assert_eq!((f.mean, f.median, f.q1, f.q3), (None, None, None, None));
        assert!(f.note.as_deref().unwrap_or("").contains("fewer than 10"));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let f = quantile_figure(&rule, "total", &ten);
        assert_eq!((f.mean, f.median, f.q1, f.q3), (Some(5.5), Some(5.5), Some(3.25), Some(7.75)));
        assert_eq!(value_figure(&rule, "total", 7, 12.5, 1).value, None);
        assert_eq!(value_figure(&rule, "total", 8, 12.5, 1).value, Some(12.5));
    }

    #[test]
    fn a_share_is_shown_only_when_its_numerator_and_the_rest_would_be() {
        let t5 = Rule { mode: DisclosureMode::Threshold, k: 5 };
        // Counts [1, 6, 2] over 9 people: 0.111 would give the hidden 1 away.
        let f = share_figure(&t5, "total", 9, 1, 9, false);
        assert_eq!(f.value, None);
        assert!(f.note.as_deref().unwrap_or("").contains("reveal"));
        // The 6 is shown, but the rest (3) is not: 0.667 would give it away.
        assert_eq!(share_figure(&t5, "total", 9, 6, 9, false).value, None);
        // Both shown: published to whole per cent.
        assert_eq!(share_figure(&t5, "total", 15, 10, 15, false).value, Some(0.67));
        assert_eq!(share_figure(&t5, "total", 10, 5, 10, false).value, Some(0.5));
        assert_eq!(share_figure(&t5, "total", 10, 0, 10, false).value, Some(0.0));
        assert_eq!(share_figure(&t5, "total", 10, 10, 10, false).value, Some(1.0));
        // A numerator hidden where it is published (secondary suppression) stays hidden.
        assert_eq!(share_figure(&t5, "total", 14, 6, 14, true).value, None);
        // Too few people: the usual note.
        let f = share_figure(&t5, "total", 4, 4, 20, false);
        assert_eq!(f.value, None);
        assert!(f.note.as_deref().unwrap_or("").contains("fewer than 5"));
        let f = share_figure(&t5, "total", 0, 0, 0, false);
        assert_eq!((f.value, f.note.as_deref()), (None, Some("No one in this period.")));

        let nhs = Rule { mode: DisclosureMode::Nhs, k: 5 };
        // 0.125 of 8 would be 1.
        assert_eq!(share_figure(&nhs, "total", 8, 1, 8, false).value, None);
        assert_eq!(share_figure(&nhs, "total", 15, 7, 15, false).value, None);
        assert_eq!(share_figure(&nhs, "total", 16, 8, 16, false).value, Some(0.5));
        assert_eq!(share_figure(&nhs, "total", 8, 8, 8, false).value, Some(1.0));
    }
}
