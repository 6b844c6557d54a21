//! Safeguarding concerns and their append-only chronology of entries. A concern is never
//! edited or deleted; its `status` is derived from its entries and stored for queries (the
//! list, the overdue report and the young person's flag). Narrative text is sealed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::{Organisations, Users};
use crate::m20261123_000002_referrals::YoungPeople;
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const CATEGORIES: &[&str] = &[
    "cce",
    "cse",
    "county_lines",
    "missing_episode",
    "self_harm_or_suicidal_ideation",
    "domestic_abuse",
    "neglect",
    "online_harm",
    "substance_misuse",
    "other",
];

fn fk(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Concerns::Table)
                .col(uuid(Concerns::Id).primary_key())
                .col(uuid(Concerns::OrganisationId))
                .col(uuid(Concerns::YoungPersonId))
                .col(uuid(Concerns::RaisedBy))
                .col(timestamp_with_time_zone(Concerns::RaisedAt))
                .col(timestamp_with_time_zone(Concerns::ObservedAt))
                .col(string_len(Concerns::Category, 40).check(one_of(Concerns::Category, CATEGORIES)))
                .col(text(Concerns::WhatHappened))
                .col(text_null(Concerns::ActionTaken))
                .col(boolean(Concerns::ImmediateDanger))
                .col(
                    string_len(Concerns::Status, 16)
                        .check(one_of(Concerns::Status, &["raised", "acknowledged", "in_progress", "referred", "closed"])),
                )
                .col(timestamp_with_time_zone_null(Concerns::AcknowledgedAt))
                .col(timestamp_with_time_zone_null(Concerns::ClosedAt))
                .foreign_key(&mut fk((Concerns::Table, Concerns::OrganisationId), (Organisations::Table, Organisations::Id)))
                .foreign_key(&mut fk((Concerns::Table, Concerns::YoungPersonId), (YoungPeople::Table, YoungPeople::Id)))
                .foreign_key(&mut fk((Concerns::Table, Concerns::RaisedBy), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_concerns_organisation").table(Concerns::Table).col(Concerns::OrganisationId).to_owned())
            .await?;
        m.create_index(Index::create().name("ix_concerns_young_person").table(Concerns::Table).col(Concerns::YoungPersonId).to_owned())
            .await?;
        m.create_index(Index::create().name("ix_concerns_status").table(Concerns::Table).col(Concerns::Status).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(ConcernEntries::Table)
                .col(uuid(ConcernEntries::Id).primary_key())
                .col(uuid(ConcernEntries::ConcernId))
                .col(uuid(ConcernEntries::OrganisationId))
                .col(
                    string_len(ConcernEntries::Kind, 16)
                        .check(one_of(ConcernEntries::Kind, &["addendum", "acknowledgement", "action", "decision", "sign_off"])),
                )
                .col(uuid(ConcernEntries::AuthorId))
                .col(timestamp_with_time_zone(ConcernEntries::CreatedAt))
                .col(text_null(ConcernEntries::Text))
                .col(
                    string_len_null(ConcernEntries::Decision, 32).check(one_of(
                        ConcernEntries::Decision,
                        &["no_further_action", "monitor", "mash_referral", "police", "other_agency"],
                    )),
                )
                .col(string_len_null(ConcernEntries::Agency, 200))
                .col(string_len_null(ConcernEntries::AgencyReference, 100))
                .col(string_len_null(ConcernEntries::ConsentBasis, 32))
                .col(string_len_null(ConcernEntries::Outcome, 200))
                .foreign_key(&mut fk((ConcernEntries::Table, ConcernEntries::ConcernId), (Concerns::Table, Concerns::Id)))
                .foreign_key(&mut fk((ConcernEntries::Table, ConcernEntries::AuthorId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_concern_entries_concern").table(ConcernEntries::Table).col(ConcernEntries::ConcernId).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ConcernEntries::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Concerns::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Concerns {
    Table,
    Id,
    OrganisationId,
    YoungPersonId,
    RaisedBy,
    RaisedAt,
    ObservedAt,
    Category,
    WhatHappened,
    ActionTaken,
    ImmediateDanger,
    Status,
    AcknowledgedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ConcernEntries {
    Table,
    Id,
    ConcernId,
    OrganisationId,
    Kind,
    AuthorId,
    CreatedAt,
    Text,
    Decision,
    Agency,
    AgencyReference,
    ConsentBasis,
    Outcome,
}
