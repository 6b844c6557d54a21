//! The disproportionality tables as a page section (escaped HTML, with a chart) and as CSV.

use super::disproportionality::{By, STAGES, Stage};
use super::disproportionality_dto::{Disproportionality, DisproportionalityCell};
use super::html::esc;

fn rri_text(c: &DisproportionalityCell) -> String {
    match (c.rri, c.ci_low, c.ci_high) {
        (Some(r), Some(lo), Some(hi)) => format!("{r:.2} ({lo:.2}–{hi:.2})"),
        (Some(r), ..) => format!("{r:.2}"),
        _ => "–".into(),
    }
}

/// The tables as an HTML fragment (a `<section>` with tables and inline SVG; no scripts, no
/// external references), for the printable programme report. Only published values appear.
pub fn render_html(d: &Disproportionality) -> String {
    let by = match d.by {
        By::Ethnicity => "ethnic group",
        By::Imd => "IMD quintile",
    };
    let mut h = String::new();
    h.push_str(&format!("<section class=\"disproportionality\"><h2>Disproportionality by {by}</h2>"));
    for w in &d.warnings {
        h.push_str(&format!("<p class=\"warning\"><strong>{}</strong></p>", esc(w)));
    }
    let base = match &d.population_base {
        Some(b) => format!("Population base: {}{}.", esc(&b.source), if b.synthetic { " (SYNTHETIC)" } else { "" }),
        None => "No population base configured.".into(),
    };
    h.push_str(&format!(
        "<p>Young people counted once per stage. RRI = the group's rate ÷ the reference group's rate; 1 is parity. {base}</p>"
    ));

    // Counts.
    h.push_str(&format!("<table><caption>Young people at each stage, by {by}</caption><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Population</th>"));
    for s in STAGES {
        h.push_str(&format!("<th scope=\"col\">{}</th>", esc(s.label())));
    }
    h.push_str("</tr></thead><tbody>");
    for g in &d.groups {
        let name = if g.reference { format!("{} (reference)", esc(&g.label)) } else { esc(&g.label) };
        let population = g.population.map_or_else(|| "–".to_string(), |n| n.to_string());
        h.push_str(&format!("<tr><th scope=\"row\">{name}</th><td>{population}</td>"));
        for c in &g.stages {
            h.push_str(&format!("<td>{}</td>", esc(&c.count.to_string())));
        }
        h.push_str("</tr>");
    }
    h.push_str("<tr class=\"total\"><th scope=\"row\">All</th><td></td>");
    for t in &d.totals {
        h.push_str(&format!("<td>{}</td>", esc(&t.count.to_string())));
    }
    h.push_str("</tr></tbody></table>");

    // RRIs.
    let rated: Vec<Stage> = STAGES.into_iter().filter(|s| s.has_rri()).collect();
    h.push_str(&format!(
        "<table><caption>Relative Rate Index (95% interval) against {}, by {by}</caption><thead><tr><th scope=\"col\">Group</th>",
        esc(&d.groups.iter().find(|g| g.reference).map(|g| g.label.clone()).unwrap_or_default())
    ));
    for s in &rated {
        h.push_str(&format!("<th scope=\"col\">{}<br><small>{}</small></th>", esc(s.label()), esc(s.rate().unwrap_or(""))));
    }
    h.push_str("</tr></thead><tbody>");
    for g in &d.groups {
        let name = if g.reference { format!("{} (reference)", esc(&g.label)) } else { esc(&g.label) };
        h.push_str(&format!("<tr><th scope=\"row\">{name}</th>"));
        for c in g.stages.iter().filter(|c| c.stage.has_rri()) {
            let title = c.note.as_deref().map(|n| format!(" title=\"{}\"", esc(n))).unwrap_or_default();
            let text = if g.reference {
                "1 (parity)".to_string()
            } else if c.rri.is_some() {
                rri_text(c)
            } else {
                format!("– <small>{}</small>", esc(c.note.as_deref().unwrap_or("")))
            };
            h.push_str(&format!("<td{title}>{text}</td>"));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h.push_str(&chart(d));
    h.push_str(&format!("<p><small>{}</small></p>", esc(&d.disclosure.rule)));
    h.push_str("<dl>");
    for s in &d.stages {
        h.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(&s.label), esc(&s.definition)));
    }
    h.push_str("</dl></section>");
    h
}

/// A dot-and-whisker chart of the shown RRIs on a log scale from 0.1 to 10, with a line at
/// parity (values beyond are drawn at the edge).
fn chart(d: &Disproportionality) -> String {
    let rows: Vec<(String, f64, f64, f64)> = STAGES
        .iter()
        .filter(|s| s.has_rri())
        .flat_map(|s| {
            d.groups.iter().filter(|g| !g.reference).filter_map(move |g| {
                let c = g.stages.iter().find(|c| c.stage == *s)?;
                Some((format!("{}: {}", s.label(), g.label), c.rri?, c.ci_low?, c.ci_high?))
            })
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let (left, width, row_h, top) = (230.0, 330.0, 18.0, 24.0);
    let x = |v: f64| left + (v.clamp(0.1, 10.0).log10() + 1.0) / 2.0 * width;
    let height = top + row_h * rows.len() as f64 + 10.0;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"Relative Rate Index with 95% intervals\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" \
         font-size=\"11\" font-family=\"sans-serif\">",
        w = left + width + 20.0
    );
    for (v, label) in [(0.1, "0.1"), (0.5, "0.5"), (1.0, "1 (parity)"), (2.0, "2"), (10.0, "10")] {
        s.push_str(&format!("<text x=\"{:.1}\" y=\"12\" text-anchor=\"middle\">{label}</text>", x(v)));
    }
    s.push_str(&format!(
        "<line x1=\"{p:.1}\" y1=\"16\" x2=\"{p:.1}\" y2=\"{:.1}\" stroke=\"#555\" stroke-dasharray=\"3 2\"/>",
        height - 4.0,
        p = x(1.0)
    ));
    for (i, (label, r, lo, hi)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        s.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", left - 6.0, y + 4.0, esc(label)));
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#1f4e79\" stroke-width=\"2\"/>",
            x(*lo),
            x(*hi)
        ));
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#1f4e79\"><title>{}</title></circle>",
            x(*r),
            esc(&format!("{label}: {r:.2} ({lo:.2}–{hi:.2})"))
        ));
    }
    s.push_str("</svg>");
    s
}

/// The tables as CSV: one line per group and stage.
pub fn to_csv(d: &Disproportionality) -> String {
    let mut out = String::from("by,group,label,reference,population,stage,count,rri,ci_low,ci_high,note,population_base\n");
    let by = match d.by {
        By::Ethnicity => "ethnicity",
        By::Imd => "imd",
    };
    let base = match &d.population_base {
        Some(b) if b.synthetic => "synthetic",
        Some(_) => "configured",
        None => "none",
    };
    let num = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    for g in &d.groups {
        for c in &g.stages {
            let fields = [
                by.to_string(),
                g.group.clone(),
                g.label.clone(),
                g.reference.to_string(),
                g.population.map(|n| n.to_string()).unwrap_or_default(),
                c.stage.as_str().to_string(),
                c.count.to_string(),
                num(c.rri),
                num(c.ci_low),
                num(c.ci_high),
                c.note.clone().unwrap_or_default(),
                base.to_string(),
            ];
            out.push_str(&fields.iter().map(|f| super::csv::field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    out
}
