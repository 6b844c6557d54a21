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
use super::extract::{Cell, Filters};
use crate::audit::{Actor, Event, Outcome};
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::error::{ApiError, Problem};
use crate::http::context;
use crate::http::extract::ApiQuery;
use crate::http::problems::{InvalidParameters, Refused, SignedIn};
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
    /// The recipient project: lower-case letters, digits and hyphens (`^[a-z0-9][a-z0-9-]{0,62}$`).
    /// Pseudonyms are derived per project: stable within one, unlinkable across two.
    #[validate(custom(function = "project_slug"))]
    #[param(pattern = "^[a-z0-9][a-z0-9-]{0,62}$", max_length = 63)]
    pub project: String,
    /// Referrals received in this day's month or later (the window is whole months: the
    /// first of the month is taken).
    pub from: Option<NaiveDate>,
    /// Referrals received in this day's month or earlier (the last day of the month is taken).
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

fn project_slug(s: &str) -> Result<(), validator::ValidationError> {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && s.len() <= 63 {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_project")
            .with_message("Use 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit.".into()))
    }
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

/// A read-only transaction in which both passes see the same data: REPEATABLE READ on
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
    responses(SignedIn, Refused, (status = 200, description = "The extract, streamed: CSV (a header line, then one line per referral) or JSON",
            content((EvaluationExtract = "application/json"), (String = "text/csv")),
            headers(
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
        (status = 422, description = "Invalid parameters (project, from after to, format)", body = Problem, content_type = "application/problem+json")))]
pub async fn evaluation_extract(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<EvaluationExtractParams>,
) -> Result<Response, ApiError> {
    state.authorize(&me, Action::ExportsEvaluation, &Resource::Programme, &[]).await?;
    let (from, to) = crate::reports::whole_months(q.from, q.to)?;
    let format = q.format.unwrap_or(ExtractFormat::Csv);
    let filters = Filters { from, to };
    let (from_month, to_month) = (filters.from.map(|d| d.format("%Y-%m").to_string()), filters.to.map(|d| d.format("%Y-%m").to_string()));
    let k = state.config.extract_k;
    let key_variables = state.config.extract_key_variables.clone();

    // Every row of the window, read in one snapshot, then the disclosure control.
    let txn = snapshot(&state).await?;
    let built = super::service::build(&txn, &filters, &q.project, &state.keys.pseudonyms, k, &key_variables).await;
    // Nothing was written: ending the snapshot cannot lose anything.
    let _ = txn.rollback().await;
    let (_, protected) = built?;
    let generalised: Vec<&str> = protected.plan.generalised();
    let stats = Stats::of(&protected, k);

    // Audited, and committed, before the first byte.
    let extract_id = Uuid::now_v7();
    let actor = me.actor();
    let filters_json = json!({"project": q.project, "from": from_month, "to": to_month, "format": format});
    state
        .audit_read(
            &me,
            Event::new("export.evaluation.started", "evaluation_extract").resource(extract_id, None).detail(json!({
                "filters": filters_json,
                "k": k,
                "key_variables": key_variables,
                "rows": stats.rows,
                "generalised": generalised,
                "suppressed_values": stats.suppressed_values,
                "withheld_rows": stats.withheld_rows,
                "k_achieved": stats.k_achieved,
                "l_achieved": stats.l_achieved,
                "withheld": stats.withheld,
            })),
        )
        .await?;

    let mut headers = HeaderMap::new();
    let (content_type, ext) = match format {
        ExtractFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExtractFormat::Json => ("application/json", "json"),
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&format!("attachment; filename=\"evaluation-{}.{ext}\"", q.project))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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

    let (sender, body) = http_body_util::Channel::<Bytes, std::io::Error>::new(1);
    let generalised = generalised.into_iter().map(str::to_string).collect();
    let job =
        Stream { state: state.clone(), actor, extract_id, project: q.project, format, from_month, to_month, protected, generalised, stats };
    let ctx = context::current();
    tokio::spawn(context::scope(ctx, job.run(sender)));
    Ok((headers, Body::new(body)).into_response())
}

/// What the response says was done.
#[derive(Debug, Clone, Copy)]
struct Stats {
    k: u32,
    rows: u64,
    suppressed_values: u64,
    k_achieved: u64,
    l_achieved: Option<usize>,
    withheld: bool,
    withheld_rows: u64,
}

impl Stats {
    fn of(p: &control::Protected, k: u32) -> Self {
        Stats {
            k,
            rows: p.rows.len() as u64,
            suppressed_values: p.suppressed_values(),
            k_achieved: p.plan.k_achieved,
            l_achieved: p.l_achieved,
            withheld: p.plan.withheld,
            withheld_rows: p.withheld_rows,
        }
    }
}

/// The sending and the second audit event, in a task of its own that feeds the response body.
struct Stream {
    state: AppState,
    actor: Actor,
    extract_id: Uuid,
    project: String,
    format: ExtractFormat,
    from_month: Option<String>,
    to_month: Option<String>,
    protected: control::Protected,
    generalised: Vec<String>,
    stats: Stats,
}

/// Why streaming stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// The client took nothing for [`SEND_TIMEOUT`].
    Stalled,
    Failed(ApiError),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Failed(e)
    }
}

struct Out {
    sender: http_body_util::channel::Sender<Bytes, std::io::Error>,
    buf: String,
    hasher: Sha256,
    bytes: u64,
    /// How long a piece may wait for the client ([`SEND_TIMEOUT`]).
    timeout: std::time::Duration,
}

impl Out {
    async fn flush(&mut self) -> Result<(), Stop> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::take(&mut self.buf);
        self.hasher.update(piece.as_bytes());
        self.bytes += piece.len() as u64;
        match tokio::time::timeout(self.timeout, self.sender.send_data(Bytes::from(piece))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Gone),
            Err(_) => Err(Stop::Stalled),
        }
    }

    async fn write(&mut self, s: &str) -> Result<(), Stop> {
        self.buf.push_str(s);
        if self.buf.len() >= FLUSH_AT { self.flush().await } else { Ok(()) }
    }
}

impl Stream {
    async fn run(self, sender: http_body_util::channel::Sender<Bytes, std::io::Error>) {
        let mut out = Out { sender, buf: String::new(), hasher: Sha256::new(), bytes: 0, timeout: SEND_TIMEOUT };
        let mut rows = 0u64;
        let result = self.body(&mut out, &mut rows).await;
        let included = if rows > 0 { self.protected.people.clone() } else { Vec::new() };
        let (outcome, completed, error) = match &result {
            Ok(()) => (Outcome::Allowed, true, None),
            Err(Stop::Gone) => (Outcome::Allowed, false, Some("client_disconnected")),
            Err(Stop::Stalled) => (Outcome::Allowed, false, Some("client_stalled")),
            Err(Stop::Failed(_)) => (Outcome::Failed, false, Some("server_error")),
        };
        let sha256 = crate::crypto::hex(&out.hasher.clone().finalize());
        // The young people whose rows were sent: the extract shows in "who has seen her record".
        let event = Event::new("export.evaluation.completed", "evaluation_extract")
            .resource(self.extract_id, None)
            .about_all(included)
            .outcome(outcome)
            .detail(json!({"completed": completed, "rows": rows, "bytes": out.bytes, "sha256": sha256, "stopped": error}));
        if let Err(e) = self.state.audit_alone(Some(self.actor.clone()), event).await {
            tracing::error!(error = ?e, "could not audit the end of an evaluation extract");
        }
        match result {
            // The body ends only now, after the audit event is written.
            Ok(()) => drop(out),
            Err(Stop::Gone) => {}
            Err(Stop::Stalled) => out.sender.abort(std::io::Error::other("the client stalled")),
            Err(Stop::Failed(e)) => {
                tracing::error!(error = ?e, "an evaluation extract failed while streaming");
                out.sender.abort(std::io::Error::other("the extract failed"));
            }
        }
    }

    async fn body(&self, out: &mut Out, rows: &mut u64) -> Result<(), Stop> {
        let columns = dictionary::columns();
        match self.format {
            ExtractFormat::Csv => {
                let header: Vec<String> = columns.iter().map(|c| super::csv_field(&c.name)).collect();
                out.write(&header.join(",")).await?;
                out.write("\r\n").await?;
            }
            ExtractFormat::Json => {
                let envelope = json!({
                    "project": self.project,
                    "k": self.stats.k,
                    "k_achieved": self.stats.k_achieved,
                    "l_achieved": self.stats.l_achieved,
                    "from": self.from_month,
                    "to": self.to_month,
                    "generalised": self.generalised,
                    "suppressed_values": self.stats.suppressed_values,
                    "withheld": self.stats.withheld,
                    "withheld_rows": self.stats.withheld_rows,
                });
                let text = envelope.to_string();
                // The envelope without its closing brace, then the rows.
                let open = text.strip_suffix('}').ok_or_else(|| ApiError::internal("envelope"))?;
                out.write(open).await?;
                out.write(",\"rows\":[").await?;
            }
        }
        for row in &self.protected.rows {
            let line = match self.format {
                ExtractFormat::Csv => csv_line(row),
                ExtractFormat::Json => json_row(&columns, row, *rows == 0)?,
            };
            out.write(&line).await?;
            *rows += 1;
        }
        if self.format == ExtractFormat::Json {
            out.write("]}").await?;
        }
        out.flush().await
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
        let mut out = Out { sender, buf: String::new(), hasher: Sha256::new(), bytes: 0, timeout: Duration::from_millis(50) };
        let piece = "x".repeat(FLUSH_AT);
        // Nobody reads the body: the first piece fills the channel, the next waits.
        let result = tokio::time::timeout(Duration::from_secs(10), async {
            for _ in 0..3 {
                out.write(&piece).await?;
            }
            Ok::<(), Stop>(())
        })
        .await;
        assert!(matches!(result, Ok(Err(Stop::Stalled))), "a stalled client must stop the extract within its timeout");
        drop(body);
    }
}
