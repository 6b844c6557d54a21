//! Accounts: who may see and manage whom.

use serde_json::json;
use trellis::authz::{Action, Principal, Resource};
use trellis::users::Role;

use crate::helpers::*;

fn new_user(email: &str, role: &str, org: uuid::Uuid) -> serde_json::Value {
    json!({"email": email, "name": "Nia Okoro", "role": role, "organisation_id": org, "password": "lantern-river-oak-2026"})
}

#[tokio::test]
async fn a_coordinator_cannot_read_or_change_another_charitys_users() {
    let app = TestApp::spawn().await;
    let (_, a, b) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;
    let theirs = app.user(b, Role::Mentor).await;
    let token = app.token(&coord).await;

    app.get(&format!("/api/v1/users/{}", theirs.id)).token(&token).send().await.assert_problem(404, "not_found");
    let r = app
        .patch(&format!("/api/v1/users/{}", theirs.id))
        .token(&token)
        .header("if-match", "\"1\"")
        .json(json!({"name": "Changed"}))
        .send()
        .await;
    r.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/users/{}/revoke-sessions", theirs.id)).token(&token).send().await.assert_problem(404, "not_found");

    let list = app.get("/api/v1/users").token(&token).send().await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&theirs.id.to_string().as_str()));
    // Filtering by the other charity does not widen the scope.
    let list = app.get(&format!("/api/v1/users?organisation_id={b}")).token(&token).send().await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);

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

    let r = app.post("/api/v1/users").token(&token).json(new_user("nia@example.org", "mentor", a)).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"1\""));
    let id = r.body["id"].as_str().unwrap().to_string();

    let r = app
        .patch(&format!("/api/v1/users/{id}"))
        .token(&token)
        .header("if-match", "\"1\"")
        .json(json!({"name": "Nia Okoro-Smith"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"2\""));

    // Not a coordinator, not in another charity, and her mentors stay mentors of her charity.
    app.post("/api/v1/users")
        .token(&token)
        .json(new_user("x1@example.org", "coordinator", a))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/users").token(&token).json(new_user("x2@example.org", "mentor", b)).send().await.assert_problem(403, "forbidden");
    let r = app
        .patch(&format!("/api/v1/users/{id}"))
        .token(&token)
        .header("if-match", "\"2\"")
        .json(json!({"role": "coordinator"}))
        .send()
        .await;
    r.assert_problem(403, "forbidden");
    let r = app
        .patch(&format!("/api/v1/users/{id}"))
        .token(&token)
        .header("if-match", "\"2\"")
        .json(json!({"organisation_id": b}))
        .send()
        .await;
    r.assert_problem(403, "forbidden");
    // She may deactivate a mentor, but bringing one back is for a programme admin.
    let r = app.patch(&format!("/api/v1/users/{id}")).token(&token).header("if-match", "\"2\"").json(json!({"active": false})).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.patch(&format!("/api/v1/users/{id}")).token(&token).header("if-match", "\"3\"").json(json!({"active": true})).send().await;
    r.assert_problem(403, "forbidden");
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
        let r = app.patch(&path).token(&token).header("if-match", "\"1\"").json(json!({"role": "programme_admin"})).send().await;
        if role == Role::ProgrammeAdmin {
            // Already an admin: setting the same role is no change and allowed.
            assert_eq!(r.status, 200, "{}", r.text);
            let r = app.patch(&path).token(&token).header("if-match", "\"2\"").json(json!({"role": "mentor"})).send().await;
            r.assert_problem(403, "forbidden");
        } else {
            r.assert_problem(403, "forbidden");
        }
        let v = if role == Role::ProgrammeAdmin { "\"2\"" } else { "\"1\"" };
        app.patch(&path)
            .token(&token)
            .header("if-match", v)
            .json(json!({"organisation_id": b}))
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.patch(&path).token(&token).header("if-match", v).json(json!({"active": false})).send().await.assert_problem(403, "forbidden");
        // Her own name she may correct.
        let r = app.patch(&path).token(&token).header("if-match", v).json(json!({"name": "Corrected Name"})).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["role"], role.as_str());
    }
}

#[tokio::test]
async fn an_admin_manages_everyone_and_a_role_change_ends_sessions() {
    let app = TestApp::spawn().await;
    let (lead, a, b) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let mentor = app.user(a, Role::Mentor).await;
    let mentor_token = app.login(&mentor).await;
    let token = app.token(&admin).await;
    let r = app
        .patch(&format!("/api/v1/users/{}", mentor.id))
        .token(&token)
        .header("if-match", "\"1\"")
        .json(json!({"role": "coordinator", "organisation_id": b}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["role"], "coordinator");
    assert_eq!(r.body["organisation_id"], b.to_string());
    app.get("/api/v1/auth/me").token(&mentor_token).send().await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let r = app.post("/api/v1/users").token(&token).json(new_user("Nia.Okoro@Example.org", "mentor", a)).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["email"], "nia.okoro@example.org");
    let before = app.count("users").await;
    app.post("/api/v1/users")
        .token(&token)
        .json(new_user("NIA.OKORO@example.org", "mentor", a))
        .send()
        .await
        .assert_problem(409, "conflict");
    assert_eq!(app.count("users").await, before);
}

#[tokio::test]
async fn a_weak_first_password_is_refused() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let mut body = new_user("nia@example.org", "mentor", a);
    body["password"] = json!("qwertyuiop12");
    let r = app.post("/api/v1/users").token(&app.token(&admin).await).json(body).send().await;
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
            let r = app.get(&path).token(&token).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            for item in r.body["items"].as_array().unwrap() {
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
