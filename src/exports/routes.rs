//! The evaluation extract and its dictionary: HTTP only. The rows are built in `extract.rs`
//! (through `service.rs`), protected in `control.rs` (k-anonymity in `anonymity.rs`,
//! l-diversity and the uniqueness guard in `protect.rs`); the columns are defined in
//! `dictionary.rs`; `intruder.rs` is the motivated-intruder test.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{AccessMode, DatabaseBackend, DatabaseTransaction, IsolationLevel, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::control;
use super::dictionary::{self, ExtractColumn, ExtractDictionary};
use super::extract::Cell;
use crate::audit::{Actor, Event, Outcome};
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::extract_release::ReleaseFormat;
use crate::error::{ApiError, Problem};
use crate::http::context;
use crate::http::extract::ApiQuery;
use crate::http::problems::{InvalidParameters, Refused, SignedIn};
use crate::projects;
use crate::state::AppState;

/// The format of the evaluation extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractFormat {
    Csv,
    Json,
}

/// The format of the data dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DictionaryFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationExtractParams {
    /// The recipient project's slug (`^[a-z0-9][a-z0-9-]{0,62}$`): one registered under
    /// `/evaluation-projects`, running today, and (for an evaluator) bound to her; any other
    /// (one that does not exist included) is 403. Pseudonyms
    /// are derived per project: stable within one, unlinkable across two.
    #[validate(custom(function = "crate::projects::dto::slug"))]
    #[param(pattern = "^[a-z0-9][a-z0-9-]{0,62}$", max_length = 63)]
    pub project: String,
    /// Referrals received in this day's month or later (the window is whole months: the
    /// first of the month is taken, and earlier still where the received period is released
    /// as quarters, half-years or years: the window is widened to whole released periods).
    pub from: Option<NaiveDate>,
    /// Referrals received in this day's month or earlier (the last day of the month is taken,
    /// or of the released period).
    pub to: Option<NaiveDate>,
    /// `csv` (default) or `json`.
    #[param(inline)]
    pub format: Option<ExtractFormat>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationDictionaryParams {
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<DictionaryFormat>,
}

/// The JSON form of the extract (the CSV has the same rows, under a header line).
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationExtract {
    pub project: String,
    pub k: u32,
    /// The first month of the window (`YYYY-MM`), null without `from`.
    pub from: Option<String>,
    /// The last month of the window (`YYYY-MM`), null without `to`.
    pub to: Option<String>,
    /// The key variables generalised, in the order they were first raised.
    pub generalised: Vec<String>,
    /// The fewest young people sharing a released combination of key values (0 when nothing
    /// is released).
    pub k_achieved: u64,
    /// The fewest distinct values of a sensitive column released in a combination; null when
    /// none is released.
    pub l_achieved: Option<u64>,
    /// How many values were released as "suppressed" or empty to protect someone (key values
    /// suppressed, sensitive values withheld, values suppressed by the uniqueness guard).
    pub suppressed_values: u64,
    /// True when the extract had fewer than k young people and none is released.
    pub withheld: bool,
    /// Rows of the window not released: those of young people who could not be hidden (too
    /// few others with as many referrals in it, even with every key value suppressed), or all
    /// when `withheld`.
    pub withheld_rows: u64,
    /// One object per referral, keyed by the dictionary's column names.
    pub rows: Vec<HashMap<String, serde_json::Value>>,
}

const HEADER_RELEASE: &str = "trellis-release";
const HEADER_GENERALISED: &str = "trellis-generalised";
const HEADER_SUPPRESSED: &str = "trellis-suppressed-values";
const HEADER_ROWS: &str = "trellis-rows";
const HEADER_K: &str = "trellis-k";
const HEADER_K_ACHIEVED: &str = "trellis-k-achieved";
const HEADER_L_ACHIEVED: &str = "trellis-l-achieved";
const HEADER_WITHHELD: &str = "trellis-withheld";
const HEADER_WITHHELD_ROWS: &str = "trellis-withheld-rows";
const HEADER_FROM: &str = "trellis-from";
const HEADER_TO: &str = "trellis-to";
/// How long one piece of the body may wait for the client to take it before the extract
/// stops (a stalled client must not hold the snapshot open for ever).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Bytes gathered before a piece of the body is sent.
const FLUSH_AT: usize = 64 * 1024;

/// A read-only transaction in which the ledger and the rows are read as of one moment: REPEATABLE READ on
/// PostgreSQL; on SQLite one (deferred) transaction, a snapshot from its first read.
async fn snapshot(state: &AppState) -> Result<DatabaseTransaction, ApiError> {
    Ok(match state.db.get_database_backend() {
        DatabaseBackend::Postgres => state.db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?,
        _ => state.db.begin().await?,
    })
}

fn header_value(s: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(s).map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/exports/evaluation", tag = "exports", security(("bearer" = [])), params(EvaluationExtractParams),
    responses(SignedIn, Refused, (status = 200, description = "The extract, released to the project and recorded in its ledger: CSV (a header line, then one line per referral) or JSON",
            content((EvaluationExtract = "application/json"), (String = "text/csv")),
            headers(
                ("Trellis-Release" = Uuid, description = "The release's id in the project's ledger"),
                ("Trellis-Generalised" = String, description = "The key variables generalised, comma-separated, or `none`"),
                ("Trellis-Suppressed-Values" = u64, description = "How many values were released `suppressed` or empty to protect someone"),
                ("Trellis-Rows" = u64, description = "The number of rows"),
                ("Trellis-K" = u32, description = "k of the k-anonymity"),
                ("Trellis-K-Achieved" = u64, description = "The fewest young people sharing a released combination of key values (0 when nothing is released)"),
                ("Trellis-L-Achieved" = String, description = "The fewest distinct values of a sensitive column released in a combination, or `none` when none is released"),
                ("Trellis-Withheld" = bool, description = "True when fewer than k young people matched and none is released"),
                ("Trellis-Withheld-Rows" = u64, description = "Rows of the window not released: those of young people who could not be hidden (too few others with as many referrals, even with every key value suppressed), or all when fewer than k young people matched"),
                ("Trellis-From" = String, description = "The first month of the window, `YYYY-MM` (absent without `from`)"),
                ("Trellis-To" = String, description = "The last month of the window, `YYYY-MM` (absent without `to`)"),
                ("Content-Disposition" = String, description = "attachment"))),
        (status = 409, description = "Another extract was released to the project at the same moment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters (project, from after to, format)", body = Problem, content_type = "application/problem+json")))]
pub async fn evaluation_extract(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<EvaluationExtractParams>,
) -> Result<Response, ApiError> {
    let (from, to) = crate::reports::whole_months(q.from, q.to)?;
    // Only for her own project, while it runs (policies/reports.cedar). A project that does
    // not exist is refused the same way, so the answer tells nobody which projects exist.
    let Some(project) = projects::service::find_by_slug(&state.db, &q.project).await? else {
        let event = Event::new("access.denied", "evaluation_project")
            .outcome(Outcome::Denied)
            .detail(json!({"action": Action::ExportsEvaluation.name(), "reason": "no_such_project"}));
        state.audit_read(&me, event).await?;
        return Err(ApiError::Forbidden);
    };
    let evaluators = projects::service::evaluators(&state.db, project.id).await?;
    let resource = projects::service::resource(&project, &evaluators, state.now().date_naive());
    state.authorize(&me, Action::ExportsEvaluation, &resource, &[]).await?;
    let format = q.format.unwrap_or(ExtractFormat::Csv);
    let k = state.config.extract_k;
    let key_variables = state.config.extract_key_variables.clone();

    // The project's ledger and every row of the window, read in one snapshot, then the
    // disclosure control on the ledger's floor.
    let txn = snapshot(&state).await?;
    let built = async {
        let floor = projects::ledger::floor(&txn, project.id).await?;
        let releases = floor.releases;
        let pseudonyms = &state.keys.pseudonyms;
        let (filters, columns, protected) =
            super::service::build_release(&txn, from, to, &project.slug, pseudonyms, k, &key_variables, floor).await?;
        Ok::<_, ApiError>((releases, filters, columns, protected))
    }
    .await;
    // Nothing was written: ending the snapshot cannot lose anything.
    let _ = txn.rollback().await;
    let (releases, filters, columns, protected) = built?;
    // The window as released: whole periods of the received period as released.
    let (from_month, to_month) = (filters.from.map(|d| d.format("%Y-%m").to_string()), filters.to.map(|d| d.format("%Y-%m").to_string()));
    let generalised: Vec<&str> = protected.plan.generalised();
    let stats = Stats::of(&protected, k);
    let envelope = json!({
        "project": project.slug,
        "k": k,
        "k_achieved": stats.k_achieved,
        "l_achieved": stats.l_achieved,
        "from": from_month,
        "to": to_month,
        "generalised": generalised,
        "suppressed_values": stats.suppressed_values,
        "withheld": stats.withheld,
        "withheld_rows": stats.withheld_rows,
    });
    let body = render(format, &columns, &protected.rows, &envelope)?;
    let sha256 = crate::crypto::hex(&Sha256::digest(body.as_bytes()));

    // Released: recorded in the project's ledger, and audited, in one unit, before the first
    // byte is sent.
    let release_id = Uuid::now_v7();
    let mut w = state.write(&me).await?;
    // Asked again with the project's row locked: an unbinding, or the project's end, while
    // the extract was being built stops the release.
    let project = projects::service::lock(&w, project.id).await?.ok_or(ApiError::NotFound)?;
    let evaluators = projects::service::evaluators(&w, project.id).await?;
    let resource = projects::service::resource(&project, &evaluators, state.now().date_naive());
    if !state.allows(&me, Action::ExportsEvaluation, &resource, &[]) {
        w.rollback().await?;
        state.authorize(&me, Action::ExportsEvaluation, &resource, &[]).await?;
        return Err(ApiError::Forbidden);
    }
    let release = projects::ledger::NewRelease {
        id: release_id,
        project_id: project.id,
        released_by: me.id(),
        released_at: state.now(),
        window_from: filters.from,
        window_to: filters.to,
        format: match format {
            ExtractFormat::Csv => ReleaseFormat::Csv,
            ExtractFormat::Json => ReleaseFormat::Json,
        },
        k,
        key_variables: key_variables.iter().map(|v| v.as_str().to_string()).collect(),
        levels: protected.levels(),
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        rows: stats.rows,
        young_people: protected.people.len() as u64,
        withheld_rows: stats.withheld_rows,
        suppressed_values: stats.suppressed_values,
        k_achieved: stats.k_achieved,
        l_achieved: stats.l_achieved,
        bytes: body.len() as u64,
        sha256: sha256.clone(),
        people: protected.released.clone(),
    };
    projects::ledger::record(&w, releases, release).await?;
    // The young people whose rows are released: the extract shows in "who has seen her record".
    w.audit(
        Event::new("export.evaluation.started", "evaluation_extract")
            .resource(release_id, None)
            .about_all(protected.people.clone())
            .detail(json!({
                "project": project.slug,
                "project_id": project.id,
                "filters": {"from": from_month, "to": to_month, "format": format},
                "k": k,
                "key_variables": key_variables,
                "rows": stats.rows,
                "generalised": generalised,
                "suppressed_values": stats.suppressed_values,
                "withheld_rows": stats.withheld_rows,
                "k_achieved": stats.k_achieved,
                "l_achieved": stats.l_achieved,
                "withheld": stats.withheld,
                "sha256": sha256,
            })),
    );
    w.commit().await?;

    let mut headers = HeaderMap::new();
    let (content_type, ext) = match format {
        ExtractFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExtractFormat::Json => ("application/json", "json"),
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&format!("attachment; filename=\"evaluation-{}.{ext}\"", project.slug))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(HeaderName::from_static(HEADER_RELEASE), header_value(&release_id.to_string())?);
    let list = if generalised.is_empty() { "none".to_string() } else { generalised.join(",") };
    headers.insert(HeaderName::from_static(HEADER_GENERALISED), header_value(&list)?);
    headers.insert(HeaderName::from_static(HEADER_SUPPRESSED), header_value(&stats.suppressed_values.to_string())?);
    headers.insert(HeaderName::from_static(HEADER_ROWS), header_value(&stats.rows.to_string())?);
    headers.insert(HeaderName::from_static(HEADER_K), header_value(&k.to_string())?);
    headers.insert(HeaderName::from_static(HEADER_K_ACHIEVED), header_value(&stats.k_achieved.to_string())?);
    headers
        .insert(HeaderName::from_static(HEADER_L_ACHIEVED), header_value(&stats.l_achieved.map_or("none".to_string(), |l| l.to_string()))?);
    headers.insert(HeaderName::from_static(HEADER_WITHHELD), header_value(&stats.withheld.to_string())?);
    headers.insert(HeaderName::from_static(HEADER_WITHHELD_ROWS), header_value(&stats.withheld_rows.to_string())?);
    if let Some(m) = &from_month {
        headers.insert(HeaderName::from_static(HEADER_FROM), header_value(m)?);
    }
    if let Some(m) = &to_month {
        headers.insert(HeaderName::from_static(HEADER_TO), header_value(m)?);
    }

    let (sender, response_body) = http_body_util::Channel::<Bytes, std::io::Error>::new(1);
    let job = Stream { state: state.clone(), actor: me.actor(), release_id, body: Bytes::from(body), rows: stats.rows, sha256 };
    let ctx = context::current();
    tokio::spawn(context::scope(ctx, job.run(sender)));
    Ok((headers, Body::new(response_body)).into_response())
}

/// What the response says was done.
#[derive(Debug, Clone, Copy)]
struct Stats {
    rows: u64,
    suppressed_values: u64,
    k_achieved: u64,
    l_achieved: Option<usize>,
    withheld: bool,
    withheld_rows: u64,
}

impl Stats {
    fn of(p: &control::Protected, _k: u32) -> Self {
        Stats {
            rows: p.rows.len() as u64,
            suppressed_values: p.suppressed_values(),
            k_achieved: p.plan.k_achieved,
            l_achieved: p.l_achieved,
            withheld: p.plan.withheld,
            withheld_rows: p.withheld_rows,
        }
    }
}

/// The whole file: CSV (a header line, then a line per row) or JSON (the envelope with its
/// rows).
fn render(format: ExtractFormat, columns: &[ExtractColumn], rows: &[Vec<Cell>], envelope: &serde_json::Value) -> Result<String, ApiError> {
    let mut out = String::new();
    match format {
        ExtractFormat::Csv => {
            let header: Vec<String> = columns.iter().map(|c| super::csv_field(&c.name)).collect();
            out.push_str(&header.join(","));
            out.push_str("\r\n");
            for row in rows {
                out.push_str(&csv_line(row));
            }
        }
        ExtractFormat::Json => {
            let text = envelope.to_string();
            // The envelope without its closing brace, then the rows.
            let open = text.strip_suffix('}').ok_or_else(|| ApiError::internal("envelope"))?;
            out.push_str(open);
            out.push_str(",\"rows\":[");
            for (i, row) in rows.iter().enumerate() {
                out.push_str(&json_row(columns, row, i == 0)?);
            }
            out.push_str("]}");
        }
    }
    Ok(out)
}

/// The sending and the second audit event, in a task of its own that feeds the response body.
struct Stream {
    state: AppState,
    actor: Actor,
    release_id: Uuid,
    body: Bytes,
    rows: u64,
    sha256: String,
}

/// Why streaming stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// The client took nothing for [`SEND_TIMEOUT`].
    Stalled,
}

struct Out {
    sender: http_body_util::channel::Sender<Bytes, std::io::Error>,
    bytes: u64,
    /// How long a piece may wait for the client ([`SEND_TIMEOUT`]).
    timeout: std::time::Duration,
}

impl Out {
    async fn send(&mut self, piece: Bytes) -> Result<(), Stop> {
        let n = piece.len() as u64;
        match tokio::time::timeout(self.timeout, self.sender.send_data(piece)).await {
            Ok(Ok(())) => {
                self.bytes += n;
                Ok(())
            }
            Ok(Err(_)) => Err(Stop::Gone),
            Err(_) => Err(Stop::Stalled),
        }
    }

    /// Sends `body` in pieces of [`FLUSH_AT`] bytes.
    async fn send_all(&mut self, body: &Bytes) -> Result<(), Stop> {
        let mut at = 0;
        while at < body.len() {
            let end = (at + FLUSH_AT).min(body.len());
            self.send(body.slice(at..end)).await?;
            at = end;
        }
        Ok(())
    }
}

impl Stream {
    async fn run(self, sender: http_body_util::channel::Sender<Bytes, std::io::Error>) {
        let mut out = Out { sender, bytes: 0, timeout: SEND_TIMEOUT };
        let result = out.send_all(&self.body).await;
        let (completed, error) = match &result {
            Ok(()) => (true, None),
            Err(Stop::Gone) => (false, Some("client_disconnected")),
            Err(Stop::Stalled) => (false, Some("client_stalled")),
        };
        let event = Event::new("export.evaluation.completed", "evaluation_extract")
            .resource(self.release_id, None)
            .outcome(Outcome::Allowed)
            .detail(json!({"completed": completed, "rows": self.rows, "bytes": out.bytes, "sha256": self.sha256, "stopped": error}));
        if let Err(e) = self.state.audit_alone(Some(self.actor.clone()), event).await {
            tracing::error!(error = ?e, "could not audit the end of an evaluation extract");
        }
        match result {
            // The body ends only now, after the audit event is written.
            Ok(()) => drop(out),
            Err(Stop::Gone) => {}
            Err(Stop::Stalled) => out.sender.abort(std::io::Error::other("the client stalled")),
        }
    }
}

fn csv_line(row: &[Cell]) -> String {
    let mut line = row.iter().map(Cell::csv).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn json_row(columns: &[ExtractColumn], row: &[Cell], first: bool) -> Result<String, ApiError> {
    let mut s = String::from(if first { "{" } else { ",{" });
    for (i, (c, cell)) in columns.iter().zip(row).enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(&c.name).map_err(ApiError::internal)?);
        s.push(':');
        s.push_str(&cell.json().to_string());
    }
    s.push('}');
    Ok(s)
}

#[utoipa::path(get, path = "/exports/evaluation/dictionary", tag = "exports", security(("bearer" = [])), params(EvaluationDictionaryParams),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Every column of the evaluation extract: its name, type, allowed values and derivation",
            content((ExtractDictionary = "application/json"), (String = "text/csv")))))]
pub async fn evaluation_dictionary(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<EvaluationDictionaryParams>,
) -> Result<Response, ApiError> {
    state.authorize(&me, Action::ExportsDictionary, &Resource::Programme, &[]).await?;
    let d: ExtractDictionary = dictionary::dictionary(state.config.extract_k, &state.config.extract_key_variables);
    Ok(match q.format.unwrap_or(DictionaryFormat::Json) {
        DictionaryFormat::Json => axum::Json(d).into_response(),
        DictionaryFormat::Csv => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"evaluation-dictionary.csv\""));
            (headers, dictionary::dictionary_csv(&d)).into_response()
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_client_that_takes_nothing_stops_the_extract_as_stalled() {
        let (sender, body) = http_body_util::Channel::<Bytes, std::io::Error>::new(1);
        let mut out = Out { sender, bytes: 0, timeout: Duration::from_millis(50) };
        let whole = Bytes::from("x".repeat(3 * FLUSH_AT));
        // Nobody reads the body: the first piece fills the channel, the next waits.
        let result = tokio::time::timeout(Duration::from_secs(10), out.send_all(&whole)).await;
        assert!(matches!(result, Ok(Err(Stop::Stalled))), "a stalled client must stop the extract within its timeout");
        assert_eq!(out.bytes, FLUSH_AT as u64, "only the piece the channel took counts as sent");
        drop(body);
    }
}
