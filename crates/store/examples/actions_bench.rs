//! Latency of [`Store::tracked_actions`] (the action-item list across
//! incidents) with about 500,000 action items on SQLite.
//!
//! `cargo run --release -p debrief-store --example actions_bench -- [COPIES]`
//!
//! The demo set is imported, then its 161 action items are copied COPIES
//! times (default 3,100: 499,261 items) with raw SQL, keeping each copy in
//! its incident with a new number, id, owner and due day. Each list read
//! runs five times; the median is printed. Not a test: no timed asserts.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use chrono::{TimeZone, Utc};
use debrief_core::followup::ActionFilter;
use debrief_core::{ActionStatus, Horizon};
use debrief_store::{Ctx, Store, Visibility};
use sea_orm::ConnectionTrait;

#[tokio::main]
async fn main() {
    let copies: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3100);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
    let ctx = Ctx::system(now);
    for doc in debrief_core::demo::documents().unwrap() {
        store.import(doc, false, &ctx).await.unwrap();
    }
    let t = Instant::now();
    store
        .connection()
        .execute_unprepared(&format!(
            "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies})
             INSERT INTO action_items (id, incident_id, number, title, description, owner, team, due,
                 priority, kind, success_criteria, status, status_history, verification, addresses, external_ref)
             SELECT randomblob(16), incident_id, number + 100 * n, title || ' ' || n, description,
                 owner || (n % 50), team, date(due, '+' || (n % 400) || ' days'), priority, kind,
                 success_criteria, status, status_history, verification, addresses, external_ref
             FROM action_items, k"
        ))
        .await
        .unwrap();
    println!("generated in {:.1} s", t.elapsed().as_secs_f64());
    let today = now.date_naive();
    let cases = [
        ("first page, no filter", ActionFilter::default()),
        (
            "overdue",
            ActionFilter {
                overdue: true,
                ..Default::default()
            },
        ),
        (
            "owner",
            ActionFilter {
                owner: Some("Priya7".into()),
                ..Default::default()
            },
        ),
        (
            "team + statuses",
            ActionFilter {
                team: Some("Security Operations".into()),
                statuses: vec![ActionStatus::Planned, ActionStatus::Blocked],
                ..Default::default()
            },
        ),
        (
            "title text",
            ActionFilter {
                q: Some("hardware security".into()),
                ..Default::default()
            },
        ),
        (
            "horizon (checked in Rust)",
            ActionFilter {
                horizon: Some(Horizon::LongTerm),
                ..Default::default()
            },
        ),
    ];
    for (name, filter) in cases {
        let mut ms = Vec::new();
        let mut total = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let page = store
                .tracked_actions(&Visibility::All, &filter, today, Some(50), 0)
                .await
                .unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            total = page.total;
        }
        ms.sort_by(f64::total_cmp);
        println!("{name:28} total {total:>7}  median {:>8.1} ms", ms[2]);
    }
}
