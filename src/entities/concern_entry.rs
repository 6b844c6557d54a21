use sea_orm::entity::prelude::*;

/// One entry of a concern's chronology; append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "concern_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub concern_id: Uuid,
    pub organisation_id: Uuid,
    pub kind: EntryKind,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
    /// Sealed.
    pub text: Option<String>,
    pub decision: Option<Decision>,
    pub agency: Option<String>,
    pub agency_reference: Option<String>,
    pub consent_basis: Option<ConsentBasis>,
    pub outcome: Option<SignOffOutcome>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::codes::code_enum!(
    stored
    /// The kinds of entry in a concern's chronology.
    EntryKind {
        Addendum = "addendum",
        Acknowledgement = "acknowledgement",
        Action = "action",
        Decision = "decision",
        SignOff = "sign_off",
    }
);

crate::codes::code_enum!(
    stored
    /// A DSL's decision (`mash_referral`: MASH / children's social care). The referral kinds need the agency, its reference and the basis for
    /// sharing.
    Decision {
        NoFurtherAction = "no_further_action",
        Monitor = "monitor",
        MashReferral = "mash_referral",
        Police = "police",
        OtherAgency = "other_agency",
    }
);

crate::codes::code_enum!(
    stored
    /// The lawful basis for sharing information with another agency.
    ConsentBasis {
        Consent = "consent",
        WithoutConsentRiskOfHarm = "without_consent_risk_of_harm",
        WithoutConsentLegalDuty = "without_consent_legal_duty",
    }
);

crate::codes::code_enum!(
    stored
    /// How a concern was closed.
    SignOffOutcome {
        Resolved = "resolved",
        HandedToAgency = "handed_to_agency",
        NoFurtherConcern = "no_further_concern",
        MovedAway = "moved_away",
    }
);
