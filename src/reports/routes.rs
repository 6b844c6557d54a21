//! The reports' routes: HTTP only (scope, authorization, audit, format); the figures are
//! computed in `programme.rs` and `disproportionality.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{EntityTrait, QuerySelect};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::disproportionality::{By, compute_as_of};
use super::disproportionality_dto::Disproportionality;
use super::disproportionality_view::to_csv;
use super::dto::{ProgrammeReport, ReportGroupBy, ReportRequest};
use super::programme;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::organisation;
use crate::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::problems::{InvalidParameters, Refused, SignedIn};
use crate::state::AppState;
use crate::users::Role;

/// How the report is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeReportFormat {
    #[default]
    Json,
    Csv,
    Html,
}

impl ProgrammeReportFormat {
    fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Html => "html",
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeReportQuery {
    /// First day (inclusive); open when absent.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive); open when absent.
    pub to: Option<NaiveDate>,
    /// `quarter` (default) or `month`.
    pub group_by: Option<ReportGroupBy>,
    /// `json` (default), `csv` (long format) or `html` (one printable page).
    #[param(inline)]
    pub format: Option<ProgrammeReportFormat>,
    /// One charity only. Without it: a coordinator's own charity, anyone else the programme.
    pub organisation_id: Option<Uuid>,
}

/// The programme report: referrals, decisions, waiting times, matches, sessions, closures,
/// outcome change, safeguarding and the mentor workforce, per period and in total, every
/// count through the disclosure rule. Evaluators and programme admins: the programme or
/// any charity; coordinators: their own charity.
#[utoipa::path(get, path = "/reports/programme", tag = "reports", security(("bearer" = [])), params(ProgrammeReportQuery),
    responses(SignedIn, Refused, (status = 200, description = "The report: JSON; with `format=csv` long-format CSV (`section,period,breakdown,category,value`); with `format=html` one printable page",
            content((ProgrammeReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 404, description = "No such charity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters (`from` after `to`, an unknown `group_by` or `format`)", body = Problem, content_type = "application/problem+json")))]
pub async fn programme_report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ProgrammeReportQuery>,
) -> Result<Response, ApiError> {
    // Authorized before anything is read; the charity's existence only after.
    let organisation_id = match q.organisation_id {
        Some(id) => {
            state.authorize(&me, Action::ReportsCharity, &Resource::Organisation(id), &[]).await?;
            let found: Option<Uuid> =
                organisation::Entity::find_by_id(id).select_only().column(organisation::Column::Id).into_tuple().one(&state.db).await?;
            found.ok_or(ApiError::NotFound)?;
            Some(id)
        }
        None if me.role == Role::Coordinator => {
            let own = me.user.organisation_id;
            state.authorize(&me, Action::ReportsCharity, &Resource::Organisation(own), &[]).await?;
            Some(own)
        }
        None => {
            state.authorize(&me, Action::ReportsProgramme, &Resource::Programme, &[]).await?;
            None
        }
    };
    let (from, to) = super::whole_months(q.from, q.to)?;
    let format = q.format.unwrap_or_default();
    let req = ReportRequest { from, to, group_by: q.group_by.unwrap_or_default(), organisation_id };
    let now = state.now();
    let today = now.date_naive();
    let report = programme::compute(&state.db, &state, &req, today).await?;

    let response = match format {
        ProgrammeReportFormat::Json => axum::Json(&report).into_response(),
        ProgrammeReportFormat::Csv => {
            let mut r = super::csv::render(&report).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"programme-report.csv\""));
            r
        }
        ProgrammeReportFormat::Html => {
            // The disproportionality tables are the whole programme's: only a whole-programme
            // report (evaluators and programme admins, who may read them) carries them.
            let extra = match req.organisation_id {
                None => {
                    use super::disproportionality::{By, compute_as_of};
                    use super::disproportionality_view::render_html;
                    let ethnicity = compute_as_of(&state.db, &state.config, req.from, req.to, By::Ethnicity, today).await?;
                    let imd = compute_as_of(&state.db, &state.config, req.from, req.to, By::Imd, today).await?;
                    vec![render_html(&ethnicity), render_html(&imd)]
                }
                Some(_) => vec![
                    "<section><h2>Disproportionality</h2><p>The disproportionality tables are published for the whole programme \
                     only.</p></section>"
                        .to_string(),
                ],
            };
            let mut r = super::html::render(&report, &extra).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            // Shown in the browser straight from the API, the page needs its inline styles and
            // nothing else: no scripts, no fetches, no frames. (The middleware keeps a policy a
            // handler sets.) Saved, it is one file that prints on its own.
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'"),
            );
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"programme-report.html\""));
            r
        }
    };

    let sections: Vec<&str> = report.sections.iter().map(|s| s.key.as_str()).collect();
    state
        .audit_read(
            &me,
            Event::new("report.programme", "report").detail(json!({
                "scope": report.scope.kind,
                "organisation_id": organisation_id,
                "from": req.from,
                "to": req.to,
                "group_by": req.group_by,
                "format": format.as_str(),
                "periods": report.periods.len(),
                "sections": sections,
                "disclosure_mode": report.disclosure.mode,
                "disclosure_k": report.disclosure.k,
            })),
        )
        .await?;
    Ok(response)
}

/// The answer's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisproportionalityFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisproportionalityQuery {
    /// Referrals received on or after this day (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Referrals received on or before this day (YYYY-MM-DD); not before `from`.
    pub to: Option<NaiveDate>,
    /// `ethnicity` (default; reference White) or `imd` (reference quintile 5).
    pub by: Option<By>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<DisproportionalityFormat>,
}

/// Disproportionality: for each ethnic group (or IMD quintile), the young people at each stage
/// from referral to an improved outcome and the Relative Rate Index of each stage against the
/// reference group (White; quintile 5) with its 95% interval, under the small-number rule.
#[utoipa::path(get, path = "/reports/disproportionality", tag = "reports", security(("bearer" = [])), params(DisproportionalityQuery),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "The tables (JSON, or CSV with `format=csv`)",
            content((Disproportionality = "application/json"), (String = "text/csv")))))]
pub async fn disproportionality_report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<DisproportionalityQuery>,
) -> Result<Response, ApiError> {
    state.authorize(&me, Action::ReportsDisproportionality, &Resource::Programme, &[]).await?;
    let (from, to) = super::whole_months(q.from, q.to)?;
    let by = q.by.unwrap_or(By::Ethnicity);
    let format = q.format.unwrap_or(DisproportionalityFormat::Json);
    let d = compute_as_of(&state.db, &state.config, from, to, by, state.now().date_naive()).await?;
    let referred = d.totals.first().map(|t| t.count.to_string()).unwrap_or_default();
    state
        .audit_read(
            &me,
            Event::new("reports.disproportionality", "report").detail(json!({
                "by": by, "from": from, "to": to,
                "format": match format { DisproportionalityFormat::Json => "json", DisproportionalityFormat::Csv => "csv" },
                "groups": d.groups.len(),
                "referred_published": referred,
                "population_base": d.population_base.as_ref().map(|b| if b.synthetic { "synthetic" } else { "configured" }),
            })),
        )
        .await?;
    Ok(match format {
        DisproportionalityFormat::Json => Json(d).into_response(),
        DisproportionalityFormat::Csv => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&d)).into_response(),
    })
}
