//! Aggregate reports for the Coalition and the Youth Justice Management Board: the programme
//! report (JSON, CSV, printable HTML) and the disproportionality tables, every published
//! count through one disclosure-control function.

pub mod csv;
pub mod disclosure;
pub mod disproportionality;
pub mod html;
pub mod population;
pub mod programme;
pub mod programme_sql;
pub mod routes;
pub mod rri;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::programme_report))
        .routes(routes!(disproportionality::disproportionality_report))
}
