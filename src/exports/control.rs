//! The disclosure control of one evaluation extract, in order: k-anonymity over the key
//! variables ([`anonymity`]), l-diversity of the sensitive columns and the uniqueness guard
//! ([`protect`]), then the rows in pseudonym order. Pure: built rows in, released rows out.

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use super::anonymity::{self, KeyVariable, Keys, Plan, SUPPRESSED};
use super::dictionary::{self, ColumnRole, ExtractColumn, L, SUPPRESSED_COLUMNS};
use super::extract::{Built, Cell};
use super::protect::Release;
use crate::error::ApiError;
use crate::projects::ledger::{Floor, ReleasedPerson};

/// An extract ready to send.
#[derive(Debug)]
pub struct Protected {
    /// The released rows, in pseudonym order.
    pub rows: Vec<Vec<Cell>>,
    pub plan: Plan,
    /// The young people released.
    pub people: Vec<Uuid>,
    /// The fewest distinct values of a sensitive column in a class, where one is released.
    pub l_achieved: Option<usize>,
    /// Key values replaced by "suppressed".
    pub suppressed_keys: u64,
    /// Sensitive values withheld for l-diversity.
    pub withheld_sensitive: u64,
    /// Values suppressed by the uniqueness guard.
    pub guarded: u64,
    /// Values withheld because an earlier release to the project withheld them (beyond the
    /// key values, which the plan counts).
    pub floored: u64,
    /// Every pseudonym released, with her key values as released and the columns withheld
    /// from her (suppressed key values, withheld and guarded columns), for the release ledger.
    pub released: Vec<ReleasedPerson>,
    /// Rows withheld (young people who could not be hidden, or all when fewer than k).
    pub withheld_rows: u64,
}

impl Protected {
    /// Every value released empty or as "suppressed" to protect someone.
    pub fn suppressed_values(&self) -> u64 {
        self.suppressed_keys + self.withheld_sensitive + self.guarded + self.floored
    }

    /// How far each key variable was generalised, by name.
    pub fn levels(&self) -> std::collections::BTreeMap<String, u8> {
        KeyVariable::ALL.iter().map(|v| (v.as_str().to_string(), self.plan.levels[anonymity::index(*v)])).collect()
    }
}

fn position(columns: &[ExtractColumn], name: &str) -> Result<usize, ApiError> {
    columns.iter().position(|c| c.name == name).ok_or_else(|| ApiError::internal("an extract column is missing from the dictionary"))
}

/// Applies the disclosure control to `built` (every row of the window, each with its young
/// person), with k-anonymity at `k` over `key_variables`. `columns` is the dictionary's for
/// those key variables (its roles say which columns are key and sensitive). `floor` is what
/// earlier releases to the same project fix: no value is released finer than one of them did,
/// and k is counted over all of them together. `aliases` are, for a young person, the
/// pseudonyms of records merged into hers: what the project was sent under them is hers too.
pub fn protect(
    built: Vec<Built>,
    columns: &[ExtractColumn],
    key_variables: &[KeyVariable],
    k: u64,
    floor: &Floor,
    aliases: &HashMap<Uuid, Vec<String>>,
) -> Result<Protected, ApiError> {
    let key_at: Vec<usize> = KeyVariable::ALL.iter().map(|v| position(columns, v.as_str())).collect::<Result<_, _>>()?;
    let suppressed_at = position(columns, SUPPRESSED_COLUMNS)?;
    let pseudonym_at = position(columns, dictionary::PSEUDONYM)?;
    let keys_of = |cells: &[Cell]| -> Keys { std::array::from_fn(|i| Cell::text(&cells[key_at[i]])) };

    // Her rows, by young person (in order of first appearance, which is by referral id).
    let mut order: Vec<Uuid> = Vec::new();
    let mut rows_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, b) in built.iter().enumerate() {
        rows_of
            .entry(b.person)
            .or_insert_with(|| {
                order.push(b.person);
                Vec::new()
            })
            .push(i);
    }
    let people: Vec<(Uuid, Vec<Keys>)> = order
        .iter()
        .map(|p| (*p, rows_of.get(p).map(|rs| rs.iter().map(|&r| keys_of(&built[r].cells)).collect()).unwrap_or_default()))
        .collect();
    // The floor, by young person: key values to suppress (bits by position in `Keys`), and
    // the other columns to withhold.
    // A name the ledger holds that the extract does not know is an error, never a level 0 or
    // a column let go.
    let unknown = || ApiError::internal("the release ledger names a key variable or column the extract does not have");
    let mut key_floor = anonymity::Floor::default();
    for (name, level) in &floor.levels {
        let i = KeyVariable::ALL.iter().position(|v| v.as_str() == name).ok_or_else(unknown)?;
        key_floor.levels[i] = *level;
    }
    // Every pseudonym the project holds, by her history: the young person behind it where she
    // is in this build, and what was sent of her sensitive columns.
    let mut person_of: HashMap<String, Uuid> = HashMap::new();
    for (who, rows) in &rows_of {
        if let Some(&first) = rows.first() {
            person_of.insert(Cell::text(&built[first].cells[pseudonym_at]), *who);
        }
    }
    for (pseudonym, history) in &floor.history {
        let sensitive = floor.sensitive.get(pseudonym).into_iter().flatten();
        let told = sensitive.flat_map(|(at, columns)| columns.iter().map(|(c, v)| (*at, c.clone(), v.clone()))).collect();
        let member = anonymity::Member { person: person_of.get(pseudonym).copied(), sensitive: told };
        key_floor.members.entry(serde_json::to_string(history)?).or_default().push(member);
    }
    let mut other_floor: HashMap<Uuid, BTreeSet<usize>> = HashMap::new();
    for (who, rows) in &rows_of {
        let Some(&first) = rows.first() else { continue };
        // What the project holds under her pseudonym (the class is those alike in it: what the
        // project sees), and the floor of her pseudonym and of those of the records merged
        // into hers (what was withheld from any of them stays withheld from her).
        let own = Cell::text(&built[first].cells[pseudonym_at]);
        if let Some(history) = floor.history.get(&own) {
            key_floor.history.insert(*who, serde_json::to_string(history)?);
        }
        let mut names = vec![own];
        names.extend(aliases.get(who).into_iter().flatten().cloned());
        for pseudonym in &names {
            for name in floor.withheld.get(pseudonym).into_iter().flatten() {
                if let Some(i) = KeyVariable::ALL.iter().position(|v| v.as_str() == name) {
                    *key_floor.forced.entry(*who).or_insert(0) |= 1 << i;
                } else {
                    let c = columns.iter().position(|c| c.name == *name).ok_or_else(unknown)?;
                    other_floor.entry(*who).or_default().insert(c);
                }
            }
        }
    }
    let plan = anonymity::plan(&people, key_variables, k, &key_floor);
    if plan.withheld {
        return Ok(Protected {
            rows: Vec::new(),
            withheld_rows: built.len() as u64,
            plan,
            people: Vec::new(),
            l_achieved: None,
            suppressed_keys: 0,
            withheld_sensitive: 0,
            guarded: 0,
            floored: 0,
            released: Vec::new(),
        });
    }
    let classes = anonymity::classes(&people, &plan, &key_floor);

    // The key values as released; each young person's rows in released-key order.
    let mut truth: Vec<Vec<Cell>> = built.into_iter().map(|b| b.cells).collect();
    let withheld: BTreeSet<Uuid> = plan.withheld_people.iter().copied().collect();
    let mut suppressed_keys = 0;
    for (who, _) in &people {
        for &r in rows_of.get(who).map(Vec::as_slice).unwrap_or(&[]) {
            let shown = plan.apply(who, &keys_of(&truth[r]));
            for (i, v) in shown.into_iter().enumerate() {
                if v == SUPPRESSED && !withheld.contains(who) {
                    suppressed_keys += 1;
                }
                truth[r][key_at[i]] = Cell::Str(v);
            }
        }
    }
    // Rows are paired across young people in this order: the configured key columns first
    // (equal, as multisets, within a class), then the rest.
    let configured: Vec<usize> = key_variables.iter().map(|v| key_at[anonymity::index(*v)]).collect();
    let person_rows: Vec<Vec<usize>> = people
        .iter()
        .map(|(who, _)| {
            let mut rs = rows_of.get(who).cloned().unwrap_or_default();
            rs.sort_by_cached_key(|&r| {
                let keys = configured.iter().map(|&c| Cell::text(&truth[r][c]));
                keys.chain(truth[r].iter().map(Cell::text)).collect::<Vec<_>>()
            });
            rs
        })
        .collect();

    // l-diversity, then the uniqueness guard, on the key columns as released.
    let sensitive: Vec<usize> = (0..columns.len()).filter(|&c| columns[c].role == ColumnRole::Sensitive).collect();
    let compared: Vec<usize> = (1..columns.len()).filter(|&c| c != suppressed_at && columns[c].role != ColumnRole::Key).collect();
    let mut guard_order: Vec<usize> = compared.iter().copied().filter(|&c| key_at.contains(&c)).collect();
    for name in dictionary::guard_order() {
        guard_order.push(position(columns, &name)?);
    }
    let mut shown = truth.clone();
    let mut suppressed: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); shown.len()];
    let mut release = Release { people: &person_rows, classes: &classes, truth: &truth, shown: &mut shown, suppressed: &mut suppressed };
    let floor_of: Vec<BTreeSet<usize>> = people.iter().map(|(who, _)| other_floor.get(who).cloned().unwrap_or_default()).collect();
    let floored = release.keep_floor(&floor_of, &sensitive);
    let (l_achieved, withheld_sensitive) = release.l_diversify(&sensitive, L as usize);
    let guarded = release.guard(&compared, &guard_order, &sensitive);

    // The rows released, in pseudonym order (then by their values: never by an internal key).
    let mut out: Vec<Vec<Cell>> = Vec::with_capacity(shown.len());
    let mut released_people = Vec::new();
    let mut withheld_rows = 0;
    let mut released_people_ledger = Vec::new();
    for ((who, _), rs) in people.iter().zip(&person_rows) {
        if withheld.contains(who) {
            withheld_rows += rs.len() as u64;
            continue;
        }
        released_people.push(*who);
        let mut names: BTreeSet<&str> = BTreeSet::new();
        let mut keys: Vec<Vec<String>> = Vec::with_capacity(rs.len());
        let mut told: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for &r in rs {
            names.extend(suppressed[r].iter().map(|&c| columns[c].name.as_str()));
            names.extend(key_at.iter().filter(|&&c| Cell::text(&shown[r][c]) == SUPPRESSED).map(|&c| columns[c].name.as_str()));
            keys.push(key_at.iter().map(|&c| Cell::text(&shown[r][c])).collect());
            for &c in sensitive.iter().filter(|c| !suppressed[r].contains(c)) {
                let values = told.entry(columns[c].name.clone()).or_default();
                if shown[r][c] != Cell::Null {
                    values.push(Cell::text(&shown[r][c]));
                }
            }
        }
        keys.sort();
        for v in told.values_mut() {
            v.sort();
        }
        if let Some(&r) = rs.first() {
            released_people_ledger.push(ReleasedPerson {
                pseudonym: Cell::text(&shown[r][pseudonym_at]),
                keys,
                withheld: names.into_iter().map(str::to_string).collect(),
                sensitive: told,
            });
        }
        for &r in rs {
            let mut row = std::mem::take(&mut shown[r]);
            if !suppressed[r].is_empty() {
                let names: Vec<&str> = suppressed[r].iter().map(|&c| columns[c].name.as_str()).collect();
                row[suppressed_at] = Cell::Str(names.join(";"));
            }
            out.push(row);
        }
    }
    out.sort_by_cached_key(|row| row.iter().map(Cell::text).collect::<Vec<_>>());
    Ok(Protected {
        rows: out,
        plan,
        people: released_people,
        l_achieved,
        suppressed_keys,
        withheld_sensitive,
        guarded,
        floored,
        withheld_rows,
        released: released_people_ledger,
    })
}
