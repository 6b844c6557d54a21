//! Outcome routes: HTTP only; scoring is in `scoring.rs`, change in `rules.rs`, who may do
//! what in `policies/outcomes.cedar`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::dto::*;
use super::{Loaded, answers_of, instruments, outcomes_for};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::entities::json::JsonText;
use crate::entities::{assessment, instrument, young_person};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::extract::{ApiJson, ApiQuery, IdPath};
use crate::http::pagination;
use crate::http::problems::{InvalidParameters, JsonBody, Refused, SignedIn};
use crate::young_people::rules::age_on;
use crate::{access::Deny, state::AppState};

fn instrument_view(i: &Loaded) -> InstrumentView {
    InstrumentView {
        id: i.model.id,
        code: i.model.code.clone(),
        version: i.model.version.clone(),
        name: i.model.name.clone(),
        definition: i.definition.clone(),
        created_by: i.model.created_by,
        created_at: i.model.created_at,
    }
}

/// Loads a young person whose assessments the caller may read (404 otherwise), then checks
/// `action` (403). A mentor's reach depends on whether she mentors her now.
async fn load(state: &AppState, me: &CurrentUser, id: Uuid, action: Action) -> Result<young_person::Model, ApiError> {
    let yp = young_person::Entity::find_by_id(id).one(&state.db).await?.ok_or(ApiError::NotFound)?;
    let mentor_of = me.role == crate::entities::user::Role::Mentor && crate::matches::mentor_of(&state.db, me.id(), yp.id).await?;
    let res = crate::young_people::resource(&yp);
    let ctx = [("mentor_of", Value::Bool(mentor_of))];
    state.authorize_as(me, Action::AssessmentsList, &res, &ctx, Deny::NotFound).await?;
    match action {
        Action::AssessmentsList => {}
        Action::OutcomesRead => state.authorize_as(me, action, &res, &[], Deny::Forbidden).await?,
        _ => {
            state.authorize_as(me, action, &res, &ctx, Deny::Forbidden).await?;
            if let Some(into) = yp.merged_into {
                return Err(crate::young_people::merged(into));
            }
        }
    }
    Ok(yp)
}

fn view(a: assessment::Model, inst: &Loaded, date_of_birth: NaiveDate) -> Result<AssessmentView, ApiError> {
    let answers = answers_of(&a)?;
    let scored = inst.definition.score(&answers).map_err(|_| ApiError::internal("stored answers no longer score"))?;
    let warnings = inst.definition.validation_warning(&inst.model.code, age_on(date_of_birth, a.taken_on)).into_iter().collect();
    Ok(AssessmentView {
        id: a.id,
        young_person_id: a.young_person_id,
        organisation_id: a.organisation_id,
        instrument_id: a.instrument_id,
        instrument: inst.model.code.clone(),
        version: inst.model.version.clone(),
        timepoint: a.timepoint,
        taken_on: a.taken_on,
        answers,
        indicators: a.indicators.clone().into_inner(),
        scores: Scores {
            raw_total: super::scoring::number(scored.raw),
            metric: scored.metric.map(super::scoring::number),
            score: super::scoring::number(scored.headline()),
            missing_items: scored.missing,
            prorated: scored.missing > 0,
        },
        warnings,
        administered_by: a.administered_by,
        recorded_at: a.recorded_at,
    })
}

/// The instruments assessments may use, each with its definition.
#[utoipa::path(get, path = "/instruments", tag = "outcomes", security(("bearer" = [])),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = InstrumentList)))]
pub async fn list_instruments(State(state): State<AppState>, me: CurrentUser) -> Result<Json<InstrumentList>, ApiError> {
    state.authorize(&me, Action::InstrumentsList, &Resource::Programme, &[]).await?;
    let mut items: Vec<InstrumentView> = instruments(&state.db).await?.values().map(instrument_view).collect();
    items.sort_by(|a, b| a.code.cmp(&b.code).then(a.created_at.cmp(&b.created_at)).then(a.id.cmp(&b.id)));
    Ok(Json(InstrumentList { items }))
}

/// Add an instrument, or a new version of one, without a code change: its items, scale,
/// scoring (a sum, or a sum converted through a table), how many items may be prorated, the
/// ages it is for and the change that counts as reliable.
#[utoipa::path(post, path = "/instruments", tag = "outcomes", security(("bearer" = [])), request_body = CreateInstrument,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = InstrumentView),
        (status = 409, description = "This code and version exist already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, naming each", body = Problem, content_type = "application/problem+json")))]
pub async fn create_instrument(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<CreateInstrument>,
) -> Result<(StatusCode, Json<InstrumentView>), ApiError> {
    state.authorize(&me, Action::InstrumentsCreate, &Resource::Programme, &[]).await?;
    let problems = body.definition.problems("definition.");
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let now = state.now();
    let id = Uuid::now_v7();
    let definition = JsonText::of(&body.definition)?;
    let mut txn = state.write(&me).await?;
    let model = instrument::ActiveModel {
        id: Set(id),
        code: Set(body.code.clone()),
        version: Set(body.version.trim().to_string()),
        name: Set(body.name.trim().to_string()),
        definition: Set(definition),
        created_by: Set(Some(me.id())),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(ApiError::conflict_if_duplicate("This instrument already has that version; give the new one another version."))?;
    txn.audit(
        Event::new("instrument.created", "instrument").resource(id, None).detail(json!({"code": model.code, "version": model.version})),
    );
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(instrument_view(&Loaded { model, definition: body.definition }))))
}

/// Her assessments, newest first. A mentor sees only those she administered herself.
#[utoipa::path(get, path = "/young-people/{id}/assessments", tag = "outcomes", security(("bearer" = [])),
    params(("id" = Uuid, Path), ListAssessments),
    responses(InvalidParameters, SignedIn, (status = 200, description = "Done", body = AssessmentPage),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn list_assessments(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ListAssessments>,
) -> Result<Json<AssessmentPage>, ApiError> {
    let yp = load(&state, &me, id, Action::AssessmentsList).await?;
    let limit = pagination::limit(q.limit);
    let all = instruments(&state.db).await?;
    let mut query = assessment::Entity::find()
        .filter(assessment::Column::YoungPersonId.eq(yp.id))
        .order_by_desc(assessment::Column::Id)
        .limit(limit + 1);
    if me.role == crate::entities::user::Role::Mentor {
        query = query.filter(assessment::Column::AdministeredBy.eq(me.id()));
    }
    if let Some(code) = &q.instrument {
        let code = code.trim().to_ascii_uppercase();
        let ids: Vec<Uuid> = all.values().filter(|i| i.model.code == code).map(|i| i.model.id).collect();
        query = query.filter(assessment::Column::InstrumentId.is_in(ids));
    }
    if let Some(t) = q.timepoint {
        query = query.filter(assessment::Column::Timepoint.eq(t.as_str()));
    }
    if let Some(before) = pagination::decode_cursor(q.cursor.as_deref())? {
        query = query.filter(assessment::Column::Id.lt(before));
    }
    let rows = query.all(&state.db).await?;
    let page = pagination::page(rows, limit, |a| a.id, |a| a);
    let mut items = Vec::with_capacity(page.items.len());
    for a in page.items {
        let inst = all.get(&a.instrument_id).ok_or_else(|| ApiError::internal("assessment of an unknown instrument"))?;
        items.push(view(a, inst, yp.date_of_birth)?);
    }
    let ids: Vec<Uuid> = items.iter().map(|a| a.id).collect();
    state
        .audit_read(
            &me,
            Event::new("assessments.read", "young_person")
                .resource(yp.id, Some(yp.organisation_id))
                .detail(json!({"count": ids.len(), "ids": ids})),
        )
        .await?;
    Ok(Json(AssessmentPage { items, next_cursor: page.next_cursor }))
}

/// Record an assessment: the instrument, the timepoint, the day, her answers (null for an
/// item left unanswered) and the programme indicators. The scores are computed from the
/// answers whenever the assessment is read; an instrument outside her age on the day is
/// refused with the reason.
#[utoipa::path(post, path = "/young-people/{id}/assessments", tag = "outcomes", security(("bearer" = [])), request_body = CreateAssessment,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses(SignedIn, JsonBody, Refused, (status = 201, description = "Created", body = AssessmentView),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record was merged into another", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown instrument, wrong number of answers, an answer off the scale, too many missing, a date in the future, or an instrument not for her age", body = Problem, content_type = "application/problem+json")))]
pub async fn create_assessment(
    State(state): State<AppState>,
    me: CurrentUser,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreateAssessment>,
) -> Result<(StatusCode, Json<AssessmentView>), ApiError> {
    let yp = load(&state, &me, id, Action::AssessmentsCreate).await?;
    let now = state.now();
    let mut errors: Vec<FieldError> = Vec::new();
    if body.taken_on > now.date_naive() {
        errors.push(FieldError::new("taken_on", "in_future", "This date is in the future."));
    }
    let all = instruments(&state.db).await?;
    let code = body.instrument.trim().to_ascii_uppercase();
    let mut versions: Vec<&Loaded> = all.values().filter(|i| i.model.code == code).collect();
    versions.sort_by_key(|i| (i.model.created_at, i.model.id));
    if versions.is_empty() {
        let mut codes: Vec<&str> = all.values().map(|i| i.model.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        errors.push(FieldError::new("instrument", "unknown_instrument", format!("Must be one of: {}.", codes.join(", "))));
        return Err(ApiError::Validation(errors));
    }
    let chosen = match &body.version {
        None => versions.last().copied(),
        Some(v) => versions.iter().copied().find(|i| i.model.version == v.trim()),
    };
    let Some(inst) = chosen else {
        let known: Vec<&str> = versions.iter().map(|i| i.model.version.as_str()).collect();
        errors.push(FieldError::new("version", "unknown_version", format!("{code} has versions: {}.", known.join(", "))));
        return Err(ApiError::Validation(errors));
    };
    let age = age_on(yp.date_of_birth, body.taken_on);
    if !inst.definition.fits_age(age) {
        errors.push(FieldError::new(
            "instrument",
            "age_out_of_range",
            format!("{code} is for ages {}; she was {age} on that date.", inst.definition.age_range()),
        ));
    }
    if let Err(e) = inst.definition.score(&body.answers) {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let assessment_id = Uuid::now_v7();
    let mut txn = state.write(&me).await?;
    let yp = crate::young_people::still_owned(&txn, &yp).await?;
    let a = assessment::ActiveModel {
        id: Set(assessment_id),
        young_person_id: Set(yp.id),
        organisation_id: Set(yp.organisation_id),
        instrument_id: Set(inst.model.id),
        timepoint: Set(body.timepoint),
        taken_on: Set(body.taken_on),
        answers: Set(JsonText::of(&body.answers)?),
        indicators: Set(JsonText::of(&body.indicators)?),
        administered_by: Set(me.id()),
        recorded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.audit(Event::new("assessment.created", "young_person").resource(yp.id, Some(yp.organisation_id)).detail(
            json!({"assessment_id": assessment_id, "instrument": inst.model.code, "version": inst.model.version, "timepoint": body.timepoint.as_str()}),
        ));
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view(a, inst, yp.date_of_birth)?)))
}

/// Her change on each instrument, from her most recent baseline to the latest assessment
/// after it, and whether it is a reliable improvement or deterioration.
#[utoipa::path(get, path = "/young-people/{id}/outcomes", tag = "outcomes", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(SignedIn, Refused, (status = 200, description = "Done", body = Outcomes),
        (status = 404, description = "No such record, or not visible to you", body = Problem, content_type = "application/problem+json")))]
pub async fn outcomes(State(state): State<AppState>, me: CurrentUser, IdPath(id): IdPath) -> Result<Json<Outcomes>, ApiError> {
    let yp = load(&state, &me, id, Action::OutcomesRead).await?;
    let items = outcomes_for(&state.db, &[yp.id]).await?.remove(&yp.id).unwrap_or_default();
    state.audit_read(&me, Event::new("outcomes.read", "young_person").resource(yp.id, Some(yp.organisation_id))).await?;
    Ok(Json(Outcomes { young_person_id: yp.id, items }))
}
