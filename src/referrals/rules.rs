//! The referral state machine: received -> screening -> accepted | declined | waitlisted;
//! waitlisted -> accepted; accepted -> matched -> active -> closed. Declining needs a reason,
//! closing a closure reason; accepting needs eligibility and consent, or a written override.

pub use crate::entities::referral::Status;

pub use crate::entities::referral::SourceType;

pub use crate::entities::referral::ClosureReason;

/// The statuses a referral may move to from `from`.
pub fn allowed_from(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Received => &[Screening],
        Screening => &[Accepted, Declined, Waitlisted],
        // Closing before a mentor is found: she disengaged, moved away, aged out.
        Waitlisted => &[Accepted, Closed],
        Accepted => &[Matched, Closed],
        Matched => &[Active],
        Active => &[Closed],
        Declined | Closed => &[],
    }
}

pub fn can_move(from: Status, to: Status) -> bool {
    allowed_from(from).contains(&to)
}

/// Statuses a referral reaches only through its match (confirming a match makes it matched,
/// starting it makes it active), never by a move made by hand.
pub fn follows_match(to: Status) -> bool {
    matches!(to, Status::Matched | Status::Active)
}

/// The moves a person may make by hand from `from`.
pub fn manual_from(from: Status) -> Vec<Status> {
    allowed_from(from).iter().copied().filter(|s| !follows_match(*s)).collect()
}

/// Referrals still open, whose eligibility follows changes to the young person's record.
pub fn is_open(s: Status) -> bool {
    !matches!(s, Status::Declined | Status::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_statuses_is_allowed_or_refused_as_the_machine_says() {
        let allowed = [
            ("received", "screening"),
            ("screening", "accepted"),
            ("screening", "declined"),
            ("screening", "waitlisted"),
            ("waitlisted", "accepted"),
            ("waitlisted", "closed"),
            ("accepted", "matched"),
            ("accepted", "closed"),
            ("matched", "active"),
            ("active", "closed"),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                let expected = allowed.contains(&(from.as_str(), to.as_str()));
                assert_eq!(can_move(*from, *to), expected, "{} -> {}", from.as_str(), to.as_str());
            }
        }
    }
}
