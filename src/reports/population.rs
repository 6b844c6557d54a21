//! The population base of the disproportionality tables: the county's females aged 11–24 by
//! ONS ethnic group and by IMD quintile, supplied by the programme as a TOML file
//! (`population_base`, `TRELLIS_POPULATION_BASE`). Never a number in the code: `serve --demo`
//! without a file uses the synthetic example shipped in `demo/population-base.synthetic.toml`,
//! which says it is synthetic.
//!
//! ```toml
//! source = "ONS Census 2021, TS021 and IMD 2019 by LSOA: females aged 11-24, Anyshire"
//! synthetic = false
//! [ethnicity]
//! asian = 6600
//! black = 1500
//! mixed = 2700
//! white = 48600
//! other = 600
//! [imd_quintile]
//! 1 = 9000
//! 2 = 10800
//! 3 = 13200
//! 4 = 15000
//! 5 = 12000
//! ```
//!
//! Every key is required; an unknown key, a group that is not one of the five, or a count that
//! is not a whole number above 0 is an error naming the file and the key. The service checks
//! the file at start-up and reads it again for each report (it is small), so a corrected file
//! is used without a restart.

use std::path::Path;

use crate::config::Config;

/// The five ONS high-level ethnic groups a population base gives (in report order).
pub const ETHNIC_GROUPS: [&str; 5] = ["asian", "black", "mixed", "white", "other"];

/// The synthetic example base, used by `serve --demo` when no file is configured.
pub const DEMO_BASE: &str = include_str!("../../demo/population-base.synthetic.toml");
const DEMO_NAME: &str = "the built-in demo/population-base.synthetic.toml";

/// A validated population base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationBase {
    /// Where the figures come from, as the file says.
    pub source: String,
    /// True when the figures are made up (the demo's example).
    pub synthetic: bool,
    /// Females aged 11–24 by group, in the order of [`ETHNIC_GROUPS`].
    pub ethnicity: [u64; 5],
    /// Females aged 11–24 by IMD quintile 1 (most deprived) to 5.
    pub imd_quintile: [u64; 5],
}

impl PopulationBase {
    /// The base of an ethnic group (`asian`, ...); none for `prefer_not_to_say`, `not_known`.
    pub fn ethnic_group(&self, group: &str) -> Option<u64> {
        ETHNIC_GROUPS.iter().position(|g| *g == group).map(|i| self.ethnicity[i])
    }

    /// The base of quintile `q` (1–5).
    pub fn quintile(&self, q: i16) -> Option<u64> {
        usize::try_from(q).ok().and_then(|q| q.checked_sub(1)).and_then(|i| self.imd_quintile.get(i).copied())
    }
}

/// Parses and validates a population base; `name` (the file) starts every error message.
pub fn parse(text: &str, name: &str) -> Result<PopulationBase, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("population base {name}: not valid TOML: {}", e.message()))?;
    let mut errors: Vec<String> = Vec::new();
    let mut source = None;
    let mut synthetic = None;
    let mut ethnicity = [0u64; 5];
    let mut quintiles = [0u64; 5];
    for (key, value) in &table {
        match key.as_str() {
            "source" => match value.as_str().map(str::trim) {
                Some(s) if !s.is_empty() => source = Some(s.to_string()),
                _ => errors.push("source: must be a description of where the figures come from".into()),
            },
            "synthetic" => match value.as_bool() {
                Some(b) => synthetic = Some(b),
                None => errors.push("synthetic: must be true or false".into()),
            },
            "ethnicity" => section(value, key, &ETHNIC_GROUPS, &mut ethnicity, &mut errors),
            "imd_quintile" => section(value, key, &["1", "2", "3", "4", "5"], &mut quintiles, &mut errors),
            other => errors.push(format!("{other}: unknown key (expected source, synthetic, ethnicity, imd_quintile)")),
        }
    }
    if !table.contains_key("source") {
        errors.push("source: missing (say where the figures come from)".into());
    }
    if !table.contains_key("synthetic") {
        errors.push("synthetic: missing (true for made-up figures, false for real ones)".into());
    }
    for (key, expected) in [("ethnicity", ETHNIC_GROUPS.join(", ")), ("imd_quintile", "1 to 5".to_string())] {
        if !table.contains_key(key) {
            errors.push(format!("{key}: missing (a table of counts for {expected})"));
        }
    }
    match (source, synthetic) {
        (Some(source), Some(synthetic)) if errors.is_empty() => {
            Ok(PopulationBase { source, synthetic, ethnicity, imd_quintile: quintiles })
        }
        _ => Err(format!("population base {name}:\n  {}", errors.join("\n  "))),
    }
}

/// Reads one section (`[ethnicity]` or `[imd_quintile]`): every key known, every count a
/// whole number above 0, none missing.
fn section(value: &toml::Value, name: &str, keys: &[&str], out: &mut [u64; 5], errors: &mut Vec<String>) {
    let Some(t) = value.as_table() else {
        errors.push(format!("{name}: must be a table of counts"));
        return;
    };
    for (key, v) in t {
        let Some(i) = keys.iter().position(|k| k == key) else {
            errors.push(format!("{name}.{key}: unknown group (expected one of {})", keys.join(", ")));
            continue;
        };
        match v.as_integer().and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0) {
            Some(n) => out[i] = n,
            None => errors.push(format!("{name}.{key}: must be a whole number of people above 0")),
        }
    }
    for key in keys {
        if !t.contains_key(*key) {
            errors.push(format!("{name}.{key}: missing"));
        }
    }
}

/// Reads and validates a population base file.
pub fn read(path: &Path) -> Result<PopulationBase, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("population base {shown}: cannot be read: {}", e.kind()))?;
    parse(&text, &shown)
}

/// The start-up check (`serve`): the configured base parses, or the built-in demo base when
/// `population_base_demo` is set. Nothing configured is fine: the tables say so.
pub fn check(config: &Config) -> Result<(), String> {
    match &config.population_base {
        Some(path) => read(path).map(|_| ()),
        None if config.population_base_demo => parse(DEMO_BASE, DEMO_NAME).map(|_| ()),
        None => Ok(()),
    }
}

/// The base in force for a report: the configured file (read again each time), else the
/// demo's synthetic base under `serve --demo`, else none.
pub async fn load(config: &Config) -> Result<Option<PopulationBase>, String> {
    match &config.population_base {
        Some(path) => {
            let shown = path.display().to_string();
            let text =
                tokio::fs::read_to_string(path).await.map_err(|e| format!("population base {shown}: cannot be read: {}", e.kind()))?;
            parse(&text, &shown).map(Some)
        }
        None if config.population_base_demo => parse(DEMO_BASE, DEMO_NAME).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
source = "Census 2021, females 11-24"
synthetic = false
[ethnicity]
asian = 200
black = 100
mixed = 50
white = 1000
other = 40
[imd_quintile]
1 = 200
2 = 300
3 = 300
4 = 300
5 = 400
"#;

    #[test]
    fn a_good_file_parses() {
        let b = parse(GOOD, "base.toml").unwrap();
        assert_eq!(b.source, "Census 2021, females 11-24");
        assert!(!b.synthetic);
        assert_eq!(b.ethnic_group("white"), Some(1000));
        assert_eq!(b.ethnic_group("black"), Some(100));
        assert_eq!(b.ethnic_group("not_known"), None);
        assert_eq!(b.quintile(5), Some(400));
        assert_eq!(b.quintile(1), Some(200));
        assert_eq!(b.quintile(0), None);
        assert_eq!(b.quintile(6), None);
    }

    #[test]
    fn the_demo_base_parses_and_says_it_is_synthetic() {
        let b = parse(DEMO_BASE, DEMO_NAME).unwrap();
        assert!(b.synthetic);
        assert!(b.source.contains("SYNTHETIC"));
        // A county: tens of thousands.
        assert!(b.ethnicity.iter().sum::<u64>() >= 10_000);
        assert_eq!(b.ethnicity.iter().sum::<u64>(), b.imd_quintile.iter().sum::<u64>());
    }

    #[test]
    fn a_zero_or_negative_count_is_named() {
        let e = parse(&GOOD.replace("white = 1000", "white = 0"), "base.toml").unwrap_err();
        assert!(e.contains("base.toml") && e.contains("ethnicity.white"), "{e}");
        let e = parse(&GOOD.replace("5 = 400", "5 = -3"), "base.toml").unwrap_err();
        assert!(e.contains("imd_quintile.5"), "{e}");
        let e = parse(&GOOD.replace("mixed = 50", "mixed = \"fifty\""), "base.toml").unwrap_err();
        assert!(e.contains("ethnicity.mixed"), "{e}");
    }

    #[test]
    fn an_unknown_group_or_key_is_named() {
        let e = parse(&GOOD.replace("other = 40", "other = 40\ngypsy = 3"), "base.toml").unwrap_err();
        assert!(e.contains("ethnicity.gypsy: unknown group"), "{e}");
        let e = parse(&GOOD.replace("5 = 400", "5 = 400\n6 = 10"), "base.toml").unwrap_err();
        assert!(e.contains("imd_quintile.6"), "{e}");
        let e = parse(&format!("year = 2021\n{GOOD}"), "base.toml").unwrap_err();
        assert!(e.contains("year: unknown key"), "{e}");
    }

    #[test]
    fn missing_keys_and_bad_toml_are_named() {
        let e = parse(&GOOD.replace("black = 100\n", ""), "base.toml").unwrap_err();
        assert!(e.contains("ethnicity.black: missing"), "{e}");
        let e = parse(&GOOD.replace("synthetic = false\n", ""), "base.toml").unwrap_err();
        assert!(e.contains("synthetic: missing"), "{e}");
        let e = parse("source = ", "base.toml").unwrap_err();
        assert!(e.contains("base.toml: not valid TOML"), "{e}");
    }

    #[test]
    fn start_up_check_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.toml");
        std::fs::write(&path, GOOD.replace("asian = 200", "asian = -1")).unwrap();
        let config = Config { population_base: Some(path.clone()), ..Config::default() };
        let e = check(&config).unwrap_err();
        assert!(e.contains(&path.display().to_string()) && e.contains("ethnicity.asian"), "{e}");
        let missing = Config { population_base: Some(dir.path().join("absent.toml")), ..Config::default() };
        assert!(check(&missing).unwrap_err().contains("absent.toml"));
        assert!(check(&Config::default()).is_ok());
        assert!(check(&Config { population_base_demo: true, ..Config::default() }).is_ok());
    }
}
