//! Referrals and young people's records: intake, eligibility, consent, transitions,
//! allocation, duplicates, notes and chronology.

use sea_orm::EntityTrait;
use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn a_coordinator_records_a_referral_and_sees_its_eligibility() {
    let app = TestApp::spawn().await;
    let (_, a, _) = app.charities().await;
    let coord = app.user(a, Role::Coordinator).await;
    let token = app.token(&coord).await;
    let mut body = referral_json(a);
    body.as_object_mut().unwrap().remove("organisation_id");
    body["young_person"].as_object_mut().unwrap().remove("organisation_id");
    body["young_person"]["postcode"] = json!("zz1 1aa");
    let r = app.post_json("/api/v1/referrals", &token, body).await.assert_status(201);
    assert_eq!(r.body["status"], "received");
    assert_eq!(r.body["organisation_id"], a.to_string());
    assert_eq!(r.body["eligibility"]["eligible"], true, "{}", r.text);
    assert_eq!(r.body["allowed_transitions"], json!(["screening"]));
    assert_eq!(r.body["referrer"]["name"], "Ms Head of Year");
    let yp = r.body["young_person_id"].as_str().unwrap();
    let y = app.get(&format!("/api/v1/young-people/{yp}")).token(&token).send().await.assert_status(200);
    assert_eq!(y.body["postcode"], "ZZ1 1AA");
    assert_eq!(y.body["ace_count"], 4);
    assert_eq!(y.body["ethnic_group"], "mixed");
    assert_eq!(y.body["safeguarding_flag"], "green");
    assert_eq!(y.body["contact_details"], "Mobile 07700 900123");
}

#[tokio::test]
async fn narrative_and_contact_details_are_encrypted_at_rest() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, yp) = app.referral(&admin, a).await;
    let r = trellis::entities::referral::Entity::find_by_id(rid).one(&app.db).await.unwrap().unwrap();
    assert!(!r.reasons.contains("Missing from home"));
    assert!(!r.referrer.contains("Head of Year"));
    let y = trellis::entities::young_person::Entity::find_by_id(yp).one(&app.db).await.unwrap().unwrap();
    assert!(!y.contact_details.unwrap().contains("07700"));
}

#[tokio::test]
async fn every_transition_is_allowed_or_refused_as_the_machine_says() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let statuses = ["received", "screening", "accepted", "declined", "waitlisted", "matched", "active", "closed"];
    // Matched and active are reached only through a match, and an active referral closes
    // when its match ends, so none of those moves can be made by hand.
    let allowed = [
        ("received", "screening"),
        ("screening", "accepted"),
        ("screening", "declined"),
        ("screening", "waitlisted"),
        ("waitlisted", "accepted"),
        ("waitlisted", "closed"),
        ("accepted", "closed"),
    ];
    for from in statuses {
        for to in statuses {
            let rid = app.referral_at(&admin, a, from).await;
            let mut body = json!({"to": to, "reason": "Decided at the referrals meeting.", "closure_reason": "goals_met"});
            if to == "accepted" {
                body["eligibility_override"] = json!("Not needed but harmless here.");
            }
            let r = app.transition_referral(&admin, rid, body).await;
            if allowed.contains(&(from, to)) {
                assert_eq!(r.status, 200, "{from} -> {to}: {}", r.text);
                assert_eq!(r.body["status"], to);
            } else {
                r.assert_problem(409, "conflict");
                let expected: Vec<&str> = allowed.iter().filter(|(f, _)| *f == from).map(|(_, t)| *t).collect();
                assert_eq!(r.body["allowed"], json!(expected), "{from} -> {to}");
            }
        }
    }
}

#[tokio::test]
async fn declining_needs_a_reason_and_closing_a_closure_reason() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, _) = app.referral(&admin, a).await;
    app.move_referral(&admin, rid, &["screening"]).await;
    let r = app.transition_referral(&admin, rid, json!({"to": "declined"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["reason"]);
    let (rid, _) = app.referral(&admin, a).await;
    app.move_referral(&admin, rid, &["screening", "accepted"]).await;
    let r = app.transition_referral(&admin, rid, json!({"to": "closed"})).await;
    assert_eq!(r.error_fields(), vec!["closure_reason"]);
    let r = app.transition_referral(&admin, rid, json!({"to": "closed", "closure_reason": "moved_abroad"})).await;
    assert_eq!(r.error_fields(), vec!["closure_reason"]);
    let r = app.get(&format!("/api/v1/referrals/{rid}")).token(&admin).send().await;
    assert_eq!(r.body["status"], "accepted", "nothing changed");
}

#[tokio::test]
async fn accepting_an_ineligible_referral_needs_a_written_override_which_is_audited() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let mut body = referral_json(a);
    body["young_person"]["risk_indicators"] = json!([]);
    let r = app.post_json("/api/v1/referrals", &admin, body).await.assert_status(201);
    assert_eq!(r.body["eligibility"]["eligible"], false);
    assert!(r.body["eligibility"]["reasons"].as_array().unwrap().iter().any(|x| x.as_str().unwrap().contains("no risk indicator")));
    let rid = r.id();
    app.move_referral(&admin, rid, &["screening"]).await;
    let r = app.transition_referral(&admin, rid, json!({"to": "accepted"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["eligibility_override"]);
    let over = json!({"to": "accepted", "eligibility_override": "Police intelligence of exploitation not yet on her record."});
    let r = app.transition_referral(&admin, rid, over).await.assert_status(200);
    assert_eq!(r.body["eligibility_override"], "Police intelligence of exploitation not yet on her record.");
    let events = app.audit_events("referral.transitioned").await;
    assert!(events.iter().any(|e| e.detail.text().contains("\"eligibility_override\":true")), "{events:?}");
}

#[tokio::test]
async fn no_referral_is_accepted_without_consent_or_a_justified_override() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    // Under 16, her own consent but no parent's and no Gillick assessment.
    let mut body = referral_json(a);
    body["young_person"]["consents"] = json!([
        {"kind": "participation", "given_by": "young_person", "method": "written", "recorded_on": "2026-10-01"},
        {"kind": "information_sharing", "given_by": "young_person", "method": "written", "recorded_on": "2026-10-01"}
    ]);
    let r = app.post_json("/api/v1/referrals", &admin, body).await;
    let rid = r.id();
    let yp = r.body["young_person_id"].as_str().unwrap().to_string();
    app.move_referral(&admin, rid, &["screening"]).await;
    let r = app.transition_referral(&admin, rid, json!({"to": "accepted"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["consent_override"]);
    assert!(r.text.contains("parent"), "{}", r.text);
    // Recording Gillick competence is enough.
    app.patch_current(&format!("/api/v1/young-people/{yp}"), &admin, json!({"gillick_competent": true})).await.assert_status(200);
    app.transition_referral(&admin, rid, json!({"to": "accepted"})).await.assert_status(200);
}

#[tokio::test]
async fn eligibility_turns_on_her_11th_birthday_and_off_on_her_25th() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    for (dob, received, eligible) in [
        ("2015-11-02", "2026-11-01", false),
        ("2015-11-02", "2026-11-02", true),
        ("2001-11-02", "2026-11-01", true),
        ("2001-11-02", "2026-11-02", false),
    ] {
        let mut body = referral_json(a);
        body["young_person"]["date_of_birth"] = json!(dob);
        body["received_on"] = json!(received);
        let r = app.post_json("/api/v1/referrals", &admin, body).await.assert_status(201);
        assert_eq!(r.body["eligibility"]["eligible"], eligible, "born {dob}, referred {received}: {}", r.body["eligibility"]);
    }
}

#[tokio::test]
async fn bad_records_are_refused_naming_the_field_and_nothing_is_stored() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let before = app.count("young_people").await;
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("date_of_birth", json!("2030-01-01"), "young_person.date_of_birth"),
        ("date_of_birth", json!("1980-01-01"), "young_person.date_of_birth"),
        ("postcode", json!("NOT A POSTCODE"), "young_person.postcode"),
        ("lsoa_code", json!("W01000001"), "young_person.lsoa_code"),
        ("imd_decile", json!(11), "young_person.imd_decile"),
        ("ethnicity", json!("martian"), "young_person.ethnicity"),
        ("care_status", json!("sometimes"), "young_person.care_status"),
    ];
    for (field, value, named) in cases {
        let mut body = referral_json(a);
        body["young_person"][field] = value;
        let r = app.post_json("/api/v1/referrals", &admin, body).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), vec![named.to_string()], "{field}: {}", r.text);
    }
    let mut body = referral_json(a);
    body["young_person"]["aces"][0].as_object_mut().unwrap().remove("source");
    let r = app.post_json("/api/v1/referrals", &admin, body).await;
    assert_eq!(r.error_fields(), vec!["young_person.aces[0].source"], "{}", r.text);
    let mut body = referral_json(a);
    body["young_person"]["consents"][0].as_object_mut().unwrap().remove("given_by");
    let r = app.post_json("/api/v1/referrals", &admin, body).await;
    assert_eq!(r.error_fields(), vec!["young_person.consents[0].given_by"], "{}", r.text);
    let body = with(referral_json(a), "received_on", json!("2027-01-01"));
    assert_eq!(app.post_json("/api/v1/referrals", &admin, body).await.error_fields(), vec!["received_on"]);
    assert_eq!(app.count("young_people").await, before);
    assert_eq!(app.count("referrals").await, 0);
}

#[tokio::test]
async fn allocation_moves_her_record_and_ends_the_old_charitys_access() {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    let coord_a = app.user(a, Role::Coordinator).await;
    let coord_b = app.user(b, Role::Coordinator).await;
    let (ta, tb) = (app.token(&coord_a).await, app.token(&coord_b).await);
    let (rid, yp) = app.referral(&admin, a).await;
    let note = app.note(&ta, yp, "First meeting arranged.").await;
    assert_eq!(note.status, 201);
    assert_eq!(app.get(&format!("/api/v1/referrals/{rid}")).token(&tb).send().await.status, 404);

    app.allocate(&ta, rid, b, "Closer to home.").await.assert_problem(403, "forbidden");
    assert_eq!(app.allocate(&admin, rid, lead, "x").await.error_fields(), vec!["organisation_id"]);
    let r = app.allocate(&admin, rid, b, "Closer to home.").await.assert_status(200);
    assert_eq!(r.body["organisation_id"], b.to_string());

    for path in [format!("/api/v1/referrals/{rid}"), format!("/api/v1/young-people/{yp}"), format!("/api/v1/young-people/{yp}/notes")] {
        app.get(&path).token(&ta).send().await.assert_problem(404, "not_found");
        assert_eq!(app.get(&path).token(&tb).send().await.status, 200, "{path}");
    }
    let list = app.get("/api/v1/referrals").token(&ta).send().await;
    assert_eq!(list.items().len(), 0);
    let chron = app.get(&format!("/api/v1/young-people/{yp}/chronology")).token(&tb).send().await;
    assert!(chron.body["items"].as_array().unwrap().iter().any(|e| e["kind"] == "referral_allocated"), "{}", chron.text);
}

#[tokio::test]
async fn the_duplicate_check_offers_her_own_match_and_never_leaks_another_charitys() {
    let app = TestApp::spawn().await;
    let (lead, a, b) = app.charities().await;
    let coord_a = app.user(a, Role::Coordinator).await;
    let coord_b = app.user(b, Role::Coordinator).await;
    let (ta, tb) = (app.token(&coord_a).await, app.token(&coord_b).await);
    let mut first = referral_json(a);
    first["young_person"]["legal_name"] = json!("Keira Marsh");
    first["young_person"]["contact_details"] = json!("Secret phone 07700 900555");
    let r = app.post_json("/api/v1/referrals", &ta, first.clone()).await.assert_status(201);
    let original = r.body["young_person_id"].as_str().unwrap().to_string();

    // Same charity: offered for linking (409 naming her record), unless confirmed different.
    let mut again = first.clone();
    again["young_person"]["legal_name"] = json!("KEIRA  marsh");
    let r = app.post_json("/api/v1/referrals", &ta, again.clone()).await;
    r.assert_problem(409, "conflict");
    assert!(r.text.contains(&original));

    // Another charity: created, with a notice that says nothing about the other record.
    let mut theirs = again.clone();
    theirs["organisation_id"] = json!(b);
    theirs["young_person"]["organisation_id"] = json!(b);
    let r = app.post_json("/api/v1/referrals", &tb, theirs).await.assert_status(201);
    assert_eq!(r.body["duplicate_check"]["notice"], "A possible duplicate is held by another partner; the programme admin has been told.");
    assert_eq!(r.body["duplicate_check"]["own_charity_matches"], json!([]));
    assert!(!r.text.contains(&original));
    assert!(!r.text.contains(&a.to_string()));
    assert!(!r.text.contains("900555"));

    // The programme admin sees the pair and can merge them.
    let admin = app.admin_token(lead).await;
    let d = app.get("/api/v1/duplicates").token(&admin).send().await;
    assert_eq!(d.status, 200);
    let items = d.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["possible_duplicate_of"]["id"], original);
    let flag = items[0]["id"].as_str().unwrap();
    let r = app.merge(&admin, flag, &original).await.assert_status(200);
    assert_eq!(r.body["status"], "merged");
    let resolve = format!("/api/v1/duplicates/{flag}/resolve");
    app.post_json(&resolve, &admin, json!({"action": "dismiss"})).await.assert_problem(409, "conflict");
    // Both referrals are now on the kept record.
    let refs = trellis::young_people::service::referrals_of(&app.db, original.parse().unwrap()).await.unwrap();
    assert_eq!(refs.len(), 2);
    app.get("/api/v1/duplicates").token(&ta).send().await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn notes_are_append_only_and_corrections_reference_the_original() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let coord = app.user(a, Role::Coordinator).await;
    let token = app.token(&coord).await;
    let (_, yp) = app.referral(&admin, a).await;
    let path = format!("/api/v1/young-people/{yp}/notes");
    let first = app.note(&token, yp, "Met her at school on Tuesday.").await;
    assert_eq!(first.status, 201);
    let id = first.body["id"].as_str().unwrap().to_string();
    let fix = app.post_json(&path, &token, json!({"body": "Correction: it was Wednesday.", "corrects": id})).await.assert_status(201);
    assert_eq!(fix.body["corrects"], id);
    let bad = app.post(&path).token(&token).json(json!({"body": "x", "corrects": uuid::Uuid::now_v7()})).send().await;
    assert_eq!(bad.error_fields(), vec!["corrects"]);
    for method in [axum::http::Method::PATCH, axum::http::Method::DELETE, axum::http::Method::PUT] {
        let r = app.req(method.clone(), &format!("{path}/{id}")).token(&token).json(json!({"body": "changed"})).send().await;
        assert!(r.status == 404 || r.status == 405, "{method}: {}", r.status);
        let r = app.req(method.clone(), &path).token(&token).json(json!({"body": "changed"})).send().await;
        r.assert_problem(405, "method_not_allowed");
    }
    let list = app.get(&path).token(&token).send().await;
    let bodies: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["Correction: it was Wednesday.", "Met her at school on Tuesday."], "newest first, nothing changed");
    let chron = app.get(&format!("/api/v1/young-people/{yp}/chronology")).token(&token).send().await;
    let kinds: Vec<&str> = chron.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"case_note") && kinds.contains(&"referral_received"), "{kinds:?}");
}

#[tokio::test]
async fn the_programme_dsl_reads_every_charity_and_a_partner_dsl_only_her_own() {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    let (rid, yp) = app.referral(&admin, b).await;
    let programme_dsl = app.user(lead, Role::SafeguardingLead).await;
    let partner_dsl = app.user(a, Role::SafeguardingLead).await;
    let t = app.token(&programme_dsl).await;
    assert_eq!(app.get(&format!("/api/v1/referrals/{rid}")).token(&t).send().await.status, 200);
    assert_eq!(app.get(&format!("/api/v1/young-people/{yp}")).token(&t).send().await.status, 200);
    assert_eq!(app.get("/api/v1/referrals").token(&t).send().await.body["items"].as_array().unwrap().len(), 1);
    // Reading is all: she does not change the record.
    app.transition_referral(&t, rid, json!({"to": "screening"})).await.assert_problem(403, "forbidden");
    let t = app.token(&partner_dsl).await;
    assert_eq!(app.get(&format!("/api/v1/referrals/{rid}")).token(&t).send().await.status, 404);
    assert_eq!(app.get("/api/v1/referrals").token(&t).send().await.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn reopening_a_closed_referral_creates_a_new_one() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, yp) = app.referral(&admin, a).await;
    let body = json!({"received_on": "2026-11-20", "source_type": "family", "referrer": {"name": "Her aunt"}, "reasons": "Missing again since the summer."});
    app.post(&format!("/api/v1/referrals/{rid}/reopen")).token(&admin).json(body.clone()).send().await.assert_problem(409, "conflict");
    app.move_referral(&admin, rid, &["screening", "accepted", "closed"]).await;
    let r = app.post_json(&format!("/api/v1/referrals/{rid}/reopen"), &admin, body).await.assert_status(201);
    assert_ne!(r.body["id"], rid.to_string());
    assert_eq!(r.body["young_person_id"], yp.to_string());
    assert_eq!(r.body["reopened_from"], rid.to_string());
    assert_eq!(r.body["status"], "received");
    assert_eq!(app.get(&format!("/api/v1/referrals/{rid}")).token(&admin).send().await.body["status"], "closed");
}

#[tokio::test]
async fn lists_filter_and_return_only_what_the_reader_may_read() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    for _ in 0..3 {
        app.referral(&admin, a).await;
    }
    let (rb, _) = app.referral(&admin, b).await;
    app.move_referral(&admin, rb, &["screening"]).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let mine = app.get("/api/v1/referrals").token(&t).send().await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 3);
    assert!(mine.body["items"].as_array().unwrap().iter().all(|r| r["organisation_id"] == a.to_string()));
    let all = app.get("/api/v1/referrals?limit=2").token(&admin).send().await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    assert!(all.body["next_cursor"].is_string());
    let screening = app.get("/api/v1/referrals?status=screening").token(&admin).send().await;
    assert_eq!(screening.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/referrals?district=Ashworth&eligible=true").token(&admin).send().await.body["items"].as_array().unwrap().len(),
        4
    );
    assert_eq!(app.get("/api/v1/referrals?district=Nowhere").token(&admin).send().await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get("/api/v1/referrals?received_from=2026-11-03").token(&admin).send().await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.get(&format!("/api/v1/referrals?organisation_id={b}")).token(&t).send().await.body["items"].as_array().unwrap().len(),
        0
    );
    app.get("/api/v1/referrals?status=lost").token(&admin).send().await.assert_problem(422, "validation_failed");
    let people = app.get("/api/v1/young-people").token(&t).send().await;
    assert_eq!(people.body["items"].as_array().unwrap().len(), 3);
    let mentor = app.user(a, Role::Mentor).await;
    app.get("/api/v1/referrals").token(&app.token(&mentor).await).send().await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn listing_a_page_of_referrals_takes_the_same_number_of_queries_whatever_its_size() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    for _ in 0..50 {
        app.referral(&admin, a).await;
    }
    let counter = app.queries.clone();
    let mut counts = Vec::new();
    for limit in [5, 50] {
        counter.store(0, std::sync::atomic::Ordering::SeqCst);
        let r = app.get(&format!("/api/v1/referrals?limit={limit}")).token(&admin).send().await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), limit);
        counts.push(counter.load(std::sync::atomic::Ordering::SeqCst));
    }
    assert!(counts[0] > 0, "the counter sees the queries");
    assert_eq!(counts[0], counts[1], "queries for 5 and 50 referrals: {counts:?}");
}

#[tokio::test]
async fn every_read_of_a_record_is_audited() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, yp) = app.referral(&admin, a).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    for path in [
        format!("/api/v1/referrals/{rid}"),
        format!("/api/v1/young-people/{yp}"),
        format!("/api/v1/young-people/{yp}/notes"),
        format!("/api/v1/young-people/{yp}/chronology"),
    ] {
        assert_eq!(app.get(&path).token(&t).send().await.status, 200);
    }
    let who = app
        .get(&format!("/api/v1/audit-events?resource_type=young_person&resource_id={yp}&actor_id={}", coord.id))
        .token(&admin)
        .send()
        .await;
    let actions: Vec<&str> = who.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["young_person.read", "notes.read", "chronology.read"]);
}

#[tokio::test]
async fn a_merged_record_takes_no_new_information_and_flags_follow_the_kept_record() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    let (_, keep) = app.referral(&admin, a).await;
    let (_, gone) = app.referral(&admin, b).await;
    let (_, third) = app.referral(&admin, b).await;
    let f1 = app.duplicate_flag(gone, keep, chrono::Utc::now()).await;
    let f2 = app.duplicate_flag(gone, third, chrono::Utc::now()).await;
    app.merge(&admin, f1.id, keep).await.assert_status(200);
    // The second flag now names the kept record.
    let f2 = trellis::entities::duplicate_flag::Entity::find_by_id(f2.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(f2.young_person_id, keep);
    // The merged-away record refuses notes and changes.
    let r = app.note(&admin, gone, "Late news.").await;
    r.assert_problem(409, "conflict");
    assert!(r.text.contains(&keep.to_string()));
    app.patch_current(&format!("/api/v1/young-people/{gone}"), &admin, json!({"district": "Fenwick"}))
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn odd_but_well_formed_input_is_refused_not_a_server_error() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    app.get("/api/v1/referrals?received_from=-5000-01-01").token(&admin).send().await.assert_problem(422, "validation_failed");
    let mut body = referral_json(a);
    body["young_person"]["organisation_id"] = json!(b);
    assert_eq!(app.post_json("/api/v1/referrals", &admin, body).await.error_fields(), vec!["young_person.organisation_id"]);
    let mut body = referral_json(a);
    body["young_person"]["legal_name"] = json!("İ".repeat(150));
    app.post_json("/api/v1/referrals", &admin, body).await.assert_status(201);
    let (rid, _) = app.referral(&admin, a).await;
    assert_eq!(app.allocate(&admin, rid, a, "x").await.error_fields(), vec!["organisation_id"]);
}

#[tokio::test]
async fn reopening_is_refused_while_another_referral_is_open() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, yp) = app.referral(&admin, a).await;
    app.move_referral(&admin, rid, &["screening", "declined"]).await;
    let again = json!({"received_on": "2026-11-20", "source_type": "family", "referrer": {"name": "Her aunt"}, "reasons": "Again."});
    let body = with(again.clone(), "young_person_id", json!(yp));
    assert_eq!(app.post_json("/api/v1/referrals", &admin, body).await.status, 201);
    app.post_json(&format!("/api/v1/referrals/{rid}/reopen"), &admin, again).await.assert_problem(409, "conflict");
}
