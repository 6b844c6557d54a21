//! Young people's records as the rest of the service needs them: her record's views, the
//! checks on a new record, the duplicate check and insert, and her referrals. No HTTP here;
//! routes and other capabilities (referrals creates her with her first referral) call these.

use super::codes::*;
use super::dto::*;
use super::rules::{self, AceAnswer, Consent};
use super::{open_opt, seal_opt};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::entities::duplicate_flag::DuplicateStatus;
use crate::entities::json::JsonText;
use crate::entities::{duplicate_flag, organisation, referral, young_person};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

pub const TABLE: &str = "young_people";

pub fn view(state: &AppState, yp: &young_person::Model) -> Result<YoungPersonView, ApiError> {
    let today = state.now().date_naive();
    let ethnicity = yp.ethnicity;
    Ok(YoungPersonView {
        id: yp.id,
        organisation_id: yp.organisation_id,
        legal_name: yp.legal_name.clone(),
        preferred_name: yp.preferred_name.clone(),
        date_of_birth: yp.date_of_birth,
        age: rules::age_on(yp.date_of_birth, today),
        gender: yp.gender,
        gender_identity: yp.gender_identity.clone(),
        ethnicity,
        ethnic_group: ethnicity.group().to_string(),
        postcode: yp.postcode.clone(),
        district: yp.district.clone(),
        lsoa_code: yp.lsoa_code.clone(),
        imd_decile: yp.imd_decile,
        iod_edition: yp.iod_edition,
        contact_details: open_opt(state, TABLE, "contact_details", &yp.id, yp.contact_details.as_deref())?,
        parent_carer_contact: open_opt(state, TABLE, "parent_carer_contact", &yp.id, yp.parent_carer_contact.as_deref())?,
        education_status: yp.education_status,
        care_status: yp.care_status,
        send: yp.send,
        aces: yp.aces.to_vec(),
        ace_count: yp.ace_count,
        risk_indicators: yp.risk_indicators.to_vec(),
        consents: yp.consents.to_vec(),
        gillick_competent: yp.gillick_competent,
        interests: yp.interests.to_vec(),
        languages: yp.languages.to_vec(),
        availability: yp.availability.to_vec(),
        mentor_preferences: yp.mentor_preferences.to_vec(),
        safeguarding_flag: yp.safeguarding_flag,
        merged_into: yp.merged_into,
        version: yp.version,
        created_at: yp.created_at,
        updated_at: yp.updated_at,
    })
}

pub fn summary(state: &AppState, yp: &young_person::Model) -> Result<YoungPersonSummary, ApiError> {
    Ok(YoungPersonSummary {
        id: yp.id,
        organisation_id: yp.organisation_id,
        preferred_name: yp.preferred_name.clone(),
        legal_name: yp.legal_name.clone(),
        age: rules::age_on(yp.date_of_birth, state.now().date_naive()),
        district: yp.district.clone(),
        safeguarding_flag: yp.safeguarding_flag,
    })
}

/// A date of birth in the past giving an age of 0–30.
pub fn check_date_of_birth(dob: NaiveDate, today: NaiveDate) -> Result<(), ApiError> {
    if dob > today {
        return Err(ApiError::field("date_of_birth", "in_future", "The date of birth is in the future."));
    }
    if !(0..=30).contains(&rules::age_on(dob, today)) {
        return Err(ApiError::field("date_of_birth", "out_of_range", "That gives an age outside 0–30; check the date."));
    }
    Ok(())
}

pub fn check_dates(aces: &[AceAnswer], consents: &[Consent], today: NaiveDate, prefix: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, a) in aces.iter().enumerate() {
        if a.recorded_on > today {
            errors.push(FieldError::new(format!("{prefix}aces[{i}].recorded_on"), "in_future", "This date is in the future."));
        }
    }
    for (i, c) in consents.iter().enumerate() {
        if c.recorded_on > today {
            errors.push(FieldError::new(format!("{prefix}consents[{i}].recorded_on"), "in_future", "This date is in the future."));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// The charity that will own a new record: the one named (admins), else the caller's own.
pub async fn owning_organisation(
    state: &AppState,
    me: &CurrentUser,
    requested: Option<Uuid>,
    field: &str,
) -> Result<organisation::Model, ApiError> {
    let id = requested.unwrap_or(me.user.organisation_id);
    let org = organisation::Entity::find_by_id(id).one(&state.db).await?;
    match org {
        Some(o) if o.active => Ok(o),
        Some(_) => Err(ApiError::field(field, "inactive", "This organisation is no longer active.")),
        None => Err(ApiError::field(field, "not_found", "There is no such organisation.")),
    }
}

/// Validates and inserts a new young person (in `conn`, the request's transaction) after
/// the duplicate check. A possible duplicate in the same charity stops the create unless the
/// caller confirmed it is someone else; one in another charity is flagged for the programme
/// admins and reported without any of its details.
pub async fn insert_young_person(
    conn: &mut crate::access::Write,
    state: &AppState,
    _me: &CurrentUser,
    org: &organisation::Model,
    body: CreateYoungPerson,
    prefix: &str,
) -> Result<(young_person::Model, DuplicateCheck), ApiError> {
    let now = state.now();
    let today = now.date_naive();
    check_date_of_birth(body.date_of_birth, today).map_err(|e| prefixed(e, prefix))?;
    check_dates(&body.aces, &body.consents, today, prefix)?;
    if body.imd_decile.is_some() && body.iod_edition.is_none() {
        return Err(ApiError::field(&format!("{prefix}iod_edition"), "required", "Say which Index of Deprivation the decile comes from."));
    }
    let postcode = rules::normalise_postcode(&body.postcode).unwrap_or_default();
    let name_key = rules::name_key(&body.legal_name);

    let matches = young_person::Entity::find()
        .filter(young_person::Column::DateOfBirth.eq(body.date_of_birth))
        .filter(young_person::Column::MergedInto.is_null())
        .filter(
            Condition::any()
                .add(young_person::Column::NameKey.eq(name_key.clone()))
                .add(young_person::Column::Postcode.eq(postcode.clone())),
        )
        .all(conn)
        .await?;
    let own: Vec<Uuid> = matches.iter().filter(|m| m.organisation_id == org.id).map(|m| m.id).collect();
    let others: Vec<Uuid> = matches.iter().filter(|m| m.organisation_id != org.id).map(|m| m.id).collect();
    if !own.is_empty() && !body.confirm_not_duplicate {
        let ids: Vec<String> = own.iter().map(Uuid::to_string).collect();
        return Err(ApiError::Conflict {
            detail: format!(
                "Your charity may already hold this young person ({}). Link to that record with young_person_id, or resend with confirm_not_duplicate: true if she is someone else.",
                ids.join(", ")
            ),
            allowed: None,
        });
    }

    let id = Uuid::now_v7();
    let aces_json = JsonText::of(&body.aces)?;
    let yp = young_person::ActiveModel {
        id: Set(id),
        organisation_id: Set(org.id),
        legal_name: Set(body.legal_name.trim().to_string()),
        preferred_name: Set(body.preferred_name.as_deref().unwrap_or(&body.legal_name).trim().to_string()),
        name_key: Set(name_key),
        date_of_birth: Set(body.date_of_birth),
        gender: Set(body.gender),
        gender_identity: Set(body.gender_identity.map(|g| g.trim().to_string()).filter(|g| !g.is_empty())),
        ethnicity: Set(body.ethnicity),
        postcode: Set(postcode),
        district: Set(body.district.trim().to_string()),
        lsoa_code: Set(body.lsoa_code),
        imd_decile: Set(body.imd_decile),
        iod_edition: Set(body.iod_edition),
        contact_details: Set(seal_opt(state, TABLE, "contact_details", &id, body.contact_details.as_deref())?),
        parent_carer_contact: Set(seal_opt(state, TABLE, "parent_carer_contact", &id, body.parent_carer_contact.as_deref())?),
        education_status: Set(body.education_status),
        care_status: Set(body.care_status),
        send: Set(body.send),
        aces: Set(aces_json),
        ace_count: Set(rules::ace_count(&body.aces) as i16),
        risk_indicators: Set(JsonText::of(&body.risk_indicators)?),
        consents: Set(JsonText::of(&body.consents)?),
        gillick_competent: Set(body.gillick_competent),
        interests: Set(JsonText::of(&body.interests)?),
        languages: Set(JsonText::of(&body.languages)?),
        availability: Set(JsonText::of(&body.availability)?),
        mentor_preferences: Set(JsonText::of(&body.mentor_preferences)?),
        safeguarding_flag: Set(SafeguardingFlag::Green),
        merged_into: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    conn.audit(Event::new("young_person.created", "young_person").resource(id, Some(org.id)));

    let mut check = DuplicateCheck { own_charity_matches: own, notice: None };
    if !others.is_empty() {
        for other in &others {
            duplicate_flag::ActiveModel {
                id: Set(Uuid::now_v7()),
                young_person_id: Set(id),
                match_id: Set(*other),
                status: Set(DuplicateStatus::Open),
                created_at: Set(now),
                resolved_at: Set(None),
                resolved_by: Set(None),
            }
            .insert(conn)
            .await?;
        }
        conn.audit(
            Event::new("duplicate.flagged", "young_person")
                .resource(id, Some(org.id))
                .about_all(others.iter().copied())
                .detail(json!({"matches": others.len()})),
        );
        check.notice = Some("A possible duplicate is held by another partner; the programme admin has been told.".into());
    }
    Ok((yp, check))
}

pub fn prefixed(e: ApiError, prefix: &str) -> ApiError {
    match e {
        ApiError::Validation(v) => {
            ApiError::Validation(v.into_iter().map(|f| FieldError { field: format!("{prefix}{}", f.field), ..f }).collect())
        }
        other => other,
    }
}

/// The referrals of a young person, oldest first.
pub async fn referrals_of<C: ConnectionTrait>(conn: &C, young_person_id: Uuid) -> Result<Vec<referral::Model>, ApiError> {
    Ok(referral::Entity::find()
        .filter(referral::Column::YoungPersonId.eq(young_person_id))
        .order_by_asc(referral::Column::Id)
        .all(conn)
        .await?)
}

/// The young people `ids`, by id (one query per [`crate::db::ID_CHUNK`] ids).
pub async fn by_id<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, young_person::Model>, ApiError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(crate::db::ID_CHUNK) {
        for yp in young_person::Entity::find().filter(young_person::Column::Id.is_in(chunk.to_vec())).all(conn).await? {
            out.insert(yp.id, yp);
        }
    }
    Ok(out)
}
