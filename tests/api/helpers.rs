//! `TestApp`: a fresh database, the real router, a fixed clock, and helpers to seed
//! organisations and users and to sign in.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{Value, json};
use tower::ServiceExt;
use trellis::authz::Authz;
use trellis::clock::{Clock, FixedClock};
use trellis::config::Config;
use trellis::crypto::{FieldCipher, Keys, Pseudonymiser};
use trellis::entities::user;
use trellis::organisations::dto::OrganisationKind;
use trellis::users::Role;
use trellis::{server, state::AppState};
use uuid::Uuid;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<FixedClock>,
    pub db: DatabaseConnection,
    pub client: SocketAddr,
    pub queries: Arc<std::sync::atomic::AtomicUsize>,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    pub organisation_id: Uuid,
    pub totp_secret: Option<Vec<u8>>,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json response with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {}", self.text);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    }

    /// The fields named in a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    }
}

pub const PASSWORD: &str = "correct-horse-battery-47";

pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub fn test_config(database_url: String) -> Config {
    Config { database_url, login_address_limit: 1000, ..Config::default() }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let (url, dir) = match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server);
                (format!("{base}/trellis_t_{}", Uuid::new_v4().simple()), None)
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, Some(dir))
            }
        };
        let mut config = test_config(url);
        adjust(&mut config);
        let mut db = trellis::db::connect(&config.database_url).await.unwrap();
        trellis::db::migrate_up(&db).await.unwrap();
        // Every statement the service runs is counted, so a test can show a route runs a
        // bounded number of queries.
        let queries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = queries.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let keys = Keys { fields: FieldCipher::new(&[3u8; 32], &[]), pseudonyms: Pseudonymiser::new([4u8; 32]), notice: None };
        let clock = Arc::new(FixedClock::new(start_time()));
        let authz = Authz::load(None).unwrap();
        let state = AppState::new(db.clone(), config, clock.clone(), authz, keys).unwrap();
        let router = server::router(state.clone());
        TestApp { router, state, clock, db, client: "127.0.0.1:40000".parse().unwrap(), queries, _dir: dir }
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req { app: self, method, path: path.to_string(), headers: Vec::new(), body: None, client: self.client }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Req<'_> {
        self.req(Method::PATCH, path)
    }

    pub async fn org(&self, name: &str, kind: OrganisationKind) -> Uuid {
        let m = trellis::organisations::service::new_organisation(name, kind, &["Ashworth".to_string()], self.clock.now()).unwrap();
        m.insert(&self.db).await.unwrap().id
    }

    /// A lead charity and two partners.
    pub async fn charities(&self) -> (Uuid, Uuid, Uuid) {
        (
            self.org("Lead Charity", OrganisationKind::Lead).await,
            self.org("Partner A", OrganisationKind::Partner).await,
            self.org("Partner B", OrganisationKind::Partner).await,
        )
    }

    /// A user with the standard test password; MFA enrolled when her role requires it.
    pub async fn user(&self, org: Uuid, role: Role) -> TestUser {
        let mfa = self.state.config.mfa_required(role);
        self.user_with(org, role, mfa).await
    }

    pub async fn user_with(&self, org: Uuid, role: Role, mfa: bool) -> TestUser {
        let id = Uuid::now_v7();
        let email = format!("{}.{}@example.org", role.as_str(), &id.simple().to_string()[24..]);
        let name = format!("Test {}", role.as_str());
        let secret = if mfa { Some(vec![7u8; 20]) } else { None };
        let sealed = secret.as_ref().map(|s| trellis::auth::routes::seal_mfa_secret(&self.state, &id, s).unwrap());
        let hash = trellis::auth::password::hash_blocking(PASSWORD).unwrap();
        let now = self.clock.now();
        user::ActiveModel {
            id: Set(id),
            email: Set(email.clone()),
            name: Set(name.clone()),
            role: Set(role),
            organisation_id: Set(org),
            active: Set(true),
            password_hash: Set(hash),
            mfa_secret: Set(sealed),
            mfa_enabled: Set(mfa),
            mfa_last_step: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .unwrap();
        TestUser { id, email, name, password: PASSWORD.into(), role, organisation_id: org, totp_secret: secret }
    }

    /// The current TOTP code for a user.
    pub fn code(&self, u: &TestUser) -> String {
        let secret = u.totp_secret.as_ref().expect("user has no TOTP secret");
        trellis::auth::mfa::code_at(secret, self.clock.now().timestamp() as u64).unwrap()
    }

    /// Signs in through the API (moving the clock to a fresh TOTP step first, since a code
    /// is accepted once).
    pub async fn login(&self, u: &TestUser) -> String {
        self.clock.advance(chrono::Duration::seconds(30));
        let mut body = json!({"email": u.email, "password": u.password});
        if u.totp_secret.is_some() {
            body["totp"] = json!(self.code(u));
        }
        let r = self.post("/api/v1/auth/login").json(body).send().await;
        assert_eq!(r.status, StatusCode::OK, "login failed: {}", r.text);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// A session created directly (no sign-in round trip, no clock movement).
    pub async fn token(&self, u: &TestUser) -> String {
        trellis::auth::session::create(&self.db, &self.state, u.id, false).await.unwrap().0
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    pub async fn seal_audit(&self) {
        trellis::audit::chain::seal_pending(&self.db).await.unwrap();
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    client: SocketAddr,
}

impl Req<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.headers.push(("authorization".into(), format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.headers.push(("content-type".into(), "application/json".into()));
        self.body = Some(serde_json::to_vec(&body).unwrap());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.headers.push(("content-type".into(), content_type.into()));
        self.body = Some(body.into());
        self
    }

    pub fn from(mut self, addr: &str) -> Self {
        self.client = addr.parse().unwrap();
        self
    }

    pub async fn send(self) -> TestResponse {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let mut req = builder.body(self.body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        req.extensions_mut().insert(ConnectInfo(self.client));
        let resp = self.app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, headers, body, text }
    }
}

/// A valid new young person (unique name), as JSON, for the given charity.
pub fn young_person_json(org: Uuid) -> Value {
    // Letters only: the duplicate check compares names by their letters, so digits in the
    // tag would not tell two fixtures apart.
    let tag: String = Uuid::new_v4().as_bytes()[..8].iter().map(|b| (b'a' + b % 26) as char).collect();
    // A random postcode and birthday, so that fixtures never look like duplicates.
    let r = Uuid::new_v4().as_u128();
    let letter = |n: u128| (b'A' + (n % 26) as u8) as char;
    let postcode = format!("ZZ{}{} {}{}{}", 1 + r % 9, (r >> 8) % 10, (r >> 16) % 10, letter(r >> 24), letter(r >> 32));
    let dob = chrono::NaiveDate::from_ymd_opt(2011, 1, 1).unwrap() + chrono::Duration::days(((r >> 40) % 300) as i64);
    json!({
        "legal_name": format!("Amara Test{tag}"),
        "preferred_name": "Amara",
        "date_of_birth": dob,
        "gender": "female",
        "ethnicity": "mixed_white_black_caribbean",
        "postcode": postcode,
        "district": "Ashworth",
        "lsoa_code": "E01012345",
        "imd_decile": 2,
        "iod_edition": "iod2025",
        "contact_details": "Mobile 07700 900123",
        "education_status": "in_school",
        "care_status": "child_in_need",
        "aces": [
            {"category": "emotional_abuse", "answer": true, "source": "referrer", "recorded_on": "2026-10-01"},
            {"category": "physical_neglect", "answer": true, "source": "referrer", "recorded_on": "2026-10-01"},
            {"category": "domestic_violence", "answer": true, "source": "self_report", "recorded_on": "2026-10-01"},
            {"category": "household_substance_misuse", "answer": true, "source": "referrer", "recorded_on": "2026-10-01"},
            {"category": "parental_separation", "answer": false, "source": "self_report", "recorded_on": "2026-10-01"}
        ],
        "risk_indicators": ["cce", "missing_episodes"],
        "consents": [
            {"kind": "participation", "given_by": "young_person", "method": "written", "recorded_on": "2026-10-01"},
            {"kind": "information_sharing", "given_by": "young_person", "method": "written", "recorded_on": "2026-10-01"},
            {"kind": "participation", "given_by": "parent_carer", "method": "verbal", "recorded_on": "2026-10-01"}
        ],
        "organisation_id": org,
    })
}

/// A valid new referral with a new young person, as JSON.
pub fn referral_json(org: Uuid) -> Value {
    json!({
        "young_person": young_person_json(org),
        "received_on": "2026-11-02",
        "source_type": "school_college",
        "referrer": {"name": "Ms Head of Year", "organisation": "Ashworth Academy", "contact": "01632 960 001"},
        "reasons": "Missing from home three times this term; seen with older men.",
        "organisation_id": org,
    })
}

impl TestApp {
    /// A programme admin's token, for setting up records through the API.
    pub async fn admin_token(&self, lead: Uuid) -> String {
        let admin = self.user(lead, Role::ProgrammeAdmin).await;
        self.token(&admin).await
    }

    /// Creates a referral (with a new young person) through the API; returns (referral, young person).
    pub async fn referral(&self, admin_token: &str, org: Uuid) -> (Uuid, Uuid) {
        let r = self.post("/api/v1/referrals").token(admin_token).json(referral_json(org)).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (r.body["id"].as_str().unwrap().parse().unwrap(), r.body["young_person_id"].as_str().unwrap().parse().unwrap())
    }

    /// Moves a referral through the given statuses as an admin.
    pub async fn move_referral(&self, admin_token: &str, id: Uuid, path: &[&str]) {
        for to in path {
            let mut body = json!({"to": to});
            if *to == "declined" {
                body["reason"] = json!("Outside the criteria.");
            }
            if *to == "closed" {
                body["closure_reason"] = json!("planned_ending");
            }
            let r = self.post(&format!("/api/v1/referrals/{id}/transitions")).token(admin_token).json(body).send().await;
            assert_eq!(r.status, StatusCode::OK, "to {to}: {}", r.text);
        }
    }
}

impl TestApp {
    /// Gives a mentor account a profile, through the API.
    pub async fn add_profile(&self, admin_token: &str, mentor: &TestUser) {
        let body = json!({"user_id": mentor.id, "districts": ["Ashworth"], "interests": ["football"], "availability": [{"day": "sat", "part": "afternoon"}],
            "recruitment_source": "volunteer_centre", "start_date": "2026-01-05"});
        let r = self.post("/api/v1/mentors").token(admin_token).json(body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    /// A lead charity for a test that needs only one.
    pub async fn charities_lead(&self) -> Uuid {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        match trellis::entities::organisation::Entity::find()
            .filter(trellis::entities::organisation::Column::Kind.eq("lead"))
            .one(&self.db)
            .await
            .unwrap()
        {
            Some(o) => o.id,
            None => self.org("Lead Charity", OrganisationKind::Lead).await,
        }
    }

    /// A mentor with a profile (status applicant, nothing recorded yet).
    pub async fn mentor(&self, admin_token: &str, org: Uuid) -> TestUser {
        let m = self.user(org, Role::Mentor).await;
        self.add_profile(admin_token, &m).await;
        m
    }
}

impl TestApp {
    /// The training catalogue (seeding the mandatory courses first).
    pub async fn courses(&self, admin_token: &str) -> Vec<Value> {
        trellis::mentors::service::ensure_catalogue(&self.db, start_time()).await.unwrap();
        let r = self.get("/api/v1/training-courses").token(admin_token).send().await;
        r.body["items"].as_array().unwrap().clone()
    }

    /// A mentor who may be matched today: approved, every check and mandatory course in
    /// place. `profile` overrides the profile's fields (districts, interests, capacity...).
    pub async fn compliant_mentor(&self, admin_token: &str, org: Uuid, profile: Value) -> TestUser {
        let m = self.user(org, Role::Mentor).await;
        self.make_compliant(admin_token, &m, profile).await;
        m
    }

    /// Gives a mentor account a profile and makes her compliant (see `compliant_mentor`).
    pub async fn make_compliant(&self, admin_token: &str, m: &TestUser, profile: Value) {
        let mut body = json!({"user_id": m.id, "districts": ["Ashworth"], "interests": [], "availability": [],
            "recruitment_source": "volunteer_centre", "start_date": "2026-01-05"});
        for (k, v) in profile.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self.post("/api/v1/mentors").token(admin_token).json(body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let path = format!("/api/v1/mentors/{}", m.id);
        let r = self.patch(&path).token(admin_token).header("if-match", "\"1\"").json(json!({"status": "approved"})).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let simple = |kind: &str| json!({"kind": kind, "completed_on": "2026-02-01", "outcome": "satisfactory"});
        let reference = json!({"kind": "reference", "completed_on": "2026-02-01", "outcome": "satisfactory",
            "reference": {"referee_relationship": "Employer", "received_on": "2026-02-01"}});
        let dbs = json!({"kind": "dbs", "completed_on": "2025-06-01", "dbs": {"certificate_number": "001234567890", "issue_date": "2025-06-01",
            "workforce": "child", "level": "enhanced", "barred_list_checked": true, "result": "clear", "update_service": false}});
        for body in [
            dbs,
            reference.clone(),
            reference,
            simple("interview"),
            simple("identity"),
            simple("code_of_conduct"),
            simple("volunteer_agreement"),
        ] {
            let r = self.post(&format!("{path}/checks")).token(admin_token).json(body).send().await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        for c in self.courses(admin_token).await.into_iter().filter(|c| c["mandatory"] == true) {
            let r = self
                .post(&format!("{path}/training"))
                .token(admin_token)
                .json(json!({"course_id": c["id"], "completed_on": "2026-09-01", "provider": "Programme team"}))
                .send()
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    }

    /// An accepted referral (new young person, `young_person` overriding her fields), waiting
    /// for a mentor; returns (referral, young person).
    pub async fn accepted_referral(&self, admin_token: &str, org: Uuid, young_person: Value) -> (Uuid, Uuid) {
        let mut body = referral_json(org);
        for (k, v) in young_person.as_object().unwrap() {
            body["young_person"][k] = v.clone();
        }
        let r = self.post("/api/v1/referrals").token(admin_token).json(body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let rid: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
        self.move_referral(admin_token, rid, &["screening", "accepted"]).await;
        (rid, r.body["young_person_id"].as_str().unwrap().parse().unwrap())
    }

    /// A new referral in `status`, reached the way the service allows: by hand up to
    /// accepted, declined or waitlisted; through a match for matched, active and closed.
    pub async fn referral_at(&self, admin_token: &str, org: Uuid, status: &str) -> Uuid {
        let by_hand: &[&str] = match status {
            "received" => &[],
            "screening" => &["screening"],
            "waitlisted" => &["screening", "waitlisted"],
            "declined" => &["screening", "declined"],
            _ => &["screening", "accepted"],
        };
        let (rid, _) = self.referral(admin_token, org).await;
        self.move_referral(admin_token, rid, by_hand).await;
        if !matches!(status, "matched" | "active" | "closed") {
            return rid;
        }
        let mentor = self.compliant_mentor(admin_token, org, json!({})).await;
        if status == "matched" {
            let r = self.post("/api/v1/matches").token(admin_token).json(json!({"referral_id": rid, "mentor_id": mentor.id})).send().await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            return rid;
        }
        let m = self.active_match(admin_token, rid, mentor.id).await;
        if status == "closed" {
            let end = json!({"to": "ended", "ending_type": "planned", "ending_reason": "goals_met", "exit_conversation_held": true});
            let r = self.post(&format!("/api/v1/matches/{m}/transitions")).token(admin_token).json(end).send().await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        rid
    }

    /// Confirms a match and takes it to `active` (first meeting, signed agreement); returns its id.
    pub async fn active_match(&self, admin_token: &str, referral: Uuid, mentor: Uuid) -> Uuid {
        let r = self.post("/api/v1/matches").token(admin_token).json(json!({"referral_id": referral, "mentor_id": mentor})).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
        for body in [json!({"to": "introduced", "staff_present": "Coordinator"}), json!({"to": "active", "agreement_signed": true})] {
            let r = self.post(&format!("/api/v1/matches/{id}/transitions")).token(admin_token).json(body).send().await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        id
    }
}

/// A valid assessment body: `instrument` with these answers, taken on `taken_on`.
pub fn assessment_json(instrument: &str, timepoint: &str, taken_on: &str, answers: Value) -> Value {
    json!({
        "instrument": instrument,
        "timepoint": timepoint,
        "taken_on": taken_on,
        "answers": answers,
        "indicators": {"education_employment_status": "in_school", "police_contact_since_last_review": false,
            "first_time_entrant": false, "missing_episodes": 0},
    })
}

impl TestApp {
    /// Seeds the built-in outcome instruments (start-up does this for the real service).
    pub async fn instruments(&self) {
        trellis::outcomes::ensure_instruments(&self.db, start_time()).await.unwrap();
    }

    /// Records an assessment through the API, asserting it is created; returns the body.
    pub async fn assessment(&self, token: &str, young_person: Uuid, body: Value) -> Value {
        let r = self.post(&format!("/api/v1/young-people/{young_person}/assessments")).token(token).json(body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }
}

impl TestApp {
    /// A compliant mentor of `org` and an active match of hers (begun today); returns (match, mentor).
    pub async fn mentor_with_match(&self, admin_token: &str, org: Uuid) -> (Uuid, TestUser) {
        let mentor = self.compliant_mentor(admin_token, org, json!({})).await;
        let (rid, _) = self.accepted_referral(admin_token, org, json!({})).await;
        (self.active_match(admin_token, rid, mentor.id).await, mentor)
    }

    /// Logs an attended session through the API as `token`; returns its id.
    pub async fn log_session(&self, token: &str, match_id: Uuid, held_on: &str) -> Uuid {
        let r = self.post("/api/v1/mentoring-sessions").token(token).json(session_json(match_id, held_on)).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().unwrap().parse().unwrap()
    }
}

/// An attended session's log.
pub fn session_json(match_id: Uuid, held_on: &str) -> Value {
    json!({"match_id": match_id, "held_on": held_on, "attended": true, "duration_minutes": 90, "mode": "in_person",
        "location_category": "cafe_or_restaurant", "activities": ["conversation", "goal_setting"], "engagement": 4,
        "mood_before": 2, "mood_after": 4, "notes": "Talked about her college application; she seemed brighter."})
}

impl TestApp {
    /// For the authorization matrix: an active match in `org` whose mentor is `me` (made
    /// compliant) or a new mentor.
    pub async fn matrix_match(&self, admin_token: &str, org: Uuid, me: Option<&TestUser>) -> Uuid {
        let (rid, _) = self.accepted_referral(admin_token, org, json!({})).await;
        let mentor = match me {
            Some(me) => {
                self.make_compliant(admin_token, me, json!({})).await;
                me.id
            }
            None => self.compliant_mentor(admin_token, org, json!({})).await.id,
        };
        self.active_match(admin_token, rid, mentor).await
    }

    /// For the authorization matrix: a session logged today for such a match.
    pub async fn matrix_session(&self, admin_token: &str, org: Uuid, me: Option<&TestUser>) -> Uuid {
        let m = self.matrix_match(admin_token, org, me).await;
        self.log_session(admin_token, m, &self.state.now().date_naive().to_string()).await
    }
}

// Outbox delivery.
impl TestApp {
    /// A new `AppState` over the same database with its own connections: the service as it is
    /// after a restart.
    pub async fn restarted_state(&self) -> AppState {
        let db = trellis::db::connect(&self.state.config.database_url).await.unwrap();
        trellis::db::migrate_up(&db).await.unwrap();
        let keys = Keys { fields: FieldCipher::new(&[3u8; 32], &[]), pseudonyms: Pseudonymiser::new([4u8; 32]), notice: None };
        AppState::new(db, self.state.config.clone(), self.clock.clone(), Authz::load(None).unwrap(), keys).unwrap()
    }

    /// An outbox message for `recipient`, written the way a feature writes its alerts.
    pub async fn enqueue_alert(&self, recipient: &TestUser, subject: &str, body: &str) -> Uuid {
        let msg = trellis::outbox::NewMessage {
            kind: "safeguarding.concern_raised",
            organisation_id: Some(recipient.organisation_id),
            recipient_id: recipient.id,
            subject: subject.to_string(),
            body: body.to_string(),
        };
        trellis::outbox::enqueue(&self.db, self.clock.now(), msg).await.unwrap()
    }

    pub async fn outbox_message(&self, id: Uuid) -> trellis::entities::outbox_message::Model {
        use sea_orm::EntityTrait;
        trellis::entities::outbox_message::Entity::find_by_id(id).one(&self.db).await.unwrap().unwrap()
    }
}

/// Safeguarding concerns.
impl TestApp {
    /// Raises a concern through the API as `token`; returns its id.
    pub async fn concern(&self, token: &str, young_person: Uuid, immediate_danger: bool) -> Uuid {
        let r = self.post("/api/v1/safeguarding/concerns").token(token).json(concern_json(young_person, immediate_danger)).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().unwrap().parse().unwrap()
    }
}

/// A valid concern about `young_person`, observed an hour before the test clock starts.
pub fn concern_json(young_person: Uuid, immediate_danger: bool) -> Value {
    json!({
        "young_person_id": young_person,
        "observed_at": (start_time() - chrono::Duration::hours(1)).to_rfc3339(),
        "category": "county_lines",
        "what_happened": "She said an older boy gave her a phone and train tickets.",
        "action_taken": "Told her I would pass it on to keep her safe.",
        "immediate_danger": immediate_danger,
    })
}
