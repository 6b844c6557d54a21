//! Evaluation projects and the release ledger.
//!
//! A project is the recipient of evaluation extracts: registered by a programme admin with
//! its purpose, lawful basis and data-sharing agreement, open between two dates, with the
//! evaluator accounts bound to it. Every extract released to a project is a row of
//! `extract_releases` (who, when, the window, the generalisation and the file's hash), and
//! each pseudonym it released a row of `extract_release_people` (her key values and sensitive
//! values as released, and the columns withheld from her), so that a later release to the same project is never
//! finer than an earlier one and is k-anonymous together with them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::Users;
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EvaluationProjects::Table)
                .col(uuid(EvaluationProjects::Id).primary_key())
                .col(string_len(EvaluationProjects::Slug, 63).unique_key())
                .col(string_len(EvaluationProjects::Name, 200))
                .col(text(EvaluationProjects::Purpose))
                .col(string_len(EvaluationProjects::LawfulBasis, 32).check(one_of(
                    EvaluationProjects::LawfulBasis,
                    &["public_task", "legitimate_interests", "consent", "legal_obligation", "contract", "vital_interests"],
                )))
                .col(string_len(EvaluationProjects::AgreementReference, 100))
                .col(date(EvaluationProjects::StartsOn))
                .col(date(EvaluationProjects::EndsOn))
                .col(uuid(EvaluationProjects::CreatedBy))
                .col(integer(EvaluationProjects::Version))
                .col(timestamp_with_time_zone(EvaluationProjects::CreatedAt))
                .col(timestamp_with_time_zone(EvaluationProjects::UpdatedAt))
                .check(Expr::col(EvaluationProjects::StartsOn).lte(Expr::col(EvaluationProjects::EndsOn)))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EvaluationProjectEvaluators::Table)
                .col(uuid(EvaluationProjectEvaluators::ProjectId))
                .col(uuid(EvaluationProjectEvaluators::UserId))
                .col(uuid(EvaluationProjectEvaluators::AddedBy))
                .col(timestamp_with_time_zone(EvaluationProjectEvaluators::AddedAt))
                .primary_key(Index::create().col(EvaluationProjectEvaluators::ProjectId).col(EvaluationProjectEvaluators::UserId))
                .foreign_key(
                    ForeignKey::create()
                        .from(EvaluationProjectEvaluators::Table, EvaluationProjectEvaluators::ProjectId)
                        .to(EvaluationProjects::Table, EvaluationProjects::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(EvaluationProjectEvaluators::Table, EvaluationProjectEvaluators::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_evaluation_project_evaluators_user")
                .table(EvaluationProjectEvaluators::Table)
                .col(EvaluationProjectEvaluators::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExtractReleases::Table)
                .col(uuid(ExtractReleases::Id).primary_key())
                .col(uuid(ExtractReleases::ProjectId))
                .col(uuid(ExtractReleases::ReleasedBy))
                .col(timestamp_with_time_zone(ExtractReleases::ReleasedAt))
                .col(date_null(ExtractReleases::WindowFrom))
                .col(date_null(ExtractReleases::WindowTo))
                .col(string_len(ExtractReleases::Format, 8).check(one_of(ExtractReleases::Format, &["csv", "json"])))
                .col(integer(ExtractReleases::K))
                .col(text(ExtractReleases::KeyVariables))
                .col(text(ExtractReleases::Levels))
                .col(text(ExtractReleases::Columns))
                .col(big_integer(ExtractReleases::Rows))
                .col(big_integer(ExtractReleases::YoungPeople))
                .col(big_integer(ExtractReleases::WithheldRows))
                .col(big_integer(ExtractReleases::SuppressedValues))
                .col(big_integer(ExtractReleases::KAchieved))
                .col(integer_null(ExtractReleases::LAchieved))
                .col(big_integer(ExtractReleases::Bytes))
                .col(string_len(ExtractReleases::Sha256, 64))
                .foreign_key(
                    ForeignKey::create()
                        .from(ExtractReleases::Table, ExtractReleases::ProjectId)
                        .to(EvaluationProjects::Table, EvaluationProjects::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_extract_releases_project")
                .table(ExtractReleases::Table)
                .col(ExtractReleases::ProjectId)
                .col(ExtractReleases::ReleasedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ExtractReleasePeople::Table)
                .col(uuid(ExtractReleasePeople::ReleaseId))
                .col(string_len(ExtractReleasePeople::Pseudonym, 64))
                .col(text(ExtractReleasePeople::Keys))
                .col(text(ExtractReleasePeople::Withheld))
                .col(text(ExtractReleasePeople::Sensitive))
                .primary_key(Index::create().col(ExtractReleasePeople::ReleaseId).col(ExtractReleasePeople::Pseudonym))
                .foreign_key(
                    ForeignKey::create()
                        .from(ExtractReleasePeople::Table, ExtractReleasePeople::ReleaseId)
                        .to(ExtractReleases::Table, ExtractReleases::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ExtractReleasePeople::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ExtractReleases::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(EvaluationProjectEvaluators::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(EvaluationProjects::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum EvaluationProjects {
    Table,
    Id,
    Slug,
    Name,
    Purpose,
    LawfulBasis,
    AgreementReference,
    StartsOn,
    EndsOn,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum EvaluationProjectEvaluators {
    Table,
    ProjectId,
    UserId,
    AddedBy,
    AddedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ExtractReleases {
    Table,
    Id,
    ProjectId,
    ReleasedBy,
    ReleasedAt,
    WindowFrom,
    WindowTo,
    Format,
    K,
    KeyVariables,
    Levels,
    Columns,
    Rows,
    YoungPeople,
    WithheldRows,
    SuppressedValues,
    KAchieved,
    LAchieved,
    Bytes,
    Sha256,
}

#[derive(DeriveIden)]
pub enum ExtractReleasePeople {
    Table,
    ReleaseId,
    Pseudonym,
    Keys,
    Withheld,
    Sensitive,
}
