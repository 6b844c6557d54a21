//! After k-anonymity on the key variables ([`super::anonymity`]), two further protections of
//! the evaluation extract, both pure:
//!
//! - **l-diversity of the sensitive columns** (a concern category, the closure reason): in
//!   each class, a sensitive column is released only if its young people hold at least `l`
//!   distinct non-empty values (each young person's values over her rows counted once);
//!   otherwise it is withheld for the whole class, so that being in a class never tells what
//!   happened to her. A sensitive column is released for every member of a class or for none:
//!   where the guard below has to take it from one, the whole class loses it, so that the
//!   gap cannot single out the one who differs.
//! - **The uniqueness guard**, in both directions: each young person's released rows must fit
//!   another young person's true record, and her own record must fit another's released rows,
//!   on every released column. Where no one else in her class does both, she and the one
//!   nearest to her (the cheapest columns to give up, the columns the evaluation needs most
//!   dearest) both lose the columns on which their records differ, and then each fits the
//!   other. So an intruder holding either record finds at least two pseudonyms, and one
//!   holding either pseudonym at least two records.
//!
//! A withheld or suppressed value is released empty and its column named in the row's
//! `suppressed_columns`, so an analyst never mistakes it for a genuine empty value.

use std::collections::BTreeSet;

use super::extract::Cell;

/// The fewest young people whose true records must fit a young person's released rows on
/// every column: with two, no row can be matched to exactly one person.
pub const UNIQUENESS_FLOOR: usize = 2;

/// The rows being released, by young person.
pub struct Release<'a> {
    /// Each young person's rows (indices into `truth` and `shown`), in the same order for
    /// every member of a class (by released key values).
    pub people: &'a [Vec<usize>],
    /// The classes of young people (indices into `people`).
    pub classes: &'a [Vec<usize>],
    /// Each row's true values (key columns as released: they are equal within a class).
    pub truth: &'a [Vec<Cell>],
    /// What is released of each row; changed in place.
    pub shown: &'a mut [Vec<Cell>],
    /// The columns suppressed or withheld in each row; changed in place.
    pub suppressed: &'a mut [BTreeSet<usize>],
}

impl Release<'_> {
    /// Releases `column` empty on all her rows, and names it in their suppressed columns
    /// (an empty value too: whether it was empty is not told either). Returns the values
    /// newly suppressed.
    fn withhold(&mut self, person: usize, column: usize) -> u64 {
        let mut n = 0;
        for &r in &self.people[person] {
            if self.suppressed[r].insert(column) {
                n += 1;
                self.shown[r][column] = Cell::Null;
            }
        }
        n
    }

    /// Withholds from each young person the columns `floor` names for her (what an earlier
    /// release to the project withheld from her). A sensitive column withheld from anyone in
    /// a class is withheld from all of it, as everywhere. Returns the values newly withheld.
    pub fn keep_floor(&mut self, floor: &[BTreeSet<usize>], sensitive: &[usize]) -> u64 {
        let mut n = 0;
        for ci in 0..self.classes.len() {
            let members = self.classes[ci].clone();
            let class_wide: BTreeSet<usize> =
                members.iter().flat_map(|&p| floor[p].iter().copied()).filter(|c| sensitive.contains(c)).collect();
            for &p in &members {
                for &c in floor[p].iter().chain(&class_wide) {
                    n += self.withhold(p, c);
                }
            }
        }
        n
    }

    /// A young person's values of `column` over her rows, empty ones left out.
    fn values_of(&self, person: usize, column: usize) -> Vec<&Cell> {
        self.people[person].iter().map(|&r| &self.truth[r][column]).filter(|c| **c != Cell::Null).collect()
    }

    /// Withholds, in each class, every sensitive column whose young people hold fewer than
    /// `l` distinct non-empty values (her values over all her rows counted as one). Returns
    /// the smallest number of distinct values among the sensitive columns released (None when
    /// none is) and how many values were withheld.
    pub fn l_diversify(&mut self, sensitive: &[usize], l: usize) -> (Option<usize>, u64) {
        let mut achieved: Option<usize> = None;
        let mut withheld = 0;
        for ci in 0..self.classes.len() {
            let members = self.classes[ci].clone();
            for &column in sensitive {
                let mut values: Vec<Vec<&Cell>> = Vec::new();
                for &p in &members {
                    let v = self.values_of(p, column);
                    if !v.is_empty() && !values.contains(&v) {
                        values.push(v);
                    }
                }
                let distinct = values.len();
                if distinct < l {
                    for &p in &members {
                        withheld += self.withhold(p, column);
                    }
                } else {
                    achieved = Some(achieved.map_or(distinct, |a: usize| a.min(distinct)));
                }
            }
        }
        (achieved, withheld)
    }

    /// The columns of `columns` on which `p`'s and `q`'s true rows differ, paired in order, or
    /// None when they have different numbers of rows.
    fn differences(&self, p: usize, q: usize, columns: &[usize]) -> Option<BTreeSet<usize>> {
        let (ps, qs) = (&self.people[p], &self.people[q]);
        if ps.len() != qs.len() {
            return None;
        }
        let mut out = BTreeSet::new();
        for (&pr, &qr) in ps.iter().zip(qs) {
            for &c in columns {
                if self.truth[pr][c] != self.truth[qr][c] {
                    out.insert(c);
                }
            }
        }
        Some(out)
    }

    /// Whether `p` and `q` each fit the other: every column on which their records differ is
    /// suppressed in both.
    fn mutual(&self, p: usize, q: usize, diff: &BTreeSet<usize>) -> bool {
        let suppressed_in = |who: usize, c: usize| self.people[who].iter().all(|&r| self.suppressed[r].contains(&c));
        diff.iter().all(|&c| suppressed_in(p, c) && suppressed_in(q, c))
    }

    /// The uniqueness guard (see the module's documentation). `columns` are the released
    /// columns compared (the key columns are equal within a class by construction); `order`
    /// ranks them from cheapest to give up to dearest; `sensitive` are released for a whole
    /// class or not at all. Returns the values suppressed.
    pub fn guard(&mut self, columns: &[usize], order: &[usize], sensitive: &[usize]) -> u64 {
        let cost = |c: &usize| order.iter().position(|o| o == c).map_or(order.len() as u64 + 1, |i| i as u64 + 1);
        let mut suppressed = 0;
        for ci in 0..self.classes.len() {
            let members = self.classes[ci].clone();
            for &p in &members {
                let mut cheapest: Option<(u64, usize, BTreeSet<usize>)> = None;
                let mut fits = false;
                for &q in members.iter().filter(|&&q| q != p) {
                    let Some(diff) = self.differences(p, q, columns) else { continue };
                    if self.mutual(p, q, &diff) {
                        fits = true;
                        break;
                    }
                    let unsuppressed = |who: usize, c: usize| !self.people[who].iter().all(|&r| self.suppressed[r].contains(&c));
                    let c: u64 = diff.iter().map(|c| cost(c) * (u64::from(unsuppressed(p, *c)) + u64::from(unsuppressed(q, *c)))).sum();
                    if cheapest.as_ref().is_none_or(|(best, ..)| c < *best) {
                        cheapest = Some((c, q, diff));
                    }
                }
                if !fits && let Some((_, q, diff)) = cheapest {
                    for c in diff {
                        suppressed += self.withhold(p, c) + self.withhold(q, c);
                    }
                }
            }
            // A sensitive column the guard took from anyone in the class goes from all of it.
            for &column in sensitive {
                let taken = members.iter().any(|&p| self.people[p].iter().any(|&r| self.suppressed[r].contains(&column)));
                if taken {
                    for &p in &members {
                        suppressed += self.withhold(p, column);
                    }
                }
            }
        }
        suppressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Cell {
        Cell::Str(v.into())
    }

    fn singles(n: usize) -> Vec<Vec<usize>> {
        (0..n).map(|i| vec![i]).collect()
    }

    /// Everyone in a class of two or more has another whose record and released rows each fit
    /// the other's.
    fn assert_mutual(truth: &[Vec<Cell>], shown: &[Vec<Cell>], suppressed: &[BTreeSet<usize>], classes: &[Vec<usize>]) {
        let fits = |a: usize, b: usize| (0..truth[a].len()).all(|c| suppressed[a].contains(&c) || shown[a][c] == truth[b][c]);
        for class in classes.iter().filter(|c| c.len() > 1) {
            for &p in class {
                assert!(class.iter().any(|&q| q != p && fits(p, q) && fits(q, p)), "{p} is alone: {:?}", shown[p]);
            }
        }
    }

    #[test]
    fn a_class_with_one_value_of_a_sensitive_column_has_it_withheld() {
        // Columns: 0 key, 1 sensitive. Class A: both "cse" (withheld); class B: two values.
        let truth = vec![vec![s("a"), s("cse")], vec![s("a"), s("cse")], vec![s("b"), s("cse")], vec![s("b"), s("none")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 4];
        let people = singles(4);
        let classes = vec![vec![0, 1], vec![2, 3]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        let (l, withheld) = r.l_diversify(&[1], 2);
        assert_eq!((l, withheld), (Some(2), 2));
        assert_eq!(shown[0][1], Cell::Null);
        assert!(suppressed[1].contains(&1));
        assert_eq!(shown[2][1], s("cse"));
        assert!(suppressed[3].is_empty());
    }

    #[test]
    fn l_diversity_counts_young_people_and_not_empty_values() {
        // Two girls, each with a closed and an open referral closed the same way: two distinct
        // row values (the reason and empty), but one value among the young people.
        let truth = vec![vec![s("completed")], vec![Cell::Null], vec![s("completed")], vec![Cell::Null]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 4];
        let people = vec![vec![0, 1], vec![2, 3]];
        let classes = vec![vec![0, 1]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        assert_eq!(r.l_diversify(&[0], 2), (None, 4));
        assert!(suppressed.iter().all(|s| s.contains(&0)));
        // One closed, one open: the open one says nothing, so the closed one's reason is alone.
        let truth = vec![vec![s("moved_away")], vec![Cell::Null]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 2];
        let people = singles(2);
        let classes = vec![vec![0, 1]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        assert_eq!(r.l_diversify(&[0], 2).0, None);
        assert_eq!(shown[0][0], Cell::Null);
    }

    #[test]
    fn the_one_who_differs_and_her_nearest_both_lose_the_column() {
        // She (0) differs from two identical others in column 1 only. Taking it from her alone
        // would leave her record fitting only her own rows; it goes from her nearest too.
        let truth = vec![vec![s("k"), s("x")], vec![s("k"), s("y")], vec![s("k"), s("y")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 3];
        let people = singles(3);
        let classes = vec![vec![0, 1, 2]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        assert_eq!(r.guard(&[1], &[1], &[]), 2);
        assert_eq!(shown[0], vec![s("k"), Cell::Null]);
        assert_eq!(shown[1], vec![s("k"), Cell::Null]);
        assert_eq!(shown[2], truth[2], "the third keeps hers");
        assert_mutual(&truth, &shown, &suppressed, &classes);
    }

    #[test]
    fn the_cheapest_partner_is_chosen() {
        // 0 = (a, b, c) differs from 1 and 3 = (x, y, c) in columns 0 and 1, and from
        // 2 = (a, b, z) in column 2 only; 1 and 3 are alike.
        let truth: Vec<Vec<Cell>> =
            [["a", "b", "c"], ["x", "y", "c"], ["a", "b", "z"], ["x", "y", "c"]].iter().map(|r| r.iter().map(|v| s(v)).collect()).collect();
        let people = singles(4);
        let classes = vec![vec![0, 1, 2, 3]];
        // Column 2 cheapest: 0 and 2 give it up; 1 and 3 keep everything.
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 4];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        r.guard(&[0, 1, 2], &[2, 0, 1], &[]);
        assert_eq!(suppressed, vec![BTreeSet::from([2]), BTreeSet::new(), BTreeSet::from([2]), BTreeSet::new()]);
        assert_mutual(&truth, &shown, &suppressed, &classes);
        // Column 2 dearest: 0 and 1 give up columns 0 and 1; then 2 pairs with 0.
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 4];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        r.guard(&[0, 1, 2], &[0, 1, 3, 2], &[]);
        assert_eq!(suppressed, vec![BTreeSet::from([0, 1, 2]), BTreeSet::from([0, 1]), BTreeSet::from([2]), BTreeSet::new()]);
        assert_mutual(&truth, &shown, &suppressed, &classes);
    }

    #[test]
    fn a_sensitive_column_the_guard_takes_from_one_goes_from_the_whole_class() {
        // She alone has a concern (column 1, sensitive): the gap would point at her.
        let truth = vec![vec![s("k"), Cell::Bool(true)], vec![s("k"), Cell::Bool(false)], vec![s("k"), Cell::Bool(false)]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 3];
        let people = singles(3);
        let classes = vec![vec![0, 1, 2]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        r.guard(&[1], &[1], &[1]);
        assert!(shown.iter().all(|row| row[1] == Cell::Null), "{shown:?}");
        assert!(suppressed.iter().all(|s| s.contains(&1)));
    }

    #[test]
    fn after_the_guard_everyone_has_a_mutual_partner_in_generated_tables() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..50 {
            let n = 2 + next(12) as usize;
            let width = 1 + next(6) as usize;
            let truth: Vec<Vec<Cell>> = (0..n).map(|_| (0..width).map(|_| Cell::Int(next(3) as i64)).collect()).collect();
            let mut shown = truth.clone();
            let mut suppressed = vec![BTreeSet::new(); n];
            let people = singles(n);
            let classes = vec![(0..n).collect::<Vec<_>>()];
            let columns: Vec<usize> = (0..width).collect();
            let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
            r.guard(&columns, &columns, &[]);
            assert_mutual(&truth, &shown, &suppressed, &classes);
        }
    }
}
