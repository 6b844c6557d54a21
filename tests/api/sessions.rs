//! Session logs: a mentor logs and reads only her own; the seven-day correction window with
//! every change kept as a version; bad input named by field; retries made safe by
//! Idempotency-Key. Support contacts and the contact-gaps list (MENTOR standard 5).

use chrono::{Duration, TimeZone, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use trellis::users::Role;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn a_mentor_logs_and_reads_only_her_own_sessions() {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    let (mine, me) = app.mentor_with_match(&admin, a).await;
    let (hers, her) = app.mentor_with_match(&admin, a).await;
    let (elsewhere, _) = app.mentor_with_match(&admin, b).await;
    let (my_token, her_token) = (app.token(&me).await, app.token(&her).await);

    let my_session = app.log_session(&my_token, mine, "2026-11-23").await;
    let her_session = app.log_session(&her_token, hers, "2026-11-23").await;

    // She cannot log for another mentor's match, of her charity or another: 422 on match_id,
    // and nothing is written.
    for other in [hers, elsewhere, Uuid::now_v7()] {
        let r = app.post_json("/api/v1/mentoring-sessions", &my_token, session_json(other, "2026-11-23")).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), ["match_id"]);
        assert_eq!(r.body["errors"][0]["code"], "not_found");
    }
    assert_eq!(app.count("mentoring_sessions").await, 2);

    // She reads her own, not another mentor's: not found, not even its versions or by its match.
    let r = app.get(&format!("/api/v1/mentoring-sessions/{my_session}")).token(&my_token).send().await.assert_status(200);
    assert_eq!(r.body["notes"], "Talked about her college application; she seemed brighter.");
    assert_eq!(r.header("etag"), Some("\"1\""));
    for path in [format!("/api/v1/mentoring-sessions/{her_session}"), format!("/api/v1/mentoring-sessions/{her_session}/versions")] {
        app.get(&path).token(&my_token).send().await.assert_problem(404, "not_found");
    }
    let path = format!("/api/v1/mentoring-sessions/{her_session}");
    app.patch_json(&path, &my_token, "\"1\"", json!({"engagement": 1})).await.assert_problem(404, "not_found");
    let r = app.get("/api/v1/mentoring-sessions").token(&my_token).send().await;
    let ids: Vec<&str> = r.items().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [my_session.to_string()]);
    let r = app.get(&format!("/api/v1/mentoring-sessions?match_id={hers}")).token(&my_token).send().await;
    assert_eq!(r.body["items"], json!([]));

    // Her coordinator sees both; another charity's sees neither; the safeguarding lead reads
    // but writes nothing; an evaluator gets nothing.
    let coord = app.token(&app.user(a, Role::Coordinator).await).await;
    let r = app.get("/api/v1/mentoring-sessions?limit=1").token(&coord).send().await;
    assert_eq!(r.items().len(), 1);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = app.get(&format!("/api/v1/mentoring-sessions?limit=1&cursor={cursor}")).token(&coord).send().await;
    assert_eq!(r.body["items"][0]["id"], her_session.to_string());
    let other_coord = app.token(&app.user(b, Role::Coordinator).await).await;
    let r = app.get("/api/v1/mentoring-sessions").token(&other_coord).send().await;
    assert_eq!(r.body["items"], json!([]));
    app.get(&format!("/api/v1/mentoring-sessions/{my_session}")).token(&other_coord).send().await.assert_problem(404, "not_found");
    let dsl = app.token(&app.user(a, Role::SafeguardingLead).await).await;
    assert_eq!(app.get(&format!("/api/v1/mentoring-sessions/{my_session}")).token(&dsl).send().await.status, 200);
    app.post_json("/api/v1/mentoring-sessions", &dsl, session_json(mine, "2026-11-23")).await.assert_problem(403, "forbidden");
    let path = format!("/api/v1/mentoring-sessions/{my_session}");
    app.patch_json(&path, &dsl, "\"1\"", json!({"engagement": 1})).await.assert_problem(403, "forbidden");
    let ev = app.token(&app.user(lead, Role::Evaluator).await).await;
    app.get("/api/v1/mentoring-sessions").token(&ev).send().await.assert_problem(403, "forbidden");
    app.post_json("/api/v1/mentoring-sessions", &ev, session_json(mine, "2026-11-23")).await.assert_problem(403, "forbidden");

    // The notes are encrypted at rest.
    let rows = trellis::entities::mentoring_session::Entity::find().all(&app.db).await.unwrap();
    assert!(rows.iter().all(|s| s.notes.as_deref().is_some_and(|n| !n.contains("college"))));
}

#[tokio::test]
async fn the_mentor_corrects_for_seven_days_then_only_a_coordinator_and_every_change_is_a_version() {
    let Programme { app, lead, a, admin, .. } = Programme::start().await;
    let (m, mentor) = app.mentor_with_match(&admin, a).await;
    let coordinator = app.user(a, Role::Coordinator).await;
    let id = app.log_session(&app.token(&mentor).await, m, "2026-11-23").await;
    let path = format!("/api/v1/mentoring-sessions/{id}");

    // Day 7, late in the evening: she may still correct it.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
    let token = app.token(&mentor).await;
    let r = app.get(&path).token(&token).send().await;
    assert_eq!(r.body["mentor_can_edit_until"], "2026-11-30");
    app.patch(&path).token(&token).json(json!({"duration_minutes": 60})).send().await.assert_problem(428, "if_match_required");
    let change = json!({"duration_minutes": 60, "mood_before": null, "notes": "Shorter than planned: her bus was late."});
    let r = app.patch_json(&path, &token, "\"1\"", change).await.assert_status(200);
    assert_eq!(
        (r.body["version"].clone(), r.body["duration_minutes"].clone(), r.body["mood_before"].clone()),
        (json!(2), json!(60), json!(null))
    );
    assert_eq!(r.header("etag"), Some("\"2\""));
    // A stale ETag loses nothing.
    app.patch_json(&path, &token, "\"1\"", json!({"engagement": 5})).await.assert_problem(412, "stale_version");

    // Day 8: the window has closed for her, with a code that says so; nothing changes.
    app.clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 1).unwrap());
    let token = app.token(&mentor).await;
    let r = app.patch_json(&path, &token, "\"2\"", json!({"engagement": 5})).await;
    r.assert_problem(403, "edit_window_closed");
    assert!(r.body["detail"].as_str().unwrap().contains("2026-11-30"));
    assert_eq!(app.get(&path).token(&token).send().await.body["engagement"], 4);

    // Her coordinator still can.
    let coord = app.token(&coordinator).await;
    let r = app.patch_json(&path, &coord, "\"2\"", json!({"engagement": 5, "activities": ["outdoors"]})).await.assert_status(200);
    assert_eq!(r.body["version"], 3);
    assert_eq!(r.body["updated_by"], coordinator.id.to_string());
    // A correction that changes nothing makes no version.
    let r = app.patch_json(&path, &coord, "\"3\"", json!({"engagement": 5})).await;
    assert_eq!(r.body["version"], 3);

    // Every version is kept and readable, by her too, each with its author.
    let r = app.get(&format!("{path}/versions")).token(&token).send().await.assert_status(200);
    let items = r.items();
    assert_eq!(items.len(), 3);
    let summary: Vec<(i64, bool, i64, i64, String)> = items
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["current"].as_bool().unwrap(),
                v["content"]["duration_minutes"].as_i64().unwrap(),
                v["content"]["engagement"].as_i64().unwrap(),
                v["recorded_by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (me, her) = (mentor.id.to_string(), coordinator.id.to_string());
    assert_eq!(summary, vec![(1, false, 90, 4, me.clone()), (2, false, 60, 4, me), (3, true, 60, 5, her)]);
    assert_eq!(items[0]["content"]["notes"], "Talked about her college application; she seemed brighter.");
    assert_eq!(items[0]["content"]["mood_before"], 2);
    assert_eq!(items[1]["content"]["notes"], "Shorter than planned: her bus was late.");
    assert_eq!(items[2]["content"]["activities"], json!(["outdoors"]));
    // The notes inside stored versions are sealed too.
    let stored = trellis::entities::session_version::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|v| !v.content.contains("college") && !v.content.contains("bus")));

    // Each change is in the audit trail.
    let admin = app.admin_token(lead).await;
    let audit = app.get(&format!("/api/v1/audit-events?resource_type=mentoring_session&resource_id={id}")).token(&admin).send().await;
    let actions: Vec<&str> = audit.items().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "mentoring_session.updated").count(), 2, "{actions:?}");
    assert!(actions.contains(&"mentoring_session.created"));
}

#[tokio::test]
async fn bad_session_input_is_422_naming_the_field_and_changes_nothing() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (m, mentor) = app.mentor_with_match(&admin, a).await;
    let token = app.token(&mentor).await;
    let changed = |k: &str, v: serde_json::Value| with(session_json(m, "2026-11-23"), k, v);
    let missing = |k: &str| without(session_json(m, "2026-11-23"), k);
    let cases = vec![
        (changed("duration_minutes", json!(4)), "duration_minutes", "range"),
        (changed("duration_minutes", json!(601)), "duration_minutes", "range"),
        (changed("duration_minutes", json!(100000)), "duration_minutes", "invalid_value"),
        (changed("engagement", json!(0)), "engagement", "range"),
        (changed("engagement", json!(6)), "engagement", "range"),
        (changed("mood_before", json!(0)), "mood_before", "range"),
        (changed("mood_after", json!(6)), "mood_after", "range"),
        (changed("held_on", json!("2026-11-24")), "held_on", "in_future"),
        (changed("held_on", json!("2026-11-22")), "held_on", "before_match"),
        (changed("held_on", json!("23/11/2026")), "held_on", "invalid"),
        (changed("mode", json!("carrier_pigeon")), "mode", "invalid_choice"),
        (changed("location_category", json!("12 High Street")), "location_category", "invalid_choice"),
        (changed("activities", json!(["knitting"])), "activities[0]", "invalid_choice"),
        (changed("notes", json!("   ")), "notes", "blank"),
        (changed("organisation_id", json!(a)), "organisation_id", "unknown_field"),
        (missing("duration_minutes"), "duration_minutes", "required"),
        (missing("mode"), "mode", "required"),
        (missing("location_category"), "location_category", "required"),
        (missing("engagement"), "engagement", "required"),
        (missing("attended"), "attended", "required"),
        (missing("match_id"), "match_id", "required"),
        (json!({"match_id": m, "held_on": "2026-11-23", "attended": false, "engagement": 3}), "engagement", "not_applicable"),
        (json!({"match_id": m, "held_on": "2026-11-23", "attended": false, "mood_after": 3}), "mood_after", "not_applicable"),
    ];
    for (body, field, code) in cases {
        let r = app.post_json("/api/v1/mentoring-sessions", &token, body).await;
        r.assert_problem(422, "validation_failed");
        let found = r.body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code);
        assert!(found, "{field} {code}: {}", r.text);
    }
    assert_eq!(app.count("mentoring_sessions").await, 0);

    // She did not come: nothing else is needed.
    let absent = json!({"match_id": m, "held_on": "2026-11-23", "attended": false});
    let r = app.post_json("/api/v1/mentoring-sessions", &token, absent).await.assert_status(201);
    assert_eq!((r.body["attended"].clone(), r.body["engagement"].clone()), (json!(false), json!(null)));
    // A correction is checked as a whole: turning it into an attended session needs the details.
    let path = format!("/api/v1/mentoring-sessions/{}", r.body["id"].as_str().unwrap());
    let r = app.patch_json(&path, &token, "\"1\"", json!({"attended": true})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.error_fields(), ["duration_minutes", "engagement", "location_category", "mode"]);
    let r = app.patch_json(&path, &token, "\"1\"", json!({"held_on": "2026-12-01"})).await;
    assert_eq!(r.body["errors"][0]["code"], "in_future");
    assert_eq!(app.count("session_versions").await, 0);
}

#[tokio::test]
async fn only_an_active_match_takes_a_mentors_log_and_dates_stay_within_the_match() {
    let Programme { app, lead, a, admin, .. } = Programme::start().await;
    let (m, mentor) = app.mentor_with_match(&admin, a).await;
    let coordinator = app.user(a, Role::Coordinator).await;
    app.clock.advance(Duration::days(10));
    let (token, coord) = (app.token(&mentor).await, app.token(&coordinator).await);
    app.log_session(&token, m, "2026-11-30").await;

    // Paused: she cannot log (422, the match named); her coordinator can record a late log.
    app.transition_match(&coord, m, json!({"to": "paused"})).await.assert_status(200);
    let r = app.post_json("/api/v1/mentoring-sessions", &token, session_json(m, "2026-11-25")).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!((r.error_fields(), r.body["errors"][0]["code"].clone()), (vec!["match_id".to_string()], json!("match_not_active")));
    app.log_session(&coord, m, "2026-11-25").await;

    // Ended on 1 December: a session after the end is refused.
    app.transition_match(&coord, m, with(planned_ending_json(), "on", json!("2026-12-01"))).await.assert_status(200);
    let r = app.post_json("/api/v1/mentoring-sessions", &coord, session_json(m, "2026-12-02")).await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].clone(), r.body["errors"][0]["code"].clone()),
        (422, json!("held_on"), json!("after_match"))
    );
    app.log_session(&coord, m, "2026-12-01").await;

    // A match that has not begun takes no log.
    let admin = app.admin_token(lead).await;
    let other = app.compliant_mentor(&admin, a, json!({})).await;
    let (rid, _) = app.accepted_referral(&admin, a, json!({})).await;
    let proposed = app.propose_match(&admin, rid, other.id).await.id();
    let r = app.post_json("/api/v1/mentoring-sessions", &coord, session_json(proposed, "2026-12-02")).await;
    assert_eq!(r.body["errors"][0]["code"], "match_not_started", "{}", r.text);
    assert_eq!(app.count("mentoring_sessions").await, 3);
}

#[tokio::test]
async fn a_retried_submission_with_the_same_idempotency_key_logs_one_session() {
    let Programme { app, a, admin, .. } = Programme::start().await;
    let (m, mentor) = app.mentor_with_match(&admin, a).await;
    let token = app.token(&mentor).await;
    let send = |body| app.post_idempotent("/api/v1/mentoring-sessions", &token, "phone-retry-1", body);
    let first = send(session_json(m, "2026-11-23")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(session_json(m, "2026-11-23")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(app.count("mentoring_sessions").await, 1);
    let other = send(json!({"match_id": m, "held_on": "2026-11-23", "attended": false})).await;
    other.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.count("mentoring_sessions").await, 1);
}

#[tokio::test]
async fn coordinators_record_support_contacts_and_see_their_charitys_contact_gaps() {
    let Programme { app, lead, a, b, admin } = Programme::start().await;
    let (m, mentor) = app.mentor_with_match(&admin, a).await;
    let (theirs, _) = app.mentor_with_match(&admin, b).await;
    let coordinator = app.user(a, Role::Coordinator).await;
    let coord = app.token(&coordinator).await;
    let contacts = format!("/api/v1/matches/{m}/support-contacts");

    // Day one of the match: no contacts yet, so it shows (two are due in the first month).
    let gaps = |token: String, query: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/v1/monitoring/contact-gaps{query}")).token(&token).send().await }
    };
    let r = gaps(coord.clone(), "").await.assert_status(200);
    assert_eq!(r.body["days"], 14);
    let items = r.items();
    assert_eq!(items.len(), 1, "only her own charity's: {}", r.text);
    assert_eq!(items[0]["match_id"], m.to_string());
    assert_eq!(items[0]["reasons"], json!(["first_month_support_contacts"]));

    for (with, on) in [("mentor", "2026-11-23"), ("mentee", "2026-11-23")] {
        let contact = json!({"contact_with": with, "method": "phone", "contact_on": on, "notes": "Settling in well."});
        app.post_json(&contacts, &coord, contact).await.assert_status(201);
    }
    let r = gaps(coord.clone(), "").await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    let r = app.get(&contacts).token(&coord).send().await;
    assert_eq!(r.items().len(), 2);
    assert_eq!(r.body["items"][0]["notes"], "Settling in well.");
    let rows = trellis::entities::support_contact::Entity::find().all(&app.db).await.unwrap();
    assert!(rows.iter().all(|c| c.notes.as_deref().is_some_and(|n| !n.contains("Settling"))));

    // Twenty days on with no session: late at 14 days, not at 30.
    app.clock.advance(Duration::days(20));
    let coord = app.token(&coordinator).await;
    let r = gaps(coord.clone(), "?days=14").await;
    assert_eq!(r.body["items"][0]["reasons"], json!(["no_recent_session"]), "{}", r.text);
    assert_eq!(r.body["items"][0]["days_without_session"], 20);
    assert_eq!(gaps(coord.clone(), "?days=30").await.body["items"], json!([]));
    app.log_session(&app.token(&mentor).await, m, "2026-12-12").await;
    assert_eq!(gaps(coord.clone(), "?days=14").await.body["items"], json!([]));

    // Six weeks in, a month with no contact shows again.
    app.clock.advance(Duration::days(25));
    let coord = app.token(&coordinator).await;
    let r = gaps(coord.clone(), "?days=60").await;
    assert_eq!(r.body["items"][0]["reasons"], json!(["no_support_contact_this_month"]), "{}", r.text);

    // An admin sees every charity's, or one; the other charity's coordinator not ours.
    let admin = app.admin_token(lead).await;
    let r = app.get("/api/v1/monitoring/contact-gaps?days=60").token(&admin).send().await;
    let ids: Vec<&str> = r.items().iter().map(|g| g["match_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&m.to_string().as_str()) && ids.contains(&theirs.to_string().as_str()), "{ids:?}");
    let r = app.get(&format!("/api/v1/monitoring/contact-gaps?days=60&organisation_id={b}")).token(&admin).send().await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    app.get(&format!("/api/v1/monitoring/contact-gaps?organisation_id={b}")).token(&coord).send().await.assert_problem(403, "forbidden");

    // Bad input and other roles.
    for q in ["?days=0", "?days=366", "?days=x"] {
        let r = gaps(coord.clone(), q).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.error_fields(), ["days"]);
    }
    let contact = |with: &str, on: &str| json!({"contact_with": with, "method": "phone", "contact_on": on});
    let r = app.post_json(&contacts, &coord, contact("mentor", "2027-02-01")).await;
    assert_eq!(r.body["errors"][0]["code"], "in_future", "{}", r.text);
    let r = app.post_json(&contacts, &coord, contact("mentor", "2026-11-01")).await;
    assert_eq!(r.body["errors"][0]["code"], "before_match", "{}", r.text);
    let r = app.post_json(&contacts, &coord, contact("aunt", "2026-12-01")).await;
    assert_eq!(r.error_fields(), ["contact_with"]);
    let mentor_token = app.token(&mentor).await;
    app.get(&contacts).token(&mentor_token).send().await.assert_problem(403, "forbidden");
    gaps(mentor_token, "").await.assert_problem(403, "forbidden");
    let other_coord = app.token(&app.user(b, Role::Coordinator).await).await;
    app.get(&contacts).token(&other_coord).send().await.assert_problem(404, "not_found");
    let ev = app.token(&app.user(lead, Role::Evaluator).await).await;
    gaps(ev, "").await.assert_problem(403, "forbidden");
    assert_eq!(app.count("support_contacts").await, 2);
}

#[tokio::test]
async fn the_demo_has_sessions_within_their_matches_and_a_match_with_a_contact_gap() {
    use std::collections::HashMap;
    use trellis::sessions::rules::{self, Content};
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let matches: HashMap<Uuid, trellis::entities::matching::Model> =
        trellis::entities::matching::Entity::find().all(&app.db).await.unwrap().into_iter().map(|m| (m.id, m)).collect();
    let sessions = trellis::entities::mentoring_session::Entity::find().all(&app.db).await.unwrap();
    assert!(sessions.len() > 100, "{} sessions", sessions.len());
    assert!(sessions.iter().any(|s| !s.attended));
    for s in &sessions {
        let m = &matches[&s.match_id];
        assert_eq!((s.mentor_id, s.organisation_id), (m.mentor_id, m.organisation_id));
        let dates = trellis::sessions::service::match_dates(m).unwrap();
        let c = Content {
            held_on: s.held_on,
            attended: s.attended,
            duration_minutes: s.duration_minutes,
            mode: s.mode,
            location_category: s.location_category,
            activities: s.activities.to_vec(),
            engagement: s.engagement,
            mood_before: s.mood_before,
            mood_after: s.mood_after,
        };
        assert_eq!(rules::check(&c, dates, start_time().date_naive()), vec![], "{s:?}");
    }
    assert!(app.count("support_contacts").await > 100);
    assert!(app.count("session_versions").await > 0);

    // A programme admin sees at least one active match lapsed in the contact-gaps list.
    let lead = app.charities_lead().await;
    let admin = app.admin_token(lead).await;
    let r = app.get("/api/v1/monitoring/contact-gaps").token(&admin).send().await.assert_status(200);
    let lapsed = r.items().iter().filter(|g| g["status"] == "active" && g["reasons"][0] == "no_recent_session").count();
    assert!(lapsed >= 1, "{}", r.text);
    // Demo versions open like any other.
    let corrected = sessions.iter().find(|s| s.version == 2).unwrap();
    let r = app.get(&format!("/api/v1/mentoring-sessions/{}/versions", corrected.id)).token(&admin).send().await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);
}
