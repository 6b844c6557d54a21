//! The tests of `anonymity.rs`: the plan is k-anonymous, on its floor, over what the project holds.
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
