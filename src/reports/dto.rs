//! The programme report as it is published (JSON, and the CSV and HTML made from it).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::disclosure::{Published, PublishedTable};

/// How the report's periods are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportGroupBy {
    #[default]
    Quarter,
    Month,
}

/// Who the report covers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeReportScope {
    /// `programme` (every charity) or `charity` (one).
    pub kind: String,
    pub organisation_id: Option<Uuid>,
    pub organisation_name: Option<String>,
}

/// The small-number rule the report was published under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDisclosureRule {
    /// `nhs` or `threshold`.
    pub mode: String,
    /// The `threshold` mode's k (also shown in `nhs` mode, where it is not used).
    pub k: u32,
    /// The fewest people a share is published for.
    pub min_people: u64,
    /// The fewest people a mean, median or quartile is published for (at least 10).
    pub min_people_for_averages: u64,
    /// What a hidden count is shown as.
    pub hidden_symbol: String,
    /// The rule in words.
    pub description: String,
}

/// One table of published counts: `table.cells[row][column]`, with its totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportBreakdown {
    pub key: String,
    pub title: String,
    /// The row labels (codes, or districts as recorded).
    pub rows: Vec<String>,
    /// The column labels: periods, or the categories named by the table.
    pub columns: Vec<String>,
    pub table: PublishedTable,
}

/// A published figure for one period (or `total`): the people it is over, and the values
/// that apply to its statistic; a value over too few people is null with a note.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportFigure {
    pub period: String,
    /// How many people (or, for hours and attendance, young people seen) it is over.
    pub people: Published,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Lower and upper quartile: the inter-quartile range.
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    /// A total (hours) or a share (0–1).
    pub value: Option<f64>,
    pub note: Option<String>,
}

/// A statistic per period and in total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportStatistic {
    pub key: String,
    pub title: String,
    /// `days`, `hours`, `points` or `share`.
    pub unit: String,
    pub by_period: Vec<ReportFigure>,
    pub total: ReportFigure,
}

/// Stand-alone counts per period (not additive across periods, so no table totals).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportSeries {
    pub key: String,
    pub title: String,
    pub by_period: Vec<ReportPeriodCount>,
    /// Over the whole window.
    pub total: Published,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportPeriodCount {
    pub period: String,
    pub value: Published,
}

/// One part of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportSection {
    pub key: String,
    pub title: String,
    pub tables: Vec<ReportBreakdown>,
    pub series: Vec<ReportSeries>,
    pub statistics: Vec<ReportStatistic>,
    pub notes: Vec<String>,
}

/// One stage of the referral-to-outcome funnel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportFunnelStage {
    pub key: String,
    pub title: String,
    pub value: Published,
}

/// The programme report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeReport {
    pub title: String,
    pub scope: ProgrammeReportScope,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: ReportGroupBy,
    /// The day it was generated (the service's clock).
    pub generated_on: NaiveDate,
    pub disclosure: ReportDisclosureRule,
    /// The periods, oldest first (`2026-Q3` or `2026-07`).
    pub periods: Vec<String>,
    /// Referred → accepted → matched → sustained six months → improved outcome, over the
    /// referrals received in the window.
    pub funnel: Vec<ReportFunnelStage>,
    pub sections: Vec<ReportSection>,
}

/// What to report on.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: ReportGroupBy,
    pub organisation_id: Option<Uuid>,
}
