//! k-anonymity of the evaluation extract over its five quasi-identifiers (age band, ethnic
//! group, IMD quintile, charity, district). Pure: class counts in, a plan out.
//!
//! The counts given to [`plan`] are of young people, not rows: a young person's rows all
//! carry her quasi-identifiers, so a class of k people is k distinct pseudonyms however many
//! referrals each has. [`Plan::count_rows`] then restates the plan's totals in rows.
//!
//! The rule: try the generalisation levels in order (none; district to "county"; then also
//! the quintile to "1-2"/"3-5"; then also the ethnic group to "global_majority"/"white"/
//! "not_stated") and take the first at which the rows in classes smaller than k are at most
//! 5% of all rows (or the last level if none is). Only then suppress, as little as will do:
//! the rows still in classes smaller than k have their quasi-identifiers replaced by
//! "suppressed" one at a time, in [`SUPPRESSION_ORDER`] (charity first, ethnic group last),
//! and rows stop losing values as soon as the class they form with the other rows suppressed
//! as far is at least k. The rows left after all five form one all-suppressed class; if it
//! has fewer than k rows, the next-smallest whole released classes join it until it has k.
//! An extract of fewer than k rows is withheld entirely. Afterwards every combination of the
//! five values in the output occurs at least k times.

use std::collections::{BTreeMap, HashMap};

/// The value that replaces a suppressed quasi-identifier.
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
/// The share of rows (in per cent) that may stay in small classes before generalising further.
pub const SMALL_CLASS_SHARE_PERCENT: u64 = 5;
/// The order in which a small class's quasi-identifiers are suppressed: what an evaluation of
/// disproportionality needs most (ethnic group, age, deprivation) is given up last.
pub const SUPPRESSION_ORDER: [&str; 5] = ["charity", "district", "imd_quintile", "age_band", "ethnic_group"];

/// One row's quasi-identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qi {
    pub age_band: String,
    pub ethnic_group: String,
    pub imd_quintile: String,
    pub charity: String,
    pub district: String,
}

impl Qi {
    pub fn suppressed() -> Self {
        Qi::default().masked(5)
    }

    /// This combination with its first `n` quasi-identifiers in [`SUPPRESSION_ORDER`]
    /// replaced by "suppressed".
    pub fn masked(&self, n: u8) -> Self {
        let mut out = self.clone();
        let fields = [&mut out.charity, &mut out.district, &mut out.imd_quintile, &mut out.age_band, &mut out.ethnic_group];
        for f in fields.into_iter().take(usize::from(n)) {
            *f = SUPPRESSED.to_string();
        }
        out
    }
}

/// How far the values are generalised; each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    District,
    Quintile,
    Ethnicity,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::None, Level::District, Level::Quintile, Level::Ethnicity];

    /// The names of the columns generalised at this level, in the order they were.
    pub fn generalised(self) -> Vec<&'static str> {
        let all = ["district", "imd_quintile", "ethnic_group"];
        let n = match self {
            Level::None => 0,
            Level::District => 1,
            Level::Quintile => 2,
            Level::Ethnicity => 3,
        };
        all[..n].to_vec()
    }
}

/// The generalised form of a quintile ("1".."5"); anything else ("not_known") is kept.
pub fn generalise_quintile(q: &str) -> String {
    match q {
        "1" | "2" => QUINTILE_MOST_DEPRIVED.into(),
        "3" | "4" | "5" => QUINTILE_LEAST_DEPRIVED.into(),
        other => other.into(),
    }
}

/// The generalised form of one of the high-level ethnic groups.
pub fn generalise_ethnic_group(g: &str) -> String {
    match g {
        "white" => WHITE.into(),
        "prefer_not_to_say" | "not_known" => NOT_STATED.into(),
        _ => GLOBAL_MAJORITY.into(),
    }
}

/// `qi` generalised to `level`.
pub fn generalise(qi: &Qi, level: Level) -> Qi {
    let mut out = qi.clone();
    if level >= Level::District {
        out.district = COUNTY.into();
    }
    if level >= Level::Quintile {
        out.imd_quintile = generalise_quintile(&qi.imd_quintile);
    }
    if level >= Level::Ethnicity {
        out.ethnic_group = generalise_ethnic_group(&qi.ethnic_group);
    }
    out
}

/// What to do to the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub k: u64,
    pub level: Level,
    /// Classes (after generalisation) whose rows lose values, with how many (1–5, in
    /// [`SUPPRESSION_ORDER`]).
    pub suppressed_classes: BTreeMap<Qi, u8>,
    /// Rows with at least one quasi-identifier suppressed.
    pub suppressed_rows: u64,
    /// Quasi-identifier values replaced by "suppressed".
    pub suppressed_values: u64,
    /// Fewer than k rows in all: none is released.
    pub withheld: bool,
    /// Rows released.
    pub rows: u64,
}

impl Plan {
    /// Values replaced by "suppressed".
    pub fn suppressed_values(&self) -> u64 {
        self.suppressed_values
    }

    /// Restates `rows`, `suppressed_rows` and `suppressed_values` in rows, given the rows of
    /// each ungeneralised class, for a plan made from counts of people (which k is about).
    pub fn count_rows(&mut self, rows: &HashMap<Qi, u64>) {
        if self.withheld {
            return;
        }
        let (mut total, mut suppressed_rows, mut suppressed_values) = (0, 0, 0);
        for (qi, n) in rows {
            total += n;
            if let Some(&m) = self.suppressed_classes.get(&generalise(qi, self.level)) {
                suppressed_rows += n;
                suppressed_values += n * u64::from(m);
            }
        }
        self.rows = total;
        self.suppressed_rows = suppressed_rows;
        self.suppressed_values = suppressed_values;
    }

    /// The quasi-identifiers a row with `qi` (ungeneralised) is released with.
    pub fn apply(&self, qi: &Qi) -> Qi {
        let g = generalise(qi, self.level);
        match self.suppressed_classes.get(&g) {
            Some(&n) => g.masked(n),
            None => g,
        }
    }
}

fn counts_at(counts: &HashMap<Qi, u64>, level: Level) -> BTreeMap<Qi, u64> {
    let mut out = BTreeMap::new();
    for (qi, n) in counts {
        *out.entry(generalise(qi, level)).or_insert(0) += n;
    }
    out
}

/// Decides the generalisation and suppression from the class counts of the ungeneralised
/// quasi-identifiers. Memory is bounded by the number of classes.
pub fn plan(counts: &HashMap<Qi, u64>, k: u64) -> Plan {
    let k = k.max(1);
    let total: u64 = counts.values().sum();
    if total < k {
        return Plan::withheld(k);
    }
    let mut chosen = None;
    for level in Level::ALL {
        let classes = counts_at(counts, level);
        let small: u64 = classes.values().filter(|n| **n < k).sum();
        let acceptable = small * 100 <= total * SMALL_CLASS_SHARE_PERCENT;
        if acceptable || level == Level::Ethnicity {
            chosen = Some((level, classes));
            break;
        }
    }
    let Some((level, classes)) = chosen else {
        // Unreachable: the last level is always taken.
        return Plan::withheld(k);
    };
    // Suppress one more value at a time; a group of masked classes whose rows reach k
    // together is released at that mask.
    let mut suppressed_classes: BTreeMap<Qi, u8> = BTreeMap::new();
    let mut pending: Vec<&Qi> = classes.iter().filter(|(_, n)| **n < k).map(|(q, _)| q).collect();
    for mask in 1..=5u8 {
        let mut groups: BTreeMap<Qi, (u64, Vec<&Qi>)> = BTreeMap::new();
        for q in pending.drain(..) {
            let g = groups.entry(q.masked(mask)).or_default();
            g.0 += classes.get(q).copied().unwrap_or(0);
            g.1.push(q);
        }
        for (_, (n, members)) in groups {
            if n >= k || mask == 5 {
                suppressed_classes.extend(members.into_iter().map(|q| (q.clone(), mask)));
            } else {
                pending.extend(members);
            }
        }
    }
    // The all-suppressed class, if any, may still be smaller than k: the next-smallest whole
    // released classes join it.
    let released = |plan_classes: &BTreeMap<Qi, u8>| {
        let mut out: BTreeMap<Qi, u64> = BTreeMap::new();
        for (q, n) in &classes {
            let shown = plan_classes.get(q).map_or_else(|| q.clone(), |&m| q.masked(m));
            *out.entry(shown).or_insert(0) += n;
        }
        out
    };
    let all_suppressed = Qi::suppressed();
    let mut out = released(&suppressed_classes);
    while let Some(&n) = out.get(&all_suppressed)
        && n < k
    {
        let Some((smallest, _)) = out.iter().filter(|(q, _)| **q != all_suppressed).min_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)))
        else {
            break; // everything is already in it, and total >= k
        };
        let smallest = smallest.clone();
        for (q, _) in classes.iter() {
            let shown = suppressed_classes.get(q).map_or_else(|| q.clone(), |&m| q.masked(m));
            if shown == smallest {
                suppressed_classes.insert(q.clone(), 5);
            }
        }
        out = released(&suppressed_classes);
    }
    let suppressed_rows = suppressed_classes.keys().map(|q| classes.get(q).copied().unwrap_or(0)).sum();
    let suppressed_values = suppressed_classes.iter().map(|(q, m)| classes.get(q).copied().unwrap_or(0) * u64::from(*m)).sum();
    Plan { k, level, suppressed_classes, suppressed_rows, suppressed_values, withheld: false, rows: total }
}

impl Plan {
    fn withheld(k: u64) -> Self {
        Plan {
            k,
            level: Level::None,
            suppressed_classes: BTreeMap::new(),
            suppressed_rows: 0,
            suppressed_values: 0,
            withheld: true,
            rows: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qi(age: &str, eth: &str, q: &str, charity: &str, district: &str) -> Qi {
        Qi { age_band: age.into(), ethnic_group: eth.into(), imd_quintile: q.into(), charity: charity.into(), district: district.into() }
    }

    fn counts(rows: &[(Qi, u64)]) -> HashMap<Qi, u64> {
        let mut m = HashMap::new();
        for (q, n) in rows {
            *m.entry(q.clone()).or_insert(0) += n;
        }
        m
    }

    /// The acceptance rule, literally: every released combination occurs at least k times.
    fn released(c: &HashMap<Qi, u64>, p: &Plan) -> BTreeMap<Qi, u64> {
        let mut out = BTreeMap::new();
        if p.withheld {
            return out;
        }
        for (q, n) in c {
            *out.entry(p.apply(q)).or_insert(0) += n;
        }
        out
    }

    fn assert_k_anonymous(c: &HashMap<Qi, u64>, p: &Plan) {
        let out = released(c, p);
        for (q, n) in &out {
            assert!(*n >= p.k, "class {q:?} has {n} rows, fewer than k = {}", p.k);
        }
        if !p.withheld {
            assert_eq!(out.values().sum::<u64>(), c.values().sum::<u64>());
        }
    }

    #[test]
    fn nothing_is_changed_when_every_class_is_large() {
        let c = counts(&[(qi("14-15", "white", "1", "A", "Ashworth"), 6), (qi("16-17", "black", "2", "A", "Fenwick"), 5)]);
        let p = plan(&c, 5);
        assert_eq!(p.level, Level::None);
        assert!(p.suppressed_classes.is_empty());
        assert_eq!(p.suppressed_values(), 0);
        assert_eq!(p.rows, 11);
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn districts_are_generalised_first() {
        // Two districts with 3 rows each: 6 of 6 rows in small classes; one county class of 6.
        let c = counts(&[(qi("14-15", "white", "1", "A", "Ashworth"), 3), (qi("14-15", "white", "1", "A", "Fenwick"), 3)]);
        let p = plan(&c, 5);
        assert_eq!(p.level, Level::District);
        assert_eq!(p.level.generalised(), vec!["district"]);
        assert!(p.suppressed_classes.is_empty());
        assert_eq!(p.apply(&qi("14-15", "white", "1", "A", "Ashworth")).district, "county");
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn quintiles_then_ethnic_groups_are_generalised() {
        // After the district and the quintile: white 1-2 has 6; asian 3 and black 3 only
        // reach 6 together as the global majority.
        let c = counts(&[
            (qi("14-15", "white", "1", "A", "X"), 3),
            (qi("14-15", "white", "2", "A", "Y"), 3),
            (qi("14-15", "asian", "1", "A", "X"), 3),
            (qi("14-15", "black", "2", "A", "Y"), 3),
        ]);
        let p = plan(&c, 5);
        assert_eq!(p.level, Level::Ethnicity);
        assert_eq!(p.level.generalised(), vec!["district", "imd_quintile", "ethnic_group"]);
        assert!(p.suppressed_classes.is_empty());
        let out = released(&c, &p);
        assert_eq!(out.get(&qi("14-15", "global_majority", "1-2", "A", "county")), Some(&6));
        assert_eq!(out.get(&qi("14-15", "white", "1-2", "A", "county")), Some(&6));
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn a_small_share_in_small_classes_stops_generalisation_and_is_suppressed_with_the_next_smallest() {
        // 100 rows in big classes, 2 in a small one (under 5%): no generalisation. The two
        // alone are fewer than k, so the smallest big class (10) joins them.
        let c = counts(&[
            (qi("14-15", "white", "1", "A", "X"), 50),
            (qi("16-17", "white", "1", "A", "X"), 40),
            (qi("18-20", "white", "1", "A", "X"), 10),
            (qi("21-24", "mixed", "5", "B", "Y"), 2),
        ]);
        let p = plan(&c, 5);
        assert_eq!(p.level, Level::None);
        assert_eq!(p.suppressed_rows, 12);
        assert_eq!(p.suppressed_values(), 60);
        assert_eq!(p.suppressed_classes.get(&qi("18-20", "white", "1", "A", "X")), Some(&5));
        assert_eq!(p.apply(&qi("21-24", "mixed", "5", "B", "Y")), Qi::suppressed());
        assert_eq!(p.apply(&qi("14-15", "white", "1", "A", "X")), qi("14-15", "white", "1", "A", "X"));
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn small_classes_that_together_reach_k_are_suppressed_alone() {
        let mut rows: Vec<(Qi, u64)> = (0..20).map(|i| (qi("14-15", "white", "1", &format!("C{i}"), "X"), 10)).collect();
        for i in 0..3 {
            rows.push((qi("21-24", "asian", "5", &format!("S{i}"), "Y"), 2));
        }
        let c = counts(&rows);
        let p = plan(&c, 5);
        // 6 of 206 rows small (under 5%): no generalisation. Suppressing the charity alone
        // brings the three small classes together (6 rows): nothing else of theirs is lost.
        assert_eq!(p.level, Level::None);
        assert_eq!(p.suppressed_rows, 6);
        assert_eq!(p.suppressed_values(), 6);
        assert_eq!(p.suppressed_classes.len(), 3);
        assert_eq!(p.apply(&qi("21-24", "asian", "5", "S1", "Y")), qi("21-24", "asian", "5", "suppressed", "Y"));
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn values_are_suppressed_one_at_a_time_in_order() {
        // k = 5. Big classes of 100 keep everything. Two rows of one charity and district and
        // two of another share age, group and quintile: with charity and district suppressed
        // they are 4, still small; with the quintile too they join a third pair (quintile 3)
        // and make 6. Hand-worked: 6 rows lose 3 values each (charity, district, quintile).
        let c = counts(&[
            (qi("14-15", "white", "1", "A", "X"), 100),
            (qi("16-17", "white", "2", "B", "Y"), 100),
            (qi("18-20", "black", "1", "A", "X"), 2),
            (qi("18-20", "black", "1", "B", "Y"), 2),
            (qi("18-20", "black", "3", "C", "Z"), 2),
        ]);
        let p = plan(&c, 5);
        assert_eq!(p.level, Level::None);
        assert_eq!(p.suppressed_rows, 6);
        assert_eq!(p.suppressed_values(), 18);
        let shown = qi("18-20", "black", "suppressed", "suppressed", "suppressed");
        assert_eq!(p.apply(&qi("18-20", "black", "1", "A", "X")), shown);
        assert_eq!(p.apply(&qi("18-20", "black", "3", "C", "Z")), shown);
        assert_eq!(released(&c, &p).get(&shown), Some(&6));
        assert_k_anonymous(&c, &p);
    }

    #[test]
    fn fewer_than_k_rows_are_withheld() {
        let c = counts(&[(qi("14-15", "white", "1", "A", "X"), 4)]);
        let p = plan(&c, 5);
        assert!(p.withheld);
        assert_eq!(p.rows, 0);
        assert!(released(&c, &p).is_empty());
        let empty = plan(&HashMap::new(), 5);
        assert!(empty.withheld);
    }

    #[test]
    fn every_class_is_at_least_k_whatever_the_input() {
        // A deterministic spread of awkward inputs.
        let ages = ["11-13", "14-15", "16-17", "18-20", "21-24"];
        let eths = ["asian", "black", "mixed", "white", "other", "prefer_not_to_say", "not_known"];
        let qs = ["1", "2", "3", "4", "5", "not_known"];
        let mut seed = 7u64;
        for k in [2u64, 5, 10] {
            for size in [5usize, 12, 40, 300] {
                let mut rows = Vec::new();
                for _ in 0..size {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let r = (seed >> 33) as usize;
                    rows.push((
                        qi(ages[r % 5], eths[(r / 5) % 7], qs[(r / 35) % 6], ["A", "B", "C"][(r / 210) % 3], ["X", "Y"][(r / 630) % 2]),
                        1 + (r % 3) as u64,
                    ));
                }
                let c = counts(&rows);
                let p = plan(&c, k);
                assert_k_anonymous(&c, &p);
            }
        }
    }

    #[test]
    fn a_plan_on_people_is_restated_in_rows() {
        // Four people in one class, with six referrals between them, are fewer than k = 5
        // however many rows they have: they are suppressed with the next-smallest class.
        let small = qi("21-24", "mixed", "5", "B", "Y");
        let big = qi("14-15", "white", "1", "A", "X");
        let next = qi("16-17", "white", "1", "A", "X");
        let people = counts(&[(big.clone(), 50), (next.clone(), 10), (small.clone(), 4)]);
        let rows = counts(&[(big.clone(), 60), (next.clone(), 11), (small.clone(), 6)]);
        let mut p = plan(&people, 5);
        assert_eq!(p.apply(&small), Qi::suppressed());
        assert_k_anonymous(&people, &p);
        p.count_rows(&rows);
        assert_eq!(p.rows, 77);
        assert_eq!(p.suppressed_rows, 17);
        assert_eq!(p.suppressed_values(), 85);
    }

    #[test]
    fn generalised_forms() {
        assert_eq!(generalise_quintile("2"), "1-2");
        assert_eq!(generalise_quintile("3"), "3-5");
        assert_eq!(generalise_quintile("not_known"), "not_known");
        assert_eq!(generalise_ethnic_group("white"), "white");
        assert_eq!(generalise_ethnic_group("mixed"), "global_majority");
        assert_eq!(generalise_ethnic_group("not_known"), "not_stated");
        assert_eq!(generalise_ethnic_group("prefer_not_to_say"), "not_stated");
    }
}
