//! Sealing events into the hash chain, and verifying it.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::crypto::hex;
use crate::entities::audit_event::{self, Column as C, Entity as AuditEvents};
use crate::metrics::Metrics;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const BATCH: u64 = 1000;

/// The bytes that are hashed for an event: every field in a fixed order, as JSON. The young
/// people it is about come last, and only when there are some, so events sealed before they
/// were recorded still verify.
pub fn canonical(e: &audit_event::Model, seq: i64) -> String {
    let opt = |u: &Option<uuid::Uuid>| u.map(|u| u.to_string());
    let mut fields = serde_json::json!([
        seq,
        e.id.to_string(),
        e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        opt(&e.actor_id),
        e.actor_role,
        opt(&e.actor_organisation_id),
        e.action,
        e.resource_type,
        opt(&e.resource_id),
        opt(&e.resource_organisation_id),
        e.outcome,
        e.request_id,
        e.client_address,
        e.detail.text(),
    ]);
    if let (Some(subjects), Some(list)) = (&e.subjects, fields.as_array_mut()) {
        list.push(serde_json::Value::String(subjects.clone()));
    }
    fields.to_string()
}

pub fn link(prev_hash: &str, e: &audit_event::Model, seq: i64) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical(e, seq).as_bytes());
    hex(&h.finalize())
}

/// Seals every committed, unsealed event. Returns how many were sealed. On PostgreSQL only
/// the replica holding the sequencer's advisory lock seals; others return 0.
pub async fn seal_pending(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let mut sealed = 0;
    loop {
        let txn = crate::db::begin_write(db).await?;
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let row = txn
                .query_one_raw(sea_orm::Statement::from_string(
                    DatabaseBackend::Postgres,
                    format!("SELECT pg_try_advisory_xact_lock({}) AS locked", crate::db::SEQUENCER_LOCK),
                ))
                .await?;
            let locked = row.map(|r| r.try_get::<bool>("", "locked")).transpose()?.unwrap_or(false);
            if !locked {
                txn.rollback().await?;
                return Ok(sealed);
            }
        }
        let last = AuditEvents::find().filter(C::Seq.is_not_null()).order_by_desc(C::Seq).one(&txn).await?;
        let (mut seq, mut prev) = match last {
            Some(e) => (e.seq.unwrap_or(0), e.hash.unwrap_or_default()),
            None => (0, GENESIS.to_string()),
        };
        let pending =
            AuditEvents::find().filter(C::Seq.is_null()).order_by_asc(C::OccurredAt).order_by_asc(C::Id).limit(BATCH).all(&txn).await?;
        let n = pending.len() as u64;
        for e in pending {
            seq += 1;
            let hash = link(&prev, &e, seq);
            AuditEvents::update_many()
                .col_expr(C::Seq, Expr::value(seq))
                .col_expr(C::PrevHash, Expr::value(prev.clone()))
                .col_expr(C::Hash, Expr::value(hash.clone()))
                .filter(C::Id.eq(e.id))
                .exec(&txn)
                .await?;
            prev = hash;
        }
        txn.commit().await?;
        sealed += n;
        if n < BATCH {
            return Ok(sealed);
        }
    }
}

/// Where the chain breaks.
#[derive(Debug, PartialEq)]
pub struct Break {
    pub seq: i64,
    pub id: uuid::Uuid,
    pub reason: String,
}

/// The result of a verification that found the chain intact.
#[derive(Debug, PartialEq)]
pub struct Verified {
    pub sealed: u64,
    pub unsealed: u64,
}

/// Recomputes the whole chain in order; names the first event that does not fit.
pub async fn verify(db: &DatabaseConnection) -> Result<Result<Verified, Break>, DbErr> {
    let mut expected_seq = 0i64;
    let mut prev = GENESIS.to_string();
    loop {
        let batch = AuditEvents::find().filter(C::Seq.gt(expected_seq)).order_by_asc(C::Seq).limit(BATCH).all(db).await?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            let seq = e.seq.unwrap_or(0);
            expected_seq += 1;
            if seq != expected_seq {
                return Ok(Err(Break {
                    seq,
                    id: e.id,
                    reason: format!("sequence jumps from {} to {seq}: events are missing", expected_seq - 1),
                }));
            }
            if e.prev_hash.as_deref() != Some(prev.as_str()) {
                return Ok(Err(Break { seq, id: e.id, reason: "previous-hash link does not match the event before it".into() }));
            }
            let hash = link(&prev, &e, seq);
            if e.hash.as_deref() != Some(hash.as_str()) {
                return Ok(Err(Break { seq, id: e.id, reason: "contents do not match the sealed hash: the event was altered".into() }));
            }
            prev = hash;
        }
    }
    let unsealed = AuditEvents::find().filter(C::Seq.is_null()).count(db).await?;
    Ok(Ok(Verified { sealed: expected_seq as u64, unsealed }))
}

/// The background sequencer: seals whenever woken, and at least every half second.
pub async fn run_sequencer(
    db: DatabaseConnection,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => {}
        }
        match seal_pending(&db).await {
            Ok(n) => {
                metrics.audit_sealed.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => tracing::error!(error = %e, "audit sequencer could not seal events"),
        }
        if *shutdown.borrow() {
            // One last pass so that everything written before shutdown is sealed.
            if let Err(e) = seal_pending(&db).await {
                tracing::error!(error = %e, "audit sequencer could not seal events at shutdown");
            }
            return;
        }
    }
}
