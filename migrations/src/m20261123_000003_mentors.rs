//! Mentors: profiles, safer-recruitment checks, the training catalogue and records, and
//! supervision.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::{Organisations, Users};
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MentorProfiles::Table)
                .col(uuid(MentorProfiles::UserId).primary_key())
                .col(uuid(MentorProfiles::OrganisationId))
                .col(text(MentorProfiles::Districts))
                .col(text(MentorProfiles::Languages))
                .col(text(MentorProfiles::Interests))
                .col(text(MentorProfiles::Availability))
                .col(small_integer(MentorProfiles::Capacity))
                .col(small_integer(MentorProfiles::AgeMin))
                .col(small_integer(MentorProfiles::AgeMax))
                .col(text_null(MentorProfiles::LivedExperience))
                .col(string_len(MentorProfiles::RecruitmentSource, 32))
                .col(date(MentorProfiles::StartDate))
                .col(
                    string_len(MentorProfiles::Status, 16)
                        .check(one_of(MentorProfiles::Status, &["applicant", "in_vetting", "approved", "paused", "left"])),
                )
                .col(integer(MentorProfiles::Version))
                .col(timestamp_with_time_zone(MentorProfiles::CreatedAt))
                .col(timestamp_with_time_zone(MentorProfiles::UpdatedAt))
                .foreign_key(ForeignKey::create().from(MentorProfiles::Table, MentorProfiles::UserId).to(Users::Table, Users::Id))
                .foreign_key(
                    ForeignKey::create()
                        .from(MentorProfiles::Table, MentorProfiles::OrganisationId)
                        .to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_mentor_profiles_org").table(MentorProfiles::Table).col(MentorProfiles::OrganisationId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MentorChecks::Table)
                .col(uuid(MentorChecks::Id).primary_key())
                .col(uuid(MentorChecks::MentorId))
                .col(uuid(MentorChecks::OrganisationId))
                .col(string_len(MentorChecks::Kind, 24).check(one_of(
                    MentorChecks::Kind,
                    &["dbs", "reference", "interview", "identity", "code_of_conduct", "volunteer_agreement"],
                )))
                .col(date(MentorChecks::CompletedOn))
                .col(string_len(MentorChecks::Outcome, 24))
                .col(text(MentorChecks::Details))
                .col(uuid_null(MentorChecks::Supersedes))
                .col(uuid(MentorChecks::RecordedBy))
                .col(timestamp_with_time_zone(MentorChecks::RecordedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(MentorChecks::Table, MentorChecks::MentorId)
                        .to(MentorProfiles::Table, MentorProfiles::UserId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_mentor_checks_mentor").table(MentorChecks::Table).col(MentorChecks::MentorId).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table(TrainingCourses::Table)
                .col(uuid(TrainingCourses::Id).primary_key())
                .col(string_len(TrainingCourses::Name, 200).unique_key())
                .col(boolean(TrainingCourses::Mandatory))
                .col(double(TrainingCourses::Hours))
                .col(small_integer_null(TrainingCourses::ValidityMonths))
                .col(date(TrainingCourses::AvailableFrom))
                .col(timestamp_with_time_zone(TrainingCourses::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TrainingRecords::Table)
                .col(uuid(TrainingRecords::Id).primary_key())
                .col(uuid(TrainingRecords::MentorId))
                .col(uuid(TrainingRecords::OrganisationId))
                .col(uuid(TrainingRecords::CourseId))
                .col(date(TrainingRecords::CompletedOn))
                .col(double(TrainingRecords::Hours))
                .col(string_len(TrainingRecords::Provider, 200))
                .col(string_len_null(TrainingRecords::EvidenceRef, 200))
                .col(uuid(TrainingRecords::RecordedBy))
                .col(timestamp_with_time_zone(TrainingRecords::RecordedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TrainingRecords::Table, TrainingRecords::MentorId)
                        .to(MentorProfiles::Table, MentorProfiles::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TrainingRecords::Table, TrainingRecords::CourseId)
                        .to(TrainingCourses::Table, TrainingCourses::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_training_records_mentor").table(TrainingRecords::Table).col(TrainingRecords::MentorId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Supervisions::Table)
                .col(uuid(Supervisions::Id).primary_key())
                .col(uuid(Supervisions::MentorId))
                .col(uuid(Supervisions::OrganisationId))
                .col(uuid(Supervisions::CoordinatorId))
                .col(date(Supervisions::HeldOn))
                .col(small_integer(Supervisions::Minutes))
                .col(text(Supervisions::Topics))
                .col(boolean(Supervisions::ConcernDiscussed))
                .col(uuid_null(Supervisions::ConcernId))
                .col(text_null(Supervisions::PrivateNotes))
                .col(timestamp_with_time_zone(Supervisions::RecordedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Supervisions::Table, Supervisions::MentorId)
                        .to(MentorProfiles::Table, MentorProfiles::UserId),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_supervisions_mentor").table(Supervisions::Table).col(Supervisions::MentorId).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Supervisions::Table.into_iden(),
            TrainingRecords::Table.into_iden(),
            TrainingCourses::Table.into_iden(),
            MentorChecks::Table.into_iden(),
            MentorProfiles::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MentorProfiles {
    Table,
    UserId,
    OrganisationId,
    Districts,
    Languages,
    Interests,
    Availability,
    Capacity,
    AgeMin,
    AgeMax,
    LivedExperience,
    RecruitmentSource,
    StartDate,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MentorChecks {
    Table,
    Id,
    MentorId,
    OrganisationId,
    Kind,
    CompletedOn,
    Outcome,
    Details,
    Supersedes,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TrainingCourses {
    Table,
    Id,
    Name,
    Mandatory,
    Hours,
    ValidityMonths,
    AvailableFrom,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TrainingRecords {
    Table,
    Id,
    MentorId,
    OrganisationId,
    CourseId,
    CompletedOn,
    Hours,
    Provider,
    EvidenceRef,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Supervisions {
    Table,
    Id,
    MentorId,
    OrganisationId,
    CoordinatorId,
    HeldOn,
    Minutes,
    Topics,
    ConcernDiscussed,
    ConcernId,
    PrivateNotes,
    RecordedAt,
}
