//! Accounts: who may see and manage whom.

use serde_json::json;
use trellis::authz::{Action, Principal, Resource};
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn a_coordinator_cannot_read_or_change_another_charitys_users() {
    let app = TestApp::spawn().await;
    let (_, a, b) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;
    let theirs = app.user(b, Role::Mentor).await;
    let token = app.token(&coord).await;

    app.get(&format!("/api/v1/users/{}", theirs.id)).token(&token).send().await.assert_problem(404, "not_found");
    let path = format!("/api/v1/users/{}", theirs.id);
    app.patch_json(&path, &token, "\"1\"", json!({"name": "Changed"})).await.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/users/{}/revoke-sessions", theirs.id)).token(&token).send().await.assert_problem(404, "not_found");

    let list = app.get("/api/v1/users").token(&token).send().await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.items().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&theirs.id.to_string().as_str()));
    // Filtering by the other charity does not widen the scope.
    let list = app.get(&format!("/api/v1/users?organisation_id={b}")).token(&token).send().await;
    assert_eq!(list.items().len(), 0);

    use sea_orm::EntityTrait;
    let unchanged = trellis::entities::user::Entity::find_by_id(theirs.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(unchanged.name, theirs.name);
    assert_eq!(unchanged.version, 1);
}

#[tokio::test]
async fn a_coordinator_manages_her_own_charitys_mentors() {
    let app = TestApp::spawn().await;
    let (_, a, b) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;
    let token = app.token(&coord).await;

    let r = app.post_json("/api/v1/users", &token, user_json("nia@example.org", "mentor", a)).await.assert_status(201);
    assert_eq!(r.header("etag"), Some("\"1\""));
    let path = format!("/api/v1/users/{}", r.id());

    let r = app.patch_json(&path, &token, "\"1\"", json!({"name": "Nia Okoro-Smith"})).await.assert_status(200);
    assert_eq!(r.header("etag"), Some("\"2\""));

    // Not a coordinator, not in another charity, and her mentors stay mentors of her charity.
    app.post_json("/api/v1/users", &token, user_json("x1@example.org", "coordinator", a)).await.assert_problem(403, "forbidden");
    app.post_json("/api/v1/users", &token, user_json("x2@example.org", "mentor", b)).await.assert_problem(403, "forbidden");
    app.patch_json(&path, &token, "\"2\"", json!({"role": "coordinator"})).await.assert_problem(403, "forbidden");
    app.patch_json(&path, &token, "\"2\"", json!({"organisation_id": b})).await.assert_problem(403, "forbidden");
    // She may deactivate a mentor, but bringing one back is for a programme admin.
    app.patch_json(&path, &token, "\"2\"", json!({"active": false})).await.assert_status(200);
    app.patch_json(&path, &token, "\"3\"", json!({"active": true})).await.assert_problem(403, "forbidden");
    // Her colleagues who are not mentors are not hers to manage.
    let dsl = app.user(a, Role::SafeguardingLead).await;
    app.get(&format!("/api/v1/users/{}", dsl.id)).token(&token).send().await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn nobody_raises_her_own_role_or_moves_herself() {
    let app = TestApp::spawn().await;
    let (lead, a, b) = app.charities().await;
    for role in [Role::Coordinator, Role::Mentor, Role::ProgrammeAdmin] {
        let org = if role == Role::ProgrammeAdmin { lead } else { a };
        let me = app.user(org, role).await;
        let token = app.token(&me).await;
        let path = format!("/api/v1/users/{}", me.id);
        let r = app.patch_json(&path, &token, "\"1\"", json!({"role": "programme_admin"})).await;
        if role == Role::ProgrammeAdmin {
            // Already an admin: setting the same role is no change and allowed.
            r.assert_status(200);
            app.patch_json(&path, &token, "\"2\"", json!({"role": "mentor"})).await.assert_problem(403, "forbidden");
        } else {
            r.assert_problem(403, "forbidden");
        }
        let v = if role == Role::ProgrammeAdmin { "\"2\"" } else { "\"1\"" };
        app.patch_json(&path, &token, v, json!({"organisation_id": b})).await.assert_problem(403, "forbidden");
        app.patch_json(&path, &token, v, json!({"active": false})).await.assert_problem(403, "forbidden");
        // Her own name she may correct.
        let r = app.patch_json(&path, &token, v, json!({"name": "Corrected Name"})).await.assert_status(200);
        assert_eq!(r.body["role"], role.as_str());
    }
}

#[tokio::test]
async fn an_admin_manages_everyone_and_a_role_change_ends_sessions() {
    let Programme { app, a, b, admin: token, .. } = Programme::start().await;
    let mentor = app.user(a, Role::Mentor).await;
    let mentor_token = app.login(&mentor).await;
    let path = format!("/api/v1/users/{}", mentor.id);
    let r = app.patch_json(&path, &token, "\"1\"", json!({"role": "coordinator", "organisation_id": b})).await.assert_status(200);
    assert_eq!(r.body["role"], "coordinator");
    assert_eq!(r.body["organisation_id"], b.to_string());
    app.assert_signed_out(&mentor_token).await;
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let Programme { app, a, admin: token, .. } = Programme::start().await;
    let r = app.post_json("/api/v1/users", &token, user_json("Nia.Okoro@Example.org", "mentor", a)).await.assert_status(201);
    assert_eq!(r.body["email"], "nia.okoro@example.org");
    let before = app.count("users").await;
    app.post_json("/api/v1/users", &token, user_json("NIA.OKORO@example.org", "mentor", a)).await.assert_problem(409, "conflict");
    assert_eq!(app.count("users").await, before);
}

#[tokio::test]
async fn a_weak_first_password_is_refused() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let body = with(user_json("nia@example.org", "mentor", a), "password", json!("qwertyuiop12"));
    let r = app.post_json("/api/v1/users", &admin, body).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["password"]);
}

// The test asks the policies directly, to prove the list against them.
#[allow(clippy::disallowed_methods)]
#[tokio::test]
async fn every_listed_account_is_one_the_policies_let_the_reader_read() {
    let app = TestApp::spawn().await;
    let (lead, a, b) = app.charities().await;
    let mut people = Vec::new();
    for org in [lead, a, b] {
        for &role in Role::ALL {
            people.push(app.user(org, role).await);
            people.push(app.user(org, Role::Mentor).await);
        }
    }
    for reader in people.iter().filter(|p| matches!(p.role, Role::ProgrammeAdmin | Role::Coordinator)) {
        let token = app.token(reader).await;
        let principal =
            Principal { id: reader.id, role: reader.role.as_str().into(), organisation_id: reader.organisation_id, lead: false };
        let mut cursor: Option<String> = None;
        let mut seen = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=4&cursor={c}"),
                None => "/api/v1/users?limit=4".to_string(),
            };
            let r = app.get(&path).token(&token).send().await.assert_status(200);
            for item in r.items() {
                let resource = Resource::User {
                    id: item["id"].as_str().unwrap().parse().unwrap(),
                    role: item["role"].as_str().unwrap().into(),
                    organisation_id: item["organisation_id"].as_str().unwrap().parse().unwrap(),
                };
                assert!(
                    app.state.authz.is_allowed(&principal, Action::UsersRead, &resource, &[]),
                    "{} listed {item}",
                    reader.role.as_str()
                );
                seen += 1;
            }
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        // And nothing readable is missing from the list.
        let readable = people
            .iter()
            .filter(|p| {
                let res = Resource::User { id: p.id, role: p.role.as_str().into(), organisation_id: p.organisation_id };
                app.state.authz.is_allowed(&principal, Action::UsersRead, &res, &[])
            })
            .count();
        assert_eq!(seen, readable, "{}", reader.role.as_str());
    }
}
