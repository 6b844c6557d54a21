//! Ownership in one place. A young person's record belongs to one charity at a time, and
//! every record about her follows her. [`HER_RECORDS`] names each table that holds part of
//! her history and how it is tied to her; [`move_her_history`] moves all of them in one
//! statement per table, for an allocation (same record, another charity) and for a duplicate
//! merge (another record, perhaps another charity). A test reads the schema and fails when a
//! table that refers to her, or to any part of her history, is missing from the list.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// How a table is tied to her.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The table names her (`young_person_id`) and is held by her charity (`organisation_id`):
    /// both follow her. `versioned` tables also take a new version, so a write prepared
    /// against the old charity fails.
    Hers { versioned: bool },
    /// The table is held by her charity (`organisation_id`) and hangs off a row of `parent`
    /// (a table of kind `Hers`) by `column`: its charity follows the parent's.
    Child { parent: &'static str, column: &'static str },
    /// The table has no charity of its own: it is reached only through `parent`, by `column`,
    /// so it follows her with its parent and nothing needs to move.
    Through { parent: &'static str, column: &'static str },
    /// The table names her but belongs to someone else (a mentor's declared conflict of
    /// interest is the mentor's vetting record): a merge points it at the record kept; an
    /// allocation leaves it with its owner.
    NamesHer,
    /// Programme-level possible-duplicate flags, naming two records (`young_person_id` and
    /// `match_id`); only programme admins see them. A merge points the open ones at the
    /// record kept.
    DuplicateFlags,
}

/// Every table that holds part of her history. Parents come before their children.
pub const HER_RECORDS: &[(&str, Link)] = &[
    ("referrals", Link::Hers { versioned: true }),
    ("referral_transitions", Link::Child { parent: "referrals", column: "referral_id" }),
    ("case_notes", Link::Hers { versioned: false }),
    ("matches", Link::Hers { versioned: true }),
    ("match_transitions", Link::Child { parent: "matches", column: "match_id" }),
    ("support_contacts", Link::Child { parent: "matches", column: "match_id" }),
    ("mentoring_sessions", Link::Hers { versioned: true }),
    ("session_versions", Link::Through { parent: "mentoring_sessions", column: "session_id" }),
    ("assessments", Link::Hers { versioned: false }),
    ("concerns", Link::Hers { versioned: false }),
    ("concern_entries", Link::Child { parent: "concerns", column: "concern_id" }),
    ("mentor_conflicts", Link::NamesHer),
    ("duplicate_flags", Link::DuplicateFlags),
];

/// Tables that name young people, or records of her history, and deliberately do not follow
/// her, with the reason.
pub const NOT_HER_RECORDS: &[(&str, &str)] = &[
    ("audit_events", "the audit trail records what happened to which record, when; it is never rewritten"),
    ("audit_event_subjects", "the index of the audit trail, as unchanging as the trail"),
    (
        "supervisions",
        "a mentor's supervision is her charity's record of its volunteer; it names a concern discussed by id only, and reading the concern goes through the concern's own charity",
    ),
];

/// Moves everything about young person `from` to young person `to`, held by `to_org`.
/// Allocation passes `from == to`; a merge passes the record merged away and the one kept,
/// and the record merged away moves to `to_org` too, so its old charity keeps nothing. Runs
/// in the caller's transaction; returns how many rows moved, per table, for the audit event.
pub async fn move_her_history<C: ConnectionTrait>(
    conn: &C,
    from: Uuid,
    to: Uuid,
    to_org: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let col = |c: &str| Alias::new(c.to_string());
    let mut moved = Vec::new();
    for (table, link) in HER_RECORDS {
        let mut q = Query::update();
        q.table(col(table));
        match link {
            Link::Hers { versioned } => {
                q.value(col("young_person_id"), to)
                    .value(col("organisation_id"), to_org)
                    .and_where(Expr::col(col("young_person_id")).eq(from));
                if *versioned {
                    q.value(col("version"), Expr::col(col("version")).add(1));
                }
            }
            Link::Child { parent, column } => {
                // After the parents moved: every child of a parent of hers.
                let parents =
                    Query::select().column(col("id")).from(col(parent)).and_where(Expr::col(col("young_person_id")).eq(to)).to_owned();
                q.value(col("organisation_id"), to_org).and_where(Expr::col(col(column)).in_subquery(parents));
            }
            Link::Through { .. } => continue,
            Link::NamesHer if from != to => {
                q.value(col("young_person_id"), to).and_where(Expr::col(col("young_person_id")).eq(from));
            }
            Link::NamesHer => continue,
            Link::DuplicateFlags if from != to => {
                let mut total = 0;
                for column in ["young_person_id", "match_id"] {
                    let mut q = Query::update();
                    q.table(col(table))
                        .value(col(column), to)
                        .and_where(Expr::col(col(column)).eq(from))
                        .and_where(Expr::col(col("status")).eq("open"));
                    total += conn.execute(&q).await?.rows_affected();
                }
                // A flag that now names the kept record twice says nothing: dismissed.
                let mut q = Query::update();
                q.table(col(table))
                    .value(col("status"), "dismissed")
                    .and_where(Expr::col(col("young_person_id")).eq(to))
                    .and_where(Expr::col(col("match_id")).eq(to))
                    .and_where(Expr::col(col("status")).eq("open"));
                conn.execute(&q).await?;
                moved.push((*table, total));
                continue;
            }
            Link::DuplicateFlags => continue,
        }
        let n = conn.execute(&q).await?.rows_affected();
        moved.push((*table, n));
    }
    // Her record itself, and on a merge the record merged away: both with the new charity.
    let mut q = Query::update();
    q.table(col("young_people"))
        .value(col("organisation_id"), to_org)
        .value(col("version"), Expr::col(col("version")).add(1))
        .value(col("updated_at"), now)
        .and_where(Expr::col(col("id")).is_in([from, to]));
    conn.execute(&q).await?;
    Ok(moved)
}
