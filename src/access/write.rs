//! The write unit: every change to the programme's records is made inside one of these.
//! It is a database transaction that carries the audit events describing the change;
//! [`Write::commit`] writes those events in the same transaction, commits, and wakes the
//! audit sequencer. A unit with no event refuses to commit, and a unit dropped without
//! committing rolls back, so a change without its audit cannot be written.
//!
//! `audit::record` (the raw insert) is callable only from here and `access`: clippy's
//! `disallowed-methods` refuses it elsewhere.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement};
use tokio::sync::Notify;

use crate::audit::{self, Actor, Event};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;

pub struct Write {
    txn: DatabaseTransaction,
    actor: Option<Actor>,
    /// When the unit began: its events are stamped with it.
    now: DateTime<Utc>,
    events: Vec<Event>,
    wake: Option<Arc<Notify>>,
}

impl Write {
    /// Begins a unit on `db` (with SQLite's write lock taken at once, see
    /// [`crate::db::begin_write`]). `wake` is the sequencer to wake on commit; a command
    /// outside the service passes `None` and seals the chain itself.
    pub async fn begin(
        db: &DatabaseConnection,
        actor: Option<Actor>,
        now: DateTime<Utc>,
        wake: Option<Arc<Notify>>,
    ) -> Result<Self, DbErr> {
        Ok(Self { txn: crate::db::begin_write(db).await?, actor, now, events: Vec::new(), wake })
    }

    /// Adds an event, written when the unit commits.
    pub fn audit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Abandons the unit: nothing it did, and none of its events, is written.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Writes the unit's audit events, commits, and wakes the sequencer. A unit with no
    /// event is a programming error: it is rolled back and answered 500.
    #[allow(clippy::disallowed_methods)]
    pub async fn commit(self) -> Result<(), DbErr> {
        if self.events.is_empty() {
            self.txn.rollback().await?;
            return Err(DbErr::Custom("a write unit was committed without an audit event".into()));
        }
        for event in self.events {
            audit::record(&self.txn, self.now, self.actor.as_ref(), event).await?;
        }
        self.txn.commit().await?;
        if let Some(wake) = self.wake {
            wake.notify_one();
        }
        Ok(())
    }
}

impl AppState {
    /// A write unit acting for `me`.
    pub async fn write(&self, me: &CurrentUser) -> Result<Write, ApiError> {
        self.write_as(Some(me.actor())).await
    }

    /// A write unit acting for `actor` (`None` when nobody is signed in: a failed sign-in).
    pub async fn write_as(&self, actor: Option<Actor>) -> Result<Write, ApiError> {
        Ok(Write::begin(&self.db, actor, self.now(), Some(self.audit_wake.clone())).await?)
    }

    /// Records one event that goes with no change (a read, a refusal, a sign-in): a unit of
    /// its own.
    pub async fn audit_alone(&self, actor: Option<Actor>, event: Event) -> Result<(), ApiError> {
        let mut w = self.write_as(actor).await?;
        w.audit(event);
        Ok(w.commit().await?)
    }
}

/// The unit is the connection its writes go through.
#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
