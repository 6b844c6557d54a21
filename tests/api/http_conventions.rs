//! ETag/If-Match, Idempotency-Key, request ids, security headers, health.

use serde_json::json;
use trellis::clock::Clock;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn updates_need_a_current_if_match() {
    let Programme { app, a, admin: token, .. } = Programme::start().await;
    let path = format!("/api/v1/organisations/{a}");
    let r = app.get(&path).token(&token).send().await;
    assert_eq!(r.header("etag"), Some("\"1\""));

    app.patch(&path).token(&token).json(json!({"name": "Renamed"})).send().await.assert_problem(428, "if_match_required");
    let ok = app.patch_json(&path, &token, "\"1\"", json!({"name": "Renamed"})).await;
    assert_eq!(ok.status, 200);
    // A second writer who read version 1 does not overwrite the first one's change.
    app.patch_json(&path, &token, "\"1\"", json!({"name": "Other"})).await.assert_problem(412, "stale_version");
    assert_eq!(app.get(&path).token(&token).send().await.body["name"], "Renamed");
    app.patch_json(&path, &token, "garbage", json!({"name": "X"})).await.assert_problem(412, "stale_version");
}

#[tokio::test]
async fn an_idempotency_key_replay_returns_the_first_response_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let token = app.token(&admin).await;
    let send = |token: String, body: serde_json::Value| {
        let app = &app;
        async move { app.post_idempotent("/api/v1/organisations", &token, "abc-123", body).await }
    };
    let first = send(token.clone(), partner_json("Willow Trust")).await.assert_status(201);
    let count = app.count("organisations").await;

    let again = send(token.clone(), partner_json("Willow Trust")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("organisations").await, count);

    send(token.clone(), partner_json("Other")).await.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.count("organisations").await, count);

    // After 24 hours the key may be used afresh.
    app.clock.advance(chrono::Duration::hours(25));
    let token = app.token(&admin).await;
    let later = send(token, partner_json("Later")).await;
    assert_eq!(later.status, 201);
}

#[tokio::test]
async fn replayable_responses_are_stored_encrypted_and_sign_in_answers_never() {
    let Programme { app, lead, admin: token, .. } = Programme::start().await;
    let r = app.post_idempotent("/api/v1/organisations", &token, "k-enc", partner_json("Willow Trust")).await;
    assert_eq!(r.status, 201);
    use sea_orm::EntityTrait;
    let stored = trellis::entities::idempotency_key::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].response_body.as_deref().unwrap().contains("Willow"));

    let mentor = app.user_with(lead, Role::Mentor, false).await;
    let mt = app.token(&mentor).await;
    let r = app.post("/api/v1/auth/mfa/setup").token(&mt).header("idempotency-key", "k-mfa").send().await;
    assert_eq!(r.status, 200);
    let r = app
        .post("/api/v1/auth/login")
        .token(&mt)
        .header("idempotency-key", "k-login")
        .json(json!({"email": mentor.email, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.count("idempotency_keys").await, 1, "no token or TOTP secret is kept for replay");
}

#[tokio::test]
async fn an_abandoned_claim_does_not_block_the_key_for_a_day() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    // A request that claimed its key and never finished (its connection dropped).
    let body = partner_json("Willow Trust");
    let mut hashed = b"POST\n/organisations\n".to_vec();
    hashed.extend(serde_json::to_vec(&body).unwrap());
    use sea_orm::ActiveModelTrait;
    trellis::entities::idempotency_key::ActiveModel {
        id: sea_orm::Set(uuid::Uuid::now_v7()),
        user_id: sea_orm::Set(admin.id),
        key: sea_orm::Set("k-lost".into()),
        request_hash: sea_orm::Set(trellis::crypto::sha256_hex(&hashed)),
        status_code: sea_orm::Set(None),
        response_headers: sea_orm::Set(None),
        response_body: sea_orm::Set(None),
        created_at: sea_orm::Set(app.clock.now()),
        grants: sea_orm::Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let token = app.token(&admin).await;
    app.post_idempotent("/api/v1/organisations", &token, "k-lost", body.clone()).await.assert_problem(409, "conflict");
    app.clock.advance(chrono::Duration::minutes(2));
    app.post_idempotent("/api/v1/organisations", &token, "k-lost", body).await.assert_status(201);
}

#[tokio::test]
async fn idempotency_keys_belong_to_one_user() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let one = app.user(lead, Role::ProgrammeAdmin).await;
    let two = app.user(lead, Role::ProgrammeAdmin).await;
    let r1 = app.post_idempotent("/api/v1/organisations", &app.token(&one).await, "same", partner_json("One")).await;
    let r2 = app.post_idempotent("/api/v1/organisations", &app.token(&two).await, "same", partner_json("Two")).await;
    assert_eq!((r1.status.as_u16(), r2.status.as_u16()), (201, 201));
    assert_ne!(r1.body["id"], r2.body["id"]);
}

#[tokio::test]
async fn a_refused_create_is_replayed_as_refused() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let token = app.token(&mentor).await;
    let body = partner_json("Sneaky");
    app.post_idempotent("/api/v1/organisations", &token, "k1", body.clone()).await.assert_problem(403, "forbidden");
    let again = app.post_idempotent("/api/v1/organisations", &token, "k1", body).await;
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
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"));
    // The request id is the service's own: a caller cannot choose the one the audit records.
    let r = app.get("/api/v1/auth/me").header("x-request-id", "abc-123").send().await;
    assert_ne!(r.header("x-request-id"), Some("abc-123"));
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    assert_eq!(r.body["instance"], "/api/v1/auth/me");
}

#[tokio::test]
async fn ready_means_database_up_and_migrations_current() {
    let app = TestApp::spawn().await;
    let r = app.get("/health/ready").send().await.assert_status(200);
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
