//! Aggregate reports for the Coalition and the Youth Justice Management Board: the programme
//! report (JSON, CSV, printable HTML) and the disproportionality tables, every published
//! count through one disclosure-control function.

pub mod csv;
pub mod disclosure;
pub mod disproportionality;
pub mod disproportionality_dto;
pub mod disproportionality_stage;
pub mod disproportionality_view;
pub mod dto;
pub mod figures;
pub mod html;
pub mod population;
pub mod programme;
pub mod programme_sql;
pub mod routes;
pub mod rri;

/// The window of a report or extract, in whole calendar months: `from` moves back to the first
/// of its month and `to` on to the last day of its month, so that two windows a day apart
/// cannot single out what happened on one day. Dates must lie in the years 1900–2100 (a
/// database need not accept others), and `from` may not be after `to`: otherwise 422 naming
/// the field.
pub fn whole_months(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), crate::error::ApiError> {
    use crate::error::ApiError;
    use chrono::{Datelike, Months, NaiveDate};
    let in_range = |d: NaiveDate| (1900..=2100).contains(&d.year());
    for (field, d) in [("from", from), ("to", to)] {
        if let Some(d) = d
            && !in_range(d)
        {
            return Err(ApiError::field(field, "out_of_range", "Must be a date in the years 1900 to 2100."));
        }
    }
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::field("from", "after_to", "`from` is after `to`."));
    }
    let first = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let last = |d: NaiveDate| first(d).checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(d);
    Ok((from.map(first), to.map(last)))
}

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(routes::programme_report)).routes(routes!(routes::disproportionality_report))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn windows_are_whole_months_within_sane_years() {
        let w = super::whole_months(Some(d("2026-08-12")), Some(d("2027-02-10")));
        assert_eq!(w.unwrap(), (Some(d("2026-08-01")), Some(d("2027-02-28"))));
        assert_eq!(super::whole_months(None, Some(d("2028-02-03"))).unwrap(), (None, Some(d("2028-02-29"))));
        assert_eq!(super::whole_months(Some(d("2026-12-31")), None).unwrap(), (Some(d("2026-12-01")), None));
        assert!(super::whole_months(Some(d("2026-09-01")), Some(d("2026-08-31"))).is_err());
        // A day later in the same month is the same window.
        assert_eq!(super::whole_months(None, Some(d("2026-08-12"))).unwrap(), super::whole_months(None, Some(d("2026-08-31"))).unwrap());
        for bad in ["1899-12-31", "2101-01-01"] {
            assert!(super::whole_months(Some(d(bad)), None).is_err());
            assert!(super::whole_months(None, Some(d(bad))).is_err());
        }
        assert!(super::whole_months(Some(NaiveDate::MIN), None).is_err());
    }
}
