use sea_orm::entity::prelude::*;

/// A safeguarding concern. Never updated except for the status columns, which follow from
/// its entries; never deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "concerns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The young person's charity.
    pub organisation_id: Uuid,
    pub young_person_id: Uuid,
    pub raised_by: Uuid,
    pub raised_at: DateTimeUtc,
    pub observed_at: DateTimeUtc,
    pub category: Category,
    /// Sealed: what was seen or said.
    pub what_happened: String,
    /// Sealed: action already taken.
    pub action_taken: Option<String>,
    pub immediate_danger: bool,
    pub status: ConcernStatus,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// Where a concern is; it follows from its entries.
    ConcernStatus {
        Raised = "raised",
        Acknowledged = "acknowledged",
        InProgress = "in_progress",
        Referred = "referred",
        Closed = "closed",
    }
);

crate::codes::code_enum!(
    stored
    /// What the concern is about.
    Category {
        Cce = "cce",
        Cse = "cse",
        CountyLines = "county_lines",
        MissingEpisode = "missing_episode",
        SelfHarmOrSuicidalIdeation = "self_harm_or_suicidal_ideation",
        DomesticAbuse = "domestic_abuse",
        Neglect = "neglect",
        OnlineHarm = "online_harm",
        SubstanceMisuse = "substance_misuse",
        Other = "other",
    }
);
