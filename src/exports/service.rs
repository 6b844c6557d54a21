//! Building an evaluation extract, for the route and for the motivated-intruder command: every
//! row of the window read on the caller's connection (a snapshot, for the route), then the
//! disclosure control.

use sea_orm::ConnectionTrait;

use super::anonymity::KeyVariable;
use super::control::{self, Protected};
use super::dictionary::{self, ExtractColumn};
use super::extract::{self, Built, Filters, RowContext};
use super::intruder::{self, Record, Report, Row};
use crate::audit::Event;
use crate::config::Config;
use crate::crypto::Pseudonymiser;
use crate::error::ApiError;
use crate::projects::ledger::{self, Floor};

/// Every row of the window, before the disclosure control.
pub async fn built_rows<C: ConnectionTrait>(
    conn: &C,
    filters: &Filters,
    project: &str,
    pseudonyms: &Pseudonymiser,
    columns: &[ExtractColumn],
) -> Result<Vec<Built>, ApiError> {
    let charities = super::release::charities(conn).await?;
    let ctx = RowContext { columns, project, pseudonyms, charities: &charities };
    let mut built = Vec::new();
    let mut after = None;
    loop {
        let (chunk, last) = extract::rows_chunk(conn, filters, after, &ctx).await?;
        let full = chunk.len() as u64 == extract::CHUNK;
        built.extend(chunk);
        match last {
            Some(l) if full => after = Some(l),
            _ => break,
        }
    }
    Ok(built)
}

/// The extract for `project` over the window, protected, on `floor` (what earlier releases
/// to the project fix, and hold, of each pseudonym; a record merged into another's brings its
/// own): its columns and rows.
pub async fn build<C: ConnectionTrait>(
    conn: &C,
    filters: &Filters,
    project: &str,
    pseudonyms: &Pseudonymiser,
    k: u32,
    key_variables: &[KeyVariable],
    floor: Floor,
) -> Result<(Vec<ExtractColumn>, Protected), ApiError> {
    let columns = dictionary::dictionary(k, key_variables).columns;
    let built = built_rows(conn, filters, project, pseudonyms, &columns).await?;
    let aliases = super::release::aliases(conn, project, pseudonyms).await?;
    // Pure and CPU-bound (the guard compares young people pairwise within a class): off the
    // async workers.
    let (cols, keys) = (columns.clone(), key_variables.to_vec());
    let protected = tokio::task::spawn_blocking(move || control::protect(built, &cols, &keys, u64::from(k), &floor, &aliases))
        .await
        .map_err(ApiError::internal)??;
    Ok((columns, protected))
}

/// The extract a release to `project` would send for the window `from`..`to` (whole months),
/// on `floor`: the window widened to whole periods of the received period as released (at
/// least as general as the floor; built again, wider, if the plan generalised further), so
/// that the window itself dates no referral more finely than its row does. Returns the
/// window used with the extract.
#[allow(clippy::too_many_arguments)]
pub async fn build_release<C: ConnectionTrait>(
    conn: &C,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    project: &str,
    pseudonyms: &Pseudonymiser,
    k: u32,
    key_variables: &[KeyVariable],
    floor: Floor,
) -> Result<(Filters, Vec<ExtractColumn>, Protected), ApiError> {
    let period = super::anonymity::index(KeyVariable::ReceivedPeriod);
    let mut level = floor.levels.get(KeyVariable::ReceivedPeriod.as_str()).copied().unwrap_or(0);
    loop {
        let (f, t) = super::anonymity::align_window(from, to, level);
        let filters = Filters { from: f, to: t };
        let (columns, protected) = build(conn, &filters, project, pseudonyms, k, key_variables, floor.clone()).await?;
        let achieved = protected.plan.levels[period];
        // The levels only rise (at most three times), and a wider window is aligned at the
        // same level as a narrower one was.
        if achieved <= level || (from.is_none() && to.is_none()) {
            return Ok((filters, columns, protected));
        }
        level = achieved;
    }
}

/// The identifiable records of the window as an intruder would hold them: each young
/// person's rows with their true values (no pseudonym).
pub async fn records<C: ConnectionTrait>(conn: &C, filters: &Filters, pseudonyms: &Pseudonymiser) -> Result<Vec<Record>, ApiError> {
    let columns = dictionary::columns();
    let built = built_rows(conn, filters, "intruder", pseudonyms, &columns).await?;
    let mut out: Vec<Record> = Vec::new();
    let mut at: std::collections::HashMap<uuid::Uuid, usize> = std::collections::HashMap::new();
    for b in built {
        let mut row = as_row(&columns, &b.cells);
        row.remove("pseudonym");
        let i = *at.entry(b.person).or_insert_with(|| {
            out.push(Record { person: b.person, rows: Vec::new() });
            out.len() - 1
        });
        out[i].rows.push(row);
    }
    Ok(out)
}

/// A row as text by column name.
pub fn as_row(columns: &[ExtractColumn], cells: &[extract::Cell]) -> Row {
    columns.iter().zip(cells).map(|(c, v)| (c.name.clone(), v.text())).collect()
}

/// What the disclosure control did to an extract, for the intruder test's output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub rows: u64,
    pub young_people: u64,
    pub k_achieved: u64,
    pub l_achieved: Option<usize>,
    pub generalised: Vec<String>,
    /// Values released "suppressed" or empty to protect someone, of `values`.
    pub suppressed_values: u64,
    /// Every value released but the pseudonym and `suppressed_columns`.
    pub values: u64,
    pub withheld_rows: u64,
}

/// The intruder's findings, and what was done to the extract when it was built here.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IntruderTest {
    pub intruder: Report,
    pub extract: Option<Summary>,
}

/// The motivated-intruder test of `project`'s extract over the window (or of `released`, the
/// rows of an extract file): every identifiable record joined to it on every released column.
/// The extract built here is the registered project's next release, on its release ledger
/// (nothing is released or recorded). Reading every record is audited, with what was found.
pub async fn intruder_test(
    conn: &sea_orm::DatabaseConnection,
    config: &Config,
    pseudonyms: &Pseudonymiser,
    project: &str,
    filters: &Filters,
    released: Option<Vec<Row>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<IntruderTest, ApiError> {
    let from_file = released.is_some();
    // The window the extract covers: widened to whole released periods when it is built here.
    let mut window = filters.clone();
    let (released, summary) = match released {
        Some(rows) => (rows, None),
        None => {
            // Only a registered project's next release is built: an unknown name would test an
            // extract that is never sent.
            let Some(registered) = crate::projects::service::find_by_slug(conn, project).await? else {
                return Err(ApiError::field("project", "unknown_project", "No evaluation project has this slug."));
            };
            let floor = ledger::floor(conn, registered.id).await?;
            let (aligned, columns, p) =
                build_release(conn, filters.from, filters.to, project, pseudonyms, config.extract_k, &config.extract_key_variables, floor)
                    .await?;
            window = aligned;
            let summary = Summary {
                rows: p.rows.len() as u64,
                young_people: p.people.len() as u64,
                k_achieved: p.plan.k_achieved,
                l_achieved: p.l_achieved,
                generalised: p.plan.generalised().into_iter().map(str::to_string).collect(),
                suppressed_values: p.suppressed_values(),
                values: p.rows.len() as u64 * columns.len().saturating_sub(2) as u64,
                withheld_rows: p.withheld_rows,
            };
            (p.rows.iter().map(|r| as_row(&columns, r)).collect(), Some(summary))
        }
    };
    let filters = &window;
    let records = records(conn, filters, pseudonyms).await?;
    let report = intruder::attack(&released, &records);
    let mut txn = crate::access::Write::begin(conn, None, now, None).await?;
    txn.audit(Event::new("export.intruder_test", "evaluation_extract").detail(serde_json::json!({
        "via": "cli",
        "project": project,
        "from": filters.from.map(|d| d.format("%Y-%m").to_string()),
        "to": filters.to.map(|d| d.format("%Y-%m").to_string()),
        "extract": if from_file { "file" } else { "built" },
        "records": records.len(),
        "report": report,
    })));
    txn.commit().await?;
    Ok(IntruderTest { intruder: report, extract: summary })
}
