//! Disproportionality: the Relative Rate Index (docs/domain.md §Disproportionality) by ethnic group
//! (reference White) and by IMD quintile (reference quintile 5, the least deprived), at each
//! stage from referral to an improved outcome. Each stage's rate is over the stage before
//! (the first over the county's population base), so each RRI shows the disparity that stage
//! adds. Counts are of distinct young people, grouped in SQL; every count is published through
//! the disclosure rule, and an RRI only when the counts behind it are publishable.

use std::collections::{HashMap, HashSet};

use chrono::{Months, NaiveDate};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::disclosure::{Published, Rule};
use super::disproportionality_dto::*;
use super::population::{self, PopulationBase};
use super::rri::{self, NoRri};
use crate::config::{Config, DisclosureMode};
use crate::entities::{matching, referral, young_person};
use crate::error::ApiError;
use crate::outcomes::scoring::ChangeKind;
use crate::young_people::codes::{Ethnicity, imd_quintile};

/// What the groups are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DisproportionalityBy)]
pub enum By {
    /// The five ONS groups (reference White), then prefer not to say and not known.
    Ethnicity,
    /// IMD quintiles 1 (most deprived) to 5 (reference), then not known.
    Imd,
}

pub use super::disproportionality_stage::DisproportionalityStage;
pub(super) use super::disproportionality_stage::{STAGES, Stage};

/// The groups of a grouping, in report order: (key, label). By ethnicity, the detailed
/// White categories follow the five groups and the two unstated ones, each on its own line
/// (a young person counts in White and in her own category), so that Gypsy, Roma and Irish
/// Traveller girls' disproportionality is not hidden inside the White group.
fn groups_of(by: By) -> &'static [(&'static str, &'static str)] {
    match by {
        By::Ethnicity => &[
            ("asian", "Asian"),
            ("black", "Black"),
            ("mixed", "Mixed"),
            ("white", "White"),
            ("other", "Other"),
            ("prefer_not_to_say", "Prefer not to say"),
            ("not_known", "Not known"),
            ("white_british", "White: English, Welsh, Scottish, Northern Irish or British"),
            ("white_irish", "White: Irish"),
            ("white_gypsy_irish_traveller", "White: Gypsy or Irish Traveller"),
            ("white_roma", "White: Roma"),
            ("white_other", "White: any other White background"),
        ],
        By::Imd => &[
            ("1", "Quintile 1 (most deprived)"),
            ("2", "Quintile 2"),
            ("3", "Quintile 3"),
            ("4", "Quintile 4"),
            ("5", "Quintile 5 (least deprived)"),
            ("not_known", "Not known"),
        ],
    }
}

/// The group a detailed line belongs to (its counts are part of that group's).
fn within(by: By, key: &str) -> Option<&'static str> {
    (by == By::Ethnicity && key.starts_with("white_")).then_some("white")
}

/// The reference group: by ethnicity the configured one (`disproportionality_reference`,
/// default White), by deprivation quintile 5.
fn reference_of(by: By, ethnic_reference: &str) -> &str {
    match by {
        By::Ethnicity => ethnic_reference,
        By::Imd => "5",
    }
}

/// The index of a young person's group (from her stored ethnicity code or IMD decile).
fn group_index(by: By, ethnicity: &str, decile: Option<i16>) -> usize {
    let key: String = match by {
        By::Ethnicity => Ethnicity::parse(ethnicity).map_or("not_known", Ethnicity::group).to_string(),
        By::Imd => decile.and_then(imd_quintile).map_or_else(|| "not_known".to_string(), |q| q.to_string()),
    };
    let groups = groups_of(by);
    groups.iter().position(|(k, _)| *k == key).unwrap_or(groups.len() - 1)
}

/// Every line a young person counts in: her group, and her detailed White category if she
/// has one.
fn lines_of(by: By, ethnicity: &str, decile: Option<i16>) -> Vec<usize> {
    let mut out = vec![group_index(by, ethnicity, decile)];
    if by == By::Ethnicity
        && let Some(detail) = groups_of(by).iter().position(|(k, _)| *k == ethnicity && within(by, k).is_some())
    {
        out.push(detail);
    }
    out
}

fn population_of(base: Option<&PopulationBase>, by: By, key: &str) -> Option<u64> {
    let base = base?;
    match by {
        By::Ethnicity => base.ethnic_group(key),
        By::Imd => key.parse::<i16>().ok().and_then(|q| base.quintile(q)),
    }
}

fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    }
}

/// The true counts, `counts[group][stage]`.
async fn count<C: ConnectionTrait>(
    conn: &C,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by: By,
    today: NaiveDate,
) -> Result<Vec<[u64; 7]>, ApiError> {
    let groups = groups_of(by);
    let mut counts = vec![[0u64; 7]; groups.len()];

    // Referred, accepted and matched: one grouped query, by stored ethnicity and decile (a
    // young person has one of each, so summing the cells' distinct counts into groups is exact).
    let backend = conn.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut period = Vec::new();
    if let Some(f) = from {
        values.push(f.into());
        period.push(format!("r.received_on >= {}", placeholder(backend, values.len())));
    }
    if let Some(t) = to {
        values.push(t.into());
        period.push(format!("r.received_on <= {}", placeholder(backend, values.len())));
    }
    let period = if period.is_empty() { "1 = 1".to_string() } else { period.join(" AND ") };
    let sql = format!(
        "SELECT yp.ethnicity AS ethnicity, yp.imd_decile AS imd_decile, \
           COUNT(DISTINCT r.young_person_id) AS referred, \
           COUNT(DISTINCT CASE WHEN acc.referral_id IS NOT NULL OR mt.referral_id IS NOT NULL THEN r.young_person_id END) AS accepted, \
           COUNT(DISTINCT CASE WHEN mt.referral_id IS NOT NULL THEN r.young_person_id END) AS matched \
         FROM referrals r \
         JOIN young_people yp ON yp.id = r.young_person_id \
         LEFT JOIN (SELECT DISTINCT referral_id FROM referral_transitions WHERE to_status = 'accepted') acc ON acc.referral_id = r.id \
         LEFT JOIN (SELECT DISTINCT referral_id FROM matches) mt ON mt.referral_id = r.id \
         WHERE {period} \
         GROUP BY yp.ethnicity, yp.imd_decile"
    );
    for row in conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        let ethnicity: String = row.try_get("", "ethnicity")?;
        let decile: Option<i16> = row.try_get("", "imd_decile")?;
        for g in lines_of(by, &ethnicity, decile) {
            for (stage, column) in [(Stage::Referred, "referred"), (Stage::Accepted, "accepted"), (Stage::Matched, "matched")] {
                let n: i64 = row.try_get("", column)?;
                counts[g][stage.index()] += u64::try_from(n).unwrap_or(0);
            }
        }
    }

    // Sustained and outcomes: the matches of the period's referrals (one row per match), the
    // groups of their young people and their outcomes, each in a bounded number of queries.
    let mut referrals = Query::select();
    referrals.column(referral::Column::Id).from(referral::Entity);
    if let Some(f) = from {
        referrals.and_where(referral::Column::ReceivedOn.gte(f));
    }
    if let Some(t) = to {
        referrals.and_where(referral::Column::ReceivedOn.lte(t));
    }
    let matches: Vec<(Uuid, Option<NaiveDate>, Option<NaiveDate>)> = matching::Entity::find()
        .select_only()
        .columns([matching::Column::YoungPersonId, matching::Column::AgreementSignedOn, matching::Column::EndedOn])
        .filter(matching::Column::ReferralId.in_subquery(referrals))
        .into_tuple()
        .all(conn)
        .await?;
    let mut matched: Vec<Uuid> = matches.iter().map(|m| m.0).collect::<HashSet<_>>().into_iter().collect();
    matched.sort();
    let mut group_of: HashMap<Uuid, Vec<usize>> = HashMap::with_capacity(matched.len());
    for chunk in matched.chunks(crate::db::ID_CHUNK) {
        let rows: Vec<(Uuid, String, Option<i16>)> = young_person::Entity::find()
            .select_only()
            .columns([young_person::Column::Id, young_person::Column::Ethnicity, young_person::Column::ImdDecile])
            .filter(young_person::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, ethnicity, decile) in rows {
            group_of.insert(id, lines_of(by, &ethnicity, decile));
        }
    }
    // Right-censoring: only a match signed six months before `today` could have run six.
    let could_reach: HashSet<Uuid> = matches
        .iter()
        .filter(|(_, signed, _)| signed.is_some_and(|s| s.checked_add_months(Months::new(6)).is_some_and(|six| six <= today)))
        .map(|m| m.0)
        .collect();
    for id in &could_reach {
        for &g in group_of.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            counts[g][Stage::CouldReachSixMonths.index()] += 1;
        }
    }
    let sustained: HashSet<Uuid> = matches
        .iter()
        .filter(|(_, signed, ended)| {
            signed.is_some_and(|s| {
                let end = ended.unwrap_or(today).min(today);
                s.checked_add_months(Months::new(6)).is_some_and(|six| six <= end)
            })
        })
        .map(|m| m.0)
        .collect();
    for id in &sustained {
        for &g in group_of.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            counts[g][Stage::SustainedSixMonths.index()] += 1;
        }
    }
    let outcomes = crate::outcomes::outcomes_for(conn, &matched).await?;
    for (id, items) in &outcomes {
        for &g in group_of.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            if items.iter().any(|o| o.change_kind.is_some()) {
                counts[g][Stage::WithOutcomes.index()] += 1;
            }
            if items.iter().any(|o| o.change_kind == Some(ChangeKind::ReliableImprovement)) {
                counts[g][Stage::ImprovedOutcome.index()] += 1;
            }
        }
    }
    Ok(counts)
}

/// The RRI rule in words (also in the README).
fn rri_rule(rule: &Rule) -> String {
    format!(
        "An RRI and its 95% interval are shown only when the group's and the reference group's events and bases are all \
         published (none hidden by the small-number rule, primary or secondary), at least {} people in each had the event, \
         and the reference group had events. RRIs are computed from the true counts, never from rounded ones. The interval \
         is the {}.",
        rule.min_people(),
        rri::METHOD
    )
}

/// The tables, with "sustained six months" measured to `today` for matches still running.
pub async fn compute_as_of<C: ConnectionTrait>(
    conn: &C,
    config: &Config,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by: By,
    today: NaiveDate,
) -> Result<Disproportionality, ApiError> {
    let base = population::load(config).await.map_err(ApiError::internal)?;
    let counts = count(conn, from, to, by, today).await?;
    let reference = reference_of(by, &config.disproportionality_reference);
    Ok(assemble(counts, base.as_ref(), &Rule::from_config(config), (from, to), by, reference, today))
}

/// Publishes the true counts: the small-number rule on every count, RRIs where allowed.
fn assemble(
    counts: Vec<[u64; 7]>,
    base: Option<&PopulationBase>,
    rule: &Rule,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    by: By,
    reference_key: &str,
    today: NaiveDate,
) -> Disproportionality {
    let groups = groups_of(by);
    let reference = groups.iter().position(|(k, _)| *k == reference_key).unwrap_or(0);
    // Each stage's column is one table row whose total is published, so a single hidden cell
    // is protected by hiding another (threshold mode): nothing can be worked out from the
    // total, here or in the programme report. The detailed White lines are a table of their
    // own whose total is White's count; where White's is hidden, so are they all but zeros.
    let main: Vec<usize> = (0..groups.len()).filter(|&g| within(by, groups[g].0).is_none()).collect();
    let detail: Vec<usize> = (0..groups.len()).filter(|&g| within(by, groups[g].0).is_some()).collect();
    let white = groups.iter().position(|(k, _)| *k == "white");
    let mut published: Vec<Vec<Published>> = vec![Vec::new(); groups.len()];
    let mut totals = Vec::new();
    for stage in STAGES {
        let column = |lines: &[usize]| -> Vec<u64> { lines.iter().map(|&g| counts[g][stage.index()]).collect() };
        let table = rule.table(&[column(&main)]);
        for (&g, cell) in main.iter().zip(table.cells.into_iter().next().unwrap_or_default()) {
            published[g].push(cell);
        }
        totals.push(DisproportionalityTotal { stage, count: table.row_totals.into_iter().next().unwrap_or(Published::Shown(0)) });
        if !detail.is_empty() {
            let white_hidden = white.and_then(|w| published[w].last()).is_some_and(Published::is_hidden);
            let table = rule.table(&[column(&detail)]);
            for (&g, cell) in detail.iter().zip(table.cells.into_iter().next().unwrap_or_default()) {
                // A zero says nothing of White's hidden count; any other detailed count would.
                let hide = white_hidden && counts[g][stage.index()] > 0;
                published[g].push(if hide { Published::Hidden(rule.hidden_symbol()) } else { cell });
            }
        }
    }
    let shown = |g: usize, s: Stage| published.get(g).and_then(|p| p.get(s.index())).is_some_and(|c| !c.is_hidden());

    let mut out_groups = Vec::new();
    for (g, (key, label)) in groups.iter().enumerate() {
        let population = population_of(base, by, key);
        let mut cells = Vec::new();
        for stage in STAGES {
            let count = published.get(g).and_then(|p| p.get(stage.index())).cloned().unwrap_or(Published::Shown(0));
            let mut cell = DisproportionalityCell { stage, count, rri: None, ci_low: None, ci_high: None, note: None };
            if !stage.has_rri() {
                cell.note = Some(match stage {
                    Stage::CouldReachSixMonths => "the base of the sustained stage: no RRI of its own".into(),
                    _ => "the base of the improved-outcome stage: no RRI of its own".into(),
                });
            } else if g == reference {
                cell.rri = Some(1.0);
                cell.note = Some("reference group".into());
            } else {
                let a = counts[g][stage.index()];
                let c = counts[reference][stage.index()];
                let bases = match stage.base() {
                    Some(b) => Ok((counts[g][b.index()], counts[reference][b.index()], shown(g, b) && shown(reference, b))),
                    None => match (base, population, population_of(base, by, reference_key)) {
                        (None, ..) => Err("no population base configured"),
                        (Some(_), Some(n1), Some(n2)) => Ok((n1, n2, true)),
                        _ => Err("no population base for this group"),
                    },
                };
                let outcome = bases.and_then(|(n1, n2, bases_shown)| {
                    if c == 0 || n2 == 0 {
                        return Err("no events in the reference group");
                    }
                    if n1 == 0 {
                        return Err("no one in this group at the previous stage");
                    }
                    if a == 0 {
                        return Err("no events in this group");
                    }
                    let publishable =
                        bases_shown && shown(g, stage) && shown(reference, stage) && rule.statistic_allowed(a) && rule.statistic_allowed(c);
                    if !publishable {
                        return Err("small numbers");
                    }
                    rri::rri(a, n1, c, n2).map_err(|e| match e {
                        NoRri::EmptyBase => "no one in this group at the previous stage",
                        NoRri::NoReferenceEvents => "no events in the reference group",
                        NoRri::EventsAboveBase => "inconsistent counts",
                    })
                });
                match outcome {
                    Ok(e) => {
                        cell.rri = Some(rri::round(e.rri, 2));
                        cell.ci_low = Some(rri::round(e.low, 2));
                        cell.ci_high = Some(rri::round(e.high, 2));
                    }
                    Err(why) => cell.note = Some(why.into()),
                }
            }
            cells.push(cell);
        }
        out_groups.push(DisproportionalityGroup {
            group: (*key).to_string(),
            label: (*label).to_string(),
            within: within(by, key).map(str::to_string),
            reference: g == reference,
            population,
            stages: cells,
        });
    }

    let mut warnings = Vec::new();
    match base {
        None => warnings.push(
            "No population base is configured (population_base): the referral stage has no RRIs; the later stages compare \
             each stage with the one before."
                .to_string(),
        ),
        Some(b) if b.synthetic => warnings.push(
            "The population base is SYNTHETIC (made-up figures for the demo): the referral-stage RRIs do not describe any real \
             county."
                .to_string(),
        ),
        Some(_) => {}
    }
    let disclosure = DisproportionalityDisclosure {
        mode: match rule.mode {
            DisclosureMode::Nhs => "nhs".into(),
            DisclosureMode::Threshold => "threshold".into(),
        },
        k: (rule.mode == DisclosureMode::Threshold).then_some(rule.k),
        rule: format!(
            "{} {}",
            match rule.mode {
                DisclosureMode::Nhs => "Counts: 0 shown; 1 to 7 shown as \"*\"; 8 and above rounded to the nearest 5.".to_string(),
                DisclosureMode::Threshold => format!(
                    "Counts: 0 shown; 1 to {} hidden, and within each stage the smallest other count is hidden too so that \
                     no hidden count can be worked out from the stage's total; every hidden count is shown as \"[c]\".",
                    rule.k.saturating_sub(1)
                ),
            },
            rri_rule(rule)
        ),
    };
    Disproportionality {
        by,
        from,
        to,
        as_of: today,
        reference_group: reference_key.to_string(),
        population_base: base.map(|b| PopulationBaseSource { source: b.source.clone(), synthetic: b.synthetic }),
        warnings,
        disclosure,
        stages: STAGES
            .iter()
            .map(|s| DisproportionalityStageInfo {
                stage: *s,
                label: s.label().into(),
                rate: s.rate().map(str::to_string),
                definition: s.definition().into(),
            })
            .collect(),
        groups: out_groups,
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::disproportionality_view::render_html;
    use crate::reports::disproportionality_view::to_csv;

    fn threshold(k: u32) -> Rule {
        Rule { mode: DisclosureMode::Threshold, k }
    }

    fn base() -> PopulationBase {
        PopulationBase {
            source: "test".into(),
            synthetic: false,
            ethnicity: [200, 100, 50, 1000, 40],
            imd_quintile: [200, 300, 300, 300, 400],
        }
    }

    fn cell<'a>(d: &'a Disproportionality, group: &str, stage: Stage) -> &'a DisproportionalityCell {
        let g = d.groups.iter().find(|g| g.group == group).unwrap();
        &g.stages[stage.index()]
    }

    #[test]
    fn groups_follow_the_codes() {
        assert_eq!(groups_of(By::Ethnicity)[group_index(By::Ethnicity, "black_caribbean", Some(3))].0, "black");
        assert_eq!(groups_of(By::Ethnicity)[group_index(By::Ethnicity, "white_roma", None)].0, "white");
        assert_eq!(groups_of(By::Ethnicity)[group_index(By::Ethnicity, "prefer_not_to_say", None)].0, "prefer_not_to_say");
        assert_eq!(groups_of(By::Imd)[group_index(By::Imd, "white_british", Some(10))].0, "5");
        assert_eq!(groups_of(By::Imd)[group_index(By::Imd, "white_british", Some(1))].0, "1");
        assert_eq!(groups_of(By::Imd)[group_index(By::Imd, "white_british", None)].0, "not_known");
        let lines = |code: &str| lines_of(By::Ethnicity, code, None).into_iter().map(|g| groups_of(By::Ethnicity)[g].0).collect::<Vec<_>>();
        assert_eq!(lines("white_roma"), ["white", "white_roma"]);
        assert_eq!(lines("white_gypsy_irish_traveller"), ["white", "white_gypsy_irish_traveller"]);
        assert_eq!(lines("black_african"), ["black"]);
        assert_eq!(lines_of(By::Imd, "white_roma", Some(1)).len(), 1);
        // Every group the settings accept as the reference is a line of the table.
        for r in crate::config::ETHNIC_REFERENCE_GROUPS {
            assert!(groups_of(By::Ethnicity).iter().any(|(k, _)| *k == r), "{r}");
        }
    }

    #[test]
    fn the_detailed_white_lines_are_published_on_their_own_and_may_be_the_reference() {
        // Six White girls: four White British, two Roma (hidden at k = 3, and so the smallest
        // other detailed count with them); against White British, Black is 3/3 ÷ 4/4.
        let mut counts = vec![[0u64; 7]; 12];
        counts[1] = [3, 3, 3, 3, 3, 0, 0];
        counts[3] = [6, 6, 6, 6, 6, 0, 0];
        counts[7] = [4, 4, 4, 4, 4, 0, 0];
        counts[10] = [2, 2, 2, 2, 2, 0, 0];
        let day = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        let d = assemble(counts.clone(), Some(&base()), &threshold(3), (None, None), By::Ethnicity, "white", day);
        let roma = d.groups.iter().find(|g| g.group == "white_roma").unwrap();
        assert_eq!(roma.within.as_deref(), Some("white"));
        assert_eq!(cell(&d, "white_roma", Stage::Referred).count, Published::Hidden("[c]".into()));
        assert!(cell(&d, "white_british", Stage::Referred).count.is_hidden(), "the other detailed count is hidden with it");
        assert_eq!(cell(&d, "white", Stage::Referred).count, Published::Shown(6));
        let d = assemble(counts, Some(&base()), &threshold(2), (None, None), By::Ethnicity, "white_british", day);
        assert_eq!(d.reference_group, "white_british");
        assert_eq!(cell(&d, "white_british", Stage::Accepted).note.as_deref(), Some("reference group"));
        assert_eq!(cell(&d, "black", Stage::Accepted).rri, Some(1.0));
        assert_eq!(cell(&d, "white", Stage::Accepted).rri, Some(1.0));
        assert_eq!(cell(&d, "black", Stage::Referred).note.as_deref(), Some("no population base for this group"));
        // Where White itself is hidden, every detailed line is too, but for its zeros.
        let mut small = vec![[0u64; 7]; 12];
        small[1] = [5, 0, 0, 0, 0, 0, 0];
        small[3] = [1, 0, 0, 0, 0, 0, 0];
        small[7] = [1, 0, 0, 0, 0, 0, 0];
        let d = assemble(small, Some(&base()), &threshold(2), (None, None), By::Ethnicity, "white", day);
        assert!(cell(&d, "white", Stage::Referred).count.is_hidden());
        assert!(cell(&d, "white_british", Stage::Referred).count.is_hidden());
        assert_eq!(cell(&d, "white_roma", Stage::Referred).count, Published::Shown(0));
    }

    #[test]
    fn assembled_tables_follow_the_hand_worked_example() {
        // asian, black, mixed, white, other, prefer not to say, not known; stages referred,
        // accepted, matched, could reach six months, sustained, with outcomes, improved.
        // Then the detailed White lines: all six White girls are White British.
        let mut counts =
            vec![[1, 0, 0, 0, 0, 0, 0], [3, 3, 2, 2, 1, 0, 0], [0; 7], [6, 4, 2, 2, 2, 2, 1], [0; 7], [2, 0, 0, 0, 0, 0, 0], [0; 7]];
        counts.extend([[6, 4, 2, 2, 2, 2, 1], [0; 7], [0; 7], [0; 7], [0; 7]]);
        let day = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        let d = assemble(counts, Some(&base()), &threshold(2), (None, None), By::Ethnicity, "white", day);
        // Black referred: (3/100) / (6/1000) = 5.0, MOVER-Wilson interval 1.35 to 18.54.
        let b = cell(&d, "black", Stage::Referred);
        assert_eq!((b.rri, b.ci_low, b.ci_high), (Some(5.0), Some(1.35), Some(18.54)));
        // Accepted: (3/3) / (4/6) = 1.5 (0.63 to 3.33): everyone accepted keeps its uncertainty.
        let b = cell(&d, "black", Stage::Accepted);
        assert_eq!((b.rri, b.ci_low, b.ci_high), (Some(1.5), Some(0.63), Some(3.33)));
        assert_eq!(
            cell(&d, "black", Stage::CouldReachSixMonths).note.as_deref(),
            Some("the base of the sustained stage: no RRI of its own")
        );
        // The 1 Asian referral is hidden, and so is the smallest other count of the column (2).
        assert_eq!(cell(&d, "asian", Stage::Referred).count, Published::Hidden("[c]".into()));
        assert_eq!(cell(&d, "prefer_not_to_say", Stage::Referred).count, Published::Hidden("[c]".into()));
        assert_eq!(cell(&d, "asian", Stage::Referred).note.as_deref(), Some("small numbers"));
        assert_eq!(cell(&d, "prefer_not_to_say", Stage::Referred).note.as_deref(), Some("no population base for this group"));
        // Sustained: 1 Black girl is hidden, so the 2 White are too, and no RRI is shown.
        assert_eq!(cell(&d, "black", Stage::SustainedSixMonths).note.as_deref(), Some("small numbers"));
        assert_eq!(cell(&d, "white", Stage::Referred).rri, Some(1.0));
        assert_eq!(cell(&d, "mixed", Stage::Accepted).note.as_deref(), Some("no one in this group at the previous stage"));
        assert_eq!(cell(&d, "mixed", Stage::Referred).note.as_deref(), Some("no events in this group"));
        let html = render_html(&d);
        assert!(html.starts_with("<section") && html.ends_with("</section>"));
        assert!(html.contains("<svg") && html.contains("1 (parity)"));
        assert!(!html.contains("http") && !html.contains("<script"));
        let csv = to_csv(&d);
        assert!(csv.lines().count() == 1 + 12 * 7);
    }

    #[test]
    fn without_a_base_the_first_stage_says_so() {
        let mut counts = vec![[0; 7], [3, 3, 2, 2, 0, 0, 0], [0; 7], [6, 4, 2, 2, 0, 0, 0], [0; 7], [0; 7], [0; 7]];
        counts.extend([[6, 4, 2, 2, 0, 0, 0], [0; 7], [0; 7], [0; 7], [0; 7]]);
        let d = assemble(counts, None, &threshold(2), (None, None), By::Ethnicity, "white", NaiveDate::MIN);
        assert_eq!(cell(&d, "black", Stage::Referred).note.as_deref(), Some("no population base configured"));
        assert_eq!(cell(&d, "black", Stage::Accepted).rri, Some(1.5));
        assert_eq!(cell(&d, "black", Stage::SustainedSixMonths).note.as_deref(), Some("no events in the reference group"));
        assert!(d.population_base.is_none() && !d.warnings.is_empty());
    }

    #[test]
    fn html_escapes_text() {
        let mut b = base();
        b.source = "<b>Census & co</b>".into();
        let d = assemble(vec![[0; 7]; 12], Some(&b), &threshold(2), (None, None), By::Ethnicity, "white", NaiveDate::MIN);
        let html = render_html(&d);
        assert!(html.contains("&lt;b&gt;Census &amp; co&lt;/b&gt;") && !html.contains("<b>Census"));
    }
}
