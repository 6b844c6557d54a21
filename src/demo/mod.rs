//! The demo programme: a lead charity and six partner charities over the county's
//! districts, each with a coordinator, a safeguarding lead and mentors, plus programme
//! admins and an evaluator. Deterministic from a seed; every name is synthetic. Passwords
//! and TOTP secrets come from the OS random source and are written, with the accounts, to
//! a JSON file (mode 0600) so that a person or a test can sign in.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::Event;
use crate::auth::mfa;
use crate::config::Config;
use crate::crypto::Keys;
use crate::entities::{organisation, user};
use crate::organisations::dto::OrganisationKind;
use crate::users::Role;

mod assessments;
mod concerns;
mod matches;
mod mentors;
mod referrals;
mod sessions;

/// A small deterministic generator (SplitMix64): demo data must be the same for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub const DISTRICTS: &[&str] = &["Ashworth", "Brackenfield", "Calder Vale", "Dunmere", "Eastholme", "Fenwick", "Greystone"];

/// (name, e-mail domain, kind, districts covered)
const CHARITIES: &[(&str, &str, OrganisationKind, &[&str])] = &[
    (
        "Brightpath Foundation",
        "brightpath",
        OrganisationKind::Lead,
        &["Ashworth", "Brackenfield", "Calder Vale", "Dunmere", "Eastholme", "Fenwick", "Greystone"],
    ),
    ("Harbour Youth Trust", "harbour", OrganisationKind::Partner, &["Ashworth", "Brackenfield"]),
    ("Kindling Girls' Network", "kindling", OrganisationKind::Partner, &["Calder Vale"]),
    ("Oakleaf Mentoring", "oakleaf", OrganisationKind::Partner, &["Dunmere", "Eastholme"]),
    ("Northgate Young Women's Project", "northgate", OrganisationKind::Partner, &["Fenwick"]),
    ("Riverside Befrienders", "riverside", OrganisationKind::Partner, &["Greystone", "Ashworth"]),
    ("Lantern Community Trust", "lantern", OrganisationKind::Partner, &["Brackenfield", "Eastholme"]),
];

const FIRST: &[&str] = &[
    "Amara", "Bethan", "Chloe", "Dara", "Eilidh", "Farah", "Grace", "Hana", "Imani", "Jade", "Keira", "Leah", "Maya", "Nadia", "Orla",
    "Priya", "Rosa", "Siobhan", "Tamsin", "Uma", "Vera", "Wren", "Yasmin", "Zara", "Ama", "Carys", "Efua", "Gemma", "Ioana", "Lowri",
    "Mei", "Niamh", "Roisin", "Sana", "Tegan", "Zainab",
];
const LAST: &[&str] = &[
    "Adeyemi",
    "Brennan",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fletcher",
    "Gallagher",
    "Hussain",
    "Iqbal",
    "Jones",
    "Kowalska",
    "Lewis",
    "Mensah",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rahman",
    "Singh",
    "Thompson",
    "Usman",
    "Varga",
    "Walsh",
    "Yilmaz",
    "Zhang",
    "Achterberg",
    "Boateng",
    "Campbell",
    "Doherty",
    "Osei",
];

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub role: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    /// Base32 TOTP secret for accounts with two-factor sign-in, else null.
    pub totp_secret: Option<String>,
}

pub struct Options {
    pub seed: u64,
    pub scale: u32,
}

/// Above this many accounts, further mentors share their charity's first mentor password,
/// so that `--scale 100` does not spend minutes on argon2.
const DISTINCT_PASSWORDS: usize = 200;

/// Seeds the demo programme if the database has no organisations yet. Returns the accounts,
/// or None when the database already holds data.
pub async fn seed(
    db: &DatabaseConnection,
    cfg: &Config,
    keys: &Keys,
    now: DateTime<Utc>,
    opts: &Options,
) -> Result<Option<Vec<DemoAccount>>, String> {
    if organisation::Entity::find().count(db).await.map_err(|e| e.to_string())? > 0 {
        return Ok(None);
    }
    let mut rng = Rng::new(opts.seed);
    let scale = opts.scale.max(1) as usize;
    let mut plan: Vec<(usize, Role, String)> = Vec::new(); // (charity index, role, name)
    let mut used = std::collections::HashSet::new();
    let mut name = |rng: &mut Rng| loop {
        let n = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        if used.insert(n.clone()) || used.len() > FIRST.len() * LAST.len() - 1 {
            return n;
        }
    };
    for (i, (_, _, kind, _)) in CHARITIES.iter().enumerate() {
        if *kind == OrganisationKind::Lead {
            for _ in 0..2 {
                plan.push((i, Role::ProgrammeAdmin, name(&mut rng)));
            }
            plan.push((i, Role::Evaluator, name(&mut rng)));
        }
        plan.push((i, Role::Coordinator, name(&mut rng)));
        plan.push((i, Role::SafeguardingLead, name(&mut rng)));
        let mentors = (3 + rng.below(3)) * scale;
        for m in 0..mentors {
            let n = if m < FIRST.len() * LAST.len() / 2 { name(&mut rng) } else { format!("Mentor {i}-{m}") };
            plan.push((i, Role::Mentor, n));
        }
    }

    // Hash passwords off the runtime, as many at a time as the service would (each argon2
    // hash holds 19 MiB: two hundred at once would need gigabytes).
    let mut passwords: Vec<String> = Vec::with_capacity(plan.len());
    let mut first_mentor: std::collections::HashMap<usize, usize> = Default::default();
    let mut sources: Vec<Option<usize>> = Vec::with_capacity(plan.len()); // None: a hash of its own
    for (k, (charity, role, _)) in plan.iter().enumerate() {
        if k >= DISTINCT_PASSWORDS
            && *role == Role::Mentor
            && let Some(&j) = first_mentor.get(charity)
        {
            passwords.push(passwords[j].clone());
            sources.push(Some(j));
            continue;
        }
        if *role == Role::Mentor {
            first_mentor.entry(*charity).or_insert(k);
        }
        passwords.push(URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<15>().map_err(|e| e.to_string())?));
        sources.push(None);
    }
    let own: Vec<usize> = (0..plan.len()).filter(|&k| sources[k].is_none()).collect();
    let mut own_hashes: std::collections::HashMap<usize, String> = Default::default();
    for batch in own.chunks(cfg.password_hash_concurrency.max(1)) {
        let jobs: Vec<_> = batch
            .iter()
            .map(|&k| {
                let pw = passwords[k].clone();
                (k, tokio::task::spawn_blocking(move || crate::auth::password::hash_blocking(&pw)))
            })
            .collect();
        for (k, job) in jobs {
            own_hashes.insert(k, job.await.map_err(|e| e.to_string())?.map_err(|e| format!("{e}"))?);
        }
    }
    let hashes = (0..plan.len())
        .map(|k| own_hashes.get(&sources[k].unwrap_or(k)).cloned().ok_or_else(|| format!("no password hash for account {k}")))
        .collect::<Result<Vec<String>, String>>()?;

    let mut txn = crate::access::Write::begin(db, None, now, None).await.map_err(|e| e.to_string())?;
    let mut org_ids = Vec::new();
    for (name, _, kind, districts) in CHARITIES {
        let d: Vec<String> = districts.iter().map(|s| s.to_string()).collect();
        let o = crate::organisations::service::new_organisation(name, *kind, &d, now)
            .map_err(|e| e.to_string())?
            .insert(&txn)
            .await
            .map_err(|e| e.to_string())?;
        org_ids.push(o.id);
    }
    let mut accounts = Vec::with_capacity(plan.len());
    let mut coordinators = vec![Uuid::nil(); CHARITIES.len()];
    let mut mentor_ids: Vec<(usize, Uuid)> = Vec::new();
    let (mut evaluators, mut admin) = (Vec::new(), None);
    let mut emails = std::collections::HashSet::new();
    for (k, (charity, role, person)) in plan.iter().enumerate() {
        let (org_name, domain, _, _) = CHARITIES[*charity];
        let local: String =
            person.to_lowercase().replace(' ', ".").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
        let mut email = format!("{local}@{domain}.example.org");
        let mut n = 2;
        while !emails.insert(email.clone()) {
            email = format!("{local}{n}@{domain}.example.org");
            n += 1;
        }
        let id = Uuid::now_v7();
        if *role == Role::Coordinator {
            coordinators[*charity] = id;
        }
        if *role == Role::Mentor {
            mentor_ids.push((*charity, id));
        }
        if *role == Role::Evaluator {
            evaluators.push(id);
        }
        if *role == Role::ProgrammeAdmin {
            admin.get_or_insert(id);
        }
        let secret = if cfg.mfa_required(*role) { Some(mfa::new_secret().map_err(|e| e.to_string())?) } else { None };
        let sealed = match &secret {
            Some(s) => Some(keys.fields.seal("users", "mfa_secret", &id, &mfa::base32(s)).map_err(|e| e.to_string())?),
            None => None,
        };
        user::ActiveModel {
            mfa_secret: Set(sealed),
            mfa_enabled: Set(secret.is_some()),
            ..crate::users::service::new_user(id, email.clone(), person, *role, org_ids[*charity], hashes[k].clone(), now)
        }
        .insert(&txn)
        .await
        .map_err(|e| e.to_string())?;
        accounts.push(DemoAccount {
            email,
            password: passwords[k].clone(),
            role: role.as_str().to_string(),
            organisation_id: org_ids[*charity],
            organisation_name: org_name.to_string(),
            totp_secret: secret.map(|s| mfa::base32(&s)),
        });
    }
    let charities: Vec<referrals::Charity> = CHARITIES
        .iter()
        .zip(&org_ids)
        .zip(&coordinators)
        .map(|(((_, _, kind, districts), id), coordinator)| referrals::Charity {
            id: *id,
            coordinator: *coordinator,
            districts,
            weight: if *kind == OrganisationKind::Lead { 1 } else { 3 },
        })
        .collect();
    crate::mentors::service::ensure_catalogue(&txn, now).await.map_err(|e| e.to_string())?;
    crate::outcomes::ensure_instruments(&txn, now).await.map_err(|e| e.to_string())?;
    let mut per_charity = vec![0usize; CHARITIES.len()];
    let demo_mentors: Vec<mentors::DemoMentor> = mentor_ids
        .iter()
        .map(|(charity, id)| {
            let index = per_charity[*charity];
            per_charity[*charity] += 1;
            mentors::DemoMentor {
                user_id: *id,
                organisation_id: org_ids[*charity],
                coordinator: coordinators[*charity],
                districts: CHARITIES[*charity].3,
                index,
            }
        })
        .collect();
    mentors::seed(&txn, keys, &mut rng, &demo_mentors, now).await.map_err(|e| e.to_string())?;
    let referral_count =
        referrals::seed(&txn, keys, &mut rng, &charities, now, opts.scale.max(1) as usize).await.map_err(|e| e.to_string())?;
    let match_count = matches::seed(&txn, keys, &mut rng, &demo_mentors, now).await.map_err(|e| e.to_string())?;
    let assessment_count = assessments::seed(&txn, &mut rng, now).await.map_err(|e| e.to_string())?;
    sessions::seed(&txn, keys, &mut rng, now).await.map_err(|e| e.to_string())?;
    concerns::seed(&txn, keys, now).await.map_err(|e| e.to_string())?;
    let admin = admin.ok_or("the demo has no programme admin")?;
    let project = project(&txn, admin, &evaluators, now).await.map_err(|e| e.to_string())?;
    for e in &evaluators {
        txn.audit(
            Event::new("evaluation_project.evaluator_bound", "evaluation_project")
                .resource(project, None)
                .detail(serde_json::json!({"user_id": e})),
        );
    }
    txn.audit(
        Event::new("evaluation_project.created", "evaluation_project")
            .resource(project, None)
            .detail(serde_json::json!({"slug": DEMO_PROJECT})),
    );
    txn.audit(Event::new("demo.seeded", "programme")
            .detail(serde_json::json!({"seed": opts.seed, "scale": opts.scale, "accounts": accounts.len(), "referrals": referral_count, "matches": match_count, "assessments": assessment_count})));
    txn.commit().await.map_err(|e| e.to_string())?;
    Ok(Some(accounts))
}

/// The demo's evaluation project, to which the demo evaluator is bound.
pub const DEMO_PROJECT: &str = "coalition-evaluation";

/// Registers the demo's evaluation project (running from a year ago for three years) with
/// `evaluators` bound to it.
async fn project<C: sea_orm::ConnectionTrait>(
    conn: &C,
    admin: Uuid,
    evaluators: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Uuid, sea_orm::DbErr> {
    use crate::projects::dto::{CreateProject, LawfulBasis};
    let today = now.date_naive();
    let body = CreateProject {
        slug: DEMO_PROJECT.into(),
        name: "Independent evaluation for the Coalition".into(),
        purpose: "Whether mentoring reduces girls' risk of criminal exploitation, and for whom: outcomes and disproportionality by ethnicity and deprivation, for the Children and Young People's Wellbeing Coalition and the Youth Justice Management Board.".into(),
        lawful_basis: LawfulBasis::LegitimateInterests,
        agreement_reference: "DSA-2026-01".into(),
        starts_on: today - chrono::Days::new(365),
        ends_on: today + chrono::Days::new(730),
    };
    let p = crate::projects::service::new_project(&body, admin, now).insert(conn).await?;
    for e in evaluators {
        crate::projects::service::bind(conn, p.id, *e, admin, now).await?;
    }
    Ok(p.id)
}

/// Writes the accounts file, readable only by its owner.
pub fn write_accounts(path: &Path, accounts: &[DemoAccount]) -> Result<(), String> {
    use std::io::Write;
    let json = serde_json::to_string_pretty(accounts).map_err(|e| e.to_string())?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(json.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // An existing file keeps its old mode on open: tighten it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot protect {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A demo availability slot from its codes.
fn slot(day: &str, part: &str) -> Result<crate::entities::availability::Slot, sea_orm::DbErr> {
    use crate::entities::availability::{Day, PartOfDay, Slot};
    match (Day::parse(day), PartOfDay::parse(part)) {
        (Some(day), Some(part)) => Ok(Slot { day, part }),
        _ => Err(sea_orm::DbErr::Custom(format!("no such slot: {day} {part}"))),
    }
}

/// A demo value for a typed JSON column.
fn typed<T: serde::Serialize>(value: T) -> Result<crate::entities::json::JsonText<T>, sea_orm::DbErr> {
    crate::entities::json::JsonText::new(value).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_generator_is_deterministic() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(8);
            (0..5).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
