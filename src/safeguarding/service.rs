//! Concerns as the rest of the service needs them: the policies' view of one, and how much of
//! it a reader may see. No HTTP here.

use super::dto::*;
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, Value};
use crate::entities::concern;
use crate::error::ApiError;
use crate::state::AppState;

pub fn resource(c: &concern::Model) -> Resource {
    Resource::Concern { id: c.id, organisation_id: c.organisation_id, raised_by: c.raised_by }
}

/// Whether a mentor who raised `c` still mentors the young person it is about: her own view
/// of a concern ends with her match, as her view of the young person does.
pub async fn raiser_mentors_her(state: &AppState, me: &CurrentUser, c: &concern::Model) -> Result<bool, ApiError> {
    if c.raised_by != me.id() || me.role != crate::entities::user::Role::Mentor {
        return Ok(false);
    }
    Ok(crate::access::mentor_of(&state.db, me.id(), c.young_person_id).await?)
}

/// How much of `c` the caller sees, if anything.
pub async fn visibility(state: &AppState, me: &CurrentUser, c: &concern::Model) -> Result<Option<Visibility>, ApiError> {
    let res = resource(c);
    Ok(if state.allows(me, Action::ConcernsDetail, &res, &[]) {
        Some(Visibility::Full)
    } else if state.allows(me, Action::ConcernsOwn, &res, &[("mentor_of", Value::Bool(raiser_mentors_her(state, me, c).await?))]) {
        Some(Visibility::Own)
    } else if state.allows(me, Action::ConcernsSummary, &res, &[]) {
        Some(Visibility::Summary)
    } else {
        None
    })
}
