//! The `trellis` command line: serve, migrate, demo, admin, audit, exports, policies.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use trellis::authz::Authz;
use trellis::clock::{Clock, SystemClock};
use trellis::config::{Config, LogFormat, Sources};
use trellis::crypto::Keys;
use trellis::entities::organisation;
use trellis::organisations::dto::OrganisationKind;
use trellis::users::Role;
use trellis::{audit, db, demo};
use trellis::{server, state::AppState};

#[derive(Parser)]
#[command(name = "trellis", version, about = "Case management for a multi-charity mentoring programme")]
struct Cli {
    /// Settings file (default: ./trellis.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        /// Address to listen on [env: TRELLIS_BIND] [default: 127.0.0.1:8080]
        #[arg(long)]
        bind: Option<String>,
        /// sqlite://FILE or postgres://... [env: DATABASE_URL] [default: sqlite://trellis.db]
        #[arg(long)]
        database_url: Option<String>,
        /// Seed the demo programme when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Where --demo writes the demo accounts.
        #[arg(long, default_value = "demo-accounts.json")]
        accounts_out: PathBuf,
        /// Directory of Cedar policies to use instead of the built-in ones [env: TRELLIS_POLICIES]
        #[arg(long)]
        policies: Option<String>,
    },
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        direction: MigrateCommand,
        #[arg(long, global = true)]
        database_url: Option<String>,
    },
    /// Seed the synthetic demo programme into an empty database.
    Demo {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value = "demo-accounts.json")]
        accounts_out: PathBuf,
        /// Seed of the deterministic generator.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Multiply the programme (100 is a national programme), for benchmarks.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Create organisations and accounts from the command line.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
        #[arg(long, global = true)]
        database_url: Option<String>,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
        #[arg(long, global = true)]
        database_url: Option<String>,
    },
    /// Check an evaluation extract as a motivated intruder would.
    Exports {
        #[command(subcommand)]
        action: ExportsCommand,
        #[arg(long, global = true)]
        database_url: Option<String>,
    },
    /// Check the authorization policies.
    Policies {
        #[command(subcommand)]
        action: PoliciesCommand,
    },
}

#[derive(Subcommand)]
enum MigrateCommand {
    /// Apply every pending migration.
    Up,
    /// Roll back the most recent migrations. Rolling back the first one drops every table,
    /// the audit trail included, so it must be confirmed with --yes.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
        /// Confirm that data in the rolled-back tables is lost.
        #[arg(long)]
        yes: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. The password is read from standard input (or a prompt), never from the command line.
    CreateUser {
        /// Her e-mail address (the sign-in name).
        #[arg(long)]
        email: String,
        /// Her full name.
        #[arg(long)]
        name: String,
        /// programme_admin, coordinator, safeguarding_lead, mentor or evaluator
        #[arg(long)]
        role: String,
        /// The organisation's id or exact name.
        #[arg(long)]
        organisation: String,
    },
    /// Create an organisation.
    CreateOrganisation {
        /// The charity's name.
        #[arg(long)]
        name: String,
        /// lead or partner
        #[arg(long)]
        kind: String,
        /// A district it covers (repeat for several).
        #[arg(long = "district", required = true)]
        districts: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain: exit 0 with the count if intact, 1 naming the first break.
    Verify,
}

#[derive(Subcommand)]
enum ExportsCommand {
    /// Join every young person's identifiable record to an evaluation extract on every
    /// released column and count, both ways, what only one fits: exit 0 when nothing is (and
    /// every pseudonym fits two records or more), 1 otherwise. Prints what was found as JSON.
    IntruderTest {
        /// The project the extract is for.
        #[arg(long)]
        project: String,
        /// The window's first month (any day of it, YYYY-MM-DD).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// The window's last month (any day of it, YYYY-MM-DD).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// An extract already released, as JSON (format=json), to test instead of building one.
        #[arg(long)]
        extract: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PoliciesCommand {
    /// Validate the policies against the schema.
    Check {
        #[arg(long)]
        policies: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(file: Option<&PathBuf>, flags: &[(&'static str, Option<String>)]) -> Result<Config, String> {
    let mut sources = Sources::gather(file.map(|p| p.as_path())).map_err(|e| e.join("\n  "))?;
    for (k, v) in flags {
        sources.flag(k, v.clone());
    }
    sources.into_config().map_err(|errors| format!("invalid settings:\n  {}", errors.join("\n  ")))
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match cfg.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

async fn open_db(cfg: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    let conn = db::connect(&cfg.database_url).await?;
    db::migrate_up(&conn).await.map_err(|e| format!("migrations failed: {e}"))?;
    trellis::mentors::service::ensure_catalogue(&conn, SystemClock.now())
        .await
        .map_err(|e| format!("cannot seed the training catalogue: {e}"))?;
    trellis::outcomes::ensure_instruments(&conn, SystemClock.now())
        .await
        .map_err(|e| format!("cannot seed the outcome instruments: {e}"))?;
    Ok(conn)
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let file = cli.config.as_ref();
    match cli.command {
        Command::Serve { bind, database_url, demo, accounts_out, policies } => {
            let started = std::time::Instant::now();
            let mut cfg = load_config(file, &[("bind", bind), ("database_url", database_url), ("policies", policies)])?;
            init_logging(&cfg);
            // The demo's disproportionality tables use the synthetic example base unless a
            // real one is configured; either way the base is checked before serving.
            if demo && cfg.population_base.is_none() {
                cfg.population_base_demo = true;
            }
            trellis::reports::population::check(&cfg)?;
            let authz = Authz::load(cfg.policies_dir.as_deref()).map_err(|e| format!("invalid policies: {e}"))?;
            let keys = Keys::load(&cfg)?;
            if let Some(n) = &keys.notice {
                tracing::warn!("{n}");
            }
            let conn = open_db(&cfg).await?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            if demo {
                match demo::seed(&conn, &cfg, &keys, clock.now(), &demo::Options { seed: 2026, scale: 1 }).await? {
                    Some(accounts) => {
                        demo::write_accounts(&accounts_out, &accounts)?;
                        println!("Seeded the demo programme: {} accounts written to {}", accounts.len(), accounts_out.display());
                    }
                    None => println!(
                        "The database already holds data; not seeding (demo accounts are in {} from the first run).",
                        accounts_out.display()
                    ),
                }
            }
            let state = AppState::new(conn, cfg, clock, authz, keys)?;
            server::serve(state, |addr| {
                println!("Trellis is listening on http://{addr}");
                println!("  API docs:  http://{addr}/api/docs");
                println!("  OpenAPI:   http://{addr}/api/v1/openapi.json");
                println!("  Sign in:   POST http://{addr}/api/v1/auth/login with {{\"email\", \"password\", \"totp\"}}");
                if demo {
                    println!("             (accounts in {}; accounts with a totp_secret need the current code)", accounts_out.display());
                }
                println!("  Ready in {} ms", started.elapsed().as_millis());
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { direction, database_url } => {
            let cfg = load_config(file, &[("database_url", database_url)])?;
            init_logging(&cfg);
            let conn = db::connect(&cfg.database_url).await?;
            match direction {
                MigrateCommand::Up => {
                    db::migrate_up(&conn).await.map_err(|e| e.to_string())?;
                    println!("migrations applied");
                }
                MigrateCommand::Down { steps, yes } => {
                    if !yes {
                        return Err(
                            "rolling back migrations deletes the data in their tables (the audit trail too); add --yes to confirm".into()
                        );
                    }
                    db::migrate_down(&conn, steps).await.map_err(|e| e.to_string())?;
                    println!("rolled back {steps} migration(s)");
                }
                MigrateCommand::Status => {
                    for (name, applied) in db::migration_status(&conn).await.map_err(|e| e.to_string())? {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { database_url, accounts_out, seed, scale } => {
            let cfg = load_config(file, &[("database_url", database_url)])?;
            init_logging(&cfg);
            let keys = Keys::load(&cfg)?;
            let conn = open_db(&cfg).await?;
            match demo::seed(&conn, &cfg, &keys, SystemClock.now(), &demo::Options { seed, scale }).await? {
                Some(accounts) => {
                    demo::write_accounts(&accounts_out, &accounts)?;
                    println!("seeded {} accounts; written to {}", accounts.len(), accounts_out.display());
                    seal(&conn).await?;
                    Ok(ExitCode::SUCCESS)
                }
                None => Err("the database already holds data; demo seeds only an empty database".into()),
            }
        }
        Command::Admin { action, database_url } => {
            let cfg = load_config(file, &[("database_url", database_url)])?;
            init_logging(&cfg);
            let conn = open_db(&cfg).await?;
            let now = SystemClock.now();
            match action {
                AdminCommand::CreateOrganisation { name, kind, districts } => {
                    let kind = match kind.as_str() {
                        "lead" => OrganisationKind::Lead,
                        "partner" => OrganisationKind::Partner,
                        _ => return Err("--kind must be lead or partner".into()),
                    };
                    if name.trim().is_empty() || districts.iter().any(|d| d.trim().is_empty()) {
                        return Err("--name and each --district must not be blank".into());
                    }
                    if kind == OrganisationKind::Lead
                        && organisation::Entity::find()
                            .filter(organisation::Column::Kind.eq("lead"))
                            .one(&conn)
                            .await
                            .map_err(|e| e.to_string())?
                            .is_some()
                    {
                        return Err("the programme already has a lead charity".into());
                    }
                    let mut txn = trellis::access::Write::begin(&conn, None, now, None).await.map_err(|e| e.to_string())?;
                    let o = trellis::organisations::service::new_organisation(name.trim(), kind, &districts, now)
                        .map_err(|e| e.to_string())?
                        .insert(&txn)
                        .await
                        .map_err(|e| e.to_string())?;
                    txn.audit(
                        audit::Event::new("organisation.created", "organisation")
                            .resource(o.id, Some(o.id))
                            .detail(serde_json::json!({"via": "cli"})),
                    );
                    txn.commit().await.map_err(|e| e.to_string())?;
                    seal(&conn).await?;
                    println!("{}", o.id);
                }
                AdminCommand::CreateUser { email, name, role, organisation: org } => {
                    let role = Role::parse(&role).ok_or_else(|| format!("--role must be one of {}", Role::CODES.join(", ")))?;
                    let email = trellis::auth::rules::normalise_email(&email);
                    if trellis::auth::rules::valid_email(&email).is_err() {
                        return Err("--email is not a valid e-mail address".into());
                    }
                    let o = match uuid::Uuid::parse_str(&org) {
                        Ok(id) => organisation::Entity::find_by_id(id).one(&conn).await,
                        Err(_) => organisation::Entity::find().filter(organisation::Column::Name.eq(org.clone())).one(&conn).await,
                    }
                    .map_err(|e| e.to_string())?
                    .ok_or("no such organisation (give its id or exact name)")?;
                    let password = read_password()?;
                    trellis::auth::rules::check_password(password.expose_secret(), &email, &name)
                        .map_err(|e| format!("password: {}", e.message))?;
                    let hash = trellis::auth::password::hash_blocking(password.expose_secret()).map_err(|e| e.to_string())?;
                    let id = uuid::Uuid::now_v7();
                    let mut txn = trellis::access::Write::begin(&conn, None, now, None).await.map_err(|e| e.to_string())?;
                    trellis::users::service::new_user(id, email, &name, role, o.id, hash, now).insert(&txn).await.map_err(|e| {
                        match e.sql_err() {
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => "an account with this e-mail already exists".to_string(),
                            _ => e.to_string(),
                        }
                    })?;
                    txn.audit(
                        audit::Event::new("user.created", "user")
                            .resource(id, Some(o.id))
                            .detail(serde_json::json!({"via": "cli", "role": role.as_str()})),
                    );
                    txn.commit().await.map_err(|e| e.to_string())?;
                    seal(&conn).await?;
                    println!("{id}");
                    if cfg.mfa_required(role) {
                        eprintln!("note: this role must enrol in two-factor sign-in at first sign-in");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { action: AuditCommand::Verify, database_url } => {
            let cfg = load_config(file, &[("database_url", database_url)])?;
            init_logging(&cfg);
            let conn = open_db(&cfg).await?;
            match audit::chain::verify(&conn).await.map_err(|e| e.to_string())? {
                Ok(v) => {
                    println!("audit chain intact: {} events sealed, {} awaiting the sequencer", v.sealed, v.unsealed);
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    println!("audit chain BROKEN at event seq {} (id {}): {}", b.seq, b.id, b.reason);
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Exports { action: ExportsCommand::IntruderTest { project, from, to, extract }, database_url } => {
            let cfg = load_config(file, &[("database_url", database_url)])?;
            init_logging(&cfg);
            let keys = Keys::load(&cfg)?;
            let conn = open_db(&cfg).await?;
            let (from, to) = trellis::reports::whole_months(from, to).map_err(|_| "--from must not be after --to".to_string())?;
            let released = match extract {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    let value: serde_json::Value =
                        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
                    Some(
                        trellis::exports::intruder::rows_of_json(&value)
                            .ok_or_else(|| format!("{} is not an extract in its JSON form", path.display()))?,
                    )
                }
                None => None,
            };
            let filters = trellis::exports::extract::Filters { from, to };
            let found =
                trellis::exports::service::intruder_test(&conn, &cfg, &keys.pseudonyms, &project, &filters, released, SystemClock.now())
                    .await
                    .map_err(|e| e.to_string())?;
            seal(&conn).await?;
            println!("{}", serde_json::to_string_pretty(&found).map_err(|e| e.to_string())?);
            Ok(if found.intruder.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Policies { action: PoliciesCommand::Check { policies } } => {
            let cfg = load_config(file, &[("policies", policies)])?;
            let authz = Authz::load(cfg.policies_dir.as_deref()).map_err(|e| format!("invalid policies: {e}"))?;
            println!("policies valid: {} policies checked against the schema", authz.policy_count());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn seal(conn: &sea_orm::DatabaseConnection) -> Result<(), String> {
    audit::chain::seal_pending(conn).await.map_err(|e| e.to_string()).map(|_| ())
}

/// The password from a prompt (twice) on a terminal, else the first line of standard input.
fn read_password() -> Result<SecretString, String> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let b = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if a != b {
            return Err("the passwords differ".into());
        }
        Ok(SecretString::from(a))
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(SecretString::from(line.trim_end_matches(['\r', '\n']).to_string()))
    }
}
