//! Charities.

use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_creates_and_updates_a_charity() {
    let Programme { app, admin: token, .. } = Programme::start().await;
    let body = with(partner_json("Willow Trust"), "districts", json!(["Fenwick", "Dunmere"]));
    let r = app.post_json("/api/v1/organisations", &token, body).await.assert_status(201);
    assert_eq!(r.body["districts"], json!(["Fenwick", "Dunmere"]));
    let id = r.id();

    let r = app.patch_json(&format!("/api/v1/organisations/{id}"), &token, "\"1\"", json!({"districts": ["Fenwick"]})).await;
    let r = r.assert_status(200);
    assert_eq!(r.body["version"], 2);
    let r = app.get(&format!("/api/v1/organisations/{id}")).token(&token).send().await;
    assert_eq!(r.body["districts"], json!(["Fenwick"]));
}

#[tokio::test]
async fn there_is_one_lead_charity_and_it_stays_active() {
    let Programme { app, lead, admin: token, .. } = Programme::start().await;
    let second_lead = with(partner_json("Second Lead"), "kind", json!("lead"));
    app.post_json("/api/v1/organisations", &token, second_lead).await.assert_problem(409, "conflict");
    let path = format!("/api/v1/organisations/{lead}");
    app.patch_json(&path, &token, "\"1\"", json!({"active": false})).await.assert_problem(409, "conflict");
    app.post_json("/api/v1/organisations", &token, partner_json("Partner A")).await.assert_problem(409, "conflict");
}

#[tokio::test]
async fn list_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let mentor = app.user(lead, Role::Mentor).await;
    let token = app.token(&mentor).await;
    let r = app.get("/api/v1/organisations?kind=partner").token(&token).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.items().len(), 2);
    let first = app.get("/api/v1/organisations?limit=2").token(&token).send().await;
    assert_eq!(first.items().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/organisations?limit=2&cursor={cursor}")).token(&token).send().await;
    assert_eq!(second.items().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    app.get("/api/v1/organisations?cursor=!!").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?limit=0").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?limit=201").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?colour=red").token(&token).send().await.assert_problem(422, "validation_failed");
}
