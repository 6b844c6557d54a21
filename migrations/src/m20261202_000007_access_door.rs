//! The access door's columns.
//!
//! The young people an audit event is about. Every event about a young person names her
//! (a read of any record about her, a list that showed her, an export that included her),
//! so "who has seen her record" is one indexed query. `audit_events.subjects` holds the ids
//! as sealed into the hash chain; `audit_event_subjects` is the index over them.
//!
//! The permissions a create was granted (`idempotency_keys.grants`), so that a replay of its
//! key is asked again, as a new request would be.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261123_000001_foundation::{AuditEvents, IdempotencyKeys};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(AuditEvents::Table).add_column(text_null(AuditEvents::Subjects)).to_owned()).await?;
        m.alter_table(Table::alter().table(IdempotencyKeys::Table).add_column(text_null(IdempotencyKeys::Grants)).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(AuditEventSubjects::Table)
                .col(uuid(AuditEventSubjects::YoungPersonId))
                .col(uuid(AuditEventSubjects::EventId))
                .primary_key(Index::create().col(AuditEventSubjects::YoungPersonId).col(AuditEventSubjects::EventId))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditEventSubjects::Table, AuditEventSubjects::EventId)
                        .to(AuditEvents::Table, AuditEvents::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_event_subjects_event")
                .table(AuditEventSubjects::Table)
                .col(AuditEventSubjects::EventId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEventSubjects::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(IdempotencyKeys::Table).drop_column(IdempotencyKeys::Grants).to_owned()).await?;
        m.alter_table(Table::alter().table(AuditEvents::Table).drop_column(AuditEvents::Subjects).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum AuditEventSubjects {
    Table,
    YoungPersonId,
    EventId,
}
