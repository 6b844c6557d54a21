//! Evaluation projects: the recipients of evaluation extracts, registered by a programme
//! admin (purpose, lawful basis, data-sharing agreement, start and end), the evaluator
//! accounts bound to each, and the release ledger of what each has been sent.
//!
//! An evaluator extracts only for a project she is bound to, and only while it runs
//! (`policies/reports.cedar`); the ledger (`ledger.rs`) makes every release to a project at
//! least as coarse, for every pseudonym, as every release before it.

pub mod dto;
pub mod ledger;
pub mod routes;
pub mod service;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_projects, routes::create_project))
        .routes(routes!(routes::get_project, routes::update_project))
        .routes(routes!(routes::bind_evaluator, routes::unbind_evaluator))
        .routes(routes!(routes::list_releases))
}
