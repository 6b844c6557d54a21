//! Settings, read once at start-up from (lowest to highest precedence) built-in defaults, an
//! optional `trellis.toml`, the environment (`TRELLIS_*`, `DATABASE_URL`) and command-line
//! flags, then validated together so that every bad value is reported at once with the name
//! of the setting and what a good value looks like. Secret values are never echoed.

mod disclosure;
mod smtp;

use disclosure::parse_key_variables;
pub use disclosure::{ETHNIC_REFERENCE_GROUPS, KeyVariable};

use smtp::SmtpParts;
pub use smtp::{Smtp, SmtpTls};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::Duration;
use secrecy::SecretString;

use crate::entities::user::Role;

/// Every setting: its file key, its environment variable and a one-line description.
pub const SETTINGS: &[(&str, &str, &str)] = &[
    ("bind", "TRELLIS_BIND", "address the API listens on (default 127.0.0.1:8080)"),
    ("metrics_bind", "TRELLIS_METRICS_BIND", "address of the Prometheus metrics listener (off when unset)"),
    ("database_url", "DATABASE_URL", "sqlite://FILE or postgres://USER@HOST:PORT/DB (default sqlite://trellis.db)"),
    ("data_key", "TRELLIS_DATA_KEY", "base64 of 32 random bytes: the field-encryption key"),
    ("data_key_previous", "TRELLIS_DATA_KEY_PREVIOUS", "comma-separated retired data keys, for decryption only"),
    ("pseudonym_key", "TRELLIS_PSEUDONYM_KEY", "base64 of 32 random bytes: the key behind export pseudonyms"),
    ("key_dir", "TRELLIS_KEY_DIR", "where a development run on SQLite keeps generated keys (default .)"),
    ("policies", "TRELLIS_POLICIES", "directory of Cedar policies overriding the built-in ones"),
    ("session_idle_minutes", "TRELLIS_SESSION_IDLE_MINUTES", "idle timeout of a session (default 30)"),
    ("session_absolute_hours", "TRELLIS_SESSION_ABSOLUTE_HOURS", "absolute lifetime of a session (default 12)"),
    (
        "mfa_required_roles",
        "TRELLIS_MFA_REQUIRED_ROLES",
        "roles that must use TOTP (default programme_admin,coordinator,safeguarding_lead)",
    ),
    ("cors_origins", "TRELLIS_CORS_ORIGINS", "comma-separated origins allowed by CORS (off when unset)"),
    ("body_limit_bytes", "TRELLIS_BODY_LIMIT_BYTES", "largest request body accepted (default 262144)"),
    ("request_timeout_secs", "TRELLIS_REQUEST_TIMEOUT_SECS", "longest time a request may take (default 30)"),
    ("login_address_limit", "TRELLIS_LOGIN_ADDRESS_LIMIT", "sign-in attempts allowed per client address per window (default 30)"),
    ("login_address_window_minutes", "TRELLIS_LOGIN_ADDRESS_WINDOW_MINUTES", "length of that window (default 15)"),
    ("lockout_threshold", "TRELLIS_LOCKOUT_THRESHOLD", "failed sign-ins before an account locks (default 5)"),
    ("dbs_max_age_years", "TRELLIS_DBS_MAX_AGE_YEARS", "years a DBS certificate counts without an Update Service check (default 3)"),
    (
        "match_weights",
        "TRELLIS_MATCH_WEIGHTS",
        "points for each matching criterion, e.g. district:30,availability:20,interests:15,language:10,age:15,preferences:10 (the defaults)",
    ),
    (
        "safeguarding_ack_immediate_minutes",
        "TRELLIS_SAFEGUARDING_ACK_IMMEDIATE_MINUTES",
        "minutes a DSL has to acknowledge a concern of immediate danger before it is overdue (default 60)",
    ),
    (
        "safeguarding_ack_working_days",
        "TRELLIS_SAFEGUARDING_ACK_WORKING_DAYS",
        "working days (Monday to Friday) a DSL has to acknowledge any other concern (default 1)",
    ),
    ("extract_k", "TRELLIS_EXTRACT_K", "k of the k-anonymity of the evaluation extract (default 5)"),
    (
        "extract_key_variables",
        "TRELLIS_EXTRACT_KEY_VARIABLES",
        "what an intruder is assumed to know, comma-separated: the extract is k-anonymous over them (default all seven: \
         age_band,ethnic_group,imd_quintile,charity,district,referral_source,received_period)",
    ),
    ("disclosure_mode", "TRELLIS_DISCLOSURE_MODE", "small-number rule of published counts: nhs or threshold (default nhs)"),
    (
        "disclosure_k",
        "TRELLIS_DISCLOSURE_K",
        "threshold of the threshold mode, and the fewest people a share is shown for (a mean, median or quartile needs at least 10; default 5)",
    ),
    (
        "disproportionality_reference",
        "TRELLIS_DISPROPORTIONALITY_REFERENCE",
        "the ethnic group the disproportionality tables compare with: asian, black, mixed, white, other or a detailed White category (default white)",
    ),
    (
        "population_base",
        "TRELLIS_POPULATION_BASE",
        "TOML file of the county's females aged 11-24 by ethnic group and IMD quintile, for the disproportionality tables (off when unset)",
    ),
    ("password_hash_concurrency", "TRELLIS_PASSWORD_HASH_CONCURRENCY", "password hashes computed at once (default 2)"),
    ("trust_proxy", "TRELLIS_TRUST_PROXY", "true to take the client address from X-Forwarded-For (default false)"),
    ("log_format", "TRELLIS_LOG_FORMAT", "json or pretty (default pretty)"),
    ("smtp_host", "TRELLIS_SMTP_HOST", "SMTP server that alerts are sent through (off when unset: alerts go to the log)"),
    ("smtp_port", "TRELLIS_SMTP_PORT", "SMTP port (default 587 for starttls, 465 for tls, 25 for none)"),
    ("smtp_tls", "TRELLIS_SMTP_TLS", "none, starttls or tls (default starttls)"),
    ("smtp_username", "TRELLIS_SMTP_USERNAME", "SMTP user name (no authentication when unset)"),
    ("smtp_password", "TRELLIS_SMTP_PASSWORD", "SMTP password (secret)"),
    ("smtp_from", "TRELLIS_SMTP_FROM", "sender of alerts, e.g. Trellis <alerts@example.org> (required with smtp_host)"),
];

/// How published counts are protected against small numbers (see `reports::disclosure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureMode {
    /// NHS Digital: 0 shown, 1–7 shown as "*", 8 and above rounded to the nearest 5.
    Nhs,
    /// Counts below k hidden (shown as "[c]"), with secondary suppression.
    Threshold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub metrics_bind: Option<SocketAddr>,
    pub database_url: String,
    pub data_key: Option<SecretString>,
    pub data_key_previous: Vec<SecretString>,
    pub pseudonym_key: Option<SecretString>,
    pub key_dir: PathBuf,
    pub policies_dir: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub mfa_required_roles: Vec<Role>,
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    pub login_address_limit: u32,
    pub login_address_window: Duration,
    pub lockout_threshold: u32,
    pub password_hash_concurrency: usize,
    pub dbs_max_age_years: u32,
    pub match_weights: Weights,
    pub safeguarding_ack_immediate: Duration,
    pub safeguarding_ack_working_days: u32,
    /// k of the evaluation extract's k-anonymity.
    pub extract_k: u32,
    /// The variables an intruder is assumed to know, over which the extract is k-anonymous.
    pub extract_key_variables: Vec<KeyVariable>,
    pub disclosure_mode: DisclosureMode,
    /// The threshold mode's k, and the fewest people a mean or median is shown for.
    pub disclosure_k: u32,
    /// The ethnic group the disproportionality tables compare with.
    pub disproportionality_reference: String,
    /// The population base file for the disproportionality tables.
    pub population_base: Option<PathBuf>,
    /// Without `population_base`, use the synthetic example base built into the binary
    /// (`serve --demo` sets this; it is not a setting).
    pub population_base_demo: bool,
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    /// Outbox delivery by e-mail; `None`: messages are delivered to the log.
    pub smtp: Option<Smtp>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_bind: None,
            database_url: "sqlite://trellis.db".into(),
            data_key: None,
            data_key_previous: Vec::new(),
            pseudonym_key: None,
            key_dir: PathBuf::from("."),
            policies_dir: None,
            session_idle: Duration::minutes(30),
            session_absolute: Duration::hours(12),
            mfa_required_roles: vec![Role::ProgrammeAdmin, Role::Coordinator, Role::SafeguardingLead],
            cors_origins: Vec::new(),
            body_limit_bytes: 256 * 1024,
            request_timeout_secs: 30,
            login_address_limit: 30,
            login_address_window: Duration::minutes(15),
            lockout_threshold: 5,
            password_hash_concurrency: 2,
            dbs_max_age_years: 3,
            match_weights: Weights::default(),
            safeguarding_ack_immediate: Duration::minutes(60),
            safeguarding_ack_working_days: 1,
            extract_k: 5,
            extract_key_variables: KeyVariable::ALL.to_vec(),
            disclosure_mode: DisclosureMode::Nhs,
            disclosure_k: 5,
            disproportionality_reference: "white".into(),
            population_base: None,
            population_base_demo: false,
            trust_proxy: false,
            log_format: LogFormat::Pretty,
            smtp: None,
        }
    }
}

/// Raw values by file key, with where each came from (for the error message).
#[derive(Default)]
pub struct Sources {
    values: BTreeMap<&'static str, (String, String)>,
}

impl Sources {
    /// Reads `path` (when given, it must exist; otherwise `trellis.toml` if present),
    /// then the environment.
    pub fn gather(path: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut sources = Sources::default();
        let default_path = Path::new("trellis.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default_path.exists() => Some(default_path),
            None => None,
        };
        if let Some(file) = file {
            sources.read_file(file)?;
        }
        for (key, env, _) in SETTINGS {
            if let Ok(value) = std::env::var(env) {
                sources.values.insert(key, (value, (*env).to_string()));
            }
        }
        Ok(sources)
    }

    fn read_file(&mut self, file: &Path) -> Result<(), Vec<String>> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| vec![format!("{shown}: cannot read: {e}")])?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| vec![format!("{shown}: not valid TOML: {}", e.message())])?;
        let mut errors = Vec::new();
        for (key, value) in table {
            let Some((known, _, _)) = SETTINGS.iter().find(|(k, _, _)| *k == key) else {
                errors.push(format!("{shown}: unknown setting `{key}`"));
                continue;
            };
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => {
                    let parts: Option<Vec<String>> = items.into_iter().map(|v| v.as_str().map(str::to_string)).collect();
                    match parts {
                        Some(parts) => parts.join(","),
                        None => {
                            errors.push(format!("{shown}: `{key}` must be a list of strings"));
                            continue;
                        }
                    }
                }
                _ => {
                    errors.push(format!("{shown}: `{key}` has an unsupported type"));
                    continue;
                }
            };
            self.values.insert(known, (text, format!("{shown}: {key}")));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// A command-line flag: the highest precedence.
    pub fn flag(&mut self, key: &'static str, value: Option<String>) {
        if let Some(value) = value {
            self.values.insert(key, (value, format!("--{}", key.replace('_', "-"))));
        }
    }

    pub fn into_config(self) -> Result<Config, Vec<String>> {
        let mut c = Config::default();
        let mut errors = Vec::new();
        let mut smtp = SmtpParts::default();
        for (key, (raw, from)) in &self.values {
            let raw = raw.trim();
            let mut bad = |what: &str| errors.push(format!("{from}: {what}"));
            match *key {
                "bind" => match raw.parse() {
                    Ok(a) => c.bind = a,
                    Err(_) => bad(&format!("`{raw}` is not a socket address like 127.0.0.1:8080")),
                },
                "metrics_bind" => match raw.parse() {
                    Ok(a) => c.metrics_bind = Some(a),
                    Err(_) => bad(&format!("`{raw}` is not a socket address like 127.0.0.1:9090")),
                },
                "database_url" => {
                    if raw.starts_with("sqlite:") || raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
                        c.database_url = raw.to_string();
                    } else {
                        bad("must start with sqlite: or postgres://");
                    }
                }
                "data_key" => match parse_key(raw) {
                    Ok(_) => c.data_key = Some(SecretString::from(raw.to_string())),
                    Err(e) => bad(e),
                },
                "data_key_previous" => {
                    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        match parse_key(part) {
                            Ok(_) => c.data_key_previous.push(SecretString::from(part.to_string())),
                            Err(e) => bad(e),
                        }
                    }
                }
                "pseudonym_key" => match parse_key(raw) {
                    Ok(_) => c.pseudonym_key = Some(SecretString::from(raw.to_string())),
                    Err(e) => bad(e),
                },
                "key_dir" => c.key_dir = PathBuf::from(raw),
                "policies" => {
                    let dir = PathBuf::from(raw);
                    if dir.is_dir() {
                        c.policies_dir = Some(dir);
                    } else {
                        bad(&format!("`{raw}` is not a directory"));
                    }
                }
                "session_idle_minutes" => match parse_range(raw, 1, 24 * 60) {
                    Some(n) => c.session_idle = Duration::minutes(n),
                    None => bad("must be a whole number of minutes from 1 to 1440"),
                },
                "session_absolute_hours" => match parse_range(raw, 1, 24 * 7) {
                    Some(n) => c.session_absolute = Duration::hours(n),
                    None => bad("must be a whole number of hours from 1 to 168"),
                },
                "mfa_required_roles" => {
                    let mut roles = Vec::new();
                    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        match Role::parse(part) {
                            Some(r) => roles.push(r),
                            None => bad(&format!("`{part}` is not a role ({})", Role::CODES.join(", "))),
                        }
                    }
                    c.mfa_required_roles = roles;
                }
                "cors_origins" => {
                    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        if (part.starts_with("https://") || part.starts_with("http://")) && axum::http::HeaderValue::from_str(part).is_ok()
                        {
                            c.cors_origins.push(part.to_string());
                        } else {
                            bad(&format!("`{part}` is not an origin like https://app.example.org"));
                        }
                    }
                }
                "body_limit_bytes" => match parse_range(raw, 1024, 64 * 1024 * 1024) {
                    Some(n) => c.body_limit_bytes = n as usize,
                    None => bad("must be a number of bytes from 1024 to 67108864"),
                },
                "request_timeout_secs" => match parse_range(raw, 1, 3600) {
                    Some(n) => c.request_timeout_secs = n as u64,
                    None => bad("must be a number of seconds from 1 to 3600"),
                },
                "login_address_limit" => match parse_range(raw, 1, 100_000) {
                    Some(n) => c.login_address_limit = n as u32,
                    None => bad("must be a number from 1 to 100000"),
                },
                "login_address_window_minutes" => match parse_range(raw, 1, 24 * 60) {
                    Some(n) => c.login_address_window = Duration::minutes(n),
                    None => bad("must be a number of minutes from 1 to 1440"),
                },
                "lockout_threshold" => match parse_range(raw, 1, 100) {
                    Some(n) => c.lockout_threshold = n as u32,
                    None => bad("must be a number from 1 to 100"),
                },
                "password_hash_concurrency" => match parse_range(raw, 1, 64) {
                    Some(n) => c.password_hash_concurrency = n as usize,
                    None => bad("must be a number from 1 to 64"),
                },
                "dbs_max_age_years" => match parse_range(raw, 1, 10) {
                    Some(n) => c.dbs_max_age_years = n as u32,
                    None => bad("must be a number of years from 1 to 10"),
                },
                "safeguarding_ack_immediate_minutes" => match parse_range(raw, 1, 24 * 60) {
                    Some(n) => c.safeguarding_ack_immediate = Duration::minutes(n),
                    None => bad("must be a number of minutes from 1 to 1440"),
                },
                "safeguarding_ack_working_days" => match parse_range(raw, 1, 10) {
                    Some(n) => c.safeguarding_ack_working_days = n as u32,
                    None => bad("must be a number of working days from 1 to 10"),
                },
                "extract_k" => match parse_range(raw, 2, 100) {
                    Some(n) => c.extract_k = n as u32,
                    None => bad("must be a number from 2 to 100"),
                },
                "extract_key_variables" => match parse_key_variables(raw) {
                    Some(v) => c.extract_key_variables = v,
                    None => bad(&format!("must name one or more of {}, comma-separated, each once", KeyVariable::CODES.join(", "))),
                },
                "disclosure_mode" => match raw {
                    "nhs" => c.disclosure_mode = DisclosureMode::Nhs,
                    "threshold" => c.disclosure_mode = DisclosureMode::Threshold,
                    _ => bad("must be nhs or threshold"),
                },
                "disproportionality_reference" => {
                    if ETHNIC_REFERENCE_GROUPS.contains(&raw) {
                        c.disproportionality_reference = raw.to_string();
                    } else {
                        bad(&format!("must be one of {}", ETHNIC_REFERENCE_GROUPS.join(", ")));
                    }
                }
                "disclosure_k" => match parse_range(raw, 2, 100) {
                    Some(n) => c.disclosure_k = n as u32,
                    None => bad("must be a number from 2 to 100"),
                },
                "population_base" => {
                    if raw.is_empty() {
                        bad("must be the path of a file");
                    } else {
                        c.population_base = Some(PathBuf::from(raw));
                    }
                }
                "match_weights" => match Weights::parse(raw) {
                    Some(w) => c.match_weights = w,
                    None => bad("must be criterion:points pairs (district, availability, interests, language, age, preferences; 0–100)"),
                },
                "trust_proxy" => match raw {
                    "true" | "1" | "yes" => c.trust_proxy = true,
                    "false" | "0" | "no" => c.trust_proxy = false,
                    _ => bad("must be true or false"),
                },
                "log_format" => match raw {
                    "json" => c.log_format = LogFormat::Json,
                    "pretty" => c.log_format = LogFormat::Pretty,
                    _ => bad("must be json or pretty"),
                },
                "smtp_host" => {
                    if !raw.is_empty() && raw.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | ':' | '[' | ']')) {
                        smtp.host = Some((raw.to_string(), from.clone()));
                    } else {
                        bad("must be a host name or IP address like smtp.example.org");
                    }
                }
                "smtp_port" => match parse_range(raw, 1, 65535) {
                    Some(n) => smtp.port = Some(n as u16),
                    None => bad("must be a port number from 1 to 65535"),
                },
                "smtp_tls" => match raw {
                    "none" => smtp.tls = Some(SmtpTls::None),
                    "starttls" => smtp.tls = Some(SmtpTls::StartTls),
                    "tls" => smtp.tls = Some(SmtpTls::Tls),
                    _ => bad("must be none, starttls or tls"),
                },
                "smtp_username" => {
                    if !raw.is_empty() {
                        smtp.username = Some(raw.to_string());
                    }
                }
                "smtp_password" => {
                    if !raw.is_empty() {
                        smtp.password = Some(SecretString::from(raw.to_string()));
                    }
                }
                "smtp_from" => match raw.parse::<lettre::message::Mailbox>() {
                    Ok(_) => smtp.from = Some(raw.to_string()),
                    Err(_) => bad("must be an e-mail address, optionally with a name: Trellis <alerts@example.org>"),
                },
                _ => bad("unknown setting"),
            }
        }
        match smtp.build() {
            Ok(s) => c.smtp = s,
            Err(e) => errors.extend(e),
        }
        if errors.is_empty() { Ok(c) } else { Err(errors) }
    }
}

/// Decodes a configured key: base64 of exactly 32 bytes.
pub fn parse_key(text: &str) -> Result<[u8; 32], &'static str> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let bytes = STANDARD
        .decode(text.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()))
        .map_err(|_| "is not base64 (generate one with: openssl rand -base64 32)")?;
    bytes.try_into().map_err(|_| "must decode to exactly 32 bytes (openssl rand -base64 32)")
}

fn parse_range(raw: &str, min: i64, max: i64) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| (min..=max).contains(n))
}

impl Config {
    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    pub fn mfa_required(&self, role: Role) -> bool {
        self.mfa_required_roles.contains(&role)
    }
}

/// Points each criterion is worth when fully met. Defaults total 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Weights {
    pub district: u32,
    pub availability: u32,
    pub interests: u32,
    pub language: u32,
    pub age: u32,
    pub preferences: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { district: 30, availability: 20, interests: 15, language: 10, age: 15, preferences: 10 }
    }
}

impl Weights {
    /// Parses `district:30,availability:20,...`; a criterion not named keeps its default.
    pub fn parse(text: &str) -> Option<Weights> {
        let mut w = Weights::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once(':')?;
            let v: u32 = v.trim().parse().ok().filter(|v| *v <= 100)?;
            match k.trim() {
                "district" => w.district = v,
                "availability" => w.availability = v,
                "interests" => w.interests = v,
                "language" => w.language = v,
                "age" => w.age = v,
                "preferences" => w.preferences = v,
                _ => return None,
            }
        }
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let mut s = Sources::default();
        s.flag("bind", Some("not-an-address".into()));
        s.flag("session_idle_minutes", Some("0".into()));
        s.flag("mfa_required_roles", Some("coordinator,wizard".into()));
        s.flag("data_key", Some("short".into()));
        let errors = s.into_config().err().unwrap_or_default();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("--bind")));
        assert!(errors.iter().any(|e| e.contains("wizard")));
        assert!(errors.iter().all(|e| !e.contains("short")), "secret values must not be echoed");
    }

    #[test]
    fn good_values_are_applied() {
        let mut s = Sources::default();
        s.flag("bind", Some("0.0.0.0:9000".into()));
        s.flag("mfa_required_roles", Some("programme_admin".into()));
        let c = s.into_config().unwrap_or_default();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.mfa_required_roles, vec![Role::ProgrammeAdmin]);
        assert!(c.smtp.is_none(), "without smtp_host alerts go to the log");
    }

    #[test]
    fn smtp_settings_are_checked_together() {
        let mut s = Sources::default();
        s.flag("smtp_host", Some("smtp.example.org".into()));
        s.flag("smtp_tls", Some("tls".into()));
        s.flag("smtp_username", Some("alerts".into()));
        s.flag("smtp_password", Some("hunter2-secret".into()));
        s.flag("smtp_from", Some("Trellis <alerts@example.org>".into()));
        let c = s.into_config().unwrap_or_default();
        let smtp = c.smtp.as_ref().map(|s| (s.host.as_str(), s.port, s.tls));
        assert_eq!(smtp, Some(("smtp.example.org", 465, SmtpTls::Tls)));

        let mut s = Sources::default();
        s.flag("smtp_host", Some("smtp.example.org".into()));
        s.flag("smtp_tls", Some("none".into()));
        s.flag("smtp_username", Some("alerts".into()));
        s.flag("smtp_password", Some("hunter2-secret".into()));
        let errors = s.into_config().err().unwrap_or_default();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("smtp_from")));
        assert!(errors.iter().any(|e| e.contains("in clear")));
        assert!(errors.iter().all(|e| !e.contains("hunter2")), "secret values must not be echoed");

        let mut s = Sources::default();
        s.flag("smtp_tls", Some("sometimes".into()));
        s.flag("smtp_from", Some("not an address".into()));
        s.flag("smtp_port", Some("2525".into()));
        let errors = s.into_config().err().unwrap_or_default();
        assert!(errors.iter().any(|e| e.starts_with("--smtp-tls")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("--smtp-from")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("smtp_host")), "{errors:?}");
    }
}
