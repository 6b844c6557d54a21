//! Sign-in, sessions and two-factor authentication, and the `CurrentUser` extractor that
//! every protected handler takes.

pub mod dto;
pub mod lockout;
pub mod mfa;
pub mod password;
pub mod routes;
pub mod rules;
pub mod session;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

use crate::audit::Actor;
use crate::authz::Principal;
use crate::entities::user::Role;
use crate::entities::{session as session_entity, user};
use crate::error::ApiError;
use crate::state::AppState;

/// A request that presented a live session token.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub user: user::Model,
    pub session: session_entity::Model,
    /// Her charity is the lead charity.
    pub organisation_lead: bool,
}

/// The signed-in user with a full session (MFA enrolled where her role requires it).
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: user::Model,
    pub session_id: Uuid,
    pub role: Role,
    pub lead: bool,
}

impl CurrentUser {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn principal(&self) -> Principal {
        Principal {
            id: self.user.id,
            role: self.user.role.as_str().to_string(),
            organisation_id: self.user.organisation_id,
            lead: self.lead,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor { id: self.user.id, role: self.user.role.as_str().to_string(), organisation_id: self.user.organisation_id }
    }

    fn from_auth(a: &Authenticated) -> Result<Self, ApiError> {
        let role = a.user.role;
        Ok(Self { user: a.user.clone(), session_id: a.session.id, role, lead: a.organisation_lead })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = parts.extensions.get::<Authenticated>().ok_or(ApiError::Unauthenticated)?;
        let me = Self::from_auth(auth)?;
        // Asked on every request, so a change to the roles that need MFA applies at once.
        if auth.session.enrolment_only || (state.config.mfa_required(me.role) && !me.user.mfa_enabled) {
            return Err(ApiError::MfaEnrolmentRequired);
        }
        Ok(me)
    }
}

/// A signed-in user whose session may still be limited to MFA enrolment.
pub struct EnrollingUser(pub CurrentUser, pub bool);

impl FromRequestParts<AppState> for EnrollingUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let auth = parts.extensions.get::<Authenticated>().ok_or(ApiError::Unauthenticated)?;
        Ok(EnrollingUser(CurrentUser::from_auth(auth)?, auth.session.enrolment_only))
    }
}

/// Resolves a bearer token to its session and user, if the session is live. Requests
/// without a live session go on unauthenticated; the extractors answer 401 where it matters.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .map(str::to_string);
    if let Some(token) = token {
        match session::resolve(&state, &token).await {
            Ok(Some(auth)) => {
                req.extensions_mut().insert(auth);
            }
            Ok(None) => {}
            Err(e) => return axum::response::IntoResponse::into_response(e),
        }
    }
    next.run(req).await
}
