//! Benchmark of the learning loop at scale (issue 6): a generated data set
//! of INCIDENTS post-mortems with five action items each, then the latency
//! of the reads a security team makes over all of them:
//!
//! - the metrics dashboard (every incident's header and action items, then
//!   the pure dashboard computation), by quarter;
//! - similar earlier incidents for one incident ([`Store::similar_to`]);
//! - full-text search ([`Store::search`]) for a set of typical queries;
//! - the database size.
//!
//! `cargo run --release -p debrief-store --example learning_bench -- [DATABASE_URL|-] [INCIDENTS]`
//! Defaults: a fresh SQLite file in a temporary folder, 100,000 incidents.
//! Prints one JSON line with every figure.
//!
//! The incidents are the demo set's 34 smaller post-mortems used as
//! templates: each copy gets fresh ids (references between sections kept),
//! its times moved to a random day of 2023-2026, a host name and account
//! of its own in the title and summary (so the text is not 34 documents
//! repeated), a category, techniques and systems drawn from the set, and
//! exactly five action items with due dates and statuses that follow from
//! the incident's age. They go in through [`Store::import`], the same path
//! as `debrief import` (a thousand per transaction, [`Store::import_many`]),
//! so every index and the audit trail are as they would be in use.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use debrief_core::action::{ActionStatus, StatusChange, Verification};
use debrief_core::{IncidentKey, PostMortem};
use debrief_store::{Backend, Ctx, Store, Visibility};
use serde_json::Value;
use uuid::Uuid;

/// A small deterministic generator (SplitMix64): the same data set on every
/// run and every backend, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const OWNERS: &[&str] = &[
    "Priya", "Grace", "Tom", "Sarah", "Mike", "Lisa", "Jordan", "Amara", "Chen", "Olu", "Ines",
    "Raj", "Nadia", "Kofi", "Elena", "Sam",
];
const TEAMS: &[&str] = &[
    "Security Operations",
    "Platform",
    "Identity",
    "Finance IT",
    "Network",
    "Application Security",
    "IT Operations",
    "Data Engineering",
];

/// Replaces every UUID in the JSON tree with a fresh one, the same
/// replacement for the same UUID, so links between sections still hold;
/// moves every time and day by `shift`.
fn refresh(v: &mut Value, ids: &mut HashMap<String, String>, shift: Duration) {
    match v {
        Value::String(s) => {
            if s.len() == 36 && Uuid::parse_str(s).is_ok() {
                let new = ids
                    .entry(s.clone())
                    .or_insert_with(|| Uuid::new_v4().to_string());
                *s = new.clone();
            } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                *s = (t.with_timezone(&Utc) + shift)
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string();
            } else if s.len() == 10
                && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            {
                *s = (d + shift).format("%Y-%m-%d").to_string();
            }
        }
        Value::Array(xs) => xs.iter_mut().for_each(|x| refresh(x, ids, shift)),
        Value::Object(m) => m.values_mut().for_each(|x| refresh(x, ids, shift)),
        _ => {}
    }
}

/// The `n`th generated incident.
fn generate(n: usize, templates: &[PostMortem], rng: &mut Rng, today: NaiveDate) -> PostMortem {
    let t = rng.pick(templates);
    let base = t
        .lifecycle
        .detected
        .expect("templates have a detection time");
    // 2023-01-01 .. 2026-11-01, minute resolution.
    let start = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let when = start + Duration::minutes(rng.below(1_400 * 24 * 60) as i64);
    let shift = when - base;
    let mut json = serde_json::to_value(t).unwrap();
    json["key"] = Value::String(format!("GEN-{n:06}"));
    json["repeat_of"] = Value::Null;
    json["related"] = Value::Array(Vec::new());
    // Keep the five action items (padding with copies of the template's own).
    let items = json["action_items"].as_array().cloned().unwrap_or_default();
    let mut five = Vec::new();
    for i in 0..5 {
        let mut item = items[i % items.len()].clone();
        if i >= items.len() {
            item["addresses"] = serde_json::json!({});
        }
        five.push(item);
    }
    json["action_items"] = Value::Array(five);
    let mut ids = HashMap::new();
    refresh(&mut json, &mut ids, shift);
    let mut doc: PostMortem = serde_json::from_value(json).unwrap();
    let host = format!("srv-{:04}", rng.below(5_000));
    let account = format!("user{:05}", rng.below(20_000));
    doc.title = format!("{} on {host}", doc.title);
    doc.summary = format!(
        "{} First seen on {host} for account {account}.",
        doc.summary
    );
    if rng.below(3) == 0 {
        doc.category = Some(rng.pick(templates).category.clone().unwrap_or_default());
    }
    let other = rng.pick(templates);
    doc.attack_techniques
        .extend(other.attack_techniques.iter().take(1).cloned());
    doc.impact.systems_affected.push(host.clone());
    let detected = doc.lifecycle.detected.unwrap().date_naive();
    for (i, item) in doc.action_items.iter_mut().enumerate() {
        // Fresh ids and numbers, assigned by the store (copies share one).
        item.id = Uuid::nil();
        item.number = 0;
        let days = [3, 14, 45, 120, 200][i] + rng.below(10) as i64;
        let due = detected + Duration::days(days);
        item.due = Some(due);
        item.horizon = None;
        item.owner = Some((*rng.pick(OWNERS)).to_owned());
        item.team = Some((*rng.pick(TEAMS)).to_owned());
        // Older items are mostly done; the rest spread over the statuses.
        let roll = rng.below(100);
        let status = if due < today && roll < 75 {
            if roll < 20 {
                ActionStatus::Verified
            } else {
                ActionStatus::Complete
            }
        } else {
            *rng.pick(&[
                ActionStatus::Planned,
                ActionStatus::InProgress,
                ActionStatus::Blocked,
                ActionStatus::Complete,
                ActionStatus::WontDo,
            ])
        };
        let on = (due - Duration::days(rng.below(5) as i64)).min(today);
        item.status = status;
        item.status_history = vec![StatusChange {
            status,
            on: on.max(detected),
            note: None,
        }];
        item.verification = (status == ActionStatus::Verified).then(|| Verification {
            effective: true,
            on: on.max(detected),
            evidence: "Red-team retest passed".into(),
        });
        if status == ActionStatus::Verified {
            item.success_criteria.iter_mut().for_each(|c| c.done = true);
        }
    }
    doc.version = 0;
    doc.created_at = None;
    doc.updated_at = None;
    doc
}

/// p50 and p95 of `xs` in milliseconds.
fn percentiles(xs: &mut [f64]) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |p: f64| xs[((xs.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.95))
}

async fn database_bytes(store: &Store, url: &str) -> u64 {
    use sea_orm::{ConnectionTrait, Statement};
    match store.backend() {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            let path = path.split('?').next().unwrap_or(path);
            ["", "-wal"]
                .iter()
                .filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok())
                .map(|m| m.len())
                .sum()
        }
        Backend::Postgres => {
            let row = store
                .connection()
                .query_one_raw(Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT pg_database_size(current_database())::bigint AS n",
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap() as u64
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = args.next().filter(|a| a != "-").unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let incidents: usize = args
        .next()
        .map_or(100_000, |n| n.parse().expect("INCIDENTS is a number"));

    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let now = Utc.from_utc_datetime(&today.and_hms_opt(9, 0, 0).unwrap());
    let ctx = Ctx::system(now);
    let templates: Vec<PostMortem> = debrief_core::demo::documents()
        .unwrap()
        .into_iter()
        .filter(|d| d.key.as_str() != debrief_core::demo::FEATURED_KEY)
        .collect();

    // Load.
    let mut rng = Rng(20_251_128);
    let load = Instant::now();
    // With BENCH_REUSE set, a database already loaded by an earlier run is
    // measured again as it is.
    let mut n = if std::env::var_os("BENCH_REUSE").is_some() {
        incidents
    } else {
        0
    };
    while n < incidents {
        let batch: Vec<PostMortem> = (n..incidents.min(n + 1_000))
            .map(|i| generate(i, &templates, &mut rng, today))
            .collect();
        n += store.import_many(batch, &ctx).await.expect("import");
        if n % 10_000 == 0 {
            eprintln!("loaded {n} in {:.0} s", load.elapsed().as_secs_f64());
        }
    }
    let load_secs = load.elapsed().as_secs_f64();

    // Dashboard: every header and action item, then the computation.
    let (mut dash, mut dash_read) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let docs = store
            .dashboard_inputs(&Visibility::All)
            .await
            .expect("read");
        dash_read.push(t.elapsed().as_secs_f64() * 1e3);
        let d = debrief_core::dashboard::dashboard(
            &docs,
            None,
            None,
            debrief_core::dashboard::Group::Quarter,
            today,
        );
        assert!(!d.periods.is_empty());
        dash.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (read_p50, _) = percentiles(&mut dash_read);
    let (dash_p50, dash_p95) = percentiles(&mut dash);

    // Similar incidents for incidents across the set.
    let mut sim = Vec::new();
    let mut found = 0usize;
    for i in 0..40 {
        let key = IncidentKey::parse(&format!("GEN-{:06}", (i * 7_919) % incidents)).unwrap();
        let doc = store.get(&key).await.expect("get");
        let t = Instant::now();
        let s = store
            .similar_to(&doc, &Visibility::All, 5)
            .await
            .expect("similar");
        sim.push(t.elapsed().as_secs_f64() * 1e3);
        found += s.len();
    }
    let (sim_p50, sim_p95) = percentiles(&mut sim);

    // Full-text search: a security team's queries, each five times.
    const QUERIES: &[&str] = &[
        "phishing",
        "mfa bypass",
        "\"bank details\"",
        "ransomware backup",
        "sim swap",
        "credential stuffing",
        "srv-0042",
        "user00042",
        "supplier mailbox compromised",
        "exfiltration -insider",
        "T1566",
        "misconfigured bucket public",
        "ddos mitigation",
        "patch*",
        "vpn OR rdp",
        "kerberoasting",
    ];
    let mut search = Vec::new();
    let mut hits = 0u64;
    for _ in 0..5 {
        for q in QUERIES {
            let t = Instant::now();
            let page = store
                .search(
                    &Visibility::All,
                    &debrief_store::search::SearchQuery::text(*q),
                )
                .await
                .expect("search");
            search.push(t.elapsed().as_secs_f64() * 1e3);
            hits += page.total;
        }
    }
    let (search_p50, search_p95) = percentiles(&mut search);

    let bytes = database_bytes(&store, &url).await;
    println!(
        "{}",
        serde_json::json!({
            "backend": match store.backend() { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" },
            "incidents": incidents,
            "action_items": incidents * 5,
            "load_seconds": (load_secs * 10.0).round() / 10.0,
            "dashboard_ms": {"p50": dash_p50, "p95": dash_p95, "read_p50": read_p50},
            "similar_ms": {"p50": sim_p50, "p95": sim_p95, "found": found},
            "search_ms": {"p50": search_p50, "p95": search_p95, "queries": QUERIES.len() * 5, "matches": hits},
            "database_mb": bytes / 1_000_000,
        })
    );
}
