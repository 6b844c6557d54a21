//! What the extract releases of a young person in place of her details: her age, ACE count,
//! ethnicity and deprivation as bands, and her district only when it is one of her
//! charity's (a district is free text and may name a street, a school or a person).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;

use crate::entities::organisation;
use crate::error::ApiError;
use crate::young_people::codes::{Ethnicity, imd_quintile};
use crate::young_people::rules::age_on;

pub fn age_band(age: i32) -> &'static str {
    match age {
        i32::MIN..=10 => "under_11",
        11..=13 => "11-13",
        14..=15 => "14-15",
        16..=17 => "16-17",
        18..=20 => "18-20",
        21..=24 => "21-24",
        _ => "over_24",
    }
}

pub fn ace_band(count: i16) -> &'static str {
    match count {
        i16::MIN..=3 => "0-3",
        4..=5 => "4-5",
        _ => "6+",
    }
}

/// Days to a decision or a match.
pub fn day_band(days: i64) -> &'static str {
    match days {
        i64::MIN..=7 => "0-7",
        8..=14 => "8-14",
        15..=28 => "15-28",
        29..=56 => "29-56",
        _ => "57+",
    }
}

/// A match's length in days.
pub fn duration_band(days: i64) -> &'static str {
    match days {
        i64::MIN..=90 => "under_3_months",
        91..=182 => "3_to_6_months",
        183..=364 => "6_to_12_months",
        _ => "12_months_or_more",
    }
}

/// Sessions attended.
pub fn session_band(n: i64) -> &'static str {
    match n {
        i64::MIN..=0 => "0",
        1..=5 => "1-5",
        6..=11 => "6-11",
        12..=23 => "12-23",
        _ => "24+",
    }
}

/// Minutes of sessions attended, as hours.
pub fn hour_band(minutes: i64) -> &'static str {
    match minutes {
        i64::MIN..=0 => "0",
        1..=599 => "under_10",
        600..=1499 => "10-24",
        1500..=2999 => "25-49",
        _ => "50+",
    }
}

/// Sessions attended of those logged (`logged` > 0), in per cent.
pub fn attendance_band(attended: i64, logged: i64) -> &'static str {
    let percent = attended * 100 / logged.max(1);
    match percent {
        i64::MIN..=49 => "0-49",
        50..=74 => "50-74",
        75..=89 => "75-89",
        _ => "90-100",
    }
}

/// Missing episodes since the last review.
pub fn missing_band(n: u32) -> &'static str {
    match n {
        0 => "0",
        1..=2 => "1-2",
        _ => "3+",
    }
}

pub fn quintile(decile: Option<i16>) -> String {
    decile.and_then(imd_quintile).map(|q| q.to_string()).unwrap_or_else(|| "not_known".into())
}

/// The district released for a young person: the recorded one (free text) only when it is
/// one of her charity's districts, else [`OTHER_DISTRICT`].
pub const OTHER_DISTRICT: &str = "other";

/// A charity as the extract needs it: its name and the districts it covers.
#[derive(Debug, Clone, Default)]
pub struct Charity {
    pub name: String,
    pub districts: HashSet<String>,
}

/// Every charity, by id (a small table), read once per extract.
pub type Charities = HashMap<Uuid, Charity>;

/// The released district: `district` if it is one of the charity's, else `other`.
pub fn release_district(charity: Option<&Charity>, district: &str) -> String {
    match charity {
        Some(c) if c.districts.contains(district) => district.to_string(),
        _ => OTHER_DISTRICT.to_string(),
    }
}

/// The ungeneralised key values that are hers rather than her referral's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qi {
    pub age_band: String,
    pub ethnic_group: String,
    pub imd_quintile: String,
    pub charity: String,
    pub district: String,
}

/// The ungeneralised key values of a young person, her age taken on `first_received`
/// (her first referral within the extract's window).
pub fn qi_of(
    dob: NaiveDate,
    first_received: NaiveDate,
    ethnicity: Ethnicity,
    decile: Option<i16>,
    charities: &Charities,
    organisation_id: Uuid,
    district: &str,
) -> Result<Qi, ApiError> {
    let charity =
        charities.get(&organisation_id).ok_or_else(|| ApiError::internal("a young person's charity is not in the organisations"))?;
    Ok(Qi {
        age_band: age_band(age_on(dob, first_received)).into(),
        ethnic_group: ethnicity.group().into(),
        imd_quintile: quintile(decile),
        charity: charity.name.clone(),
        district: release_district(Some(charity), district),
    })
}

/// Every charity's name and districts, by id (a small table).
pub async fn charities<C: ConnectionTrait>(conn: &C) -> Result<Charities, ApiError> {
    organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Id)
        .column(organisation::Column::Name)
        .column(organisation::Column::Districts)
        .into_tuple::<(Uuid, String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(id, name, districts)| {
            let districts: Vec<String> = ApiError::stored_json(&districts, "organisations", "districts", id)?;
            Ok((id, Charity { name, districts: districts.into_iter().collect() }))
        })
        .collect()
}

/// For each young person into whose record others were merged (as duplicates), the
/// pseudonyms for `project` of every record merged into hers, directly or through another.
pub async fn aliases<C: ConnectionTrait>(
    conn: &C,
    project: &str,
    pseudonyms: &crate::crypto::Pseudonymiser,
) -> Result<HashMap<Uuid, Vec<String>>, ApiError> {
    use crate::entities::young_person;
    use sea_orm::{ColumnTrait, QueryFilter};
    let merged: HashMap<Uuid, Uuid> = young_person::Entity::find()
        .select_only()
        .column(young_person::Column::Id)
        .column(young_person::Column::MergedInto)
        .filter(young_person::Column::MergedInto.is_not_null())
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(id, into)| into.map(|into| (id, into)))
        .collect();
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for &id in merged.keys() {
        // The record it ended in, following a chain of merges. A cycle (which a merge never
        // makes) is an error: its floor would be lost.
        let mut at = id;
        let mut steps = 0;
        while let Some(next) = merged.get(&at) {
            at = *next;
            steps += 1;
            if steps > merged.len() {
                return Err(ApiError::internal("young_people.merged_into holds a cycle"));
            }
        }
        let alias = pseudonyms.pseudonym(project, &id).map_err(ApiError::internal)?;
        out.entry(at).or_default().push(alias);
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        assert_eq!(age_band(10), "under_11");
        assert_eq!(age_band(11), "11-13");
        assert_eq!(age_band(15), "14-15");
        assert_eq!(age_band(17), "16-17");
        assert_eq!(age_band(20), "18-20");
        assert_eq!(age_band(24), "21-24");
        assert_eq!(age_band(25), "over_24");
        assert_eq!(ace_band(0), "0-3");
        assert_eq!(ace_band(3), "0-3");
        assert_eq!(ace_band(4), "4-5");
        assert_eq!(ace_band(5), "4-5");
        assert_eq!(ace_band(6), "6+");
        assert_eq!(ace_band(10), "6+");
        assert_eq!((day_band(0), day_band(7), day_band(8), day_band(56), day_band(57)), ("0-7", "0-7", "8-14", "29-56", "57+"));
        assert_eq!(
            (duration_band(90), duration_band(91), duration_band(364), duration_band(365)),
            ("under_3_months", "3_to_6_months", "6_to_12_months", "12_months_or_more")
        );
        assert_eq!((session_band(0), session_band(5), session_band(6), session_band(24)), ("0", "1-5", "6-11", "24+"));
        assert_eq!((hour_band(0), hour_band(599), hour_band(600), hour_band(3000)), ("0", "under_10", "10-24", "50+"));
        assert_eq!(
            (attendance_band(1, 2), attendance_band(49, 100), attendance_band(9, 10), attendance_band(3, 3)),
            ("50-74", "0-49", "90-100", "90-100")
        );
        assert_eq!((missing_band(0), missing_band(2), missing_band(3)), ("0", "1-2", "3+"));
        assert_eq!(quintile(Some(3)), "2");
        assert_eq!(quintile(None), "not_known");
    }

    #[test]
    fn a_district_is_released_only_when_it_is_one_of_her_charitys() {
        let c = Charity { name: "A".into(), districts: ["Ashworth".to_string()].into_iter().collect() };
        assert_eq!(release_district(Some(&c), "Ashworth"), "Ashworth");
        assert_eq!(release_district(Some(&c), "14 Acacia Avenue"), "other");
        assert_eq!(release_district(Some(&c), "ashworth"), "other");
        assert_eq!(release_district(None, "Ashworth"), "other");
    }
}
