//! Mentors: safer recruitment, training with expiry, supervision and compliance.

use chrono::Duration;
use serde_json::{Value, json};
use trellis::clock::Clock;
use trellis::users::Role;

use crate::helpers::*;

async fn catalogue(app: &TestApp) -> Vec<Value> {
    trellis::mentors::service::ensure_catalogue(&app.db, app.clock.now()).await.unwrap();
    let admin = app.user(app.charities_lead().await, Role::ProgrammeAdmin).await;
    let r = app.get("/api/v1/training-courses").token(&app.token(&admin).await).send().await;
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn she_becomes_matchable_exactly_when_the_last_check_and_course_are_in_place() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let courses = catalogue(&app).await;
    let admin = app.admin_token(lead).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let m = app.mentor(&admin, a).await;
    let path = format!("/api/v1/mentors/{}", m.id);
    assert_eq!(app.patch_current(&path, &t, json!({"status": "approved"})).await.status, 200);

    let mut steps: Vec<(String, Value)> = all_checks_json().into_iter().map(|c| ("checks".to_string(), c)).collect();
    for c in &courses {
        steps.push(("training".into(), training_json(&c["id"], "2026-09-01", "Programme team")));
    }
    let last = steps.len() - 1;
    for (i, (kind, body)) in steps.into_iter().enumerate() {
        let before = app.get(&format!("{path}/compliance")).token(&t).send().await;
        assert_eq!(before.body["matchable"], false, "before step {i}");
        let r = app.post_json(&format!("{path}/{kind}"), &t, body).await;
        assert_eq!(r.status, 201, "step {i}: {}", r.text);
        let after = app.get(&format!("{path}/compliance")).token(&t).send().await;
        assert_eq!(after.body["matchable"], i == last, "after step {i}: {}", after.text);
    }
}

#[tokio::test]
async fn a_lapse_on_its_date_makes_her_unmatchable_and_surfaces_for_the_coordinator() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let courses = catalogue(&app).await;
    let admin = app.admin_token(lead).await;
    let coord = app.user(a, Role::Coordinator).await;
    let m = app.mentor(&admin, a).await;
    let path = format!("/api/v1/mentors/{}", m.id);
    app.patch_current(&path, &admin, json!({"status": "approved"})).await;
    for body in all_checks_json() {
        assert_eq!(app.post_json(&format!("{path}/checks"), &admin, body).await.status, 201);
    }
    // Data protection lasts 12 months: completed 2025-12-01, it lapses on 2026-12-01.
    for c in &courses {
        let done = if c["validity_months"] == 12 { "2025-12-01" } else { "2026-09-01" };
        assert_eq!(app.post_json(&format!("{path}/training"), &admin, training_json(&c["id"], done, "Team")).await.status, 201);
    }
    let t = app.token(&coord).await;
    assert_eq!(app.get(&format!("{path}/compliance")).token(&t).send().await.body["matchable"], true);
    let e = app.get("/api/v1/compliance/expiring?within_days=30").token(&t).send().await;
    assert_eq!(e.status, 200, "{}", e.text);
    assert_eq!(e.body["expiring"].as_array().unwrap().len(), 1, "{}", e.text);
    assert_eq!(e.body["expiring"][0]["gaps"][0]["date"], "2026-12-01");
    assert_eq!(e.body["lapsed"].as_array().unwrap().len(), 0);
    assert_eq!(app.get("/api/v1/compliance/expiring?within_days=5").token(&t).send().await.body["expiring"].as_array().unwrap().len(), 0);
    // She is matched while compliant.
    let (rid, _) = app.accepted_referral(&admin, a, json!({})).await;
    let match_id = app.active_match(&admin, rid, m.id).await;

    // The clock reaches 1 December 2026.
    app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap().with_timezone(&chrono::Utc));
    let t = app.token(&coord).await;
    let c = app.get(&format!("{path}/compliance")).token(&t).send().await;
    assert_eq!(c.body["matchable"], false);
    assert_eq!(c.body["gaps"][0]["code"], "training_expired");
    let e = app.get("/api/v1/compliance/expiring").token(&t).send().await;
    assert_eq!(e.body["lapsed"].as_array().unwrap().len(), 1);
    assert_eq!(e.body["lapsed"][0]["mentor_id"], m.id.to_string());
    assert_eq!(e.body["lapsed"][0]["active_matches"], json!([match_id]), "her match is at risk");
    // And she can no longer be matched (a new day: a new sign-in).
    let admin = app.admin_token(lead).await;
    let (rid2, _) = app.accepted_referral(&admin, a, json!({})).await;
    let r = app.propose_match(&admin, rid2, m.id).await;
    r.assert_problem(409, "conflict");
    assert!(r.body["detail"].as_str().unwrap().contains("not_compliant"), "{}", r.text);
    app.clock.advance(Duration::days(-1));
}

#[tokio::test]
async fn checks_are_never_edited_in_place_and_a_correction_supersedes() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let m = app.mentor(&admin, a).await;
    let path = format!("/api/v1/mentors/{}/checks", m.id);
    let bad = app.post_json(&path, &admin, json!({"kind": "interview", "completed_on": "2026-02-01", "outcome": "unsatisfactory"})).await;
    let id = bad.body["id"].as_str().unwrap().to_string();
    for method in [axum::http::Method::PATCH, axum::http::Method::DELETE, axum::http::Method::PUT] {
        let r = app.req(method.clone(), &format!("{path}/{id}")).token(&admin).json(json!({"outcome": "satisfactory"})).send().await;
        assert!(r.status == 404 || r.status == 405, "{method}");
        app.req(method, &path)
            .token(&admin)
            .json(json!({"outcome": "satisfactory"}))
            .send()
            .await
            .assert_problem(405, "method_not_allowed");
    }
    app.post_json(&path, &admin, with(check_json("interview"), "supersedes", json!(id))).await.assert_status(201);
    let wrong_kind = app.post_json(&path, &admin, with(check_json("identity"), "supersedes", json!(id))).await;
    assert_eq!(wrong_kind.error_fields(), vec!["supersedes"]);
    let list = app.get(&path).token(&admin).send().await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["outcome"], "unsatisfactory", "the original stays as it was");
    assert_eq!(items[0]["superseded"], true);
    assert_eq!(items[1]["supersedes"], id);
}

#[tokio::test]
async fn bad_vetting_and_training_input_names_the_field() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let courses = catalogue(&app).await;
    let admin = app.admin_token(lead).await;
    let m = app.mentor(&admin, a).await;
    let checks = format!("/api/v1/mentors/{}/checks", m.id);
    let bad_dbs = |key: &str, value: Value| {
        let mut body = dbs_check_json("2025-06-01");
        body["dbs"][key] = value;
        body
    };
    let refused = |path: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.post_json(&path, &admin, body).await.error_fields() }
    };
    assert_eq!(refused(checks.clone(), bad_dbs("certificate_number", json!("12345"))).await, vec!["dbs.certificate_number"]);
    assert_eq!(refused(checks.clone(), bad_dbs("issue_date", json!("2030-01-01"))).await, vec!["dbs.issue_date"]);
    assert_eq!(refused(checks.clone(), bad_dbs("result", json!("information_disclosed"))).await, vec!["dbs.decision"]);
    let unreferenced = json!({"kind": "reference", "completed_on": "2026-01-01", "outcome": "satisfactory"});
    assert_eq!(refused(checks.clone(), unreferenced).await, vec!["reference"]);
    let training = format!("/api/v1/mentors/{}/training", m.id);
    let course = &courses[0]["id"];
    assert_eq!(refused(training.clone(), training_json(course, "2019-01-01", "X")).await, vec!["completed_on"]);
    assert_eq!(refused(training.clone(), training_json(course, "2027-01-01", "X")).await, vec!["completed_on"]);
    assert_eq!(refused(training.clone(), training_json(&json!(uuid::Uuid::now_v7()), "2026-01-01", "X")).await, vec!["course_id"]);
    let path = format!("/api/v1/mentors/{}", m.id);
    for cap in [0, 6] {
        let r = app.patch_json(&path, &admin, "\"1\"", json!({"capacity": cap})).await;
        assert_eq!(r.error_fields(), vec!["capacity"]);
    }
    assert_eq!(app.count("mentor_checks").await, 0);
    assert_eq!(app.count("training_records").await, 0);
}

#[tokio::test]
async fn a_mentor_sees_and_changes_only_what_is_hers_to() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let coord = app.user(a, Role::Coordinator).await;
    let m = app.mentor(&admin, a).await;
    let other = app.mentor(&admin, a).await;
    let t = app.token(&m).await;
    let path = format!("/api/v1/mentors/{}", m.id);
    let me = app.get(&path).token(&t).send().await;
    assert_eq!(me.status, 200);
    let etag = me.header("etag").unwrap().to_string();
    let change = json!({"interests": ["art", "music"], "availability": [{"day": "mon", "part": "evening"}]});
    let r = app.patch_json(&path, &t, &etag, change).await.assert_status(200);
    let etag = r.header("etag").unwrap().to_string();
    app.patch_json(&path, &t, &etag, json!({"status": "approved"})).await.assert_problem(403, "forbidden");
    app.patch_json(&path, &t, &etag, json!({"capacity": 3})).await.assert_problem(403, "forbidden");
    app.get(&format!("{path}/checks")).token(&t).send().await.assert_problem(403, "forbidden");
    app.get(&format!("{path}/compliance")).token(&t).send().await.assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/mentors/{}", other.id)).token(&t).send().await.assert_problem(404, "not_found");
    app.get("/api/v1/mentors").token(&t).send().await.assert_problem(403, "forbidden");

    // Supervision: the coordinator's notes never reach her.
    let ct = app.token(&coord).await;
    let supervision =
        json!({"held_on": "2026-11-20", "minutes": 45, "topics": ["boundaries"], "private_notes": "Watch for over-involvement."});
    app.post_json(&format!("{path}/supervision"), &ct, supervision).await.assert_status(201);
    let mine = app.get(&format!("{path}/supervision")).token(&t).send().await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["items"][0]["minutes"], 45);
    assert!(mine.body["items"][0].get("private_notes").is_none());
    assert!(!mine.text.contains("over-involvement"));
    let theirs = app.get(&format!("{path}/supervision")).token(&ct).send().await;
    assert_eq!(theirs.body["items"][0]["private_notes"], "Watch for over-involvement.");
    let own = json!({"held_on": "2026-11-20", "minutes": 45});
    app.post_json(&format!("{path}/supervision"), &t, own).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_profile_belongs_to_a_mentor_account_once() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let m = app.mentor(&admin, a).await;
    let profile =
        |user: uuid::Uuid| json!({"user_id": user, "districts": ["Ashworth"], "recruitment_source": "other", "start_date": "2026-01-05"});
    app.post_json("/api/v1/mentors", &admin, profile(m.id)).await.assert_problem(409, "conflict");
    let coord = app.user(a, Role::Coordinator).await;
    assert_eq!(app.post_json("/api/v1/mentors", &admin, profile(coord.id)).await.error_fields(), vec!["user_id"]);
}
