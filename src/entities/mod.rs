//! sea-orm entities, one file per table. A code-list column is typed by the code list defined
//! beside its entity (`code_enum!(stored ...)`: the same codes the table's CHECK constraint
//! holds, where it has one). A JSON column is `json::JsonText<T>`, its document type defined
//! beside the entity; the two whose types belong to a capability above this layer (a session
//! version's content, an idempotency key's grants and headers) are text here, read through
//! `ApiError::stored_json`, which names the table, column and row of a value that does not parse.

pub mod assessment;
pub mod audit_event;
pub mod audit_event_subject;
pub mod availability;
pub mod case_note;
pub mod concern;
pub mod concern_entry;
pub mod duplicate_flag;
pub mod evaluation_project;
pub mod evaluation_project_evaluator;
pub mod extract_release;
pub mod extract_release_person;
pub mod idempotency_key;
pub mod instrument;
pub mod json;
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
pub mod young_person_json;
