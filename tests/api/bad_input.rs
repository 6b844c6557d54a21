//! Bad input gets a clear problem+json answer and changes nothing.

use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

async fn admin_app() -> (TestApp, String, uuid::Uuid) {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    (app, token, a)
}

fn good(org: uuid::Uuid) -> serde_json::Value {
    json!({"email": "nia@example.org", "name": "Nia Okoro", "role": "mentor", "organisation_id": org, "password": "lantern-river-oak-2026"})
}

#[tokio::test]
async fn each_kind_of_bad_body_is_refused_naming_the_field_and_nothing_changes() {
    let (app, token, org) = admin_app().await;
    let before = app.count("users").await;

    let r = app.post("/api/v1/users").token(&token).raw("application/json", "{\"email\": ").send().await;
    r.assert_problem(400, "bad_request");

    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            {
                let mut b = good(org);
                b["name"] = json!(42);
                b
            },
            "name",
            "invalid_type",
        ),
        (
            {
                let mut b = good(org);
                b.as_object_mut().unwrap().remove("role");
                b
            },
            "role",
            "required",
        ),
        (
            {
                let mut b = good(org);
                b["version"] = json!(7);
                b
            },
            "version",
            "unknown_field",
        ),
        (
            {
                let mut b = good(org);
                b["name"] = json!("x".repeat(201));
                b
            },
            "name",
            "length",
        ),
        (
            {
                let mut b = good(org);
                b["email"] = json!("not-an-email");
                b
            },
            "email",
            "email",
        ),
        (
            {
                let mut b = good(org);
                b["role"] = json!("wizard");
                b
            },
            "role",
            "invalid_choice",
        ),
        (
            {
                let mut b = good(org);
                b["organisation_id"] = json!("not-a-uuid");
                b
            },
            "organisation_id",
            "invalid",
        ),
        (
            {
                let mut b = good(org);
                b["organisation_id"] = json!(uuid::Uuid::now_v7());
                b
            },
            "organisation_id",
            "not_found",
        ),
    ];
    for (body, field, code) in cases {
        let r = app.post("/api/v1/users").token(&token).json(body.clone()).send().await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), vec![field.to_string()], "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["code"], code, "{body}: {}", r.text);
        // The client's own value is not echoed back.
        if field == "role" && code == "invalid_choice" {
            assert!(!r.text.contains("wizard"));
        }
    }
    assert_eq!(app.count("users").await, before);
}

#[tokio::test]
async fn control_characters_and_ip_literal_addresses_are_refused() {
    let (app, token, org) = admin_app().await;
    let mut body = good(org);
    body["name"] = json!("Nia\u{0000}Okoro");
    let r = app.post("/api/v1/users").token(&token).json(body).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["name"]);
    let r = app.post("/api/v1/auth/login").json(json!({"email": "\u{0000}", "password": "x"})).send().await;
    r.assert_problem(422, "validation_failed");
    let r = app.get("/api/v1/audit-events?resource_type=%00").token(&token).send().await;
    r.assert_problem(422, "validation_failed");
    let mut body = good(org);
    body["email"] = json!("x@[::1]");
    let r = app.post("/api/v1/users").token(&token).json(body).send().await;
    assert_eq!(r.error_fields(), vec!["email"]);
    let mut body = good(org);
    body["name"] = json!("   ");
    let r = app.post("/api/v1/users").token(&token).json(body).send().await;
    assert_eq!(r.error_fields(), vec!["name"]);
}

#[tokio::test]
async fn the_wrong_content_type_is_415() {
    let (app, token, org) = admin_app().await;
    let r = app.post("/api/v1/users").token(&token).raw("text/plain", good(org).to_string()).send().await;
    r.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(|c| c.body_limit_bytes = 2048).await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let before = app.count("organisations").await;
    let body = json!({"name": "Big", "kind": "partner", "districts": ["x".repeat(3000)]});
    let r = app.post("/api/v1/organisations").token(&token).json(body.clone()).send().await;
    r.assert_problem(413, "payload_too_large");
    // Also through the idempotency layer, which reads the body first.
    let r = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "k-413").json(body).send().await;
    r.assert_problem(413, "payload_too_large");
    assert_eq!(app.count("organisations").await, before);
}

#[tokio::test]
async fn unknown_ids_and_unknown_routes_are_404_and_wrong_methods_405() {
    let (app, token, _) = admin_app().await;
    app.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7())).token(&token).send().await.assert_problem(404, "not_found");
    app.get("/api/v1/users/not-a-uuid").token(&token).send().await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/organisations/{}", uuid::Uuid::now_v7())).token(&token).send().await.assert_problem(404, "not_found");
    app.get("/api/v1/nothing-here").token(&token).send().await.assert_problem(404, "not_found");
    app.get("/nothing").send().await.assert_problem(404, "not_found");
    let r = app.req(axum::http::Method::DELETE, "/api/v1/organisations").token(&token).send().await;
    r.assert_problem(405, "method_not_allowed");
    let r = app.req(axum::http::Method::PUT, &format!("/api/v1/users/{}", uuid::Uuid::now_v7())).token(&token).send().await;
    r.assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn a_bad_organisation_body_names_the_field() {
    let (app, token, _) = admin_app().await;
    let r = app.post("/api/v1/organisations").token(&token).json(json!({"name": "New", "kind": "partner", "districts": []})).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["districts"]);
    let r = app
        .post("/api/v1/organisations")
        .token(&token)
        .json(json!({"name": "New", "kind": "partner", "districts": ["A", "a"]}))
        .send()
        .await;
    assert_eq!(r.error_fields(), vec!["districts"]);
    let r = app.post("/api/v1/organisations").token(&token).json(json!({"name": "New", "kind": "sub", "districts": ["A"]})).send().await;
    assert_eq!(r.error_fields(), vec!["kind"]);
    let r = app.post("/api/v1/auth/login").json(json!({"email": "a@example.org"})).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["password"]);
}
