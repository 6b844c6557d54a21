//! Young people, referrals and their transitions, case notes and possible duplicates.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::{Organisations, Users};
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const STATUSES: &[&str] = &["received", "screening", "accepted", "declined", "waitlisted", "matched", "active", "closed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(YoungPeople::Table)
                .col(uuid(YoungPeople::Id).primary_key())
                .col(uuid(YoungPeople::OrganisationId))
                .col(string_len(YoungPeople::LegalName, 200))
                .col(string_len(YoungPeople::PreferredName, 200))
                // Text, not varchar(200): lower-casing can lengthen a name ('İ' becomes two characters).
                .col(text(YoungPeople::NameKey))
                .col(date(YoungPeople::DateOfBirth))
                .col(string_len(YoungPeople::Gender, 32))
                .col(string_len_null(YoungPeople::GenderIdentity, 100))
                .col(string_len(YoungPeople::Ethnicity, 48))
                .col(string_len(YoungPeople::Postcode, 8))
                .col(string_len(YoungPeople::District, 100))
                .col(string_len_null(YoungPeople::LsoaCode, 9))
                .col(small_integer_null(YoungPeople::ImdDecile))
                .col(string_len_null(YoungPeople::IodEdition, 8))
                .col(text_null(YoungPeople::ContactDetails))
                .col(text_null(YoungPeople::ParentCarerContact))
                .col(string_len(YoungPeople::EducationStatus, 32))
                .col(string_len(YoungPeople::CareStatus, 32))
                .col(boolean(YoungPeople::Send))
                .col(text(YoungPeople::Aces))
                .col(small_integer(YoungPeople::AceCount))
                .col(text(YoungPeople::RiskIndicators))
                .col(text(YoungPeople::Consents))
                .col(boolean_null(YoungPeople::GillickCompetent))
                .col(string_len(YoungPeople::SafeguardingFlag, 8).check(one_of(YoungPeople::SafeguardingFlag, &["green", "amber", "red"])))
                .col(uuid_null(YoungPeople::MergedInto))
                .col(integer(YoungPeople::Version))
                .col(timestamp_with_time_zone(YoungPeople::CreatedAt))
                .col(timestamp_with_time_zone(YoungPeople::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(YoungPeople::Table, YoungPeople::OrganisationId).to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_young_people_org", YoungPeople::OrganisationId),
            ("ix_young_people_name_key", YoungPeople::NameKey),
            ("ix_young_people_district", YoungPeople::District),
            ("ix_young_people_dob", YoungPeople::DateOfBirth),
        ] {
            m.create_index(Index::create().name(name).table(YoungPeople::Table).col(col).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(Referrals::Table)
                .col(uuid(Referrals::Id).primary_key())
                .col(uuid(Referrals::YoungPersonId))
                .col(uuid(Referrals::OrganisationId))
                .col(date(Referrals::ReceivedOn))
                .col(string_len(Referrals::SourceType, 32))
                .col(text(Referrals::Referrer))
                .col(text(Referrals::Reasons))
                .col(string_len(Referrals::Status, 16).check(one_of(Referrals::Status, STATUSES)))
                .col(boolean(Referrals::Eligible))
                .col(text(Referrals::EligibilityReasons))
                .col(text_null(Referrals::EligibilityOverride))
                .col(text_null(Referrals::ConsentOverride))
                .col(text_null(Referrals::DeclineReason))
                .col(string_len_null(Referrals::ClosureReason, 32))
                .col(date_null(Referrals::DecidedOn))
                .col(uuid_null(Referrals::ReopenedFrom))
                .col(integer(Referrals::Version))
                .col(timestamp_with_time_zone(Referrals::CreatedAt))
                .col(timestamp_with_time_zone(Referrals::UpdatedAt))
                .foreign_key(ForeignKey::create().from(Referrals::Table, Referrals::YoungPersonId).to(YoungPeople::Table, YoungPeople::Id))
                .foreign_key(
                    ForeignKey::create().from(Referrals::Table, Referrals::OrganisationId).to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_referrals_org", Referrals::OrganisationId),
            ("ix_referrals_young_person", Referrals::YoungPersonId),
            ("ix_referrals_status", Referrals::Status),
            ("ix_referrals_received", Referrals::ReceivedOn),
        ] {
            m.create_index(Index::create().name(name).table(Referrals::Table).col(col).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(ReferralTransitions::Table)
                .col(uuid(ReferralTransitions::Id).primary_key())
                .col(uuid(ReferralTransitions::ReferralId))
                .col(uuid(ReferralTransitions::OrganisationId))
                .col(string_len_null(ReferralTransitions::FromStatus, 16))
                .col(string_len(ReferralTransitions::ToStatus, 16).check(one_of(ReferralTransitions::ToStatus, STATUSES)))
                .col(text_null(ReferralTransitions::Reason))
                .col(uuid(ReferralTransitions::ActorId))
                .col(timestamp_with_time_zone(ReferralTransitions::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReferralTransitions::Table, ReferralTransitions::ReferralId)
                        .to(Referrals::Table, Referrals::Id),
                )
                .foreign_key(
                    ForeignKey::create().from(ReferralTransitions::Table, ReferralTransitions::ActorId).to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_transitions_referral")
                .table(ReferralTransitions::Table)
                .col(ReferralTransitions::ReferralId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CaseNotes::Table)
                .col(uuid(CaseNotes::Id).primary_key())
                .col(uuid(CaseNotes::YoungPersonId))
                .col(uuid(CaseNotes::OrganisationId))
                .col(uuid(CaseNotes::AuthorId))
                .col(text(CaseNotes::Body))
                .col(uuid_null(CaseNotes::Corrects))
                .col(timestamp_with_time_zone(CaseNotes::CreatedAt))
                .foreign_key(ForeignKey::create().from(CaseNotes::Table, CaseNotes::YoungPersonId).to(YoungPeople::Table, YoungPeople::Id))
                .foreign_key(ForeignKey::create().from(CaseNotes::Table, CaseNotes::AuthorId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_case_notes_young_person").table(CaseNotes::Table).col(CaseNotes::YoungPersonId).to_owned())
            .await?;
        m.create_index(Index::create().name("ix_case_notes_org").table(CaseNotes::Table).col(CaseNotes::OrganisationId).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(DuplicateFlags::Table)
                .col(uuid(DuplicateFlags::Id).primary_key())
                .col(uuid(DuplicateFlags::YoungPersonId))
                .col(uuid(DuplicateFlags::MatchId))
                .col(string_len(DuplicateFlags::Status, 16).check(one_of(DuplicateFlags::Status, &["open", "merged", "dismissed"])))
                .col(timestamp_with_time_zone(DuplicateFlags::CreatedAt))
                .col(timestamp_with_time_zone_null(DuplicateFlags::ResolvedAt))
                .col(uuid_null(DuplicateFlags::ResolvedBy))
                .foreign_key(
                    ForeignKey::create().from(DuplicateFlags::Table, DuplicateFlags::YoungPersonId).to(YoungPeople::Table, YoungPeople::Id),
                )
                .foreign_key(
                    ForeignKey::create().from(DuplicateFlags::Table, DuplicateFlags::MatchId).to(YoungPeople::Table, YoungPeople::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_duplicates_status").table(DuplicateFlags::Table).col(DuplicateFlags::Status).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DuplicateFlags::Table.into_iden(),
            CaseNotes::Table.into_iden(),
            ReferralTransitions::Table.into_iden(),
            Referrals::Table.into_iden(),
            YoungPeople::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum YoungPeople {
    Table,
    Id,
    OrganisationId,
    LegalName,
    PreferredName,
    NameKey,
    DateOfBirth,
    Gender,
    GenderIdentity,
    Ethnicity,
    Postcode,
    District,
    LsoaCode,
    ImdDecile,
    IodEdition,
    ContactDetails,
    ParentCarerContact,
    EducationStatus,
    CareStatus,
    Send,
    Aces,
    AceCount,
    RiskIndicators,
    Consents,
    GillickCompetent,
    SafeguardingFlag,
    MergedInto,
    Version,
    CreatedAt,
    UpdatedAt,
    // Added by the matching migration.
    Interests,
    Languages,
    Availability,
    MentorPreferences,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Referrals {
    Table,
    Id,
    YoungPersonId,
    OrganisationId,
    ReceivedOn,
    SourceType,
    Referrer,
    Reasons,
    Status,
    Eligible,
    EligibilityReasons,
    EligibilityOverride,
    ConsentOverride,
    DeclineReason,
    ClosureReason,
    DecidedOn,
    ReopenedFrom,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ReferralTransitions {
    Table,
    Id,
    ReferralId,
    OrganisationId,
    FromStatus,
    ToStatus,
    Reason,
    ActorId,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseNotes {
    Table,
    Id,
    YoungPersonId,
    OrganisationId,
    AuthorId,
    Body,
    Corrects,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum DuplicateFlags {
    Table,
    Id,
    YoungPersonId,
    MatchId,
    Status,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
}
