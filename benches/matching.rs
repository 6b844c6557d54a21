//! Matching benchmarks: ranking one referral among 20,000 mentors, and the optimal plan of
//! 1,000 waiting referrals by 1,000 mentors. Run with `cargo bench --bench matching`.
//!
//! These measure the scoring and assignment themselves on generated data shaped like the
//! `--scale` demo programme; loading the records from the database is measured separately
//! by timing the HTTP routes against a scaled demo database.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use trellis::matches::rules::{self, Candidate, Mentee, Weights};
use trellis::mentors::dto::Slot;
use trellis::mentors::rules::{Day, PartOfDay};
use trellis::young_people::codes::MentorPreference;
use uuid::Uuid;

const DISTRICTS: &[&str] = &["Ashworth", "Brinton", "Calder", "Dunmore", "Eastfield", "Fenwick", "Glenholm"];
const INTERESTS: &[&str] = &["football", "art", "music", "cooking", "climbing", "gaming", "photography", "dance", "animals", "reading"];
const DAYS: &[Day] = &[Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat, Day::Sun];
const PARTS: &[PartOfDay] = &[PartOfDay::Morning, PartOfDay::Afternoon, PartOfDay::Evening];

/// A small deterministic generator (xorshift), so every run measures the same data.
struct Gen(u64);
impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn words(&mut self, from: &[&str], n: usize) -> Vec<String> {
        (0..n).map(|_| from[self.below(from.len())].to_string()).collect()
    }
    fn slots(&mut self, n: usize) -> Vec<Slot> {
        (0..n).map(|_| Slot { day: DAYS[self.below(7)], part: PARTS[self.below(3)] }).collect()
    }
}

fn mentee(g: &mut Gen, i: usize) -> Mentee {
    Mentee {
        id: Uuid::from_u128(i as u128),
        age: 11 + g.below(14) as i32,
        district: DISTRICTS[g.below(DISTRICTS.len())].into(),
        interests: g.words(INTERESTS, 2),
        languages: vec!["English".into()],
        availability: g.slots(2),
        preferences: if g.below(3) == 0 { vec![MentorPreference::SharedInterests] } else { vec![] },
    }
}

fn candidate(g: &mut Gen, j: usize) -> Candidate {
    let age_min = 11 + g.below(4) as i16;
    Candidate {
        id: Uuid::from_u128(1_000_000 + j as u128),
        organisation_id: Uuid::nil(),
        districts: g.words(DISTRICTS, 2),
        interests: g.words(INTERESTS, 3),
        languages: vec!["English".into()],
        availability: g.slots(3),
        age_min,
        age_max: age_min + 6 + g.below(6) as i16,
        lived_experience: g.below(3) == 0,
        places: 1 + g.below(2) as i32,
        compliance_gaps: if g.below(10) == 0 { vec!["DBS expired.".into()] } else { vec![] },
        conflicts: HashSet::new(),
        safeguarding_endings: HashSet::new(),
    }
}

fn time<T>(name: &str, runs: u32, mut f: impl FnMut() -> T) {
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f());
        let took = start.elapsed();
        best = best.min(took);
        total += took;
    }
    println!("{name}: best {:.2} ms, mean {:.2} ms over {runs} runs", best.as_secs_f64() * 1e3, total.as_secs_f64() * 1e3 / runs as f64);
}

fn main() {
    let w = Weights::default();
    let mut g = Gen(0x2026_1123);

    let pool: Vec<Candidate> = (0..20_000).map(|j| candidate(&mut g, j)).collect();
    let her = mentee(&mut g, 0);
    time("suggestions: one referral, 20,000 mentors", 20, || {
        let mut ranked: Vec<(u32, Uuid)> =
            pool.iter().filter(|c| rules::exclusions(&her, c).is_empty()).map(|c| (rules::score(&her, c, &w).total, c.id)).collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(10);
        ranked
    });

    let mentees: Vec<Mentee> = (0..1_000).map(|i| mentee(&mut g, i)).collect();
    let mentors: Vec<Candidate> = (0..1_000).map(|j| candidate(&mut g, j)).collect();
    let build = || -> (Vec<Vec<Option<u32>>>, Vec<u32>) {
        let scores = mentees
            .iter()
            .map(|m| mentors.iter().map(|c| rules::exclusions(m, c).is_empty().then(|| rules::score(m, c, &w).total)).collect())
            .collect();
        (scores, mentors.iter().map(|c| c.places as u32).collect())
    };
    time("plan: scoring 1,000 referrals x 1,000 mentors", 3, build);
    let (scores, places) = build();
    time("plan: optimal assignment (Kuhn-Munkres)", 3, || rules::plan(&scores, &places));
    let best: u64 = rules::plan(&scores, &places).iter().map(|p| p.score as u64).sum();
    let greedy: u64 = rules::greedy(&scores, &places).iter().map(|p| p.score as u64).sum();
    println!("plan total score {best}, greedy {greedy}");
}
