//! Bad input gets a clear problem+json answer and changes nothing.

use serde_json::json;

use crate::helpers::*;

async fn admin_app() -> (TestApp, String, uuid::Uuid) {
    let Programme { app, a, admin: token, .. } = Programme::start().await;
    (app, token, a)
}

fn good(org: uuid::Uuid) -> serde_json::Value {
    user_json("nia@example.org", "mentor", org)
}

#[tokio::test]
async fn each_kind_of_bad_body_is_refused_naming_the_field_and_nothing_changes() {
    let (app, token, org) = admin_app().await;
    let before = app.count("users").await;

    let r = app.post("/api/v1/users").token(&token).raw("application/json", "{\"email\": ").send().await;
    r.assert_problem(400, "bad_request");

    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (with(good(org), "name", json!(42)), "name", "invalid_type"),
        (without(good(org), "role"), "role", "required"),
        (with(good(org), "version", json!(7)), "version", "unknown_field"),
        (with(good(org), "name", json!("x".repeat(201))), "name", "length"),
        (with(good(org), "email", json!("not-an-email")), "email", "email"),
        (with(good(org), "role", json!("wizard")), "role", "invalid_choice"),
        (with(good(org), "organisation_id", json!("not-a-uuid")), "organisation_id", "invalid"),
        (with(good(org), "organisation_id", json!(uuid::Uuid::now_v7())), "organisation_id", "not_found"),
    ];
    for (body, field, code) in cases {
        let r = app.post_json("/api/v1/users", &token, body.clone()).await;
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
    let r = app.post_json("/api/v1/users", &token, with(good(org), "name", json!("Nia\u{0000}Okoro"))).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["name"]);
    let r = app.sign_in("\u{0000}", "x").await;
    r.assert_problem(422, "validation_failed");
    let r = app.get("/api/v1/audit-events?resource_type=%00").token(&token).send().await;
    r.assert_problem(422, "validation_failed");
    let r = app.post_json("/api/v1/users", &token, with(good(org), "email", json!("x@[::1]"))).await;
    assert_eq!(r.error_fields(), vec!["email"]);
    let r = app.post_json("/api/v1/users", &token, with(good(org), "name", json!("   "))).await;
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
    let Programme { app, admin: token, .. } = Programme::start_with(|c| c.body_limit_bytes = 2048).await;
    let before = app.count("organisations").await;
    let body = with(partner_json("Big"), "districts", json!(["x".repeat(3000)]));
    app.post_json("/api/v1/organisations", &token, body.clone()).await.assert_problem(413, "payload_too_large");
    // Also through the idempotency layer, which reads the body first.
    app.post_idempotent("/api/v1/organisations", &token, "k-413", body).await.assert_problem(413, "payload_too_large");
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
    let org = |kind: &str, districts: serde_json::Value| json!({"name": "New", "kind": kind, "districts": districts});
    let r = app.post_json("/api/v1/organisations", &token, org("partner", json!([]))).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["districts"]);
    let r = app.post_json("/api/v1/organisations", &token, org("partner", json!(["A", "a"]))).await;
    assert_eq!(r.error_fields(), vec!["districts"]);
    let r = app.post_json("/api/v1/organisations", &token, org("sub", json!(["A"]))).await;
    assert_eq!(r.error_fields(), vec!["kind"]);
    let r = app.post("/api/v1/auth/login").json(json!({"email": "a@example.org"})).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["password"]);
}
