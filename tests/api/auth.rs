//! Sign-in, sessions, lock-out, throttling and two-factor authentication.

use chrono::Duration;
use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn sign_in_returns_a_token_that_works_until_logout() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let r = app.sign_in(&mentor.email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["id"], mentor.id.to_string());
    assert!(r.body["user"].get("password_hash").is_none());
    let token = r.body["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 43, "256-bit token");

    let me = app.get("/api/v1/auth/me").token(&token).send().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["email"], mentor.email);

    assert_eq!(app.post("/api/v1/auth/logout").token(&token).send().await.status, 204);
    app.assert_signed_out(&token).await;
}

#[tokio::test]
async fn the_token_is_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let token = app.login(&mentor).await;
    use sea_orm::EntityTrait;
    let sessions = trellis::entities::session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_ne!(sessions[0].token_hash, token);
    assert_eq!(sessions[0].token_hash, trellis::crypto::sha256_hex(token.as_bytes()));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_the_same() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let wrong = app.sign_in(&mentor.email, "not-the-password").await;
    let unknown = app.sign_in("nobody@example.org", "not-the-password").await;
    wrong.assert_problem(401, "invalid_credentials");
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.body["title"], unknown.body["title"]);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    for _ in 0..5 {
        app.sign_in(&mentor.email, "wrong-password-x").await.assert_problem(401, "invalid_credentials");
    }
    // Locked: even the right password is refused for now.
    let r = app.sign_in(&mentor.email, PASSWORD).await;
    r.assert_problem(429, "too_many_requests");
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    // After the lock-out the right password works again and resets the counter.
    app.clock.advance(Duration::seconds(retry + 1));
    app.login(&mentor).await;
    assert_eq!(app.count("login_lockouts").await, 0, "a success clears the count");
}

#[tokio::test]
async fn an_unknown_address_locks_exactly_like_a_real_one() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let mut answers = Vec::new();
    for email in [mentor.email.as_str(), "nobody-here@example.org"] {
        let mut statuses = Vec::new();
        for _ in 0..7 {
            let r = app.sign_in(email, "wrong-password-x").await;
            statuses.push((
                r.status.as_u16(),
                r.body["detail"].as_str().unwrap_or("").to_string(),
                r.header("retry-after").map(str::to_string),
            ));
        }
        answers.push(statuses);
    }
    assert_eq!(answers[0], answers[1], "a lock-out must not tell whether an account exists");
    assert_eq!(answers[0][5].0, 429);
}

#[tokio::test]
async fn guessing_the_current_password_with_a_stolen_session_locks_the_account() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let token = app.token(&mentor).await;
    for _ in 0..5 {
        app.change_password(&token, "a-wrong-guess-1", "a-much-better-phrase-9").await.assert_problem(422, "validation_failed");
    }
    app.change_password(&token, PASSWORD, "a-much-better-phrase-9").await.assert_problem(429, "too_many_requests");
    // And sign-in is locked too.
    app.sign_in(&mentor.email, PASSWORD).await.assert_problem(429, "too_many_requests");
}

#[tokio::test]
async fn a_deactivated_charity_signs_its_people_out() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let mentor = app.user(a, Role::Mentor).await;
    let mentor_token = app.login(&mentor).await;
    let path = format!("/api/v1/organisations/{a}");
    app.patch_json(&path, &admin, "\"1\"", json!({"active": false})).await.assert_status(200);
    app.assert_signed_out(&mentor_token).await;
    app.sign_in(&mentor.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn an_enrolment_only_session_is_short() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let dsl = app.user_with(a, Role::SafeguardingLead, false).await;
    let r = app.sign_in(&dsl.email, PASSWORD).await;
    let token = r.body["token"].as_str().unwrap().to_string();
    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.post("/api/v1/auth/mfa/setup").token(&token).send().await.status, 200);
    app.clock.advance(Duration::minutes(6));
    app.post("/api/v1/auth/mfa/setup").token(&token).send().await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_role_newly_required_to_use_mfa_must_enrol_even_mid_session() {
    let app = TestApp::spawn_with(|c| c.mfa_required_roles = vec![Role::Mentor]).await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user_with(a, Role::Mentor, false).await;
    let token = app.token(&mentor).await;
    app.get("/api/v1/auth/me").token(&token).send().await.assert_problem(403, "mfa_enrolment_required");
    assert_eq!(app.post("/api/v1/auth/mfa/setup").token(&token).send().await.status, 200);
}

#[tokio::test]
async fn lockout_grows_with_further_failures() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let mut retries = Vec::new();
    for _ in 0..8 {
        let r = app.sign_in(&mentor.email, "wrong-password-x").await;
        if r.status == 429 {
            let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
            retries.push(retry);
            app.clock.advance(Duration::seconds(retry + 1));
        }
    }
    // After the first lock (1 minute) each further failure locks for longer.
    assert!(retries.len() >= 2, "{retries:?}");
    assert!(retries.windows(2).all(|w| w[1] > w[0]), "{retries:?}");
}

#[tokio::test]
async fn one_address_is_throttled_across_accounts() {
    let app = TestApp::spawn_with(|c| c.login_address_limit = 3).await;
    let attempt = |from: &'static str, email: String| {
        app.post("/api/v1/auth/login").from(from).json(json!({"email": email, "password": "whatever-password"})).send()
    };
    for i in 0..3 {
        attempt("10.9.8.7:1234", format!("x{i}@example.org")).await.assert_problem(401, "invalid_credentials");
    }
    let r = attempt("10.9.8.7:1234", "y@example.org".into()).await;
    r.assert_problem(429, "too_many_requests");
    assert!(r.header("retry-after").is_some());
    // Another address is not affected.
    attempt("10.9.8.8:1234", "y@example.org".into()).await.assert_problem(401, "invalid_credentials");
    // Once the window has passed the address may try again.
    app.clock.advance(Duration::minutes(16));
    attempt("10.9.8.7:1234", "y@example.org".into()).await.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn idle_and_absolute_expiry_end_the_session() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;

    let token = app.login(&mentor).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.get("/api/v1/auth/me").token(&token).send().await.status, 200, "still inside the idle window");
    app.clock.advance(Duration::minutes(31));
    app.assert_signed_out(&token).await;

    // Kept busy, a session still ends at its absolute lifetime (12 hours).
    let token = app.login(&mentor).await;
    for _ in 0..((12 * 60) / 20 - 1) {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(app.get("/api/v1/auth/me").token(&token).send().await.status, 200);
    }
    app.clock.advance(Duration::minutes(21));
    app.assert_signed_out(&token).await;
}

#[tokio::test]
async fn deactivation_ends_sessions_and_blocks_sign_in() {
    let Programme { app, a, admin: admin_token, .. } = Programme::start().await;
    let mentor = app.user(a, Role::Mentor).await;
    let mentor_token = app.login(&mentor).await;

    let path = format!("/api/v1/users/{}", mentor.id);
    app.patch_json(&path, &admin_token, "\"1\"", json!({"active": false})).await.assert_status(200);
    app.assert_signed_out(&mentor_token).await;
    app.sign_in(&mentor.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn an_admin_can_revoke_a_users_sessions() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let mentor = app.user(a, Role::Mentor).await;
    let t1 = app.login(&mentor).await;
    let t2 = app.login(&mentor).await;
    let r = app.post(&format!("/api/v1/users/{}/revoke-sessions", mentor.id)).token(&admin).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["revoked"], 2);
    for t in [t1, t2] {
        app.assert_signed_out(&t).await;
    }
}

#[tokio::test]
async fn mfa_is_required_and_codes_are_checked_and_not_replayable() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;

    app.sign_in(&coord.email, PASSWORD).await.assert_problem(401, "mfa_required");

    app.sign_in_with_code(&coord.email, PASSWORD, "000000").await.assert_problem(401, "mfa_invalid");

    let code = app.code(&coord);
    let r = app.sign_in_with_code(&coord.email, PASSWORD, &code).await.assert_status(200);
    assert_eq!(r.body["mfa_enrolment_required"], false);

    // The same code again, still inside its 30-second step: refused.
    app.sign_in_with_code(&coord.email, PASSWORD, &code).await.assert_problem(401, "mfa_invalid");

    // With the wrong password, a right code does not help (and says nothing about MFA).
    app.clock.advance(Duration::seconds(30));
    app.sign_in_with_code(&coord.email, "wrong-password-x", &app.code(&coord)).await.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn a_role_that_needs_mfa_must_enrol_before_anything_else() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mut dsl = app.user_with(a, Role::SafeguardingLead, false).await;

    let r = app.sign_in(&dsl.email, PASSWORD).await.assert_status(200);
    assert_eq!(r.body["mfa_enrolment_required"], true);
    let token = r.body["token"].as_str().unwrap().to_string();

    app.get("/api/v1/auth/me").token(&token).send().await.assert_problem(403, "mfa_enrolment_required");
    app.get("/api/v1/organisations").token(&token).send().await.assert_problem(403, "mfa_enrolment_required");
    app.post("/api/v1/auth/mfa/confirm").token(&token).json(json!({"code": "123456"})).send().await.assert_problem(409, "conflict");

    let setup = app.post("/api/v1/auth/mfa/setup").token(&token).send().await;
    assert_eq!(setup.status, 200, "{}", setup.text);
    let uri = setup.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("issuer=Trellis"));
    let secret = trellis::auth::mfa::decode_base32(setup.body["secret"].as_str().unwrap()).unwrap();
    dsl.totp_secret = Some(secret);

    app.post("/api/v1/auth/mfa/confirm")
        .token(&token)
        .json(json!({"code": "000000"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let r = app.post("/api/v1/auth/mfa/confirm").token(&token).json(json!({"code": app.code(&dsl)})).send().await;
    assert_eq!(r.status, 204, "{}", r.text);

    // The same session is now a full session, and sign-in asks for a code.
    assert_eq!(app.get("/api/v1/auth/me").token(&token).send().await.status, 200);
    app.sign_in(&dsl.email, PASSWORD).await.assert_problem(401, "mfa_required");
    app.login(&dsl).await;
}

#[tokio::test]
async fn mfa_secrets_are_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;
    use sea_orm::EntityTrait;
    let u = trellis::entities::user::Entity::find_by_id(coord.id).one(&app.db).await.unwrap().unwrap();
    let stored = u.mfa_secret.unwrap();
    let plain = trellis::auth::mfa::base32(coord.totp_secret.as_ref().unwrap());
    assert!(stored.starts_with("v1."));
    assert!(!stored.contains(&plain));
}

#[tokio::test]
async fn password_change_checks_the_old_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let mentor = app.user(a, Role::Mentor).await;
    let other = app.login(&mentor).await;
    let token = app.login(&mentor).await;

    let r = app.change_password(&token, "nope-nope-nope", "a-much-better-phrase-9").await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["current_password"]);
    let r = app.change_password(&token, PASSWORD, "password1234").await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["new_password"]);

    app.change_password(&token, PASSWORD, "a-much-better-phrase-9").await.assert_status(204);
    assert_eq!(app.get("/api/v1/auth/me").token(&token).send().await.status, 200, "this session stays");
    app.assert_signed_out(&other).await;
    app.sign_in(&mentor.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
    assert_eq!(app.sign_in(&mentor.email, "a-much-better-phrase-9").await.status, 200);
}

#[tokio::test]
async fn a_malformed_or_unknown_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    for header in ["Bearer ", "Bearer not-a-real-token", "Basic abc", "bearer x"] {
        let r = app.get("/api/v1/auth/me").header("authorization", header).send().await;
        r.assert_problem(401, "unauthenticated");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
}
