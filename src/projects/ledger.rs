//! The release ledger: every evaluation extract released to a project, and for each pseudonym
//! it sent, her key values as released and the columns withheld from her. Read before a
//! release as its floor ([`Floor`]): a later release to the same project raises every key
//! variable at least as far as any release before it did, withholds from each pseudonym every
//! column any release before it withheld from her, and counts k over what the project then
//! holds of each girl in all its releases together (her key values in each), so no release can
//! refine a value of another, and joining them singles no girl out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::json::JsonText;
use crate::entities::{extract_release, extract_release_person};
use crate::error::ApiError;

/// What a project has been released so far: the floor of its next release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Floor {
    /// How many releases it has had (asked again, under a lock, when the next is recorded).
    pub releases: u64,
    /// The furthest each key variable has been generalised in any release.
    pub levels: BTreeMap<String, u8>,
    /// The columns any release withheld from each pseudonym (suppressed or left empty).
    pub withheld: HashMap<String, BTreeSet<String>>,
    /// What the project holds of each pseudonym's key values: in each release that sent her
    /// (by its place in the ledger, oldest 0), her rows' key values as released, sorted.
    pub history: HashMap<String, Vec<Held>>,
    /// For each pseudonym, in each release that sent her (by its place), the sensitive values
    /// released of her: what l-diversity is checked against in later releases.
    pub sensitive: HashMap<String, Vec<Told>>,
}

/// A pseudonym's sensitive values in one release: the release's place in the ledger and, for
/// each sensitive column released to her, her values.
pub type Told = (u64, BTreeMap<String, Vec<String>>);

/// A pseudonym in one release: the release's place in the ledger (oldest 0) and her rows' key
/// values as it released them, sorted.
pub type Held = (u64, Vec<Vec<String>>);

pub async fn floor<C: ConnectionTrait>(conn: &C, project_id: Uuid) -> Result<Floor, ApiError> {
    let releases = extract_release::Entity::find()
        .filter(extract_release::Column::ProjectId.eq(project_id))
        .order_by_asc(extract_release::Column::Id)
        .all(conn)
        .await?;
    let mut floor = Floor { releases: releases.len() as u64, ..Floor::default() };
    for r in &releases {
        for (v, level) in r.levels.iter() {
            let at = floor.levels.entry(v.clone()).or_insert(0);
            *at = (*at).max(*level);
        }
    }
    let place: HashMap<Uuid, u64> = releases.iter().enumerate().map(|(i, r)| (r.id, i as u64)).collect();
    let ids: Vec<Uuid> = releases.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(500) {
        let rows = extract_release_person::Entity::find()
            .filter(extract_release_person::Column::ReleaseId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        for row in rows {
            let at = place.get(&row.release_id).copied().ok_or_else(|| ApiError::internal("a release person of no release"))?;
            floor.withheld.entry(row.pseudonym.clone()).or_default().extend(row.withheld.iter().cloned());
            floor.sensitive.entry(row.pseudonym.clone()).or_default().push((at, row.sensitive.into_inner()));
            floor.history.entry(row.pseudonym).or_default().push((at, row.keys.into_inner()));
        }
    }
    for h in floor.history.values_mut() {
        h.sort();
    }
    for s in floor.sensitive.values_mut() {
        s.sort();
    }
    Ok(floor)
}

/// One pseudonym a release sends: her rows' key values as released (sorted), the columns
/// withheld from her, and her sensitive values as released.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedPerson {
    pub pseudonym: String,
    pub keys: Vec<Vec<String>>,
    pub withheld: Vec<String>,
    /// Each sensitive column released to her: her values over her rows, empty ones left out.
    pub sensitive: BTreeMap<String, Vec<String>>,
}

/// A release to record.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub id: Uuid,
    pub project_id: Uuid,
    pub released_by: Uuid,
    pub released_at: DateTime<Utc>,
    pub window_from: Option<NaiveDate>,
    pub window_to: Option<NaiveDate>,
    pub format: extract_release::ReleaseFormat,
    pub k: u32,
    pub key_variables: Vec<String>,
    pub levels: BTreeMap<String, u8>,
    pub columns: Vec<String>,
    pub rows: u64,
    pub young_people: u64,
    pub withheld_rows: u64,
    pub suppressed_values: u64,
    pub k_achieved: u64,
    pub l_achieved: Option<usize>,
    pub bytes: u64,
    pub sha256: String,
    /// Every pseudonym released.
    pub people: Vec<ReleasedPerson>,
}

fn i64_of(n: u64) -> Result<i64, ApiError> {
    i64::try_from(n).map_err(ApiError::internal)
}

/// Records `r` in the caller's write unit. `floor_releases` is how many releases the floor
/// it was built on counted: a release recorded since (by another request) is a 409, so two
/// releases can never both be built on the same floor.
pub async fn record<C: ConnectionTrait>(conn: &C, floor_releases: u64, r: NewRelease) -> Result<(), ApiError> {
    // The project's row, locked (see `service::lock`), then the releases counted again. The
    // unit is READ COMMITTED on PostgreSQL (the default), so the count sees every release
    // committed before the lock was granted.
    super::service::lock(conn, r.project_id).await?.ok_or(ApiError::NotFound)?;
    let now = extract_release::Entity::find().filter(extract_release::Column::ProjectId.eq(r.project_id)).count(conn).await?;
    if now != floor_releases {
        return Err(ApiError::conflict("Another extract was released to this project at the same time; ask again."));
    }
    extract_release::Entity::insert(extract_release::ActiveModel {
        id: Set(r.id),
        project_id: Set(r.project_id),
        released_by: Set(r.released_by),
        released_at: Set(r.released_at),
        window_from: Set(r.window_from),
        window_to: Set(r.window_to),
        format: Set(r.format),
        k: Set(i32::try_from(r.k).map_err(ApiError::internal)?),
        key_variables: Set(JsonText::new(r.key_variables)?),
        levels: Set(JsonText::new(r.levels)?),
        columns: Set(JsonText::new(r.columns)?),
        rows: Set(i64_of(r.rows)?),
        young_people: Set(i64_of(r.young_people)?),
        withheld_rows: Set(i64_of(r.withheld_rows)?),
        suppressed_values: Set(i64_of(r.suppressed_values)?),
        k_achieved: Set(i64_of(r.k_achieved)?),
        l_achieved: Set(r.l_achieved.map(i32::try_from).transpose().map_err(ApiError::internal)?),
        bytes: Set(i64_of(r.bytes)?),
        sha256: Set(r.sha256),
    })
    .exec_without_returning(conn)
    .await?;
    let mut models = Vec::with_capacity(r.people.len());
    for person in r.people {
        models.push(extract_release_person::ActiveModel {
            release_id: Set(r.id),
            pseudonym: Set(person.pseudonym),
            keys: Set(JsonText::new(person.keys)?),
            withheld: Set(JsonText::new(person.withheld)?),
            sensitive: Set(JsonText::new(person.sensitive)?),
        });
    }
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(500).collect();
        extract_release_person::Entity::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// One page of a project's releases, oldest first, after `after`: `limit + 1` rows at most.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    project_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<extract_release::Model>, ApiError> {
    let mut query = extract_release::Entity::find()
        .filter(extract_release::Column::ProjectId.eq(project_id))
        .order_by_asc(extract_release::Column::Id)
        .limit(limit + 1);
    if let Some(after) = after {
        query = query.filter(extract_release::Column::Id.gt(after));
    }
    Ok(query.all(conn).await?)
}
