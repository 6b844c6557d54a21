//! Authorization: the Cedar policies in `policies/`, loaded and validated against the schema
//! at start-up, and the one function every handler asks: may this principal take this
//! action on this resource?

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request, RestrictedExpression, Schema,
    ValidationMode, Validator,
};
use uuid::Uuid;

/// The built-in policies, embedded so the binary is self-contained.
const SCHEMA: &str = include_str!("../../policies/schema.cedarschema");
const POLICIES: &[(&str, &str)] = &[
    ("auth.cedar", include_str!("../../policies/auth.cedar")),
    ("audit.cedar", include_str!("../../policies/audit.cedar")),
    ("evaluators.cedar", include_str!("../../policies/evaluators.cedar")),
    ("matches.cedar", include_str!("../../policies/matches.cedar")),
    ("mentors.cedar", include_str!("../../policies/mentors.cedar")),
    ("organisations.cedar", include_str!("../../policies/organisations.cedar")),
    ("outcomes.cedar", include_str!("../../policies/outcomes.cedar")),
    ("projects.cedar", include_str!("../../policies/projects.cedar")),
    ("referrals.cedar", include_str!("../../policies/referrals.cedar")),
    ("reports.cedar", include_str!("../../policies/reports.cedar")),
    ("safeguarding.cedar", include_str!("../../policies/safeguarding.cedar")),
    ("sessions.cedar", include_str!("../../policies/sessions.cedar")),
    ("users.cedar", include_str!("../../policies/users.cedar")),
    ("young_people.cedar", include_str!("../../policies/young_people.cedar")),
];

/// Every action the service asks about. The names are the Cedar action ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    SessionSelf,
    OrganisationsList,
    OrganisationsCreate,
    OrganisationsRead,
    OrganisationsUpdate,
    UsersList,
    UsersCreate,
    UsersRead,
    UsersUpdate,
    UsersRevokeSessions,
    AuditRead,
    YoungPeopleList,
    YoungPeopleCreate,
    YoungPeopleRead,
    YoungPeopleUpdate,
    NotesList,
    NotesCreate,
    ReferralsList,
    ReferralsCreate,
    ReferralsRead,
    ReferralsUpdate,
    ReferralsTransition,
    ReferralsAllocate,
    DuplicatesList,
    DuplicatesResolve,
    MentorsList,
    MentorsExpiring,
    MentorsCreate,
    MentorsRead,
    MentorsUpdate,
    MentorsChecks,
    MentorsCompliance,
    MentorsTrainingRead,
    MentorsTrainingCreate,
    MentorsSupervisionRead,
    MentorsSupervisionCreate,
    CoursesList,
    CoursesCreate,
    MatchesList,
    MatchesPlan,
    MatchesSuggest,
    MatchesCreate,
    MatchesRead,
    MatchesUpdate,
    MatchesTransition,
    MatchesMentee,
    InstrumentsList,
    InstrumentsCreate,
    AssessmentsList,
    AssessmentsCreate,
    OutcomesRead,
    SessionsList,
    SessionsCreate,
    SessionsRead,
    SessionsUpdate,
    SupportContactsList,
    SupportContactsCreate,
    MonitoringContactGaps,
    ConcernsRaise,
    ConcernsList,
    ConcernsDetail,
    ConcernsOwn,
    ConcernsSummary,
    ConcernsAddEntry,
    ConcernsOverdue,
    ConcernsBreakGlass,
    ProjectsList,
    ProjectsCreate,
    ProjectsRead,
    ProjectsUpdate,
    ProjectsEvaluators,
    ProjectsReleases,
    ExportsEvaluation,
    ExportsDictionary,
    ReportsProgramme,
    ReportsCharity,
    ReportsDisproportionality,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::SessionSelf => "session.self",
            Action::OrganisationsList => "organisations.list",
            Action::OrganisationsCreate => "organisations.create",
            Action::OrganisationsRead => "organisations.read",
            Action::OrganisationsUpdate => "organisations.update",
            Action::UsersList => "users.list",
            Action::UsersCreate => "users.create",
            Action::UsersRead => "users.read",
            Action::UsersUpdate => "users.update",
            Action::UsersRevokeSessions => "users.revoke_sessions",
            Action::AuditRead => "audit.read",
            Action::YoungPeopleList => "young_people.list",
            Action::YoungPeopleCreate => "young_people.create",
            Action::YoungPeopleRead => "young_people.read",
            Action::YoungPeopleUpdate => "young_people.update",
            Action::NotesList => "notes.list",
            Action::NotesCreate => "notes.create",
            Action::ReferralsList => "referrals.list",
            Action::ReferralsCreate => "referrals.create",
            Action::ReferralsRead => "referrals.read",
            Action::ReferralsUpdate => "referrals.update",
            Action::ReferralsTransition => "referrals.transition",
            Action::ReferralsAllocate => "referrals.allocate",
            Action::DuplicatesList => "duplicates.list",
            Action::DuplicatesResolve => "duplicates.resolve",
            Action::MentorsList => "mentors.list",
            Action::MentorsExpiring => "mentors.expiring",
            Action::MentorsCreate => "mentors.create",
            Action::MentorsRead => "mentors.read",
            Action::MentorsUpdate => "mentors.update",
            Action::MentorsChecks => "mentors.checks",
            Action::MentorsCompliance => "mentors.compliance",
            Action::MentorsTrainingRead => "mentors.training.read",
            Action::MentorsTrainingCreate => "mentors.training.create",
            Action::MentorsSupervisionRead => "mentors.supervision.read",
            Action::MentorsSupervisionCreate => "mentors.supervision.create",
            Action::CoursesList => "courses.list",
            Action::CoursesCreate => "courses.create",
            Action::MatchesList => "matches.list",
            Action::MatchesPlan => "matches.plan",
            Action::MatchesSuggest => "matches.suggest",
            Action::MatchesCreate => "matches.create",
            Action::MatchesRead => "matches.read",
            Action::MatchesUpdate => "matches.update",
            Action::MatchesTransition => "matches.transition",
            Action::MatchesMentee => "matches.mentee",
            Action::InstrumentsList => "instruments.list",
            Action::InstrumentsCreate => "instruments.create",
            Action::AssessmentsList => "assessments.list",
            Action::AssessmentsCreate => "assessments.create",
            Action::OutcomesRead => "outcomes.read",
            Action::SessionsList => "sessions.list",
            Action::SessionsCreate => "sessions.create",
            Action::SessionsRead => "sessions.read",
            Action::SessionsUpdate => "sessions.update",
            Action::SupportContactsList => "support_contacts.list",
            Action::SupportContactsCreate => "support_contacts.create",
            Action::MonitoringContactGaps => "monitoring.contact_gaps",
            Action::ConcernsRaise => "concerns.raise",
            Action::ConcernsList => "concerns.list",
            Action::ConcernsDetail => "concerns.detail",
            Action::ConcernsOwn => "concerns.own",
            Action::ConcernsSummary => "concerns.summary",
            Action::ConcernsAddEntry => "concerns.add_entry",
            Action::ConcernsOverdue => "concerns.overdue",
            Action::ConcernsBreakGlass => "concerns.break_glass",
            Action::ProjectsList => "projects.list",
            Action::ProjectsCreate => "projects.create",
            Action::ProjectsRead => "projects.read",
            Action::ProjectsUpdate => "projects.update",
            Action::ProjectsEvaluators => "projects.evaluators",
            Action::ProjectsReleases => "projects.releases",
            Action::ExportsEvaluation => "exports.evaluation",
            Action::ExportsDictionary => "exports.dictionary",
            Action::ReportsProgramme => "reports.programme",
            Action::ReportsCharity => "reports.charity",
            Action::ReportsDisproportionality => "reports.disproportionality",
        }
    }
}

/// The signed-in user asking.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: Uuid,
    pub role: String,
    pub organisation_id: Uuid,
    /// Her charity is the lead charity.
    pub lead: bool,
}

/// What she asks about.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Resource {
    Programme,
    AuditTrail,
    Organisation(Uuid),
    User {
        id: Uuid,
        role: String,
        organisation_id: Uuid,
    },
    YoungPerson {
        id: Uuid,
        organisation_id: Uuid,
    },
    Referral {
        id: Uuid,
        organisation_id: Uuid,
    },
    /// A mentor's profile; `id` is her user id.
    Mentor {
        id: Uuid,
        organisation_id: Uuid,
    },
    /// A match; `organisation_id` is the young person's charity, `mentor_id` the mentor's
    /// account; `open` while it has not ended (a mentor's view of her mentee ends with it).
    Match {
        id: Uuid,
        organisation_id: Uuid,
        mentor_id: Uuid,
        open: bool,
    },
    /// A mentor's session log; `organisation_id` is its match's charity, `mentor_id` the
    /// mentor's account.
    MentoringSession {
        id: Uuid,
        organisation_id: Uuid,
        mentor_id: Uuid,
    },
    /// A safeguarding concern; `organisation_id` is the young person's charity, `raised_by`
    /// the account of the person who raised it.
    Concern {
        id: Uuid,
        organisation_id: Uuid,
        raised_by: Uuid,
    },
    /// An evaluation project: the evaluator accounts bound to it, and whether it runs today.
    EvaluationProject {
        id: Uuid,
        evaluators: Vec<Uuid>,
        current: bool,
    },
}

/// A value in an action's context.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Str(String),
    Bool(bool),
    Organisation(Uuid),
}

pub struct Authz {
    policies: PolicySet,
    schema: Schema,
    authorizer: Authorizer,
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let t = EntityTypeName::from_str(kind).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

impl Authz {
    /// Loads the built-in policies, or those in `dir`, and validates them against the schema.
    pub fn load(dir: Option<&Path>) -> Result<Self, String> {
        let (schema_text, files) = match dir {
            None => (SCHEMA.to_string(), POLICIES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()),
            Some(dir) => read_dir(dir)?,
        };
        Self::from_sources(&schema_text, &files)
    }

    pub fn from_sources(schema_text: &str, files: &[(String, String)]) -> Result<Self, String> {
        let (schema, warnings) = Schema::from_cedarschema_str(schema_text).map_err(|e| format!("schema.cedarschema: {e}"))?;
        for w in warnings {
            tracing::warn!(warning = %w, "policy schema warning");
        }
        let mut all = String::new();
        for (name, text) in files {
            PolicySet::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            let validated = Validator::new(schema.clone())
                .validate(&PolicySet::from_str(text).map_err(|e| format!("{name}: {e}"))?, ValidationMode::Strict);
            if !validated.validation_passed() {
                let errors: Vec<String> = validated.validation_errors().map(|e| e.to_string()).collect();
                return Err(format!("{name}: {}", errors.join("; ")));
            }
            all.push_str(text);
            all.push('\n');
        }
        let policies = PolicySet::from_str(&all).map_err(|e| format!("policies: {e}"))?;
        if policies.policies().next().is_none() {
            return Err("no policies found: every request would be denied".into());
        }
        Ok(Self { policies, schema, authorizer: Authorizer::new() })
    }

    pub fn policy_count(&self) -> usize {
        self.policies.policies().count()
    }

    /// May `p` take `action` on `resource`, given `context`? Any error building the request
    /// is logged and answered "no".
    pub fn is_allowed(&self, p: &Principal, action: Action, resource: &Resource, context: &[(&str, Value)]) -> bool {
        match self.decide(p, action, resource, context) {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::error!(action = action.name(), error = %e, "authorization request could not be evaluated");
                false
            }
        }
    }

    fn decide(&self, p: &Principal, action: Action, resource: &Resource, context: &[(&str, Value)]) -> Result<bool, String> {
        let org_uid = |id: &Uuid| uid("Trellis::Organisation", &id.to_string());
        let mut entities = Vec::new();
        let mut orgs = HashSet::new();
        let user_entity = |id: &Uuid, role: &str, org: &Uuid, lead: Option<bool>| -> Result<Entity, String> {
            let org = org_uid(org)?;
            let mut attrs = HashMap::from([
                ("role".to_string(), RestrictedExpression::new_string(role.to_string())),
                ("organisation".to_string(), RestrictedExpression::new_entity_uid(org.clone())),
            ]);
            if let Some(lead) = lead {
                attrs.insert("lead".to_string(), RestrictedExpression::new_bool(lead));
            }
            Entity::new(uid("Trellis::User", &id.to_string())?, attrs, HashSet::from([org])).map_err(|e| e.to_string())
        };
        let record = |kind: &str, id: &Uuid, org: &Uuid| -> Result<(EntityUid, Entity), String> {
            let u = uid(kind, &id.to_string())?;
            let attrs = HashMap::from([("organisation".to_string(), RestrictedExpression::new_entity_uid(org_uid(org)?))]);
            Ok((u.clone(), Entity::new(u, attrs, HashSet::new()).map_err(|e| e.to_string())?))
        };
        let principal = uid("Trellis::User", &p.id.to_string())?;
        entities.push(user_entity(&p.id, &p.role, &p.organisation_id, Some(p.lead))?);
        orgs.insert(p.organisation_id);
        let resource_uid = match resource {
            Resource::Programme => {
                let u = uid("Trellis::Programme", "programme")?;
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                u
            }
            Resource::AuditTrail => {
                let u = uid("Trellis::AuditTrail", "audit")?;
                entities.push(Entity::new_no_attrs(u.clone(), HashSet::new()));
                u
            }
            Resource::Organisation(id) => {
                orgs.insert(*id);
                org_uid(id)?
            }
            Resource::User { id, role, organisation_id } => {
                orgs.insert(*organisation_id);
                if *id != p.id {
                    entities.push(user_entity(id, role, organisation_id, None)?);
                }
                uid("Trellis::User", &id.to_string())?
            }
            Resource::YoungPerson { id, organisation_id } => {
                orgs.insert(*organisation_id);
                let (u, e) = record("Trellis::YoungPerson", id, organisation_id)?;
                entities.push(e);
                u
            }
            Resource::Referral { id, organisation_id } => {
                orgs.insert(*organisation_id);
                let (u, e) = record("Trellis::Referral", id, organisation_id)?;
                entities.push(e);
                u
            }
            Resource::Mentor { id, organisation_id } => {
                orgs.insert(*organisation_id);
                let m = uid("Trellis::Mentor", &id.to_string())?;
                let attrs = HashMap::from([
                    ("organisation".to_string(), RestrictedExpression::new_entity_uid(org_uid(organisation_id)?)),
                    ("account".to_string(), RestrictedExpression::new_entity_uid(uid("Trellis::User", &id.to_string())?)),
                ]);
                entities.push(Entity::new(m.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?);
                m
            }
            Resource::Match { id, organisation_id, mentor_id, .. } | Resource::MentoringSession { id, organisation_id, mentor_id } => {
                orgs.insert(*organisation_id);
                let kind = if matches!(resource, Resource::Match { .. }) { "Trellis::Match" } else { "Trellis::MentoringSession" };
                let m = uid(kind, &id.to_string())?;
                let mut attrs = HashMap::from([
                    ("organisation".to_string(), RestrictedExpression::new_entity_uid(org_uid(organisation_id)?)),
                    ("mentor".to_string(), RestrictedExpression::new_entity_uid(uid("Trellis::User", &mentor_id.to_string())?)),
                ]);
                if let Resource::Match { open, .. } = resource {
                    attrs.insert("open".to_string(), RestrictedExpression::new_bool(*open));
                }
                entities.push(Entity::new(m.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?);
                m
            }
            Resource::Concern { id, organisation_id, raised_by } => {
                orgs.insert(*organisation_id);
                let c = uid("Trellis::Concern", &id.to_string())?;
                let attrs = HashMap::from([
                    ("organisation".to_string(), RestrictedExpression::new_entity_uid(org_uid(organisation_id)?)),
                    ("raised_by".to_string(), RestrictedExpression::new_entity_uid(uid("Trellis::User", &raised_by.to_string())?)),
                ]);
                entities.push(Entity::new(c.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?);
                c
            }
            Resource::EvaluationProject { id, evaluators, current } => {
                let e = uid("Trellis::EvaluationProject", &id.to_string())?;
                let members = evaluators
                    .iter()
                    .map(|u| uid("Trellis::User", &u.to_string()).map(RestrictedExpression::new_entity_uid))
                    .collect::<Result<Vec<_>, _>>()?;
                let attrs = HashMap::from([
                    ("evaluators".to_string(), RestrictedExpression::new_set(members)),
                    ("current".to_string(), RestrictedExpression::new_bool(*current)),
                ]);
                entities.push(Entity::new(e.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?);
                e
            }
        };
        let mut pairs = Vec::new();
        for (k, v) in context {
            let expr = match v {
                Value::Str(s) => RestrictedExpression::new_string(s.clone()),
                Value::Bool(b) => RestrictedExpression::new_bool(*b),
                Value::Organisation(id) => {
                    orgs.insert(*id);
                    RestrictedExpression::new_entity_uid(org_uid(id)?)
                }
            };
            pairs.push((k.to_string(), expr));
        }
        for id in orgs {
            entities.push(Entity::new_no_attrs(org_uid(&id)?, HashSet::new()));
        }
        let action_uid = uid("Trellis::Action", action.name())?;
        let context = Context::from_pairs(pairs).map_err(|e| e.to_string())?;
        let request = Request::new(principal, action_uid, resource_uid, context, Some(&self.schema)).map_err(|e| e.to_string())?;
        let entities = Entities::from_entities(entities, Some(&self.schema)).map_err(|e| e.to_string())?;
        let response = self.authorizer.is_authorized(&request, &self.policies, &entities);
        for e in response.diagnostics().errors() {
            tracing::error!(action = action.name(), error = %e, "policy evaluation error");
        }
        Ok(response.decision() == Decision::Allow)
    }
}

fn read_dir(dir: &Path) -> Result<(String, Vec<(String, String)>), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let schema = read(&dir.join("schema.cedarschema"))?;
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("cedar") {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
            files.push((name, read(&path)?));
        }
    }
    files.sort();
    Ok((schema, files))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn who(role: &str, org: Uuid) -> Principal {
        Principal { id: Uuid::now_v7(), role: role.into(), organisation_id: org, lead: false }
    }

    #[test]
    fn built_in_policies_validate() {
        let a = Authz::load(None).unwrap();
        assert!(a.policy_count() >= 8);
    }

    #[test]
    fn forbid_beats_permit_for_evaluators() {
        let a = Authz::load(None).unwrap();
        let org = Uuid::now_v7();
        let ev = who("evaluator", org);
        let me = Resource::User { id: ev.id, role: "evaluator".into(), organisation_id: org };
        // users.self permits reading her own account; the evaluator forbid wins.
        assert!(!a.is_allowed(&ev, Action::UsersRead, &me, &[]));
        assert!(a.is_allowed(&ev, Action::SessionSelf, &me, &[]));
    }

    #[test]
    fn coordinator_manages_only_her_own_charitys_mentors() {
        let a = Authz::load(None).unwrap();
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let c = who("coordinator", mine);
        let mentor = |org| Resource::User { id: Uuid::now_v7(), role: "mentor".into(), organisation_id: org };
        assert!(a.is_allowed(&c, Action::UsersRead, &mentor(mine), &[]));
        assert!(!a.is_allowed(&c, Action::UsersRead, &mentor(other), &[]));
        let lead = Resource::User { id: Uuid::now_v7(), role: "safeguarding_lead".into(), organisation_id: mine };
        assert!(!a.is_allowed(&c, Action::UsersRead, &lead, &[]));
        let ctx = |role: &str, org| {
            vec![
                ("new_role", Value::Str(role.into())),
                ("new_organisation", Value::Organisation(org)),
                ("changes_role", Value::Bool(role != "mentor")),
                ("changes_organisation", Value::Bool(org != mine)),
                ("deactivates", Value::Bool(false)),
                ("reactivates", Value::Bool(false)),
            ]
        };
        assert!(a.is_allowed(&c, Action::UsersUpdate, &mentor(mine), &ctx("mentor", mine)));
        assert!(!a.is_allowed(&c, Action::UsersUpdate, &mentor(mine), &ctx("coordinator", mine)));
        assert!(!a.is_allowed(&c, Action::UsersUpdate, &mentor(mine), &ctx("mentor", other)));
    }

    #[test]
    fn an_invalid_policy_is_refused() {
        let bad = vec![("x.cedar".to_string(), "permit(principal, action == Trellis::Action::\"nope\", resource);".to_string())];
        assert!(Authz::from_sources(SCHEMA, &bad).is_err());
    }
}
