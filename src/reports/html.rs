//! The programme report as one self-contained printable page: inline CSS (with print rules)
//! and inline SVG charts, no script and no reference to anything outside the file. Charts
//! are drawn from published values only: a hidden count is a dashed box of one fixed size
//! labelled with its symbol, never a bar whose size could reveal it. Every text is escaped.

use std::fmt::Write;

use super::disclosure::Published;
use super::dto::{ProgrammeReport, ReportBreakdown, ReportFigure, ReportSection};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn label(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

const STYLE: &str = "body{font-family:Georgia,'Times New Roman',serif;color:#111;max-width:60rem;margin:1.5rem auto;padding:0 1rem;line-height:1.4}\
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #333;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem;margin-bottom:.3rem}\
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.85rem}th,td{border:1px solid #777;padding:.15rem .45rem;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{border-bottom:2px solid #111}tr.total td,td.total{font-weight:bold}\
.meta{font-size:.9rem}.note{font-size:.85rem;font-style:italic}.rule{border:1px solid #333;padding:.5rem .8rem;font-size:.9rem}\
svg{display:block;margin:.5rem 0 1rem;max-width:100%;height:auto}svg text{font-family:Georgia,serif;font-size:11px}\
@media print{body{margin:0;max-width:none}section{break-before:page;page-break-before:always}section.first{break-before:auto;page-break-before:auto}\
table,svg,figure{break-inside:avoid;page-break-inside:avoid}a{color:inherit;text-decoration:none}}";

/// Greys and hatching-free shades that still read apart in black-and-white print.
const SHADES: [&str; 8] = ["#1b3a5c", "#4f7cac", "#9cc3e4", "#2e6b3a", "#7fb77e", "#c9a227", "#8c4a2f", "#b8b8b8"];

fn value_of(p: &Published) -> Option<u64> {
    match p {
        Published::Shown(n) => Some(*n),
        Published::Hidden(_) => None,
    }
}

/// A dashed box of a fixed size with the hidden symbol: marks a hidden count without sizing it.
fn hidden_mark(out: &mut String, x: f64, y: f64, symbol: &str, what: &str) {
    let _ = write!(
        out,
        "<g class=\"hidden\" data-hidden=\"{s}\"><title>{w}: {s} (hidden by the small-number rule)</title>\
         <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"22\" height=\"14\" fill=\"none\" stroke=\"#333\" stroke-dasharray=\"3 2\"/>\
         <text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{s}</text></g>",
        s = esc(symbol),
        w = esc(what),
        tx = x + 11.0,
        ty = y + 11.0
    );
}

/// Stacked bars per period (columns of `t`), one segment per row, from published cells.
fn stacked_bars(t: &ReportBreakdown) -> String {
    let (w, h, left, bottom, top) = (760.0, 300.0, 40.0, 40.0, 20.0);
    let n = t.columns.len().max(1) as f64;
    let slot = (w - left - 10.0) / n;
    let bar = (slot * 0.6).min(60.0);
    let stacks: Vec<u64> = (0..t.columns.len()).map(|j| t.table.cells.iter().filter_map(|r| r.get(j).and_then(value_of)).sum()).collect();
    let max = stacks.iter().copied().max().unwrap_or(0).max(1) as f64;
    let scale = (h - top - bottom - 60.0) / max;
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {total_h}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>",
        total_h = h + 20.0 * ((t.rows.len() as f64) / 4.0).ceil(),
        title = esc(&t.title)
    );
    let base = h - bottom;
    let _ = write!(s, "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#111\"/>", w - 10.0);
    for (j, col) in t.columns.iter().enumerate() {
        let x = left + slot * j as f64 + (slot - bar) / 2.0;
        let mut y = base;
        let mut hidden_y = base - stacks[j] as f64 * scale - 18.0;
        for (i, row) in t.rows.iter().enumerate() {
            let Some(cell) = t.table.cells.get(i).and_then(|r| r.get(j)) else { continue };
            match cell {
                Published::Shown(0) => {}
                Published::Shown(v) => {
                    let bh = *v as f64 * scale;
                    y -= bh;
                    let _ = write!(
                        s,
                        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"{f}\" stroke=\"#fff\" data-value=\"{v}\"><title>{c}, {r}: {v}</title></rect>",
                        f = SHADES[i % SHADES.len()],
                        c = esc(col),
                        r = esc(&label(row))
                    );
                }
                Published::Hidden(sym) => {
                    hidden_mark(&mut s, x + bar / 2.0 - 11.0, hidden_y, sym, &format!("{col}, {}", label(row)));
                    hidden_y -= 16.0;
                }
            }
        }
        let total = t.table.column_totals.get(j).map(|p| p.to_string()).unwrap_or_default();
        let _ = write!(
            s,
            "<text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{c}</text><text x=\"{cx:.1}\" y=\"{tt:.1}\" text-anchor=\"middle\">total {t}</text>",
            cx = x + bar / 2.0,
            ty = base + 14.0,
            tt = base + 28.0,
            c = esc(col),
            t = esc(&total)
        );
    }
    for (i, row) in t.rows.iter().enumerate() {
        let (lx, ly) = (left + 180.0 * (i % 4) as f64, h + 20.0 * (i / 4) as f64);
        let _ = write!(
            s,
            "<rect x=\"{lx:.1}\" y=\"{ly:.1}\" width=\"10\" height=\"10\" fill=\"{f}\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\">{r}</text>",
            f = SHADES[i % SHADES.len()],
            tx = lx + 14.0,
            ty = ly + 9.0,
            r = esc(&label(row))
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per (label, published value).
fn horizontal_bars(title: &str, items: &[(String, Published)]) -> String {
    let (w, left, row_h) = (760.0, 300.0, 26.0);
    let max = items.iter().filter_map(|i| value_of(&i.1)).max().unwrap_or(0).max(1) as f64;
    let scale = (w - left - 70.0) / max;
    let h = row_h * items.len() as f64 + 10.0;
    let mut s = format!("<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>", t = esc(title));
    for (i, (name, v)) in items.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let _ = write!(s, "<text x=\"{x}\" y=\"{ty:.1}\" text-anchor=\"end\">{n}</text>", x = left - 8.0, ty = y + 14.0, n = esc(name));
        match v {
            Published::Shown(n) => {
                let bw = *n as f64 * scale;
                let _ = write!(
                    s,
                    "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"18\" fill=\"{f}\" data-value=\"{n}\"><title>{name}: {n}</title></rect>\
                     <text x=\"{tx:.1}\" y=\"{ty:.1}\">{n}</text>",
                    f = SHADES[1],
                    name = esc(name),
                    tx = left + bw + 5.0,
                    ty = y + 14.0
                );
            }
            Published::Hidden(sym) => hidden_mark(&mut s, left, y + 2.0, sym, name),
        }
    }
    s.push_str("</svg>");
    s
}

fn table_html(t: &ReportBreakdown) -> String {
    let mut s = format!("<h3>{}</h3><table><thead><tr><th></th>", esc(&t.title));
    for c in &t.columns {
        let _ = write!(s, "<th>{}</th>", esc(c));
    }
    s.push_str("<th>Total</th></tr></thead><tbody>");
    for (i, r) in t.rows.iter().enumerate() {
        let _ = write!(s, "<tr><td>{}</td>", esc(&label(r)));
        for v in t.table.cells.get(i).into_iter().flatten() {
            let _ = write!(s, "<td>{}</td>", esc(&v.to_string()));
        }
        let _ = write!(s, "<td class=\"total\">{}</td></tr>", esc(&t.table.row_totals.get(i).map(|v| v.to_string()).unwrap_or_default()));
    }
    s.push_str("<tr class=\"total\"><td>Total</td>");
    for v in &t.table.column_totals {
        let _ = write!(s, "<td>{}</td>", esc(&v.to_string()));
    }
    let _ = write!(s, "<td>{}</td></tr></tbody></table>", esc(&t.table.total.to_string()));
    s
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v}"))
}

fn figure_row(f: &ReportFigure, unit: &str) -> String {
    let values = if unit == "share" {
        format!("<td colspan=\"4\">{}</td>", f.value.map_or_else(|| "—".into(), |v| format!("{:.0}%", v * 100.0)))
    } else if unit == "hours" {
        format!("<td colspan=\"4\">{}</td>", fmt_opt(f.value))
    } else {
        format!("<td>{}</td><td>{}</td><td>{}</td><td>{}</td>", fmt_opt(f.median), fmt_opt(f.q1), fmt_opt(f.q3), fmt_opt(f.mean))
    };
    format!(
        "<tr><td>{}</td><td>{}</td>{values}<td>{}</td></tr>",
        esc(&f.period),
        esc(&f.people.to_string()),
        esc(f.note.as_deref().unwrap_or(""))
    )
}

fn section_html(s: &ReportSection, first: bool) -> String {
    let mut out = format!("<section{}><h2>{}</h2>", if first { " class=\"first\"" } else { "" }, esc(&s.title));
    if s.key == "referrals"
        && let Some(t) = s.tables.first()
    {
        out.push_str("<figure><figcaption>Referrals received per period, by source</figcaption>");
        out.push_str(&stacked_bars(t));
        out.push_str("</figure>");
    }
    if s.key == "outcomes"
        && let Some(t) = s.tables.first()
    {
        let items: Vec<(String, Published)> = t.rows.iter().zip(&t.table.cells).map(|(r, c)| (r.clone(), c[0].clone())).collect();
        out.push_str("<figure><figcaption>Young people by SWEMWBS metric change (points), baseline to latest</figcaption>");
        out.push_str(&horizontal_bars(&t.title, &items));
        out.push_str("</figure>");
    }
    for t in &s.tables {
        out.push_str(&table_html(t));
    }
    for series in &s.series {
        let _ = write!(out, "<h3>{}</h3><table><thead><tr><th>Period</th><th>Count</th></tr></thead><tbody>", esc(&series.title));
        for c in &series.by_period {
            let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(&c.period), esc(&c.value.to_string()));
        }
        let _ = write!(out, "<tr class=\"total\"><td>Whole window</td><td>{}</td></tr></tbody></table>", esc(&series.total.to_string()));
    }
    for st in &s.statistics {
        let head = if st.unit == "share" || st.unit == "hours" {
            format!("<th colspan=\"4\">{}</th>", if st.unit == "share" { "Share" } else { "Hours" })
        } else {
            format!("<th>Median ({u})</th><th>Lower quartile</th><th>Upper quartile</th><th>Mean</th>", u = esc(&st.unit))
        };
        let _ = write!(
            out,
            "<h3>{}</h3><table><thead><tr><th>Period</th><th>People</th>{head}<th>Note</th></tr></thead><tbody>",
            esc(&st.title)
        );
        for f in &st.by_period {
            out.push_str(&figure_row(f, &st.unit));
        }
        out.push_str(&figure_row(&st.total, &st.unit));
        out.push_str("</tbody></table>");
    }
    for n in &s.notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(n));
    }
    out.push_str("</section>");
    out
}

/// The page; `extra` are further `<section>` fragments (the disproportionality tables),
/// already escaped by their authors.
pub fn render(r: &ProgrammeReport, extra: &[String]) -> String {
    let scope = match (&r.scope.organisation_name, r.scope.kind.as_str()) {
        (Some(name), _) => format!("Charity: {name}"),
        (None, "charity") => "One charity".to_string(),
        _ => "The whole programme (every charity)".to_string(),
    };
    let window = match (r.from, r.to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("up to {t}"),
        (None, None) => "the whole history".to_string(),
    };
    let mut s = String::from("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">");
    let _ = write!(s, "<title>{} — {}</title><style>{STYLE}</style></head><body>", esc(&r.title), esc(&scope));
    let _ = write!(
        s,
        "<section class=\"first\"><h1>{t}</h1><p class=\"meta\">{scope}<br>Period: {window}, by {g}<br>Generated on {d}</p>\
         <div class=\"rule\"><strong>Small numbers.</strong> {rule}</div>",
        t = esc(&r.title),
        scope = esc(&scope),
        window = esc(&window),
        g = match r.group_by {
            super::dto::ReportGroupBy::Quarter => "quarter",
            super::dto::ReportGroupBy::Month => "month",
        },
        d = r.generated_on,
        rule = esc(&r.disclosure.description)
    );
    s.push_str("<h2>From referral to outcome</h2><figure><figcaption>Referrals received in the window, and how far they went</figcaption>");
    let items: Vec<(String, Published)> = r.funnel.iter().map(|f| (f.title.clone(), f.value.clone())).collect();
    s.push_str(&horizontal_bars("Referral-to-outcome funnel", &items));
    s.push_str("</figure></section>");
    for section in &r.sections {
        s.push_str(&section_html(section, false));
    }
    for e in extra {
        s.push_str(e);
    }
    s.push_str("</body></html>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }

    #[test]
    fn a_hidden_count_is_a_fixed_mark_not_a_bar() {
        let items = vec![("Referred".to_string(), Published::Shown(40)), ("Improved".to_string(), Published::Hidden("[c]".into()))];
        let svg = horizontal_bars("t", &items);
        assert!(svg.contains("data-value=\"40\""));
        assert!(svg.contains("data-hidden=\"[c]\""));
        assert_eq!(svg.matches("data-value").count(), 1);
    }
}
