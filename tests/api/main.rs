//! Integration tests: the real router, in process, against a fresh database per test
//! (a temporary SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod access_door;
mod audit;
mod auth;
mod authz_matrix;
mod bad_input;
mod delivery;
mod disproportionality;
mod exports;
mod http_conventions;
mod matching;
mod mentors;
mod openapi;
mod organisations;
mod outcomes;
mod projects;
mod referrals;
mod reports;
mod safeguarding;
mod sessions;
mod users;
