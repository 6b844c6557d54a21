//! Case notes (append-only, encrypted; a correction is a new note that names the one it
//! corrects) and the chronology that merges a young person's history, newest first.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use super::dto::*;
use super::load;
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::entities::{case_note, referral_transition};
use crate::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidFields, InvalidParameters, JsonBody, Refused, SignedIn};
use crate::state::AppState;

const TABLE: &str = "case_notes";

fn note_view(state: &AppState, n: case_note::Model) -> Result<NoteView, ApiError> {
    let body = state.keys.fields.open(TABLE, "body", &n.id, &n.body)?;
    Ok(NoteView {
        id: n.id,
        young_person_id: n.young_person_id,
        author_id: n.author_id,
        body,
        corrects: n.corrects,
        created_at: n.created_at,
    })
}

/// A young person's case notes, newest first. Every read is audited.
#[utoipa::path(get, path = "/young-people/{id}/notes", tag = "young_people", security(("bearer" = [])), params(("id" = Uuid, Path), PageParams),
    responses(InvalidParameters, SignedIn, (status = 200, description = "Done", body = NotePage),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_notes(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<PageParams>,
) -> Result<Json<NotePage>, ApiError> {
    let yp = load(&state, &me, id, Action::NotesList).await?;
    let limit = pagination::limit(q.limit);
    let mut query =
        case_note::Entity::find().filter(case_note::Column::YoungPersonId.eq(yp.id)).order_by_desc(case_note::Column::Id).limit(limit + 1);
    if let Some(before) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(case_note::Column::Id.lt(before));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |n| n.id, |n| n);
    let items = page.items.into_iter().map(|n| note_view(&state, n)).collect::<Result<Vec<_>, _>>()?;
    state
        .audit_read(
            &me,
            Event::new("notes.read", "young_person")
                .resource(yp.id, Some(yp.organisation_id))
                .detail(serde_json::json!({"count": items.len()})),
        )
        .await?;
    Ok(Json(NotePage { items, next_cursor: page.next_cursor }))
}

/// Add a case note. Notes are never edited or deleted: to correct one, add a note that names
/// it in `corrects`.
#[utoipa::path(post, path = "/young-people/{id}/notes", tag = "young_people", security(("bearer" = [])), params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    request_body = CreateNote,
    responses(InvalidFields, SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = NoteView),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn create_note(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateNote>,
) -> Result<(StatusCode, Json<NoteView>), ApiError> {
    let yp = load(&state, &me, id, Action::NotesCreate).await?;
    if let Some(c) = body.corrects {
        let original = case_note::Entity::find_by_id(c).one(&state.db).await?;
        if original.is_none_or(|o| o.young_person_id != yp.id) {
            return Err(ApiError::field("corrects", "not_found", "There is no such note on this young person's record."));
        }
    }
    let now = state.now();
    let note_id = Uuid::now_v7();
    let sealed = state.keys.fields.seal(TABLE, "body", &note_id, body.body.trim())?;
    let mut txn = state.write(&me).await?;
    let yp = super::still_owned(&txn, &yp).await?;
    let note = case_note::ActiveModel {
        id: Set(note_id),
        young_person_id: Set(yp.id),
        organisation_id: Set(yp.organisation_id),
        author_id: Set(me.id()),
        body: Set(sealed),
        corrects: Set(body.corrects),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(
        Event::new("note.created", "young_person")
            .resource(yp.id, Some(yp.organisation_id))
            .detail(serde_json::json!({"note_id": note_id, "correction": body.corrects.is_some()})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(note_view(&state, note)?)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChronologyParams {
    /// Most recent entries to return, 1–500 (default 100).
    #[validate(range(min = 1, max = 500))]
    pub limit: Option<usize>,
}

/// Her history, newest first: referrals received, their status changes and case notes.
#[utoipa::path(get, path = "/young-people/{id}/chronology", tag = "young_people", security(("bearer" = [])), params(("id" = Uuid, Path), ChronologyParams),
    responses(InvalidParameters, SignedIn, (status = 200, description = "Done", body = Chronology),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn chronology(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ChronologyParams>,
) -> Result<Json<Chronology>, ApiError> {
    let yp = load(&state, &me, id, Action::YoungPeopleRead).await?;
    let limit = q.limit.unwrap_or(100);
    let referrals = super::service::referrals_of(&state.db, yp.id).await?;
    let referral_ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let transitions = referral_transition::Entity::find()
        .filter(referral_transition::Column::ReferralId.is_in(referral_ids))
        .order_by_desc(referral_transition::Column::At)
        .limit(limit as u64)
        .all(&state.db)
        .await?;
    let may_read_notes = state.allows(&me, Action::NotesList, &super::resource(&yp), &[]);
    let notes = if may_read_notes {
        case_note::Entity::find()
            .filter(case_note::Column::YoungPersonId.eq(yp.id))
            .order_by_desc(case_note::Column::Id)
            .limit(limit as u64)
            .all(&state.db)
            .await?
    } else {
        Vec::new()
    };
    let mut items = Vec::new();
    for t in transitions {
        let reason = super::open_opt(&state, "referral_transitions", "reason", &t.id, t.reason.as_deref())?;
        let (kind, summary) = match &t.from_status {
            None => ("referral_received".to_string(), "Referral received".to_string()),
            Some(from) if *from == t.to_status => ("referral_allocated".to_string(), "Referral allocated to another charity".to_string()),
            Some(from) => ("referral_transition".to_string(), format!("Referral moved from {} to {}", from.as_str(), t.to_status.as_str())),
        };
        items.push(ChronologyEntry {
            at: t.at,
            kind,
            referral_id: Some(t.referral_id),
            note_id: None,
            concern_id: None,
            actor_id: Some(t.actor_id),
            summary,
            text: reason,
        });
    }
    for n in notes {
        let v = note_view(&state, n)?;
        let summary = if v.corrects.is_some() { "Case note (a correction)" } else { "Case note" };
        items.push(ChronologyEntry {
            at: v.created_at,
            kind: "case_note".into(),
            referral_id: None,
            note_id: Some(v.id),
            concern_id: None,
            actor_id: Some(v.author_id),
            summary: summary.into(),
            text: Some(v.body),
        });
    }
    // Concerns show as "concern raised" with their category; their words only to a reader
    // who may see the concern in full or raised it.
    let concerns = crate::entities::concern::Entity::find()
        .filter(crate::entities::concern::Column::YoungPersonId.eq(yp.id))
        .order_by_desc(crate::entities::concern::Column::Id)
        .limit(limit as u64)
        .all(&state.db)
        .await?;
    let mut concerns_read = Vec::new();
    for c in concerns {
        let words = match crate::safeguarding::service::visibility(&state, &me, &c).await? {
            Some(crate::safeguarding::dto::Visibility::Full | crate::safeguarding::dto::Visibility::Own) => {
                concerns_read.push(c.id);
                Some(state.keys.fields.open("concerns", "what_happened", &c.id, &c.what_happened)?)
            }
            _ => None,
        };
        let category = c.category.label();
        items.push(ChronologyEntry {
            at: c.raised_at,
            kind: "concern_raised".into(),
            referral_id: None,
            note_id: None,
            concern_id: Some(c.id),
            actor_id: Some(c.raised_by),
            summary: format!("Safeguarding concern raised ({category})"),
            text: words,
        });
    }
    items.sort_by_key(|e| std::cmp::Reverse(e.at));
    items.truncate(limit);
    state.audit_read(&me, Event::new("chronology.read", "young_person").resource(yp.id, Some(yp.organisation_id))).await?;
    if !concerns_read.is_empty() {
        // Every read of a concern's words is audited, here as in the concern routes.
        crate::access::audit_list(&state, &me, "concerns.read_in_chronology", "concern", concerns_read.into_iter(), [yp.id]).await?;
    }
    Ok(Json(Chronology { items }))
}
