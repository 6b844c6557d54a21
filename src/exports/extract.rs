//! The rows of the evaluation extract as built from the records, before the disclosure
//! control: a chunk of referrals at a time, with one grouped query per related table per
//! chunk, on the caller's (read-only) transaction.
//!
//! Five key values are the young person's, not the referral's: her age band is her age at her
//! first referral within the extract's window, and ethnicity, quintile, charity and district
//! are on her record, so all her rows carry the same five. The referral source and the
//! received period are each referral's.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::dictionary::{self, ExtractColumn, ExtractColumnType};
use super::release::{Charities, ace_band, attendance_band, day_band, duration_band, hour_band, missing_band, qi_of, session_band};
use crate::crypto::Pseudonymiser;
use crate::entities::json::JsonText;
use crate::entities::{assessment, concern, matching, mentoring_session, referral, young_person};
use crate::error::ApiError;
use crate::outcomes::dto::Indicators;
use crate::referrals::rules::ClosureReason;
use crate::safeguarding::rules::Category;
use crate::young_people::codes::RiskIndicator;

/// Referrals per chunk.
pub const CHUNK: u64 = 500;

/// The filters of an extract: whole months (see [`crate::reports::whole_months`]).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Filters {
    fn apply(&self, mut q: Select<referral::Entity>) -> Select<referral::Entity> {
        if let Some(from) = self.from {
            q = q.filter(referral::Column::ReceivedOn.gte(from));
        }
        if let Some(to) = self.to {
            q = q.filter(referral::Column::ReceivedOn.lte(to));
        }
        q
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
}

impl Cell {
    /// The value as plain text (empty for null), as the intruder check compares values.
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    pub fn csv(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => super::csv_text(s),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Str(s) => serde_json::Value::String(s.clone()),
            Cell::Int(n) => serde_json::Value::from(*n),
            Cell::Num(x) => serde_json::Number::from_f64(*x).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
            Cell::Bool(b) => serde_json::Value::Bool(*b),
        }
    }

    fn fits(&self, c: &ExtractColumn) -> bool {
        match self {
            Cell::Null => c.nullable,
            Cell::Str(s) => c.kind == ExtractColumnType::String && (c.open || c.allowed_values.is_empty() || c.allowed_values.contains(s)),
            Cell::Int(_) => c.kind == ExtractColumnType::Integer,
            Cell::Num(_) => c.kind == ExtractColumnType::Number,
            Cell::Bool(_) => c.kind == ExtractColumnType::Boolean,
        }
    }
}

fn opt_num(v: Option<f64>) -> Cell {
    v.map(Cell::Num).unwrap_or(Cell::Null)
}

fn opt_str(v: Option<&str>) -> Cell {
    v.map(|s| Cell::Str(s.to_string())).unwrap_or(Cell::Null)
}

/// Builds a row in the order of the column definitions, refusing a value put under the
/// wrong name or of the wrong type: the dictionary and the rows cannot drift apart.
pub struct RowBuilder<'a> {
    columns: &'a [ExtractColumn],
    cells: Vec<Cell>,
}

impl<'a> RowBuilder<'a> {
    pub fn new(columns: &'a [ExtractColumn]) -> Self {
        Self { columns, cells: Vec::with_capacity(columns.len()) }
    }

    pub fn put(&mut self, name: &str, cell: Cell) -> Result<(), ApiError> {
        let Some(col) = self.columns.get(self.cells.len()) else {
            return Err(ApiError::internal(format!("extract column {name} is not in the dictionary")));
        };
        if col.name != name {
            return Err(ApiError::internal(format!("extract column {name} where the dictionary has {}", col.name)));
        }
        if !cell.fits(col) {
            return Err(ApiError::internal(format!("extract column {name}: a value outside its definition")));
        }
        self.cells.push(cell);
        Ok(())
    }

    pub fn finish(self) -> Result<Vec<Cell>, ApiError> {
        if self.cells.len() != self.columns.len() {
            return Err(ApiError::internal("an extract row is shorter than the dictionary"));
        }
        Ok(self.cells)
    }
}

/// The day of each young person's first referral within the window, and how many referrals
/// she has in it, for the young people `ids`.
async fn first_referrals<C: ConnectionTrait>(
    conn: &C,
    filters: &Filters,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (NaiveDate, u64)>, ApiError> {
    let rows: Vec<(Uuid, NaiveDate)> = filters
        .apply(referral::Entity::find())
        .select_only()
        .column(referral::Column::YoungPersonId)
        .column(referral::Column::ReceivedOn)
        .filter(referral::Column::YoungPersonId.is_in(ids.to_vec()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, (NaiveDate, u64)> = HashMap::new();
    for (yp, received_on) in rows {
        let e = out.entry(yp).or_insert((received_on, 0));
        e.0 = Ord::min(e.0, received_on);
        e.1 += 1;
    }
    Ok(out)
}

/// What building rows needs.
pub struct RowContext<'a> {
    pub columns: &'a [ExtractColumn],
    pub project: &'a str,
    pub pseudonyms: &'a Pseudonymiser,
    pub charities: &'a Charities,
}

/// An assessment's young person, id, day taken, time recorded and indicators.
type AssessmentRow = (Uuid, Uuid, NaiveDate, chrono::DateTime<chrono::Utc>, JsonText<Indicators>);

/// A match's id, referral, proposed day, first meeting and end.
type MatchRow = (Uuid, Uuid, NaiveDate, Option<NaiveDate>, Option<NaiveDate>);

struct MatchFacts {
    proposed_on: NaiveDate,
    first_meeting_on: Option<NaiveDate>,
    ended_on: Option<NaiveDate>,
    id: Uuid,
}

#[derive(Default)]
struct SessionFacts {
    logged: i64,
    attended: i64,
    minutes: i64,
}

/// One row as built, before the disclosure control: its young person, and its cells in
/// dictionary order (the key columns ungeneralised, `suppressed_columns` empty).
#[derive(Debug, Clone)]
pub struct Built {
    pub person: Uuid,
    pub cells: Vec<Cell>,
}

/// One chunk: the rows of up to [`CHUNK`] referrals after `after` (by id), and the last id
/// seen (None when there are no more).
pub async fn rows_chunk<C: ConnectionTrait>(
    conn: &C,
    filters: &Filters,
    after: Option<Uuid>,
    ctx: &RowContext<'_>,
) -> Result<(Vec<Built>, Option<Uuid>), ApiError> {
    let mut q = filters.apply(referral::Entity::find());
    if let Some(a) = after {
        q = q.filter(referral::Column::Id.gt(a));
    }
    let referrals = q.order_by_asc(referral::Column::Id).limit(CHUNK).all(conn).await?;
    let Some(last) = referrals.last().map(|r| r.id) else {
        return Ok((Vec::new(), None));
    };
    let referral_ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let mut yp_ids: Vec<Uuid> = referrals.iter().map(|r| r.young_person_id).collect();
    yp_ids.sort();
    yp_ids.dedup();

    let first = first_referrals(conn, filters, &yp_ids).await?;
    let people: HashMap<Uuid, young_person::Model> = young_person::Entity::find()
        .filter(young_person::Column::Id.is_in(yp_ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|y| (y.id, y))
        .collect();

    // Matches of these referrals.
    let match_rows: Vec<MatchRow> = matching::Entity::find()
        .select_only()
        .column(matching::Column::Id)
        .column(matching::Column::ReferralId)
        .column(matching::Column::ProposedOn)
        .column(matching::Column::FirstMeetingOn)
        .column(matching::Column::EndedOn)
        .filter(matching::Column::ReferralId.is_in(referral_ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut matches: HashMap<Uuid, Vec<MatchFacts>> = HashMap::new();
    let mut referral_of_match: HashMap<Uuid, Uuid> = HashMap::new();
    for (id, rid, proposed_on, first_meeting_on, ended_on) in match_rows {
        referral_of_match.insert(id, rid);
        matches.entry(rid).or_default().push(MatchFacts { proposed_on, first_meeting_on, ended_on, id });
    }

    // Sessions, grouped by match.
    let mut sessions: HashMap<Uuid, SessionFacts> = HashMap::new();
    let match_ids: Vec<Uuid> = referral_of_match.keys().copied().collect();
    if !match_ids.is_empty() {
        let attended = Expr::col(mentoring_session::Column::Attended).eq(true);
        let grouped: Vec<(Uuid, i64, i64, i64)> = mentoring_session::Entity::find()
            .select_only()
            .column(mentoring_session::Column::MatchId)
            .column_as(Expr::col(mentoring_session::Column::Id).count(), "logged")
            .column_as(Expr::case(attended.clone(), 1).finally(0).sum(), "attended")
            .column_as(Expr::case(attended, Expr::col(mentoring_session::Column::DurationMinutes).if_null(0)).finally(0).sum(), "minutes")
            .filter(mentoring_session::Column::MatchId.is_in(match_ids))
            .group_by(mentoring_session::Column::MatchId)
            .into_tuple()
            .all(conn)
            .await?;
        for (mid, logged, att, minutes) in grouped {
            if let Some(rid) = referral_of_match.get(&mid) {
                let s = sessions.entry(*rid).or_default();
                s.logged += logged;
                s.attended += att;
                s.minutes += minutes;
            }
        }
    }

    // Concerns about these young people, grouped by category.
    let concern_rows: Vec<(Uuid, String, i64)> = concern::Entity::find()
        .select_only()
        .column(concern::Column::YoungPersonId)
        .column(concern::Column::Category)
        .column_as(Expr::col(concern::Column::Id).count(), "n")
        .filter(concern::Column::YoungPersonId.is_in(yp_ids.clone()))
        .group_by(concern::Column::YoungPersonId)
        .group_by(concern::Column::Category)
        .into_tuple()
        .all(conn)
        .await?;
    let mut concerns: HashMap<(Uuid, String), i64> = HashMap::new();
    for (yp, cat, n) in concern_rows {
        concerns.insert((yp, cat), n);
    }

    // Outcomes, and the indicators of each young person's latest assessment.
    let outcomes = crate::outcomes::outcomes_for(conn, &yp_ids).await?;
    let assessment_rows: Vec<AssessmentRow> = assessment::Entity::find()
        .select_only()
        .column(assessment::Column::YoungPersonId)
        .column(assessment::Column::Id)
        .column(assessment::Column::TakenOn)
        .column(assessment::Column::RecordedAt)
        .column(assessment::Column::Indicators)
        .filter(assessment::Column::YoungPersonId.is_in(yp_ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut latest: HashMap<Uuid, (NaiveDate, chrono::DateTime<chrono::Utc>, Uuid, JsonText<Indicators>)> = HashMap::new();
    for (yp, id, taken_on, recorded_at, indicators) in assessment_rows {
        let key = (taken_on, recorded_at, id);
        match latest.get(&yp) {
            Some(cur) if (cur.0, cur.1, cur.2) >= key => {}
            _ => {
                latest.insert(yp, (taken_on, recorded_at, id, indicators));
            }
        }
    }

    let instruments = dictionary::instrument_codes();
    let mut rows = Vec::with_capacity(referrals.len());
    for r in &referrals {
        let Some(yp) = people.get(&r.young_person_id) else {
            return Err(ApiError::internal("a referral without its young person"));
        };
        let mut row = RowBuilder::new(ctx.columns);
        let pseudonym = ctx.pseudonyms.pseudonym(ctx.project, &yp.id)?;
        row.put("pseudonym", Cell::Str(pseudonym))?;
        let Some((first_received, _)) = first.get(&yp.id) else {
            return Err(ApiError::internal("a young person without a referral in the window"));
        };
        let qi = qi_of(yp.date_of_birth, *first_received, yp.ethnicity, yp.imd_decile, ctx.charities, yp.organisation_id, &yp.district)?;
        row.put("age_band", Cell::Str(qi.age_band))?;
        row.put("ethnic_group", Cell::Str(qi.ethnic_group))?;
        row.put("imd_quintile", Cell::Str(qi.imd_quintile))?;
        row.put("charity", Cell::Str(qi.charity))?;
        row.put("district", Cell::Str(qi.district))?;
        row.put("referral_source", Cell::Str(r.source_type.as_str().into()))?;
        row.put("received_period", Cell::Str(r.received_on.format("%Y-%m").to_string()))?;
        row.put("eligible", Cell::Bool(r.eligible))?;
        row.put("ace_count_band", Cell::Str(ace_band(yp.ace_count).into()))?;
        for ri in RiskIndicator::ALL {
            row.put(&dictionary::risk_column(*ri), Cell::Bool(yp.risk_indicators.contains(ri)))?;
        }
        row.put("status", Cell::Str(r.status.as_str().to_string()))?;
        row.put("days_to_decision", opt_str(r.decided_on.map(|d| day_band((d - r.received_on).num_days()))))?;
        let ms = matches.get(&r.id).map(Vec::as_slice).unwrap_or(&[]);
        row.put("days_to_match", opt_str(ms.iter().map(|m| m.proposed_on).min().map(|d| day_band((d - r.received_on).num_days()))))?;
        // A running match has no duration: measured to any day the recipient can work out
        // (the extract's, a month end), it would give away the day of the first meeting.
        let latest_met = ms.iter().filter(|m| m.first_meeting_on.is_some()).max_by_key(|m| (m.proposed_on, m.id));
        let duration = latest_met.and_then(|m| match (m.first_meeting_on, m.ended_on) {
            (Some(start), Some(end)) => Some(Ord::max((end - start).num_days(), 0)),
            _ => None,
        });
        row.put("match_duration", opt_str(duration.map(duration_band)))?;
        row.put("match_ongoing", latest_met.map(|m| Cell::Bool(m.ended_on.is_none())).unwrap_or(Cell::Null))?;
        let s = sessions.remove(&r.id).unwrap_or_default();
        row.put("sessions_attended", Cell::Str(session_band(s.attended).into()))?;
        row.put("session_hours", Cell::Str(hour_band(s.minutes).into()))?;
        row.put("attendance_rate", opt_str((s.logged > 0).then(|| attendance_band(s.attended, s.logged))))?;
        let her_outcomes = outcomes.get(&yp.id).map(Vec::as_slice).unwrap_or(&[]);
        for code in &instruments {
            let p = dictionary::instrument_prefix(code);
            let o = her_outcomes.iter().find(|o| o.instrument == *code);
            row.put(&format!("{p}_baseline"), opt_num(o.and_then(|o| o.baseline.as_ref()).map(|b| b.score)))?;
            row.put(&format!("{p}_latest"), opt_num(o.and_then(|o| o.latest.as_ref()).map(|b| b.score)))?;
            row.put(&format!("{p}_change"), opt_num(o.and_then(|o| o.change)))?;
            let kind =
                o.and_then(|o| o.change_kind).and_then(|k| serde_json::to_value(k).ok()).and_then(|v| v.as_str().map(str::to_string));
            row.put(&format!("{p}_reliable_change"), opt_str(kind.as_deref()))?;
        }
        let indicators: Option<&Indicators> = latest.get(&yp.id).map(|l| &*l.3);
        row.put("indicator_education_employment_status", opt_str(indicators.map(|i| i.education_employment_status.as_str())))?;
        row.put("indicator_police_contact", indicators.map(|i| Cell::Bool(i.police_contact_since_last_review)).unwrap_or(Cell::Null))?;
        row.put("indicator_first_time_entrant", indicators.map(|i| Cell::Bool(i.first_time_entrant)).unwrap_or(Cell::Null))?;
        row.put("indicator_missing_episodes", opt_str(indicators.map(|i| missing_band(i.missing_episodes))))?;
        for c in Category::ALL {
            let n = concerns.get(&(yp.id, c.as_str().to_string())).copied().unwrap_or(0);
            row.put(&dictionary::concern_column(*c), Cell::Bool(n > 0))?;
        }
        row.put("closure_reason", opt_str(r.closure_reason.map(ClosureReason::as_str)))?;
        row.put(dictionary::SUPPRESSED_COLUMNS, Cell::Null)?;
        rows.push(Built { person: yp.id, cells: row.finish()? });
    }
    Ok((rows, Some(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_follows_the_dictionary() {
        let cols = dictionary::columns();
        let mut row = RowBuilder::new(&cols);
        assert!(row.put("age_band", Cell::Str("11-13".into())).is_err(), "out of order");
        row.put("pseudonym", Cell::Str("abc".into())).unwrap();
        assert!(row.put("age_band", Cell::Str("12".into())).is_err(), "not an allowed value");
        assert!(row.put("age_band", Cell::Int(12)).is_err(), "wrong type");
        row.put("age_band", Cell::Str("11-13".into())).unwrap();
        assert!(row.finish().is_err(), "too short");
    }

    #[test]
    fn text_cells_cannot_become_spreadsheet_formulas() {
        for (s, csv) in [
            ("=1+1", "'=1+1"),
            ("+44", "'+44"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("=a,b", "\"'=a,b\""),
            ("1-2", "1-2"),
        ] {
            assert_eq!(Cell::Str(s.into()).csv(), csv, "{s:?}");
        }
        assert_eq!(Cell::Int(-2).csv(), "-2");
        assert_eq!(Cell::Num(-1.5).csv(), "-1.5");
    }

    #[test]
    fn cells_render() {
        assert_eq!(Cell::Str("a,\"b\"".into()).csv(), "\"a,\"\"b\"\"\"");
        assert_eq!(Cell::Null.csv(), "");
        assert_eq!(Cell::Num(1.5).csv(), "1.5");
        assert_eq!(Cell::Num(1.5).json(), serde_json::json!(1.5));
        assert_eq!(Cell::Bool(true).csv(), "true");
    }
}
