//! Evaluation projects and their evaluators, as the routes and the extract need them: the
//! queries and the records' shape. No HTTP here.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::dto::CreateProject;
use crate::access::scope::ProjectScope;
use crate::authz::Resource;
use crate::entities::{evaluation_project, evaluation_project_evaluator};

pub async fn find<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<evaluation_project::Model>, DbErr> {
    evaluation_project::Entity::find_by_id(id).one(conn).await
}

pub async fn find_by_slug<C: ConnectionTrait>(conn: &C, slug: &str) -> Result<Option<evaluation_project::Model>, DbErr> {
    evaluation_project::Entity::find().filter(evaluation_project::Column::Slug.eq(slug)).one(conn).await
}

/// The project, its row locked for the rest of the caller's write unit (FOR UPDATE on
/// PostgreSQL; SQLite's write lock already serialises writers): a release, a change to its
/// dates and a change to its evaluators are then taken one after another.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<evaluation_project::Model>, DbErr> {
    evaluation_project::Entity::find_by_id(id).lock_exclusive().one(conn).await
}

/// The evaluator accounts bound to a project, in id order.
pub async fn evaluators<C: ConnectionTrait>(conn: &C, project_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    let rows = evaluation_project_evaluator::Entity::find()
        .filter(evaluation_project_evaluator::Column::ProjectId.eq(project_id))
        .order_by_asc(evaluation_project_evaluator::Column::UserId)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// The evaluator accounts bound to each of `projects`, in id order: one query for a page.
pub async fn evaluators_of<C: ConnectionTrait>(conn: &C, projects: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<Uuid>>, DbErr> {
    let rows = evaluation_project_evaluator::Entity::find()
        .filter(evaluation_project_evaluator::Column::ProjectId.is_in(projects.iter().copied()))
        .order_by_asc(evaluation_project_evaluator::Column::UserId)
        .all(conn)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<Uuid>> = std::collections::HashMap::new();
    for r in rows {
        out.entry(r.project_id).or_default().push(r.user_id);
    }
    Ok(out)
}

/// The project as the policies see it on `today`.
pub fn resource(p: &evaluation_project::Model, evaluators: &[Uuid], today: NaiveDate) -> Resource {
    Resource::EvaluationProject { id: p.id, evaluators: evaluators.to_vec(), current: p.current(today) }
}

pub fn new_project(body: &CreateProject, created_by: Uuid, now: DateTime<Utc>) -> evaluation_project::ActiveModel {
    evaluation_project::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(body.slug.clone()),
        name: Set(body.name.trim().to_string()),
        purpose: Set(body.purpose.trim().to_string()),
        lawful_basis: Set(body.lawful_basis),
        agreement_reference: Set(body.agreement_reference.trim().to_string()),
        starts_on: Set(body.starts_on),
        ends_on: Set(body.ends_on),
        created_by: Set(created_by),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// One page of the projects in `scope`, in id order, after `after`: `limit + 1` rows at most.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    scope: ProjectScope,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<evaluation_project::Model>, DbErr> {
    let mut query = evaluation_project::Entity::find().order_by_asc(evaluation_project::Column::Id).limit(limit + 1);
    if let Some(after) = after {
        query = query.filter(evaluation_project::Column::Id.gt(after));
    }
    if let ProjectScope::BoundTo(user) = scope {
        let bound = sea_orm::sea_query::Query::select()
            .column(evaluation_project_evaluator::Column::ProjectId)
            .from(evaluation_project_evaluator::Entity)
            .and_where(evaluation_project_evaluator::Column::UserId.eq(user))
            .to_owned();
        query = query.filter(evaluation_project::Column::Id.in_subquery(bound));
    }
    query.all(conn).await
}

/// Binds `user_id` to the project; false when she was bound already (two requests at once
/// both succeed, one of them changing nothing).
pub async fn bind<C: ConnectionTrait>(conn: &C, project_id: Uuid, user_id: Uuid, by: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    use sea_orm::sea_query::OnConflict;
    let inserted = evaluation_project_evaluator::Entity::insert(evaluation_project_evaluator::ActiveModel {
        project_id: Set(project_id),
        user_id: Set(user_id),
        added_by: Set(by),
        added_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([evaluation_project_evaluator::Column::ProjectId, evaluation_project_evaluator::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted > 0)
}

pub async fn unbind<C: ConnectionTrait>(conn: &C, project_id: Uuid, user_id: Uuid) -> Result<bool, DbErr> {
    let r = evaluation_project_evaluator::Entity::delete_by_id((project_id, user_id)).exec(conn).await?;
    Ok(r.rows_affected > 0)
}
