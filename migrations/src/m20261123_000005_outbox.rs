//! The transactional outbox: messages (safeguarding alerts) written in the same transaction
//! as the change that causes them, and delivered afterwards by a background worker that
//! retries until each is sent. A message holds no narrative content.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OutboxMessages::Table)
                .col(uuid(OutboxMessages::Id).primary_key())
                .col(string_len(OutboxMessages::Kind, 64))
                .col(uuid_null(OutboxMessages::OrganisationId))
                .col(uuid(OutboxMessages::RecipientId))
                .col(text(OutboxMessages::Subject))
                .col(text(OutboxMessages::Body))
                .col(timestamp_with_time_zone(OutboxMessages::CreatedAt))
                .col(integer(OutboxMessages::Attempts).default(0))
                .col(timestamp_with_time_zone(OutboxMessages::NextAttemptAt))
                .col(timestamp_with_time_zone_null(OutboxMessages::SentAt))
                .col(string_len_null(OutboxMessages::Channel, 16))
                .col(text_null(OutboxMessages::LastError))
                .foreign_key(ForeignKey::create().from(OutboxMessages::Table, OutboxMessages::RecipientId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        // The worker's query: unsent messages that are due, oldest first.
        m.create_index(
            Index::create()
                .name("ix_outbox_messages_due")
                .table(OutboxMessages::Table)
                .col(OutboxMessages::SentAt)
                .col(OutboxMessages::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OutboxMessages::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum OutboxMessages {
    Table,
    Id,
    Kind,
    OrganisationId,
    RecipientId,
    Subject,
    Body,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    SentAt,
    Channel,
    LastError,
}
