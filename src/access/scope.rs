//! List scopes: which rows a list's query may even look at, for a principal, in SQL terms.
//! They narrow the query so a page of 200 is found by an index, not by reading every row;
//! they mirror the read rules of the policies, and [`AppState::visible`] then proves each
//! row of the page against the policies themselves, so a scope that is too wide shows
//! nothing more (the test `every_list_row_is_one_the_policies_let_the_reader_read` checks
//! both over the demo programme).
//!
//! [`AppState::visible`]: crate::state::AppState::visible

use uuid::Uuid;

use crate::authz::Principal;

/// Which accounts a principal may list: mirrors `policies/users.cedar` in SQL terms.
#[derive(Debug, Clone, PartialEq)]
pub enum UserScope {
    All,
    /// Her charity's mentors, and herself.
    MentorsOf {
        organisation_id: Uuid,
        self_id: Uuid,
    },
}

/// Which charities' case records a principal may list: mirrors the `read` rules of
/// `policies/young_people.cedar` and `policies/referrals.cedar` in SQL terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordScope {
    All,
    Organisation(Uuid),
}

pub fn record_list_scope(p: &Principal) -> Option<RecordScope> {
    match p.role.as_str() {
        "programme_admin" => Some(RecordScope::All),
        "safeguarding_lead" if p.lead => Some(RecordScope::All),
        "coordinator" | "safeguarding_lead" => Some(RecordScope::Organisation(p.organisation_id)),
        _ => None,
    }
}

/// Which charities' mentors a principal may list: mirrors `policies/mentors.cedar`.
pub fn mentor_list_scope(p: &Principal) -> Option<RecordScope> {
    match p.role.as_str() {
        "programme_admin" => Some(RecordScope::All),
        "coordinator" => Some(RecordScope::Organisation(p.organisation_id)),
        _ => None,
    }
}

/// Which matches a principal may list: mirrors the read rules of `policies/matches.cedar`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatchScope {
    All,
    Organisation(Uuid),
    /// A mentor's own matches.
    Mentor(Uuid),
}

pub fn match_list_scope(p: &Principal) -> Option<MatchScope> {
    match p.role.as_str() {
        "mentor" => Some(MatchScope::Mentor(p.id)),
        _ => record_list_scope(p).map(|s| match s {
            RecordScope::All => MatchScope::All,
            RecordScope::Organisation(o) => MatchScope::Organisation(o),
        }),
    }
}

/// Which charities' concerns a principal lists beyond those she raised herself: mirrors the
/// `concerns.detail` and `concerns.summary` rules of `policies/safeguarding.cedar`.
pub fn concern_list_scope(p: &Principal) -> Option<RecordScope> {
    match p.role.as_str() {
        "programme_admin" => Some(RecordScope::All),
        "safeguarding_lead" if p.lead => Some(RecordScope::All),
        "coordinator" | "safeguarding_lead" => Some(RecordScope::Organisation(p.organisation_id)),
        _ => None,
    }
}

pub fn user_list_scope(p: &Principal) -> Option<UserScope> {
    match p.role.as_str() {
        "programme_admin" => Some(UserScope::All),
        "coordinator" => Some(UserScope::MentorsOf { organisation_id: p.organisation_id, self_id: p.id }),
        _ => None,
    }
}

/// Which evaluation projects a principal may list: mirrors `policies/projects.cedar`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProjectScope {
    All,
    /// The projects she is bound to.
    BoundTo(Uuid),
}

pub fn project_list_scope(p: &Principal) -> Option<ProjectScope> {
    match p.role.as_str() {
        "programme_admin" => Some(ProjectScope::All),
        "evaluator" => Some(ProjectScope::BoundTo(p.id)),
        _ => None,
    }
}
