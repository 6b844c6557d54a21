//! The audit trail: what is recorded, the hash chain, and who may read it.

use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::json;
use trellis::audit::chain;
use trellis::entities::audit_event;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn writes_sign_ins_and_denials_are_recorded_without_personal_data() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let mentor = app.user(a, Role::Mentor).await;
    let token = app.login(&admin).await;
    app.sign_in(&mentor.email, "wrong-password-x").await;
    app.sign_in("stranger@example.org", "wrong-password-x").await;
    let created = app.post_json("/api/v1/users", &token, user_json("nia@example.org", "mentor", a)).await;
    assert_eq!(created.status, 201);
    let mentor_token = app.token(&mentor).await;
    app.get("/api/v1/audit-events").token(&mentor_token).send().await.assert_problem(403, "forbidden");

    let ok = app.audit_events("login.succeeded").await;
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].actor_id, Some(admin.id));
    assert_eq!(ok[0].client_address.as_deref(), Some("127.0.0.1"));
    assert!(ok[0].request_id.is_some());

    let failed = app.audit_events("login.failed").await;
    assert_eq!(failed.len(), 2);
    let created_events = app.audit_events("user.created").await;
    assert_eq!(created_events.len(), 1);
    assert_eq!(created_events[0].resource_organisation_id, Some(a));
    let denied = app.audit_events("access.denied").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].actor_id, Some(mentor.id));
    assert_eq!(denied[0].outcome, "denied");

    let all = audit_event::Entity::find().all(&app.db).await.unwrap();
    for e in &all {
        for secret in [
            mentor.email.as_str(),
            "stranger@example.org",
            "nia@example.org",
            "Nia Okoro",
            "wrong-password-x",
            PASSWORD,
            "lantern-river-oak-2026",
        ] {
            assert!(!e.detail.text().contains(secret), "{} holds personal data: {}", e.action, e.detail.text());
        }
    }
}

#[tokio::test]
async fn a_change_that_fails_leaves_no_event() {
    let Programme { app, a, admin: token, .. } = Programme::start().await;
    let body = user_json("nia@example.org", "mentor", a);
    assert_eq!(app.post_json("/api/v1/users", &token, body.clone()).await.status, 201);
    app.post_json("/api/v1/users", &token, body).await.assert_problem(409, "conflict");
    assert_eq!(app.audit_events("user.created").await.len(), 1);
}

#[tokio::test]
async fn the_chain_verifies_and_a_tampered_event_is_found() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let mentor = app.user(a, Role::Mentor).await;
    app.login(&admin).await;
    app.login(&mentor).await;
    app.sign_in(&mentor.email, "wrong-password-x").await;
    app.seal_audit().await;
    let verified = chain::verify(&app.db).await.unwrap().unwrap();
    assert_eq!(verified.sealed, 3);
    assert_eq!(verified.unsealed, 0);

    // New events extend the chain.
    app.login(&mentor).await;
    app.seal_audit().await;
    assert_eq!(chain::verify(&app.db).await.unwrap().unwrap().sealed, 4);

    // Someone edits the second event's outcome directly in the database.
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_string(backend, "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2".to_string()))
        .await
        .unwrap();
    let broken = chain::verify(&app.db).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("altered"), "{}", broken.reason);
}

#[tokio::test]
async fn a_deleted_event_is_found() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    for _ in 0..3 {
        app.login(&mentor).await;
    }
    app.seal_audit().await;
    let backend = app.db.get_database_backend();
    app.db.execute_raw(Statement::from_string(backend, "DELETE FROM audit_events WHERE seq = 2".to_string())).await.unwrap();
    let broken = chain::verify(&app.db).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

#[tokio::test]
async fn admins_query_the_trail_by_resource_and_actor() {
    let Programme { app, a, admin: token, .. } = Programme::start().await;
    let mentor = app.user(a, Role::Mentor).await;
    let r = app.patch_json(&format!("/api/v1/users/{}", mentor.id), &token, "\"1\"", json!({"name": "Renamed Mentor"})).await;
    assert_eq!(r.status, 200);
    app.login(&mentor).await;

    let actions = |r: &TestResponse| -> Vec<String> { r.items().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect() };
    let r = app.get(&format!("/api/v1/audit-events?resource_type=user&resource_id={}", mentor.id)).token(&token).send().await;
    let r = r.assert_status(200);
    assert_eq!(actions(&r), vec!["user.updated"]);
    let r = app.get(&format!("/api/v1/audit-events?actor_id={}", mentor.id)).token(&token).send().await;
    assert_eq!(actions(&r), vec!["login.succeeded"]);
    // Reading the trail is itself recorded.
    assert_eq!(app.audit_events("audit.read").await.len(), 2);
}
