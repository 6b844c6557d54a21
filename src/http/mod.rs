//! HTTP plumbing shared by every capability: request context, extractors that turn bad
//! input into problem+json, pagination, optimistic concurrency and idempotent creates.

pub mod context;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod pagination;
pub mod problems;
