//! Database schema for Trellis, as portable sea-orm migrations that run unchanged on SQLite
//! and PostgreSQL. Enumerations are CHECK constraints so the database itself refuses a value
//! the code would never write; every table that belongs to a charity carries
//! `organisation_id` with an index, and mutable records carry `version`.

pub use sea_orm_migration::prelude::*;

pub mod m20261123_000001_foundation;
pub mod m20261123_000002_referrals;
pub mod m20261123_000003_mentors;
mod m20261123_000004_matching;
mod m20261123_000005_outbox;
mod m20261123_000006_safeguarding;
mod m20261202_000007_access_door;
mod m20261204_000008_evaluation_projects;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_referrals::Migration),
            Box::new(m20261123_000003_mentors::Migration),
            Box::new(m20261123_000004_matching::Migration),
            Box::new(m20261123_000005_outbox::Migration),
            Box::new(m20261123_000006_safeguarding::Migration),
            Box::new(m20261202_000007_access_door::Migration),
            Box::new(m20261204_000008_evaluation_projects::Migration),
        ]
    }
}

/// A CHECK constraint that keeps a text column within a fixed set of values.
pub fn one_of<T: IntoIden + Copy + 'static>(col: T, values: &[&str]) -> SimpleExpr {
    Expr::col(col).is_in(values.iter().map(|v| String::from(*v)))
}
