//! Safeguarding routes: HTTP only; the rules are in `rules.rs`, who sees what in
//! `policies/safeguarding.cedar`. There is no route that edits or deletes a concern.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::rules::{self, ConcernStatus, EntryKind};
use super::service::{raiser_mentors_her, resource, visibility};
use crate::access::scope::RecordScope;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::entities::{concern, concern_entry, young_person};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::outbox::{self, NewMessage};
use crate::young_people::{open_opt, seal_opt};
use crate::{access::Deny, state::AppState};

const TABLE: &str = "concerns";
const ENTRIES: &str = "concern_entries";

pub fn acknowledge_by(state: &AppState, c: &concern::Model) -> DateTime<Utc> {
    rules::acknowledge_by(
        c.raised_at,
        c.immediate_danger,
        state.config.safeguarding_ack_immediate,
        state.config.safeguarding_ack_working_days,
    )
}

fn entry_view(state: &AppState, e: &concern_entry::Model) -> Result<EntryView, ApiError> {
    Ok(EntryView {
        id: e.id,
        kind: e.kind,
        author_id: e.author_id,
        created_at: e.created_at,
        text: open_opt(state, ENTRIES, "text", &e.id, e.text.as_deref())?,
        decision: e.decision,
        agency: e.agency.clone(),
        agency_reference: e.agency_reference.clone(),
        consent_basis: e.consent_basis,
        outcome: e.outcome,
    })
}

/// The concern as `visibility` allows; `entries` are all its entries, oldest first.
pub fn view(
    state: &AppState,
    me: &CurrentUser,
    c: &concern::Model,
    visibility: Visibility,
    entries: &[concern_entry::Model],
) -> Result<ConcernView, ApiError> {
    let content = visibility != Visibility::Summary;
    let entries = match visibility {
        Visibility::Full => Some(entries.iter().map(|e| entry_view(state, e)).collect::<Result<Vec<_>, _>>()?),
        Visibility::Own => {
            Some(entries.iter().filter(|e| e.author_id == me.id()).map(|e| entry_view(state, e)).collect::<Result<Vec<_>, _>>()?)
        }
        Visibility::Summary => None,
    };
    Ok(ConcernView {
        id: c.id,
        visibility,
        organisation_id: c.organisation_id,
        young_person_id: c.young_person_id,
        category: c.category,
        immediate_danger: c.immediate_danger,
        status: c.status,
        raised_by: c.raised_by,
        raised_at: c.raised_at,
        observed_at: c.observed_at,
        acknowledged_at: c.acknowledged_at,
        closed_at: c.closed_at,
        acknowledge_by: acknowledge_by(state, c),
        what_happened: if content { Some(state.keys.fields.open(TABLE, "what_happened", &c.id, &c.what_happened)?) } else { None },
        action_taken: if content { open_opt(state, TABLE, "action_taken", &c.id, c.action_taken.as_deref())? } else { None },
        entries,
    })
}

async fn entries_of<C: sea_orm::ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<Vec<concern_entry::Model>, ApiError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::db::ID_CHUNK) {
        out.extend(
            concern_entry::Entity::find()
                .filter(concern_entry::Column::ConcernId.is_in(chunk.to_vec()))
                .order_by_asc(concern_entry::Column::Id)
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

/// Loads a concern the caller may see (404 otherwise) with what she may see of it.
async fn load(state: &AppState, me: &CurrentUser, id: Uuid) -> Result<(concern::Model, Visibility), ApiError> {
    let c = concern::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    match visibility(state, me, &c).await? {
        Some(v) => Ok((c, v)),
        // Records the refused attempt in the audit trail, and answers 404.
        None => Err(state
            .authorize_as(me, Action::ConcernsSummary, &resource(&c), &[], Deny::NotFound)
            .await
            .err()
            .unwrap_or(ApiError::NotFound)),
    }
}

async fn audit_read(
    state: &AppState,
    me: &CurrentUser,
    c: &concern::Model,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    state
        .audit_read(me, Event::new(action, "concern").resource(c.id, Some(c.organisation_id)).about(c.young_person_id).detail(detail))
        .await?;
    Ok(())
}

/// Raise a safeguarding concern. The author and time are stamped by the server, the account
/// is stored encrypted, and the charity's safeguarding leads (and for immediate danger the
/// programme DSL) are alerted through the outbox in the same transaction.
#[utoipa::path(post, path = "/safeguarding/concerns", tag = "safeguarding", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    request_body = CreateConcern,
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = ConcernView),
        (status = 404, description = "No such young person, or not one you work with", body = Problem, content_type = "application/problem+json")))]
pub async fn create_concern(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateConcern>,
) -> Result<(StatusCode, Json<ConcernView>), ApiError> {
    // Refused before anything is looked up: evaluators and roles that never raise.
    state.authorize(&me, Action::ConcernsList, &Resource::Programme, &[]).await?;
    let yp = young_person::Entity::find_by_id(body.young_person_id).one(&state.db).await?;
    let Some(yp) = yp else { return Err(ApiError::NotFound) };
    let mentor_of = crate::matches::mentor_of(&state.db, me.id(), yp.id).await?;
    let res = crate::young_people::resource(&yp);
    // A refusal is audited and answered as not found: she may not learn the record exists.
    state.authorize_as(&me, Action::ConcernsRaise, &res, &[("mentor_of", Value::Bool(mentor_of))], Deny::NotFound).await?;
    let now = state.now();
    if body.observed_at > now {
        return Err(ApiError::field("observed_at", "in_future", "This time is in the future."));
    }
    let id = Uuid::now_v7();
    let new = concern::Model {
        id,
        organisation_id: yp.organisation_id,
        young_person_id: yp.id,
        raised_by: me.id(),
        raised_at: now,
        observed_at: body.observed_at,
        category: body.category,
        what_happened: state.keys.fields.seal(TABLE, "what_happened", &id, body.what_happened.trim())?,
        action_taken: seal_opt(&state, TABLE, "action_taken", &id, body.action_taken.as_deref())?,
        immediate_danger: body.immediate_danger,
        status: ConcernStatus::Raised,
        acknowledged_at: None,
        closed_at: None,
    };
    let mut txn = state.write(&me).await?;
    let yp = crate::young_people::still_owned(&txn, &yp).await?;
    let c = super::write_concern(&txn, now, &me.user.name, new).await?;
    super::refresh_flag(&txn, yp.id).await?;
    txn.audit(
        Event::new("concern.raised", "concern")
            .resource(c.id, Some(c.organisation_id))
            .about(c.young_person_id)
            .detail(json!({"young_person_id": yp.id, "category": c.category, "immediate_danger": c.immediate_danger})),
    );
    txn.commit().await?;
    let v = visibility(&state, &me, &c).await?.unwrap_or(Visibility::Own);
    Ok((StatusCode::CREATED, Json(view(&state, &me, &c, v, &[])?)))
}

/// The concerns the caller may see, each shaped by what she may see of it: safeguarding
/// leads in full, the raiser her own, coordinators and programme admins a summary without
/// content. Every read is audited.
#[utoipa::path(get, path = "/safeguarding/concerns", tag = "safeguarding", security(("bearer" = [])), params(ListConcerns),
    responses(InvalidParameters, SignedIn, Refused, (status = 200, description = "Done", body = ConcernPage)))]
pub async fn list_concerns(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListConcerns>,
) -> Result<Json<ConcernPage>, ApiError> {
    state.authorize(&me, Action::ConcernsList, &Resource::Programme, &[]).await?;
    let limit = pagination::limit(q.limit);
    let mut query = concern::Entity::find().order_by_asc(concern::Column::Id).limit(limit + 1);
    query = match crate::access::scope::concern_list_scope(&me.principal()) {
        Some(RecordScope::All) => query,
        Some(RecordScope::Organisation(org)) => {
            query.filter(Condition::any().add(concern::Column::OrganisationId.eq(org)).add(concern::Column::RaisedBy.eq(me.id())))
        }
        None => query.filter(concern::Column::RaisedBy.eq(me.id())),
    };
    if let Some(after) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(concern::Column::Id.gt(after));
    }
    if let Some(y) = q.young_person_id {
        query = query.filter(concern::Column::YoungPersonId.eq(y));
    }
    if let Some(s) = q.status {
        query = query.filter(concern::Column::Status.eq(s));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |c| c.id, |c| c);
    let items = shown(&state, &me, &page.items, "concerns.listed").await?;
    Ok(Json(ConcernPage { items, next_cursor: page.next_cursor }))
}

/// One concern, shaped by what the caller may see of it. Every read is audited.
#[utoipa::path(get, path = "/safeguarding/concerns/{id}", tag = "safeguarding", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, (status = 200, description = "Done", body = ConcernView),
        (status = 404, description = "No such concern, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn get_concern(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<ConcernView>, ApiError> {
    let (c, v) = load(&state, &me, id).await?;
    let entries = entries_of(&state.db, &[c.id]).await?;
    let out = view(&state, &me, &c, v, &entries)?;
    audit_read(&state, &me, &c, "concern.read", json!({"visibility": v})).await?;
    Ok(Json(out))
}

fn check_entry(body: &CreateEntry) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|t| t.trim().is_empty());
    let kind = body.kind;
    if matches!(kind, EntryKind::Addendum | EntryKind::Action) && blank(&body.text) {
        errors.push(FieldError::new("text", "required", "Say what this entry records."));
    }
    if kind == EntryKind::Decision {
        match body.decision {
            None => errors.push(FieldError::new("decision", "required", "Choose the decision.")),
            Some(d) if d.is_referral() => {
                if blank(&body.agency) {
                    errors.push(FieldError::new("agency", "required", "Name the agency referred to."));
                }
                if blank(&body.agency_reference) {
                    errors.push(FieldError::new("agency_reference", "required", "Give the agency's reference."));
                }
                if body.consent_basis.is_none() {
                    errors.push(FieldError::new("consent_basis", "required", "Give the basis for sharing."));
                }
            }
            Some(_) => {}
        }
    } else {
        for (field, set) in [
            ("decision", body.decision.is_some()),
            ("agency", body.agency.is_some()),
            ("agency_reference", body.agency_reference.is_some()),
            ("consent_basis", body.consent_basis.is_some()),
        ] {
            if set {
                errors.push(FieldError::new(field, "not_applicable", "Only a decision has this."));
            }
        }
    }
    if kind == EntryKind::SignOff && body.outcome.is_none() {
        errors.push(FieldError::new("outcome", "required", "Give the outcome."));
    }
    if kind != EntryKind::SignOff && body.outcome.is_some() {
        errors.push(FieldError::new("outcome", "not_applicable", "Only a sign-off has an outcome."));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Append an entry to a concern's chronology. Safeguarding leads add any kind; the raiser
/// may add an addendum to her own concern. The status follows from the entry; an entry the
/// status does not allow is 409 with `allowed`.
#[utoipa::path(post, path = "/safeguarding/concerns/{id}/entries", tag = "safeguarding", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    request_body = CreateEntry,
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = ConcernView),
        (status = 404, description = "No such concern, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status; `allowed` lists what is", body = Problem, content_type = "application/problem+json")))]
pub async fn add_entry(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateEntry>,
) -> Result<(StatusCode, Json<ConcernView>), ApiError> {
    let (c, _) = load(&state, &me, id).await?;
    state
        .authorize_as(
            &me,
            Action::ConcernsAddEntry,
            &resource(&c),
            &[("kind", Value::Str(body.kind.as_str().into())), ("mentor_of", Value::Bool(raiser_mentors_her(&state, &me, &c).await?))],
            Deny::Forbidden,
        )
        .await?;
    let refuse = |from: ConcernStatus| ApiError::Conflict {
        detail: format!("A concern that is {} does not take a {} entry.", from.as_str(), body.kind.as_str()),
        allowed: Some(rules::allowed(from).iter().map(|k| k.as_str().to_string()).collect()),
    };
    let from = c.status;
    if rules::next(from, body.kind, body.decision).is_none() {
        return Err(refuse(from));
    }
    check_entry(&body)?;
    let now = state.now();
    let entry_id = Uuid::now_v7();
    let text = seal_opt(&state, ENTRIES, "text", &entry_id, body.text.as_deref())?;
    let trim = |s: &Option<String>| s.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let mut txn = state.write(&me).await?;
    // Read again inside the transaction, locked (FOR UPDATE on PostgreSQL; SQLite's writer
    // lock already serialises): another entry may have moved it meanwhile, or an allocation
    // moved her to another charity.
    crate::access::still_held(&txn, &resource(&c)).await?;
    let c = concern::Entity::find_by_id(c.id).lock_exclusive().one(&txn).await?.ok_or(ApiError::NotFound)?;
    let from = c.status;
    let to = rules::next(from, body.kind, body.decision).ok_or_else(|| refuse(from))?;
    concern_entry::ActiveModel {
        id: Set(entry_id),
        concern_id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        kind: Set(body.kind),
        author_id: Set(me.id()),
        created_at: Set(now),
        text: Set(text),
        decision: Set(body.decision),
        agency: Set(trim(&body.agency)),
        agency_reference: Set(trim(&body.agency_reference)),
        consent_basis: Set(body.consent_basis),
        outcome: Set(body.outcome),
    }
    .insert(&txn)
    .await?;
    // Always guarded by the status it was read in, even when it stays the same, so that no
    // entry is appended to a concern that was closed meanwhile.
    {
        let mut update = concern::Entity::update_many().col_expr(concern::Column::Status, Expr::value(to));
        if body.kind == EntryKind::Acknowledgement {
            update = update.col_expr(concern::Column::AcknowledgedAt, Expr::value(now));
        }
        if to == ConcernStatus::Closed {
            update = update.col_expr(concern::Column::ClosedAt, Expr::value(now));
        }
        let done = update.filter(concern::Column::Id.eq(c.id)).filter(concern::Column::Status.eq(from)).exec(&txn).await?;
        if done.rows_affected != 1 {
            return Err(ApiError::conflict("The concern changed while this entry was being added; read it again."));
        }
        super::refresh_flag(&txn, c.young_person_id).await?;
    }
    txn.audit(Event::new("concern.entry_added", "concern").resource(c.id, Some(c.organisation_id)).about(c.young_person_id).detail(
        json!({
            "entry_id": entry_id, "kind": body.kind.as_str(), "from": from.as_str(), "to": to.as_str()
        }),
    ));
    // The answer is built before the commit, so nothing after the commit can fail and lead a
    // retry to append the entry twice.
    let c = concern::Entity::find_by_id(c.id).one(&txn).await?.ok_or(ApiError::NotFound)?;
    let v = visibility(&state, &me, &c).await?.ok_or(ApiError::NotFound)?;
    let entries = entries_of(&txn, &[c.id]).await?;
    let out = view(&state, &me, &c, v, &entries)?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Break-glass: a programme admin opens a concern's full detail in an emergency, with a
/// written justification. It is audited and the programme DSL is told through the outbox.
#[utoipa::path(post, path = "/safeguarding/concerns/{id}/break-glass", tag = "safeguarding", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = BreakGlass,
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 200, description = "Done", body = ConcernView),
        (status = 404, description = "No such concern, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn break_glass(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<BreakGlass>,
) -> Result<Json<ConcernView>, ApiError> {
    let (c, _) = load(&state, &me, id).await?;
    state.authorize_as(&me, Action::ConcernsBreakGlass, &resource(&c), &[], Deny::Forbidden).await?;
    let entries = entries_of(&state.db, &[c.id]).await?;
    let out = view(&state, &me, &c, Visibility::Full, &entries)?;
    let now = state.now();
    let mut txn = state.write(&me).await?;
    // The programme DSL is told; with none in post, the charity's safeguarding leads.
    let mut told = super::programme_dsls(&txn).await?;
    if told.is_empty() {
        told = super::charity_dsls(&txn, c.organisation_id).await?;
    }
    for r in told {
        outbox::enqueue(
            &txn,
            now,
            NewMessage {
                kind: "safeguarding.break_glass",
                organisation_id: Some(c.organisation_id),
                recipient_id: r,
                subject: "Break-glass access to a safeguarding concern".into(),
                body: format!(
                    "{} (programme admin) opened the full detail of safeguarding concern {} about young person {} at {}. \
                     The justification is in the audit trail.",
                    me.user.name,
                    c.id,
                    c.young_person_id,
                    now.format("%Y-%m-%d %H:%M UTC"),
                ),
            },
        )
        .await?;
    }
    txn.audit(Event::new("concern.break_glass", "concern")
            .resource(c.id, Some(c.organisation_id))
            .about(c.young_person_id)
            // Sealed: a justification may name people. Whoever holds the data key can read it.
            .detail(json!({"justification_sealed": seal_opt(&state, TABLE, "break_glass_justification", &c.id, Some(body.justification.trim()))?})));
    txn.commit().await?;
    Ok(Json(out))
}

/// Concerns not acknowledged in time (immediate danger: one hour; others: one working day;
/// both configurable), for safeguarding leads: her charity's, the programme DSL all.
#[utoipa::path(get, path = "/safeguarding/overdue", tag = "safeguarding", security(("bearer" = [])),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = OverdueList)))]
pub async fn overdue(State(state): State<AppState>, me: CurrentUser) -> Result<Json<OverdueList>, ApiError> {
    state.authorize(&me, Action::ConcernsOverdue, &Resource::Programme, &[]).await?;
    let mut query =
        concern::Entity::find().filter(concern::Column::Status.eq(ConcernStatus::Raised)).order_by_asc(concern::Column::RaisedAt);
    if let Some(RecordScope::Organisation(org)) = crate::access::scope::concern_list_scope(&me.principal()) {
        query = query.filter(concern::Column::OrganisationId.eq(org));
    }
    let now = state.now();
    let late: Vec<concern::Model> = query.all(&state.db).await?.into_iter().filter(|c| acknowledge_by(&state, c) < now).collect();
    let items = shown(&state, &me, &late, "concerns.overdue_listed").await?;
    Ok(Json(OverdueList { items }))
}

/// The views of the concerns of a list that `me` may see (each in the view the policies give
/// her), with their entries; the list is audited as `action`, naming the young people shown.
async fn shown(
    state: &AppState,
    me: &CurrentUser,
    concerns: &[concern::Model],
    action: &'static str,
) -> Result<Vec<ConcernView>, ApiError> {
    let ids: Vec<Uuid> = concerns.iter().map(|c| c.id).collect();
    let entries = entries_of(&state.db, &ids).await?;
    let mut items = Vec::new();
    for c in concerns {
        if let Some(v) = visibility(state, me, c).await? {
            let mine: Vec<concern_entry::Model> = entries.iter().filter(|e| e.concern_id == c.id).cloned().collect();
            items.push(view(state, me, c, v, &mine)?);
        }
    }
    crate::access::audit_list(state, me, action, "concern", items.iter().map(|c| c.id), items.iter().map(|c| c.young_person_id)).await?;
    Ok(items)
}
