//! The disproportionality tables as they are published.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::disclosure::Published;
use super::disproportionality::{By, DisproportionalityStage};

/// One stage: what it counts and what its rate is over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisproportionalityStageInfo {
    pub stage: DisproportionalityStage,
    pub label: String,
    /// The rate whose ratio is the RRI, e.g. "accepted ÷ referred"; null for a stage that is
    /// only a base.
    pub rate: Option<String>,
    pub definition: String,
}

/// One group's count and RRI at one stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisproportionalityCell {
    pub stage: DisproportionalityStage,
    /// The count of young people, as published under the small-number rule.
    pub count: Published,
    /// The Relative Rate Index against the reference group (2 decimals; 1 for the reference
    /// group itself); null with `note` saying why when it is not shown.
    pub rri: Option<f64>,
    /// Lower end of the 95% confidence interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% confidence interval.
    pub ci_high: Option<f64>,
    /// Why there is no RRI or interval ("small numbers", "no events in the reference
    /// group", ...), or "reference group".
    pub note: Option<String>,
}

/// One group's row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisproportionalityGroup {
    /// `asian`, `black`, `mixed`, `white`, `other`, `prefer_not_to_say`, `not_known`, then
    /// the detailed White categories (`white_british`, `white_irish`,
    /// `white_gypsy_irish_traveller`, `white_roma`, `white_other`); or the quintile `1` to `5`
    /// and `not_known`.
    pub group: String,
    pub label: String,
    /// The group a detailed line's young people also count in (`white`); null for a group.
    pub within: Option<String>,
    /// The reference group (RRI 1 by definition).
    pub reference: bool,
    /// The county's females aged 11–24 in this group, from the population base (public
    /// figures); null without a base, and for groups a census does not count.
    pub population: Option<u64>,
    /// In stage order.
    pub stages: Vec<DisproportionalityCell>,
}

/// A stage's count over every group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisproportionalityTotal {
    pub stage: DisproportionalityStage,
    pub count: Published,
}

/// The population base in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PopulationBaseSource {
    /// Where the figures come from, as the file says.
    pub source: String,
    /// True when the figures are made up (the demo's example): the first stage's RRIs then
    /// mean nothing.
    pub synthetic: bool,
}

/// The small-number rule applied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisproportionalityDisclosure {
    /// `nhs` or `threshold`.
    pub mode: String,
    /// The threshold mode's k.
    pub k: Option<u32>,
    /// The rule in words, for counts and for RRIs.
    pub rule: String,
}

/// The disproportionality tables for one grouping.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disproportionality {
    pub by: By,
    /// Referrals received from this day (inclusive); null: from the first.
    pub from: Option<NaiveDate>,
    /// Referrals received up to this day (inclusive); null: to the last.
    pub to: Option<NaiveDate>,
    /// The day "sustained six months" is measured to for matches still running.
    pub as_of: NaiveDate,
    /// The reference group's key (by ethnicity `disproportionality_reference`, default
    /// `white`; by deprivation `5`).
    pub reference_group: String,
    /// Null when no population base is configured (the first stage then has no RRIs).
    pub population_base: Option<PopulationBaseSource>,
    /// Things the reader must know before using the figures (a synthetic or missing base).
    pub warnings: Vec<String>,
    pub disclosure: DisproportionalityDisclosure,
    /// The stages in order, each with its definition.
    pub stages: Vec<DisproportionalityStageInfo>,
    pub groups: Vec<DisproportionalityGroup>,
    /// Each stage's count over all groups (primary rule only).
    pub totals: Vec<DisproportionalityTotal>,
}
