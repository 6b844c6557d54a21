//! k-anonymity of the evaluation extract over the key variables an intruder is assumed to
//! know (configured as `extract_key_variables`; by default all seven: age band, ethnic group,
//! IMD quintile, charity, district, referral source and received period). Pure: people and
//! their rows' key values in, a plan out.
//!
//! k is about young people, not rows. A young person's rows (one per referral in the window)
//! share her pseudonym, so what an intruder sees of her is the whole set of her rows' key
//! values, how many rows included: her *signature*. A class is the young people with the same
//! released signature, and every class has at least k of them.
//!
//! The rule: raise the key variables along their hierarchies one step at a time, in
//! [`STEPS`] (month to quarter, district to county, source to its group, quarter to half-year,
//! quintile to two bands, half-year to year, age to three bands, ethnic group to three), and
//! take the first step at which the young people in classes smaller than k are at most 5% of
//! all (or the last step). Only then suppress, as little as will do: the young people still
//! in small classes lose key values one at a time, in [`SUPPRESSION_ORDER`] (charity first,
//! ethnic group last), and stop as soon as the class they form with the others suppressed as
//! far has k. Those left with every key suppressed form one class per number of rows; one
//! with fewer than k takes in the next-smallest whole classes of that many rows, and if it is
//! still short, its young people's rows are withheld. An extract of fewer than k young people
//! is withheld entirely.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};

use uuid::Uuid;

pub use crate::config::KeyVariable;

/// The value that replaces a suppressed value.
pub const SUPPRESSED: &str = "suppressed";
/// The generalised district.
pub const COUNTY: &str = "county";
/// The generalised IMD quintiles.
pub const QUINTILE_MOST_DEPRIVED: &str = "1-2";
pub const QUINTILE_LEAST_DEPRIVED: &str = "3-5";
/// The generalised ethnic groups.
pub const GLOBAL_MAJORITY: &str = "global_majority";
pub const WHITE: &str = "white";
pub const NOT_STATED: &str = "not_stated";
/// The generalised age bands.
pub const AGE_UNDER_16: &str = "11-15";
pub const AGE_16_17: &str = "16-17";
pub const AGE_18_PLUS: &str = "18-24";
/// The generalised referral sources.
pub const SOURCE_STATUTORY: &str = "statutory";
pub const SOURCE_EDUCATION: &str = "education";
pub const SOURCE_COMMUNITY: &str = "community_and_family";
/// The share of young people (in per cent) that may stay in small classes before the next
/// generalisation step.
pub const SMALL_CLASS_SHARE_PERCENT: u64 = 5;

/// The global generalisation steps, in order: each raises one variable one level. A step of a
/// variable that is not a key variable is skipped.
pub const STEPS: [(KeyVariable, u8); 8] = [
    (KeyVariable::ReceivedPeriod, 1),
    (KeyVariable::District, 1),
    (KeyVariable::ReferralSource, 1),
    (KeyVariable::ReceivedPeriod, 2),
    (KeyVariable::ImdQuintile, 1),
    (KeyVariable::ReceivedPeriod, 3),
    (KeyVariable::AgeBand, 1),
    (KeyVariable::EthnicGroup, 1),
];

/// The order in which a small class's key values are suppressed: what an evaluation of
/// disproportionality needs most (ethnic group, age, deprivation) is given up last.
pub const SUPPRESSION_ORDER: [KeyVariable; 7] = [
    KeyVariable::Charity,
    KeyVariable::District,
    KeyVariable::ReceivedPeriod,
    KeyVariable::ReferralSource,
    KeyVariable::ImdQuintile,
    KeyVariable::AgeBand,
    KeyVariable::EthnicGroup,
];

/// One row's values of the seven key variables, in [`KeyVariable::ALL`] order.
pub type Keys = [String; 7];

/// The position of a variable in [`Keys`].
pub fn index(v: KeyVariable) -> usize {
    v as usize
}

/// `raw` (the ungeneralised value of `v`) raised to `level` of its hierarchy. Level 0 is the
/// value itself; a level above a variable's top is its top; a value already raised stays
/// as it is.
pub fn generalise(v: KeyVariable, raw: &str, level: u8) -> String {
    if level == 0 || raw == SUPPRESSED {
        return raw.to_string();
    }
    match v {
        KeyVariable::District => COUNTY.into(),
        KeyVariable::ImdQuintile => match raw {
            "1" | "2" => QUINTILE_MOST_DEPRIVED.into(),
            "3" | "4" | "5" => QUINTILE_LEAST_DEPRIVED.into(),
            other => other.into(),
        },
        KeyVariable::EthnicGroup => match raw {
            "white" => WHITE.into(),
            "prefer_not_to_say" | "not_known" | NOT_STATED => NOT_STATED.into(),
            _ => GLOBAL_MAJORITY.into(),
        },
        KeyVariable::AgeBand => match raw {
            "11-13" | "14-15" => AGE_UNDER_16.into(),
            "16-17" => AGE_16_17.into(),
            "18-20" | "21-24" => AGE_18_PLUS.into(),
            other => other.into(),
        },
        KeyVariable::ReferralSource => source_group(raw).into(),
        KeyVariable::ReceivedPeriod => period(raw, level),
        KeyVariable::Charity => raw.into(),
    }
}

/// The group of a referral source code.
pub fn source_group(code: &str) -> &'static str {
    match code {
        "police" | "childrens_social_care" | "youth_justice_service" | "health" | SOURCE_STATUTORY => SOURCE_STATUTORY,
        "school_college" | SOURCE_EDUCATION => SOURCE_EDUCATION,
        _ => SOURCE_COMMUNITY,
    }
}

/// A month `YYYY-MM` as its quarter (`YYYY-Qn`, level 1), half-year (`YYYY-Hn`, 2) or year
/// (`YYYY`, 3 and above).
fn period(month: &str, level: u8) -> String {
    let (Some(year), Some(m)) = (month.get(0..4), month.get(5..7).and_then(|m| m.parse::<u32>().ok())) else {
        return month.to_string();
    };
    match level {
        1 => format!("{year}-Q{}", m.div_ceil(3)),
        2 => format!("{year}-H{}", if m <= 6 { 1 } else { 2 }),
        _ => year.to_string(),
    }
}

/// The window `[from, to]` (whole months) widened outward to whole periods of `level` of the
/// received-period hierarchy (1 quarters, 2 half-years, 3 and above years). The window is
/// published with the extract, so a window narrower than the periods released would date
/// every referral in it more finely than its released period does.
pub fn align_window(from: Option<NaiveDate>, to: Option<NaiveDate>, level: u8) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let months: u32 = match level {
        0 => return (from, to),
        1 => 3,
        2 => 6,
        _ => 12,
    };
    let start = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / months * months + 1, 1).unwrap_or(d);
    let end = |d: NaiveDate| start(d).checked_add_months(Months::new(months)).and_then(|n| n.pred_opt()).unwrap_or(d);
    (from.map(start), to.map(end))
}

/// How far each variable is raised, in [`KeyVariable::ALL`] order.
pub type Levels = [u8; 7];

/// What to do to the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub k: u64,
    /// The key variables, in [`SUPPRESSION_ORDER`].
    pub keys: Vec<KeyVariable>,
    pub levels: Levels,
    /// How many of [`STEPS`] were taken (skipped ones included).
    pub steps: usize,
    /// Young people whose key values are suppressed, with how many (in `keys` order).
    pub masks: HashMap<Uuid, u8>,
    /// Key values suppressed for each young person whatever the mask (bits by position in
    /// [`Keys`]): those an earlier release to the same project suppressed ([`Floor`]).
    pub forced: HashMap<Uuid, u8>,
    /// Young people whose rows are withheld: alone in their number of rows even with every
    /// key suppressed.
    pub withheld_people: Vec<Uuid>,
    /// Fewer than k young people in all: nothing is released.
    pub withheld: bool,
    /// The smallest class released, in young people (0 when nothing is).
    pub k_achieved: u64,
}

impl Plan {
    /// The key variables generalised, in the order of [`STEPS`].
    pub fn generalised(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for (v, level) in STEPS {
            if self.levels[index(v)] >= level && !out.contains(&v.as_str()) {
                out.push(v.as_str());
            }
        }
        out
    }

    /// The key values a row of young person `who` is released with.
    pub fn apply(&self, who: &Uuid, raw: &Keys) -> Keys {
        let mask = self.masks.get(who).copied().unwrap_or(0);
        released(raw, &self.levels, &self.keys, mask, self.forced.get(who).copied().unwrap_or(0))
    }
}

/// What earlier releases to the same project fix for this one: every variable raised at least
/// to `levels`, and the key values in `forced` (bits by position in [`Keys`]) suppressed for
/// each young person, whatever else the plan decides; and `history`, what the project already
/// holds of each young person's key values (in a canonical text form): a class is the young
/// people alike in it and in this release, so k holds over all the project's releases
/// together, joined on the pseudonym.
///
/// `members` are the pseudonyms the project holds with each history, released now or not
/// (with the young person where she is in this build, and the sensitive values the project
/// was sent of her). A release splits a history's pseudonyms into parts the project tells
/// apart: each class of this release, and those missing from it (outside its window,
/// withheld, merged into another). Each part must hold none or at least k (the missing), and
/// at least l distinct values of every sensitive column an earlier release sent of them;
/// otherwise the history is not split (its young people in this release are withheld).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Floor {
    pub levels: Levels,
    pub forced: HashMap<Uuid, u8>,
    pub history: HashMap<Uuid, String>,
    pub members: HashMap<String, Vec<Member>>,
}

/// A pseudonym the project holds: the young person behind it if she is in this build, and the
/// sensitive values sent of her (release, column, her values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Member {
    pub person: Option<Uuid>,
    pub sensitive: Vec<(u64, String, Vec<String>)>,
}

/// Whether `part` holds at least `l` distinct values (each member's values counted as one) of
/// every sensitive column, in every release, that any of them was sent.
fn diverse(part: &[&Member], l: usize) -> bool {
    let mut seen: BTreeMap<(u64, &str), Vec<&Vec<String>>> = BTreeMap::new();
    for m in part {
        for (release, column, values) in &m.sensitive {
            let at = seen.entry((*release, column.as_str())).or_default();
            if !values.is_empty() && !at.contains(&values) {
                at.push(values);
            }
        }
    }
    seen.values().all(|v| v.is_empty() || v.len() >= l)
}

fn released(raw: &Keys, levels: &Levels, keys: &[KeyVariable], mask: u8, forced: u8) -> Keys {
    let mut out: Keys = Default::default();
    for (i, v) in KeyVariable::ALL.iter().enumerate() {
        out[i] = if forced & (1 << i) != 0 { SUPPRESSED.into() } else { generalise(*v, &raw[i], levels[i]) };
    }
    for v in keys.iter().take(usize::from(mask)) {
        out[index(*v)] = SUPPRESSED.into();
    }
    out
}

/// A young person as the intruder sees her: what earlier releases to the project gave of her
/// (her history, fixed), and her rows' released key values (key variables only), sorted.
type Signature = (String, Vec<Vec<String>>);

fn signature(rows: &[Keys], levels: &Levels, keys: &[KeyVariable], mask: u8, forced: u8, history: &str) -> Signature {
    let mut sig: Vec<Vec<String>> =
        rows.iter().map(|r| keys.iter().map(|v| released(r, levels, keys, mask, forced)[index(*v)].clone()).collect()).collect();
    sig.sort();
    (history.to_string(), sig)
}

/// Decides the generalisation and suppression. `people` holds each young person's rows' raw
/// key values; `key_variables` the variables the intruder is assumed to know; `floor` what
/// earlier releases to the same project fix (the generalisation starts from its levels, and
/// its suppressed values stay suppressed).
pub fn plan(people: &[(Uuid, Vec<Keys>)], key_variables: &[KeyVariable], k: u64, floor: &Floor) -> Plan {
    let k = k.max(1);
    let l = super::dictionary::L as usize;
    let keys: Vec<KeyVariable> = SUPPRESSION_ORDER.iter().copied().filter(|v| key_variables.contains(v)).collect();
    let mut plan = Plan {
        k,
        keys,
        levels: floor.levels,
        steps: 0,
        masks: HashMap::new(),
        forced: floor.forced.clone(),
        withheld_people: Vec::new(),
        withheld: false,
        k_achieved: 0,
    };
    let total = people.len() as u64;
    if total < k {
        plan.withheld = true;
        return plan;
    }
    let classes_at = |levels: &Levels, plan: &Plan| {
        let withheld: HashSet<&Uuid> = plan.withheld_people.iter().collect();
        let mut out: BTreeMap<Signature, Vec<usize>> = BTreeMap::new();
        for (i, (who, rows)) in people.iter().enumerate() {
            if withheld.contains(who) {
                continue;
            }
            let mask = plan.masks.get(who).copied().unwrap_or(0);
            let forced = plan.forced.get(who).copied().unwrap_or(0);
            out.entry(signature(rows, levels, &plan.keys, mask, forced, history_of(floor, who))).or_default().push(i);
        }
        out
    };
    // Global generalisation, one step at a time, from the floor.
    let mut levels: Levels = floor.levels;
    let mut steps = 0;
    loop {
        let classes = classes_at(&levels, &plan);
        let small: u64 = classes.values().filter(|m| (m.len() as u64) < k).map(|m| m.len() as u64).sum();
        if small * 100 <= total * SMALL_CLASS_SHARE_PERCENT || steps == STEPS.len() {
            break;
        }
        let (v, level) = STEPS[steps];
        if plan.keys.contains(&v) {
            levels[index(v)] = levels[index(v)].max(level);
        }
        steps += 1;
    }
    plan.levels = levels;
    plan.steps = steps;

    // Local suppression of the young people still in small classes.
    let nkeys = plan.keys.len() as u8;
    let classes = classes_at(&levels, &plan);
    let mut pending: Vec<usize> = classes.values().filter(|m| (m.len() as u64) < k).flatten().copied().collect();
    for mask in 1..=nkeys {
        let mut groups: BTreeMap<Signature, Vec<usize>> = BTreeMap::new();
        for i in pending.drain(..) {
            let (who, rows) = &people[i];
            let forced = plan.forced.get(who).copied().unwrap_or(0);
            groups.entry(signature(rows, &levels, &plan.keys, mask, forced, history_of(floor, who))).or_default().push(i);
        }
        for members in groups.into_values() {
            if members.len() as u64 >= k || mask == nkeys {
                for i in members {
                    plan.masks.insert(people[i].0, mask);
                }
            } else {
                pending.extend(members);
            }
        }
    }
    // Every class with all keys suppressed (one per number of rows) that is still short takes
    // in the next-smallest whole class of young people with as many rows; with none left, its
    // young people's rows are withheld.
    loop {
        let classes = classes_at(&levels, &plan);
        let Some(sig) = classes.iter().find(|(sig, m)| is_all_suppressed(sig) && (m.len() as u64) < k).map(|(s, _)| s.clone()) else {
            break;
        };
        let candidate = classes
            .iter()
            .filter(|(s, _)| !is_all_suppressed(s) && s.1.len() == sig.1.len() && s.0 == sig.0)
            .min_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| a.0.cmp(b.0)))
            .map(|(_, m)| m.clone());
        let (members, withhold) = match candidate {
            Some(m) => (m, false),
            None => (classes.get(&sig).cloned().unwrap_or_default(), true),
        };
        for i in members {
            plan.masks.insert(people[i].0, nkeys);
            if withhold {
                plan.withheld_people.push(people[i].0);
            }
        }
    }
    // The pseudonyms of a history missing from this release are a class of their own to the
    // project: between one and k - 1 of them, and its smallest class in this release is
    // withheld too, until none or at least k are missing.
    loop {
        let classes = classes_at(&levels, &plan);
        let mut present: HashMap<&str, u64> = HashMap::new();
        for (sig, members) in &classes {
            *present.entry(sig.0.as_str()).or_insert(0) += members.len() as u64;
        }
        let short = |h: &str| {
            let held = floor.members.get(h).map_or(0, |m| m.len() as u64);
            let missing = held.saturating_sub(present.get(h).copied().unwrap_or(0));
            missing > 0 && missing < k
        };
        let Some(members) = classes
            .iter()
            .filter(|(sig, _)| !sig.0.is_empty() && short(&sig.0))
            .min_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| a.0.cmp(b.0)))
            .map(|(_, m)| m.clone())
        else {
            break;
        };
        for i in members {
            plan.masks.insert(people[i].0, nkeys);
            plan.withheld_people.push(people[i].0);
        }
    }
    // l-diversity of what earlier releases sent, in every part this release splits a history
    // into: where a part fails, the history is not split.
    loop {
        let classes = classes_at(&levels, &plan);
        let mut class_of: HashMap<Uuid, usize> = HashMap::new();
        for (ci, members) in classes.values().enumerate() {
            for &i in members {
                class_of.insert(people[i].0, ci);
            }
        }
        let split_badly = |members: &Vec<Member>| {
            let mut parts: BTreeMap<Option<usize>, Vec<&Member>> = BTreeMap::new();
            for m in members {
                parts.entry(m.person.and_then(|p| class_of.get(&p).copied())).or_default().push(m);
            }
            parts.keys().any(Option::is_some) && parts.values().any(|part| !diverse(part, l))
        };
        let Some(members) = floor.members.values().find(|m| split_badly(m)) else {
            break;
        };
        for p in members.iter().filter_map(|m| m.person).filter(|p| class_of.contains_key(p)) {
            plan.masks.insert(p, nkeys);
            plan.withheld_people.push(p);
        }
    }
    if ((people.len() - plan.withheld_people.len()) as u64) < k {
        plan.withheld = true;
        return plan;
    }
    plan.k_achieved = classes_at(&levels, &plan).values().map(|m| m.len() as u64).min().unwrap_or(0);
    plan
}

fn is_all_suppressed(sig: &Signature) -> bool {
    sig.1.iter().all(|row| row.iter().all(|v| v == SUPPRESSED))
}

fn history_of<'a>(floor: &'a Floor, who: &Uuid) -> &'a str {
    floor.history.get(who).map_or("", String::as_str)
}

/// The released classes: the young people (by position in `people`) sharing each released
/// signature (with what earlier releases in `floor` gave of them), withheld young people left
/// out.
pub fn classes(people: &[(Uuid, Vec<Keys>)], plan: &Plan, floor: &Floor) -> Vec<Vec<usize>> {
    let withheld: HashSet<&Uuid> = plan.withheld_people.iter().collect();
    let mut out: BTreeMap<Signature, Vec<usize>> = BTreeMap::new();
    for (i, (who, rows)) in people.iter().enumerate() {
        if withheld.contains(who) {
            continue;
        }
        let mask = plan.masks.get(who).copied().unwrap_or(0);
        let forced = plan.forced.get(who).copied().unwrap_or(0);
        out.entry(signature(rows, &plan.levels, &plan.keys, mask, forced, history_of(floor, who))).or_default().push(i);
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(age: &str, eth: &str, q: &str, charity: &str, district: &str, source: &str, month: &str) -> Keys {
        [age, eth, q, charity, district, source, month].map(String::from)
    }

    fn person(n: u128, rows: Vec<Keys>) -> (Uuid, Vec<Keys>) {
        (Uuid::from_u128(n), rows)
    }

    fn many(from: u128, n: u128, row: Keys) -> Vec<(Uuid, Vec<Keys>)> {
        (from..from + n).map(|i| person(i, vec![row.clone()])).collect()
    }

    /// The acceptance rule, literally: every released signature is shared by at least k
    /// young people, and each is released or withheld.
    fn assert_k_anonymous(people: &[(Uuid, Vec<Keys>)], p: &Plan) {
        assert_k_anonymous_on(people, p, &Floor::default());
    }

    /// The same over what the project holds of each young person in all its releases: her
    /// history in `floor` and this release's rows.
    fn assert_k_anonymous_on(people: &[(Uuid, Vec<Keys>)], p: &Plan, floor: &Floor) {
        if p.withheld {
            return;
        }
        let mut counts: BTreeMap<(String, Vec<Keys>), u64> = BTreeMap::new();
        for (who, rows) in people {
            if p.withheld_people.contains(who) {
                continue;
            }
            let mut sig: Vec<Keys> = rows.iter().map(|r| project(&p.apply(who, r), &p.keys)).collect();
            sig.sort();
            *counts.entry((history_of(floor, who).to_string(), sig)).or_insert(0) += 1;
        }
        for (sig, n) in &counts {
            assert!(*n >= p.k, "{sig:?} is shared by {n}, fewer than k = {}", p.k);
        }
        assert_eq!(p.k_achieved, counts.values().copied().min().unwrap_or(0));
    }

    /// The key variables' values only (the others blanked).
    fn project(k: &Keys, vars: &[KeyVariable]) -> Keys {
        let mut out: Keys = Default::default();
        for v in vars {
            out[index(*v)] = k[index(*v)].clone();
        }
        out
    }

    const ALL: &[KeyVariable] = KeyVariable::ALL;

    #[test]
    fn k_counts_young_people_alike_in_every_release_the_project_holds() {
        // Ten alike in this release, but an earlier release told three of them apart from the
        // other seven: the three are not released as a class of their own.
        let people = many(0, 10, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        let mut floor = Floor::default();
        for n in 0..3 {
            floor.history.insert(Uuid::from_u128(n), "earlier: Northtown".into());
        }
        for n in 3..10 {
            floor.history.insert(Uuid::from_u128(n), "earlier: county".into());
        }
        let p = plan(&people, ALL, 5, &floor);
        assert_k_anonymous_on(&people, &p, &floor);
        assert_eq!(p.withheld_people.len(), 3, "{p:?}");
        assert!((0..3).all(|n| p.withheld_people.contains(&Uuid::from_u128(n))));
        // Without the history they would all be one class.
        assert!(plan(&people, ALL, 5, &Floor::default()).withheld_people.is_empty());
    }

    #[test]
    fn the_missing_of_a_history_are_none_or_at_least_k() {
        // Twelve held alike; six are in this release, in one class: the six missing are a
        // class too, and large enough.
        let people = many(0, 6, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        let member = |n: Option<u128>| Member { person: n.map(Uuid::from_u128), sensitive: Vec::new() };
        let mut floor = Floor::default();
        for n in 0..6 {
            floor.history.insert(Uuid::from_u128(n), "h".into());
        }
        let mut members: Vec<Member> = (0..6).map(|n| member(Some(n))).collect();
        members.extend((0..6).map(|_| member(None)));
        floor.members.insert("h".into(), members.clone());
        assert!(plan(&people, ALL, 5, &floor).withheld_people.is_empty());
        // Eight held: the two missing would be told apart from the six (say one of them
        // withheld for having two referrals now), so the six are withheld as well.
        members.truncate(8);
        floor.members.insert("h".into(), members);
        let p = plan(&people, ALL, 5, &floor);
        assert!(p.withheld, "{p:?}");
    }

    #[test]
    fn a_part_of_a_history_that_all_shared_a_sensitive_value_is_not_released_apart() {
        // Ten held alike; an earlier release sent a concern for five of them (and not for the
        // other five): l-diverse then. Now the five are a class of their own, the others
        // missing: each part would tell its concern, so the history is not split.
        let people = many(0, 5, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        let told = |v: &str| vec![(0u64, "concerns_cse".to_string(), vec![v.to_string()])];
        let mut floor = Floor::default();
        let mut members = Vec::new();
        for n in 0..5 {
            floor.history.insert(Uuid::from_u128(n), "h".into());
            members.push(Member { person: Some(Uuid::from_u128(n)), sensitive: told("true") });
        }
        members.extend((0..5).map(|_| Member { person: None, sensitive: told("false") }));
        floor.members.insert("h".into(), members.clone());
        assert!(plan(&people, ALL, 5, &floor).withheld, "the five would be known to have had a concern");
        // Mixed in both parts: released.
        members[0].sensitive = told("false");
        members[5].sensitive = told("true");
        floor.members.insert("h".into(), members);
        assert!(plan(&people, ALL, 5, &floor).withheld_people.is_empty());
    }

    #[test]
    fn windows_are_widened_to_whole_released_periods() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let aug = (d(2025, 8, 1), d(2025, 8, 31));
        assert_eq!(align_window(aug.0, aug.1, 0), aug);
        assert_eq!(align_window(aug.0, aug.1, 1), (d(2025, 7, 1), d(2025, 9, 30)));
        assert_eq!(align_window(aug.0, aug.1, 2), (d(2025, 7, 1), d(2025, 12, 31)));
        assert_eq!(align_window(aug.0, aug.1, 3), (d(2025, 1, 1), d(2025, 12, 31)));
        assert_eq!(align_window(d(2025, 2, 1), None, 2), (d(2025, 1, 1), None));
        assert_eq!(align_window(None, d(2025, 11, 30), 1), (None, d(2025, 12, 31)));
    }

    #[test]
    fn hierarchies() {
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-03", 0), "2025-03");
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-03", 1), "2025-Q1");
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-10", 1), "2025-Q4");
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-06", 2), "2025-H1");
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-07", 2), "2025-H2");
        assert_eq!(generalise(KeyVariable::ReceivedPeriod, "2025-07", 3), "2025");
        assert_eq!(generalise(KeyVariable::ReferralSource, "police", 1), "statutory");
        assert_eq!(generalise(KeyVariable::ReferralSource, "school_college", 1), "education");
        assert_eq!(generalise(KeyVariable::ReferralSource, "self", 1), "community_and_family");
        assert_eq!(generalise(KeyVariable::District, "Ashworth", 1), "county");
        assert_eq!(generalise(KeyVariable::ImdQuintile, "2", 1), "1-2");
        assert_eq!(generalise(KeyVariable::ImdQuintile, "not_known", 1), "not_known");
        assert_eq!(generalise(KeyVariable::AgeBand, "14-15", 1), "11-15");
        assert_eq!(generalise(KeyVariable::AgeBand, "21-24", 1), "18-24");
        assert_eq!(generalise(KeyVariable::EthnicGroup, "black", 1), "global_majority");
        assert_eq!(generalise(KeyVariable::EthnicGroup, "not_known", 1), "not_stated");
        assert_eq!(generalise(KeyVariable::Charity, "A", 1), "A");
        assert_eq!(generalise(KeyVariable::District, SUPPRESSED, 1), SUPPRESSED);
        // Raising a raised value changes nothing.
        for (v, raw) in [
            (KeyVariable::EthnicGroup, "not_known"),
            (KeyVariable::EthnicGroup, "black"),
            (KeyVariable::ReferralSource, "police"),
            (KeyVariable::ReferralSource, "school_college"),
            (KeyVariable::ReferralSource, "family"),
            (KeyVariable::AgeBand, "21-24"),
            (KeyVariable::ImdQuintile, "4"),
        ] {
            let once = generalise(v, raw, 1);
            assert_eq!(generalise(v, &once, 1), once, "{v:?} {raw}");
        }
        for l in 1..=3 {
            let once = generalise(KeyVariable::ReceivedPeriod, "2025-11", l);
            assert_eq!(generalise(KeyVariable::ReceivedPeriod, &once, l), once);
        }
    }

    #[test]
    fn nothing_is_changed_when_every_class_is_large() {
        let mut people = many(0, 6, keys("14-15", "white", "1", "A", "Ashworth", "police", "2025-01"));
        people.extend(many(100, 5, keys("16-17", "black", "2", "A", "Fenwick", "self", "2025-02")));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert_eq!(p.steps, 0);
        assert!(p.generalised().is_empty());
        assert!(p.masks.is_empty());
        assert_eq!(p.k_achieved, 5);
        assert_k_anonymous(&people, &p);
    }

    #[test]
    fn the_month_is_generalised_first_and_the_referrer_cannot_single_her_out_by_it() {
        // Six police referrals in one quarter, three months: each month alone has two.
        let mut people = many(0, 2, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        people.extend(many(10, 2, keys("14-15", "white", "1", "A", "X", "police", "2025-02")));
        people.extend(many(20, 2, keys("14-15", "white", "1", "A", "X", "police", "2025-03")));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert_eq!(p.generalised(), vec!["received_period"]);
        assert_eq!(p.apply(&Uuid::from_u128(0), &people[0].1[0])[6], "2025-Q1");
        assert!(p.masks.is_empty());
        assert_k_anonymous(&people, &p);
    }

    #[test]
    fn a_variable_that_is_not_a_key_is_not_generalised_or_counted() {
        let mut people = many(0, 3, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        people.extend(many(10, 3, keys("14-15", "white", "1", "A", "X", "police", "2025-05")));
        let without_period: Vec<KeyVariable> = ALL.iter().copied().filter(|v| *v != KeyVariable::ReceivedPeriod).collect();
        let p = plan(&people, &without_period, 5, &Floor::default());
        assert_eq!(p.steps, 0);
        assert_eq!(p.apply(&Uuid::from_u128(0), &people[0].1[0])[6], "2025-01");
        assert_k_anonymous(&people, &p);
    }

    #[test]
    fn a_small_share_in_small_classes_stops_generalisation_and_is_suppressed_with_the_next_smallest() {
        // 100 in big classes, 2 in a small one (under 5%): no generalisation. The two alone
        // are fewer than k, so the smallest big class (10) joins them.
        let mut people = many(0, 50, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        people.extend(many(100, 40, keys("16-17", "black", "2", "B", "Y", "police", "2025-01")));
        people.extend(many(200, 10, keys("18-20", "asian", "3", "C", "Z", "police", "2025-01")));
        people.extend(many(300, 2, keys("21-24", "mixed", "4", "D", "W", "self", "2025-07")));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert_eq!(p.steps, 0);
        assert_eq!(p.masks.len(), 12);
        assert_eq!(p.apply(&Uuid::from_u128(300), &people[100].1[0])[1], SUPPRESSED);
        assert_eq!(p.apply(&Uuid::from_u128(0), &people[0].1[0])[1], "white");
        assert_k_anonymous(&people, &p);
    }

    #[test]
    fn two_referrals_are_one_signature_and_k_counts_people() {
        // Five young people with the same two referrals form a class; a sixth with one of
        // them only does not join it.
        let a = keys("14-15", "white", "1", "A", "X", "police", "2025-01");
        let b = keys("14-15", "white", "1", "A", "X", "school_college", "2025-09");
        let mut people: Vec<(Uuid, Vec<Keys>)> = (0..5).map(|i| person(i, vec![a.clone(), b.clone()])).collect();
        people.extend(many(10, 5, a.clone()));
        people.push(person(20, vec![b.clone()]));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert_k_anonymous(&people, &p);
        let classes = classes(&people, &p, &Floor::default());
        assert!(classes.iter().all(|c| c.len() >= 5), "{classes:?}");
    }

    #[test]
    fn a_young_person_alone_in_her_number_of_rows_is_withheld() {
        let a = keys("14-15", "white", "1", "A", "X", "police", "2025-01");
        let mut people = many(0, 6, a.clone());
        people.push(person(50, vec![a.clone(), a.clone(), a.clone()]));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert_eq!(p.withheld_people, vec![Uuid::from_u128(50)]);
        assert!(!p.withheld);
        assert_k_anonymous(&people, &p);
    }

    #[test]
    fn fewer_than_k_young_people_are_withheld_entirely() {
        let people = many(0, 4, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        let p = plan(&people, ALL, 5, &Floor::default());
        assert!(p.withheld);
        assert_eq!(p.k_achieved, 0);
    }

    #[test]
    fn the_floor_of_earlier_releases_is_kept_and_the_plan_is_still_k_anonymous() {
        // Alone, 50 young people in one month of one district need nothing generalised.
        let people = many(0, 50, keys("14-15", "white", "1", "A", "X", "police", "2025-01"));
        assert_eq!(plan(&people, ALL, 5, &Floor::default()).steps, 0);
        // An earlier release gave the quarter and suppressed five of them's district (a class
        // of its own then): both stay.
        let mut floor = Floor::default();
        floor.levels[index(KeyVariable::ReceivedPeriod)] = 1;
        let district = 1 << index(KeyVariable::District);
        for n in 3..8 {
            floor.forced.insert(Uuid::from_u128(n), district);
        }
        let p = plan(&people, ALL, 5, &floor);
        assert_eq!(p.generalised(), vec!["received_period"]);
        for (who, rows) in &people {
            let shown = p.apply(who, &rows[0]);
            assert_eq!(shown[6], "2025-Q1", "never the month again");
            let forced = (3..8).contains(&who.as_u128());
            assert_eq!(shown[index(KeyVariable::District)] == SUPPRESSED, forced);
        }
        assert_k_anonymous(&people, &p);
        // Two of them alone would be a class smaller than k: they are hidden further (here
        // with others, all their keys suppressed), never released finer.
        let mut two = Floor::default();
        for n in 3..5 {
            two.forced.insert(Uuid::from_u128(n), district);
        }
        let p = plan(&people, ALL, 5, &two);
        assert_k_anonymous(&people, &p);
        for n in 3..5 {
            assert_eq!(p.apply(&Uuid::from_u128(n), &people[n as usize].1[0])[index(KeyVariable::District)], SUPPRESSED);
        }
    }

    #[test]
    fn every_released_signature_has_k_over_many_random_programmes() {
        // A property check over generated programmes: whatever the mix, the plan's output is
        // k-anonymous at the person level.
        let ages = ["11-13", "14-15", "16-17", "18-20", "21-24"];
        let eths = ["white", "black", "asian", "mixed", "other", "not_known"];
        let sources = ["police", "school_college", "self", "health", "family"];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for size in [7usize, 40, 300] {
            for k in [2u64, 5, 10] {
                let people: Vec<(Uuid, Vec<Keys>)> = (0..size)
                    .map(|i| {
                        let rows = 1 + usize::from(next(10) == 0);
                        let v = (0..rows)
                            .map(|_| {
                                let month = format!("2025-{:02}", 1 + next(12));
                                keys(
                                    ages[next(5)],
                                    eths[next(6)],
                                    &(1 + next(5)).to_string(),
                                    ["A", "B"][next(2)],
                                    ["X", "Y", "Z"][next(3)],
                                    sources[next(5)],
                                    &month,
                                )
                            })
                            .collect();
                        person(i as u128, v)
                    })
                    .collect();
                let p = plan(&people, ALL, k, &Floor::default());
                assert_k_anonymous(&people, &p);
                // On a random floor too: it is kept, and the plan stays k-anonymous.
                let mut floor = Floor::default();
                floor.levels[next(7)] = 1 + next(3) as u8;
                for (who, _) in &people {
                    if next(8) == 0 {
                        floor.forced.insert(*who, 1 << next(7));
                    }
                    // What earlier releases gave of her: nothing, or one of a few histories.
                    if next(3) == 0 {
                        floor.history.insert(*who, ["a", "b"][next(2)].to_string());
                    }
                }
                let p = plan(&people, ALL, k, &floor);
                assert_k_anonymous_on(&people, &p, &floor);
                assert!(p.levels.iter().zip(&floor.levels).all(|(l, f)| l >= f));
                for (who, rows) in &people {
                    if let (Some(bits), false) = (floor.forced.get(who), p.withheld || p.withheld_people.contains(who)) {
                        let shown = p.apply(who, &rows[0]);
                        assert!((0..7).filter(|i| bits & (1 << i) != 0).all(|i| shown[i] == SUPPRESSED));
                    }
                }
            }
        }
    }
}
