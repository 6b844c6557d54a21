//! Safeguarding concerns: raising and alerting, who sees what, the append-only chronology,
//! the flag, overdue acknowledgements and break-glass.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

const WORDS: &str = "older boy gave her a phone";

struct World {
    app: TestApp,
    admin: String,
    a: Uuid,
    b: Uuid,
    yp: Uuid,
    match_id: Uuid,
    mentor: TestUser,
    dsl: TestUser,
    programme_dsl: TestUser,
    coordinator: TestUser,
}

async fn world() -> World {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    trellis::mentors::service::ensure_catalogue(&app.db, chrono::Utc::now()).await.unwrap();
    let (rid, yp) = app.accepted_referral(&admin, a, json!({})).await;
    let mentor = app.compliant_mentor(&admin, a, json!({})).await;
    let match_id = app.active_match(&admin, rid, mentor.id).await;
    let dsl = app.user(a, Role::SafeguardingLead).await;
    let programme_dsl = app.user(lead, Role::SafeguardingLead).await;
    let coordinator = app.user(a, Role::Coordinator).await;
    World { app, admin, a, b, yp, match_id, mentor, dsl, programme_dsl, coordinator }
}

/// A concern the mentor raised: her token, its id and path, and the charity DSL's token.
struct Raised {
    mt: String,
    id: Uuid,
    path: String,
    dt: String,
}

async fn raised(w: &World) -> Raised {
    let mt = w.app.token(&w.mentor).await;
    let id = w.app.concern(&mt, w.yp, false).await;
    let path = format!("/api/v1/safeguarding/concerns/{id}");
    let dt = w.app.token(&w.dsl).await;
    Raised { mt, id, path, dt }
}

async fn flag(w: &World, mentor_token: &str) -> Value {
    let rec = w.app.get(&format!("/api/v1/young-people/{}", w.yp)).token(&w.admin).send().await.body["safeguarding_flag"].clone();
    let mentee =
        w.app.get(&format!("/api/v1/matches/{}/mentee", w.match_id)).token(mentor_token).send().await.body["safeguarding_flag"].clone();
    assert_eq!(rec, mentee);
    rec
}

async fn overdue(w: &World, at: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let app = &w.app;
    app.clock.set(at);
    let r = app.get("/api/v1/safeguarding/overdue").token(&app.token(&w.dsl).await).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<String> = r.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    let pd = app.get("/api/v1/safeguarding/overdue").token(&app.token(&w.programme_dsl).await).send().await;
    assert_eq!(pd.body["items"].as_array().unwrap().len(), ids.len());
    ids
}

async fn outbox(app: &TestApp) -> Vec<(String, Uuid, String, String)> {
    use sea_orm::{EntityTrait, QueryOrder};
    trellis::entities::outbox_message::Entity::find()
        .order_by_asc(trellis::entities::outbox_message::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.kind, m.recipient_id, m.subject, m.body))
        .collect()
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.audit_events(action).await.len() as i64
}

#[tokio::test]
async fn raising_a_concern_alerts_the_dsls_in_the_same_transaction_without_its_content() {
    let w = world().await;
    let mt = w.app.token(&w.mentor).await;
    let r = w.app.post_json("/api/v1/safeguarding/concerns", &mt, concern_json(w.yp, false)).await.assert_status(201);
    assert_eq!(r.body["status"], "raised");
    assert_eq!(r.body["visibility"], "own");
    assert_eq!(r.body["raised_by"], w.mentor.id.to_string());
    let id = r.body["id"].as_str().unwrap().to_string();
    let sent = outbox(&w.app).await;
    assert_eq!(sent.len(), 1, "only the charity's safeguarding lead: {sent:?}");
    let (kind, to, subject, body) = &sent[0];
    assert_eq!(kind, "safeguarding.concern_raised");
    assert_eq!(*to, w.dsl.id);
    assert!(subject.contains("county lines"));
    assert!(body.contains(&w.yp.to_string()) && body.contains(&w.mentor.name), "{body}");
    assert!(!body.contains(WORDS) && !subject.contains(WORDS) && !body.contains("train tickets"));
    // Sealed at rest.
    let raw: Vec<trellis::entities::concern::Model> = {
        use sea_orm::EntityTrait;
        trellis::entities::concern::Entity::find().all(&w.app.db).await.unwrap()
    };
    assert!(!raw[0].what_happened.contains(WORDS));
    // Immediate danger also tells the programme DSL.
    let ct = w.app.token(&w.coordinator).await;
    w.app.concern(&ct, w.yp, true).await;
    let sent = outbox(&w.app).await;
    let to: Vec<Uuid> = sent[1..].iter().map(|m| m.1).collect();
    assert_eq!(sent.len(), 3);
    assert!(to.contains(&w.dsl.id) && to.contains(&w.programme_dsl.id));
    assert!(sent[1].2.starts_with("IMMEDIATE DANGER"));
    // An Idempotency-Key makes a retry safe.
    for _ in 0..2 {
        let r = w.app.post_idempotent("/api/v1/safeguarding/concerns", &mt, "k-1", concern_json(w.yp, false)).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    assert_eq!(w.app.count("concerns").await, 3);
    assert_eq!(w.app.count("outbox_messages").await, 4);
    let _ = id;
}

#[tokio::test]
async fn a_concern_that_cannot_be_written_leaves_no_alert() {
    let w = world().await;
    let yp = {
        use sea_orm::EntityTrait;
        trellis::entities::young_person::Entity::find_by_id(w.yp).one(&w.app.db).await.unwrap().unwrap()
    };
    let now = w.app.state.now();
    let bad = trellis::entities::concern::Model {
        id: Uuid::now_v7(),
        organisation_id: yp.organisation_id,
        young_person_id: yp.id,
        // Refused by the database's foreign key (no such account), after the alerts were enqueued.
        raised_by: Uuid::now_v7(),
        raised_at: now,
        observed_at: now,
        category: trellis::entities::concern::Category::Cce,
        what_happened: "x".into(),
        action_taken: None,
        immediate_danger: true,
        status: trellis::entities::concern::ConcernStatus::Raised,
        acknowledged_at: None,
        closed_at: None,
    };
    let txn = trellis::db::begin_write(&w.app.db).await.unwrap();
    let r = trellis::safeguarding::write_concern(&txn, now, "Someone", bad).await;
    assert!(r.is_err());
    drop(txn);
    assert_eq!(w.app.count("outbox_messages").await, 0);
    assert_eq!(w.app.count("concerns").await, 0);
}

#[tokio::test]
async fn each_role_sees_exactly_what_is_described_and_every_read_is_audited() {
    let w = world().await;
    let app = &w.app;
    let Raised { mt, id, path, dt } = raised(&w).await;
    // The DSL acknowledges and records an action; the raiser adds an addendum.
    let r = app.concern_entry(&dt, id, json!({"kind": "acknowledgement", "text": "Read; calling her school."})).await.assert_status(201);
    assert_eq!(r.body["status"], "acknowledged");
    app.concern_entry(&mt, id, json!({"kind": "addendum", "text": "She also mentioned a car outside school."})).await.assert_status(201);
    app.concern_entry(&mt, id, json!({"kind": "acknowledgement"})).await.assert_problem(403, "forbidden");

    let before = audit_count(app, "concern.read").await;
    let full = app.get(&path).token(&dt).send().await;
    assert_eq!(full.body["visibility"], "full", "{}", full.text);
    assert!(full.body["what_happened"].as_str().unwrap().contains(WORDS));
    assert_eq!(full.body["entries"].as_array().unwrap().len(), 2);
    let pd = app.get(&path).token(&app.token(&w.programme_dsl).await).send().await;
    assert_eq!(pd.body["visibility"], "full");
    // The raiser: status and her own words only.
    let own = app.get(&path).token(&mt).send().await;
    assert_eq!(own.body["visibility"], "own");
    assert_eq!(own.body["status"], "acknowledged");
    assert!(own.body["what_happened"].as_str().unwrap().contains(WORDS));
    let entries = own.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "addendum");
    assert!(!own.text.contains("calling her school"));
    // Coordinator and programme admin: a summary without content.
    for token in [app.token(&w.coordinator).await, w.admin.clone()] {
        let s = app.get(&path).token(&token).send().await;
        assert_eq!(s.status, StatusCode::OK);
        assert_eq!(s.body["visibility"], "summary");
        assert_eq!(s.body["category"], "county_lines");
        assert!(s.body["what_happened"].is_null() && s.body["action_taken"].is_null() && s.body["entries"].is_null());
        assert!(!s.text.contains(WORDS) && !s.text.contains("car outside"));
    }
    assert_eq!(audit_count(app, "concern.read").await, before + 5);
    // Another charity's staff, another mentor, an evaluator: nothing.
    let other_coord = app.user(w.b, Role::Coordinator).await;
    let other_dsl = app.user(w.b, Role::SafeguardingLead).await;
    let other_mentor = app.user(w.a, Role::Mentor).await;
    for u in [&other_coord, &other_dsl, &other_mentor] {
        app.get(&path).token(&app.token(u).await).send().await.assert_problem(404, "not_found");
        let l = app.get("/api/v1/safeguarding/concerns").token(&app.token(u).await).send().await;
        assert_eq!(l.status, StatusCode::OK);
        assert_eq!(l.items().len(), 0);
    }
    let lead = {
        use sea_orm::EntityTrait;
        trellis::entities::user::Entity::find_by_id(w.programme_dsl.id).one(&app.db).await.unwrap().unwrap().organisation_id
    };
    let ev = app.user(lead, Role::Evaluator).await;
    let et = app.token(&ev).await;
    assert_eq!(app.get(&path).token(&et).send().await.status, StatusCode::NOT_FOUND);
    app.get("/api/v1/safeguarding/concerns").token(&et).send().await.assert_problem(403, "forbidden");
    // Lists are shaped the same way and audited.
    let listed = audit_count(app, "concerns.listed").await;
    let l =
        app.get(&format!("/api/v1/safeguarding/concerns?young_person_id={}", w.yp)).token(&app.token(&w.coordinator).await).send().await;
    assert_eq!(l.body["items"][0]["visibility"], "summary");
    assert!(!l.text.contains(WORDS));
    let l = app.get("/api/v1/safeguarding/concerns?status=acknowledged").token(&mt).send().await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(l.body["items"][0]["entries"].as_array().unwrap().len(), 1);
    let l = app.get("/api/v1/safeguarding/concerns?status=closed").token(&dt).send().await;
    assert_eq!(l.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(audit_count(app, "concerns.listed").await, listed + 3);
}

#[tokio::test]
async fn the_flag_follows_the_concerns_on_her_record_the_mentee_view_and_the_chronology() {
    let w = world().await;
    let app = &w.app;
    let mt = app.token(&w.mentor).await;
    let dt = app.token(&w.dsl).await;
    let ct = app.token(&w.coordinator).await;
    assert_eq!(flag(&w, &mt).await, "green");
    let id = app.concern(&mt, w.yp, false).await;
    assert_eq!(flag(&w, &mt).await, "amber");
    let entries = format!("/api/v1/safeguarding/concerns/{id}/entries");
    app.post(&entries).token(&dt).json(json!({"kind": "acknowledgement"})).send().await;
    let decision = json!({"kind": "decision", "decision": "mash_referral", "agency": "Ashworth MASH", "agency_reference": "MASH-2026-0412",
        "consent_basis": "without_consent_risk_of_harm", "text": "Threshold met."});
    let r = app.post_json(&entries, &dt, decision).await.assert_status(201);
    assert_eq!(r.body["status"], "referred");
    assert_eq!(flag(&w, &mt).await, "red");
    let r = app.post(&entries).token(&dt).json(json!({"kind": "sign_off", "outcome": "handed_to_agency"})).send().await;
    assert_eq!(r.body["status"], "closed");
    assert_eq!(flag(&w, &mt).await, "green");
    let id2 = app.concern(&ct, w.yp, true).await;
    assert_eq!(flag(&w, &mt).await, "red");
    // The chronology: "concern raised" for everyone who reads it; words only with detail rights.
    let chron = app.get(&format!("/api/v1/young-people/{}/chronology", w.yp)).token(&ct).send().await;
    let raised: Vec<&Value> = chron.body["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "concern_raised").collect();
    assert_eq!(raised.len(), 2);
    let mine = raised.iter().find(|e| e["concern_id"] == id.to_string()).unwrap();
    assert!(mine["text"].is_null(), "{}", chron.text);
    // Her own concern: her own words.
    let hers = raised.iter().find(|e| e["concern_id"] == id2.to_string()).unwrap();
    assert!(hers["text"].as_str().unwrap().contains(WORDS));
    let before = audit_count(app, "concerns.read_in_chronology").await;
    let chron = app.get(&format!("/api/v1/young-people/{}/chronology", w.yp)).token(&dt).send().await;
    assert!(chron.text.contains(WORDS));
    assert_eq!(audit_count(app, "concerns.read_in_chronology").await, before + 1, "reading the words in the chronology is audited");
}

#[tokio::test]
async fn entries_follow_the_status_and_bad_input_is_refused_naming_the_field() {
    let w = world().await;
    let app = &w.app;
    let mt = app.token(&w.mentor).await;
    let dt = app.token(&w.dsl).await;
    let id = app.concern(&mt, w.yp, false).await;
    let entries = format!("/api/v1/safeguarding/concerns/{id}/entries");
    let r = app.post(&entries).token(&dt).json(json!({"kind": "decision", "decision": "monitor"})).send().await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["allowed"], json!(["addendum", "acknowledgement"]));
    app.post(&entries).token(&dt).json(json!({"kind": "acknowledgement"})).send().await;
    let r = app.post(&entries).token(&dt).json(json!({"kind": "decision", "decision": "police"})).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["agency", "agency_reference", "consent_basis"]);
    let r = app.post(&entries).token(&dt).json(json!({"kind": "sign_off"})).send().await;
    assert_eq!(r.error_fields(), vec!["outcome"]);
    let r = app.post(&entries).token(&dt).json(json!({"kind": "addendum", "text": "  "})).send().await;
    assert_eq!(r.error_fields(), vec!["text"]);
    let r = app.post(&entries).token(&dt).json(json!({"kind": "shrug"})).send().await;
    assert_eq!(r.error_fields(), vec!["kind"]);
    app.post(&entries).token(&dt).json(json!({"kind": "sign_off", "outcome": "resolved"})).send().await;
    let r = app.post(&entries).token(&dt).json(json!({"kind": "acknowledgement"})).send().await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["allowed"], json!(["addendum"]));
    // Raising: a bad field each time, and nothing written.
    let before = app.count("concerns").await;
    let cases = [
        ("observed_at", json!((start_time() + chrono::Duration::hours(2)).to_rfc3339())),
        ("what_happened", json!("   ")),
        ("what_happened", json!("")),
        ("category", json!("gossip")),
    ];
    for (field, value) in cases {
        let mut body = concern_json(w.yp, false);
        body[field] = value;
        let r = app.post("/api/v1/safeguarding/concerns").token(&mt).json(body).send().await;
        r.assert_problem(422, "validation_failed");
        let fields = r.error_fields();
        assert!(!fields.is_empty() && fields.iter().all(|f| f == field), "{}", r.text);
    }
    // Unknown young person, or one she does not work with: 404.
    let r = app.post("/api/v1/safeguarding/concerns").token(&mt).json(concern_json(Uuid::now_v7(), false)).send().await;
    r.assert_problem(404, "not_found");
    let (_, stranger) = app.referral(&w.admin, w.a).await;
    let r = app.post("/api/v1/safeguarding/concerns").token(&mt).json(concern_json(stranger, false)).send().await;
    r.assert_problem(404, "not_found");
    let (_, elsewhere) = app.referral(&w.admin, w.b).await;
    let r =
        app.post("/api/v1/safeguarding/concerns").token(&app.token(&w.coordinator).await).json(concern_json(elsewhere, false)).send().await;
    r.assert_problem(404, "not_found");
    assert_eq!(app.count("concerns").await, before);
    assert_eq!(app.count("outbox_messages").await, 1);
}

#[tokio::test]
async fn a_concern_cannot_be_changed_or_removed_through_any_route() {
    let w = world().await;
    let app = &w.app;
    let Raised { mt, path, dt, .. } = raised(&w).await;
    let before = app.get(&path).token(&dt).send().await.text;
    let change = json!({"what_happened": "Nothing happened.", "status": "closed"});
    for token in [&w.admin, &dt, &mt] {
        for method in [Method::PATCH, Method::PUT, Method::DELETE] {
            let r = app.req(method.clone(), &path).token(token).json(change.clone()).send().await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {}", r.text);
        }
        for p in [format!("{path}/entries"), "/api/v1/safeguarding/concerns".into()] {
            let r = app.req(Method::DELETE, &p).token(token).send().await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        }
    }
    assert_eq!(app.get(&path).token(&dt).send().await.text, before);
}

#[tokio::test]
async fn overdue_acknowledgements_follow_the_fixed_clock() {
    let w = world().await;
    let app = &w.app;
    // Monday 09:00.
    let ct = app.token(&w.coordinator).await;
    let urgent = app.concern(&ct, w.yp, true).await;
    let routine = app.concern(&ct, w.yp, false).await;
    assert!(overdue(&w, start_time() + chrono::Duration::minutes(59)).await.is_empty());
    assert_eq!(overdue(&w, start_time() + chrono::Duration::minutes(61)).await, vec![urgent.to_string()]);
    assert_eq!(
        overdue(&w, start_time() + chrono::Duration::hours(24) + chrono::Duration::minutes(1)).await,
        vec![urgent.to_string(), routine.to_string()]
    );
    // Another charity's DSL sees none of them; coordinators may not ask.
    let other = app.user(w.b, Role::SafeguardingLead).await;
    let r = app.get("/api/v1/safeguarding/overdue").token(&app.token(&other).await).send().await;
    assert_eq!(r.items().len(), 0);
    app.get("/api/v1/safeguarding/overdue").token(&app.token(&w.coordinator).await).send().await.assert_problem(403, "forbidden");
    // Acknowledged: no longer overdue.
    let r = app.concern_entry(&app.token(&w.dsl).await, urgent, json!({"kind": "acknowledgement"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(overdue(&w, start_time() + chrono::Duration::hours(25)).await, vec![routine.to_string()]);
}

#[tokio::test]
async fn break_glass_opens_the_detail_for_a_programme_admin_audited_and_told_to_the_programme_dsl() {
    let w = world().await;
    let app = &w.app;
    let mt = app.token(&w.mentor).await;
    let id = app.concern(&mt, w.yp, false).await;
    let path = format!("/api/v1/safeguarding/concerns/{id}/break-glass");
    let r = app.post(&path).token(&w.admin).json(json!({"justification": "short"})).send().await;
    assert_eq!(r.error_fields(), vec!["justification"]);
    let r = app.post(&path).token(&app.token(&w.coordinator).await).json(json!({"justification": "Police on the phone now."})).send().await;
    r.assert_problem(403, "forbidden");
    let before = app.count("outbox_messages").await;
    let r = app.post_json(&path, &w.admin, json!({"justification": "Police on the phone now; DSL unreachable."})).await.assert_status(200);
    assert_eq!(r.body["visibility"], "full");
    assert!(r.body["what_happened"].as_str().unwrap().contains(WORDS));
    assert_eq!(audit_count(app, "concern.break_glass").await, 1);
    let detail = app.audit_events("concern.break_glass").await[0].detail.text().to_string();
    assert!(detail.contains("justification_sealed") && !detail.contains("Police on the phone"), "{detail}");
    let sent = outbox(app).await;
    assert_eq!(app.count("outbox_messages").await, before + 1);
    let last = sent.last().unwrap();
    assert_eq!(last.0, "safeguarding.break_glass");
    assert_eq!(last.1, w.programme_dsl.id);
    assert!(!last.3.contains(WORDS));
}

#[tokio::test]
async fn the_demo_has_concerns_in_every_status_and_category_with_their_alerts() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let all = trellis::entities::concern::Entity::find().all(&app.db).await.unwrap();
    let statuses: std::collections::HashSet<&str> = all.iter().map(|c| c.status.as_str()).collect();
    let categories: std::collections::HashSet<&str> = all.iter().map(|c| c.category.as_str()).collect();
    assert_eq!(statuses.len(), 5, "{statuses:?}");
    assert_eq!(categories.len(), 10, "{categories:?}");
    let entries = trellis::entities::concern_entry::Entity::find().all(&app.db).await.unwrap();
    assert!(entries.iter().any(|e| e.kind == trellis::entities::concern_entry::EntryKind::Addendum));
    assert!(
        entries
            .iter()
            .any(|e| e.decision == Some(trellis::entities::concern_entry::Decision::MashReferral) && e.agency_reference.is_some())
    );
    assert!(app.count("outbox_messages").await >= all.len() as i64);
    let overdue = all
        .iter()
        .filter(|c| c.status == trellis::entities::concern::ConcernStatus::Raised && c.raised_at < start_time() - chrono::Duration::days(1))
        .count();
    assert!(overdue > 0);
    for c in &all {
        let m = trellis::entities::matching::Entity::find().all(&app.db).await.unwrap();
        assert!(m.iter().any(|m| m.young_person_id == c.young_person_id && m.mentor_id == c.raised_by));
    }
}

#[tokio::test]
async fn her_concerns_follow_her_record_when_she_is_allocated_or_merged() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    let dsl_a = app.token(&app.user(a, Role::SafeguardingLead).await).await;
    let dsl_b = app.token(&app.user(b, Role::SafeguardingLead).await).await;
    let (rid, yp) = app.referral(&admin, a).await;
    let id = app.concern(&admin, yp, true).await;
    let path = format!("/api/v1/safeguarding/concerns/{id}");
    assert_eq!(app.get(&path).token(&dsl_a).send().await.status, 200);
    app.get(&path).token(&dsl_b).send().await.assert_problem(404, "not_found");

    // Allocated to charity B: B's safeguarding lead now holds the concern, A's no longer.
    app.allocate(&admin, rid, b, "Closer to home.").await.assert_status(200);
    let r = app.get(&path).token(&dsl_b).send().await.assert_status(200);
    assert_eq!(r.body["visibility"], "full");
    app.get(&path).token(&dsl_a).send().await.assert_problem(404, "not_found");
    let overdue_b = app.get("/api/v1/safeguarding/overdue").token(&dsl_b).send().await;
    assert_eq!(overdue_b.status, 200);

    // Merged into another record of charity B: the concern and the red flag go with her.
    let (_, keep) = app.referral(&admin, b).await;
    let f = app.duplicate_flag(yp, keep, start_time()).await;
    app.merge(&admin, f.id, keep).await.assert_status(200);
    let r = app.get(&path).token(&dsl_b).send().await;
    assert_eq!(r.body["young_person_id"], keep.to_string(), "{}", r.text);
    let kept = app.get(&format!("/api/v1/young-people/{keep}")).token(&admin).send().await;
    assert_eq!(kept.body["safeguarding_flag"], "red");
    let gone = app.get(&format!("/api/v1/young-people/{yp}")).token(&admin).send().await;
    assert_eq!(gone.body["safeguarding_flag"], "green");
}
