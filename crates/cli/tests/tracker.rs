//! `debrief actions export` and `debrief actions import` as a user runs
//! them: the Jira CSV of the demo set, the JSON export, and an import that
//! links a ticket by External ID, refuses a file with a bad line as a
//! whole (exit 1, line and column on stderr) and applies a good one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::process::{Command, Output};

use serde_json::Value;

fn debrief(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_debrief"));
    c.arg("--database-url")
        .arg(db)
        .env("RUST_LOG", "warn")
        .env_remove("DEBRIEF_DATABASE_URL");
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn first_item(db: &str) -> Value {
    let out = run(debrief(db).args([
        "actions",
        "export",
        "--format",
        "json",
        "--incident",
        "INC-2025-1128",
    ]));
    let items: Value = serde_json::from_slice(&out.stdout).unwrap();
    items[0].clone()
}

#[test]
fn the_demo_action_items_go_to_a_tracker_and_their_statuses_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    run(debrief(&db).args(["demo", "load"]));

    let csv_path = dir.path().join("items.csv");
    run(debrief(&db)
        .args(["actions", "export", "--out"])
        .arg(&csv_path));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("Summary,Description,Issue Type,Priority,Assignee,Due Date,"));
    assert!(csv.contains("INC-2025-1128"));

    let item = first_item(&db);
    let id = item["item"]["id"].as_str().unwrap().to_owned();
    assert!(item["item"].get("external_ref").is_none());

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("Issue key,Status,External ID\nSEC-100,In Progress,{id}\nSEC-101,Sleeping,\n"),
    )
    .unwrap();
    let out = debrief(&db)
        .args(["actions", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column 2 (Status)"), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(first_item(&db)["item"].get("external_ref").is_none());

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("Issue key,Status,External ID\nSEC-100,In Progress,{id}\n"),
    )
    .unwrap();
    let out = run(debrief(&db).args(["actions", "import"]).arg(&good));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 changed"), "{text}");
    let after = first_item(&db);
    assert_eq!(after["item"]["external_ref"], "SEC-100");
    assert_eq!(after["item"]["status"], "in_progress");
}
