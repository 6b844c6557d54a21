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

fn dbs(issued: &str) -> Value {
    json!({"kind": "dbs", "completed_on": issued, "dbs": {"certificate_number": "001234567890", "issue_date": issued, "workforce": "child",
        "level": "enhanced", "barred_list_checked": true, "result": "clear", "update_service": false}})
}

fn simple(kind: &str) -> Value {
    json!({"kind": kind, "completed_on": "2026-02-01", "outcome": "satisfactory"})
}

fn reference() -> Value {
    json!({"kind": "reference", "completed_on": "2026-02-01", "outcome": "satisfactory", "reference": {"referee_relationship": "Employer", "received_on": "2026-02-01"}})
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
    let etag = app.get(&path).token(&t).send().await.header("etag").unwrap().to_string();
    assert_eq!(app.patch(&path).token(&t).header("if-match", &etag).json(json!({"status": "approved"})).send().await.status, 200);

    let mut steps: Vec<(String, Value)> = vec![
        ("checks".into(), dbs("2025-06-01")),
        ("checks".into(), reference()),
        ("checks".into(), reference()),
        ("checks".into(), simple("interview")),
        ("checks".into(), simple("identity")),
        ("checks".into(), simple("code_of_conduct")),
        ("checks".into(), simple("volunteer_agreement")),
    ];
    for c in &courses {
        steps.push(("training".into(), json!({"course_id": c["id"], "completed_on": "2026-09-01", "provider": "Programme team"})));
    }
    let last = steps.len() - 1;
    for (i, (kind, body)) in steps.into_iter().enumerate() {
        let before = app.get(&format!("{path}/compliance")).token(&t).send().await;
        assert_eq!(before.body["matchable"], false, "before step {i}");
        let r = app.post(&format!("{path}/{kind}")).token(&t).json(body).send().await;
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
    let etag = app.get(&path).token(&admin).send().await.header("etag").unwrap().to_string();
    app.patch(&path).token(&admin).header("if-match", &etag).json(json!({"status": "approved"})).send().await;
    for body in [
        dbs("2025-06-01"),
        reference(),
        reference(),
        simple("interview"),
        simple("identity"),
        simple("code_of_conduct"),
        simple("volunteer_agreement"),
    ] {
        assert_eq!(app.post(&format!("{path}/checks")).token(&admin).json(body).send().await.status, 201);
    }
    // Data protection lasts 12 months: completed 2025-12-01, it lapses on 2026-12-01.
    for c in &courses {
        let done = if c["validity_months"] == 12 { "2025-12-01" } else { "2026-09-01" };
        assert_eq!(
            app.post(&format!("{path}/training"))
                .token(&admin)
                .json(json!({"course_id": c["id"], "completed_on": done, "provider": "Team"}))
                .send()
                .await
                .status,
            201
        );
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
    let r = app.post("/api/v1/matches").token(&admin).json(json!({"referral_id": rid2, "mentor_id": m.id})).send().await;
    r.assert_problem(409, "conflict");
    assert!(r.body["detail"].as_str().unwrap().contains("not_compliant"), "{}", r.text);
    app.clock.advance(Duration::days(-1));
}

#[tokio::test]
async fn checks_are_never_edited_in_place_and_a_correction_supersedes() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.admin_token(lead).await;
    let m = app.mentor(&admin, a).await;
    let path = format!("/api/v1/mentors/{}/checks", m.id);
    let bad = app
        .post(&path)
        .token(&admin)
        .json(json!({"kind": "interview", "completed_on": "2026-02-01", "outcome": "unsatisfactory"}))
        .send()
        .await;
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
    let fix = app
        .post(&path)
        .token(&admin)
        .json(json!({"kind": "interview", "completed_on": "2026-02-01", "outcome": "satisfactory", "supersedes": id}))
        .send()
        .await;
    assert_eq!(fix.status, 201, "{}", fix.text);
    let wrong_kind = app
        .post(&path)
        .token(&admin)
        .json(json!({"kind": "identity", "completed_on": "2026-02-01", "outcome": "satisfactory", "supersedes": id}))
        .send()
        .await;
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
    let mut body = dbs("2025-06-01");
    body["dbs"]["certificate_number"] = json!("12345");
    assert_eq!(app.post(&checks).token(&admin).json(body).send().await.error_fields(), vec!["dbs.certificate_number"]);
    let mut body = dbs("2025-06-01");
    body["dbs"]["issue_date"] = json!("2030-01-01");
    assert_eq!(app.post(&checks).token(&admin).json(body).send().await.error_fields(), vec!["dbs.issue_date"]);
    let mut body = dbs("2025-06-01");
    body["dbs"]["result"] = json!("information_disclosed");
    assert_eq!(app.post(&checks).token(&admin).json(body).send().await.error_fields(), vec!["dbs.decision"]);
    assert_eq!(
        app.post(&checks)
            .token(&admin)
            .json(json!({"kind": "reference", "completed_on": "2026-01-01", "outcome": "satisfactory"}))
            .send()
            .await
            .error_fields(),
        vec!["reference"]
    );
    let training = format!("/api/v1/mentors/{}/training", m.id);
    let course = &courses[0]["id"];
    assert_eq!(
        app.post(&training)
            .token(&admin)
            .json(json!({"course_id": course, "completed_on": "2019-01-01", "provider": "X"}))
            .send()
            .await
            .error_fields(),
        vec!["completed_on"]
    );
    assert_eq!(
        app.post(&training)
            .token(&admin)
            .json(json!({"course_id": course, "completed_on": "2027-01-01", "provider": "X"}))
            .send()
            .await
            .error_fields(),
        vec!["completed_on"]
    );
    assert_eq!(
        app.post(&training)
            .token(&admin)
            .json(json!({"course_id": uuid::Uuid::now_v7(), "completed_on": "2026-01-01", "provider": "X"}))
            .send()
            .await
            .error_fields(),
        vec!["course_id"]
    );
    let path = format!("/api/v1/mentors/{}", m.id);
    for cap in [0, 6] {
        let r = app.patch(&path).token(&admin).header("if-match", "\"1\"").json(json!({"capacity": cap})).send().await;
        assert_eq!(r.error_fields(), vec!["capacity"]);
    }
    assert_eq!(app.count("mentor_checks").await, 0);
    assert_eq!(app.count("training_records").await, 0);
}

#[tokio::test]
async fn a_mentor_sees_and_changes_only_what_is_hers_to() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.admin_token(lead).await;
    let coord = app.user(a, Role::Coordinator).await;
    let m = app.mentor(&admin, a).await;
    let other = app.mentor(&admin, a).await;
    let t = app.token(&m).await;
    let path = format!("/api/v1/mentors/{}", m.id);
    let me = app.get(&path).token(&t).send().await;
    assert_eq!(me.status, 200);
    let etag = me.header("etag").unwrap().to_string();
    let r = app
        .patch(&path)
        .token(&t)
        .header("if-match", &etag)
        .json(json!({"interests": ["art", "music"], "availability": [{"day": "mon", "part": "evening"}]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let etag = r.header("etag").unwrap().to_string();
    app.patch(&path).token(&t).header("if-match", &etag).json(json!({"status": "approved"})).send().await.assert_problem(403, "forbidden");
    app.patch(&path).token(&t).header("if-match", &etag).json(json!({"capacity": 3})).send().await.assert_problem(403, "forbidden");
    app.get(&format!("{path}/checks")).token(&t).send().await.assert_problem(403, "forbidden");
    app.get(&format!("{path}/compliance")).token(&t).send().await.assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/mentors/{}", other.id)).token(&t).send().await.assert_problem(404, "not_found");
    app.get("/api/v1/mentors").token(&t).send().await.assert_problem(403, "forbidden");

    // Supervision: the coordinator's notes never reach her.
    let ct = app.token(&coord).await;
    let s = app
        .post(&format!("{path}/supervision"))
        .token(&ct)
        .json(json!({"held_on": "2026-11-20", "minutes": 45, "topics": ["boundaries"], "private_notes": "Watch for over-involvement."}))
        .send()
        .await;
    assert_eq!(s.status, 201, "{}", s.text);
    let mine = app.get(&format!("{path}/supervision")).token(&t).send().await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["items"][0]["minutes"], 45);
    assert!(mine.body["items"][0].get("private_notes").is_none());
    assert!(!mine.text.contains("over-involvement"));
    let theirs = app.get(&format!("{path}/supervision")).token(&ct).send().await;
    assert_eq!(theirs.body["items"][0]["private_notes"], "Watch for over-involvement.");
    app.post(&format!("{path}/supervision"))
        .token(&t)
        .json(json!({"held_on": "2026-11-20", "minutes": 45}))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_profile_belongs_to_a_mentor_account_once() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let admin = app.admin_token(lead).await;
    let m = app.mentor(&admin, a).await;
    let body = json!({"user_id": m.id, "districts": ["Ashworth"], "recruitment_source": "other", "start_date": "2026-01-05"});
    app.post("/api/v1/mentors").token(&admin).json(body).send().await.assert_problem(409, "conflict");
    let coord = app.user(a, Role::Coordinator).await;
    let body = json!({"user_id": coord.id, "districts": ["Ashworth"], "recruitment_source": "other", "start_date": "2026-01-05"});
    assert_eq!(app.post("/api/v1/mentors").token(&admin).json(body).send().await.error_fields(), vec!["user_id"]);
}
