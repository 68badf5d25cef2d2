//! `debrief lint` and `debrief check` as a user (or a CI job) runs them:
//! JSON on standard output, exit codes that a gate can rely on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary with a data folder of its own, so nothing outside `data` is
/// touched and a command that should not create it can be caught doing so.
fn debrief(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_debrief"));
    c.env("RUST_LOG", "warn")
        .env("DEBRIEF_DATA_DIR", data)
        .env("XDG_DATA_HOME", data)
        .env_remove("DEBRIEF_DATABASE_URL")
        .env_remove("DEBRIEF_CONFIG");
    c
}

/// Runs `debrief lint ARGS` with `input` on standard input.
fn lint(data: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = debrief(data)
        .arg("lint")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn findings(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
        .as_array()
        .expect("a JSON array")
        .clone()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn lint_points_at_the_blameful_words_and_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = "The engineer failed to rotate the key.\n";
    let out = lint(&data, &[], text.as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found = findings(&out);
    let blame = found
        .iter()
        .find(|f| f["rule"] == "blame")
        .unwrap_or_else(|| panic!("no blame finding in {found:#?}"));
    let (start, end) = (
        blame["start"].as_u64().unwrap() as usize,
        blame["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "failed to");
    assert_eq!(blame["severity"], "warning");
    let mut fields: Vec<&str> = blame
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["end", "message", "rule", "severity", "start", "suggestion"],
        "bare text has no field path"
    );
    assert!(!data.exists(), "lint must not create the data folder");
}

#[test]
fn lint_of_a_blameless_sentence_prints_an_empty_array_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(
        dir.path(),
        &[],
        b"The backup job failed to start because the disk was full.",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn lint_as_root_cause_calls_human_error_superficial() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(dir.path(), &["--as", "root-cause"], b"human error");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found = findings(&out);
    assert!(
        found.iter().any(|f| f["rule"] == "superficial-cause"),
        "{found:#?}"
    );
}

#[test]
fn lint_refuses_an_unknown_kind_and_names_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(dir.path(), &["--as", "essay"], b"text");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--as"), "{err}");
    for kind in ["narrative", "root-cause", "action-item"] {
        assert!(err.contains(kind), "{kind} missing from: {err}");
    }
}

#[test]
fn lint_refuses_input_that_is_not_utf8_and_says_where_it_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(dir.path(), &[], b"caf\xe9 was careless");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("standard input") && err.contains("UTF-8"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn lint_rules_lists_every_rule_with_its_severity() {
    let dir = tempfile::tempdir().unwrap();
    let out = debrief(dir.path())
        .args(["lint", "--rules"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    for rule in RULE_IDS {
        assert!(
            text.lines().any(|l| l.starts_with(rule)),
            "{rule} missing from:\n{text}"
        );
    }
    assert!(text.contains("blocking"));
}

/// The rule ids `debrief lint --rules` must list (the coach's `ids`; this
/// test drives the binary and does not link the core crate).
const RULE_IDS: [&str; 14] = [
    "blame",
    "superficial-cause",
    "vague-action",
    "shallow-whys",
    "hindsight",
    "pitfall-no-action-items",
    "pitfall-no-follow-through",
    "pitfall-meeting-length",
    "pitfall-missing-participants",
    "pitfall-no-followup-review",
    "pitfall-recurring-category",
    "pitfall-not-shared",
    "pitfall-no-primary-cause",
    "pitfall-no-timeline",
];

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("coach.db").display())
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    out
}

#[test]
fn check_of_the_seed_incident_has_nothing_blocking_and_a_five_minute_response() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path());
    run(debrief(dir.path())
        .args(["--database-url", &db])
        .args(["demo", "load"]));

    let out = debrief(dir.path())
        .args(["--database-url", &db])
        .args(["check", "INC-2025-1128", "--today", "2025-12-01"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "checklist",
            "deadlines",
            "findings",
            "measures",
            "sla",
            "steps"
        ]
    );
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] != "blocking"),
        "{findings:#?}"
    );
    assert!(
        findings.iter().all(|f| f["field"].is_string()),
        "findings of a document carry field paths: {findings:#?}"
    );
    // Two earlier Authentication Bypass incidents in the year before it,
    // counted from the store.
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "pitfall-recurring-category"),
        "{findings:#?}"
    );
    let respond = report["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["measure"] == "time_to_respond")
        .unwrap();
    assert_eq!(respond["value_seconds"], 300);
    assert_eq!(respond["from"]["moment"], "detected");
    assert_eq!(respond["to"]["moment"], "responded");
    let sla_respond = &report["sla"][0];
    assert_eq!(sla_respond["measure"], "respond");
    assert_eq!(sla_respond["met"], true);
    assert_eq!(report["steps"].as_array().unwrap().len(), 6);
    assert_eq!(report["deadlines"][0]["step"], "schedule_meeting");
    assert!(!report["checklist"].as_array().unwrap().is_empty());

    // The text form is for people: grouped, with a summary line.
    let out = run(debrief(dir.path()).args(["--database-url", &db]).args([
        "check",
        "INC-2025-1128",
        "--today",
        "2025-12-01",
    ]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Coach: 0 blocking, 1 warning, 0 info"),
        "{text}"
    );
    for section in [
        "Response measures",
        "SLA",
        "Post-mortem process",
        "Six steps",
        "Checklist",
    ] {
        assert!(text.contains(section), "{section} missing from:\n{text}");
    }
    assert!(text.contains("Detection to response     5m"), "{text}");
}

#[test]
fn check_fails_the_gate_on_a_blocking_finding_and_errors_on_an_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path());
    let file = dir.path().join("draft.json");
    std::fs::write(
        &file,
        r#"{"key": "INC-2025-0001", "title": "Login outage", "severity": "low",
            "status": "open", "postmortem_status": "draft",
            "root_causes": [{"kind": "primary", "title": "Human error"}]}"#,
    )
    .unwrap();
    run(debrief(dir.path())
        .args(["--database-url", &db, "import"])
        .arg(&file));

    let out = debrief(dir.path())
        .args(["--database-url", &db])
        .args(["check", "INC-2025-0001", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let blocking: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .collect();
    assert!(
        blocking
            .iter()
            .any(|f| f["rule"] == "superficial-cause" && f["field"] == "root_causes[0].title"),
        "{blocking:#?}"
    );

    let out = debrief(dir.path())
        .args(["--database-url", &db])
        .args(["check", "INC-2099-0042"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("INC-2099-0042"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}
