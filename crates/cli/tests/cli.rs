//! The `debrief` binary as a user runs it: import and export, the demo set,
//! and `serve` (two processes on one PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

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

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

fn keys(db: &str) -> Vec<String> {
    let out = run(debrief(db).args(["list", "--json", "--limit", "500"]));
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

#[test]
fn every_demo_post_mortem_survives_export_import_export_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (sqlite(dir.path(), "a.db"), sqlite(dir.path(), "b.db"));
    let out = run(debrief(&a).args(["demo", "load"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("loaded 35 demo incidents"));
    let all = keys(&a);
    assert_eq!(all.len(), 35);
    for key in &all {
        let file = dir.path().join(format!("{key}.json"));
        run(debrief(&a)
            .args(["export", key, "--format", "json", "--output"])
            .arg(&file));
        run(debrief(&b).arg("import").arg(&file));
        let first = std::fs::read_to_string(&file).unwrap();
        let again = run(debrief(&b).args(["export", key, "--format", "json"]));
        assert_eq!(
            first,
            String::from_utf8(again.stdout).unwrap(),
            "{key} changed on the round trip"
        );
    }
}

#[test]
fn import_refuses_an_existing_key_unless_told_to_replace() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), "x.db");
    run(debrief(&db).args(["demo", "load"]));
    let file = dir.path().join("doc.json");
    run(debrief(&db)
        .args(["export", "INC-2025-1128", "--output"])
        .arg(&file));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["title"] = Value::from("Changed title");
    std::fs::write(&file, doc.to_string()).unwrap();

    let out = debrief(&db).arg("import").arg(&file).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    let md = run(debrief(&db).args(["export", "INC-2025-1128", "--format", "md"]));
    assert!(!String::from_utf8_lossy(&md.stdout).contains("Changed title"));

    run(debrief(&db).arg("import").arg("--replace").arg(&file));
    let md = run(debrief(&db).args(["export", "INC-2025-1128", "--format", "md"]));
    assert!(String::from_utf8_lossy(&md.stdout).contains("Changed title"));
}

#[test]
fn a_bad_import_file_names_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), "x.db");
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"key": "INC-2025-0001", "title": "t", "severity": "low", "status": "open", "postmortem_status": "draft",
            "fmea": [{"failure_mode": "x", "severity": 0, "occurrence": 1, "detection": 1}]}"#,
    )
    .unwrap();
    let out = debrief(&db).arg("import").arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fmea[0].severity"), "{err}");
    assert!(keys(&db).is_empty());
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(db: &str, extra: &[&str], env: &[(&str, &Path)]) -> Server {
        let mut cmd = debrief(db);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let line = listening_line(&mut child);
        let url = line
            .trim()
            .strip_prefix("debrief listening on ")
            .unwrap_or_else(|| panic!("unexpected: {line}"))
            .to_owned();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the server's standard output up to the line that names its
/// address (first-start notices and demo passwords come before it).
fn listening_line(child: &mut Child) -> String {
    startup(child).1
}

/// What the server printed before it listened, and the listening line.
fn startup(child: &mut Child) -> (String, String) {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "server exited; it printed:\n{seen}"
        );
        if line.starts_with("debrief listening on ") {
            // Keep draining in the background so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
            return (seen, line);
        }
        seen.push_str(&line);
    }
}

/// Makes a user with the CLI and returns a bearer header value for a token of `scope`.
fn bearer(db: &str, name: &str, role: &str, scope: &str) -> String {
    let mut create = debrief(db);
    create
        .args(["user", "create", name, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = create.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "correct horse battery staple {name}").unwrap();
    }
    assert!(child.wait().unwrap().success());
    let out = run(debrief(db).args(["token", "create", "--user", name, "--scope", scope]));
    let stdout = String::from_utf8(out.stdout).unwrap();
    format!("Bearer {}", stdout.lines().last().unwrap().trim())
}

#[test]
fn serve_with_demo_uses_an_sqlite_file_in_the_data_folder_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("xdg");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_debrief"));
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--demo"])
        .env("XDG_DATA_HOME", &data)
        .env_remove("DEBRIEF_DATABASE_URL")
        .env_remove("DEBRIEF_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let line = listening_line(&mut child);
    let server = Server {
        child,
        url: line
            .trim()
            .trim_start_matches("debrief listening on ")
            .to_owned(),
    };
    let db_file = data.join("debrief/debrief.db");
    assert!(db_file.exists());
    let auth = bearer(
        &format!("sqlite://{}", db_file.display()),
        "reader",
        "viewer",
        "read",
    );
    let doc: Value = ureq::get(&format!("{}/api/v1/incidents/INC-2025-1128", server.url))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(doc["category"], "Authentication Bypass");
    let anonymous = ureq::get(&format!("{}/api/v1/incidents/INC-2025-1128", server.url)).call();
    assert!(
        matches!(anonymous, Err(ureq::Error::Status(401, _))),
        "no credentials, no post-mortem"
    );
}

fn fresh_postgres() -> Option<String> {
    let admin = std::env::var("DEBRIEF_TEST_PG").ok()?;
    let name = format!("debrief_test_cli_{}", std::process::id());
    let status = Command::new("psql")
        .arg(&admin)
        .args(["-q", "-c", &format!("create database {name}")])
        .status()
        .unwrap();
    assert!(status.success(), "could not create {name}");
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

#[test]
fn two_servers_on_one_postgresql_see_each_others_writes() {
    let Some(db) = fresh_postgres() else {
        eprintln!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    run(debrief(&db).arg("migrate"));
    let auth = bearer(&db, "commander", "incident_commander", "write");
    let one = Server::start(&db, &[], &[]);
    let two = Server::start(&db, &[], &[]);
    let created: Value = ureq::post(&format!("{}/api/v1/incidents", one.url))
        .set("Authorization", &auth)
        .send_json(serde_json::json!({"title": "Written through one", "severity": "low"}))
        .unwrap()
        .into_json()
        .unwrap();
    let key = created["key"].as_str().unwrap();
    let read: Value = ureq::get(&format!("{}/api/v1/incidents/{key}", two.url))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(read["title"], "Written through one");

    // A write through two makes one's version stale.
    ureq::request("PATCH", &format!("{}/api/v1/incidents/{key}", two.url))
        .set("Authorization", &auth)
        .set("If-Match", "\"1\"")
        .send_json(serde_json::json!({"title": "Edited through two"}))
        .unwrap();
    let stale = ureq::request("PATCH", &format!("{}/api/v1/incidents/{key}", one.url))
        .set("Authorization", &auth)
        .set("If-Match", "\"1\"")
        .send_json(serde_json::json!({"title": "Lost update"}));
    assert!(matches!(stale, Err(ureq::Error::Status(412, _))));
}

#[test]
fn first_start_prints_a_one_time_setup_token_and_never_a_default_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), "fresh.db");
    let mut cmd = debrief(&db);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let (notice, line) = startup(&mut child);
    let server = Server {
        child,
        url: line
            .trim()
            .trim_start_matches("debrief listening on ")
            .to_owned(),
    };
    let token = notice
        .split('"')
        .find(|part| part.starts_with("dbs_"))
        .expect("a setup token in the first-start notice")
        .to_owned();
    let body = serde_json::json!({"token": token, "name": "first-admin", "password": "the first admin's long passphrase"});
    let r = ureq::post(&format!("{}/api/v1/setup", server.url)).send_json(body.clone());
    assert_eq!(r.unwrap().status(), 201);
    let again = ureq::post(&format!("{}/api/v1/setup", server.url)).send_json(body);
    assert!(
        matches!(again, Err(ureq::Error::Status(400..=499, _))),
        "the setup token works once"
    );
    let login = ureq::post(&format!("{}/api/v1/auth/login", server.url))
        .send_json(serde_json::json!({"name": "first-admin", "password": "the first admin's long passphrase"}))
        .unwrap()
        .into_json::<Value>()
        .unwrap();
    assert_eq!(
        login["mfa_setup_required"], true,
        "the first admin is asked to set up TOTP"
    );
}

#[test]
fn serve_demo_prints_one_user_per_role_whose_password_works_once_shown() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), "demo.db");
    let mut cmd = debrief(&db);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let (notice, line) = startup(&mut child);
    let server = Server {
        child,
        url: line
            .trim()
            .trim_start_matches("debrief listening on ")
            .to_owned(),
    };
    for user in [
        "demo-admin",
        "demo-commander",
        "demo-contributor",
        "demo-viewer",
        "demo-auditor",
    ] {
        assert!(notice.contains(user), "{user} missing from:\n{notice}");
    }
    assert!(
        !notice.contains("setup token"),
        "no setup token once users exist"
    );
    let viewer = notice
        .lines()
        .find(|l| l.trim_start().starts_with("demo-viewer"))
        .unwrap();
    let password = viewer.split_whitespace().last().unwrap();
    let login = ureq::post(&format!("{}/api/v1/auth/login", server.url))
        .send_json(serde_json::json!({"name": "demo-viewer", "password": password}))
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let doc: Value = ureq::get(&format!("{}/api/v1/incidents/INC-2025-1128", server.url))
        .set("Cookie", &cookie)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(doc["key"], "INC-2025-1128");
}
