//! sea-orm entities, one file per table. Enumerated columns are plain strings here and typed
//! at the edges (the database's CHECK constraints hold the same lists).

pub mod assessment;
pub mod audit_event;
pub mod audit_event_subject;
pub mod case_note;
pub mod concern;
pub mod concern_entry;
pub mod duplicate_flag;
pub mod idempotency_key;
pub mod instrument;
pub mod login_attempt;
pub mod login_lockout;
pub mod match_transition;
pub mod matching;
pub mod mentor_check;
pub mod mentor_conflict;
pub mod mentor_profile;
pub mod mentoring_session;
pub mod organisation;
pub mod outbox_message;
pub mod referral;
pub mod referral_transition;
pub mod session;
pub mod session_version;
pub mod supervision;
pub mod support_contact;
pub mod training_course;
pub mod training_record;
pub mod user;
pub mod young_person;
