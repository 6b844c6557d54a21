//! The programme report for the Coalition and the Youth Justice Management Board: referrals,
//! decisions, matches, sessions, closures, outcome change, safeguarding and the mentor
//! workforce, per period and in total. Every count is computed by grouped SQL
//! (`programme_sql`) and published only through the disclosure rule: tables with
//! `Rule::table`, stand-alone counts with `Rule::count`, and a mean, median, quartile or share
//! only over at least `Rule::min_people` people.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::disclosure::{Published, Rule};
use super::dto::*;
use super::figures::*;
use super::programme_sql::{self as sql, SUSTAINED_DAYS, Window};
use crate::error::ApiError;
use crate::outcomes::scoring::ChangeKind;
use crate::state::AppState;

/// The young person's district as published: one of her charity's districts (in the
/// charity's spelling, matched ignoring case and surrounding spaces), `other` for anything
/// else (a district is free text and may name a street, a school or a person), or
/// `not_recorded`.
pub fn published_district(recorded: Option<&str>, charity_districts: &[String]) -> String {
    let Some(d) = recorded else { return "not_recorded".into() };
    let d = d.trim().to_lowercase();
    charity_districts
        .iter()
        .find(|c| !c.trim().is_empty() && c.trim().to_lowercase() == d)
        .map_or_else(|| "other".into(), |c| c.trim().to_string())
}

/// Builds the report's pieces over one set of periods.
struct Builder {
    rule: Rule,
    group_by: ReportGroupBy,
    periods: Vec<String>,
}

impl Builder {
    /// A categories × periods table from (month, category, n) rows; `order` lists the known
    /// categories first (each shown, even at zero), then any others found, sorted.
    fn by_period(&self, key: &str, title: &str, rows: &[(String, String, u64)], order: &[&str]) -> ReportBreakdown {
        let mut cats: Vec<String> = order.iter().map(|s| s.to_string()).collect();
        let extra: BTreeSet<String> = rows.iter().map(|r| r.1.clone()).filter(|c| !cats.contains(c)).collect();
        cats.extend(extra);
        let mut grid = vec![vec![0u64; self.periods.len()]; cats.len()];
        let col: HashMap<&str, usize> = self.periods.iter().enumerate().map(|(i, p)| (p.as_str(), i)).collect();
        for (m, c, n) in rows {
            let p = period_of(m, self.group_by);
            if let (Some(&j), Some(i)) = (col.get(p.as_str()), cats.iter().position(|x| x == c)) {
                grid[i][j] += n;
            }
        }
        ReportBreakdown { key: key.into(), title: title.into(), rows: cats, columns: self.periods.clone(), table: self.rule.table(&grid) }
    }

    fn statistic_quantiles(&self, key: &str, title: &str, unit: &str, values: &[(String, i64)]) -> ReportStatistic {
        let mut per: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (m, v) in values {
            per.entry(period_of(m, self.group_by)).or_default().push(*v as f64);
        }
        let all: Vec<f64> = values.iter().map(|(_, v)| *v as f64).collect();
        ReportStatistic {
            key: key.into(),
            title: title.into(),
            unit: unit.into(),
            by_period: self.periods.iter().map(|p| quantile_figure(&self.rule, p, per.get(p).map_or(&[][..], |v| v.as_slice()))).collect(),
            total: quantile_figure(&self.rule, "total", &all),
        }
    }
}

/// Computes the programme report. `today` is the service's date.
pub async fn compute<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    req: &ReportRequest,
    today: NaiveDate,
) -> Result<ProgrammeReport, ApiError> {
    let rule = Rule::from_config(&state.config);
    let w = Window { from: req.from, to: req.to, organisation_id: req.organisation_id };

    let by_source = sql::referrals_by(conn, &w, "r.source_type").await?;
    let by_district_recorded = sql::referrals_by_district(conn, &w).await?;
    let charities: Vec<Uuid> = by_district_recorded.iter().map(|r| r.1).collect::<BTreeSet<_>>().into_iter().collect();
    let charity_districts = sql::organisation_districts(conn, &charities).await?;
    let by_district: Vec<(String, String, u64)> = by_district_recorded
        .iter()
        .map(|(m, org, d, n)| {
            (m.clone(), published_district(d.as_deref(), charity_districts.get(org).map_or(&[][..], |v| v.as_slice())), *n)
        })
        .collect();
    let mut district_order: Vec<String> = by_district
        .iter()
        .map(|r| r.1.clone())
        .filter(|d| d != "other" && d != "not_recorded")
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    district_order.push("other".into());
    let district_order: Vec<&str> = district_order.iter().map(String::as_str).collect();
    let decisions = sql::decisions(conn, &w).await?;
    let closures = sql::closures(conn, &w).await?;
    let to_decision = sql::days_to_decision(conn, &w).await?;
    let to_match = sql::days_to_match(conn, &w).await?;
    let spans = sql::match_spans(conn, &w).await?;
    let endings_type = sql::endings_by(conn, &w, "ending_type").await?;
    let endings_reason = sql::endings_by(conn, &w, "ending_reason").await?;
    let sessions = sql::sessions(conn, &w).await?;
    let minutes = sql::session_minutes(conn, &w).await?;
    let session_people = sql::session_people_by_month(conn, &w).await?;
    let concerns = sql::concerns(conn, &w).await?;
    let concern_decisions = sql::concern_decisions(conn, &w).await?;
    let training = sql::training_hours(conn, &w).await?;

    // The periods: from the first month with anything to the last, within the window.
    let months: BTreeSet<&str> = [&by_source, &decisions, &closures, &endings_type, &sessions, &concerns, &concern_decisions]
        .iter()
        .flat_map(|rows| rows.iter().map(|r| r.0.as_str()))
        .chain(to_decision.iter().chain(&to_match).map(|r| r.0.as_str()))
        .chain(minutes.iter().chain(&training).map(|r| r.0.as_str()))
        .collect();
    let parse = |m: &str| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    let first_started = spans.iter().map(|s| s.0).min();
    let first = months.iter().filter_map(|m| parse(m)).chain(first_started).min();
    let last = months.iter().filter_map(|m| parse(m)).max().or(first);
    let periods = match (first, last) {
        (Some(f), Some(l)) => {
            let f = req.from.map_or(f, |from| f.max(from));
            let l = req.to.map_or(l, |to| l.min(to));
            periods_between(f, l.max(f), req.group_by)
        }
        _ => Vec::new(),
    };
    let b = Builder { rule, group_by: req.group_by, periods: periods.clone() };
    let source_codes: Vec<&str> = crate::referrals::rules::SourceType::ALL.iter().map(|s| s.as_str()).collect();
    let closure_codes: Vec<&str> = crate::referrals::rules::ClosureReason::ALL.iter().map(|s| s.as_str()).collect();
    let ending_types: Vec<&str> = crate::matches::rules::EndingType::ALL.iter().map(|s| s.as_str()).collect();
    let ending_reasons: Vec<&str> = crate::matches::rules::EndingReason::ALL.iter().map(|s| s.as_str()).collect();
    let categories: Vec<&str> = crate::safeguarding::rules::Category::ALL.iter().map(|s| s.as_str()).collect();
    let decision_codes: Vec<&str> = crate::safeguarding::rules::Decision::ALL.iter().map(|s| s.as_str()).collect();

    let mut sections = Vec::new();
    sections.push(ReportSection {
        key: "referrals".into(),
        title: "Referrals received".into(),
        tables: vec![
            b.by_period("by_source", "Referrals received by source", &by_source, &source_codes),
            b.by_period("by_district", "Referrals received by district", &by_district, &district_order),
        ],
        series: vec![],
        statistics: vec![],
        notes: vec!["A district that is not one of the referring charity's districts is counted as \"other\".".into()],
    });
    sections.push(ReportSection {
        key: "decisions".into(),
        title: "Decisions and waiting times".into(),
        tables: vec![b.by_period("decisions", "Decisions made", &decisions, &["accepted", "declined", "waitlisted"])],
        series: vec![],
        statistics: vec![
            b.statistic_quantiles("days_to_decision", "Days from referral to decision", "days", &to_decision),
            b.statistic_quantiles("days_to_match", "Days from referral to a mentor proposed", "days", &to_match),
        ],
        notes: vec![
            "A decline's reason is free text kept sealed, so declines are counted without reasons.".into(),
            "A referral waitlisted and later accepted counts under both.".into(),
        ],
    });

    // Matches active in each period: begun (agreement signed) by its end, not ended before its start.
    let period_bounds: Vec<(NaiveDate, NaiveDate)> = periods.iter().filter_map(|p| bounds_of(p)).collect();
    let active_by_period: Vec<ReportPeriodCount> = periods
        .iter()
        .zip(&period_bounds)
        .map(|(p, (start, end))| {
            let n = spans.iter().filter(|(s, e)| s <= end && e.is_none_or(|e| e >= *start)).count() as u64;
            ReportPeriodCount { period: p.clone(), value: rule.count(n) }
        })
        .collect();
    let lengths: Vec<(String, i64)> = spans
        .iter()
        .filter_map(|(s, e)| e.filter(|e| req.from.is_none_or(|f| *e >= f)).map(|e| (month_key(e), (e - *s).num_days())))
        .collect();
    sections.push(ReportSection {
        key: "matches".into(),
        title: "Matches and endings".into(),
        tables: vec![
            b.by_period("endings", "Match endings, planned and unplanned", &endings_type, &ending_types),
            b.by_period("ending_reasons", "Match endings by reason", &endings_reason, &ending_reasons),
            b.by_period("closures", "Referrals closed, by reason", &closures, &closure_codes),
        ],
        series: vec![ReportSeries {
            key: "active_matches".into(),
            title: "Matches active in the period".into(),
            by_period: active_by_period,
            total: rule.count(spans.len() as u64),
        }],
        statistics: vec![b.statistic_quantiles("match_length_days", "Length of ended matches", "days", &lengths)],
        notes: vec![],
    });

    // Sessions: counts, hours and attendance.
    let people_by_period: HashMap<String, u64> = fold_people(&session_people, req.group_by);
    // Per period: hours, and the most young people seen in one of its months.
    let mut hours: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for (m, v, p) in &minutes {
        let e = hours.entry(period_of(m, req.group_by)).or_default();
        e.0 += v / 60.0;
        e.1 = e.1.max(*p);
    }
    let attended_people = sql::session_people(conn, &w, true).await?;
    let logged_people = sql::session_people(conn, &w, false).await?;
    let total_hours: f64 = minutes.iter().map(|m| m.1).sum::<f64>() / 60.0;
    let mut att: HashMap<String, (u64, u64)> = HashMap::new();
    for (m, c, n) in &sessions {
        let e = att.entry(period_of(m, req.group_by)).or_default();
        e.1 += n;
        if c == "attended" {
            e.0 += n;
        }
    }
    let (att_all, logged_all) = att.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    let sessions_table = b.by_period("sessions", "Sessions logged, attended or not", &sessions, &["attended", "not_attended"]);
    // A period's share is published only where its attended and not attended cells are both shown.
    let cell_hidden =
        |row: usize, col: usize| sessions_table.table.cells.get(row).and_then(|r| r.get(col)).is_none_or(Published::is_hidden);
    sections.push(ReportSection {
        key: "sessions".into(),
        title: "Sessions delivered".into(),
        tables: vec![sessions_table.clone()],
        series: vec![],
        statistics: vec![
            ReportStatistic {
                key: "hours_delivered".into(),
                title: "Hours of mentoring delivered".into(),
                unit: "hours".into(),
                by_period: periods
                    .iter()
                    .map(|p| {
                        let (h, people) = hours.get(p).copied().unwrap_or((0.0, 0));
                        value_figure(&rule, p, people, h, 1)
                    })
                    .collect(),
                total: value_figure(&rule, "total", attended_people, total_hours, 1),
            },
            ReportStatistic {
                key: "attendance".into(),
                title: "Share of logged sessions attended".into(),
                unit: "share".into(),
                by_period: periods
                    .iter()
                    .enumerate()
                    .map(|(j, p)| {
                        let (a, l) = att.get(p).copied().unwrap_or((0, 0));
                        let people = people_by_period.get(p).copied().unwrap_or(0);
                        share_figure(&rule, p, people, a, l, cell_hidden(0, j) || cell_hidden(1, j))
                    })
                    .collect(),
                total: share_figure(&rule, "total", logged_people, att_all, logged_all, false),
            },
        ],
        notes: vec!["Hours and attendance are shown only where enough young people had sessions.".into()],
    });

    // Outcome change of the young people of matched referrals received in the window.
    let cohort = sql::outcome_cohort(conn, &w).await?;
    let outcomes = crate::outcomes::outcomes_for(conn, &cohort).await?;
    let (outcome_section, improved) = outcome_section(&rule, &outcomes);
    sections.push(outcome_section);

    sections.push(ReportSection {
        key: "safeguarding".into(),
        title: "Safeguarding".into(),
        tables: vec![
            b.by_period("concerns_by_category", "Concerns raised, by category", &concerns, &categories),
            b.by_period("decisions", "Safeguarding decisions (mash_referral: referred to the MASH)", &concern_decisions, &decision_codes),
        ],
        series: vec![],
        statistics: vec![],
        notes: vec![],
    });

    // The mentor workforce now, and training over the window.
    let status_rows = sql::mentors_by_status(conn, &w).await?;
    let statuses: Vec<&str> = crate::mentors::rules::MentorStatus::ALL.iter().map(|s| s.as_str()).collect();
    let mut status_grid: Vec<Vec<u64>> = statuses.iter().map(|_| vec![0]).collect();
    for (_, c, n) in &status_rows {
        if let Some(i) = statuses.iter().position(|s| s == c) {
            status_grid[i][0] += n;
        }
    }
    let approved = sql::approved_mentors(conn, &w).await?;
    let compliant = compliant_count(conn, state, &approved, today).await?;
    let mut training_by: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for (m, v, p) in &training {
        let e = training_by.entry(period_of(m, req.group_by)).or_default();
        e.0 += v;
        e.1 = e.1.max(*p);
    }
    let training_total: f64 = training.iter().map(|t| t.1).sum();
    let training_people = training.iter().map(|t| t.2).max().unwrap_or(0);
    sections.push(ReportSection {
        key: "workforce".into(),
        title: "Mentor workforce".into(),
        tables: vec![ReportBreakdown {
            key: "mentors_by_status".into(),
            title: format!("Mentors by status on {today}"),
            rows: statuses.iter().map(|s| s.to_string()).collect(),
            columns: vec![today.to_string()],
            table: rule.table(&status_grid),
        }],
        series: vec![],
        statistics: vec![
            ReportStatistic {
                key: "compliance_rate".into(),
                title: "Approved mentors who may be matched today (every check and mandatory course in date)".into(),
                unit: "share".into(),
                by_period: vec![],
                total: share_figure(&rule, "total", approved.len() as u64, compliant, approved.len() as u64, false),
            },
            ReportStatistic {
                key: "training_hours".into(),
                title: "Training hours completed".into(),
                unit: "hours".into(),
                by_period: periods
                    .iter()
                    .map(|p| {
                        let (h, people) = training_by.get(p).copied().unwrap_or((0.0, 0));
                        value_figure(&rule, p, people, h, 1)
                    })
                    .collect(),
                total: value_figure(&rule, "total", training_people, training_total, 1),
            },
        ],
        notes: vec![
            "Mentors by status and the compliance rate are as they stand today, whatever the window.".into(),
            "People behind training hours per period are the most mentors trained in one month of it.".into(),
        ],
    });

    let [referred, accepted, matched, sustained] = sql::funnel(conn, &w, today).await?;
    let stage = |key: &str, title: &str, n: u64| ReportFunnelStage { key: key.into(), title: title.into(), value: rule.count(n) };
    let funnel = vec![
        stage("referred", "Referred", referred),
        stage("accepted", "Accepted", accepted),
        stage("matched", "Matched with a mentor", matched),
        stage("sustained_six_months", &format!("Match sustained six months ({SUSTAINED_DAYS} days)"), sustained),
        stage("improved_outcome", "Reliable improvement on an outcome measure", improved),
    ];

    let scope = match req.organisation_id {
        Some(id) => ProgrammeReportScope {
            kind: "charity".into(),
            organisation_id: Some(id),
            organisation_name: sql::organisation_name(conn, id).await?,
        },
        None => ProgrammeReportScope { kind: "programme".into(), organisation_id: None, organisation_name: None },
    };
    Ok(ProgrammeReport {
        title: "Programme report".into(),
        scope,
        from: req.from,
        to: req.to,
        group_by: req.group_by,
        generated_on: today,
        disclosure: disclosure_rule(&rule),
        periods,
        funnel,
        sections,
    })
}

/// The most young people seen in one month of each period (a lower bound of the period's
/// people: a period's distinct count cannot be summed from its months).
fn fold_people(rows: &[(String, String, u64)], group_by: ReportGroupBy) -> HashMap<String, u64> {
    let mut out: HashMap<String, u64> = HashMap::new();
    for (m, _, n) in rows {
        let e = out.entry(period_of(m, group_by)).or_default();
        *e = (*e).max(*n);
    }
    out
}

async fn compliant_count<C: ConnectionTrait>(conn: &C, state: &AppState, approved: &[Uuid], today: NaiveDate) -> Result<u64, ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if approved.is_empty() {
        return Ok(0);
    }
    let records = crate::mentors::service::ComplianceRecords::load(conn, approved).await?;
    let mut n = 0;
    for chunk in approved.chunks(crate::db::ID_CHUNK) {
        let profiles = crate::entities::mentor_profile::Entity::find()
            .filter(crate::entities::mentor_profile::Column::UserId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        for p in &profiles {
            n += u64::from(records.assess(state, p, today)?.matchable);
        }
    }
    Ok(n)
}

/// Bins of the SWEMWBS metric change (points): below −6, −6 to −3, ..., 6 and above.
pub const SWEMWBS_BINS: [(&str, f64, f64); 6] = [
    ("below -6", f64::NEG_INFINITY, -6.0),
    ("from -6 to -3", -6.0, -3.0),
    ("from -3 to 0", -3.0, 0.0),
    ("from 0 to 3", 0.0, 3.0),
    ("from 3 to 6", 3.0, 6.0),
    ("6 and above", 6.0, f64::INFINITY),
];

fn outcome_section(rule: &Rule, outcomes: &HashMap<Uuid, Vec<crate::outcomes::dto::Outcome>>) -> (ReportSection, u64) {
    let instruments = ["SWEMWBS", "YP-CORE", "CORE-10"];
    let mut changes: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut improved_people = 0u64;
    for items in outcomes.values() {
        let mut improved = false;
        for o in items {
            let Some(code) = instruments.iter().find(|c| c.eq_ignore_ascii_case(&o.instrument)) else { continue };
            if let (Some(change), Some(kind)) = (o.change, o.change_kind) {
                changes.entry(code).or_default().push(change);
                let e = kinds.entry(code).or_default();
                match kind {
                    ChangeKind::ReliableImprovement => {
                        e[0] += 1;
                        improved = true;
                    }
                    ChangeKind::NoReliableChange => e[1] += 1,
                    ChangeKind::ReliableDeterioration => e[2] += 1,
                }
            }
        }
        if improved {
            improved_people += 1;
        }
    }
    let swemwbs = changes.get("SWEMWBS").cloned().unwrap_or_default();
    let bins: Vec<Vec<u64>> =
        SWEMWBS_BINS.iter().map(|(_, lo, hi)| vec![swemwbs.iter().filter(|c| **c >= *lo && **c < *hi).count() as u64]).collect();
    let kind_grid: Vec<Vec<u64>> = instruments.iter().map(|c| kinds.get(c).copied().unwrap_or_default().to_vec()).collect();
    let mut statistics = Vec::new();
    for code in ["SWEMWBS", "YP-CORE"] {
        let v = changes.get(code).cloned().unwrap_or_default();
        statistics.push(ReportStatistic {
            key: format!("{}_change", code.to_lowercase().replace('-', "")),
            title: format!("{code} change from baseline to latest"),
            unit: "points".into(),
            by_period: vec![],
            total: quantile_figure(rule, "total", &v),
        });
    }
    let kind_table = rule.table(&kind_grid);
    for (i, code) in instruments.iter().enumerate() {
        let k = kinds.get(code).copied().unwrap_or_default();
        let n = k.iter().sum::<u64>();
        // The improvement cell as published in the reliable change table (secondary
        // suppression may hide a count the primary rule would show).
        let hidden = kind_table.cells.get(i).and_then(|r| r.first()).is_none_or(Published::is_hidden);
        statistics.push(ReportStatistic {
            key: format!("{}_reliable_improvement", code.to_lowercase().replace('-', "")),
            title: format!("Share with a reliable improvement on {code}"),
            unit: "share".into(),
            by_period: vec![],
            total: share_figure(rule, "total", n, k[0], n, hidden),
        });
    }
    let section = ReportSection {
        key: "outcomes".into(),
        title: "Outcome change".into(),
        tables: vec![
            ReportBreakdown {
                key: "swemwbs_change_distribution".into(),
                title: "SWEMWBS metric change (points), baseline to latest".into(),
                rows: SWEMWBS_BINS.iter().map(|b| b.0.to_string()).collect(),
                columns: vec!["young people".into()],
                table: rule.table(&bins),
            },
            ReportBreakdown {
                key: "reliable_change".into(),
                title: "Reliable change by measure".into(),
                rows: instruments.iter().map(|s| s.to_string()).collect(),
                columns: vec!["reliable_improvement".into(), "no_reliable_change".into(), "reliable_deterioration".into()],
                table: kind_table,
            },
        ],
        series: vec![],
        statistics,
        notes: vec![
            "Over the young people of matched referrals received in the window: their baseline and latest assessment.".into(),
            "A reliable change is at least the measure's threshold (SWEMWBS 3, YP-CORE 8, CORE-10 6).".into(),
        ],
    };
    (section, improved_people)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DisclosureMode;

    fn outcome(kind: ChangeKind) -> crate::outcomes::dto::Outcome {
        crate::outcomes::dto::Outcome {
            instrument: "SWEMWBS".into(),
            name: "SWEMWBS".into(),
            higher_is_better: true,
            reliable_change: 3.0,
            baseline: None,
            latest: None,
            change: Some(match kind {
                ChangeKind::ReliableImprovement => 4.0,
                ChangeKind::NoReliableChange => 0.0,
                ChangeKind::ReliableDeterioration => -4.0,
            }),
            change_kind: Some(kind),
            assessments: 2,
        }
    }

    fn cohort(improved: usize, same: usize, worse: usize) -> HashMap<Uuid, Vec<crate::outcomes::dto::Outcome>> {
        let kinds = std::iter::repeat_n(ChangeKind::ReliableImprovement, improved)
            .chain(std::iter::repeat_n(ChangeKind::NoReliableChange, same))
            .chain(std::iter::repeat_n(ChangeKind::ReliableDeterioration, worse));
        kinds.map(|k| (Uuid::new_v4(), vec![outcome(k)])).collect()
    }

    fn improvement_share(rule: &Rule, improved: usize, same: usize, worse: usize) -> Option<f64> {
        let (section, _) = outcome_section(rule, &cohort(improved, same, worse));
        section.statistics.iter().find(|s| s.key == "swemwbs_reliable_improvement").and_then(|s| s.total.value)
    }

    #[test]
    fn the_reliable_improvement_share_never_reveals_a_hidden_cell() {
        let t5 = Rule { mode: DisclosureMode::Threshold, k: 5 };
        // Shown "<5, 6, <5" over 9 people: 0.111 would be the 1.
        assert_eq!(improvement_share(&t5, 1, 6, 2), None);
        // [6, 7, 1]: the 1 is hidden, and the 6 with it by secondary suppression; 0.43 of 14
        // would give the 6 (and so the 1) away.
        let (section, _) = outcome_section(&t5, &cohort(6, 7, 1));
        let table = &section.tables[1].table;
        assert!(table.cells[0][0].is_hidden() && table.cells[0][2].is_hidden());
        assert_eq!(improvement_share(&t5, 6, 7, 1), None);
        assert_eq!(improvement_share(&t5, 6, 7, 5), Some(0.33));
        let nhs = Rule { mode: DisclosureMode::Nhs, k: 5 };
        assert_eq!(improvement_share(&nhs, 1, 7, 0), None);
        assert_eq!(improvement_share(&nhs, 8, 8, 0), Some(0.5));
    }

    #[test]
    fn a_district_is_published_only_when_it_is_one_of_the_charitys() {
        let ds = vec!["Ashworth".to_string(), "Fenwick".to_string()];
        assert_eq!(published_district(Some("Ashworth"), &ds), "Ashworth");
        assert_eq!(published_district(Some("  fenwick "), &ds), "Fenwick");
        assert_eq!(published_district(Some("12 Acacia Avenue, Ashworth"), &ds), "other");
        assert_eq!(published_district(Some("Ashworth"), &[]), "other");
        assert_eq!(published_district(None, &ds), "not_recorded");
    }
}
