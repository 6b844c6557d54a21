//! Outcome measures: scores computed from the raw answers (SWEMWBS metric, YP-CORE
//! proration) against hand-worked examples, bad input naming its field, age ranges, change
//! from baseline, who may record and read, and instruments added as data.

use serde_json::json;
use trellis::entities::assessment::Timepoint;
use trellis::users::Role;

use crate::helpers::*;

const SWEMWBS_23: [i32; 7] = [3, 4, 2, 3, 4, 3, 4];

#[tokio::test]
async fn scores_are_computed_from_the_stored_answers_swemwbs_metric_and_yp_core_proration() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    app.instruments().await;
    let (_, yp) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;

    // SWEMWBS 3+4+2+3+4+3+4 = 23, which the published conversion table turns into 20.73.
    let s = app.assessment(&t, yp, assessment_json("SWEMWBS", "baseline", "2026-03-02", json!(SWEMWBS_23))).await;
    assert_eq!(s["instrument"], "SWEMWBS");
    assert_eq!(s["version"], "1");
    assert_eq!(s["scores"]["raw_total"], 23.0);
    assert_eq!(s["scores"]["metric"], 20.73);
    assert_eq!(s["scores"]["score"], 20.73);
    assert_eq!(s["scores"]["prorated"], false);
    assert_eq!(s["administered_by"], coord.id.to_string());
    assert_eq!(s["warnings"], json!([]));

    // YP-CORE with item 4 unanswered: the nine answered sum to 17; 17 / 9 × 10 = 18.89.
    let y = app.assessment(&t, yp, assessment_json("yp-core", "baseline", "2026-03-02", json!([2, 1, 3, null, 2, 2, 3, 1, 2, 1]))).await;
    assert_eq!(y["instrument"], "YP-CORE");
    assert_eq!(y["scores"]["raw_total"], 18.89);
    assert_eq!(y["scores"]["metric"], serde_json::Value::Null);
    assert_eq!(y["scores"]["missing_items"], 1);
    assert_eq!(y["scores"]["prorated"], true);
    assert_eq!(y["answers"], json!([2, 1, 3, null, 2, 2, 3, 1, 2, 1]));
    // All ten answered: 2+1+3+0+2+2+3+1+2+1 = 17.
    let full = app.assessment(&t, yp, assessment_json("YP-CORE", "review", "2026-06-01", json!([2, 1, 3, 0, 2, 2, 3, 1, 2, 1]))).await;
    assert_eq!(full["scores"]["raw_total"], 17.0);

    // The answers are stored, never a total; the list computes the same scores on read.
    use sea_orm::EntityTrait;
    let row = trellis::entities::assessment::Entity::find_by_id(s["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.answers.text(), "[3,4,2,3,4,3,4]");
    let list = app.get(&format!("/api/v1/young-people/{yp}/assessments")).token(&t).send().await.assert_status(200);
    let items = list.items();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], full["id"], "newest first");
    assert_eq!(items[2]["scores"]["metric"], 20.73);
    let only = app.get(&format!("/api/v1/young-people/{yp}/assessments?instrument=SWEMWBS&timepoint=baseline")).token(&t).send().await;
    assert_eq!(only.items().len(), 1);
    // Every list read is audited against her record.
    app.seal_audit().await;
    let audit = app.get(&format!("/api/v1/audit-events?resource_type=young_person&resource_id={yp}")).token(&admin).send().await;
    assert!(audit.text.contains("assessments.read") && audit.text.contains("assessment.created"), "{}", audit.text);
}

#[tokio::test]
async fn bad_assessments_are_refused_naming_the_field_and_change_nothing() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    app.instruments().await;
    // She is 19 on the day: YP-CORE (11–16) is not for her; CORE-10 (17+) is.
    let (_, yp) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2007-01-15"})).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let path = format!("/api/v1/young-people/{yp}/assessments");
    let send = |body: serde_json::Value| app.post_json(&path, &t, body);

    let r = send(assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3, 3, 3]))).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), ["answers"]);
    assert_eq!(r.body["errors"][0]["code"], "wrong_length");

    let r = send(assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3, 3, 6, 3, 0, 3, 3]))).await;
    assert_eq!(r.error_fields(), ["answers[2]", "answers[4]"]);
    assert_eq!(r.body["errors"][0]["code"], "out_of_scale");

    let r = send(assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3, null, 3, 3, 3, 3, 3]))).await;
    assert_eq!((r.error_fields(), r.body["errors"][0]["code"].clone()), (vec!["answers".to_string()], json!("too_many_missing")));
    let r = send(assessment_json("CORE-10", "baseline", "2026-11-01", json!([1, null, 1, 1, 1, null, 1, 1, 1, 1]))).await;
    assert_eq!(r.body["errors"][0]["code"], "too_many_missing");

    let r = send(assessment_json("CORE-10", "baseline", "2026-11-24", json!([1; 10].to_vec()))).await;
    assert_eq!(r.error_fields(), ["taken_on"]);
    assert_eq!(r.body["errors"][0]["code"], "in_future");

    let r = send(assessment_json("GAD-7", "baseline", "2026-11-01", json!([1; 7].to_vec()))).await;
    assert_eq!(r.error_fields(), ["instrument"]);
    assert_eq!(r.body["errors"][0]["code"], "unknown_instrument");
    let mut body = assessment_json("CORE-10", "baseline", "2026-11-01", json!([1; 10].to_vec()));
    body["version"] = json!("9");
    assert_eq!(send(body).await.error_fields(), ["version"]);

    let r = send(assessment_json("YP-CORE", "baseline", "2026-11-01", json!([1; 10].to_vec()))).await;
    assert_eq!(r.error_fields(), ["instrument"]);
    assert_eq!(r.body["errors"][0]["code"], "age_out_of_range");
    assert_eq!(r.body["errors"][0]["message"], "YP-CORE is for ages 11–16; she was 19 on that date.");

    let r = send(assessment_json("CORE-10", "midpoint", "2026-11-01", json!([1; 10].to_vec()))).await;
    assert_eq!(r.error_fields(), ["timepoint"]);
    let r = send(assessment_json("CORE-10", "baseline", "2026-11-01", json!([1, 1, 1, 1.5, 1, 1, 1, 1, 1, 1]))).await;
    assert_eq!(r.error_fields(), ["answers[3]"]);
    let mut body = assessment_json("CORE-10", "baseline", "2026-11-01", json!([1; 10].to_vec()));
    body["indicators"]["missing_episodes"] = json!(-1);
    assert_eq!(send(body).await.error_fields(), ["indicators.missing_episodes"]);
    let mut body = assessment_json("CORE-10", "baseline", "2026-11-01", json!([1; 10].to_vec()));
    body["score"] = json!(40);
    assert_eq!(send(body).await.error_fields(), ["score"]);
    assert_eq!(app.count("assessments").await, 0);

    // The same, right: created. Under 15 she would get a validation warning for SWEMWBS;
    // at 19 she gets none.
    let ok = app.assessment(&t, yp, assessment_json("CORE-10", "baseline", "2026-11-01", json!([1; 10].to_vec()))).await;
    assert_eq!(ok["scores"]["raw_total"], 10.0);
    let ok = app.assessment(&t, yp, assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3; 7].to_vec()))).await;
    assert_eq!(ok["warnings"], json!([]));
    let (_, young) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2012-05-01"})).await;
    let w = app.assessment(&t, young, assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3; 7].to_vec()))).await;
    assert!(w["warnings"][0].as_str().unwrap().contains("validated for ages 15–21"), "{w}");
    // Under 13 SWEMWBS is refused.
    let (_, child) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2014-06-01"})).await;
    let body = assessment_json("SWEMWBS", "baseline", "2026-11-01", json!([3; 7].to_vec()));
    let r = app.post_json(&format!("/api/v1/young-people/{child}/assessments"), &t, body).await;
    assert_eq!(r.body["errors"][0]["message"], "SWEMWBS is for ages 13+; she was 12 on that date.");
}

#[tokio::test]
async fn outcomes_give_change_from_baseline_to_latest_and_whether_it_is_reliable() {
    let Programme { app, a, b, admin, .. } = Programme::start().await;
    app.instruments().await;
    let (_, her) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let (_, other) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let coord = app.user(a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    // SWEMWBS 21 (19.25) at baseline, 23 (20.73) at review, 26 (23.21) at exit: +3.96, reliable.
    app.assessment(&t, her, assessment_json("SWEMWBS", "baseline", "2026-03-02", json!([3; 7].to_vec()))).await;
    app.assessment(&t, her, assessment_json("SWEMWBS", "review", "2026-06-01", json!(SWEMWBS_23))).await;
    app.assessment(&t, her, assessment_json("SWEMWBS", "exit", "2026-09-01", json!([4, 4, 4, 4, 4, 3, 3]))).await;
    // YP-CORE 25 at baseline, 17 at review: -8, a reliable improvement (lower is better).
    app.assessment(&t, her, assessment_json("YP-CORE", "baseline", "2026-03-02", json!([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]))).await;
    app.assessment(&t, her, assessment_json("YP-CORE", "review", "2026-06-01", json!([2, 1, 3, 0, 2, 2, 3, 1, 2, 1]))).await;
    // The other: SWEMWBS 23 -> 21 (-1.48, no reliable change); YP-CORE baseline only.
    app.assessment(&t, other, assessment_json("SWEMWBS", "baseline", "2026-03-02", json!(SWEMWBS_23))).await;
    app.assessment(&t, other, assessment_json("SWEMWBS", "review", "2026-06-01", json!([3; 7].to_vec()))).await;
    app.assessment(&t, other, assessment_json("YP-CORE", "baseline", "2026-03-02", json!([1; 10].to_vec()))).await;

    let r = app.get(&format!("/api/v1/young-people/{her}/outcomes")).token(&t).send().await.assert_status(200);
    let items = r.items();
    assert_eq!(items.len(), 2);
    let swemwbs = &items[0];
    assert_eq!(swemwbs["instrument"], "SWEMWBS");
    assert_eq!(swemwbs["baseline"]["score"], 19.25);
    assert_eq!(swemwbs["latest"]["score"], 23.21);
    assert_eq!(swemwbs["latest"]["timepoint"], "exit");
    assert_eq!(swemwbs["change"], 3.96);
    assert_eq!(swemwbs["change_kind"], "reliable_improvement");
    assert_eq!(swemwbs["reliable_change"], 3.0);
    assert_eq!(swemwbs["assessments"], 3);
    let core = &items[1];
    assert_eq!((core["instrument"].clone(), core["change"].clone()), (json!("YP-CORE"), json!(-8.0)));
    assert_eq!(core["change_kind"], "reliable_improvement");
    assert_eq!(core["higher_is_better"], false);

    // The bulk function the exports use gives the same for many at once.
    let all = trellis::outcomes::outcomes_for(&app.db, &[her, other]).await.unwrap();
    assert_eq!(all[&her].len(), 2);
    let o = &all[&other];
    assert_eq!((o[0].change, o[0].change_kind), (Some(-1.48), Some(trellis::outcomes::scoring::ChangeKind::NoReliableChange)));
    assert!(o[1].baseline.is_some() && o[1].latest.is_none() && o[1].change.is_none());

    // Another charity's coordinator cannot see them; the safeguarding lead of hers can.
    let elsewhere = app.user(b, Role::Coordinator).await;
    app.get(&format!("/api/v1/young-people/{her}/outcomes"))
        .token(&app.token(&elsewhere).await)
        .send()
        .await
        .assert_problem(404, "not_found");
    let dsl = app.user(a, Role::SafeguardingLead).await;
    assert_eq!(app.get(&format!("/api/v1/young-people/{her}/outcomes")).token(&app.token(&dsl).await).send().await.status, 200);
}

#[tokio::test]
async fn a_mentor_records_and_reads_only_her_own_assessments_of_her_own_mentees() {
    let Programme { app, lead, a, admin, .. } = Programme::start().await;
    app.instruments().await;
    let (rid, yp) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let mentor = app.compliant_mentor(&admin, a, json!({})).await;
    let m = app.active_match(&admin, rid, mentor.id).await;
    let coord = app.user(a, Role::Coordinator).await;
    let ct = app.token(&coord).await;
    let path = format!("/api/v1/young-people/{yp}/assessments");
    app.assessment(&ct, yp, assessment_json("SWEMWBS", "baseline", "2026-03-02", json!([3; 7].to_vec()))).await;

    let mt = app.token(&mentor).await;
    let mine = app.assessment(&mt, yp, assessment_json("SWEMWBS", "review", "2026-06-01", json!(SWEMWBS_23))).await;
    assert_eq!(mine["administered_by"], mentor.id.to_string());
    let list = app.get(&path).token(&mt).send().await.assert_status(200);
    let ids: Vec<&str> = list.items().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine["id"].as_str().unwrap()], "only the one she administered");
    assert_eq!(app.get(&path).token(&ct).send().await.items().len(), 2);
    // Outcomes are not hers to read.
    app.get(&format!("/api/v1/young-people/{yp}/outcomes")).token(&mt).send().await.assert_problem(403, "forbidden");

    // Another mentor of the charity, without a match with her, sees nothing.
    let stranger = app.compliant_mentor(&admin, a, json!({})).await;
    let st = app.token(&stranger).await;
    app.get(&path).token(&st).send().await.assert_problem(404, "not_found");
    let review = || assessment_json("SWEMWBS", "review", "2026-06-01", json!([3; 7].to_vec()));
    app.post_json(&path, &st, review()).await.assert_problem(404, "not_found");

    // A safeguarding lead reads but does not record; an evaluator gets nothing.
    let dsl = app.user(a, Role::SafeguardingLead).await;
    let dt = app.token(&dsl).await;
    assert_eq!(app.get(&path).token(&dt).send().await.items().len(), 2);
    app.post_json(&path, &dt, review()).await.assert_problem(403, "forbidden");
    let ev = app.user(lead, Role::Evaluator).await;
    app.get(&path).token(&app.token(&ev).await).send().await.assert_problem(404, "not_found");

    // When the match ends she no longer reaches the record.
    app.end_match(&admin, m).await;
    app.get(&path).token(&mt).send().await.assert_problem(404, "not_found");
    assert_eq!(app.count("assessments").await, 2);
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_records_one_assessment() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    app.instruments().await;
    let (_, yp) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let body = assessment_json("SWEMWBS", "baseline", "2026-03-02", json!(SWEMWBS_23));
    let path = format!("/api/v1/young-people/{yp}/assessments");
    let first = app.post_idempotent(&path, &admin, "k-1", body.clone()).await;
    let again = app.post_idempotent(&path, &admin, "k-1", body).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_eq!(first.body["id"], again.body["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("assessments").await, 1);
}

#[tokio::test]
async fn an_instrument_is_added_as_data_and_used_without_code() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    app.instruments().await;
    let coord = app.user(a, Role::Coordinator).await;
    let ct = app.token(&coord).await;
    let listed = app.get("/api/v1/instruments").token(&ct).send().await.assert_status(200);
    let codes: Vec<&str> = listed.items().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["CORE-10", "SWEMWBS", "YP-CORE"]);
    let swemwbs = &listed.body["items"][1]["definition"];
    assert_eq!(swemwbs["scoring"]["kind"], "sum_then_table");
    assert_eq!(swemwbs["scoring"]["table"][16], 20.73);
    assert_eq!(swemwbs["reliable_change"], 3.0);
    // Seeding again changes nothing.
    app.instruments().await;
    assert_eq!(app.count("instruments").await, 3);

    // A short four-item scale, 0–3, a sum, one item may be prorated, ages 11–18, higher worse.
    let def = json!({"items": 4, "item_keys": ["worry", "sleep", "appetite", "energy"], "min": 0, "max": 3,
        "scoring": {"kind": "sum"}, "max_prorated": 1, "age_min": 11, "age_max": 18, "reliable_change": 2.5, "higher_is_better": false});
    let body = json!({"code": "MOOD-4", "version": "2026", "name": "A four-item mood check", "definition": def});
    app.post_json("/api/v1/instruments", &ct, body.clone()).await.assert_problem(403, "forbidden");
    app.post_json("/api/v1/instruments", &admin, body.clone()).await.assert_status(201);
    app.post_json("/api/v1/instruments", &admin, body).await.assert_problem(409, "conflict");

    // A bad definition names each problem.
    let bad = json!({"code": "BAD-1", "version": "1", "name": "Bad", "definition": {"items": 3, "item_keys": ["a", "b"], "min": 1, "max": 5,
        "scoring": {"kind": "sum_then_table", "table": [1.0]}, "max_prorated": 0, "age_min": 11, "reliable_change": 3.0, "higher_is_better": true}});
    let r = app.post_json("/api/v1/instruments", &admin, bad).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), ["definition.item_keys", "definition.scoring.table"]);
    let instrument = |code: &str, name: &str, definition: &serde_json::Value| json!({"code": code, "version": "1", "name": name, "definition": definition});
    let r = app.post_json("/api/v1/instruments", &admin, instrument("bad code", "Bad", &def)).await;
    assert_eq!(r.error_fields(), ["code"]);
    let wrong_kind = with(def.clone(), "scoring", json!({"kind": "median"}));
    app.post_json("/api/v1/instruments", &admin, instrument("X-1", "X", &wrong_kind)).await.assert_status(422);

    // Used at once: 2 + 1 + missing + 3 = 6 over three items, prorated to 8 over four.
    let (_, yp) = app.accepted_referral(&admin, a, json!({"date_of_birth": "2010-02-10"})).await;
    let s = app.assessment(&ct, yp, assessment_json("MOOD-4", "baseline", "2026-03-02", json!([2, 1, null, 3]))).await;
    assert_eq!(
        (s["instrument"].clone(), s["version"].clone(), s["scores"]["raw_total"].clone()),
        (json!("MOOD-4"), json!("2026"), json!(8.0))
    );
    app.assessment(&ct, yp, assessment_json("MOOD-4", "exit", "2026-09-01", json!([1, 1, 1, 2]))).await;
    let o = app.get(&format!("/api/v1/young-people/{yp}/outcomes")).token(&ct).send().await;
    assert_eq!(o.body["items"][0]["change"], -3.0);
    assert_eq!(o.body["items"][0]["change_kind"], "reliable_improvement");
}

#[tokio::test]
async fn the_demo_has_assessments_at_baseline_review_and_exit_that_fit_the_matches_and_ages() {
    use sea_orm::EntityTrait;
    use std::collections::HashMap;
    use trellis::entities::{assessment, matching, young_person};
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let today = start_time().date_naive();
    let instruments: HashMap<uuid::Uuid, String> =
        trellis::entities::instrument::Entity::find().all(&app.db).await.unwrap().into_iter().map(|i| (i.id, i.code)).collect();
    let people: HashMap<uuid::Uuid, young_person::Model> =
        young_person::Entity::find().all(&app.db).await.unwrap().into_iter().map(|y| (y.id, y)).collect();
    let matches = matching::Entity::find().all(&app.db).await.unwrap();
    let rows = assessment::Entity::find().all(&app.db).await.unwrap();
    assert!(!rows.is_empty());
    let mut timepoints = std::collections::BTreeSet::new();
    for a in &rows {
        timepoints.insert(a.timepoint.as_str());
        let yp = &people[&a.young_person_id];
        assert_eq!(a.organisation_id, yp.organisation_id);
        assert!(a.taken_on <= today);
        // Within a match that started with her, and an instrument for her age on the day.
        let m = matches
            .iter()
            .find(|m| m.young_person_id == a.young_person_id && m.agreement_signed_on.is_some_and(|s| s <= a.taken_on))
            .expect("an assessment belongs to a match that started");
        assert!(m.ended_on.is_none_or(|e| a.taken_on <= e));
        if a.timepoint == Timepoint::Exit {
            assert_eq!(m.status, trellis::entities::matching::MatchStatus::Ended);
        }
        let age = trellis::young_people::rules::age_on(yp.date_of_birth, a.taken_on);
        let fits = match instruments[&a.instrument_id].as_str() {
            "SWEMWBS" => age >= 13,
            "YP-CORE" => (11..=16).contains(&age),
            "CORE-10" => age >= 17,
            other => panic!("unexpected instrument {other}"),
        };
        assert!(fits, "{} at {age}", instruments[&a.instrument_id]);
    }
    assert_eq!(timepoints.into_iter().collect::<Vec<_>>(), ["baseline", "exit", "review"]);
    // Every match that started has a baseline; the outcomes show improvement and not.
    let started: Vec<uuid::Uuid> = matches.iter().filter(|m| m.agreement_signed_on.is_some()).map(|m| m.young_person_id).collect();
    assert!(started.iter().all(|yp| rows.iter().any(|a| a.young_person_id == *yp && a.timepoint == Timepoint::Baseline)));
    let outcomes = trellis::outcomes::outcomes_for(&app.db, &started).await.unwrap();
    let kinds: std::collections::BTreeSet<String> =
        outcomes.values().flatten().filter_map(|o| o.change_kind).map(|k| format!("{k:?}")).collect();
    assert!(kinds.contains("ReliableImprovement") && kinds.len() >= 2, "{kinds:?}");
}
