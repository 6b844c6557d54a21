use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonText;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "instruments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub version: String,
    pub name: String,
    /// JSON: items, scale, scoring, age range.
    pub definition: JsonText<Definition>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// How the item answers become a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scoring {
    /// The total of the items (prorated when items are missing).
    Sum,
    /// The total of the items, then converted through `table`: one entry for every possible
    /// total from `items × min` to `items × max`, in order (the SWEMWBS metric score).
    SumThenTable { table: Vec<f64> },
}

/// An instrument's definition: its items, their scale, how it is scored, for whom, and what
/// change counts as reliable. Stored as JSON in `instruments.definition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// How many items.
    pub items: u32,
    /// One key per item, in order, naming its wording (the wording itself is the
    /// publisher's and is not held here).
    pub item_keys: Vec<String>,
    /// The lowest and highest answer to each item.
    pub min: i32,
    pub max: i32,
    /// Items whose answer is reversed (`min + max - answer`) before scoring, by position from
    /// 0. Empty when the form already prints the scored value for positively worded items.
    #[serde(default)]
    pub reversed_items: Vec<u32>,
    pub scoring: Scoring,
    /// At most this many items may be missing; the total is then the mean of the answered
    /// items times `items`.
    pub max_prorated: u32,
    /// The ages (on the day it is taken) it may be used for; no upper bound when null.
    pub age_min: i32,
    pub age_max: Option<i32>,
    /// The ages it was validated for, when narrower than those it is used for: outside
    /// them the assessment is accepted with a warning.
    #[serde(default)]
    pub validated_age_min: Option<i32>,
    #[serde(default)]
    pub validated_age_max: Option<i32>,
    /// The smallest change of score that counts as reliable.
    pub reliable_change: f64,
    /// A higher score is better (SWEMWBS: wellbeing) or worse (CORE: distress).
    pub higher_is_better: bool,
}
