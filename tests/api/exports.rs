//! The evaluation extract: nothing identifying in it (scanned for every demo young person's
//! name, date of birth, postcode, LSOA, notes and ids), k-anonymous over its
//! quasi-identifiers, pseudonyms stable within a project and unlinkable across projects, bad
//! input refused, audited with the SHA-256 of what was sent, and a dictionary that names
//! exactly the extract's columns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;
use trellis::entities::{audit_event, case_note, concern, mentoring_session, organisation, referral, young_person};
use trellis::users::Role;

use crate::helpers::*;

/// The key columns that are hers (the same on all her rows).
const QI: [&str; 5] = ["age_band", "ethnic_group", "imd_quintile", "charity", "district"];
/// Every key column: hers, and her referral's source and received period.
const KEYS: [&str; 7] = ["age_band", "ethnic_group", "imd_quintile", "charity", "district", "referral_source", "received_period"];

async fn demo(app: &TestApp) -> String {
    let opts = trellis::demo::Options { seed: 2026, scale: 1 };
    trellis::demo::seed(&app.db, &app.state.config, &app.state.keys, start_time(), &opts).await.unwrap().unwrap();
    let lead = organisation::Entity::find().filter(organisation::Column::Kind.eq("lead")).one(&app.db).await.unwrap().unwrap().id;
    let evaluator = app.user(lead, Role::Evaluator).await;
    app.token(&evaluator).await
}

/// Parses an RFC 4180 CSV body into its header and rows.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record = Vec::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => record.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                _ => field.push(c),
            }
        }
    }
    assert!(field.is_empty() && record.is_empty(), "the CSV does not end with a line break");
    let header = records.remove(0);
    for r in &records {
        assert_eq!(r.len(), header.len(), "a row with the wrong number of fields");
    }
    (header, records)
}

fn csv_maps(text: &str) -> Vec<BTreeMap<String, String>> {
    let (header, rows) = parse_csv(text);
    rows.into_iter().map(|r| header.iter().cloned().zip(r).collect()).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    trellis::crypto::sha256_hex(bytes)
}

/// Whether `needle` is in `hay`: as a substring when it holds anything but letters and
/// digits (a full name, a date, a uuid, a sentence), else as a whole word, so that a first
/// name such as "Ash" is not found inside the district "Ashworth" or a random pseudonym.
fn contains(hay: &str, words: &BTreeSet<&str>, needle: &str) -> bool {
    let needle = needle.trim();
    if needle.is_empty() {
        return false;
    }
    if needle.chars().all(|c| c.is_alphanumeric()) { words.contains(needle) } else { hay.contains(needle) }
}

/// The CSV form of a text value: one starting with a formula character carries a leading `'`.
fn unguarded(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// k counts people: what a pseudonym shows (all her rows' key values together) is shared by at
/// least k pseudonyms, and each pseudonym shows the same five values of her own on all her rows.
fn assert_person_level(rows: &[BTreeMap<String, String>], k: usize) {
    let mut of_person: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut signature: HashMap<&str, Vec<Vec<&str>>> = HashMap::new();
    for r in rows {
        let qi: Vec<&str> = QI.iter().map(|q| r[*q].as_str()).collect();
        let p = r["pseudonym"].as_str();
        let seen = of_person.entry(p).or_insert_with(|| qi.clone());
        assert_eq!(seen, &qi, "one young person's rows show different values of hers");
        signature.entry(p).or_default().push(KEYS.iter().map(|q| r[*q].as_str()).collect());
    }
    let mut people: HashMap<Vec<Vec<&str>>, usize> = HashMap::new();
    for (_, mut sig) in signature {
        sig.sort();
        *people.entry(sig).or_insert(0) += 1;
    }
    for (class, n) in people {
        assert!(n >= k, "k = {k}: {class:?} is shown by {n} young people");
    }
}

/// Values released as "suppressed" (key columns) or empty and named in `suppressed_columns`.
fn suppressed_values(rows: &[BTreeMap<String, String>]) -> usize {
    rows.iter()
        .map(|r| {
            KEYS.iter().filter(|q| r[**q] == "suppressed").count() + r["suppressed_columns"].split(';').filter(|c| !c.is_empty()).count()
        })
        .sum()
}

/// Gives the first `n` young people (by id) of the demo a second referral three years before
/// their first, so that their age at the two referrals falls in different bands.
async fn second_referrals(app: &TestApp, n: usize) -> usize {
    let referrals = referral::Entity::find().order_by_asc(referral::Column::YoungPersonId).all(&app.db).await.unwrap();
    let mut done = BTreeSet::new();
    for r in referrals {
        if done.len() >= n || done.contains(&r.young_person_id) {
            continue;
        }
        done.insert(r.young_person_id);
        let mut copy = r.clone();
        copy.id = uuid::Uuid::now_v7();
        copy.received_on = r.received_on - chrono::Months::new(36);
        referral::Entity::insert(copy.into_active_model().reset_all()).exec(&app.db).await.unwrap();
    }
    done.len()
}

#[tokio::test]
async fn the_extract_holds_nothing_that_identifies_her_in_csv_or_json() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("uni-study").await;
    let csv = app.get("/api/v1/exports/evaluation?project=uni-study").token(&token).send().await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap().starts_with("attachment"));
    let json = app.get("/api/v1/exports/evaluation?project=uni-study&format=json").token(&token).send().await;
    assert_eq!(json.status, 200, "{}", json.text);
    assert!(json.header("content-type").unwrap().starts_with("application/json"));

    let referrals = referral::Entity::find().all(&app.db).await.unwrap();
    let rows = csv_maps(&csv.text);
    assert_eq!(rows.len(), referrals.len(), "one row per referral");
    assert_eq!(csv.header("trellis-rows").unwrap(), rows.len().to_string());
    assert_eq!(json.body["rows"].as_array().unwrap().len(), referrals.len());

    let mut needles: Vec<String> = Vec::new();
    for yp in young_person::Entity::find().all(&app.db).await.unwrap() {
        needles.push(yp.legal_name.clone());
        needles.push(yp.preferred_name.clone());
        needles.extend(yp.legal_name.split_whitespace().filter(|w| w.len() > 3).map(str::to_string));
        needles.push(yp.date_of_birth.format("%Y-%m-%d").to_string());
        needles.push(yp.date_of_birth.format("%d/%m/%Y").to_string());
        needles.push(yp.postcode.clone());
        needles.push(yp.postcode.replace(' ', ""));
        needles.extend(yp.lsoa_code.clone());
        needles.push(yp.id.to_string());
        needles.push(yp.id.simple().to_string());
    }
    for r in &referrals {
        needles.push(r.id.to_string());
        needles.push(r.id.simple().to_string());
    }
    let notes = case_note::Entity::find().all(&app.db).await.unwrap();
    assert!(!notes.is_empty());
    for n in notes {
        needles.push(app.state.keys.fields.open("case_notes", "body", &n.id, &n.body).unwrap());
    }
    let mut session_notes = 0;
    for s in mentoring_session::Entity::find().all(&app.db).await.unwrap() {
        if let Some(sealed) = &s.notes {
            needles.push(app.state.keys.fields.open("mentoring_sessions", "notes", &s.id, sealed).unwrap());
            session_notes += 1;
        }
    }
    assert!(session_notes > 0);
    for c in concern::Entity::find().all(&app.db).await.unwrap() {
        needles.push(app.state.keys.fields.open("concerns", "what_happened", &c.id, &c.what_happened).unwrap());
    }

    for body in [&csv.text, &json.text] {
        let words: BTreeSet<&str> = body.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let found: Vec<&String> = needles.iter().filter(|n| contains(body, &words, n)).collect();
        assert!(found.is_empty(), "the extract holds {} identifying values", found.len());
        // No uuid of any kind, and no exact date.
        let uuid_like = body.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')).any(|w| w.len() == 36 && w.matches('-').count() == 4);
        assert!(!uuid_like, "the extract holds a uuid");
        let date_like = body.split(|c: char| !(c.is_ascii_digit() || c == '-')).any(|w| w.len() == 10 && w.matches('-').count() == 2);
        assert!(!date_like, "the extract holds an exact date");
    }

    // The same rows in both formats.
    let json_rows = json.body["rows"].as_array().unwrap();
    let csv_pseudonyms: BTreeSet<String> = rows.iter().map(|r| unguarded(&r["pseudonym"]).to_string()).collect();
    let json_pseudonyms: BTreeSet<String> = json_rows.iter().map(|r| r["pseudonym"].as_str().unwrap().to_string()).collect();
    assert_eq!(csv_pseudonyms, json_pseudonyms);
    assert_eq!(json.body["project"], "uni-study");
    assert_eq!(json.body["k"], 5);
}

#[tokio::test]
async fn every_combination_of_key_values_is_shown_by_at_least_k_young_people() {
    for k in [5u32, 10] {
        let app = TestApp::spawn_with(|c| c.extract_k = k).await;
        let token = demo(&app).await;
        app.project("study").await;
        let r = app.get("/api/v1/exports/evaluation?project=study").token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("trellis-k").unwrap(), k.to_string());
        let rows = csv_maps(&r.text);
        assert!(!rows.is_empty());
        assert_person_level(&rows, k as usize);
        let achieved: usize = r.header("trellis-k-achieved").unwrap().parse().unwrap();
        assert!(achieved >= k as usize);
        assert!(r.header("trellis-l-achieved").unwrap().parse::<u32>().unwrap() >= 2);
        let suppressed = suppressed_values(&rows);
        assert_eq!(r.header("trellis-suppressed-values").unwrap(), suppressed.to_string());

        let j = app.get("/api/v1/exports/evaluation?project=study&format=json").token(&token).send().await;
        let jrows: Vec<BTreeMap<String, String>> = json_rows(&j.body);
        assert_person_level(&jrows, k as usize);
        assert_eq!(j.body["suppressed_values"], suppressed);
        assert_eq!(j.body["k_achieved"], achieved);
        let generalised: Vec<String> = j.body["generalised"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        let header = r.header("trellis-generalised").unwrap();
        assert_eq!(if generalised.is_empty() { "none".to_string() } else { generalised.join(",") }, header);
    }
}

#[tokio::test]
async fn an_extract_smaller_than_k_is_withheld() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    app.project("study").await;
    app.referral(&admin, a).await;
    app.referral(&admin, a).await;
    let r = app.get("/api/v1/exports/evaluation?project=study&format=json").token(&admin).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["withheld"], true);
    assert_eq!(r.body["rows"], serde_json::json!([]));
    assert_eq!(r.header("trellis-withheld").unwrap(), "true");
    assert_eq!(r.header("trellis-rows").unwrap(), "0");
    let c = app.get("/api/v1/exports/evaluation?project=study").token(&admin).send().await;
    let (header, rows) = parse_csv(&c.text);
    assert!(!header.is_empty());
    assert!(rows.is_empty());
}

#[tokio::test]
async fn pseudonyms_are_stable_within_a_project_and_unlinkable_across_projects() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("alpha").await;
    app.project("beta").await;
    let get = |project: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let r = app.get(&format!("/api/v1/exports/evaluation?project={project}")).token(&token).send().await;
            assert_eq!(r.status, 200, "{}", r.text);
            csv_maps(&r.text)
        }
    };
    let first = get("alpha").await;
    let again = get("alpha").await;
    let other = get("beta").await;
    // Rows come in referral order, so row i is the same referral in every extract.
    let by_row = |rows: &[BTreeMap<String, String>]| rows.iter().map(|r| r["pseudonym"].clone()).collect::<Vec<_>>();
    assert_eq!(by_row(&first), by_row(&again), "the same young person keeps her pseudonym");
    let referrals = referral::Entity::find().order_by_asc(referral::Column::Id).all(&app.db).await.unwrap();
    let mut seen: HashMap<uuid::Uuid, String> = HashMap::new();
    for (r, row) in referrals.iter().zip(&first) {
        let p = seen.entry(r.young_person_id).or_insert_with(|| row["pseudonym"].clone());
        assert_eq!(p, &row["pseudonym"], "two referrals of one young person share her pseudonym");
    }
    let distinct: BTreeSet<&String> = seen.values().collect();
    assert_eq!(distinct.len(), seen.len(), "different young people have different pseudonyms");
    let a: BTreeSet<String> = first.iter().map(|r| r["pseudonym"].clone()).collect();
    let b: BTreeSet<String> = other.iter().map(|r| r["pseudonym"].clone()).collect();
    assert_eq!(a.len(), b.len());
    assert!(a.is_disjoint(&b), "pseudonyms of two projects must not be joinable");
}

async fn extract_events(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.starts_with("export.evaluation"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_audited_as_an_extract() {
    let app = TestApp::spawn().await;
    let (lead, _, _) = app.charities().await;
    let evaluator = app.user(lead, Role::Evaluator).await;
    let t = app.token(&evaluator).await;
    for (query, field) in [
        ("project=study&format=xlsx", "format"),
        ("project=Study", "project"),
        ("project=-study", "project"),
        ("project=a%20b", "project"),
        (&format!("project={}", "a".repeat(64)) as &str, "project"),
        ("format=csv", "project"),
        ("project=study&from=2026-05-01&to=2026-04-01", "from"),
        ("project=study&from=yesterday", "from"),
        ("project=study&from=-9999-01-01", "from"),
        ("project=study&to=2101-01-01", "to"),
        ("project=study&colour=red", "colour"),
    ] {
        let r = app.get(&format!("/api/v1/exports/evaluation?{query}")).token(&t).send().await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), vec![field.to_string()], "{query}: {}", r.text);
    }
    let r = app.get("/api/v1/exports/evaluation/dictionary?format=pdf").token(&t).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["format".to_string()]);
    assert!(extract_events(&app).await.is_empty());
}

#[tokio::test]
async fn each_extract_is_audited_before_and_after_with_the_sha256_of_what_was_sent() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("audit-test").await;
    for format in ["csv", "json"] {
        let before = extract_events(&app).await.len();
        let r =
            app.get(&format!("/api/v1/exports/evaluation?project=audit-test&from=2025-01-01&format={format}")).token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let events = extract_events(&app).await;
        assert_eq!(events.len(), before + 2);
        let (started, completed) = (&events[before], &events[before + 1]);
        assert_eq!(started.action, "export.evaluation.started");
        assert_eq!(completed.action, "export.evaluation.completed");
        assert_eq!(started.resource_id, completed.resource_id);
        assert_eq!(started.actor_role.as_deref(), Some("evaluator"));
        let s: Value = started.detail.clone().into_inner();
        let c: Value = completed.detail.clone().into_inner();
        let rows: u64 = r.header("trellis-rows").unwrap().parse().unwrap();
        assert!(rows > 0);
        assert_eq!(s["rows"], rows);
        assert_eq!(s["project"], "audit-test");
        assert_eq!(s["filters"]["from"], "2025-01");
        assert_eq!(s["filters"]["to"], Value::Null);
        assert_eq!(s["filters"]["format"], format);
        assert_eq!(s["k"], 5);
        assert!(s["generalised"].is_array());
        assert_eq!(c["completed"], true);
        assert_eq!(c["rows"], rows);
        assert_eq!(c["bytes"], r.text.len());
        assert_eq!(c["sha256"], sha256_hex(r.text.as_bytes()));
        // Nothing personal in the audit detail.
        assert!(!started.detail.text().contains("pseudonym") && !completed.detail.text().contains("pseudonym"));
    }
}

#[tokio::test]
async fn the_date_filters_bound_the_received_date_inclusively() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("p1").await;
    let all = referral::Entity::find().all(&app.db).await.unwrap();
    let mut days: Vec<chrono::NaiveDate> = all.iter().map(|r| r.received_on).collect();
    days.sort();
    let (from, to) = (days[days.len() / 4], days[days.len() * 3 / 4]);
    // The window is whole months.
    let (lo, hi) = trellis::reports::whole_months(Some(from), Some(to)).unwrap();
    let (lo_day, hi_day) = (lo.unwrap(), hi.unwrap());
    let r = app.get(&format!("/api/v1/exports/evaluation?project=p1&from={from}&to={to}")).token(&token).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The window released is the asked one widened to whole periods of the received period as
    // released (the month, quarter, half-year or year), never narrower.
    let released = released_window(r.header("trellis-from"), r.header("trellis-to"));
    let level = (0..=3u8).find(|l| trellis::exports::anonymity::align_window(lo, hi, *l) == (released.from, released.to));
    assert!(level.is_some(), "{released:?} is not {lo_day}..{hi_day} in whole periods");
    let (lo_day, hi_day) = (released.from.unwrap(), released.to.unwrap());
    let expected = all.iter().filter(|r| r.received_on >= lo_day && r.received_on <= hi_day).count();
    let rows = csv_maps(&r.text);
    let withheld_rows: usize = r.header("trellis-withheld-rows").unwrap().parse().unwrap();
    assert_eq!(rows.len() + withheld_rows, expected);
    let (lo, hi) = (lo_day.format("%Y-%m").to_string(), hi_day.format("%Y-%m").to_string());
    // A period generalised to a quarter, half-year or year still lies in the window's years.
    assert!(rows.iter().all(|r| r["received_period"] == "suppressed" || (r["received_period"][..4] >= lo[..4] && r["received_period"][..4] <= hi[..4])));
}

#[tokio::test]
async fn a_young_person_with_several_referrals_shows_the_same_quasi_identifiers_and_k_counts_people() {
    for k in [5u32, 10] {
        let app = TestApp::spawn_with(|c| c.extract_k = k).await;
        let token = demo(&app).await;
        app.project("people").await;
        assert_eq!(second_referrals(&app, 60).await, 60);
        let all = referral::Entity::find().all(&app.db).await.unwrap().len();
        let r = app.get("/api/v1/exports/evaluation?project=people").token(&token).send().await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rows = csv_maps(&r.text);
        let withheld_rows: usize = r.header("trellis-withheld-rows").unwrap().parse().unwrap();
        assert_eq!(rows.len() + withheld_rows, all);
        assert_eq!(r.header("trellis-rows").unwrap(), rows.len().to_string());
        assert_eq!(r.header("trellis-suppressed-values").unwrap(), suppressed_values(&rows).to_string());
        assert_person_level(&rows, k as usize);
        let pseudonyms: BTreeSet<&String> = rows.iter().map(|r| &r["pseudonym"]).collect();
        assert!(pseudonyms.len() < rows.len(), "some young people have two rows");
        let j = app.get("/api/v1/exports/evaluation?project=people&format=json").token(&token).send().await;
        assert_person_level(&json_rows(&j.body), k as usize);
    }
}

#[tokio::test]
async fn windows_are_whole_months() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("months").await;
    // A referral in the second half of August, that a window ending on the 12th would leave out.
    let r = referral::Entity::find().order_by_asc(referral::Column::Id).one(&app.db).await.unwrap().unwrap();
    let mut am = r.into_active_model();
    am.received_on = Set(chrono::NaiveDate::from_ymd_opt(2026, 8, 20).unwrap());
    am.update(&app.db).await.unwrap();
    let early = app.get("/api/v1/exports/evaluation?project=months&to=2026-08-12&format=json").token(&token).send().await;
    let late = app.get("/api/v1/exports/evaluation?project=months&to=2026-08-31&format=json").token(&token).send().await;
    assert_eq!(early.status, 200, "{}", early.text);
    assert_eq!(early.body["rows"], late.body["rows"]);
    assert!(!early.body["rows"].as_array().unwrap().is_empty());
    // August, or the quarter, half-year or year it is in, as the received period is released.
    let to = early.body["to"].as_str().unwrap().to_string();
    assert!(["2026-08", "2026-09", "2026-12"].contains(&to.as_str()), "{to}");
    let to_day = released_window(None, Some(&to)).to.unwrap();
    let to_end = referral::Entity::find().filter(referral::Column::ReceivedOn.lte(to_day)).count(&app.db).await.unwrap() as u64;
    assert_eq!(early.body["rows"].as_array().unwrap().len() as u64 + early.body["withheld_rows"].as_u64().unwrap(), to_end);
    assert_eq!(early.body["from"], Value::Null);
    assert_eq!(early.header("trellis-to"), Some(to.as_str()));
    assert_eq!(early.header("trellis-from"), None);
    let a = app.get("/api/v1/exports/evaluation?project=months&from=2026-03-31&to=2026-08-12").token(&token).send().await;
    let b = app.get("/api/v1/exports/evaluation?project=months&from=2026-03-01&to=2026-08-31").token(&token).send().await;
    assert_eq!(a.text, b.text);
    assert!(["2026-03", "2026-01"].contains(&a.header("trellis-from").unwrap()), "{:?}", a.header("trellis-from"));
    let events = extract_events(&app).await;
    let started: Vec<Value> =
        events.iter().filter(|e| e.action == "export.evaluation.started").map(|e| e.detail.clone().into_inner()).collect();
    assert_eq!(started[0]["filters"]["to"], to);
    assert_eq!(started[2]["filters"]["from"], a.header("trellis-from").unwrap());
}

#[tokio::test]
async fn a_running_match_has_no_duration_that_would_date_its_first_meeting() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("dur").await;
    let r = app.get("/api/v1/exports/evaluation?project=dur&format=json").token(&token).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = r.body["rows"].as_array().unwrap();
    let ongoing: Vec<&Value> = rows.iter().filter(|r| r["match_ongoing"] == true).collect();
    let ended: Vec<&Value> = rows.iter().filter(|r| r["match_ongoing"] == false).collect();
    assert!(!ongoing.is_empty() && !ended.is_empty(), "the demo has running and ended matches");
    let suppressed = |r: &Value, c: &str| r["suppressed_columns"].as_str().is_some_and(|s| s.split(';').any(|x| x == c));
    assert!(ongoing.iter().all(|r| r["match_duration"].is_null()));
    assert!(ended.iter().all(|r| r["match_duration"].is_string() || suppressed(r, "match_duration")));
    assert!(ended.iter().any(|r| r["match_duration"].is_string()));
    assert!(rows.iter().filter(|r| r["match_ongoing"].is_null()).all(|r| r["match_duration"].is_null()));
}

#[tokio::test]
async fn free_text_districts_are_not_released_and_csv_cells_cannot_be_formulas() {
    // With the charity the only key variable, its name is released on every row.
    let app = TestApp::spawn_with(|c| c.extract_key_variables = vec![trellis::exports::anonymity::KeyVariable::Charity]).await;
    let token = demo(&app).await;
    app.project("text").await;
    let evil = "=HYPERLINK(\"http://x.example\",\"12 Acacia Avenue\")";
    for yp in young_person::Entity::find().all(&app.db).await.unwrap() {
        let mut am = yp.into_active_model();
        am.district = Set(evil.to_string());
        am.update(&app.db).await.unwrap();
    }
    let charity = organisation::Entity::find().filter(organisation::Column::Kind.ne("lead")).one(&app.db).await.unwrap().unwrap();
    let mut am = charity.into_active_model();
    am.name = Set("@SUM(1+1)".into());
    am.update(&app.db).await.unwrap();
    let r = app.get("/api/v1/exports/evaluation?project=text").token(&token).send().await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("Acacia"), "a free-text district is released");
    let rows = csv_maps(&r.text);
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(["other", "county", "suppressed"].contains(&row["district"].as_str()), "district {}", row["district"]);
        for v in row.values() {
            // Numbers may be negative; text may not start a formula.
            assert!(v.parse::<f64>().is_ok() || !v.starts_with(['=', '+', '-', '@', '\t', '\r']), "a CSV cell starts a formula: {v}");
        }
    }
    assert!(rows.iter().any(|r| r["charity"] == "'@SUM(1+1)"), "the charity's name is shown, as text");
    let j = app.get("/api/v1/exports/evaluation?project=text&format=json").token(&token).send().await;
    assert!(j.body["rows"].as_array().unwrap().iter().any(|r| r["charity"] == "@SUM(1+1)"), "JSON is not altered");

    // Districts of her charity are released.
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("text").await;
    let r = app.get("/api/v1/exports/evaluation?project=text&format=json").token(&token).send().await;
    let mut covered: BTreeSet<String> = ["other", "county", "suppressed"].iter().map(|s| s.to_string()).collect();
    for o in organisation::Entity::find().all(&app.db).await.unwrap() {
        covered.extend(o.districts.to_vec());
    }
    let shown: BTreeSet<String> = r.body["rows"].as_array().unwrap().iter().map(|r| r["district"].as_str().unwrap().to_string()).collect();
    assert!(shown.is_subset(&covered), "{shown:?}");
    let d = app.get("/api/v1/exports/evaluation/dictionary").token(&token).send().await;
    let district = d.body["columns"].as_array().unwrap().iter().find(|c| c["name"] == "district").unwrap().clone();
    assert!(district["allowed_values"].as_array().unwrap().iter().any(|v| v == "other"));
}

#[tokio::test]
async fn the_dictionary_names_exactly_the_columns_of_the_extract() {
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("dict").await;
    let csv = app.get("/api/v1/exports/evaluation?project=dict").token(&token).send().await;
    let (header, _) = parse_csv(&csv.text);
    let json = app.get("/api/v1/exports/evaluation?project=dict&format=json").token(&token).send().await;

    let d = app.get("/api/v1/exports/evaluation/dictionary").token(&token).send().await;
    assert_eq!(d.status, 200, "{}", d.text);
    let names: Vec<String> = d.body["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, header);
    for c in d.body["columns"].as_array().unwrap() {
        assert!(["string", "integer", "number", "boolean"].contains(&c["type"].as_str().unwrap()));
        assert!(!c["derivation"].as_str().unwrap().is_empty());
    }
    // Every JSON row has exactly the dictionary's keys, and coded values are allowed ones.
    let columns: HashMap<String, &Value> =
        d.body["columns"].as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap().to_string(), c)).collect();
    for row in json.body["rows"].as_array().unwrap() {
        let keys: BTreeSet<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, names.iter().collect::<BTreeSet<_>>());
        for (k, v) in row.as_object().unwrap() {
            let col = columns[k];
            let allowed = col["allowed_values"].as_array().unwrap();
            if let Some(s) = v.as_str()
                && !allowed.is_empty()
                && col["open"] == false
            {
                assert!(allowed.iter().any(|a| a == s), "{k} = {s} is not in the dictionary");
            }
            if v.is_null() {
                assert_eq!(col["nullable"], true, "{k} is null");
            }
        }
    }
    // The generalised and suppressed forms are enumerated.
    let allowed = |name: &str| {
        columns[name]["allowed_values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert!(allowed("ethnic_group").contains(&"global_majority".to_string()));
    assert!(allowed("imd_quintile").contains(&"1-2".to_string()));
    assert!(allowed("district").contains(&"county".to_string()));
    assert!(allowed("age_band").contains(&"suppressed".to_string()));

    let dc = app.get("/api/v1/exports/evaluation/dictionary?format=csv").token(&token).send().await;
    assert_eq!(dc.status, 200);
    assert!(dc.header("content-type").unwrap().starts_with("text/csv"));
    let (dheader, drows) = parse_csv(&dc.text);
    assert_eq!(dheader, vec!["name", "type", "role", "nullable", "allowed_values", "open", "derivation"]);
    // The roles: the seven key variables, the concern categories and closure reason sensitive.
    let role = |name: &str| columns[name]["role"].as_str().unwrap().to_string();
    for k in KEYS {
        assert_eq!(role(k), "key", "{k}");
    }
    assert_eq!(role("closure_reason"), "sensitive");
    assert_eq!(role("concerns_cse"), "sensitive");
    assert_eq!(role("status"), "other");
    assert_eq!(d.body["l"], 2);
    assert_eq!(drows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), header);
}

#[tokio::test]
async fn only_evaluators_and_programme_admins_may_extract() {
    let app = TestApp::spawn().await;
    let (lead, a, _) = app.charities().await;
    let users = [
        (app.user(lead, Role::Evaluator).await, 200),
        (app.user(lead, Role::ProgrammeAdmin).await, 200),
        (app.user(a, Role::Coordinator).await, 403),
        (app.user(a, Role::SafeguardingLead).await, 403),
        (app.user(a, Role::Mentor).await, 403),
    ];
    app.project("x").await;
    for (u, status) in users {
        let t = app.token(&u).await;
        for path in ["/api/v1/exports/evaluation?project=x", "/api/v1/exports/evaluation/dictionary"] {
            let r = app.get(path).token(&t).send().await;
            assert_eq!(r.status.as_u16(), status, "{:?} {path}: {}", u.role, r.text);
        }
    }
    for path in ["/api/v1/exports/evaluation?project=x", "/api/v1/exports/evaluation/dictionary"] {
        assert_eq!(app.get(path).send().await.status.as_u16(), 401);
    }
    // The evaluator's and the admin's extracts (withheld: no referrals) are audited, each
    // before and after; the refused ones only as refusals.
    let events = extract_events(&app).await;
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| matches!(e.actor_role.as_deref(), Some("evaluator" | "programme_admin"))));
}

#[tokio::test]
async fn the_extract_runs_a_bounded_number_of_queries_however_many_rows() {
    use std::sync::atomic::Ordering;
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("q").await;
    let rows = referral::Entity::find().all(&app.db).await.unwrap().len();
    let before = app.queries.load(Ordering::SeqCst);
    let r = app.get("/api/v1/exports/evaluation?project=q").token(&token).send().await;
    assert_eq!(r.status, 200);
    let used = app.queries.load(Ordering::SeqCst) - before;
    // Authentication, two audit events, pass 1, and one query per related table per chunk
    // of 500 referrals: nothing per row.
    assert!(rows > 100, "the demo has {rows} referrals");
    assert!(used < 40, "{used} queries for {rows} rows");
}

#[tokio::test]
async fn a_client_that_goes_away_is_audited_as_not_completed() {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;
    let app = TestApp::spawn().await;
    let token = demo(&app).await;
    app.project("gone").await;
    let mut req = axum::http::Request::builder()
        .uri("/api/v1/exports/evaluation?project=gone&format=json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(app.client));
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    drop(resp);
    let mut completed = None;
    for _ in 0..200 {
        let events = extract_events(&app).await;
        if let Some(e) = events.iter().find(|e| e.action == "export.evaluation.completed") {
            completed = Some(e.detail.clone().into_inner());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let c = completed.expect("the end of the extract is audited");
    assert_eq!(c["completed"], false);
    assert_eq!(c["stopped"], "client_disconnected");
}

/// The window an extract was released for, from its `YYYY-MM` bounds: the first day of the
/// first month to the last day of the last.
fn released_window(from: Option<&str>, to: Option<&str>) -> trellis::exports::extract::Filters {
    let first = |m: &str| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").unwrap();
    let (from, to) = trellis::reports::whole_months(from.map(first), to.map(first)).unwrap();
    trellis::exports::extract::Filters { from, to }
}

/// The released rows of a JSON extract, as text by column name (as the intruder reads them).
fn json_rows(body: &Value) -> Vec<trellis::exports::intruder::Row> {
    trellis::exports::intruder::rows_of_json(body).unwrap()
}

#[tokio::test]
async fn a_motivated_intruder_holding_every_record_matches_no_row_to_exactly_one_young_person() {
    for (k, second) in [(5u32, 0usize), (10, 0), (5, 40)] {
        let app = TestApp::spawn_with(|c| c.extract_k = k).await;
        let token = demo(&app).await;
        app.project("intruder-check").await;
        app.project("intruder-window").await;
        second_referrals(&app, second).await;
        let keys = &app.state.keys.pseudonyms;
        let records = trellis::exports::service::records(&app.db, &Default::default(), keys).await.unwrap();

        // The rows as built, before any protection: the intruder recognises almost every one,
        // so the test below can fail.
        let columns = trellis::exports::dictionary::columns();
        let built = trellis::exports::service::built_rows(&app.db, &Default::default(), "raw", keys, &columns).await.unwrap();
        let raw: Vec<_> = built.iter().map(|b| trellis::exports::service::as_row(&columns, &b.cells)).collect();
        let before = trellis::exports::intruder::attack(&raw, &records);
        assert!(before.unique_pseudonyms * 10 >= before.pseudonyms * 9, "k = {k}: {before:?}");
        assert!(!before.passed());

        for (project, window) in [("intruder-check", ""), ("intruder-window", "&from=2025-06-01&to=2026-05-31")] {
            let r = app
                .get(&format!("/api/v1/exports/evaluation?project={project}&format=json{window}"))
                .token(&token)
                .send()
                .await
                .assert_status(200);
            let rows = json_rows(&r.body);
            // The records of the window as released (widened to whole released periods).
            let filters = released_window(r.body["from"].as_str(), r.body["to"].as_str());
            let records = trellis::exports::service::records(&app.db, &filters, keys).await.unwrap();
            let report = trellis::exports::intruder::attack(&rows, &records);
            assert!(report.rows > 0, "k = {k} {window}: nothing released");
            assert_eq!(report.unique_pseudonyms, 0, "k = {k} {window}: {report:?}");
            assert_eq!(report.unique_records, 0, "k = {k} {window}: {report:?}");
            assert!(report.fewest_fitting.unwrap() >= 2);
            assert!(report.passed());
        }
    }
}
