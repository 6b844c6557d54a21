//! Outcome measures: instruments defined as data (items, scale, scoring, ages, reliable
//! change), assessments that store the raw answers and are scored whenever they are read,
//! and each young person's change from baseline to her latest assessment.

pub mod dto;
pub mod routes;
pub mod rules;
pub mod scoring;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use uuid::Uuid;

use crate::entities::json::JsonText;
use crate::entities::{assessment, instrument};
use crate::error::ApiError;
use dto::Outcome;
use scoring::Definition;

pub fn router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(routes::list_instruments, routes::create_instrument))
        .routes(routes!(routes::list_assessments, routes::create_assessment))
        .routes(routes!(routes::outcomes))
}

/// Seeds the built-in instruments (SWEMWBS, YP-CORE, CORE-10) that are not there yet. Safe
/// to run at every start-up, and by two replicas at once.
pub async fn ensure_instruments<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> Result<(), DbErr> {
    let existing: Vec<(String, String)> = instrument::Entity::find().all(conn).await?.into_iter().map(|i| (i.code, i.version)).collect();
    for (code, version, name, definition) in scoring::built_in() {
        if existing.iter().any(|(c, v)| c == code && v == version) {
            continue;
        }
        let inserted = instrument::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(code.into()),
            version: Set(version.into()),
            name: Set(name.into()),
            definition: Set(JsonText::new(definition).map_err(|e| DbErr::Custom(e.to_string()))?),
            created_by: Set(None),
            created_at: Set(now),
        }
        .insert(conn)
        .await;
        match inserted {
            Ok(_) => {}
            // Another replica seeded it first.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An instrument with its parsed definition.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub model: instrument::Model,
    pub definition: Definition,
}

/// Every instrument (a small table), by id.
pub async fn instruments<C: ConnectionTrait>(conn: &C) -> Result<HashMap<Uuid, Loaded>, ApiError> {
    let rows = instrument::Entity::find().order_by_asc(instrument::Column::Id).all(conn).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for model in rows {
        let definition = model.definition.clone().into_inner();
        out.insert(model.id, Loaded { model, definition });
    }
    Ok(out)
}

/// The stored answers of an assessment.
pub fn answers_of(a: &assessment::Model) -> Result<Vec<Option<i32>>, ApiError> {
    Ok(a.answers.to_vec())
}

/// Each young person's outcomes, per instrument (by code, in code order), from her
/// assessments: the input to the exports. A bounded number of queries however many.
pub async fn outcomes_for<C: ConnectionTrait>(conn: &C, young_person_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Outcome>>, ApiError> {
    let instruments = instruments(conn).await?;
    let mut rows = Vec::new();
    for chunk in young_person_ids.chunks(crate::db::ID_CHUNK) {
        rows.extend(assessment::Entity::find().filter(assessment::Column::YoungPersonId.is_in(chunk.to_vec())).all(conn).await?);
    }
    // The newest version of each code supplies the name and the reliable-change threshold.
    let mut newest: HashMap<&str, &Loaded> = HashMap::new();
    for i in instruments.values() {
        let e = newest.entry(i.model.code.as_str()).or_insert(i);
        if (i.model.created_at, i.model.id) > (e.model.created_at, e.model.id) {
            *e = i;
        }
    }
    let mut series: HashMap<Uuid, std::collections::BTreeMap<String, Vec<rules::Point>>> = HashMap::new();
    for a in rows {
        let Some(inst) = instruments.get(&a.instrument_id) else {
            return Err(ApiError::internal("assessment of an unknown instrument"));
        };
        let scored = inst.definition.score(&answers_of(&a)?).map_err(|_| ApiError::internal("stored answers no longer score"))?;
        let timepoint = a.timepoint;
        series.entry(a.young_person_id).or_default().entry(inst.model.code.clone()).or_default().push(rules::Point {
            assessment_id: a.id,
            timepoint,
            taken_on: a.taken_on,
            score: scored.headline(),
        });
    }
    let mut out = HashMap::with_capacity(young_person_ids.len());
    for id in young_person_ids {
        let items = series
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(code, points)| newest.get(code.as_str()).map(|i| rules::summarise(&code, &i.model.name, &i.definition, points)))
            .collect();
        out.insert(*id, items);
    }
    Ok(out)
}
