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
#[path = "anonymity_tests.rs"]
mod tests;
