//! Record-level evaluation extracts: pseudonymised, k-anonymous over what an intruder is
//! assumed to know, l-diverse in what she would learn, checked by a motivated-intruder test;
//! and their data dictionary.

pub mod anonymity;
pub mod control;
pub mod dictionary;
pub mod extract;
pub mod intruder;
pub mod protect;
pub mod release;
pub mod routes;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(routes::evaluation_extract)).routes(routes!(routes::evaluation_dictionary))
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or an
/// outer space, with quotes doubled.
pub fn csv_field(s: &str) -> String {
    let needs = s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if needs { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// One CSV field holding text (not a number): as [`csv_field`], and first, when it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return, prefixed with `'` so that a
/// spreadsheet shows it as text instead of running it as a formula.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { csv_field(&format!("'{s}")) } else { csv_field(s) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(super::csv_field("plain"), "plain");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(super::csv_field(""), "");
    }
}
