//! Charities.

use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_creates_and_updates_a_charity() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let r = app
        .post("/api/v1/organisations")
        .token(&token)
        .json(json!({"name": "Willow Trust", "kind": "partner", "districts": ["Fenwick", "Dunmere"]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["districts"], json!(["Fenwick", "Dunmere"]));
    let id = r.body["id"].as_str().unwrap().to_string();

    let r = app
        .patch(&format!("/api/v1/organisations/{id}"))
        .token(&token)
        .header("if-match", "\"1\"")
        .json(json!({"districts": ["Fenwick"]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    let r = app.get(&format!("/api/v1/organisations/{id}")).token(&token).send().await;
    assert_eq!(r.body["districts"], json!(["Fenwick"]));
}

#[tokio::test]
async fn there_is_one_lead_charity_and_it_stays_active() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    app.post("/api/v1/organisations")
        .token(&token)
        .json(json!({"name": "Second Lead", "kind": "lead", "districts": ["Fenwick"]}))
        .send()
        .await
        .assert_problem(409, "conflict");
    app.patch(&format!("/api/v1/organisations/{lead}"))
        .token(&token)
        .header("if-match", "\"1\"")
        .json(json!({"active": false}))
        .send()
        .await
        .assert_problem(409, "conflict");
    app.post("/api/v1/organisations")
        .token(&token)
        .json(json!({"name": "Partner A", "kind": "partner", "districts": ["Fenwick"]}))
        .send()
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn list_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let mentor = app.user(lead, Role::Mentor).await;
    let token = app.token(&mentor).await;
    let r = app.get("/api/v1/organisations?kind=partner").token(&token).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let first = app.get("/api/v1/organisations?limit=2").token(&token).send().await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/organisations?limit=2&cursor={cursor}")).token(&token).send().await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    app.get("/api/v1/organisations?cursor=!!").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?limit=0").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?limit=201").token(&token).send().await.assert_problem(422, "validation_failed");
    app.get("/api/v1/organisations?colour=red").token(&token).send().await.assert_problem(422, "validation_failed");
}
