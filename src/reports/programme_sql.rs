//! The programme report's queries: each one grouped SQL that returns a few rows per month
//! (never one per record), portable between SQLite and PostgreSQL. Periods are grouped by
//! calendar month here; quarters are folded from months in Rust.

use chrono::{Days, NaiveDate, NaiveTime};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::error::ApiError;

/// The filters every query shares.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub organisation_id: Option<Uuid>,
}

/// A statement under construction: text with the backend's placeholders, and its values.
pub struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        match self.backend {
            DatabaseBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
            _ => self.text.push('?'),
        }
        self
    }

    /// "YYYY-MM" of a date column.
    pub fn month_of_date(&mut self, col: &str) -> &mut Self {
        let e = match self.backend {
            DatabaseBackend::Postgres => format!("to_char({col}, 'YYYY-MM')"),
            _ => format!("substr(CAST({col} AS TEXT), 1, 7)"),
        };
        self.push(&e)
    }

    /// "YYYY-MM" of a UTC timestamp column (PostgreSQL: independent of the session's zone).
    pub fn month_of_timestamp(&mut self, col: &str) -> &mut Self {
        let e = match self.backend {
            DatabaseBackend::Postgres => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM')"),
            _ => format!("substr(CAST({col} AS TEXT), 1, 7)"),
        };
        self.push(&e)
    }

    /// Whole days from `earlier` to `later` (date expressions), as a 64-bit integer.
    pub fn days_between(&mut self, later: &str, earlier: &str) -> &mut Self {
        let e = match self.backend {
            DatabaseBackend::Postgres => format!("CAST(({later}) - ({earlier}) AS BIGINT)"),
            _ => format!("CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"),
        };
        self.push(&e)
    }

    /// ` AND col` within the window's dates (inclusive).
    pub fn date_window(&mut self, col: &str, w: &Window) -> &mut Self {
        if let Some(f) = w.from {
            self.push(&format!(" AND {col} >= ")).bind(f);
        }
        if let Some(t) = w.to {
            self.push(&format!(" AND {col} <= ")).bind(t);
        }
        self
    }

    /// ` AND col` (a UTC timestamp) within the window's days.
    pub fn timestamp_window(&mut self, col: &str, w: &Window) -> &mut Self {
        if let Some(f) = w.from {
            self.push(&format!(" AND {col} >= ")).bind(f.and_time(NaiveTime::MIN).and_utc());
        }
        if let Some(t) = w.to {
            let next = t.checked_add_days(Days::new(1)).unwrap_or(t);
            self.push(&format!(" AND {col} < ")).bind(next.and_time(NaiveTime::MIN).and_utc());
        }
        self
    }

    /// ` AND col = organisation` when the report is for one charity.
    pub fn organisation(&mut self, col: &str, w: &Window) -> &mut Self {
        if let Some(org) = w.organisation_id {
            self.push(&format!(" AND {col} = ")).bind(org);
        }
        self
    }

    fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }

    /// Rows of (month `m`, category `c`, count `n`).
    pub async fn counts<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<(String, String, u64)>, ApiError> {
        let rows = conn.query_all_raw(self.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let m: Option<String> = r.try_get("", "m")?;
            let c: Option<String> = r.try_get("", "c")?;
            let n: i64 = r.try_get("", "n")?;
            out.push((m.unwrap_or_default(), c.unwrap_or_else(|| "not_recorded".into()), u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    /// Rows of (month `m`, a whole number `v`): one narrow column, for medians and sums.
    pub async fn numbers<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<(String, i64)>, ApiError> {
        let rows = conn.query_all_raw(self.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let m: Option<String> = r.try_get("", "m")?;
            let v: Option<i64> = r.try_get("", "v")?;
            if let (Some(m), Some(v)) = (m, v) {
                out.push((m, v));
            }
        }
        Ok(out)
    }

    /// Rows of (month `m`, a real number `v`, people `p`).
    pub async fn sums<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<(String, f64, u64)>, ApiError> {
        let rows = conn.query_all_raw(self.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let m: Option<String> = r.try_get("", "m")?;
            let v: Option<f64> = r.try_get("", "v")?;
            let p: i64 = r.try_get("", "p")?;
            if let Some(m) = m {
                out.push((m, v.unwrap_or(0.0), u64::try_from(p).unwrap_or(0)));
            }
        }
        Ok(out)
    }

    /// A single count `n`.
    pub async fn count<C: ConnectionTrait>(&self, conn: &C) -> Result<u64, ApiError> {
        let row = conn.query_one_raw(self.statement()).await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Rows of one id column `id`.
    pub async fn ids<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<Uuid>, ApiError> {
        let rows = conn.query_all_raw(self.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(r.try_get::<Uuid>("", "id")?);
        }
        Ok(out)
    }

    /// Rows of (start `s`, end `e`) dates.
    pub async fn spans<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<(NaiveDate, Option<NaiveDate>)>, ApiError> {
        let rows = conn.query_all_raw(self.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let s: Option<NaiveDate> = r.try_get("", "s")?;
            let e: Option<NaiveDate> = r.try_get("", "e")?;
            if let Some(s) = s {
                out.push((s, e));
            }
        }
        Ok(out)
    }
}

/// Referrals received, by month and `column` (source_type or the young person's district).
pub async fn referrals_by<C: ConnectionTrait>(conn: &C, w: &Window, by: &str) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("r.received_on").push(&format!(" AS m, {by} AS c, COUNT(*) AS n "));
    q.push("FROM referrals r JOIN young_people y ON y.id = r.young_person_id WHERE 1=1");
    q.date_window("r.received_on", w).organisation("r.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Referrals received, by month, charity and the young person's district as recorded (free
/// text): rows of (month, charity, district, count). The caller maps a district that is not
/// one of its charity's districts to `other` before publishing anything.
pub async fn referrals_by_district<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, Uuid, Option<String>, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("r.received_on").push(" AS m, r.organisation_id AS o, y.district AS c, COUNT(*) AS n ");
    q.push("FROM referrals r JOIN young_people y ON y.id = r.young_person_id WHERE 1=1");
    q.date_window("r.received_on", w).organisation("r.organisation_id", w);
    q.push(" GROUP BY 1, 2, 3");
    let rows = conn.query_all_raw(q.statement()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let m: Option<String> = r.try_get("", "m")?;
        let o: Uuid = r.try_get("", "o")?;
        let c: Option<String> = r.try_get("", "c")?;
        let n: i64 = r.try_get("", "n")?;
        out.push((m.unwrap_or_default(), o, c, u64::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

/// The districts of each of `ids`' charities (a JSON array in `organisations.districts`).
pub async fn organisation_districts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<String>>, ApiError> {
    use crate::entities::organisation;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let orgs = organisation::Entity::find().filter(organisation::Column::Id.is_in(ids.to_vec())).all(conn).await?;
    orgs.into_iter().map(|o| Ok((o.id, o.districts.to_vec()))).collect()
}

/// Decisions (accepted, declined, waitlisted) by the month they were made: referrals that
/// made each move, counted once per move.
pub async fn decisions<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_timestamp("t.at").push(" AS m, t.to_status AS c, COUNT(DISTINCT t.referral_id) AS n ");
    q.push(
        "FROM referral_transitions t JOIN referrals r ON r.id = t.referral_id WHERE t.to_status IN ('accepted', 'declined', 'waitlisted')",
    );
    q.timestamp_window("t.at", w).organisation("r.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Referrals closed, by month of closing and closure reason.
pub async fn closures<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_timestamp("t.at").push(" AS m, r.closure_reason AS c, COUNT(DISTINCT t.referral_id) AS n ");
    q.push("FROM referral_transitions t JOIN referrals r ON r.id = t.referral_id WHERE t.to_status = 'closed'");
    q.timestamp_window("t.at", w).organisation("r.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Days from receipt to decision, by the month of the decision: one narrow column.
pub async fn days_to_decision<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, i64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("r.decided_on").push(" AS m, ").days_between("r.decided_on", "r.received_on").push(" AS v ");
    q.push("FROM referrals r WHERE r.decided_on IS NOT NULL");
    q.date_window("r.decided_on", w).organisation("r.organisation_id", w);
    q.numbers(conn).await
}

/// Days from receipt to the first match proposed, by the month of that match.
pub async fn days_to_match<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, i64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("f.first_on").push(" AS m, ").days_between("f.first_on", "f.received_on").push(" AS v FROM (");
    q.push("SELECT r.received_on AS received_on, MIN(x.proposed_on) AS first_on FROM referrals r JOIN matches x ON x.referral_id = r.id WHERE 1=1");
    q.organisation("r.organisation_id", w);
    q.push(" GROUP BY r.id, r.received_on) f WHERE 1=1");
    q.date_window("f.first_on", w);
    q.numbers(conn).await
}

/// Matches that began (agreement signed) before the window ended and had not ended before
/// it began: (start, end) dates, two narrow columns.
pub async fn match_spans<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(NaiveDate, Option<NaiveDate>)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT x.agreement_signed_on AS s, x.ended_on AS e FROM matches x WHERE x.agreement_signed_on IS NOT NULL");
    if let Some(t) = w.to {
        q.push(" AND x.agreement_signed_on <= ").bind(t);
    }
    if let Some(f) = w.from {
        q.push(" AND (x.ended_on IS NULL OR x.ended_on >= ").bind(f).push(")");
    }
    q.organisation("x.organisation_id", w);
    q.spans(conn).await
}

/// Match endings by month and `column` (ending_type or ending_reason).
pub async fn endings_by<C: ConnectionTrait>(conn: &C, w: &Window, column: &str) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ")
        .month_of_date("x.ended_on")
        .push(&format!(" AS m, x.{column} AS c, COUNT(*) AS n FROM matches x WHERE x.ended_on IS NOT NULL"));
    q.date_window("x.ended_on", w).organisation("x.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Session logs by month, attended or not.
pub async fn sessions<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("s.held_on");
    q.push(" AS m, CASE WHEN s.attended THEN 'attended' ELSE 'not_attended' END AS c, COUNT(*) AS n FROM mentoring_sessions s WHERE 1=1");
    q.date_window("s.held_on", w).organisation("s.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Minutes delivered in attended sessions and the young people who had them, by month.
pub async fn session_minutes<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, f64, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("s.held_on");
    q.push(" AS m, CAST(SUM(s.duration_minutes) AS DOUBLE PRECISION) AS v, COUNT(DISTINCT s.young_person_id) AS p FROM mentoring_sessions s WHERE s.attended");
    q.date_window("s.held_on", w).organisation("s.organisation_id", w);
    q.push(" GROUP BY 1");
    q.sums(conn).await
}

/// Young people with sessions logged in the whole window (the base of attendance).
pub async fn session_people<C: ConnectionTrait>(conn: &C, w: &Window, attended_only: bool) -> Result<u64, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT COUNT(DISTINCT s.young_person_id) AS n FROM mentoring_sessions s WHERE 1=1");
    if attended_only {
        q.push(" AND s.attended");
    }
    q.date_window("s.held_on", w).organisation("s.organisation_id", w);
    q.count(conn).await
}

/// Young people with session logs (attended or not), by month.
pub async fn session_people_by_month<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ")
        .month_of_date("s.held_on")
        .push(" AS m, 'people' AS c, COUNT(DISTINCT s.young_person_id) AS n FROM mentoring_sessions s WHERE 1=1");
    q.date_window("s.held_on", w).organisation("s.organisation_id", w);
    q.push(" GROUP BY 1");
    q.counts(conn).await
}

/// Concerns raised by month and category.
pub async fn concerns<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_timestamp("c.raised_at").push(" AS m, c.category AS c, COUNT(*) AS n FROM concerns c WHERE 1=1");
    q.timestamp_window("c.raised_at", w).organisation("c.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Safeguarding decisions (MASH referrals among them) by month and decision.
pub async fn concern_decisions<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_timestamp("e.created_at");
    q.push(" AS m, e.decision AS c, COUNT(*) AS n FROM concern_entries e WHERE e.kind = 'decision' AND e.decision IS NOT NULL");
    q.timestamp_window("e.created_at", w).organisation("e.organisation_id", w);
    q.push(" GROUP BY 1, 2");
    q.counts(conn).await
}

/// Mentors by status now (a snapshot; `m` is empty).
pub async fn mentors_by_status<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, String, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT '' AS m, p.status AS c, COUNT(*) AS n FROM mentor_profiles p WHERE 1=1");
    q.organisation("p.organisation_id", w);
    q.push(" GROUP BY p.status");
    q.counts(conn).await
}

/// The approved mentors' ids (for the compliance rate; mentors number hundreds, not millions).
pub async fn approved_mentors<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<Uuid>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT p.user_id AS id FROM mentor_profiles p WHERE p.status = 'approved'");
    q.organisation("p.organisation_id", w);
    q.ids(conn).await
}

/// Training hours completed and the mentors who completed them, by month.
pub async fn training_hours<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<(String, f64, u64)>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT ").month_of_date("t.completed_on");
    q.push(" AS m, CAST(SUM(t.hours) AS DOUBLE PRECISION) AS v, COUNT(DISTINCT t.mentor_id) AS p FROM training_records t WHERE 1=1");
    q.date_window("t.completed_on", w).organisation("t.organisation_id", w);
    q.push(" GROUP BY 1");
    q.sums(conn).await
}

/// The referral-to-outcome funnel's SQL stages, over referrals received in the window:
/// (referred, accepted, matched, sustained six months).
pub async fn funnel<C: ConnectionTrait>(conn: &C, w: &Window, today: NaiveDate) -> Result<[u64; 4], ApiError> {
    let backend = conn.get_database_backend();
    let mut referred = Sql::new(backend);
    referred.push("SELECT COUNT(*) AS n FROM referrals r WHERE 1=1");
    referred.date_window("r.received_on", w).organisation("r.organisation_id", w);
    let mut accepted = Sql::new(backend);
    accepted.push("SELECT COUNT(DISTINCT r.id) AS n FROM referrals r JOIN referral_transitions t ON t.referral_id = r.id WHERE t.to_status = 'accepted'");
    accepted.date_window("r.received_on", w).organisation("r.organisation_id", w);
    let mut matched = Sql::new(backend);
    matched.push("SELECT COUNT(DISTINCT r.id) AS n FROM referrals r JOIN matches x ON x.referral_id = r.id WHERE 1=1");
    matched.date_window("r.received_on", w).organisation("r.organisation_id", w);
    let mut sustained = Sql::new(backend);
    sustained.push("SELECT COUNT(DISTINCT r.id) AS n FROM referrals r JOIN matches x ON x.referral_id = r.id WHERE x.agreement_signed_on IS NOT NULL AND ");
    let end = match backend {
        DatabaseBackend::Postgres => format!("COALESCE(x.ended_on, CAST('{today}' AS DATE))"),
        _ => format!("COALESCE(x.ended_on, '{today}')"),
    };
    sustained.days_between(&end, "x.agreement_signed_on").push(&format!(" >= {SUSTAINED_DAYS}"));
    sustained.date_window("r.received_on", w).organisation("r.organisation_id", w);
    Ok([referred.count(conn).await?, accepted.count(conn).await?, matched.count(conn).await?, sustained.count(conn).await?])
}

/// Six months, in days: a match that lasted this long is "sustained".
pub const SUSTAINED_DAYS: i64 = 182;

/// The young people of matched referrals received in the window: the outcome cohort.
pub async fn outcome_cohort<C: ConnectionTrait>(conn: &C, w: &Window) -> Result<Vec<Uuid>, ApiError> {
    let mut q = Sql::new(conn.get_database_backend());
    q.push("SELECT DISTINCT r.young_person_id AS id FROM referrals r JOIN matches x ON x.referral_id = r.id WHERE 1=1");
    q.date_window("r.received_on", w).organisation("r.organisation_id", w);
    q.ids(conn).await
}

/// Charity names by id, for the report's scope line.
pub async fn organisation_name<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<String>, ApiError> {
    use sea_orm::EntityTrait;
    Ok(crate::entities::organisation::Entity::find_by_id(id).one(conn).await?.map(|o| o.name))
}
