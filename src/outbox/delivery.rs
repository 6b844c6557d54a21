//! The delivery worker: sends due outbox messages by e-mail over SMTP when it is configured,
//! and to the log otherwise. A message is claimed before it is sent (a short lease on its
//! `next_attempt_at`; on PostgreSQL the claim skips rows another replica has locked), so
//! replicas never send it concurrently; a failure backs off exponentially and is retried for
//! ever, and a crash between claiming and sending only delays it until the lease runs out.
//!
//! Nothing here logs or records an address or a message's subject or body: log lines name the
//! message, its kind and the recipient's account id, and `last_error` holds an error class.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use secrecy::ExposeSecret;

use crate::config::{Config, Smtp, SmtpTls};
use crate::entities::outbox_message::{self, Column as C, Entity as Outbox};
use crate::entities::user;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Messages claimed at a time. Small enough that the whole batch is sent within its lease
/// even when every SMTP command runs to its timeout (about ten commands of 20 s a message,
/// four messages: under 15 minutes), so no other replica can re-claim a message still being
/// sent. The worker starts the next batch at once while batches come back full.
pub const BATCH: u64 = 4;
/// How long a claimed message is reserved for the worker that claimed it. Longer than a
/// batch can take to send; if the worker dies, the message is due again after it.
pub const LEASE: Duration = Duration::minutes(15);
/// The first retry delay; each further failure doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::seconds(30);
pub const MAX_BACKOFF: Duration = Duration::hours(1);
/// How often the worker looks for due messages.
const POLL: StdDuration = StdDuration::from_secs(5);
/// Longest an SMTP command may take.
const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(20);

/// Where messages go.
pub enum Mailer {
    /// SMTP is not configured: a log line (kind, id and recipient id; never the content).
    Log,
    Smtp(Box<SmtpMailer>),
}

/// The SMTP transport and the sender's address.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// E-mail when `smtp_host` is set, the log otherwise.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match &config.smtp {
            Some(smtp) => Self::smtp(smtp),
            None => Ok(Self::Log),
        }
    }

    pub fn smtp(smtp: &Smtp) -> Result<Self, String> {
        let builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str()),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(|_| "smtp_host: cannot set up STARTTLS for this host name".to_string())?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .map_err(|_| "smtp_host: cannot set up TLS for this host name".to_string())?,
        };
        let mut builder = builder.port(smtp.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(username), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(username.clone(), password.expose_secret().to_string()));
        }
        let from = smtp.from.parse::<Mailbox>().map_err(|_| "smtp_from: not an e-mail address".to_string())?;
        Ok(Self::Smtp(Box::new(SmtpMailer { transport: builder.build(), from })))
    }

    pub fn is_smtp(&self) -> bool {
        matches!(self, Self::Smtp(_))
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Messages claimed (all of them were either delivered or rescheduled).
    pub claimed: u64,
    /// Sent by e-mail.
    pub sent: u64,
    /// Delivered to the log.
    pub logged: u64,
    /// Failed and rescheduled.
    pub failed: u64,
}

/// The delay before retry number `attempts` (1 after the first failure): 30 s, 1 min, 2 min,
/// ... at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 20) - 1;
    let secs = FIRST_BACKOFF.num_seconds().saturating_mul(1i64 << doublings);
    Duration::seconds(secs.min(MAX_BACKOFF.num_seconds()))
}

enum Outcome {
    /// Delivered, through this channel (`smtp`, `log`, `log:inactive`, `log:no_address`).
    Delivered(&'static str),
    /// Not delivered; an error class.
    Failed(&'static str),
}

/// Claims up to a batch of due, unsent messages (oldest first), delivers each and records the
/// result. The core of the worker; tests call it directly with the clock where they want it.
pub async fn deliver_due(state: &AppState, mailer: &Mailer, now: DateTime<Utc>) -> Result<Counts, DbErr> {
    deliver_due_with(&state.db, &state.metrics, mailer, now).await
}

pub async fn deliver_due_with(db: &DatabaseConnection, metrics: &Metrics, mailer: &Mailer, now: DateTime<Utc>) -> Result<Counts, DbErr> {
    let claimed = claim(db, now).await?;
    let mut counts = Counts { claimed: claimed.len() as u64, ..Counts::default() };
    for m in claimed {
        let outcome = deliver(db, mailer, &m, now).await?;
        match outcome {
            Outcome::Delivered(channel) => {
                Outbox::update_many()
                    .col_expr(C::SentAt, Expr::value(Some(now)))
                    .col_expr(C::Channel, Expr::value(Some(channel.to_string())))
                    .filter(C::Id.eq(m.id))
                    .filter(C::SentAt.is_null())
                    .exec(db)
                    .await?;
                if channel == "smtp" {
                    counts.sent += 1;
                    Metrics::inc(&metrics.outbox_sent_smtp);
                } else {
                    counts.logged += 1;
                    Metrics::inc(&metrics.outbox_sent_log);
                }
            }
            Outcome::Failed(class) => {
                let attempts = m.attempts.saturating_add(1);
                let next = now + backoff(attempts);
                Outbox::update_many()
                    .col_expr(C::Attempts, Expr::value(attempts))
                    .col_expr(C::NextAttemptAt, Expr::value(next))
                    .col_expr(C::LastError, Expr::value(Some(class.to_string())))
                    .filter(C::Id.eq(m.id))
                    .filter(C::SentAt.is_null())
                    .exec(db)
                    .await?;
                counts.failed += 1;
                Metrics::inc(&metrics.outbox_failed);
                tracing::warn!(message_id = %m.id, kind = %m.kind, attempts, error = class, retry_at = %next, "outbox message not delivered; will retry");
            }
        }
    }
    Ok(counts)
}

/// Reserves due messages for this worker: in one short transaction, reads them and moves their
/// `next_attempt_at` a lease ahead, so no other worker picks them up meanwhile. On PostgreSQL
/// rows locked by another replica's claim are skipped; SQLite has a single writer.
async fn claim(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<outbox_message::Model>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut query = Outbox::find()
        .filter(C::SentAt.is_null())
        .filter(C::NextAttemptAt.lte(now))
        .order_by_asc(C::CreatedAt)
        .order_by_asc(C::Id)
        .limit(BATCH);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let due = query.all(&txn).await?;
    if !due.is_empty() {
        Outbox::update_many()
            .col_expr(C::NextAttemptAt, Expr::value(now + LEASE))
            .filter(C::Id.is_in(due.iter().map(|m| m.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(due)
}

/// Sends one message. The recipient's address is looked up now, not when it was written.
async fn deliver(db: &DatabaseConnection, mailer: &Mailer, m: &outbox_message::Model, now: DateTime<Utc>) -> Result<Outcome, DbErr> {
    let recipient = user::Entity::find_by_id(m.recipient_id).one(db).await?;
    let address = recipient.as_ref().and_then(|u| u.email.trim().parse::<Address>().ok());
    let (channel, address) = match (recipient, address) {
        (Some(u), _) if !u.active => ("log:inactive", None),
        (None, _) | (_, None) => ("log:no_address", None),
        (Some(_), Some(address)) => match mailer {
            Mailer::Log => ("log", None),
            Mailer::Smtp(_) => ("smtp", Some(address)),
        },
    };
    let (Some(address), Mailer::Smtp(smtp)) = (address, mailer) else {
        tracing::info!(message_id = %m.id, kind = %m.kind, recipient_id = %m.recipient_id, channel, "outbox message delivered to the log");
        return Ok(Outcome::Delivered(channel));
    };
    let email = Message::builder()
        .from(smtp.from.clone())
        .to(Mailbox::new(None, address))
        .subject(m.subject.clone())
        .date(std::time::SystemTime::from(now))
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone());
    let email = match email {
        Ok(e) => e,
        Err(_) => return Ok(Outcome::Failed("message_invalid")),
    };
    match smtp.transport.send(email).await {
        Ok(_) => {
            tracing::info!(message_id = %m.id, kind = %m.kind, recipient_id = %m.recipient_id, "outbox message sent by e-mail");
            Ok(Outcome::Delivered("smtp"))
        }
        Err(e) => Ok(Outcome::Failed(error_class(&e))),
    }
}

/// An SMTP error as a class: never its text, which can quote the server's reply and so an address.
fn error_class(e: &lettre::transport::smtp::Error) -> &'static str {
    if e.is_timeout() {
        "smtp_timeout"
    } else if e.is_tls() {
        "smtp_tls"
    } else if e.is_transient() {
        "smtp_transient"
    } else if e.is_permanent() {
        "smtp_permanent"
    } else if e.is_response() {
        "smtp_bad_response"
    } else if e.is_client() {
        "smtp_client"
    } else {
        "smtp_connection"
    }
}

/// The background worker: a pass every few seconds (straight away again while full batches
/// keep coming), until `stop`. A pass in progress finishes before it returns; whatever is
/// left is in the table for the next start.
pub async fn run(state: AppState, mailer: Arc<Mailer>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let more = match deliver_due(&state, &mailer, state.now()).await {
            Ok(counts) => counts.claimed == BATCH,
            Err(e) => {
                tracing::error!(error = %e, "outbox delivery pass failed");
                false
            }
        };
        if more {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let secs: Vec<i64> = (1..=10).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(i32::MAX).num_seconds(), 3600);
        assert_eq!(backoff(0).num_seconds(), 30);
    }
}
