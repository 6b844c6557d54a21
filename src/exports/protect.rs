//! After k-anonymity on the key variables ([`super::anonymity`]), two further protections of
//! the evaluation extract, both pure:
//!
//! - **l-diversity of the sensitive columns** (a concern category, the closure reason): in
//!   each class, a sensitive column is released only if its rows hold at least `l` distinct
//!   values; otherwise it is withheld for the whole class, so that being in a class never
//!   tells what happened to her.
//! - **The uniqueness guard**: joined on every released column, each young person's rows must
//!   be consistent with at least [`UNIQUENESS_FLOOR`] young people's true records. Where only
//!   hers are, her columns are suppressed one at a time, in the order given (the most
//!   identifying and least needed first), until another young person's record fits too.
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

    /// Withholds, in each class, every sensitive column whose rows hold fewer than `l`
    /// distinct values. Returns the smallest number of distinct values among the sensitive
    /// columns released (None when none is) and how many values were withheld.
    pub fn l_diversify(&mut self, sensitive: &[usize], l: usize) -> (Option<usize>, u64) {
        let mut achieved: Option<usize> = None;
        let mut withheld = 0;
        for ci in 0..self.classes.len() {
            for &column in sensitive {
                let mut values: Vec<&Cell> = Vec::new();
                for &p in &self.classes[ci] {
                    for &r in &self.people[p] {
                        let v = &self.truth[r][column];
                        if !values.contains(&v) {
                            values.push(v);
                        }
                    }
                }
                let distinct = values.len();
                if distinct < l {
                    let members = self.classes[ci].clone();
                    for p in members {
                        withheld += self.withhold(p, column);
                    }
                } else {
                    achieved = Some(achieved.map_or(distinct, |a: usize| a.min(distinct)));
                }
            }
        }
        (achieved, withheld)
    }

    /// The columns of `columns` on which `q`'s true rows differ from `p`'s released ones (not
    /// already suppressed), or None when they have different numbers of rows.
    fn differences(&self, p: usize, q: usize, columns: &[usize]) -> Option<BTreeSet<usize>> {
        let (ps, qs) = (&self.people[p], &self.people[q]);
        if ps.len() != qs.len() {
            return None;
        }
        let mut out = BTreeSet::new();
        for (&pr, &qr) in ps.iter().zip(qs) {
            for &c in columns {
                if !self.suppressed[pr].contains(&c) && self.shown[pr][c] != self.truth[qr][c] {
                    out.insert(c);
                }
            }
        }
        Some(out)
    }

    /// For each young person whose released rows only her own record fits, suppresses the
    /// cheapest set of her columns that makes another record of her class fit: the columns on
    /// which she differs from the young person she is closest to, a column costing more the
    /// later it stands in `order` (the columns the evaluation needs most are dearest).
    /// `columns` are the released columns compared (the key columns are equal within a class
    /// by construction). Returns the values suppressed.
    pub fn guard(&mut self, columns: &[usize], order: &[usize]) -> u64 {
        let cost = |c: &usize| order.iter().position(|o| o == c).map_or(order.len() as u64 + 1, |i| i as u64 + 1);
        let mut suppressed = 0;
        for ci in 0..self.classes.len() {
            let members = self.classes[ci].clone();
            for &p in &members {
                let mut fitting = 1;
                let mut cheapest: Option<(u64, BTreeSet<usize>)> = None;
                for &q in members.iter().filter(|&&q| q != p) {
                    let Some(diff) = self.differences(p, q, columns) else { continue };
                    if diff.is_empty() {
                        fitting += 1;
                        if fitting >= UNIQUENESS_FLOOR {
                            break;
                        }
                        continue;
                    }
                    let c: u64 = diff.iter().map(cost).sum();
                    if cheapest.as_ref().is_none_or(|(best, _)| c < *best) {
                        cheapest = Some((c, diff));
                    }
                }
                if fitting < UNIQUENESS_FLOOR
                    && let Some((_, diff)) = cheapest
                {
                    for c in diff {
                        suppressed += self.withhold(p, c);
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

    #[test]
    fn a_class_with_one_value_of_a_sensitive_column_has_it_withheld() {
        // Columns: 0 key, 1 sensitive. Class A: both "cse" (withheld); class B: two values.
        let truth = vec![vec![s("a"), s("cse")], vec![s("a"), s("cse")], vec![s("b"), s("cse")], vec![s("b"), s("none")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 4];
        let people = vec![vec![0], vec![1], vec![2], vec![3]];
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
    fn a_young_person_only_her_own_record_fits_loses_the_columns_she_differs_in() {
        // One class of three: she (0) differs from both others in columns 1 and 2; the others
        // share everything.
        let truth = vec![vec![s("k"), s("x"), s("1")], vec![s("k"), s("y"), s("2")], vec![s("k"), s("y"), s("2")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 3];
        let people = vec![vec![0], vec![1], vec![2]];
        let classes = vec![vec![0, 1, 2]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        let n = r.guard(&[1, 2], &[2, 1]);
        assert_eq!(n, 2, "both of her columns had to go");
        assert_eq!(shown[0], vec![s("k"), Cell::Null, Cell::Null]);
        assert_eq!(shown[1], truth[1], "the two alike keep theirs");
        assert_eq!(suppressed[0], BTreeSet::from([1, 2]));
    }

    #[test]
    fn the_guard_suppresses_no_more_than_another_record_needs() {
        let truth = vec![vec![s("x"), s("1")], vec![s("x"), s("2")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 2];
        let people = vec![vec![0], vec![1]];
        let classes = vec![vec![0, 1]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        assert_eq!(r.guard(&[0, 1], &[1, 0]), 2, "one column each");
        assert_eq!(shown[0], vec![s("x"), Cell::Null]);
        assert_eq!(shown[1], vec![s("x"), Cell::Null]);
    }

    #[test]
    fn the_cheapest_record_to_reach_is_chosen() {
        // She (0) differs from 1 in columns 0 and 1, and from 2 in column 2 only. With column
        // 2 first in the order (cheapest), she loses column 2 alone.
        let truth = vec![vec![s("a"), s("b"), s("c")], vec![s("x"), s("y"), s("c")], vec![s("a"), s("b"), s("z")]];
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 3];
        let people = vec![vec![0], vec![1], vec![2]];
        let classes = vec![vec![0, 1, 2]];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        r.guard(&[0, 1, 2], &[2, 0, 1]);
        assert_eq!(suppressed[0], BTreeSet::from([2]));
        // With column 2 dearest (4, against 1 + 2 for the other two), she loses 0 and 1.
        let mut shown = truth.clone();
        let mut suppressed = vec![BTreeSet::new(); 3];
        let mut r = Release { people: &people, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
        r.guard(&[0, 1, 2], &[0, 1, 3, 2]);
        assert_eq!(suppressed[0], BTreeSet::from([0, 1]));
    }
}
