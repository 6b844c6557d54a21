//! Organisations, users, sessions, sign-in throttling, idempotency keys and the audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const ROLES: &[&str] = &["programme_admin", "coordinator", "safeguarding_lead", "mentor", "evaluator"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Organisations::Table)
                .col(uuid(Organisations::Id).primary_key())
                .col(string_len(Organisations::Name, 200).unique_key())
                .col(string_len(Organisations::Kind, 16).check(one_of(Organisations::Kind, &["lead", "partner"])))
                .col(text(Organisations::Districts))
                .col(boolean(Organisations::Active))
                .col(integer(Organisations::Version))
                .col(timestamp_with_time_zone(Organisations::CreatedAt))
                .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::Id).primary_key())
                .col(string_len(Users::Email, 254).unique_key())
                .col(string_len(Users::Name, 200))
                .col(string_len(Users::Role, 32).check(one_of(Users::Role, ROLES)))
                .col(uuid(Users::OrganisationId))
                .col(boolean(Users::Active))
                .col(text(Users::PasswordHash))
                .col(text_null(Users::MfaSecret))
                .col(boolean(Users::MfaEnabled))
                .col(big_integer_null(Users::MfaLastStep))
                .col(integer(Users::Version))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .foreign_key(ForeignKey::create().from(Users::Table, Users::OrganisationId).to(Organisations::Table, Organisations::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_users_organisation").table(Users::Table).col(Users::OrganisationId).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(uuid(Sessions::Id).primary_key())
                .col(string_len(Sessions::TokenHash, 64).unique_key())
                .col(uuid(Sessions::UserId))
                .col(boolean(Sessions::EnrolmentOnly))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .foreign_key(ForeignKey::create().from(Sessions::Table, Sessions::UserId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(LoginAttempts::Table)
                .col(uuid(LoginAttempts::Id).primary_key())
                .col(string_len(LoginAttempts::Address, 64))
                .col(timestamp_with_time_zone(LoginAttempts::AttemptedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_attempts_address")
                .table(LoginAttempts::Table)
                .col(LoginAttempts::Address)
                .col(LoginAttempts::AttemptedAt)
                .to_owned(),
        )
        .await?;

        // Failed sign-ins per account name (a keyed hash of the normalised e-mail), kept for
        // unknown addresses too, so a lock-out says nothing about whether an account exists.
        m.create_table(
            Table::create()
                .table(LoginLockouts::Table)
                .col(string_len(LoginLockouts::Key, 64).primary_key())
                .col(integer(LoginLockouts::Failures))
                .col(timestamp_with_time_zone_null(LoginLockouts::LockedUntil))
                .col(timestamp_with_time_zone(LoginLockouts::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::Id).primary_key())
                .col(uuid(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Key, 200))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(integer_null(IdempotencyKeys::StatusCode))
                .col(text_null(IdempotencyKeys::ResponseHeaders))
                .col(text_null(IdempotencyKeys::ResponseBody))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .foreign_key(ForeignKey::create().from(IdempotencyKeys::Table, IdempotencyKeys::UserId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_idempotency_user_key")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::UserId)
                .col(IdempotencyKeys::Key)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(uuid(AuditEvents::Id).primary_key())
                .col(big_integer_null(AuditEvents::Seq).unique_key())
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(uuid_null(AuditEvents::ActorId))
                .col(string_len_null(AuditEvents::ActorRole, 32))
                .col(uuid_null(AuditEvents::ActorOrganisationId))
                .col(string_len(AuditEvents::Action, 64))
                .col(string_len(AuditEvents::ResourceType, 64))
                .col(uuid_null(AuditEvents::ResourceId))
                .col(uuid_null(AuditEvents::ResourceOrganisationId))
                .col(string_len(AuditEvents::Outcome, 16).check(one_of(AuditEvents::Outcome, &["allowed", "denied", "failed"])))
                .col(string_len_null(AuditEvents::RequestId, 64))
                .col(string_len_null(AuditEvents::ClientAddress, 64))
                .col(text(AuditEvents::Detail))
                .col(string_len_null(AuditEvents::PrevHash, 64))
                .col(string_len_null(AuditEvents::Hash, 64))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_audit_resource", vec![AuditEvents::ResourceType, AuditEvents::ResourceId]),
            ("ix_audit_actor", vec![AuditEvents::ActorId]),
            ("ix_audit_resource_org", vec![AuditEvents::ResourceOrganisationId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for col in cols {
                index.col(col);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            LoginLockouts::Table.into_iden(),
            LoginAttempts::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Organisations {
    Table,
    Id,
    Name,
    Kind,
    Districts,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    OrganisationId,
    Active,
    PasswordHash,
    MfaSecret,
    MfaEnabled,
    MfaLastStep,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    EnrolmentOnly,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum LoginAttempts {
    Table,
    Id,
    Address,
    AttemptedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum LoginLockouts {
    Table,
    Key,
    Failures,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    RequestHash,
    StatusCode,
    ResponseHeaders,
    ResponseBody,
    CreatedAt,
    /// Added by m20261202_000007_access_door.
    Grants,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum AuditEvents {
    Table,
    Id,
    Seq,
    OccurredAt,
    ActorId,
    ActorRole,
    ActorOrganisationId,
    Action,
    ResourceType,
    ResourceId,
    ResourceOrganisationId,
    Outcome,
    RequestId,
    ClientAddress,
    Detail,
    PrevHash,
    Hash,
    /// Added by m20261202_000007_access_door.
    Subjects,
}
