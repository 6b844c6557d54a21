//! Matching and what follows it: the young person's matching preferences, declared conflicts
//! of interest, matches and their history, mentors' session logs with every earlier version,
//! support contacts, and the outcome instruments and assessments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::{Organisations, Users};
use crate::m20261123_000002_referrals::{Referrals, YoungPeople};
use crate::m20261123_000003_mentors::MentorProfiles;
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // What she likes and when she is free, for matching. SQLite adds one column per ALTER.
        for col in [YoungPeople::Interests, YoungPeople::Languages, YoungPeople::Availability, YoungPeople::MentorPreferences] {
            m.alter_table(Table::alter().table(YoungPeople::Table).add_column(text(col).default("[]")).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(MentorConflicts::Table)
                .col(uuid(MentorConflicts::Id).primary_key())
                .col(uuid(MentorConflicts::MentorId))
                .col(uuid(MentorConflicts::YoungPersonId))
                .col(uuid(MentorConflicts::OrganisationId))
                .col(text(MentorConflicts::Reason))
                .col(date(MentorConflicts::DeclaredOn))
                .col(uuid(MentorConflicts::RecordedBy))
                .col(timestamp_with_time_zone(MentorConflicts::RecordedAt))
                .foreign_key(&mut fk((MentorConflicts::Table, MentorConflicts::MentorId), (MentorProfiles::Table, MentorProfiles::UserId)))
                .foreign_key(&mut fk((MentorConflicts::Table, MentorConflicts::YoungPersonId), (YoungPeople::Table, YoungPeople::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_mentor_conflicts_mentor").table(MentorConflicts::Table).col(MentorConflicts::MentorId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Matches::Table)
                .col(uuid(Matches::Id).primary_key())
                .col(uuid(Matches::OrganisationId))
                .col(uuid(Matches::ReferralId))
                .col(uuid(Matches::YoungPersonId))
                .col(uuid(Matches::MentorId))
                .col(uuid(Matches::MentorOrganisationId))
                .col(
                    string_len(Matches::Status, 16)
                        .check(one_of(Matches::Status, &["proposed", "introduced", "active", "paused", "ended"])),
                )
                .col(integer_null(Matches::Score))
                .col(text(Matches::Criteria))
                .col(date(Matches::ProposedOn))
                .col(date_null(Matches::FirstMeetingOn))
                .col(text_null(Matches::StaffPresent))
                .col(date_null(Matches::AgreementSignedOn))
                .col(date_null(Matches::EndedOn))
                .col(string_len_null(Matches::EndingType, 16).check(one_of(Matches::EndingType, &["planned", "unplanned"])))
                .col(string_len_null(Matches::EndingReason, 32))
                .col(boolean_null(Matches::ExitConversationHeld))
                .col(text_null(Matches::SharedSafetyInfo))
                .col(integer(Matches::Version))
                .col(uuid(Matches::CreatedBy))
                .col(timestamp_with_time_zone(Matches::CreatedAt))
                .col(timestamp_with_time_zone(Matches::UpdatedAt))
                .foreign_key(&mut fk((Matches::Table, Matches::ReferralId), (Referrals::Table, Referrals::Id)))
                .foreign_key(&mut fk((Matches::Table, Matches::YoungPersonId), (YoungPeople::Table, YoungPeople::Id)))
                .foreign_key(&mut fk((Matches::Table, Matches::MentorId), (MentorProfiles::Table, MentorProfiles::UserId)))
                .foreign_key(&mut fk((Matches::Table, Matches::OrganisationId), (Organisations::Table, Organisations::Id)))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_matches_org", Matches::OrganisationId),
            ("ix_matches_mentor", Matches::MentorId),
            ("ix_matches_referral", Matches::ReferralId),
        ] {
            m.create_index(Index::create().name(name).table(Matches::Table).col(col).to_owned()).await?;
        }
        // A young person has at most one match that has not ended: the database holds the rule
        // even if two coordinators confirm at the same moment.
        m.create_index(
            Index::create()
                .name("ux_matches_one_open_per_young_person")
                .table(Matches::Table)
                .col(Matches::YoungPersonId)
                .unique()
                .and_where(Expr::col(Matches::Status).ne("ended"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MatchTransitions::Table)
                .col(uuid(MatchTransitions::Id).primary_key())
                .col(uuid(MatchTransitions::MatchId))
                .col(uuid(MatchTransitions::OrganisationId))
                .col(string_len_null(MatchTransitions::FromStatus, 16))
                .col(string_len(MatchTransitions::ToStatus, 16))
                .col(date(MatchTransitions::OnDate))
                .col(text(MatchTransitions::Details))
                .col(uuid(MatchTransitions::ActorId))
                .col(timestamp_with_time_zone(MatchTransitions::At))
                .foreign_key(&mut fk((MatchTransitions::Table, MatchTransitions::MatchId), (Matches::Table, Matches::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_match_transitions_match").table(MatchTransitions::Table).col(MatchTransitions::MatchId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MentoringSessions::Table)
                .col(uuid(MentoringSessions::Id).primary_key())
                .col(uuid(MentoringSessions::MatchId))
                .col(uuid(MentoringSessions::OrganisationId))
                .col(uuid(MentoringSessions::MentorId))
                .col(uuid(MentoringSessions::YoungPersonId))
                .col(date(MentoringSessions::HeldOn))
                .col(boolean(MentoringSessions::Attended))
                .col(small_integer_null(MentoringSessions::DurationMinutes))
                .col(
                    string_len_null(MentoringSessions::Mode, 16)
                        .check(one_of(MentoringSessions::Mode, &["in_person", "phone", "video", "group_activity"])),
                )
                .col(string_len_null(MentoringSessions::LocationCategory, 24))
                .col(text(MentoringSessions::Activities))
                .col(small_integer_null(MentoringSessions::Engagement))
                .col(small_integer_null(MentoringSessions::MoodBefore))
                .col(small_integer_null(MentoringSessions::MoodAfter))
                .col(text_null(MentoringSessions::Notes))
                .col(integer(MentoringSessions::Version))
                .col(uuid(MentoringSessions::CreatedBy))
                .col(timestamp_with_time_zone(MentoringSessions::CreatedAt))
                .col(uuid(MentoringSessions::UpdatedBy))
                .col(timestamp_with_time_zone(MentoringSessions::UpdatedAt))
                .foreign_key(&mut fk((MentoringSessions::Table, MentoringSessions::MatchId), (Matches::Table, Matches::Id)))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_mentoring_sessions_match", MentoringSessions::MatchId),
            ("ix_mentoring_sessions_mentor", MentoringSessions::MentorId),
            ("ix_mentoring_sessions_org", MentoringSessions::OrganisationId),
        ] {
            m.create_index(Index::create().name(name).table(MentoringSessions::Table).col(col).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(SessionVersions::Table)
                .col(uuid(SessionVersions::Id).primary_key())
                .col(uuid(SessionVersions::SessionId))
                .col(integer(SessionVersions::Version))
                .col(text(SessionVersions::Content))
                .col(uuid(SessionVersions::RecordedBy))
                .col(timestamp_with_time_zone(SessionVersions::RecordedAt))
                .foreign_key(&mut fk(
                    (SessionVersions::Table, SessionVersions::SessionId),
                    (MentoringSessions::Table, MentoringSessions::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_session_versions")
                .table(SessionVersions::Table)
                .col(SessionVersions::SessionId)
                .col(SessionVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SupportContacts::Table)
                .col(uuid(SupportContacts::Id).primary_key())
                .col(uuid(SupportContacts::MatchId))
                .col(uuid(SupportContacts::OrganisationId))
                .col(
                    string_len(SupportContacts::ContactWith, 16).check(one_of(SupportContacts::ContactWith, &["mentor", "mentee", "both"])),
                )
                .col(date(SupportContacts::ContactOn))
                .col(string_len(SupportContacts::Method, 16))
                .col(text_null(SupportContacts::Notes))
                .col(uuid(SupportContacts::RecordedBy))
                .col(timestamp_with_time_zone(SupportContacts::RecordedAt))
                .foreign_key(&mut fk((SupportContacts::Table, SupportContacts::MatchId), (Matches::Table, Matches::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_support_contacts_match").table(SupportContacts::Table).col(SupportContacts::MatchId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Instruments::Table)
                .col(uuid(Instruments::Id).primary_key())
                .col(string_len(Instruments::Code, 32))
                .col(string_len(Instruments::Version, 32))
                .col(string_len(Instruments::Name, 200))
                .col(text(Instruments::Definition))
                .col(uuid_null(Instruments::CreatedBy))
                .col(timestamp_with_time_zone(Instruments::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_instruments_code_version")
                .table(Instruments::Table)
                .col(Instruments::Code)
                .col(Instruments::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Assessments::Table)
                .col(uuid(Assessments::Id).primary_key())
                .col(uuid(Assessments::YoungPersonId))
                .col(uuid(Assessments::OrganisationId))
                .col(uuid(Assessments::InstrumentId))
                .col(string_len(Assessments::Timepoint, 16).check(one_of(Assessments::Timepoint, &["baseline", "review", "exit"])))
                .col(date(Assessments::TakenOn))
                .col(text(Assessments::Answers))
                .col(text(Assessments::Indicators))
                .col(uuid(Assessments::AdministeredBy))
                .col(timestamp_with_time_zone(Assessments::RecordedAt))
                .foreign_key(&mut fk((Assessments::Table, Assessments::YoungPersonId), (YoungPeople::Table, YoungPeople::Id)))
                .foreign_key(&mut fk((Assessments::Table, Assessments::InstrumentId), (Instruments::Table, Instruments::Id)))
                .foreign_key(&mut fk((Assessments::Table, Assessments::AdministeredBy), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
        for (name, col) in
            [("ix_assessments_young_person", Assessments::YoungPersonId), ("ix_assessments_org", Assessments::OrganisationId)]
        {
            m.create_index(Index::create().name(name).table(Assessments::Table).col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Assessments::Table.into_iden(),
            Instruments::Table.into_iden(),
            SupportContacts::Table.into_iden(),
            SessionVersions::Table.into_iden(),
            MentoringSessions::Table.into_iden(),
            MatchTransitions::Table.into_iden(),
            Matches::Table.into_iden(),
            MentorConflicts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for col in [YoungPeople::Interests, YoungPeople::Languages, YoungPeople::Availability, YoungPeople::MentorPreferences] {
            m.alter_table(Table::alter().table(YoungPeople::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MentorConflicts {
    Table,
    Id,
    MentorId,
    YoungPersonId,
    OrganisationId,
    Reason,
    DeclaredOn,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Matches {
    Table,
    Id,
    OrganisationId,
    ReferralId,
    YoungPersonId,
    MentorId,
    MentorOrganisationId,
    Status,
    Score,
    Criteria,
    ProposedOn,
    FirstMeetingOn,
    StaffPresent,
    AgreementSignedOn,
    EndedOn,
    EndingType,
    EndingReason,
    ExitConversationHeld,
    SharedSafetyInfo,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MatchTransitions {
    Table,
    Id,
    MatchId,
    OrganisationId,
    FromStatus,
    ToStatus,
    OnDate,
    Details,
    ActorId,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MentoringSessions {
    Table,
    Id,
    MatchId,
    OrganisationId,
    MentorId,
    YoungPersonId,
    HeldOn,
    Attended,
    DurationMinutes,
    Mode,
    LocationCategory,
    Activities,
    Engagement,
    MoodBefore,
    MoodAfter,
    Notes,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum SessionVersions {
    Table,
    Id,
    SessionId,
    Version,
    Content,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum SupportContacts {
    Table,
    Id,
    MatchId,
    OrganisationId,
    ContactWith,
    ContactOn,
    Method,
    Notes,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Instruments {
    Table,
    Id,
    Code,
    Version,
    Name,
    Definition,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Assessments {
    Table,
    Id,
    YoungPersonId,
    OrganisationId,
    InstrumentId,
    Timepoint,
    TakenOn,
    Answers,
    Indicators,
    AdministeredBy,
    RecordedAt,
}
