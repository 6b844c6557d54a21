//! The programme report as CSV in long format: one line per published figure,
//! `section,period,breakdown,category,value`, quoted as RFC 4180 says (CRLF line ends).

use super::disclosure::Published;
use super::dto::{ProgrammeReport, ReportFigure};

/// One field: a number as it is, any other text guarded against spreadsheet formulas, both
/// quoted as RFC 4180 says (the extract's rules, [`crate::exports::csv_text`]).
pub fn field(s: &str) -> String {
    if s.parse::<f64>().is_ok() { crate::exports::csv_field(s) } else { crate::exports::csv_text(s) }
}

fn line(out: &mut String, cells: [&str; 5]) {
    let joined: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&joined.join(","));
    out.push_str("\r\n");
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "withheld".to_string(), |v| v.to_string())
}

fn figure(out: &mut String, section: &str, key: &str, f: &ReportFigure, unit: &str) {
    line(out, [section, &f.period, key, "people", &f.people.to_string()]);
    if unit == "share" || unit == "hours" {
        line(out, [section, &f.period, key, unit, &number(f.value)]);
    } else {
        for (name, v) in [("mean", f.mean), ("median", f.median), ("q1", f.q1), ("q3", f.q3)] {
            line(out, [section, &f.period, key, name, &number(v)]);
        }
    }
}

pub fn render(r: &ProgrammeReport) -> String {
    let mut out = String::new();
    line(&mut out, ["section", "period", "breakdown", "category", "value"]);
    let p = |v: &Published| v.to_string();
    for stage in &r.funnel {
        line(&mut out, ["funnel", "total", "funnel", &stage.key, &p(&stage.value)]);
    }
    for s in &r.sections {
        for t in &s.tables {
            for (i, row) in t.rows.iter().enumerate() {
                for (j, col) in t.columns.iter().enumerate() {
                    if let Some(v) = t.table.cells.get(i).and_then(|c| c.get(j)) {
                        line(&mut out, [&s.key, col, &t.key, row, &p(v)]);
                    }
                }
                if let Some(v) = t.table.row_totals.get(i) {
                    line(&mut out, [&s.key, "total", &t.key, row, &p(v)]);
                }
            }
            for (j, col) in t.columns.iter().enumerate() {
                if let Some(v) = t.table.column_totals.get(j) {
                    line(&mut out, [&s.key, col, &t.key, "total", &p(v)]);
                }
            }
            line(&mut out, [&s.key, "total", &t.key, "total", &p(&t.table.total)]);
        }
        for series in &s.series {
            for c in &series.by_period {
                line(&mut out, [&s.key, &c.period, &series.key, "count", &p(&c.value)]);
            }
            line(&mut out, [&s.key, "total", &series.key, "count", &p(&series.total)]);
        }
        for st in &s.statistics {
            for f in &st.by_period {
                figure(&mut out, &s.key, &st.key, f, &st.unit);
            }
            figure(&mut out, &s.key, &st.key, &st.total, &st.unit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("@cmd"), "'@cmd");
        assert_eq!(field("-3.5"), "-3.5");
        assert_eq!(field("<5"), "<5");
    }
}
