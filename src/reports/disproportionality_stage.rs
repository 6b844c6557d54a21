//! The stages of the disproportionality tables, from referral to an improved outcome: their
//! codes, labels, bases, rates and definitions.

use serde::Serialize;
use utoipa::ToSchema;

/// A stage of the programme, from referral to an improved outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisproportionalityStage {
    Referred,
    Accepted,
    Matched,
    CouldReachSixMonths,
    SustainedSixMonths,
    WithOutcomes,
    ImprovedOutcome,
}

pub(crate) use DisproportionalityStage as Stage;

pub(crate) const STAGES: [Stage; 7] = [
    Stage::Referred,
    Stage::Accepted,
    Stage::Matched,
    Stage::CouldReachSixMonths,
    Stage::SustainedSixMonths,
    Stage::WithOutcomes,
    Stage::ImprovedOutcome,
];

impl Stage {
    pub(crate) fn index(self) -> usize {
        STAGES.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Referred => "referred",
            Stage::Accepted => "accepted",
            Stage::Matched => "matched",
            Stage::CouldReachSixMonths => "could_reach_six_months",
            Stage::SustainedSixMonths => "sustained_six_months",
            Stage::WithOutcomes => "with_outcomes",
            Stage::ImprovedOutcome => "improved_outcome",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Stage::Referred => "Referred",
            Stage::Accepted => "Accepted",
            Stage::Matched => "Matched",
            Stage::CouldReachSixMonths => "Matched six months before",
            Stage::SustainedSixMonths => "Sustained six months",
            Stage::WithOutcomes => "With outcomes",
            Stage::ImprovedOutcome => "Improved outcome",
        }
    }

    /// The stage whose count is this stage's base; `None` for referral (the population base)
    /// and for the stages that are only the base of the next ("could reach six months" of
    /// "sustained", "with outcomes" of "improved outcome").
    pub(crate) fn base(self) -> Option<Stage> {
        match self {
            Stage::Referred | Stage::WithOutcomes | Stage::CouldReachSixMonths => None,
            Stage::Accepted => Some(Stage::Referred),
            Stage::Matched => Some(Stage::Accepted),
            Stage::SustainedSixMonths => Some(Stage::CouldReachSixMonths),
            Stage::ImprovedOutcome => Some(Stage::WithOutcomes),
        }
    }

    pub(crate) fn has_rri(self) -> bool {
        !matches!(self, Stage::WithOutcomes | Stage::CouldReachSixMonths)
    }

    pub(crate) fn rate(self) -> Option<&'static str> {
        match self {
            Stage::Referred => Some("referred ÷ population base"),
            Stage::Accepted => Some("accepted ÷ referred"),
            Stage::Matched => Some("matched ÷ accepted"),
            Stage::SustainedSixMonths => Some("sustained six months ÷ matched six months before"),
            Stage::WithOutcomes | Stage::CouldReachSixMonths => None,
            Stage::ImprovedOutcome => Some("improved outcome ÷ with outcomes"),
        }
    }

    pub(crate) fn definition(self) -> &'static str {
        match self {
            Stage::Referred => "Young people with a referral received in the period (by received date).",
            Stage::Accepted => {
                "Of those, young people with a referral of the period that was accepted (moved to accepted, or matched, which \
                 needs acceptance first)."
            }
            Stage::Matched => "Of those, young people with a match confirmed for a referral of the period (whatever became of it).",
            Stage::CouldReachSixMonths => {
                "Of the matched, young people with a match whose mentoring agreement was signed at least six calendar months \
                 before the day the tables are measured to (as_of): the only ones whose match could have run six months, so \
                 a match too young to have reached six months is not counted as one that did not. Only the base of the \
                 sustained stage: it has no RRI of its own."
            }
            Stage::SustainedSixMonths => {
                "Of those, young people whose match ran at least six calendar months: from the day the mentoring agreement was \
                 signed to the day it ended, or to as_of for a match still running (paused time included)."
            }
            Stage::WithOutcomes => {
                "Of the matched, young people with a baseline and a later assessment on at least one outcome instrument. Only the \
                 base of the improved-outcome stage: it has no RRI of its own."
            }
            Stage::ImprovedOutcome => {
                "Of those with outcomes, young people with a reliable improvement (a change of at least the instrument's \
                 reliable-change threshold in the better direction) on any instrument, from her latest baseline to her latest \
                 assessment after it."
            }
        }
    }
}
