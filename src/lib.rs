//! Trellis: the case-management backend of a multi-charity mentoring programme.
//! See README.md for how to run it and docs/architecture.md for how it is put together.

pub mod access;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod codes;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod exports;
pub mod http;
pub mod matches;
pub mod mentors;
pub mod metrics;
pub mod organisations;
pub mod outbox;
pub mod outcomes;
pub mod projects;
pub mod referrals;
pub mod reports;
pub mod safeguarding;
pub mod server;
pub mod sessions;
pub mod state;
pub mod users;
pub mod young_people;
