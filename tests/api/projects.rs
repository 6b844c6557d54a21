//! Evaluation projects: registered by a programme admin, evaluators bound to them, extracts
//! only for her own project while it runs, and the release ledger, which keeps every later
//! release to a project at least as coarse, for every pseudonym, as every release before.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use trellis::exports::anonymity::{KeyVariable, SUPPRESSED, generalise};
use trellis::exports::intruder::Row;
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

fn project_json(slug: &str, starts_on: &str, ends_on: &str) -> Value {
    json!({
        "slug": slug,
        "name": "Mentoring and exploitation risk",
        "purpose": "Whether mentoring reduces girls' risk of criminal exploitation, and for whom.",
        "lawful_basis": "legitimate_interests",
        "agreement_reference": "DSA-2026-07",
        "starts_on": starts_on,
        "ends_on": ends_on,
    })
}

fn day(app: &TestApp, offset: i64) -> String {
    (app.state.now().date_naive() + chrono::Duration::days(offset)).to_string()
}

#[tokio::test]
async fn a_programme_admin_registers_a_project_and_binds_its_evaluators() {
    let Programme { app, lead, a, admin, .. } = Programme::start().await;
    let body = project_json("coalition-2027", &day(&app, -1), &day(&app, 365));
    let created = app.post_json("/api/v1/evaluation-projects", &admin, body.clone()).await.assert_status(201);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["current"], true);
    assert_eq!(created.body["evaluators"], json!([]));
    let id = created.body["id"].as_str().unwrap().to_string();
    app.post_json("/api/v1/evaluation-projects", &admin, body).await.assert_problem(409, "conflict");
    let backwards = app.post_json("/api/v1/evaluation-projects", &admin, project_json("other", &day(&app, 5), &day(&app, 4))).await;
    backwards.assert_problem(422, "validation_failed");
    assert_eq!(backwards.error_fields(), vec!["ends_on".to_string()]);
    let bad_slug = app.post_json("/api/v1/evaluation-projects", &admin, project_json("Has Spaces", &day(&app, 0), &day(&app, 4))).await;
    assert_eq!(bad_slug.error_fields(), vec!["slug".to_string()]);

    // Only an active evaluator's account can be bound.
    let coordinator = app.user(a, Role::Coordinator).await;
    let (ours, theirs) = (app.user(lead, Role::Evaluator).await, app.user(lead, Role::Evaluator).await);
    let bind = |user: Uuid| format!("/api/v1/evaluation-projects/{id}/evaluators/{user}");
    let r = app.req(Method::PUT, &bind(coordinator.id)).token(&admin).send().await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), vec!["user_id".to_string()]);
    let r = app.req(Method::PUT, &bind(ours.id)).token(&admin).send().await.assert_status(200);
    assert_eq!(r.body["evaluators"], json!([ours.id]));
    app.req(Method::PUT, &bind(ours.id)).token(&admin).send().await.assert_status(200);
    let binds = scalar(&app, "SELECT id AS v FROM audit_events WHERE action = ?", "evaluation_project.evaluator_bound").await;
    assert_eq!(binds.len(), 1, "binding her again changes nothing and records nothing");

    // She sees her project; another evaluator, and every other role, does not.
    let (t_ours, t_theirs) = (app.token(&ours).await, app.token(&theirs).await);
    let path = format!("/api/v1/evaluation-projects/{id}");
    app.get(&path).token(&t_ours).send().await.assert_status(200);
    app.get(&path).token(&t_theirs).send().await.assert_problem(404, "not_found");
    let mine = app.get("/api/v1/evaluation-projects").token(&t_ours).send().await.assert_status(200);
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    let none = app.get("/api/v1/evaluation-projects").token(&t_theirs).send().await.assert_status(200);
    assert_eq!(none.body["items"], json!([]));
    let t_coordinator = app.token(&coordinator).await;
    app.get("/api/v1/evaluation-projects").token(&t_coordinator).send().await.assert_problem(403, "forbidden");
    // She cannot change it or bind herself to another.
    app.patch_current(&path, &t_ours, json!({"name": "Mine now"})).await.assert_problem(403, "forbidden");
    app.req(Method::PUT, &bind(theirs.id)).token(&t_ours).send().await.assert_problem(403, "forbidden");

    // The admin changes it under If-Match; a stale ETag changes nothing.
    let changed = app.patch_current(&path, &admin, json!({"agreement_reference": "DSA-2026-07 v2"})).await.assert_status(200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    app.patch_json(&path, &admin, "\"1\"", json!({"name": "Stale"})).await.assert_problem(412, "stale_version");
    assert_eq!(app.get(&path).token(&admin).send().await.body["agreement_reference"], "DSA-2026-07 v2");
    // Unbinding her twice: the second time she is not bound.
    app.req(Method::DELETE, &bind(ours.id)).token(&admin).send().await.assert_status(200);
    app.req(Method::DELETE, &bind(ours.id)).token(&admin).send().await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_evaluator_extracts_only_for_her_own_project_while_it_runs() {
    let Programme { app, lead, a, admin, .. } = Programme::start().await;
    for _ in 0..6 {
        app.referral(&admin, a).await;
    }
    let created = app.post_json("/api/v1/evaluation-projects", &admin, project_json("study", &day(&app, -30), &day(&app, 30))).await;
    let id = created.assert_status(201).body["id"].as_str().unwrap().to_string();
    let later = app.post_json("/api/v1/evaluation-projects", &admin, project_json("later", &day(&app, 10), &day(&app, 30))).await;
    let later_id = later.assert_status(201).body["id"].as_str().unwrap().to_string();
    let (ours, other) = (app.user(lead, Role::Evaluator).await, app.user(lead, Role::Evaluator).await);
    for p in [&id, &later_id] {
        app.req(Method::PUT, &format!("/api/v1/evaluation-projects/{p}/evaluators/{}", ours.id))
            .token(&admin)
            .send()
            .await
            .assert_status(200);
    }
    let (t_ours, t_other) = (app.token(&ours).await, app.token(&other).await);
    let extract = |token: &str, project: &str| {
        let path = format!("/api/v1/exports/evaluation?project={project}&format=json");
        let token = token.to_string();
        let app = &app;
        async move { app.get(&path).token(&token).send().await }
    };

    extract(&t_ours, "study").await.assert_status(200);
    extract(&admin, "study").await.assert_status(200);
    extract(&t_other, "study").await.assert_problem(403, "forbidden");
    extract(&t_ours, "later").await.assert_problem(403, "forbidden");
    extract(&t_ours, "no-such-project").await.assert_problem(403, "forbidden");
    let coordinator = app.token(&app.user(a, Role::Coordinator).await).await;
    extract(&coordinator, "study").await.assert_problem(403, "forbidden");
    let denied = scalar(&app, "SELECT detail AS v FROM audit_events WHERE action = ?", "access.denied").await;
    assert!(denied.iter().filter(|d| d.contains("exports.evaluation")).count() >= 4, "{denied:?}");
    assert!(denied.iter().any(|d| d.contains("no_such_project")), "{denied:?}");

    // The project's end ends every evaluator's access, and the admin's.
    let path = format!("/api/v1/evaluation-projects/{id}");
    app.patch_current(&path, &admin, json!({"ends_on": day(&app, -1)})).await.assert_status(200);
    extract(&t_ours, "study").await.assert_problem(403, "forbidden");
    extract(&admin, "study").await.assert_problem(403, "forbidden");
    app.patch_current(&path, &admin, json!({"ends_on": day(&app, 30)})).await.assert_status(200);
    extract(&t_ours, "study").await.assert_status(200);
    // So does unbinding her.
    app.req(Method::DELETE, &format!("{path}/evaluators/{}", ours.id)).token(&admin).send().await.assert_status(200);
    extract(&t_ours, "study").await.assert_problem(403, "forbidden");
    // The time passing ends it too (signed in again: the clock's jump ended her session).
    app.clock.advance(chrono::Duration::days(31));
    let admin = app.token(&app.user(lead, Role::ProgrammeAdmin).await).await;
    extract(&admin, "study").await.assert_problem(403, "forbidden");

    // Only what was released is in the ledger: the three extracts that were answered.
    let releases = app.get(&format!("{path}/releases")).token(&admin).send().await.assert_status(200);
    assert_eq!(releases.body["items"].as_array().unwrap().len(), 3);
}

/// A young person's rows by pseudonym.
fn by_pseudonym(rows: &[Row]) -> BTreeMap<String, Vec<&Row>> {
    let mut out: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        out.entry(r["pseudonym"].clone()).or_default().push(r);
    }
    out
}

fn withheld_in(r: &Row) -> BTreeSet<&str> {
    r.get("suppressed_columns").map(|s| s.split(';').filter(|c| !c.is_empty()).collect()).unwrap_or_default()
}

/// Every way in which `later` tells more of someone than `earlier` did: a key value released
/// finer (a month where a quarter was released, a district where "county" was), a key value
/// released that was suppressed, or a column released that was withheld.
fn refinements(earlier: &[Row], later: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    let before = by_pseudonym(earlier);
    for (p, rows) in by_pseudonym(later) {
        let Some(was) = before.get(&p) else { continue };
        for v in KeyVariable::ALL {
            let c = v.as_str();
            let was_suppressed = was.iter().any(|r| r[c] == SUPPRESSED);
            for r in &rows {
                let now = &r[c];
                if was_suppressed && now != SUPPRESSED {
                    out.push(format!("{p} {c}: suppressed, then {now}"));
                }
                for e in was.iter().map(|r| &r[c]).filter(|e| *e != SUPPRESSED) {
                    if now != e && (1..=3).any(|l| generalise(*v, now, l) == *e) {
                        out.push(format!("{p} {c}: {e}, then {now}"));
                    }
                }
            }
        }
        let withheld: BTreeSet<&str> = was.iter().flat_map(|r| withheld_in(r)).collect();
        for r in &rows {
            for c in withheld.difference(&withheld_in(r)) {
                out.push(format!("{p} {c}: withheld, then released"));
            }
        }
    }
    out
}

/// Her rows' key values in one release, sorted.
type Rows = Vec<Vec<String>>;

/// What releases show of a pseudonym: in each, her rows' key values.
type Shown = Vec<Rows>;

/// What `releases` show of pseudonym `p`: in each, her rows' key values, sorted (none where
/// she is not in it).
fn history(releases: &[(Vec<Row>, String)], p: &str) -> Shown {
    releases
        .iter()
        .map(|(rows, _)| {
            let mut keys: Vec<Vec<String>> = rows
                .iter()
                .filter(|r| r["pseudonym"] == p)
                .map(|r| KeyVariable::ALL.iter().map(|v| r[v.as_str()].clone()).collect())
                .collect();
            keys.sort();
            keys
        })
        .collect()
}

/// What `rows` sent of pseudonym `p`'s column `c`: her values over her rows (empty and
/// withheld ones left out), sorted; None where nothing was.
fn told_of<'a>(rows: &'a [Row], p: &str, c: &str) -> Option<Vec<&'a String>> {
    let mut values: Vec<&String> =
        rows.iter().filter(|r| r["pseudonym"] == p && !withheld_in(r).contains(c) && !r[c].is_empty()).map(|r| &r[c]).collect();
    values.sort();
    (!values.is_empty()).then_some(values)
}

/// Two young people with rows in `rows` (an extract's), by id.
async fn two_released(app: &TestApp, rows: &[Row], pseudonym: &impl Fn(Uuid) -> String) -> (Uuid, Uuid) {
    use sea_orm::EntityTrait;
    let shown: BTreeSet<&String> = rows.iter().map(|r| &r["pseudonym"]).collect();
    let mut found = Vec::new();
    for yp in trellis::entities::young_person::Entity::find().all(&app.db).await.unwrap() {
        if yp.merged_into.is_none() && shown.contains(&pseudonym(yp.id)) {
            found.push(yp.id);
        }
        if found.len() == 2 {
            break;
        }
    }
    (found[0], found[1])
}

#[tokio::test]
async fn later_releases_to_a_project_never_refine_a_value_released_before() {
    let app = TestApp::spawn().await;
    let opts = trellis::demo::Options { seed: 2026, scale: 1 };
    trellis::demo::seed(&app.db, &app.state.config, &app.state.keys, start_time(), &opts).await.unwrap().unwrap();
    let lead = app.charities_lead().await;
    let token = app.token(&app.user(lead, Role::Evaluator).await).await;
    let project = app.project("ledger").await;

    // A narrow window first (few people: coarse), then everything (many: finer on its own),
    // then an overlapping window.
    let windows = ["&from=2025-06-01&to=2025-11-30", "", "&from=2025-01-01&to=2026-06-30"];
    let mut released: Vec<(Vec<Row>, String)> = Vec::new();
    let pseudonym = |id: Uuid| app.state.keys.pseudonyms.pseudonym("ledger", &id).unwrap();
    let mut merged: Option<(String, String)> = None;
    for (i, w) in windows.into_iter().enumerate() {
        if i == 1 {
            // Between the first and the second release, two girls of the first are found to be
            // one: the second's rows carry both records' history, under the kept one's pseudonym.
            let (a, b) = two_released(&app, &released[0].0, &pseudonym).await;
            let admin = app.token(&app.user(lead, Role::ProgrammeAdmin).await).await;
            let flag = app.duplicate_flag(a, b, app.state.now()).await;
            app.merge(&admin, flag.id, b).await.assert_status(200);
            merged = Some((pseudonym(a), pseudonym(b)));
        }
        let r = app.get(&format!("/api/v1/exports/evaluation?project=ledger&format=json{w}")).token(&token).send().await.assert_status(200);
        let rows = trellis::exports::intruder::rows_of_json(&r.body).unwrap();
        assert!(!rows.is_empty(), "{w}: nothing released");
        let n = rows.len();
        released.push((rows, r.header("trellis-release").unwrap().to_string()));
        let sha = trellis::crypto::hex(&Sha256::digest(r.text.as_bytes()));
        let ledger = app.get(&format!("/api/v1/evaluation-projects/{project}/releases")).token(&token).send().await.assert_status(200);
        let last = ledger.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["sha256"], sha, "the ledger holds the hash of the file as sent");
        assert_eq!(last["id"], released.last().unwrap().1);
        assert_eq!(last["rows"], n);
    }
    // Checked row by row against every release before it (the merged-away girl's rows of the
    // first release as the kept girl's).
    let (gone, kept) = merged.unwrap();
    let relabel = |rows: &[Row]| -> Vec<Row> {
        rows.iter()
            .cloned()
            .map(|mut r| {
                if r["pseudonym"] == gone {
                    r.insert("pseudonym".into(), kept.clone());
                }
                r
            })
            .collect()
    };
    for (i, (later, _)) in released.iter().enumerate() {
        for (earlier, _) in &released[..i] {
            let found = refinements(&relabel(earlier), later);
            assert!(found.is_empty(), "release {i} refines an earlier one: {found:?}");
        }
    }
    // Joined on the pseudonym, all the releases so far single nobody out: every girl in a
    // release is alike, in her key values in it and in every release before it, to at least
    // k - 1 others.
    let k = app.state.config.extract_k as usize;
    for i in 0..released.len() {
        let mut holding: BTreeMap<String, Shown> = BTreeMap::new();
        for p in by_pseudonym(&released[i].0).keys() {
            holding.insert(p.clone(), history(&released[..=i], p));
        }
        let mut alike: BTreeMap<&Shown, usize> = BTreeMap::new();
        for h in holding.values() {
            *alike.entry(h).or_insert(0) += 1;
        }
        let fewest = alike.values().copied().min().unwrap();
        assert!(fewest >= k, "after release {i}, {fewest} girls alike in all the project holds");
        // And those the project held before that this release leaves out (outside its window,
        // withheld, merged away) are, for each history, none or at least k: being left out
        // singles nobody out either.
        if i > 0 {
            let before: BTreeSet<String> = released[..i].iter().flat_map(|(rows, _)| by_pseudonym(rows).into_keys()).collect();
            let now: BTreeSet<String> = by_pseudonym(&released[i].0).into_keys().collect();
            let mut missing: BTreeMap<Shown, usize> = BTreeMap::new();
            for p in before.difference(&now) {
                *missing.entry(history(&released[..i], p)).or_insert(0) += 1;
            }
            assert!(missing.values().all(|n| *n >= k), "release {i} leaves out too few of a history: {:?}", missing.values());
            // Each part this release splits a history into (a class of it, or those left out)
            // holds at least two of every concern or closure reason an earlier release sent.
            // A part: her history before this release, and her rows in it (none if left out).
            let mut parts: BTreeMap<(Shown, Option<Rows>), Vec<String>> = BTreeMap::new();
            for p in &before {
                let own = history(&released[..=i], p);
                let now = if now.contains(p) { own.last().cloned() } else { None };
                parts.entry((history(&released[..i], p), now)).or_default().push(p.clone());
            }
            for (part, members) in &parts {
                for (j, (rows, _)) in released[..i].iter().enumerate() {
                    for c in rows[0].keys().filter(|c| c.starts_with("concerns_") || *c == "closure_reason") {
                        let told: BTreeSet<Vec<&String>> = members.iter().filter_map(|p| told_of(rows, p, c)).collect();
                        assert!(
                            told.len() != 1,
                            "release {i}: a part of {} ({part:?}) all had {c} = {told:?} in release {j}",
                            members.len()
                        );
                    }
                }
            }
        }
    }
    // Each window went out in whole periods of the received period as released, so being in
    // a release dates no referral more finely than its row does.
    let ledger = app.get(&format!("/api/v1/evaluation-projects/{project}/releases")).token(&token).send().await;
    for item in ledger.body["items"].as_array().unwrap() {
        let day = |m: &Value| m.as_str().map(|m| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").unwrap());
        let (from, to) = trellis::reports::whole_months(day(&item["from"]), day(&item["to"])).unwrap();
        let level = item["levels"]["received_period"].as_u64().unwrap() as u8;
        assert_eq!(trellis::exports::anonymity::align_window(from, to, level), (from, to), "{item}");
    }
    // The ledger's levels never go down.
    let ledger = app.get(&format!("/api/v1/evaluation-projects/{project}/releases")).token(&token).send().await;
    let levels: Vec<BTreeMap<String, u64>> =
        ledger.body["items"].as_array().unwrap().iter().map(|r| serde_json::from_value(r["levels"].clone()).unwrap()).collect();
    for pair in levels.windows(2) {
        assert!(pair[0].iter().all(|(v, l)| pair[1][v] >= *l), "{levels:?}");
    }

    // Without the ledger, the whole programme's extract would refine the first release: the
    // test above could fail.
    let columns = trellis::exports::dictionary::columns();
    let cfg = &app.state.config;
    let (_, unfloored) = trellis::exports::service::build(
        &app.db,
        &Default::default(),
        "ledger",
        &app.state.keys.pseudonyms,
        cfg.extract_k,
        &cfg.extract_key_variables,
        Default::default(),
    )
    .await
    .unwrap();
    let rows: Vec<Row> = unfloored.rows.iter().map(|r| trellis::exports::service::as_row(&columns, r)).collect();
    assert!(!refinements(&released[0].0, &rows).is_empty(), "the unfloored extract refines nothing: the check above proves nothing");
}
