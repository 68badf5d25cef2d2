//! Benchmark: timeline entries inserted per second through the bulk path
//! (`Store::append_timeline`), as the SIEM/EDR importers use it.
//!
//! `cargo run --release -p debrief-store --example timeline_insert -- [DATABASE_URL] [ENTRIES]`
//! Defaults: a fresh SQLite file in a temporary folder, 100,000 entries.
//! Prints one JSON line: `{"backend": ..., "entries": N, "seconds": S, "per_second": R}`.
#![allow(clippy::expect_used)]

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use debrief_core::{IncidentKey, NewIncident, Phase, TimelineEntry};
use debrief_store::{Ctx, Store};
use uuid::Uuid;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = args
        .next()
        .filter(|a| a != "-")
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let entries: usize = args
        .next()
        .map_or(100_000, |n| n.parse().expect("ENTRIES is a number"));

    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let t0 = Utc
        .with_ymd_and_hms(2025, 11, 28, 2, 15, 0)
        .single()
        .expect("valid time");
    let key = IncidentKey::parse(&format!(
        "BENCH-{}",
        Uuid::new_v4().simple().to_string()[..8].to_uppercase()
    ))
    .expect("valid key");
    let input: NewIncident = serde_json::from_value(serde_json::json!({
        "key": key, "title": "Timeline insert benchmark", "severity": "low"
    }))
    .expect("valid incident");
    store
        .create_incident(input, &Ctx::system(t0))
        .await
        .expect("create");

    let batch = 10_000;
    let start = Instant::now();
    let mut done = 0;
    while done < entries {
        let n = batch.min(entries - done);
        let chunk: Vec<TimelineEntry> = (done..done + n)
            .map(|i| TimelineEntry {
                id: Uuid::nil(),
                occurred_at: t0 + Duration::milliseconds(i as i64 * 250),
                learned_at: None,
                phase: Phase::Detection,
                title: format!(
                    "sshd: Failed password for admin from 185.220.101.{} port {}",
                    i % 255,
                    40000 + i % 20000
                ),
                details: vec!["auth.log".into()],
                we_knew: None,
                we_didnt_know: None,
                decision: None,
                action_taken: None,
                facts: Vec::new(),
                source: Some("syslog".into()),
                tags: vec!["ssh".into()],
            })
            .collect();
        store
            .append_timeline(&key, chunk, None, &Ctx::system(t0))
            .await
            .expect("append");
        done += n;
    }
    let secs = start.elapsed().as_secs_f64();
    let backend = format!("{:?}", store.backend()).to_lowercase();
    println!(
        "{{\"backend\": \"{backend}\", \"entries\": {entries}, \"batch\": {batch}, \"seconds\": {secs:.3}, \"per_second\": {:.0}}}",
        entries as f64 / secs
    );
}
