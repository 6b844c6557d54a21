//! The programme report: figures against a small hand-counted programme (threshold mode with
//! a small k, and the NHS rule), a coordinator's own charity only, CSV and the printable
//! HTML page (self-contained, no hidden count drawn), the demo programme, and bad input.

use serde_json::{Value, json};
use trellis::config::DisclosureMode;
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

/// A referral received on `on` from `source`, through the API; returns (referral, young person).
async fn referral_on(app: &TestApp, admin: &str, org: Uuid, on: &str, source: &str) -> (Uuid, Uuid) {
    let mut body = referral_json(org);
    body["received_on"] = json!(on);
    body["source_type"] = json!(source);
    let r = app.post("/api/v1/referrals").token(admin).json(body).send().await;
    assert_eq!(r.status, 201, "{}", r.text);
    (r.body["id"].as_str().unwrap().parse().unwrap(), r.body["young_person_id"].as_str().unwrap().parse().unwrap())
}

async fn threshold_app(k: u32) -> TestApp {
    TestApp::spawn_with(|c| {
        c.disclosure_mode = DisclosureMode::Threshold;
        c.disclosure_k = k;
    })
    .await
}

/// The small programme every figure below is counted from (the clock is 2026-11-23):
/// charity A: r1 2026-08-10 school, declined; r2 2026-08-20 school, accepted, matched, two
/// attended sessions of 90 minutes and a concern; r3 2026-09-05 school, waitlisted; r4
/// 2026-10-12 police, accepted; r5 2026-11-02 police, received. Charity B: one health
/// referral of 2026-11-02. Every decision is made today.
struct Known {
    lead: Uuid,
    a: Uuid,
    b: Uuid,
    admin: String,
}

async fn known_programme(app: &TestApp) -> Known {
    let (lead, a, b) = app.charities().await;
    let admin = app.admin_token(lead).await;
    let (r1, _) = referral_on(app, &admin, a, "2026-08-10", "school_college").await;
    app.move_referral(&admin, r1, &["screening", "declined"]).await;
    let (r2, yp2) = referral_on(app, &admin, a, "2026-08-20", "school_college").await;
    app.move_referral(&admin, r2, &["screening", "accepted"]).await;
    let (r3, _) = referral_on(app, &admin, a, "2026-09-05", "school_college").await;
    app.move_referral(&admin, r3, &["screening", "waitlisted"]).await;
    let (r4, _) = referral_on(app, &admin, a, "2026-10-12", "police").await;
    app.move_referral(&admin, r4, &["screening", "accepted"]).await;
    referral_on(app, &admin, a, "2026-11-02", "police").await;
    referral_on(app, &admin, b, "2026-11-02", "health").await;
    let mentor = app.compliant_mentor(&admin, a, json!({})).await;
    let m = app.active_match(&admin, r2, mentor.id).await;
    app.log_session(&admin, m, "2026-11-23").await;
    app.log_session(&admin, m, "2026-11-23").await;
    app.concern(&admin, yp2, false).await;
    Known { lead, a, b, admin }
}

fn section<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["sections"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap_or_else(|| panic!("no section {key}"))
}

fn table<'a>(report: &'a Value, section_key: &str, key: &str) -> &'a Value {
    section(report, section_key)["tables"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap_or_else(|| panic!("no table {key}"))
}

/// The published cells of the table's row `row`.
fn row(t: &Value, row: &str) -> Value {
    let i = t["rows"].as_array().unwrap().iter().position(|r| r == row).unwrap_or_else(|| panic!("no row {row}"));
    t["table"]["cells"][i].clone()
}

fn statistic<'a>(report: &'a Value, section_key: &str, key: &str) -> &'a Value {
    section(report, section_key)["statistics"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()
}

#[tokio::test]
async fn the_report_matches_a_hand_counted_programme_in_threshold_mode() {
    let app = threshold_app(2).await;
    let k = known_programme(&app).await;
    let evaluator = app.user(k.lead, Role::Evaluator).await;
    let t = app.token(&evaluator).await;
    let r = app.get("/api/v1/reports/programme").token(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rep = &r.body;
    assert_eq!(rep["scope"]["kind"], "programme");
    assert_eq!(rep["generated_on"], "2026-11-23");
    assert_eq!(rep["group_by"], "quarter");
    assert_eq!(rep["disclosure"]["mode"], "threshold");
    assert_eq!(rep["disclosure"]["k"], 2);
    assert_eq!(rep["periods"], json!(["2026-Q3", "2026-Q4"]));

    // Referrals by source: school 3 in Q3; police 2 and health 1 in Q4. The health 1 is
    // below k; alone in its Q4 column it would be 3 − 2, so the police 2 is hidden too.
    let by_source = table(rep, "referrals", "by_source");
    assert_eq!(row(by_source, "school_college"), json!([3, 0]));
    assert_eq!(row(by_source, "police"), json!([0, "[c]"]));
    assert_eq!(row(by_source, "health"), json!([0, "[c]"]));
    assert_eq!(row(by_source, "family"), json!([0, 0]));
    assert_eq!(by_source["table"]["column_totals"], json!([3, 3]));
    assert_eq!(by_source["table"]["total"], 6);
    let by_district = table(rep, "referrals", "by_district");
    assert_eq!(row(by_district, "Ashworth"), json!([3, 3]));

    // Decisions, all made today: accepted 2, declined 1, waitlisted 1.
    let decisions = table(rep, "decisions", "decisions");
    assert_eq!(row(decisions, "accepted"), json!([0, 2]));
    assert_eq!(row(decisions, "declined"), json!([0, "[c]"]));
    assert_eq!(row(decisions, "waitlisted"), json!([0, "[c]"]));
    assert_eq!(decisions["table"]["total"], 4);

    // Days to decision: 42, 79, 95, 105. Over four people the median, quartiles and mean
    // would give three of the four values away: averages need at least ten people.
    let d = statistic(rep, "decisions", "days_to_decision");
    assert_eq!(d["total"]["people"], 4);
    for f in ["median", "q1", "q3", "mean"] {
        assert_eq!(d["total"][f], Value::Null, "{f}");
    }
    assert!(d["total"]["note"].as_str().unwrap().contains("fewer than 10"));
    assert_eq!(d["by_period"][0]["people"], 0);
    assert_eq!(d["by_period"][1]["median"], Value::Null);
    // Days to a match: one referral (95 days), too few to show.
    let m = statistic(rep, "decisions", "days_to_match");
    assert_eq!(m["total"]["people"], "[c]");
    assert_eq!(m["total"]["median"], Value::Null);
    assert!(m["total"]["note"].as_str().unwrap().contains("fewer than 10"));

    // One active match; two attended sessions of 90 minutes for one young person.
    let active = &section(rep, "matches")["series"][0];
    assert_eq!(active["key"], "active_matches");
    assert_eq!(active["by_period"], json!([{"period": "2026-Q3", "value": 0}, {"period": "2026-Q4", "value": "[c]"}]));
    let sessions = table(rep, "sessions", "sessions");
    assert_eq!(row(sessions, "attended"), json!([0, 2]));
    assert_eq!(row(sessions, "not_attended"), json!([0, 0]));
    let hours = statistic(rep, "sessions", "hours_delivered");
    assert_eq!(hours["total"]["people"], "[c]");
    assert_eq!(hours["total"]["value"], Value::Null, "3 hours for one young person is not shown");

    // One concern, county lines.
    assert_eq!(row(table(rep, "safeguarding", "concerns_by_category"), "county_lines"), json!([0, "[c]"]));

    // Funnel: 6 referred, 2 accepted, 1 matched, none sustained six months or improved.
    let funnel: Vec<Value> = rep["funnel"].as_array().unwrap().iter().map(|s| s["value"].clone()).collect();
    assert_eq!(funnel, vec![json!(6), json!(2), json!("[c]"), json!(0), json!(0)]);

    // Workforce: one approved mentor.
    assert_eq!(row(table(rep, "workforce", "mentors_by_status"), "approved"), json!(["[c]"]));

    // By month, the same counts fall in their months.
    let r = app.get("/api/v1/reports/programme?group_by=month&from=2026-08-01&to=2026-11-30").token(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["periods"], json!(["2026-08", "2026-09", "2026-10", "2026-11"]));
    // School: 2 in August and 1 in September; the 1 is hidden, and with it the 2, the only
    // other non-zero cell of its row (the row total of 3 is shown).
    assert_eq!(row(table(&r.body, "referrals", "by_source"), "school_college"), json!(["[c]", "[c]", 0, 0]));
    // Police: 1 in October and 1 in November, both below k.
    assert_eq!(row(table(&r.body, "referrals", "by_source"), "police"), json!([0, 0, "[c]", "[c]"]));

    // A window holds only what happened in it: August alone has two referrals and no decisions.
    let r = app.get("/api/v1/reports/programme?from=2026-08-01&to=2026-08-31").token(&t).send().await;
    assert_eq!(r.body["periods"], json!(["2026-Q3"]));
    assert_eq!(table(&r.body, "referrals", "by_source")["table"]["total"], 2);
    assert_eq!(table(&r.body, "decisions", "decisions")["table"]["total"], 0);

    // Every report is audited with its filters, never a young person's details.
    let events = app.audit_events("report.programme").await;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.actor_id == Some(evaluator.id)));
    let _ = (k.a, k.b, &k.admin);
}

#[tokio::test]
async fn the_nhs_rule_hides_one_to_seven_and_rounds_the_rest() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    for _ in 0..9 {
        referral_on(&app, &admin, a, "2026-08-10", "school_college").await;
    }
    referral_on(&app, &admin, a, "2026-08-11", "police").await;
    let r = app.get("/api/v1/reports/programme").token(&admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["disclosure"]["mode"], "nhs");
    assert_eq!(r.body["disclosure"]["hidden_symbol"], "*");
    let t = table(&r.body, "referrals", "by_source");
    // 9 → 10; 1 → "*"; the total of 10 is rounded on its own.
    assert_eq!(row(t, "school_college"), json!([10]));
    assert_eq!(row(t, "police"), json!(["*"]));
    assert_eq!(t["table"]["column_totals"], json!([10]));
    assert_eq!(r.body["funnel"][0]["value"], 10);
    assert_eq!(r.body["funnel"][1]["value"], 0);
    // No raw 9 anywhere in the answer.
    assert!(!r.text.contains(":9,") && !r.text.contains("[9]") && !r.text.contains(",9]"), "{}", r.text);
}

#[tokio::test]
async fn a_coordinator_sees_her_own_charity_only() {
    let app = threshold_app(2).await;
    let k = known_programme(&app).await;
    let coord = app.user(k.a, Role::Coordinator).await;
    let t = app.token(&coord).await;
    let r = app.get("/api/v1/reports/programme").token(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["scope"]["kind"], "charity");
    assert_eq!(r.body["scope"]["organisation_id"], k.a.to_string());
    assert_eq!(r.body["scope"]["organisation_name"], "Partner A");
    let before = table(&r.body, "referrals", "by_source")["table"].clone();
    assert_eq!(before["total"], 5);
    assert_eq!(row(table(&r.body, "referrals", "by_source"), "health"), json!([0, 0]));
    // Another charity's referrals do not change her report.
    for _ in 0..3 {
        referral_on(&app, &k.admin, k.b, "2026-09-01", "school_college").await;
    }
    let r = app.get(&format!("/api/v1/reports/programme?organisation_id={}", k.a)).token(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(table(&r.body, "referrals", "by_source")["table"], before);
    // Another charity's report, or the whole programme's, is refused.
    let r = app.get(&format!("/api/v1/reports/programme?organisation_id={}", k.b)).token(&t).send().await;
    r.assert_problem(403, "forbidden");
    let r = app.get(&format!("/api/v1/reports/programme?organisation_id={}", Uuid::now_v7())).token(&t).send().await;
    assert_eq!(r.status, 403);
    // An evaluator may ask for any charity; an unknown one is 404.
    let ev = app.user(k.lead, Role::Evaluator).await;
    let et = app.token(&ev).await;
    let r = app.get(&format!("/api/v1/reports/programme?organisation_id={}", k.b)).token(&et).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(table(&r.body, "referrals", "by_source")["table"]["total"], 4);
    let r = app.get(&format!("/api/v1/reports/programme?organisation_id={}", Uuid::now_v7())).token(&et).send().await;
    r.assert_problem(404, "not_found");
    // Mentors and safeguarding leads get nothing; no token, 401.
    for role in [Role::Mentor, Role::SafeguardingLead] {
        let u = app.user(k.a, role).await;
        let r = app.get("/api/v1/reports/programme").token(&app.token(&u).await).send().await;
        assert_eq!(r.status, 403, "{role:?}");
    }
    assert_eq!(app.get("/api/v1/reports/programme").send().await.status, 401);
}

#[tokio::test]
async fn csv_is_long_format_one_figure_a_line() {
    let app = threshold_app(2).await;
    let k = known_programme(&app).await;
    let r = app.get("/api/v1/reports/programme?format=csv").token(&k.admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().starts_with("attachment"));
    let lines: Vec<&str> = r.text.split("\r\n").collect();
    assert_eq!(lines[0], "section,period,breakdown,category,value");
    for want in [
        "referrals,2026-Q3,by_source,school_college,3",
        "referrals,2026-Q4,by_source,police,[c]",
        "referrals,total,by_source,total,6",
        "referrals,2026-Q4,by_source,total,3",
        "decisions,total,days_to_decision,median,withheld",
        "decisions,total,days_to_match,median,withheld",
        "funnel,total,funnel,referred,6",
    ] {
        assert!(lines.contains(&want), "missing {want}:\n{}", r.text);
    }
    assert!(lines.iter().filter(|l| !l.is_empty()).all(|l| l.matches(',').count() >= 4), "{}", r.text);
}

#[tokio::test]
async fn the_html_page_is_one_self_contained_file_that_never_draws_a_hidden_count() {
    let app = threshold_app(5).await;
    let (lead, a, _) = app.charities().await;
    // A charity name is user input: it is escaped.
    let odd = app.org("Partner <b>&</b> \"Co\"", trellis::organisations::dto::OrganisationKind::Partner).await;
    let admin = app.admin_token(lead).await;
    // School 3 (hidden: below 5) and police 6 (hidden too, to protect the 3 from the total).
    for _ in 0..3 {
        referral_on(&app, &admin, odd, "2026-08-10", "school_college").await;
    }
    for _ in 0..6 {
        referral_on(&app, &admin, odd, "2026-08-12", "police").await;
    }
    for _ in 0..7 {
        referral_on(&app, &admin, a, "2026-08-12", "family").await;
    }
    let r = app.get(&format!("/api/v1/reports/programme?format=html&organisation_id={odd}")).token(&admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // Shown from the API, the page may use its inline styles and nothing else.
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'") && csp.contains("style-src 'unsafe-inline'"), "{csp}");
    assert!(!csp.contains("script"), "{csp}");
    let html = &r.text;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("<style>") && html.contains("@media print"));
    for banned in ["<script", "http", "src=", "href=", "<link", "url(", "@import", "//", "<img", "<iframe"] {
        assert!(!html.to_lowercase().contains(banned), "the page contains {banned}");
    }
    assert!(html.contains("Partner &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;"));
    assert!(!html.contains("<b>"));
    assert!(html.contains("Generated on 2026-11-23"));
    // One charity's page: the disproportionality tables are the whole programme's.
    assert!(html.contains("published for the whole programme only"));
    assert!(!html.contains("Disproportionality by ethnic group"));
    let whole = app.get("/api/v1/reports/programme?format=html").token(&admin).send().await;
    assert_eq!(whole.status, 200, "{}", whole.text);
    assert!(whole.text.contains("Disproportionality by ethnic group") && whole.text.contains("Disproportionality by IMD quintile"));
    for banned in ["<script", "http", "src=", "href=", "<link", "url(", "@import", "//", "<img", "<iframe"] {
        assert!(!whole.text.to_lowercase().contains(banned), "the programme page contains {banned}");
    }
    // The 3 and the 6 are hidden: no bar carries them, each is a fixed mark with "[c]".
    assert!(!html.contains("data-value=\"3\"") && !html.contains("data-value=\"6\""));
    assert!(!html.contains(": 3<") && !html.contains(": 6<"));
    assert!(html.contains("data-hidden=\"[c]\""));
    let marks = html.matches("data-hidden=").count();
    assert!(marks >= 2, "{marks} hidden marks");
    // Every hidden mark has one fixed size, whatever it stands for.
    for part in html.split("<g class=\"hidden\"").skip(1) {
        let mark = &part[..part.find("</g>").unwrap()];
        assert!(mark.contains("width=\"22\" height=\"14\""), "{mark}");
    }
    // The total of 9 is shown (it is not small).
    assert!(html.contains("total 9"));
}

#[tokio::test]
async fn the_demo_programme_gives_a_report_with_every_section() {
    let app = TestApp::spawn().await;
    let opts = trellis::demo::Options { seed: 2026, scale: 1 };
    trellis::demo::seed(&app.db, &app.state.config, &app.state.keys, start_time(), &opts).await.unwrap().unwrap();
    let lead = app.charities_lead().await;
    let ev = app.user(lead, Role::Evaluator).await;
    let t = app.token(&ev).await;
    let r = app.get("/api/v1/reports/programme").token(&t).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let keys: Vec<&str> = r.body["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["referrals", "decisions", "matches", "sessions", "outcomes", "safeguarding", "workforce"]);
    assert!(r.body["periods"].as_array().unwrap().len() >= 8, "{}", r.body["periods"]);
    // About 200 referrals over three years: the total is shown (rounded to 5).
    let total = table(&r.body, "referrals", "by_source")["table"]["total"].as_u64().unwrap();
    assert!((150..=400).contains(&total) && total.is_multiple_of(5), "{total}");
    let d = statistic(&r.body, "decisions", "days_to_decision");
    assert!(d["total"]["median"].as_f64().unwrap() > 0.0);
    let hours = statistic(&r.body, "sessions", "hours_delivered");
    assert!(hours["total"]["value"].as_f64().unwrap() > 0.0);
    let swemwbs = statistic(&r.body, "outcomes", "swemwbs_change");
    assert!(swemwbs["total"]["mean"].is_number(), "{swemwbs}");
    assert_eq!(r.body["funnel"].as_array().unwrap().len(), 5);
    for f in ["csv", "html"] {
        let r = app.get(&format!("/api/v1/reports/programme?format={f}&group_by=month")).token(&t).send().await;
        assert_eq!(r.status, 200, "{f}: {}", r.text);
    }
}

#[tokio::test]
async fn bad_parameters_are_422_naming_the_field() {
    let Programme { app, admin, .. } = Programme::start().await;
    for (query, field) in [
        ("group_by=week", "group_by"),
        ("format=pdf", "format"),
        ("from=2026-10-01&to=2026-09-30", "from"),
        ("from=2026-13-01", "from"),
        ("organisation_id=nope", "organisation_id"),
        ("colour=blue", "colour"),
    ] {
        let r = app.get(&format!("/api/v1/reports/programme?{query}")).token(&admin).send().await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), vec![field.to_string()], "{query}");
    }
}

#[tokio::test]
async fn a_district_outside_the_charitys_own_is_reported_as_other() {
    let app = threshold_app(2).await;
    let (lead, a, b) = app.charities().await;
    let admin = app.admin_token(lead).await;
    // Partner A's districts are Ashworth alone; the young person's district is free text.
    for district in ["Ashworth", " ashworth", "Flat 3, 12 Mill Lane", "Flat 3, 12 Mill Lane", "Fenwick"] {
        let mut body = referral_json(a);
        body["received_on"] = json!("2026-09-01");
        body["young_person"]["district"] = json!(district);
        let r = app.post("/api/v1/referrals").token(&admin).json(body).send().await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    referral_on(&app, &admin, b, "2026-09-02", "health").await;
    let r = app.get("/api/v1/reports/programme").token(&admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = table(&r.body, "referrals", "by_district");
    assert_eq!(t["rows"], json!(["Ashworth", "other"]));
    assert_eq!(row(t, "Ashworth"), json!([3]));
    assert_eq!(row(t, "other"), json!([3]));
    assert!(!r.text.contains("Mill Lane") && !r.text.contains("Fenwick"), "{}", r.text);
    for format in ["csv", "html"] {
        let r = app.get(&format!("/api/v1/reports/programme?format={format}")).token(&admin).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.text.contains("Mill Lane") && !r.text.contains("Fenwick"), "{format}");
    }
}

#[tokio::test]
async fn an_attendance_share_never_gives_a_hidden_count_away() {
    let app = threshold_app(5).await;
    let (lead, a, _) = app.charities().await;
    let admin = app.admin_token(lead).await;
    let mut matches = Vec::new();
    for _ in 0..5 {
        matches.push(app.mentor_with_match(&admin, a).await.0);
    }
    // Nine attended sessions for five young people, one missed.
    for (i, m) in matches.iter().enumerate() {
        for _ in 0..if i == 0 { 5 } else { 1 } {
            app.log_session(&admin, *m, "2026-11-23").await;
        }
    }
    let (app_ref, admin_ref) = (&app, admin.as_str());
    let missed = move |m: Uuid| async move {
        let r = app_ref
            .post("/api/v1/mentoring-sessions")
            .token(admin_ref)
            .json(json!({"match_id": m, "held_on": "2026-11-23", "attended": false}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    };
    missed(matches[0]).await;
    let r = app.get("/api/v1/reports/programme").token(&admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(row(table(&r.body, "sessions", "sessions"), "not_attended"), json!([0, "[c]"]));
    // 0.9 of 10 sessions would be the hidden 1.
    let att = statistic(&r.body, "sessions", "attendance");
    assert_eq!(att["total"]["people"], 5);
    assert_eq!(att["total"]["value"], Value::Null, "{att}");
    assert!(att["total"]["note"].as_str().unwrap().contains("reveal"), "{att}");
    assert_eq!(att["by_period"][1]["period"], "2026-Q4");
    assert_eq!(att["by_period"][1]["value"], Value::Null, "{att}");
    let csv = app.get("/api/v1/reports/programme?format=csv").token(&admin).send().await;
    assert!(csv.text.contains("sessions,total,attendance,share,withheld"), "{}", csv.text);
    // Five missed: 9 of 14 are both shown, and the share is published to whole per cent.
    for _ in 0..4 {
        missed(matches[1]).await;
    }
    let r = app.get("/api/v1/reports/programme").token(&admin).send().await;
    let att = statistic(&r.body, "sessions", "attendance");
    assert_eq!(att["total"]["value"], 0.64, "{att}");
    assert_eq!(att["by_period"][1]["value"], 0.64, "{att}");
    // Every approved mentor may be matched: 5 of 5, the rest 0.
    assert_eq!(statistic(&r.body, "workforce", "compliance_rate")["total"]["value"], 1.0);
}
