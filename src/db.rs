//! Connecting to SQLite or PostgreSQL, connection settings, and running migrations.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};

/// Advisory-lock keys (PostgreSQL): one for migrations, one for the audit sequencer.
pub const MIGRATION_LOCK: i64 = 0x7472_656c_6c69_0001;
pub const SEQUENCER_LOCK: i64 = 0x7472_656c_6c69_0002;

/// Connects, creating the SQLite file or the PostgreSQL database when it is missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    if url.starts_with("postgres") {
        ensure_postgres_database(url).await?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite") {
        // WAL lets readers run beside the writer; FULL sync makes an acknowledged write
        // survive a power cut; the busy timeout queues writers instead of failing them.
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        opts.max_connections(16);
    }
    Database::connect(opts).await.map_err(|e| describe(url, &e))
}

fn describe(url: &str, e: &DbErr) -> String {
    let shown = redact(url);
    format!("cannot connect to {shown}: {e}")
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Creates the database named in a PostgreSQL URL when it does not exist yet.
async fn ensure_postgres_database(url: &str) -> Result<(), String> {
    let (base, rest) = url.rsplit_once('/').ok_or_else(|| format!("{}: no database name", redact(url)))?;
    let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{}: the database name must be letters, digits and _", redact(url)));
    }
    // Keep the query (sslmode=require, say): the admin connection must be as safe as the main one.
    let admin_url = if query.is_empty() { format!("{base}/postgres") } else { format!("{base}/postgres?{query}") };
    let admin = match Database::connect(admin_url.as_str()).await {
        Ok(db) => db,
        // Without access to the `postgres` database, try the named one directly.
        Err(_) => return Ok(()),
    };
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .map_err(|e| format!("{}: {e}", redact(url)))?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| format!("cannot create database {name}: {e} (create it with: createdb {name})"))?;
        tracing::info!(database = name, "created PostgreSQL database");
    }
    let _ = admin.close().await;
    Ok(())
}

/// Applies pending migrations. On PostgreSQL this holds an advisory lock for the duration,
/// so two replicas starting together cannot both migrate.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    } else {
        Migrator::up(db, None).await
    }
}

pub async fn migrate_down(db: &DatabaseConnection, steps: u32) -> Result<(), DbErr> {
    Migrator::down(db, Some(steps)).await
}

/// (name, applied) for every migration.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    let pending: Vec<String> = Migrator::get_pending_migrations(db).await?.iter().map(|m| m.name().to_string()).collect();
    Ok(Migrator::migrations().iter().map(|m| (m.name().to_string(), !pending.contains(&m.name().to_string()))).collect())
}

pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.len())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so a read-then-write transaction waits its turn instead of failing
/// when another writer committed in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() })
        .await
}

/// `col + 1`, for bumping a record's version in an UPDATE.
pub fn incremented<C: sea_orm::sea_query::IntoColumnRef>(col: C) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::ExprTrait::add(sea_orm::sea_query::Expr::col(col), 1)
}

/// How many ids one `IN (...)` query carries: well within both databases' limits on bind values.
pub const ID_CHUNK: usize = 5000;

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(super::redact("postgres://u:secret@h:5432/db"), "postgres://u@h:5432/db");
        assert_eq!(super::redact("sqlite://trellis.db"), "sqlite://trellis.db");
    }
}
