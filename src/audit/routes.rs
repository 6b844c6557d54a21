//! `GET /audit-events`: the trail, filtered by resource or actor, for programme admins.
//! "Who has looked at this young person's record" is `?resource_type=...&resource_id=...`.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource};
use crate::entities::audit_event;
use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::pagination;
use crate::http::problems::{InvalidParameters, Refused, SignedIn};
use crate::state::AppState;

pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(list_audit_events))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `user`, `organisation`, `session`, `programme`, `audit_trail`, `young_person`, `referral` or `mentor`.
    #[validate(custom(function = "known_resource_type"))]
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

/// The resource types events are recorded against.
pub const RESOURCE_TYPES: &[&str] = &[
    "user",
    "organisation",
    "session",
    "programme",
    "audit_trail",
    "young_person",
    "referral",
    "mentor",
    "match",
    "mentoring_session",
    "support_contact",
    "instrument",
    "concern",
];

fn known_resource_type(t: &str) -> Result<(), validator::ValidationError> {
    if RESOURCE_TYPES.contains(&t) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_choice")
            .with_message(format!("Must be one of: {}.", RESOURCE_TYPES.join(", ")).into()))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    /// Position in the hash chain; null for the second or so before it is sealed.
    pub seq: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub resource_organisation_id: Option<Uuid>,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    pub request_id: Option<String>,
    pub client_address: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

/// Audit events, oldest first.
#[utoipa::path(get, path = "/audit-events", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = AuditPage)))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    state.authorize(&me, Action::AuditRead, &Resource::AuditTrail, &[]).await?;
    let limit = pagination::limit(q.limit);
    let mut query = audit_event::Entity::find().order_by_asc(audit_event::Column::Id).limit(limit + 1);
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(audit_event::Column::Id.gt(after));
    }
    if let Some(t) = &q.resource_type {
        query = query.filter(audit_event::Column::ResourceType.eq(t.clone()));
    }
    if let Some(id) = q.resource_id {
        query = query.filter(audit_event::Column::ResourceId.eq(id));
    }
    if let Some(id) = q.actor_id {
        query = query.filter(audit_event::Column::ActorId.eq(id));
    }
    let rows = query.all(&state.db).await?;
    // Reading the trail is itself recorded: it says who looked at whose records.
    state.audit_read(&me, Event::new("audit.read", "audit_trail").detail(serde_json::json!({
            "resource_type": q.resource_type, "resource_id": q.resource_id, "actor_id": q.actor_id, "rows": rows.len().min(limit as usize)
        }))).await?;
    let page = pagination::page(rows, limit, |e| e.id, |e| e);
    let mut items = Vec::with_capacity(page.items.len());
    for e in page.items {
        items.push(AuditEventView {
            detail: e.detail.into_inner(),
            id: e.id,
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            actor_organisation_id: e.actor_organisation_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            resource_organisation_id: e.resource_organisation_id,
            outcome: e.outcome,
            request_id: e.request_id,
            client_address: e.client_address,
        });
    }
    Ok(Json(AuditPage { items, next_cursor: page.next_cursor }))
}
