//! When someone is free, as a young person's and a mentor's availability columns hold it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::codes::code_enum!(
    Day {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
    }
);

crate::codes::code_enum!(
    PartOfDay {
        Morning = "morning",
        Afternoon = "afternoon",
        Evening = "evening",
    }
);

/// When she is free: a day and a part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub day: Day,
    pub part: PartOfDay,
}
