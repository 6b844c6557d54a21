//! The application state: plain data shared by every request (the database pool, the
//! validated configuration, the keys, the clock, the policies and the metrics). It sits at
//! the bottom of the layers and imports no capability.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::auth::password::Passwords;
use crate::authz::Authz;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::Keys;
use crate::metrics::Metrics;

pub struct Inner {
    pub db: DatabaseConnection,
    pub config: Config,
    pub clock: SharedClock,
    pub authz: Authz,
    pub keys: Keys,
    pub passwords: Passwords,
    pub metrics: Arc<Metrics>,
    /// Wakes the audit sequencer after events are written.
    pub audit_wake: Arc<tokio::sync::Notify>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, clock: SharedClock, authz: Authz, keys: Keys) -> Result<Self, String> {
        let passwords = Passwords::new(config.password_hash_concurrency)?;
        Ok(Self(Arc::new(Inner {
            db,
            config,
            clock,
            authz,
            keys,
            passwords,
            metrics: Arc::new(Metrics::default()),
            audit_wake: Arc::new(tokio::sync::Notify::new()),
        })))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
