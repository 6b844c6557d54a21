//! Runs every row of `authz_matrix.csv` through the real router, and fails if a route of
//! the OpenAPI document has no rows for some role.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::Method;
use serde_json::{Value, json};
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

const MATRIX: &str = include_str!("authz_matrix.csv");
const ROLES: [&str; 6] = ["anonymous", "programme_admin", "coordinator", "safeguarding_lead", "mentor", "evaluator"];

struct Row {
    method: String,
    path: String,
    role: String,
    relation: String,
    status: u16,
}

fn rows() -> Vec<Row> {
    MATRIX
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("method,") && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 5, "bad matrix line: {l}");
            Row { method: f[0].into(), path: f[1].into(), role: f[2].into(), relation: f[3].into(), status: f[4].parse().unwrap() }
        })
        .collect()
}

fn spec_routes() -> BTreeSet<(String, String)> {
    let spec = serde_json::to_value(trellis::server::openapi()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_has_a_row_for_every_role() {
    let rows = rows();
    let mut covered: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        covered.entry((r.method.clone(), r.path.clone())).or_default().insert(r.role.clone());
    }
    let spec = spec_routes();
    for route in &spec {
        let roles = covered.get(route).cloned().unwrap_or_default();
        for role in ROLES {
            assert!(roles.contains(role), "authz_matrix.csv has no row for {} {} as {role}", route.0, route.1);
        }
    }
    for route in covered.keys() {
        assert!(spec.contains(route), "authz_matrix.csv names {} {}, which is not in the API", route.0, route.1);
    }
}

#[tokio::test]
async fn every_row_of_the_matrix_holds() {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    trellis::mentors::service::ensure_catalogue(&app.db, chrono::Utc::now()).await.unwrap();
    app.instruments().await;
    let course = app.get("/api/v1/training-courses").token(&admin).send().await.body["items"][0]["id"].clone();
    let mut failures = Vec::new();
    let rows = rows();
    for (n, row) in rows.iter().enumerate() {
        let actor = match row.role.as_str() {
            "anonymous" => None,
            r => {
                let role = Role::parse(r).unwrap();
                let org = if matches!(role, Role::ProgrammeAdmin | Role::Evaluator) { lead } else { a };
                Some(app.user(org, role).await)
            }
        };
        let own_org = actor.as_ref().map(|u| u.organisation_id).unwrap_or(a);
        // `ended_match`: her own record (as `self`) whose match has since ended;
        // `allocated_away`: a record of her charity (as `same_org`) since allocated to another.
        let relation = match row.relation.as_str() {
            "ended_match" | "ended_project" => "self",
            "allocated_away" => "same_org",
            r => r,
        };
        let target_user = match relation {
            "self" => actor.clone().unwrap(),
            "other_org" => app.user(b, Role::Mentor).await,
            _ => app.user(own_org, Role::Mentor).await,
        };
        let target_org = if relation == "other_org" { b } else { own_org };
        let id = if row.path.starts_with("/mentors/") {
            match (&actor, relation) {
                (Some(me), "self") => {
                    app.add_profile(&admin, me).await;
                    me.id
                }
                _ => app.mentor(&admin, target_org).await.id,
            }
        } else if row.path.starts_with("/matches/") {
            let (rid, _) = app.accepted_referral(&admin, target_org, json!({})).await;
            let mentor = match (&actor, relation) {
                (Some(me), "self") => {
                    app.make_compliant(&admin, me, json!({})).await;
                    me.id
                }
                _ => app.compliant_mentor(&admin, target_org, json!({})).await.id,
            };
            app.active_match(&admin, rid, mentor).await
        } else if relation == "self" && (row.path.ends_with("/assessments") || row.path.ends_with("/outcomes")) {
            // Her own mentee: a match in progress with the young person.
            let (rid, yp) = app.accepted_referral(&admin, target_org, json!({})).await;
            let me = actor.as_ref().unwrap();
            app.make_compliant(&admin, me, json!({})).await;
            app.active_match(&admin, rid, me.id).await;
            yp
        } else if row.path.starts_with("/mentoring-sessions/") {
            let me = actor.as_ref().filter(|_| relation == "self");
            app.matrix_session(&admin, target_org, me).await
        } else if row.path.starts_with("/safeguarding/concerns/") {
            // A concern about a young person of the target charity, raised by another
            // programme admin; for `self`, raised by the caller about her own mentee.
            let (rid, yp) = app.accepted_referral(&admin, target_org, json!({})).await;
            match (&actor, relation) {
                (Some(me), "self") => {
                    app.make_compliant(&admin, me, json!({})).await;
                    app.active_match(&admin, rid, me.id).await;
                    app.concern(&app.token(me).await, yp, false).await
                }
                _ => app.concern(&admin, yp, false).await,
            }
        } else if row.path.starts_with("/evaluation-projects/") {
            let bound: Vec<Uuid> = actor.iter().filter(|_| relation == "self").map(|u| u.id).collect();
            matrix_project(&app, &format!("matrix-{n}"), &bound, true).await
        } else if row.path.starts_with("/users/") {
            target_user.id
        } else if row.path.starts_with("/young-people/") || row.path.starts_with("/referrals/") {
            if row.path.ends_with("/reopen") {
                app.referral_at(&admin, target_org, "closed").await
            } else {
                let (rid, yp) = app.referral(&admin, target_org).await;
                if row.path.ends_with("/match-suggestions") {
                    app.move_referral(&admin, rid, &["screening", "accepted"]).await;
                }
                if row.path.starts_with("/young-people/") { yp } else { rid }
            }
        } else if row.path.starts_with("/duplicates/") {
            let (_, one) = app.referral(&admin, a).await;
            let (_, two) = app.referral(&admin, b).await;
            use sea_orm::ActiveModelTrait;
            trellis::entities::duplicate_flag::ActiveModel {
                id: sea_orm::Set(Uuid::now_v7()),
                young_person_id: sea_orm::Set(two),
                match_id: sea_orm::Set(one),
                status: sea_orm::Set(trellis::entities::duplicate_flag::DuplicateStatus::Open),
                created_at: sea_orm::Set(chrono::Utc::now()),
                resolved_at: sea_orm::Set(None),
                resolved_by: sea_orm::Set(None),
            }
            .insert(&app.db)
            .await
            .unwrap()
            .id
        } else {
            target_org
        };
        match row.relation.as_str() {
            "ended_match" => end_matches(&app, &admin, young_person_of(&app, &row.path, id).await).await,
            "allocated_away" => allocate_away(&app, &admin, young_person_of(&app, &row.path, id).await, b).await,
            _ => {}
        }
        let mut path = row.path.replace("{id}", &id.to_string());
        if row.path.contains("{user_id}") {
            // Another evaluator's account, bound already where she is to be unbound.
            let evaluator = app.user(lead, Role::Evaluator).await;
            if row.method == "DELETE" {
                trellis::projects::service::bind(&app.db, id, evaluator.id, Uuid::nil(), chrono::Utc::now()).await.unwrap();
            }
            path = path.replace("{user_id}", &evaluator.id.to_string());
        }
        // Routes with a query parameter: the extract's project; the programme report names its
        // charity (same_org, other_org).
        let path = match row.path.as_str() {
            "/exports/evaluation" => {
                // A project bound to her (`self`), ended (`ended_project`), or not hers (`-`).
                let slug = format!("matrix-{n}");
                let bound: Vec<Uuid> = actor.iter().filter(|_| relation == "self").map(|u| u.id).collect();
                matrix_project(&app, &slug, &bound, row.relation != "ended_project").await;
                format!("{path}?project={slug}")
            }
            "/reports/programme" if relation != "-" => format!("{path}?organisation_id={target_org}"),
            _ => path,
        };
        let unique = format!("m{n}-{}", &Uuid::now_v7().simple().to_string()[20..]);
        let body: Option<Value> = match (row.method.as_str(), row.path.as_str()) {
            ("POST", "/auth/login") => Some(match &actor {
                Some(u) => {
                    app.clock.advance(chrono::Duration::seconds(30));
                    let mut b = json!({"email": u.email, "password": PASSWORD});
                    if u.totp_secret.is_some() {
                        b["totp"] = json!(app.code(u));
                    }
                    b
                }
                None => json!({"email": "nobody@example.org", "password": PASSWORD}),
            }),
            ("POST", "/auth/password") => Some(json!({"current_password": PASSWORD, "new_password": "a-new-phrase-for-vigil-9"})),
            ("POST", "/auth/mfa/confirm") => Some(json!({"code": "123456"})),
            ("POST", "/evaluation-projects") => {
                Some(json!({"slug": format!("matrix-new-{n}"), "name": "Matrix study", "purpose": "Evaluation.",
                "lawful_basis": "legitimate_interests", "agreement_reference": "DSA-1", "starts_on": "2026-01-01", "ends_on": "2027-12-31"}))
            }
            ("PATCH", "/evaluation-projects/{id}") => Some(json!({"agreement_reference": "DSA-2"})),
            ("POST", "/organisations") => Some(json!({"name": unique, "kind": "partner", "districts": ["Ashworth"]})),
            ("PATCH", "/organisations/{id}") => Some(json!({"districts": ["Ashworth", "Fenwick"]})),
            ("POST", "/users") => Some(
                json!({"email": format!("{unique}@example.org"), "name": "Matrix Mentor", "role": "mentor", "organisation_id": target_org, "password": "lantern-river-oak-2026"}),
            ),
            ("PATCH", "/users/{id}") => Some(json!({"name": "Renamed Person"})),
            ("POST", "/young-people") => Some(young_person_json(target_org)),
            ("PATCH", "/young-people/{id}") => Some(json!({"district": "Fenwick"})),
            ("POST", "/young-people/{id}/notes") => Some(json!({"body": "Spoke to her school."})),
            ("POST", "/referrals") => Some(referral_json(target_org)),
            ("PATCH", "/referrals/{id}") => Some(json!({"reasons": "Updated after the screening call."})),
            ("POST", "/referrals/{id}/transitions") => Some(json!({"to": "screening"})),
            ("POST", "/referrals/{id}/allocate") => {
                Some(json!({"organisation_id": if target_org == b { a } else { b }, "reason": "Closer to home."}))
            }
            ("POST", "/referrals/{id}/reopen") => Some(
                json!({"received_on": "2026-11-20", "source_type": "family", "referrer": {"name": "Her aunt"}, "reasons": "Missing again."}),
            ),
            ("POST", "/duplicates/{id}/resolve") => Some(json!({"action": "dismiss"})),
            ("POST", "/mentors") => {
                let account = app.user(target_org, Role::Mentor).await;
                Some(json!({"user_id": account.id, "districts": ["Ashworth"], "recruitment_source": "other", "start_date": "2026-01-05"}))
            }
            ("PATCH", "/mentors/{id}") => Some(json!({"interests": ["art"]})),
            ("POST", "/mentors/{id}/checks") => Some(json!({"kind": "interview", "completed_on": "2026-02-01", "outcome": "satisfactory"})),
            ("POST", "/mentors/{id}/training") => {
                Some(json!({"course_id": course, "completed_on": "2026-02-01", "provider": "Programme team"}))
            }
            ("POST", "/mentors/{id}/supervision") => Some(json!({"held_on": "2026-11-20", "minutes": 30})),
            ("POST", "/matching/plan") => Some(json!({})),
            ("POST", "/matches") => {
                let (rid, _) = app.accepted_referral(&admin, target_org, json!({})).await;
                let mentor = app.compliant_mentor(&admin, target_org, json!({})).await;
                Some(json!({"referral_id": rid, "mentor_id": mentor.id}))
            }
            ("PATCH", "/matches/{id}") => Some(json!({"shared_safety_info": "Meet in the library."})),
            ("POST", "/matches/{id}/transitions") => Some(json!({"to": "paused"})),
            ("POST", "/mentors/{id}/conflicts") => {
                let (_, yp) = app.referral(&admin, target_org).await;
                Some(json!({"young_person_id": yp, "reason": "Family friend.", "declared_on": "2026-11-01"}))
            }
            ("POST", "/instruments") => Some(json!({"code": unique.to_uppercase(), "version": "1", "name": "Matrix scale",
                "definition": {"items": 2, "item_keys": ["one", "two"], "min": 0, "max": 3, "scoring": {"kind": "sum"}, "max_prorated": 0,
                    "age_min": 11, "age_max": 24, "reliable_change": 2.0, "higher_is_better": false}})),
            ("POST", "/young-people/{id}/assessments") => {
                Some(assessment_json("YP-CORE", "baseline", "2026-11-01", json!([1, 2, 1, 0, 2, 1, 1, 3, 2, 1])))
            }
            ("POST", "/mentoring-sessions") => {
                let me = actor.as_ref().filter(|_| relation == "self");
                let m = app.matrix_match(&admin, target_org, me).await;
                Some(session_json(m, &app.state.now().date_naive().to_string()))
            }
            ("PATCH", "/mentoring-sessions/{id}") => Some(json!({"engagement": 5})),
            ("POST", "/matches/{id}/support-contacts") => {
                Some(json!({"contact_with": "mentor", "method": "phone", "contact_on": app.state.now().date_naive()}))
            }
            ("POST", "/safeguarding/concerns") => {
                let (rid, yp) = app.accepted_referral(&admin, target_org, json!({})).await;
                if let (Some(me), "self") = (&actor, relation) {
                    app.make_compliant(&admin, me, json!({})).await;
                    app.active_match(&admin, rid, me.id).await;
                }
                Some(concern_json(yp, false))
            }
            ("POST", "/safeguarding/concerns/{id}/entries") => Some(json!({"kind": "addendum", "text": "Further information."})),
            ("POST", "/safeguarding/concerns/{id}/break-glass") => Some(json!({"justification": "Police on the phone now."})),
            ("POST", "/training-courses") => Some(json!({"name": unique, "mandatory": false, "hours": 2.0})),
            _ => None,
        };
        let mut req = app.req(Method::from_bytes(row.method.as_bytes()).unwrap(), &format!("/api/v1{path}"));
        if let Some(u) = &actor
            && row.path != "/auth/login"
        {
            req = req.token(&app.token(u).await);
        }
        if row.method == "PATCH" {
            let current =
                app.get(&format!("/api/v1{path}")).token(&app.token(&app.user(lead, Role::ProgrammeAdmin).await).await).send().await;
            req = req.header("if-match", current.header("etag").unwrap_or("\"1\""));
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let r = req.send().await;
        if r.status.as_u16() != row.status {
            failures.push(format!(
                "{} {} as {} ({}): expected {}, got {} {}",
                row.method,
                row.path,
                row.role,
                row.relation,
                row.status,
                r.status.as_u16(),
                r.text
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} matrix rows failed:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

/// An evaluation project for a matrix row, with `bound` evaluators: running today, or ended
/// yesterday.
async fn matrix_project(app: &TestApp, slug: &str, bound: &[Uuid], current: bool) -> Uuid {
    use sea_orm::ActiveModelTrait;
    use trellis::projects::{dto, service};
    let now = app.state.now();
    let today = now.date_naive();
    let (starts_on, ends_on) = if current {
        (today - chrono::Days::new(30), today + chrono::Days::new(30))
    } else {
        (today - chrono::Days::new(60), today - chrono::Days::new(1))
    };
    let body = dto::CreateProject {
        slug: slug.into(),
        name: "Matrix study".into(),
        purpose: "Evaluation.".into(),
        lawful_basis: dto::LawfulBasis::LegitimateInterests,
        agreement_reference: "DSA-1".into(),
        starts_on,
        ends_on,
    };
    let id = service::new_project(&body, Uuid::nil(), now).insert(&app.db).await.unwrap().id;
    for u in bound {
        service::bind(&app.db, id, *u, Uuid::nil(), now).await.unwrap();
    }
    id
}

/// The young person a matrix fixture's record is about.
async fn young_person_of(app: &TestApp, path: &str, id: Uuid) -> Uuid {
    use sea_orm::EntityTrait;
    use trellis::entities::{concern, matching, mentoring_session, referral};
    if path.starts_with("/young-people/") {
        id
    } else if path.starts_with("/referrals/") {
        referral::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().young_person_id
    } else if path.starts_with("/matches/") {
        matching::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().young_person_id
    } else if path.starts_with("/mentoring-sessions/") {
        mentoring_session::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().young_person_id
    } else if path.starts_with("/safeguarding/concerns/") {
        concern::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().young_person_id
    } else {
        panic!("no young person behind {path}")
    }
}

/// Ends every match of hers, as a programme admin.
async fn end_matches(app: &TestApp, admin: &str, yp: Uuid) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use trellis::entities::matching;
    let open = matching::Entity::find().filter(matching::Column::YoungPersonId.eq(yp)).filter(matching::Column::Status.ne("ended"));
    for m in open.all(&app.db).await.unwrap() {
        let end = json!({"to": "ended", "ending_type": "planned", "ending_reason": "goals_met", "exit_conversation_held": true});
        let r = app.post(&format!("/api/v1/matches/{}/transitions", m.id)).token(admin).json(end).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

/// Allocates her to charity `to`, her match going with her mentor.
async fn allocate_away(app: &TestApp, admin: &str, yp: Uuid, to: Uuid) {
    let r = trellis::young_people::service::referrals_of(&app.db, yp).await.unwrap();
    let rid = r.last().unwrap().id;
    let body = json!({"organisation_id": to, "reason": "She moved.", "open_match": "move_with_mentor"});
    let r = app.post(&format!("/api/v1/referrals/{rid}/allocate")).token(admin).json(body).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
}
