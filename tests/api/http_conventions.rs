//! ETag/If-Match, Idempotency-Key, request ids, security headers, health.

use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn updates_need_a_current_if_match() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let path = format!("/api/v1/organisations/{a}");
    let r = app.get(&path).token(&token).send().await;
    assert_eq!(r.header("etag"), Some("\"1\""));

    app.patch(&path).token(&token).json(json!({"name": "Renamed"})).send().await.assert_problem(428, "if_match_required");
    let ok = app.patch(&path).token(&token).header("if-match", "\"1\"").json(json!({"name": "Renamed"})).send().await;
    assert_eq!(ok.status, 200);
    // A second writer who read version 1 does not overwrite the first one's change.
    let stale = app.patch(&path).token(&token).header("if-match", "\"1\"").json(json!({"name": "Other"})).send().await;
    stale.assert_problem(412, "stale_version");
    assert_eq!(app.get(&path).token(&token).send().await.body["name"], "Renamed");
    app.patch(&path).token(&token).header("if-match", "garbage").json(json!({"name": "X"})).send().await.assert_problem(412, "stale_version");
}

#[tokio::test]
async fn an_idempotency_key_replay_returns_the_first_response_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let body = json!({"name": "Willow Trust", "kind": "partner", "districts": ["Fenwick"]});
    let first = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "abc-123").json(body.clone()).send().await;
    assert_eq!(first.status, 201, "{}", first.text);
    let count = app.count("organisations").await;

    let again = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "abc-123").json(body.clone()).send().await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("organisations").await, count);

    let other = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "abc-123").json(json!({"name": "Other", "kind": "partner", "districts": ["Fenwick"]})).send().await;
    other.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.count("organisations").await, count);

    // After 24 hours the key may be used afresh.
    app.clock.advance(chrono::Duration::hours(25));
    let token = app.token(&admin).await;
    let later = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "abc-123").json(json!({"name": "Later", "kind": "partner", "districts": ["Fenwick"]})).send().await;
    assert_eq!(later.status, 201);
}

#[tokio::test]
async fn idempotency_keys_belong_to_one_user() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let one = app.user(lead, Role::ProgrammeAdmin).await;
    let two = app.user(lead, Role::ProgrammeAdmin).await;
    let body = |n: &str| json!({"name": n, "kind": "partner", "districts": ["Fenwick"]});
    let r1 = app.post("/api/v1/organisations").token(&app.token(&one).await).header("idempotency-key", "same").json(body("One")).send().await;
    let r2 = app.post("/api/v1/organisations").token(&app.token(&two).await).header("idempotency-key", "same").json(body("Two")).send().await;
    assert_eq!((r1.status.as_u16(), r2.status.as_u16()), (201, 201));
    assert_ne!(r1.body["id"], r2.body["id"]);
}

#[tokio::test]
async fn a_refused_create_is_replayed_as_refused() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let token = app.token(&mentor).await;
    let body = json!({"name": "Sneaky", "kind": "partner", "districts": ["Fenwick"]});
    app.post("/api/v1/organisations").token(&token).header("idempotency-key", "k1").json(body.clone()).send().await.assert_problem(403, "forbidden");
    let again = app.post("/api/v1/organisations").token(&token).header("idempotency-key", "k1").json(body).send().await;
    assert_eq!(again.status, 403);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let r = app.get("/health/live").send().await;
    assert_eq!(r.status, 200);
    assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert!(r.header("content-security-policy").unwrap().contains("default-src 'none'"));
    // A caller's own request id is kept when it is plain; otherwise replaced.
    let r = app.get("/health/live").header("x-request-id", "abc-123").send().await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let r = app.get("/api/v1/auth/me").header("x-request-id", "bad id with spaces").send().await;
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    assert_eq!(r.body["instance"], "/api/v1/auth/me");
}

#[tokio::test]
async fn ready_means_database_up_and_migrations_current() {
    let app = TestApp::spawn().await;
    let r = app.get("/health/ready").send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "ready");
    assert_eq!(r.body["pending_migrations"], 0);
}

#[tokio::test]
async fn the_docs_page_and_spec_are_served_without_internet() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/v1/openapi.json").send().await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.body["info"]["title"], "Trellis API");
    let docs = app.get("/api/docs/").send().await;
    assert_eq!(docs.status, 200, "{}", docs.text);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
    assert!(!docs.text.contains("https://"), "the docs page must not load anything from the internet");
    let init = app.get("/api/docs/swagger-initializer.js").send().await;
    assert_eq!(init.status, 200);
}
