//! Matching: suggestions with their breakdown and exclusions, the optimal plan, the match
//! lifecycle and its effect on the referral, the mentee view, and the rules under concurrency.

use serde_json::json;
use trellis::users::Role;

use crate::helpers::*;

#[tokio::test]
async fn suggestions_rank_with_a_breakdown_and_list_every_exclusion_with_its_reason() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    // She is 15 (born 2011), lives in Ashworth, likes football and art, speaks Polish too,
    // is free on Saturday afternoons and would like a mentor with lived experience.
    let her = json!({"date_of_birth": "2011-03-01", "district": "Ashworth", "interests": ["football", "art"], "languages": ["English", "Polish"],
        "availability": [{"day": "sat", "part": "afternoon"}], "mentor_preferences": ["lived_experience"]});
    let (rid, yp) = app.accepted_referral(&admin, a, her).await;

    // Best: every criterion met.
    let best = app
        .compliant_mentor(
            &admin,
            a,
            json!({"districts": ["Ashworth"], "interests": ["Football", "art"], "languages": ["English", "Polish"],
            "availability": [{"day": "sat", "part": "afternoon"}], "lived_experience": "Care leaver.", "age_min": 14, "age_max": 18}),
        )
        .await;
    // Second: another district, one interest, English only, wrong time, no lived experience, too young for her range.
    let second = app
        .compliant_mentor(
            &admin,
            a,
            json!({"districts": ["Brinton"], "interests": ["art"], "languages": ["English"],
            "availability": [{"day": "mon", "part": "evening"}], "age_min": 18, "age_max": 24}),
        )
        .await;
    // Excluded: not vetted; at capacity; conflicted; an earlier match ended for safeguarding.
    let unvetted = app.mentor(&admin, a).await;
    let full = app.compliant_mentor(&admin, a, json!({"capacity": 1})).await;
    let (other_rid, _) = app.accepted_referral(&admin, a, json!({})).await;
    app.active_match(&admin, other_rid, full.id).await;
    let conflicted = app.compliant_mentor(&admin, a, json!({})).await;
    app.declare_conflict(&admin, conflicted.id, yp, "2026-11-01").await;
    let ended = app.compliant_mentor(&admin, a, json!({})).await;
    let m = app.active_match(&admin, rid, ended.id).await;
    let ending = json!({"to": "ended", "ending_type": "unplanned", "ending_reason": "safeguarding", "exit_conversation_held": false, "referral": "rematch"});
    app.transition_match(&admin, m, ending).await.assert_status(200);

    let coord = app.user(a, Role::Coordinator).await;
    let s = app.get(&format!("/api/v1/referrals/{rid}/match-suggestions?limit=10")).token(&app.token(&coord).await).send().await;
    let s = s.assert_status(200);
    let ranked = s.body["ranked"].as_array().unwrap();
    assert_eq!(ranked[0]["mentor_id"], best.id.to_string());
    assert_eq!(ranked[0]["score"], 100);
    let second_row = ranked.iter().find(|r| r["mentor_id"] == second.id.to_string()).unwrap();
    let points: Vec<(String, u64)> = second_row["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["criterion"].as_str().unwrap().to_string(), c["points"].as_u64().unwrap()))
        .collect();
    // District 0; availability 0 of 1; 1 of 2 interests: 7; 1 of 2 languages: 5; 15 is
    // outside 18–24: 0; lived experience not met: 0.
    let expected: Vec<(String, u64)> =
        [("district", 0), ("availability", 0), ("interests", 7), ("language", 5), ("age", 0), ("preferences", 0)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
    assert_eq!(points, expected);
    assert_eq!(second_row["score"], 12);
    let excluded = s.body["excluded"].as_array().unwrap();
    let reason_of = |id: uuid::Uuid| -> Vec<String> {
        excluded
            .iter()
            .find(|e| e["mentor_id"] == id.to_string())
            .map(|e| e["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(reason_of(unvetted.id), ["not_compliant"]);
    assert_eq!(reason_of(full.id), ["at_capacity"]);
    assert_eq!(reason_of(conflicted.id), ["conflict_of_interest"]);
    assert_eq!(reason_of(ended.id), ["ended_for_safeguarding"]);
    assert_eq!(ranked.len() + excluded.len(), 6);
}

#[tokio::test]
async fn the_plan_beats_greedy_where_greedy_is_suboptimal_and_changes_nothing() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    // Both 15, nothing stated beyond district and interests: 55 points of age, language,
    // availability and preferences to every pair, plus district 30 and interests 15.
    let (r1, y1) =
        app.accepted_referral(&admin, a, json!({"date_of_birth": "2011-03-01", "district": "Ashworth", "interests": ["football"]})).await;
    let (r2, y2) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2011-03-01", "district": "Brinton", "interests": []})).await;
    let x = app.compliant_mentor(&admin, a, json!({"districts": ["Ashworth", "Brinton"], "interests": ["football"]})).await;
    let y = app.compliant_mentor(&admin, a, json!({"districts": ["Ashworth"], "interests": []})).await;
    // r1–x 100, r1–y 85, r2–x 85, r2–y 55. Greedy takes r1–x first and leaves r2 with y: 155.
    // The best plan is r1–y and r2–x: 170.
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let before = app.count("matches").await;
    let p = app.post_json("/api/v1/matching/plan", &t, json!({})).await.assert_status(200);
    assert_eq!(p.body["total_score"], 170, "{}", p.text);
    assert_eq!(p.body["greedy_total_score"], 155);
    let mut got: Vec<(String, String)> = p.body["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["referral_id"].as_str().unwrap().to_string(), p["mentor_id"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let mut want = vec![(r1.to_string(), y.id.to_string()), (r2.to_string(), x.id.to_string())];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(app.count("matches").await, before, "a plan only proposes");
    // The same data gives the same plan.
    let again = app.post_json("/api/v1/matching/plan", &t, json!({})).await;
    assert_eq!(again.body["proposals"], p.body["proposals"]);
    let _ = (y1, y2);
    // A coordinator plans only her own charity.
    app.post_json("/api/v1/matching/plan", &t, json!({"organisation_id": b})).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_match_moves_through_its_lifecycle_and_carries_the_referral_with_it() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, _) = app.accepted_referral(&admin, a, json!({})).await;
    let mentor = app.compliant_mentor(&admin, a, json!({})).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let referral_status = |s: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app.get(&format!("/api/v1/referrals/{rid}")).token(&admin).send().await;
            assert_eq!(r.body["status"], s, "{}", r.text);
        }
    };

    let proposal = json!({"referral_id": rid, "mentor_id": mentor.id, "shared_safety_info": "Do not meet near the station."});
    let r = app.post_json("/api/v1/matches", &t, proposal).await.assert_status(201);
    assert_eq!(r.body["status"], "proposed");
    assert_eq!(r.body["criteria"].as_array().unwrap().len(), 6, "the criteria used are kept");
    let id = r.id();
    referral_status("matched").await;
    let go = |body: serde_json::Value| app.transition_match(&t, id, body);
    // A move the machine does not allow names the allowed ones.
    let r = go(json!({"to": "active", "agreement_signed": true})).await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.body["allowed"], json!(["introduced", "ended"]));
    go(json!({"to": "introduced"})).await.assert_problem(422, "validation_failed");
    assert_eq!(go(json!({"to": "introduced", "on": "2026-12-01", "staff_present": "Jo"})).await.error_fields(), vec!["on"]);
    let r = go(json!({"to": "introduced", "staff_present": "Jo (coordinator)"})).await.assert_status(200);
    assert_eq!(r.body["first_meeting_on"], "2026-11-23");
    assert_eq!(go(json!({"to": "active"})).await.error_fields(), vec!["agreement_signed"]);
    assert_eq!(go(json!({"to": "active", "agreement_signed": true})).await.status, 200);
    referral_status("active").await;
    assert_eq!(go(json!({"to": "paused"})).await.status, 200);
    assert_eq!(go(json!({"to": "active"})).await.status, 200);
    assert_eq!(
        go(json!({"to": "ended", "ending_type": "planned", "ending_reason": "goals_met"})).await.error_fields(),
        vec!["exit_conversation_held"]
    );
    let r = go(planned_ending_json()).await.assert_status(200);
    assert_eq!(r.body["ended_on"], "2026-11-23");
    let rr = app.get(&format!("/api/v1/referrals/{rid}")).token(&admin).send().await;
    assert_eq!(rr.body["status"], "closed");
    assert_eq!(rr.body["closure_reason"], "goals_met");
    go(json!({"to": "active"})).await.assert_problem(409, "conflict");
}

#[tokio::test]
async fn a_non_compliant_mentor_is_refused_with_the_reasons_and_nothing_changes() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, _) = app.accepted_referral(&admin, a, json!({})).await;
    let applicant = app.mentor(&admin, a).await;
    let r = app.propose_match(&admin, rid, applicant.id).await;
    r.assert_problem(409, "conflict");
    assert!(r.body["detail"].as_str().unwrap().contains("not_compliant"), "{}", r.text);
    assert_eq!(app.count("matches").await, 0);
    let rr = app.get(&format!("/api/v1/referrals/{rid}")).token(&admin).send().await;
    assert_eq!(rr.body["status"], "accepted");
    // Unknown mentor: 422 naming the field; unknown referral: 404.
    let r = app.propose_match(&admin, rid, uuid::Uuid::now_v7()).await;
    assert_eq!(r.error_fields(), vec!["mentor_id"]);
    let m = app.compliant_mentor(&admin, a, json!({})).await;
    app.propose_match(&admin, uuid::Uuid::now_v7(), m.id).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn capacity_and_one_match_per_young_person_hold_under_concurrent_confirmations() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    // One mentor with one place, two referrals confirmed at the same moment: one wins.
    let m = app.compliant_mentor(&admin, a, json!({"capacity": 1})).await;
    let (r1, _) = app.accepted_referral(&admin, a, json!({})).await;
    let (r2, _) = app.accepted_referral(&admin, a, json!({})).await;
    let (x, y) = tokio::join!(app.propose_match(&admin, r1, m.id), app.propose_match(&admin, r2, m.id));
    let mut statuses = vec![x.status.as_u16(), y.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![201, 409], "{} / {}", x.text, y.text);
    // One referral, two mentors at the same moment: she gets one match.
    let (r3, _) = app.accepted_referral(&admin, a, json!({})).await;
    let m2 = app.compliant_mentor(&admin, a, json!({})).await;
    let m3 = app.compliant_mentor(&admin, a, json!({})).await;
    let (x, y) = tokio::join!(app.propose_match(&admin, r3, m2.id), app.propose_match(&admin, r3, m3.id));
    let mut statuses = vec![x.status.as_u16(), y.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![201, 409], "{} / {}", x.text, y.text);
    assert_eq!(app.count("matches").await, 2);
}

#[tokio::test]
async fn a_mentor_sees_her_own_matches_and_only_the_reduced_view_of_her_mentee() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (rid, yp) =
        app.accepted_referral(&admin, a, json!({"preferred_name": "Mia", "interests": ["dance"], "district": "Ashworth"})).await;
    let mentor = app.compliant_mentor(&admin, a, json!({})).await;
    let other = app.compliant_mentor(&admin, a, json!({})).await;
    let id = app.active_match(&admin, rid, mentor.id).await;
    let safety = json!({"shared_safety_info": "Known to be targeted near the bus station."});
    app.patch_current(&format!("/api/v1/matches/{id}"), &admin, safety).await.assert_status(200);

    let t = app.token(&mentor).await;
    let list = app.get("/api/v1/matches").token(&t).send().await;
    assert_eq!(list.items().len(), 1);
    let v = app.get(&format!("/api/v1/matches/{id}/mentee")).token(&t).send().await.assert_status(200);
    let mut keys: Vec<&str> = v.body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["age", "district", "interests", "match_id", "preferred_name", "safeguarding_flag", "shared_safety_info", "young_person_id"]
    );
    assert_eq!(v.body["preferred_name"], "Mia");
    assert_eq!(v.body["shared_safety_info"], "Known to be targeted near the bus station.");
    // Nothing else of her record, and nothing she does not hold.
    app.get(&format!("/api/v1/young-people/{yp}")).token(&t).send().await.assert_problem(404, "not_found");
    let t2 = app.token(&other).await;
    app.get(&format!("/api/v1/matches/{id}")).token(&t2).send().await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/matches/{id}/mentee")).token(&t2).send().await.assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/matches").token(&t2).send().await.items().len(), 0);
    // She may not move it or see suggestions.
    app.transition_match(&t, id, json!({"to": "paused"})).await.assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/referrals/{rid}/match-suggestions")).token(&t).send().await.assert_problem(404, "not_found");
}
