//! Disclosure control: the one function every published count goes through.
//!
//! Two modes, chosen by configuration (`disclosure_mode`, `disclosure_k`):
//!
//! - `nhs` (NHS Digital's rule for published statistics): 0 is shown as 0; 1 to 7 as "*";
//!   8 and above rounded to the nearest 5. Rounding already hides the exact small values, so
//!   no secondary suppression is needed: a total is rounded on its own, never summed from
//!   rounded cells.
//! - `threshold`: a count from 1 to k − 1 is hidden (0 is shown: a structural zero
//!   discloses nothing about a person). Every hidden cell, whether below k or hidden to
//!   protect another, is shown as the one neutral symbol "[c]" (the Government Statistical
//!   Service's convention), so the symbol never says which cells are small. In a table whose row and column totals are published,
//!   a single hidden value in a row (or column) could be worked out from the others; so the
//!   totals are treated as one more column and one more row (the grand total in the corner),
//!   and in every line of that extended table with exactly one hidden value the smallest
//!   other non-zero value (a cell or a total) is hidden too, repeated until every line has
//!   none or at least two.
//!
//! A share is published only when it is over at least [`Rule::min_people`] people; a mean,
//! median or quartile only over at least [`MIN_PEOPLE_FOR_AVERAGES`] (with five values,
//! the mean and the quartiles leave only two unknown).

use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{Config, DisclosureMode};

/// The symbol of every hidden count in `threshold` mode.
pub const THRESHOLD_SYMBOL: &str = "[c]";

/// The fewest people a mean, median or quartile is published for, whatever the mode.
pub const MIN_PEOPLE_FOR_AVERAGES: u64 = 10;

/// A published count: the number shown, or the symbol that stands in for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Published {
    /// The count as published (rounded to the nearest 5 in `nhs` mode).
    Shown(u64),
    /// "*" (`nhs`) or "[c]" (`threshold`).
    Hidden(String),
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Published::Shown(n) => write!(f, "{n}"),
            Published::Hidden(s) => f.write_str(s),
        }
    }
}

impl Published {
    pub fn is_hidden(&self) -> bool {
        matches!(self, Published::Hidden(_))
    }
}

/// A table of counts as published, with its row and column totals and grand total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublishedTable {
    /// `cells[row][column]`.
    pub cells: Vec<Vec<Published>>,
    pub row_totals: Vec<Published>,
    pub column_totals: Vec<Published>,
    pub total: Published,
}

/// The small-number rule in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub mode: DisclosureMode,
    /// The threshold of the `threshold` mode (at least 2).
    pub k: u32,
}

impl Rule {
    pub fn from_config(config: &Config) -> Self {
        Self { mode: config.disclosure_mode, k: config.disclosure_k.max(2) }
    }

    /// One count standing alone (or a total): the primary rule.
    pub fn count(&self, n: u64) -> Published {
        match self.mode {
            DisclosureMode::Nhs => match n {
                0 => Published::Shown(0),
                1..=7 => Published::Hidden("*".into()),
                _ => Published::Shown((n + 2) / 5 * 5),
            },
            DisclosureMode::Threshold => {
                if n == 0 || n >= u64::from(self.k) {
                    Published::Shown(n)
                } else {
                    Published::Hidden(self.hidden_symbol())
                }
            }
        }
    }

    /// The symbol a hidden count is shown as.
    pub fn hidden_symbol(&self) -> String {
        match self.mode {
            DisclosureMode::Nhs => "*".into(),
            DisclosureMode::Threshold => THRESHOLD_SYMBOL.into(),
        }
    }

    /// The fewest people a mean, median or share is published for: k in `threshold` mode,
    /// 8 (the smallest count `nhs` shows) in `nhs` mode.
    pub fn min_people(&self) -> u64 {
        match self.mode {
            DisclosureMode::Nhs => 8,
            DisclosureMode::Threshold => u64::from(self.k),
        }
    }

    /// Whether a statistic over `n` people may be published.
    pub fn statistic_allowed(&self, n: u64) -> bool {
        n >= self.min_people()
    }

    /// The fewest people a mean, median or quartile is published for.
    pub fn min_people_for_averages(&self) -> u64 {
        self.min_people().max(MIN_PEOPLE_FOR_AVERAGES)
    }

    /// Whether a mean, median or quartiles over `n` people may be published.
    pub fn average_allowed(&self, n: u64) -> bool {
        n >= self.min_people_for_averages()
    }

    /// A table whose row totals, column totals and grand total are published beside it.
    /// Ragged rows are treated as zero-padded.
    pub fn table(&self, rows: &[Vec<u64>]) -> PublishedTable {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let grid: Vec<Vec<u64>> = rows.iter().map(|r| (0..width).map(|c| r.get(c).copied().unwrap_or(0)).collect()).collect();
        // The extended table: each row followed by its total; then the column totals and the
        // grand total.
        let mut ext: Vec<Vec<u64>> = grid
            .iter()
            .map(|r| {
                let mut line = r.clone();
                line.push(r.iter().sum());
                line
            })
            .collect();
        ext.push((0..=width).map(|c| ext.iter().map(|r| r[c]).sum()).collect());

        let mut hidden: Vec<Vec<bool>> = ext.iter().map(|r| r.iter().map(|&n| self.count(n).is_hidden()).collect()).collect();
        if self.mode == DisclosureMode::Threshold {
            secondary_suppression(&ext, &mut hidden);
        }
        let mut published: Vec<Vec<Published>> = ext
            .iter()
            .zip(&hidden)
            .map(|(r, h)| {
                r.iter().zip(h).map(|(&n, &hide)| if hide { Published::Hidden(self.hidden_symbol()) } else { self.count(n) }).collect()
            })
            .collect();
        let mut column_totals = published.pop().unwrap_or_default();
        let total = column_totals.pop().unwrap_or(Published::Shown(0));
        let row_totals = published.iter_mut().map(|r| r.pop().unwrap_or(Published::Shown(0))).collect();
        PublishedTable { cells: published, row_totals, column_totals, total }
    }
}

/// Hides further values of the extended table (cells and totals) until no row or column has
/// exactly one hidden value. Each step hides the smallest shown non-zero value of an
/// offending line (a zero is never hidden: it adds nothing to a total, so hiding it protects
/// nothing). A line whose other values are all zero cannot be protected by them; that only
/// happens when its total equals the hidden cell, so the total is hidden by the primary rule
/// too.
fn secondary_suppression(grid: &[Vec<u64>], hidden: &mut [Vec<bool>]) {
    let rows = grid.len();
    let cols = grid.first().map_or(0, Vec::len);
    loop {
        let mut changed = false;
        for r in 0..rows {
            if hidden[r].iter().filter(|&&h| h).count() == 1 {
                let pick = (0..cols).filter(|&c| !hidden[r][c] && grid[r][c] > 0).min_by_key(|&c| (grid[r][c], c));
                if let Some(c) = pick {
                    hidden[r][c] = true;
                    changed = true;
                }
            }
        }
        for c in 0..cols {
            if (0..rows).filter(|&r| hidden[r][c]).count() == 1 {
                let pick = (0..rows).filter(|&r| !hidden[r][c] && grid[r][c] > 0).min_by_key(|&r| (grid[r][c], r));
                if let Some(r) = pick {
                    hidden[r][c] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nhs() -> Rule {
        Rule { mode: DisclosureMode::Nhs, k: 5 }
    }
    fn threshold(k: u32) -> Rule {
        Rule { mode: DisclosureMode::Threshold, k }
    }
    fn s(n: u64) -> Published {
        Published::Shown(n)
    }
    fn h(sym: &str) -> Published {
        Published::Hidden(sym.into())
    }

    #[test]
    fn nhs_mode_hides_one_to_seven_and_rounds_the_rest_to_five() {
        let r = nhs();
        let shown: Vec<String> = [0, 1, 7, 8, 10, 12, 13, 102, 103].iter().map(|&n| r.count(n).to_string()).collect();
        assert_eq!(shown, ["0", "*", "*", "10", "10", "10", "15", "100", "105"]);
        assert_eq!(r.min_people(), 8);
        assert!(!r.statistic_allowed(7));
        assert!(r.statistic_allowed(8));
    }

    #[test]
    fn threshold_mode_hides_below_k_but_not_zero() {
        let r = threshold(5);
        assert_eq!(r.count(0), s(0));
        assert_eq!(r.count(1), h("[c]"));
        assert_eq!(r.count(4), h("[c]"));
        assert_eq!(r.count(5), s(5));
        assert_eq!(r.count(23), s(23));
        assert!(!r.statistic_allowed(4));
        assert!(r.statistic_allowed(5));
    }

    #[test]
    fn nhs_table_rounds_cells_and_totals_independently() {
        // Hand-worked: totals 9+3=12 → 10, 20+6=26 → 25; columns 29 → 30, 9 → 10; 38 → 40.
        let t = nhs().table(&[vec![9, 3], vec![20, 6]]);
        assert_eq!(t.cells, vec![vec![s(10), h("*")], vec![s(20), h("*")]]);
        assert_eq!(t.row_totals, vec![s(10), s(25)]);
        assert_eq!(t.column_totals, vec![s(30), s(10)]);
        assert_eq!(t.total, s(40));
    }

    #[test]
    fn threshold_table_without_small_cells_is_shown_whole() {
        let t = threshold(5).table(&[vec![12, 30], vec![8, 0]]);
        assert_eq!(t.cells, vec![vec![s(12), s(30)], vec![s(8), s(0)]]);
        assert_eq!(t.row_totals, vec![s(42), s(8)]);
        assert_eq!(t.total, s(50));
    }

    #[test]
    fn threshold_table_needs_secondary_suppression() {
        // Hand-worked, k = 5. Referrals by district (rows) and source (columns):
        //              school  police  social care | total
        //   Ashworth      3      10       12       |  25
        //   Fenwick      20      15        9       |  44
        //   total        23      25       21       |  69
        // The 3 is hidden by the primary rule. Alone in its row, it would be 25 − 10 − 12;
        // so the smallest other cell of the row, 10, is hidden too. Column 1 then has one
        // hidden cell (3) and column 2 one (10): each hides its smallest other cell (20 and
        // 15). Fenwick's row now has two hidden cells, and every line has 0 or 2.
        let t = threshold(5).table(&[vec![3, 10, 12], vec![20, 15, 9]]);
        assert_eq!(t.cells, vec![vec![h("[c]"), h("[c]"), s(12)], vec![h("[c]"), h("[c]"), s(9)]]);
        assert_eq!(t.row_totals, vec![s(25), s(44)]);
        assert_eq!(t.column_totals, vec![s(23), s(25), s(21)]);
        assert_eq!(t.total, s(69));
        // No line is left with a single hidden cell.
        for row in &t.cells {
            assert_ne!(row.iter().filter(|c| c.is_hidden()).count(), 1);
        }
        for c in 0..3 {
            assert_ne!(t.cells.iter().filter(|row| row[c].is_hidden()).count(), 1);
        }
    }

    #[test]
    fn a_hidden_total_is_protected_too() {
        // Hand-worked, k = 5: rows [1, 2] and [20, 30]. The first row's total, 3, is hidden.
        // Without protecting totals, 53 − 50 would give it back. In the extended table the
        // columns of 1, 2 and 3 each have one hidden value, so 20, 30 and 50 are hidden too;
        // then a + b = e, c + d = f, a + c = 21, b + d = 32, e + f = 53 leave a free.
        let t = threshold(5).table(&[vec![1, 2], vec![20, 30]]);
        assert_eq!(t.cells, vec![vec![h("[c]"), h("[c]")], vec![h("[c]"), h("[c]")]]);
        assert_eq!(t.row_totals, vec![h("[c]"), h("[c]")]);
        assert_eq!(t.column_totals, vec![s(21), s(32)]);
        assert_eq!(t.total, s(53));
    }

    #[test]
    fn two_small_cells_in_a_line_protect_each_other() {
        // 2 and 4 are both hidden; the row total 6 reveals only their sum. Each column has a
        // single hidden cell, though, so the columns' other cells (30, 40) are hidden too.
        let t = threshold(5).table(&[vec![2, 4], vec![30, 40]]);
        assert_eq!(t.cells, vec![vec![h("[c]"), h("[c]")], vec![h("[c]"), h("[c]")]]);
        // A single row: both small cells hide each other and nothing more is needed.
        let t = threshold(5).table(&[vec![2, 4, 50]]);
        assert_eq!(t.cells, vec![vec![h("[c]"), h("[c]"), s(50)]]);
    }
}
