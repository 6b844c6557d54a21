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

    /// Asserts the status (showing the body when it differs); returns the response for
    /// further checks.
    #[track_caller]
    pub fn assert_status(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.text);
        self
    }

    /// The body's `id`, as a Uuid.
    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// The `items` of a list answer.
    pub fn items(&self) -> &Vec<Value> {
        self.body["items"].as_array().unwrap()
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

/// The fixed field and pseudonym keys every test service runs with.
pub fn test_keys() -> Keys {
    Keys { fields: FieldCipher::new(&[3u8; 32], &[]), pseudonyms: Pseudonymiser::new([4u8; 32]), notice: None }
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
        let keys = test_keys();
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
    /// Registers evaluation project `slug` (running from a year before the test clock's day
    /// to a year after) if it is not yet, and binds every active evaluator to it.
    pub async fn project(&self, slug: &str) -> Uuid {
        use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
        use trellis::projects::{dto, service};
        let now = self.state.now();
        let id = match service::find_by_slug(&self.db, slug).await.unwrap() {
            Some(p) => p.id,
            None => {
                let body = dto::CreateProject {
                    slug: slug.into(),
                    name: format!("Project {slug}"),
                    purpose: "Evaluation.".into(),
                    lawful_basis: dto::LawfulBasis::LegitimateInterests,
                    agreement_reference: "DSA-TEST".into(),
                    starts_on: now.date_naive() - chrono::Days::new(365),
                    ends_on: now.date_naive() + chrono::Days::new(365),
                };
                service::new_project(&body, Uuid::nil(), now).insert(&self.db).await.unwrap().id
            }
        };
        let evaluators = trellis::entities::user::Entity::find()
            .filter(trellis::entities::user::Column::Role.eq(Role::Evaluator))
            .filter(trellis::entities::user::Column::Active.eq(true))
            .all(&self.db)
            .await
            .unwrap();
        for e in evaluators {
            service::bind(&self.db, id, e.id, Uuid::nil(), now).await.unwrap();
        }
        id
    }

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
        let r = self.post_json("/api/v1/referrals", admin_token, referral_json(org)).await.assert_status(201);
        (r.id(), r.body["young_person_id"].as_str().unwrap().parse().unwrap())
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
            let r = self.transition_referral(admin_token, id, body).await;
            assert_eq!(r.status, StatusCode::OK, "to {to}: {}", r.text);
        }
    }
}

impl TestApp {
    /// Gives a mentor account a profile, through the API.
    pub async fn add_profile(&self, admin_token: &str, mentor: &TestUser) {
        let body = json!({"user_id": mentor.id, "districts": ["Ashworth"], "interests": ["football"], "availability": [{"day": "sat", "part": "afternoon"}],
            "recruitment_source": "volunteer_centre", "start_date": "2026-01-05"});
        self.post_json("/api/v1/mentors", admin_token, body).await.assert_status(201);
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
        self.get("/api/v1/training-courses").token(admin_token).send().await.items().clone()
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
        self.post_json("/api/v1/mentors", admin_token, body).await.assert_status(201);
        let path = format!("/api/v1/mentors/{}", m.id);
        self.patch_json(&path, admin_token, "\"1\"", json!({"status": "approved"})).await.assert_status(200);
        for body in all_checks_json() {
            self.post_json(&format!("{path}/checks"), admin_token, body).await.assert_status(201);
        }
        for c in self.courses(admin_token).await.into_iter().filter(|c| c["mandatory"] == true) {
            let body = training_json(&c["id"], "2026-09-01", "Programme team");
            self.post_json(&format!("{path}/training"), admin_token, body).await.assert_status(201);
        }
    }

    /// An accepted referral (new young person, `young_person` overriding her fields), waiting
    /// for a mentor; returns (referral, young person).
    pub async fn accepted_referral(&self, admin_token: &str, org: Uuid, young_person: Value) -> (Uuid, Uuid) {
        let mut body = referral_json(org);
        for (k, v) in young_person.as_object().unwrap() {
            body["young_person"][k] = v.clone();
        }
        let r = self.post_json("/api/v1/referrals", admin_token, body).await.assert_status(201);
        let rid = r.id();
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
            self.propose_match(admin_token, rid, mentor.id).await.assert_status(201);
            return rid;
        }
        let m = self.active_match(admin_token, rid, mentor.id).await;
        if status == "closed" {
            self.end_match(admin_token, m).await;
        }
        rid
    }

    /// Confirms a match and takes it to `active` (first meeting, signed agreement); returns its id.
    pub async fn active_match(&self, admin_token: &str, referral: Uuid, mentor: Uuid) -> Uuid {
        let id = self.propose_match(admin_token, referral, mentor).await.assert_status(201).id();
        for body in [json!({"to": "introduced", "staff_present": "Coordinator"}), json!({"to": "active", "agreement_signed": true})] {
            self.transition_match(admin_token, id, body).await.assert_status(200);
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
        self.post_json(&format!("/api/v1/young-people/{young_person}/assessments"), token, body).await.assert_status(201).body
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
        self.post_json("/api/v1/mentoring-sessions", token, session_json(match_id, held_on)).await.assert_status(201).id()
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
        AppState::new(db, self.state.config.clone(), self.clock.clone(), Authz::load(None).unwrap(), test_keys()).unwrap()
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
        let body = concern_json(young_person, immediate_danger);
        self.post_json("/api/v1/safeguarding/concerns", token, body).await.assert_status(201).id()
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

/// `body` with `key` set to `value` (a valid body made bad in one place).
pub fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

/// `body` without `key`.
pub fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().unwrap().remove(key);
    body
}

/// A valid new account, as JSON (name Nia Okoro, a strong password).
pub fn user_json(email: &str, role: &str, org: Uuid) -> Value {
    json!({"email": email, "name": "Nia Okoro", "role": role, "organisation_id": org, "password": "lantern-river-oak-2026"})
}

/// A new partner charity in Fenwick, as JSON.
pub fn partner_json(name: &str) -> Value {
    json!({"name": name, "kind": "partner", "districts": ["Fenwick"]})
}

/// A clear enhanced DBS check issued (and completed) on `issued`.
pub fn dbs_check_json(issued: &str) -> Value {
    json!({"kind": "dbs", "completed_on": issued, "dbs": {"certificate_number": "001234567890", "issue_date": issued, "workforce": "child",
        "level": "enhanced", "barred_list_checked": true, "result": "clear", "update_service": false}})
}

/// A satisfactory check of `kind` with no details of its own (interview, identity...).
pub fn check_json(kind: &str) -> Value {
    json!({"kind": kind, "completed_on": "2026-02-01", "outcome": "satisfactory"})
}

/// A satisfactory reference from an employer.
pub fn reference_check_json() -> Value {
    json!({"kind": "reference", "completed_on": "2026-02-01", "outcome": "satisfactory",
        "reference": {"referee_relationship": "Employer", "received_on": "2026-02-01"}})
}

/// Every check a mentor needs before she is matched (a DBS issued 2025-06-01, two
/// references, interview, identity, code of conduct, volunteer agreement).
pub fn all_checks_json() -> Vec<Value> {
    vec![
        dbs_check_json("2025-06-01"),
        reference_check_json(),
        reference_check_json(),
        check_json("interview"),
        check_json("identity"),
        check_json("code_of_conduct"),
        check_json("volunteer_agreement"),
    ]
}

/// A completed course of training.
pub fn training_json(course: &Value, completed_on: &str, provider: &str) -> Value {
    json!({"course_id": course, "completed_on": completed_on, "provider": provider})
}

/// A planned ending of a match after its goals were met.
pub fn planned_ending_json() -> Value {
    json!({"to": "ended", "ending_type": "planned", "ending_reason": "goals_met", "exit_conversation_held": true})
}

// Requests the tests send again and again.
impl TestApp {
    /// POSTs `body` as JSON, signed in with `token`.
    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.post(path).token(token).json(body).send().await
    }

    /// PATCHes `body` as JSON, signed in with `token`, with If-Match `etag` (e.g. `"\"1\""`).
    pub async fn patch_json(&self, path: &str, token: &str, etag: &str, body: Value) -> TestResponse {
        self.patch(path).token(token).header("if-match", etag).json(body).send().await
    }

    /// PATCHes `body` at the version the record has now (read first for its ETag).
    pub async fn patch_current(&self, path: &str, token: &str, body: Value) -> TestResponse {
        let etag = self.get(path).token(token).send().await.header("etag").unwrap().to_string();
        self.patch_json(path, token, &etag, body).await
    }

    /// POSTs `body` as JSON with `token` under Idempotency-Key `key`.
    pub async fn post_idempotent(&self, path: &str, token: &str, key: &str, body: Value) -> TestResponse {
        self.post(path).token(token).header("idempotency-key", key).json(body).send().await
    }

    /// A sign-in attempt with this email and password (no TOTP code).
    pub async fn sign_in(&self, email: &str, password: &str) -> TestResponse {
        self.post("/api/v1/auth/login").json(json!({"email": email, "password": password})).send().await
    }

    /// A sign-in attempt with this email, password and TOTP code.
    pub async fn sign_in_with_code(&self, email: &str, password: &str, code: &str) -> TestResponse {
        self.post("/api/v1/auth/login").json(json!({"email": email, "password": password, "totp": code})).send().await
    }

    /// Asserts `token` no longer signs anyone in.
    pub async fn assert_signed_out(&self, token: &str) {
        self.get("/api/v1/auth/me").token(token).send().await.assert_problem(401, "unauthenticated");
    }

    /// A password change as the holder of `token`.
    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> TestResponse {
        self.post_json("/api/v1/auth/password", token, json!({"current_password": current, "new_password": new})).await
    }

    /// Moves referral `rid` with this transition body.
    pub async fn transition_referral(&self, token: &str, rid: impl std::fmt::Display, body: Value) -> TestResponse {
        self.post_json(&format!("/api/v1/referrals/{rid}/transitions"), token, body).await
    }

    /// Allocates referral `rid` (and her record) to `org`, for `reason`.
    pub async fn allocate(&self, token: &str, rid: impl std::fmt::Display, org: Uuid, reason: &str) -> TestResponse {
        self.post_json(&format!("/api/v1/referrals/{rid}/allocate"), token, json!({"organisation_id": org, "reason": reason})).await
    }

    /// Proposes a match of referral `rid` with `mentor`.
    pub async fn propose_match(&self, token: &str, rid: impl serde::Serialize, mentor: Uuid) -> TestResponse {
        self.post_json("/api/v1/matches", token, json!({"referral_id": rid, "mentor_id": mentor})).await
    }

    /// Moves match `m` with this transition body.
    pub async fn transition_match(&self, token: &str, m: Uuid, body: Value) -> TestResponse {
        self.post_json(&format!("/api/v1/matches/{m}/transitions"), token, body).await
    }

    /// Ends match `m` as planned, asserting it ended.
    pub async fn end_match(&self, token: &str, m: Uuid) {
        self.transition_match(token, m, planned_ending_json()).await.assert_status(200);
    }

    /// The young person of match `m`, as `token` reads the match.
    pub async fn young_person_of(&self, token: &str, m: Uuid) -> Uuid {
        let got = self.get(&format!("/api/v1/matches/{m}")).token(token).send().await;
        got.body["young_person_id"].as_str().unwrap().parse().unwrap()
    }

    /// Adds an entry (`body`) to the chronology of concern `id`.
    pub async fn concern_entry(&self, token: &str, id: Uuid, body: Value) -> TestResponse {
        self.post_json(&format!("/api/v1/safeguarding/concerns/{id}/entries"), token, body).await
    }

    /// Declares, as `token`, that `mentor` has a conflict of interest with young person
    /// `yp`, asserting it is recorded.
    pub async fn declare_conflict(&self, token: &str, mentor: Uuid, yp: Uuid, declared_on: &str) {
        let body = json!({"young_person_id": yp, "reason": "Her neighbour.", "declared_on": declared_on});
        self.post_json(&format!("/api/v1/mentors/{mentor}/conflicts"), token, body).await.assert_status(201);
    }

    /// A case note on young person `yp`.
    pub async fn note(&self, token: &str, yp: impl std::fmt::Display, body: &str) -> TestResponse {
        self.post_json(&format!("/api/v1/young-people/{yp}/notes"), token, json!({"body": body})).await
    }

    /// Charity `org` refers the same girl as record `yp` (same name, date of birth and
    /// postcode), asserting it is created; returns (referral, young person).
    pub async fn refer_again(&self, admin_token: &str, org: Uuid, yp: impl std::fmt::Display) -> (Uuid, Uuid) {
        let rec = self.get(&format!("/api/v1/young-people/{yp}")).token(admin_token).send().await;
        let mut theirs = referral_json(org);
        for k in ["legal_name", "date_of_birth", "postcode"] {
            theirs["young_person"][k] = rec.body[k].clone();
        }
        let r = self.post_json("/api/v1/referrals", admin_token, theirs).await.assert_status(201);
        (r.id(), r.body["young_person_id"].as_str().unwrap().parse().unwrap())
    }

    /// The id of the first possible duplicate the programme admin is shown.
    pub async fn first_duplicate_flag(&self, admin_token: &str) -> String {
        let flags = self.get("/api/v1/duplicates").token(admin_token).send().await;
        flags.body["items"][0]["id"].as_str().unwrap().to_string()
    }

    /// Resolves duplicate flag `flag` by merging into record `keep`.
    pub async fn merge(&self, admin_token: &str, flag: impl std::fmt::Display, keep: impl serde::Serialize) -> TestResponse {
        self.post_json(&format!("/api/v1/duplicates/{flag}/resolve"), admin_token, json!({"action": "merge", "keep": keep})).await
    }

    /// Writes an open duplicate flag pairing record `yp` with record `other`, straight to
    /// the database.
    pub async fn duplicate_flag(
        &self,
        yp: Uuid,
        other: Uuid,
        created_at: chrono::DateTime<Utc>,
    ) -> trellis::entities::duplicate_flag::Model {
        trellis::entities::duplicate_flag::ActiveModel {
            id: Set(Uuid::now_v7()),
            young_person_id: Set(yp),
            match_id: Set(other),
            status: Set(trellis::entities::duplicate_flag::DuplicateStatus::Open),
            created_at: Set(created_at),
            resolved_at: Set(None),
            resolved_by: Set(None),
        }
        .insert(&self.db)
        .await
        .unwrap()
    }

    /// The audit events with this action, oldest first.
    pub async fn audit_events(&self, action: &str) -> Vec<trellis::entities::audit_event::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        use trellis::entities::audit_event;
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .order_by_asc(audit_event::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// Seeds the demo programme (seed 2026, scale 1) at the test clock's start.
    pub async fn seed_demo(&self) {
        let opts = trellis::demo::Options { seed: 2026, scale: 1 };
        trellis::demo::seed(&self.db, &self.state.config, &self.state.keys, start_time(), &opts).await.unwrap().unwrap();
    }
}

/// A fresh service with a lead charity, two partners (`a`, `b`) and a programme admin's
/// token: the set-up most tests start from.
pub struct Programme {
    pub app: TestApp,
    pub lead: Uuid,
    pub a: Uuid,
    pub b: Uuid,
    pub admin: String,
}

impl Programme {
    /// The programme on a service with the default test configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The programme on a service whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let app = TestApp::spawn_with(adjust).await;
        let (lead, a, b) = app.charities().await;
        let admin = app.admin_token(lead).await;
        Programme { app, lead, a, b, admin }
    }
}

/// The `v` column of a query with one parameter (`?`), as text.
pub async fn scalar(app: &TestApp, sql: &str, param: impl Into<sea_orm::Value>) -> Vec<String> {
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    let sql = if backend == sea_orm::DatabaseBackend::Postgres { sql.replace('?', "$1") } else { sql.to_string() };
    let rows = sea_orm::ConnectionTrait::query_all_raw(&app.db, sea_orm::Statement::from_sql_and_values(backend, sql, [param.into()]))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "v").or_else(|_| r.try_get::<Uuid>("", "v").map(|u| u.to_string())).unwrap()).collect()
}
