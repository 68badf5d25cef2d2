//! `debrief metrics` as a user runs it: after `demo load`, the seed's
//! dashboard as JSON (the API's body) and as a table.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn debrief(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_debrief"));
    c.arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("metrics.db").display()))
        .env("RUST_LOG", "warn")
        .env("DEBRIEF_DATA_DIR", dir)
        .env_remove("DEBRIEF_DATABASE_URL")
        .env_remove("DEBRIEF_CONFIG");
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run(debrief(dir.path()).args(["demo", "load"]));
    dir
}

#[test]
fn metrics_as_json_has_the_seed_figures_for_q4() {
    let dir = demo();
    let out =
        run(debrief(dir.path()).args(["metrics", "--format", "json", "--today", "2025-12-01"]));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let q4 = d["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "2025-Q4")
        .unwrap();
    assert_eq!(q4["incidents"], 12);
    assert_eq!(q4["mttd"]["mean_seconds"], 8 * 60);
    assert_eq!(q4["mttr"]["mean_seconds"], 12 * 60);
    assert_eq!(q4["mttc"]["mean_seconds"], 9000, "2.5 hours");
    assert_eq!(q4["repeats"], 1);
    let rates: Vec<Value> = d["completion_by_horizon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rate_percent"].clone())
        .collect();
    assert_eq!(rates, [json!(95), json!(78), json!(62), json!(45)]);
    // The API's body: the same top-level fields.
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "completion_by_horizon",
            "definitions",
            "from",
            "group",
            "incidents",
            "periods",
            "to",
            "today",
            "trend_rule",
            "trends",
            "undetected"
        ]
    );
}

#[test]
fn metrics_by_month_in_a_range_and_as_text() {
    let dir = demo();
    let out = run(debrief(dir.path()).args([
        "metrics",
        "--group",
        "month",
        "--from",
        "2025-10-01",
        "--to",
        "2025-11-30",
        "--format",
        "json",
    ]));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels: Vec<&str> = d["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2025-10", "2025-11"]);
    assert_eq!(d["incidents"], 12);

    let out = run(debrief(dir.path()).args(["metrics", "--today", "2025-12-01"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("2025-Q4"), "{text}");
    assert!(text.contains("2.5 h") && text.contains("45 min"), "{text}");
    assert!(
        text.contains("↓ improving") && text.contains("↓ fewer"),
        "{text}"
    );
    assert!(text.contains("Definitions"), "{text}");
}

#[test]
fn metrics_refuses_a_bad_group_and_a_backwards_range() {
    let dir = demo();
    let out = debrief(dir.path())
        .args(["metrics", "--group", "week"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--group") && err.contains("quarter") && err.contains("month"),
        "{err}"
    );
    let out = debrief(dir.path())
        .args(["metrics", "--from", "2025-06-01", "--to", "2025-01-01"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
}
