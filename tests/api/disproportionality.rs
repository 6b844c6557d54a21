//! Disproportionality (RRI) through the API: a small programme of known ethnicity and
//! deprivation, built through the API, against hand-worked counts and RRIs.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};
use trellis::config::DisclosureMode;
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

const BASE: &str = r#"
source = "Test county, females 11-24"
synthetic = false
[ethnicity]
asian = 200
black = 100
mixed = 50
white = 1000
other = 40
[imd_quintile]
1 = 200
2 = 300
3 = 300
4 = 300
5 = 400
"#;

/// A referral of a new young person of this ethnicity and IMD decile, moved along `path`.
async fn referral(app: &TestApp, token: &str, org: Uuid, ethnicity: &str, decile: Option<i16>, path: &[&str]) -> (Uuid, Uuid) {
    let mut body = referral_json(org);
    body["young_person"]["ethnicity"] = json!(ethnicity);
    body["young_person"]["imd_decile"] = json!(decile);
    if decile.is_none() {
        body["young_person"]["lsoa_code"] = Value::Null;
        body["young_person"]["iod_edition"] = Value::Null;
    }
    let r = app.post("/api/v1/referrals").token(token).json(body).send().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rid: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    app.move_referral(token, rid, path).await;
    (rid, r.body["young_person_id"].as_str().unwrap().parse().unwrap())
}

const ACCEPT: &[&str] = &["screening", "accepted"];
const DECLINE: &[&str] = &["screening", "declined"];

/// The hand-worked programme (referrals received 2026-11-02, matches begun 2026-11-23):
///
/// | group (decile)      | referred | accepted | matched | matched 6m before | sustained 6m | with outcomes | improved |
/// |---------------------|----------|----------|---------|-------------------|--------------|---------------|----------|
/// | Asian (5: q3)       | 1        | 0        | 0       | 0                 | 0            | 0             | 0        |
/// | Black (1: q1)       | 3        | 3        | 2       | 2                 | 1            | 0             | 0        |
/// | White (9, 10: q5)   | 6        | 4        | 2       | 2                 | 2            | 2             | 1        |
/// | Prefer not to say   | 2        | 0        | 0       | 0                 | 0            | 0             | 0        |
///
/// One Black girl's match ends after a month, so it is not sustained. The clock ends at
/// 2027-06-01, more than six months after the matches began. Returns an evaluator.
async fn programme(app: &TestApp) -> TestUser {
    let (lead, a, _) = app.charities().await;
    app.instruments().await;
    let admin = app.user(lead, Role::ProgrammeAdmin).await;
    let t = app.token(&admin).await;
    let mentor = app.compliant_mentor(&t, a, json!({"capacity": 5})).await;
    referral(app, &t, a, "asian_pakistani", Some(5), DECLINE).await;
    let mut black = Vec::new();
    for _ in 0..3 {
        black.push(referral(app, &t, a, "black_african", Some(1), ACCEPT).await);
    }
    let mut white = Vec::new();
    for (i, decile) in [9, 10, 9, 10, 9, 10].into_iter().enumerate() {
        white.push(referral(app, &t, a, "white_british", Some(decile), if i < 4 { ACCEPT } else { DECLINE }).await);
    }
    for _ in 0..2 {
        referral(app, &t, a, "prefer_not_to_say", None, DECLINE).await;
    }
    let _black_sustained = app.active_match(&t, black[0].0, mentor.id).await;
    let black_short = app.active_match(&t, black[1].0, mentor.id).await;
    app.active_match(&t, white[0].0, mentor.id).await;
    app.active_match(&t, white[1].0, mentor.id).await;
    // YP-CORE (lower is better, reliable change 8): 30 -> 10 is a reliable improvement, 20 -> 20 none.
    app.assessment(&t, white[0].1, assessment_json("YP-CORE", "baseline", "2026-11-23", json!([3, 3, 3, 3, 3, 3, 3, 3, 3, 3]))).await;
    app.assessment(&t, white[1].1, assessment_json("YP-CORE", "baseline", "2026-11-23", json!([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]))).await;

    app.clock.advance(Duration::days(31));
    let t = app.token(&admin).await;
    let end =
        json!({"to": "ended", "ending_type": "unplanned", "ending_reason": "young_person_disengaged", "exit_conversation_held": false});
    let r = app.post(&format!("/api/v1/matches/{black_short}/transitions")).token(&t).json(end).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    app.clock.advance(Duration::days(70));
    let t = app.token(&admin).await;
    let today = app.state.now().date_naive().to_string();
    app.assessment(&t, white[0].1, assessment_json("YP-CORE", "review", &today, json!([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))).await;
    app.assessment(&t, white[1].1, assessment_json("YP-CORE", "review", &today, json!([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]))).await;

    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 6, 1, 9, 0, 0).unwrap());
    app.user(lead, Role::Evaluator).await
}

fn group<'a>(body: &'a Value, key: &str) -> &'a Value {
    body["groups"].as_array().unwrap().iter().find(|g| g["group"] == key).unwrap_or_else(|| panic!("no group {key}"))
}

fn cell<'a>(body: &'a Value, key: &str, stage: &str) -> &'a Value {
    group(body, key)["stages"].as_array().unwrap().iter().find(|c| c["stage"] == stage).unwrap()
}

fn counts(body: &Value, key: &str) -> Vec<Value> {
    group(body, key)["stages"].as_array().unwrap().iter().map(|c| c["count"].clone()).collect()
}

fn rri(body: &Value, key: &str, stage: &str) -> (Value, Value, Value) {
    let c = cell(body, key, stage);
    (c["rri"].clone(), c["ci_low"].clone(), c["ci_high"].clone())
}

async fn spawn_with_base(dir: &tempfile::TempDir) -> TestApp {
    let path = dir.path().join("population.toml");
    std::fs::write(&path, BASE).unwrap();
    TestApp::spawn_with(|c| {
        c.disclosure_mode = DisclosureMode::Threshold;
        c.disclosure_k = 2;
        c.population_base = Some(path);
    })
    .await
}

#[tokio::test]
async fn counts_and_rris_by_ethnic_group_match_the_hand_worked_values() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_base(&dir).await;
    let evaluator = programme(&app).await;
    let token = app.token(&evaluator).await;
    let r = app.get("/api/v1/reports/disproportionality").token(&token).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["by"], "ethnicity");
    assert_eq!(b["reference_group"], "white");
    assert_eq!(b["as_of"], "2027-06-01");
    assert_eq!(b["population_base"], json!({"source": "Test county, females 11-24", "synthetic": false}));
    assert_eq!(b["warnings"], json!([]));
    assert_eq!(b["disclosure"]["mode"], "threshold");
    assert_eq!(b["stages"].as_array().unwrap().len(), 7);
    assert!(b["stages"].as_array().unwrap().iter().all(|s| s["definition"].as_str().is_some_and(|d| !d.is_empty())));

    // Counts (k = 2): the lone Asian referral is hidden, and so is the smallest other count of
    // the referral column (the 2 who preferred not to say), so neither can be worked out
    // from the total. One sustained Black match is hidden, and so the 2 White ones are too.
    assert_eq!(counts(b, "black"), [json!(3), json!(3), json!(2), json!(2), json!("[c]"), json!(0), json!(0)]);
    assert_eq!(counts(b, "white"), [json!(6), json!(4), json!(2), json!(2), json!("[c]"), json!(2), json!("[c]")]);
    assert_eq!(counts(b, "asian"), [json!("[c]"), json!(0), json!(0), json!(0), json!(0), json!(0), json!(0)]);
    assert_eq!(counts(b, "prefer_not_to_say"), [json!("[c]"), json!(0), json!(0), json!(0), json!(0), json!(0), json!(0)]);
    assert_eq!(counts(b, "mixed"), vec![json!(0); 7]);
    let totals: Vec<Value> = b["totals"].as_array().unwrap().iter().map(|t| t["count"].clone()).collect();
    assert_eq!(totals, [json!(12), json!(7), json!(4), json!(4), json!(3), json!(2), json!("[c]")]);
    assert_eq!(group(b, "white")["population"], 1000);
    // The detailed White lines: all six White girls are White British.
    assert_eq!(counts(b, "white_british"), counts(b, "white"));
    assert_eq!(group(b, "white_british")["within"], "white");
    assert_eq!(group(b, "white")["within"], Value::Null);
    assert_eq!(counts(b, "white_roma"), vec![json!(0); 7]);
    assert_eq!(cell(b, "white_british", "referred")["note"], "no population base for this group");
    assert_eq!(group(b, "prefer_not_to_say")["population"], Value::Null);

    // MOVER-Wilson intervals from each rate's Wilson interval (z = 1.959964).
    // Referred: (3/100) / (6/1000) = 5.0; Wilson 0.010255–0.084519 and 0.002753–0.013028:
    // 1.35 to 18.54.
    assert_eq!(rri(b, "black", "referred"), (json!(5.0), json!(1.35), json!(18.54)));
    // Accepted: (3/3) / (4/6) = 1.5; Wilson 0.438503–1 and 0.299993–0.903231: 0.63 to 3.33
    // (the log interval, 0.85 to 2.64, lost the uncertainty of 3 of 3).
    assert_eq!(rri(b, "black", "accepted"), (json!(1.5), json!(0.63), json!(3.33)));
    // Matched: (2/3) / (2/4) = 1.33: 0.38 to 4.60.
    assert_eq!(rri(b, "black", "matched"), (json!(1.33), json!(0.38), json!(4.6)));
    assert!(b["disclosure"]["rule"].as_str().unwrap().contains("MOVER-Wilson"));
    // Small numbers hide the RRI.
    assert_eq!(cell(b, "black", "sustained_six_months")["rri"], Value::Null);
    assert_eq!(cell(b, "black", "sustained_six_months")["note"], "small numbers");
    assert_eq!(cell(b, "asian", "referred")["note"], "small numbers");
    assert_eq!(cell(b, "black", "improved_outcome")["note"], "no one in this group at the previous stage");
    assert_eq!(cell(b, "prefer_not_to_say", "referred")["note"], "no population base for this group");
    assert_eq!(cell(b, "prefer_not_to_say", "accepted")["note"], "no events in this group");
    assert_eq!(cell(b, "mixed", "referred")["note"], "no events in this group");
    // The reference group is parity.
    assert_eq!(cell(b, "white", "matched")["rri"], 1.0);
    assert_eq!(cell(b, "white", "matched")["note"], "reference group");

    // A period with none of the referrals: all zero, no RRIs.
    let r = app.get("/api/v1/reports/disproportionality?from=2026-01-01&to=2026-10-31").token(&token).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["totals"][0]["count"], 0);
    assert_eq!(cell(&r.body, "black", "referred")["note"], "no events in the reference group");
    // The period includes the referrals' day.
    let r = app.get("/api/v1/reports/disproportionality?from=2026-11-02&to=2026-11-02").token(&token).send().await;
    assert_eq!(r.body["totals"][0]["count"], 12);

    // CSV: one line per group and stage.
    let r = app.get("/api/v1/reports/disproportionality?format=csv").token(&token).send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(r.text.lines().count(), 1 + 12 * 7);
    assert!(r.text.contains("ethnicity,black,Black,false,100,referred,3,5.00,1.35,18.54,,configured"), "{}", r.text);

    // Audited with the filters and what was returned, no personal data.
    let events = app.audit_events("reports.disproportionality").await;
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.actor_id == Some(evaluator.id)));
    let details: Vec<Value> = events.iter().map(|e| e.detail.clone().into_inner()).collect();
    assert!(details.iter().any(|d| d["from"] == "2026-01-01" && d["to"] == "2026-10-31" && d["by"] == "ethnicity"));
    assert!(details.iter().any(|d| d["format"] == "csv" && d["groups"] == 12));
}

#[tokio::test]
async fn a_match_too_young_to_have_run_six_months_is_not_in_the_sustained_base() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_base(&dir).await;
    let evaluator = programme(&app).await;
    // The matches were signed on 2026-11-23: on 2027-05-01 none of them can have run six
    // months, so none is in the base and none counts as not sustained.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 5, 1, 9, 0, 0).unwrap());
    let token = app.token(&evaluator).await;
    let r = app.get("/api/v1/reports/disproportionality").token(&token).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for g in ["black", "white"] {
        assert_eq!(cell(&r.body, g, "matched")["count"], 2, "{g}");
        assert_eq!(cell(&r.body, g, "could_reach_six_months")["count"], 0, "{g}");
        assert_eq!(cell(&r.body, g, "sustained_six_months")["count"], 0, "{g}");
    }
    assert_eq!(cell(&r.body, "black", "sustained_six_months")["note"], "no events in the reference group");
    // On 2027-05-23 they all can: the base is the matched again.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 5, 23, 9, 0, 0).unwrap());
    let token = app.token(&evaluator).await;
    let r = app.get("/api/v1/reports/disproportionality").token(&token).send().await;
    assert_eq!(cell(&r.body, "white", "could_reach_six_months")["count"], 2);
    assert_eq!(cell(&r.body, "black", "could_reach_six_months")["count"], 2);
    // One Black match of the two ran six months: hidden (k = 2), and the White count with it.
    assert_eq!(cell(&r.body, "black", "sustained_six_months")["count"], "[c]");
}

#[tokio::test]
async fn by_imd_uses_quintile_five_as_reference() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_base(&dir).await;
    let evaluator = programme(&app).await;
    let r = app.get("/api/v1/reports/disproportionality?by=imd").token(&app.token(&evaluator).await).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["by"], "imd");
    assert_eq!(b["reference_group"], "5");
    let keys: Vec<&str> = b["groups"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(keys, ["1", "2", "3", "4", "5", "not_known"]);
    assert_eq!(group(b, "5")["reference"], true);
    assert_eq!(counts(b, "1"), [json!(3), json!(3), json!(2), json!(2), json!("[c]"), json!(0), json!(0)]);
    assert_eq!(counts(b, "5"), [json!(6), json!(4), json!(2), json!(2), json!("[c]"), json!(2), json!("[c]")]);
    assert_eq!(counts(b, "not_known")[0], "[c]");
    // Referred: (3/200) / (6/400) = 1.0, MOVER-Wilson 0.27 to 3.77.
    assert_eq!(rri(b, "1", "referred"), (json!(1.0), json!(0.27), json!(3.77)));
    assert_eq!(rri(b, "1", "accepted"), (json!(1.5), json!(0.63), json!(3.33)));
    assert_eq!(cell(b, "3", "referred")["note"], "small numbers");
    assert_eq!(cell(b, "not_known", "referred")["note"], "no population base for this group");
}

#[tokio::test]
async fn without_a_population_base_the_first_stage_says_so_and_later_stages_compute() {
    let app = TestApp::spawn_with(|c| {
        c.disclosure_mode = DisclosureMode::Threshold;
        c.disclosure_k = 2;
    })
    .await;
    let evaluator = programme(&app).await;
    let r = app.get("/api/v1/reports/disproportionality").token(&app.token(&evaluator).await).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["population_base"], Value::Null);
    assert!(b["warnings"][0].as_str().unwrap().contains("No population base"));
    assert_eq!(group(b, "black")["population"], Value::Null);
    assert_eq!(cell(b, "black", "referred")["rri"], Value::Null);
    assert_eq!(cell(b, "black", "referred")["note"], "no population base configured");
    assert_eq!(rri(b, "black", "accepted"), (json!(1.5), json!(0.63), json!(3.33)));
    assert_eq!(rri(b, "black", "matched"), (json!(1.33), json!(0.38), json!(4.6)));
}

#[tokio::test]
async fn bad_input_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let token = app.token(&app.user(lead, Role::Evaluator).await).await;
    for (query, field) in [
        ("from=2026-06-01&to=2026-01-01", "from"),
        ("by=race", "by"),
        ("format=pdf", "format"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("colour=red", "colour"),
        // Years a database need not accept are refused, never a 500.
        ("from=-9999-01-01", "from"),
        ("to=+10000-01-01", "to"),
        ("from=1899-12-31", "from"),
    ] {
        let r = app.get(&format!("/api/v1/reports/disproportionality?{query}")).token(&token).send().await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.text);
        assert!(r.error_fields().iter().any(|f| f == field), "{query}: {}", r.text);
    }
    // An empty programme answers, with zeros.
    let r = app.get("/api/v1/reports/disproportionality?by=imd").token(&token).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Windows are whole months, here and in the programme report.
    for path in ["/api/v1/reports/disproportionality?", "/api/v1/reports/programme?"] {
        let r = app.get(&format!("{path}from=2026-08-12&to=2026-09-03")).token(&token).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["from"], "2026-08-01", "{path}");
        assert_eq!(r.body["to"], "2026-09-30", "{path}");
        let r = app.get(&format!("{path}from=-9999-01-01")).token(&token).send().await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn the_demo_answers_with_its_synthetic_base_marked() {
    let app = TestApp::spawn_with(|c| c.population_base_demo = true).await;
    trellis::demo::seed(&app.db, &app.state.config, &app.state.keys, start_time(), &trellis::demo::Options { seed: 2026, scale: 1 })
        .await
        .unwrap();
    let lead = app.charities_lead().await;
    let token = app.token(&app.user(lead, Role::Evaluator).await).await;
    let mut rris = Vec::new();
    for by in ["ethnicity", "imd"] {
        let r = app.get(&format!("/api/v1/reports/disproportionality?by={by}")).token(&token).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["population_base"]["synthetic"], true);
        assert!(r.body["warnings"][0].as_str().unwrap().contains("SYNTHETIC"));
        assert!(r.body["totals"][0]["count"].as_u64().unwrap() > 100);
        for g in r.body["groups"].as_array().unwrap().iter().filter(|g| g["reference"] == false) {
            rris.extend(g["stages"].as_array().unwrap().iter().filter_map(|c| c["rri"].as_f64()));
        }
    }
    assert!(rris.iter().any(|r| *r > 1.0) && rris.iter().any(|r| *r < 1.0), "{rris:?}");
}

#[tokio::test]
async fn a_bad_population_base_stops_start_up_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("population.toml");
    std::fs::write(&path, BASE.replace("black = 100", "black = -100")).unwrap();
    let config = trellis::config::Config { population_base: Some(path.clone()), ..trellis::config::Config::default() };
    let e = trellis::reports::population::check(&config).unwrap_err();
    assert!(e.contains(&path.display().to_string()) && e.contains("ethnicity.black"), "{e}");
}
