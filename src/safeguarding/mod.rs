//! Safeguarding concerns: raised by anyone who works with a young person, alerted to the
//! DSLs through the outbox in the same transaction, worked through an append-only
//! chronology, never edited or deleted. Who sees what is in `policies/safeguarding.cedar`.

pub mod dto;
pub mod routes;
pub mod rules;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::{concern, organisation, user, young_person};
use crate::error::ApiError;
use crate::outbox::{self, NewMessage};
use crate::young_people::codes::SafeguardingFlag;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
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
    let rows: Vec<(String, bool)> = concern::Entity::find()
        .select_only()
        .columns([concern::Column::Status, concern::Column::ImmediateDanger])
        .filter(concern::Column::YoungPersonId.eq(young_person_id))
        .into_tuple()
        .all(conn)
        .await?;
    let flag = rules::flag(rows.iter().map(|(s, i)| (s.as_str(), *i)));
    young_person::Entity::update_many()
        .col_expr(young_person::Column::SafeguardingFlag, Expr::value(flag.as_str()))
        .filter(young_person::Column::Id.eq(young_person_id))
        .exec(conn)
        .await?;
    Ok(flag)
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
    let mut recipients: BTreeSet<Uuid> = charity_dsls(conn, org).await?.into_iter().collect();
    if immediate {
        recipients.extend(programme_dsls(conn).await?);
    }
    let label = rules::Category::parse(&new.category).map_or("unknown category", |c| c.label());
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
                    "{raiser_name} raised a safeguarding concern ({label}{}) about young person {yp} at {}. \
                     Sign in to Trellis to read and acknowledge it.",
                    if immediate { ", immediate danger" } else { "" },
                    now.format("%Y-%m-%d %H:%M UTC"),
                ),
            },
        )
        .await?;
    }
    Ok(concern::ActiveModel::from(new).insert(conn).await?)
}
