//! Trackers and calendars, driven in-process through the router: the Jira
//! CSV and JSON exports (only what the caller may see), the all-or-nothing
//! import of status updates with problems by line and column, and the
//! calendar feeds (created, fetched without signing in, re-checked at
//! every fetch, revoked).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::access::{Scope, UserRole};
use debrief_core::tracker::JIRA_COLUMNS;
use debrief_core::{ActionStatus, IncidentKey};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use icalendar::{Calendar, CalendarComponent, Component};
use serde_json::{Value, json};
use tower::ServiceExt;

const OPEN_KEY: &str = "INC-2025-0201";
const SECRET_KEY: &str = "INC-2025-0202";
const SECRET_TITLE: &str = "Quietly fix the board mailbox";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
    /// Bearer headers by user name.
    tokens: Vec<(&'static str, String)>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl App {
    /// An open incident with three items, a restricted one with one item;
    /// `member` is a viewer who is a member of the restricted one.
    async fn new() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut tokens = Vec::new();
        for (name, role) in [
            ("viewer", UserRole::Viewer),
            ("member", UserRole::Viewer),
            ("editor", UserRole::Contributor),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: "a long passphrase for the tracker".into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
            let (_, secret) = store
                .create_token(name, "tests", Scope::Write, None, &ctx)
                .await
                .unwrap();
            tokens.push((name, format!("Bearer {}", secret.expose())));
        }
        let doc = |key: &str, title: &str, items: Value| {
            serde_json::from_value(json!({
                "key": key, "title": title, "severity": "high",
                "status": "closed", "postmortem_status": "draft",
                "lifecycle": {"detected": "2025-11-28T10:00:00Z"},
                "action_items": items,
            }))
            .unwrap()
        };
        store
            .import(
                doc(
                    OPEN_KEY,
                    "Admin account compromise",
                    json!([
                        {"number": 1, "title": "Enforce MFA", "priority": "critical", "status": "planned",
                         "owner": "Ana", "team": "Identity", "due": "2025-12-10", "external_ref": "SEC-1",
                         "success_criteria": [{"text": "Every admin enrolled"}]},
                        {"number": 2, "title": "Rotate keys", "priority": "high", "status": "complete",
                         "owner": "Ana", "due": "2025-12-02", "external_ref": "SEC-2"},
                        {"number": 3, "title": "Write runbook", "priority": "low", "status": "planned",
                         "owner": "Bo", "team": "Identity"}
                    ]),
                ),
                false,
                &ctx,
            )
            .await
            .unwrap();
        store
            .import(
                doc(
                    SECRET_KEY,
                    "Board mailbox forwarded",
                    json!([{"number": 1, "title": SECRET_TITLE, "priority": "high",
                            "status": "planned", "owner": "Ana", "due": "2025-12-05",
                            "external_ref": "SEC-9"}]),
                ),
                false,
                &ctx,
            )
            .await
            .unwrap();
        let secret = IncidentKey::parse(SECRET_KEY).unwrap();
        store.set_restricted(&secret, true, &ctx).await.unwrap();
        store.add_member(&secret, "member", &ctx).await.unwrap();
        App {
            router: router(AppState::with_clock(
                store.clone(),
                Arc::new(FixedClock(now)),
            )),
            store,
            ctx,
            tokens,
        }
    }

    async fn send(
        &self,
        user: Option<&str>,
        method: &str,
        uri: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "debrief.example");
        if let Some(u) = user {
            let token = &self.tokens.iter().find(|(n, _)| *n == u).unwrap().1;
            req = req.header("authorization", token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, user: &str, uri: &str) -> Reply {
        self.send(Some(user), "GET", uri, None, "").await
    }

    async fn import(&self, user: &str, csv: &str) -> Reply {
        self.send(
            Some(user),
            "POST",
            "/api/v1/action-items/import",
            Some("text/csv"),
            csv,
        )
        .await
    }

    async fn item_status(&self, key: &str, number: u32) -> ActionStatus {
        let doc = self
            .store
            .get(&IncidentKey::parse(key).unwrap())
            .await
            .unwrap();
        doc.action_items
            .iter()
            .find(|a| a.number == number)
            .unwrap()
            .status
    }
}

/// The CSV's rows as maps from the first column of that name to the value.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[tokio::test]
async fn the_csv_export_reads_back_with_the_jira_columns_and_hides_restricted_items() {
    let app = App::new().await;
    let r = app.get("viewer", "/api/v1/action-items/export.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let (header, rows) = csv_rows(&r.text);
    assert_eq!(header, JIRA_COLUMNS);
    for needed in [
        "Summary",
        "Description",
        "Issue Type",
        "Priority",
        "Assignee",
        "Due Date",
        "Labels",
        "Status",
        "External ID",
        "Issue key",
    ] {
        assert!(header.iter().any(|h| h == needed), "{needed}");
    }
    assert_eq!(rows.len(), 3, "the restricted item is not exported");
    assert!(!r.text.contains(SECRET_TITLE) && !r.text.contains(SECRET_KEY));
    let first = &rows[0];
    assert_eq!(first[col(&header, "Summary")], "#1 Enforce MFA");
    assert_eq!(first[col(&header, "Priority")], "Highest");
    assert_eq!(first[col(&header, "Due Date")], "2025-12-10");
    assert_eq!(first[col(&header, "Issue key")], "SEC-1");
    assert_eq!(first[col(&header, "Component")], "Identity");
    assert!(
        first[col(&header, "Description")]
            .contains("Link: http://debrief.example/incidents/INC-2025-0201")
    );
    // A member sees the restricted item too.
    let r = app.get("member", "/api/v1/action-items/export.csv").await;
    let (_, rows) = csv_rows(&r.text);
    assert_eq!(rows.len(), 4);
    assert!(r.text.contains(SECRET_TITLE));
    // Filters.
    let r = app
        .get(
            "viewer",
            "/api/v1/action-items/export.csv?owner=ana&status=planned",
        )
        .await;
    let (_, rows) = csv_rows(&r.text);
    assert_eq!(rows.len(), 1);
    let r = app
        .get("viewer", "/api/v1/action-items/export.csv?status=someday")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["field"], "status");
}

#[tokio::test]
async fn the_json_export_names_each_items_incident_and_hides_restricted_items() {
    let app = App::new().await;
    let r = app
        .get("viewer", "/api/v1/action-items/export.json?team=identity")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body.as_array().unwrap();
    let got: Vec<(&str, u64)> = items
        .iter()
        .map(|i| {
            (
                i["incident"].as_str().unwrap(),
                i["item"]["number"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(OPEN_KEY, 1), (OPEN_KEY, 3)]);
    let r = app.get("viewer", "/api/v1/action-items/export.json").await;
    assert!(!r.text.contains(SECRET_KEY));
    let r = app
        .get(
            "member",
            &format!("/api/v1/action-items/export.json?incident={SECRET_KEY}"),
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_import_with_one_bad_row_applies_nothing_and_names_every_line_and_column() {
    let app = App::new().await;
    let bad = "Summary,Issue key,Status\n\
               A,SEC-1,Done\n\
               B,SEC-2,Sleeping\n\
               C,SEC-404,Done\n\
               D,SEC-9,Done\n\
               E,SEC-3\n";
    let r = app.import("editor", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<&str> = r.body["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // The parser's problems come first: the file is not matched to items
    // until it reads cleanly.
    assert_eq!(fields, ["line 3, column 3 (Status)", "line 6, column 3"]);
    assert_eq!(app.item_status(OPEN_KEY, 1).await, ActionStatus::Planned);

    // A clean file whose keys do not all match: still nothing applied.
    let r = app
        .import(
            "editor",
            "Issue key,Status\nSEC-1,Done\nSEC-404,Done\nSEC-9,Done\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let errors = r.body["error"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["field"], "line 3, column 1 (Issue key)");
    assert_eq!(errors[1]["field"], "line 4, column 1 (Issue key)");
    assert!(!r.text.contains(SECRET_KEY), "{}", r.text);
    assert_eq!(app.item_status(OPEN_KEY, 1).await, ActionStatus::Planned);

    // The good rows alone apply.
    let r = app
        .import(
            "editor",
            "Issue key,Status\nSEC-1,In Progress\nSEC-2,Done\n",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["changes"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["changes"][0]["to"], "in_progress");
    assert_eq!(r.body["unchanged"], 1);
    assert_eq!(app.item_status(OPEN_KEY, 1).await, ActionStatus::InProgress);

    // A viewer may not import at all; a form is not a CSV.
    let r = app.import("viewer", "Issue key,Status\nSEC-1,Done\n").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .send(
            Some("editor"),
            "POST",
            "/api/v1/action-items/import",
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn events(ics: &str) -> Vec<(String, String)> {
    let cal: Calendar = ics.parse().unwrap();
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_summary().unwrap_or_default().to_owned(),
                e.get_uid().unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// The path of a feed URL.
fn path_of(url: &str) -> String {
    url.strip_prefix("http://debrief.example")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_feed_serves_open_due_items_to_anyone_with_its_url_until_revoked() {
    let app = App::new().await;
    let r = app
        .send(
            Some("viewer"),
            "POST",
            "/api/v1/me/feeds",
            Some("application/json"),
            r#"{"scope": "person", "subject": "ana"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("http://debrief.example/feeds/dbc_"),
        "{url}"
    );
    let id = r.body["id"].as_str().unwrap().to_owned();

    // No credentials: the URL is the credential.
    let feed = app.send(None, "GET", &path_of(&url), None, "").await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(feed.headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(feed.headers["cache-control"], "private, no-store");
    let got = events(&feed.text);
    // Item #2 is complete, #3 is Bo's, the restricted one is hidden.
    assert_eq!(got.len(), 1, "{}", feed.text);
    assert_eq!(got[0].0, format!("#1 Enforce MFA ({OPEN_KEY})"));
    assert!(got[0].1.starts_with("action-item-"));
    assert!(!feed.text.contains(SECRET_TITLE));

    // The listing shows the feed without its token.
    let r = app.get("viewer", "/api/v1/me/feeds").await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert!(!r.text.contains("dbc_"));

    // Another user can neither see nor revoke it.
    assert!(
        app.get("editor", "/api/v1/me/feeds")
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = app
        .send(
            Some("editor"),
            "DELETE",
            &format!("/api/v1/me/feeds/{id}"),
            None,
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let still = app.send(None, "GET", &path_of(&url), None, "").await;
    assert_eq!(still.status, StatusCode::OK);

    // Revoked: 404, like a token nobody has.
    let r = app
        .send(
            Some("viewer"),
            "DELETE",
            &format!("/api/v1/me/feeds/{id}"),
            None,
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let gone = app.send(None, "GET", &path_of(&url), None, "").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let nobody = app
        .send(None, "GET", "/feeds/dbc_somebody-elses-guess", None, "")
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_feed_follows_its_owners_access_at_every_fetch() {
    let app = App::new().await;
    let r = app
        .send(
            Some("member"),
            "POST",
            "/api/v1/me/feeds",
            Some("application/json"),
            r#"{"scope": "person", "subject": "Ana"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let path = path_of(r.body["url"].as_str().unwrap());
    let feed = app.send(None, "GET", &path, None, "").await;
    let titles: Vec<String> = events(&feed.text).into_iter().map(|e| e.0).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.iter().any(|t| t.contains(SECRET_TITLE)));

    // Membership removed: the restricted item leaves the feed.
    app.store
        .remove_member(&IncidentKey::parse(SECRET_KEY).unwrap(), "member", &app.ctx)
        .await
        .unwrap();
    let feed = app.send(None, "GET", &path, None, "").await;
    assert!(!feed.text.contains(SECRET_TITLE));
    assert_eq!(events(&feed.text).len(), 1);

    // Owner disabled: the feed stops working.
    app.store.disable_user("member", &app.ctx).await.unwrap();
    let feed = app.send(None, "GET", &path, None, "").await;
    assert_eq!(feed.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_team_feed_holds_the_teams_dated_open_items() {
    let app = App::new().await;
    let r = app
        .send(
            Some("viewer"),
            "POST",
            "/api/v1/me/feeds",
            Some("application/json"),
            r#"{"scope": "team", "subject": "Identity"}"#,
        )
        .await;
    let path = path_of(r.body["url"].as_str().unwrap());
    let feed = app.send(None, "GET", &path, None, "").await;
    // #3 is the team's too, but has no due date.
    let titles: Vec<String> = events(&feed.text).into_iter().map(|e| e.0).collect();
    assert_eq!(titles, [format!("#1 Enforce MFA ({OPEN_KEY})")]);
    let r = app
        .send(
            Some("viewer"),
            "POST",
            "/api/v1/me/feeds",
            Some("application/json"),
            r#"{"scope": "everyone", "subject": "x"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
}

#[tokio::test]
async fn the_tracker_page_imports_a_pasted_csv_and_escapes_what_it_shows() {
    let app = App::new().await;
    let page = app.get("viewer", "/actions/tracker").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("/api/v1/action-items/export.csv"));
    assert!(
        !page.text.contains("/actions/tracker/import"),
        "a viewer gets no import form"
    );
    let form = |csv: &str| serde_urlencoded::to_string([("csv", csv)]).unwrap();
    let bad = form("Issue key,Status\n<script>alert(1)</script>,Done\nSEC-1,<b>Later</b>\n");
    let r = app
        .send(
            Some("editor"),
            "POST",
            "/actions/tracker/import",
            Some("application/x-www-form-urlencoded"),
            &bad,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("line 3, column 2 (Status)"), "{}", r.text);
    assert!(!r.text.contains("<script>alert(1)</script>"));
    assert!(!r.text.contains("<b>Later</b>"));
    assert!(r.text.contains("Later"), "the pasted text is kept, escaped");
    assert_eq!(app.item_status(OPEN_KEY, 1).await, ActionStatus::Planned);

    let good = form("Issue key,Status\nSEC-1,Blocked\n");
    let r = app
        .send(
            Some("editor"),
            "POST",
            "/actions/tracker/import",
            Some("application/x-www-form-urlencoded"),
            &good,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("1 action item(s) changed"), "{}", r.text);
    assert_eq!(app.item_status(OPEN_KEY, 1).await, ActionStatus::Blocked);
}

#[tokio::test]
async fn the_feeds_page_shows_a_new_feeds_address_once() {
    let app = App::new().await;
    let body = serde_urlencoded::to_string([("scope", "team"), ("subject", "Identity")]).unwrap();
    let r = app
        .send(
            Some("viewer"),
            "POST",
            "/account/feeds",
            Some("application/x-www-form-urlencoded"),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(
        r.text.contains("http://debrief.example/feeds/dbc_"),
        "{}",
        r.text
    );
    let page = app.get("viewer", "/account/feeds").await;
    assert!(page.text.contains("Team: Identity"));
    assert!(
        !page.text.contains("/feeds/dbc_"),
        "the address is shown once"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_tracker_and_feed_routes_completely() {
    let app = App::new().await;
    let doc = app.get("viewer", "/api/openapi.json").await.body;
    for (path, method) in [
        ("/api/v1/action-items/export.csv", "get"),
        ("/api/v1/action-items/export.json", "get"),
        ("/api/v1/action-items/import", "post"),
        ("/api/v1/me/feeds", "get"),
        ("/api/v1/me/feeds", "post"),
        ("/api/v1/me/feeds/{id}", "delete"),
        ("/feeds/{token}", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for p in [
        "/api/v1/action-items/export.json",
        "/api/v1/action-items/import",
        "/api/v1/me/feeds",
    ] {
        refs(&doc["paths"][p], &mut found);
    }
    assert!(!found.is_empty());
    let schemas = &doc["components"]["schemas"];
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = found.pop() {
        let name = r.trim_start_matches("#/components/schemas/").to_owned();
        assert!(
            schemas[&name].is_object(),
            "{name} is referred to but missing"
        );
        if seen.insert(name.clone()) {
            refs(&schemas[&name], &mut found);
        }
    }
    for name in [
        "TrackerItem",
        "TrackerImport",
        "TrackerChange",
        "CalendarFeed",
        "NewFeed",
        "FeedScope",
    ] {
        assert!(seen.contains(name), "{name} not reached: {seen:?}");
    }
}

#[tokio::test]
async fn a_configured_public_url_wins_over_the_host_header_in_links() {
    let app = App::new().await;
    let mut state = AppState::with_clock(app.store.clone(), Arc::new(FixedClock(app.ctx.now)));
    state.public_url = Some("https://debrief.example.com".into());
    let app = App {
        router: router(state),
        ..app
    };
    let r = app.get("viewer", "/api/v1/action-items/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text
            .contains("Link: https://debrief.example.com/incidents/INC-2025-0201"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("http://debrief.example/"));
}
