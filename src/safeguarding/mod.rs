//! Safeguarding concerns: raised by anyone who works with a young person, alerted to the
//! DSLs through the outbox in the same transaction, worked through an append-only
//! chronology, never edited or deleted. Who sees what is in `policies/safeguarding.cedar`.

pub mod dto;
pub mod routes;
pub mod rules;
pub mod service;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::{concern, concern_entry, organisation, user, young_person};
use crate::error::ApiError;
use crate::outbox::{self, NewMessage};
use crate::young_people::codes::SafeguardingFlag;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_concerns, routes::create_concern))
        .routes(routes!(routes::get_concern))
        .routes(routes!(routes::add_entry))
        .routes(routes!(routes::break_glass))
        .routes(routes!(routes::overdue))
}

/// The one place the young person's flag is computed: from her concerns, written to her
/// record (which her record view, the mentee view and the lists read) in the caller's
/// transaction.
pub async fn refresh_flag<C: ConnectionTrait>(conn: &C, young_person_id: Uuid) -> Result<SafeguardingFlag, ApiError> {
    // Her row is locked first (FOR UPDATE on PostgreSQL; SQLite's writer lock already
    // serialises), so two concern changes at once cannot each compute from a stale set and
    // leave the flag greener than her open concerns.
    young_person::Entity::find_by_id(young_person_id).lock_exclusive().one(conn).await?;
    let rows: Vec<(rules::ConcernStatus, bool)> = concern::Entity::find()
        .select_only()
        .columns([concern::Column::Status, concern::Column::ImmediateDanger])
        .filter(concern::Column::YoungPersonId.eq(young_person_id))
        .into_tuple()
        .all(conn)
        .await?;
    let flag = rules::flag(rows);
    young_person::Entity::update_many()
        .col_expr(young_person::Column::SafeguardingFlag, Expr::value(flag.as_str()))
        .filter(young_person::Column::Id.eq(young_person_id))
        .exec(conn)
        .await?;
    Ok(flag)
}

/// Her concerns follow her record: when her record is merged into `to_young_person` or she
/// is allocated to another charity (`to_young_person` is then herself), her concerns and
/// their entries move to `to_organisation`, so that charity's safeguarding lead sees them
/// and her flag stays right on both records.
pub async fn move_concerns<C: ConnectionTrait>(
    conn: &C,
    from_young_person: Uuid,
    to_young_person: Uuid,
    to_organisation: Uuid,
) -> Result<(), ApiError> {
    let ids: Vec<Uuid> = concern::Entity::find()
        .select_only()
        .column(concern::Column::Id)
        .filter(concern::Column::YoungPersonId.eq(from_young_person))
        .into_tuple()
        .all(conn)
        .await?;
    concern::Entity::update_many()
        .col_expr(concern::Column::YoungPersonId, Expr::value(to_young_person))
        .col_expr(concern::Column::OrganisationId, Expr::value(to_organisation))
        .filter(concern::Column::YoungPersonId.eq(from_young_person))
        .exec(conn)
        .await?;
    for chunk in ids.chunks(crate::db::ID_CHUNK) {
        concern_entry::Entity::update_many()
            .col_expr(concern_entry::Column::OrganisationId, Expr::value(to_organisation))
            .filter(concern_entry::Column::ConcernId.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
    }
    refresh_flag(conn, to_young_person).await?;
    if from_young_person != to_young_person {
        refresh_flag(conn, from_young_person).await?;
    }
    Ok(())
}

/// The active safeguarding leads of `organisation_id`.
pub async fn charity_dsls<C: ConnectionTrait>(conn: &C, organisation_id: Uuid) -> Result<Vec<Uuid>, ApiError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq("safeguarding_lead"))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .into_tuple()
        .all(conn)
        .await?)
}

/// The programme DSL: the active safeguarding leads of the lead charity.
pub async fn programme_dsls<C: ConnectionTrait>(conn: &C) -> Result<Vec<Uuid>, ApiError> {
    let leads: Vec<Uuid> = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Id)
        .filter(organisation::Column::Kind.eq("lead"))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for org in leads {
        out.extend(charity_dsls(conn, org).await?);
    }
    Ok(out)
}

/// The active programme admins.
pub async fn programme_admins<C: ConnectionTrait>(conn: &C) -> Result<Vec<Uuid>, ApiError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq("programme_admin"))
        .filter(user::Column::Active.eq(true))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Who is told of a new concern: her charity's safeguarding leads and, for immediate danger,
/// the programme DSL. A concern must reach someone, so with no safeguarding lead in post at
/// her charity it goes to the programme DSL, and with none there either to the programme
/// admins.
pub async fn alert_recipients<C: ConnectionTrait>(conn: &C, organisation_id: Uuid, immediate: bool) -> Result<BTreeSet<Uuid>, ApiError> {
    let mut recipients: BTreeSet<Uuid> = charity_dsls(conn, organisation_id).await?.into_iter().collect();
    if immediate || recipients.is_empty() {
        recipients.extend(programme_dsls(conn).await?);
    }
    if recipients.is_empty() {
        tracing::warn!("no safeguarding lead in post for a concern's charity or the programme; alerting the programme admins");
        recipients.extend(programme_admins(conn).await?);
    }
    Ok(recipients)
}

/// Writes a new concern and its alerts in `conn`, the caller's transaction: the alerts
/// first, so that if the concern cannot be written the whole transaction, alerts included,
/// rolls back. Alerts name the category, the young person's reference (her record id) and
/// the raiser, never the content.
pub async fn write_concern<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    raiser_name: &str,
    new: concern::Model,
) -> Result<concern::Model, ApiError> {
    let (org, yp, immediate) = (new.organisation_id, new.young_person_id, new.immediate_danger);
    let recipients = alert_recipients(conn, org, immediate).await?;
    if recipients.is_empty() {
        // Kept all the same (losing it would be worse); it shows as overdue to the next DSL.
        tracing::error!("a safeguarding concern was raised with no active account to alert");
    }
    let label = new.category.label();
    let danger = if immediate { "IMMEDIATE DANGER: " } else { "" };
    for r in recipients {
        outbox::enqueue(
            conn,
            now,
            NewMessage {
                kind: "safeguarding.concern_raised",
                organisation_id: Some(org),
                recipient_id: r,
                subject: format!("{danger}Safeguarding concern raised: {label}"),
                body: format!(
                    "{raiser_name} raised safeguarding concern {} ({label}{}) about young person {yp} at {}. \
                     Sign in to Trellis to read and acknowledge it.",
                    new.id,
                    if immediate { ", immediate danger" } else { "" },
                    now.format("%Y-%m-%d %H:%M UTC"),
                ),
            },
        )
        .await?;
    }
    Ok(concern::ActiveModel::from(new).insert(conn).await?)
}
