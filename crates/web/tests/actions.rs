//! Action items across incidents, driven in-process through the router on
//! the demo data with the clock pinned to its snapshot day (2025-12-01):
//! the list's filters (overdue after the incident is closed included),
//! restricted incidents' items hidden from non-members, the three reviews,
//! the verdict on a completed fix with its refusals, and the pages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::access::{Scope, UserRole};
use debrief_core::{IncidentKey, IncidentStatus};
use debrief_store::{Ctx, NewUser, SectionItem, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Restricted in these tests; `mia` is its only member.
const SECRET: &str = "INC-2025-1128";
/// Closed in these tests, with item #3 still open and past due.
const CLOSED: &str = "INC-2025-0626";
/// Item #1 of the featured incident: complete, every criterion met.
const FEATURED_1: &str = "019ac870-6340-71d8-bbc7-5dfac21d0fb2";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
    tokens: Vec<(&'static str, String)>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    text: String,
}

impl App {
    async fn demo() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut tokens = Vec::new();
        for (name, role, scope) in [
            ("viewer", UserRole::Viewer, Scope::Read),
            ("mia", UserRole::Viewer, Scope::Read),
            ("ic", UserRole::IncidentCommander, Scope::Write),
            ("admin", UserRole::Admin, Scope::Write),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: "a long passphrase for the actions".into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
            let (_, secret) = store
                .create_token(name, "tests", scope, None, &ctx)
                .await
                .unwrap();
            tokens.push((name, format!("Bearer {}", secret.expose())));
        }
        for mut doc in debrief_core::demo::documents().unwrap() {
            if doc.key.as_str() == CLOSED {
                doc.status = IncidentStatus::Closed;
            }
            store.import(doc, false, &ctx).await.unwrap();
        }
        let secret = IncidentKey::parse(SECRET).unwrap();
        store.set_restricted(&secret, true, &ctx).await.unwrap();
        store.add_member(&secret, "mia", &ctx).await.unwrap();
        store.add_member(&secret, "ic", &ctx).await.unwrap();
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
        user: &str,
        method: &str,
        uri: &str,
        body: Option<(&str, String)>,
    ) -> Reply {
        let token = &self.tokens.iter().find(|(n, _)| *n == user).unwrap().1;
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", token);
        let req = match body {
            Some((kind, b)) => {
                req = req.header("content-type", kind);
                req.body(Body::from(b)).unwrap()
            }
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, user: &str, uri: &str) -> Reply {
        self.send(user, "GET", uri, None).await
    }

    async fn post_json(&self, user: &str, uri: &str, body: Value) -> Reply {
        self.send(
            user,
            "POST",
            uri,
            Some(("application/json", body.to_string())),
        )
        .await
    }

    async fn post_form(&self, user: &str, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(
            user,
            "POST",
            uri,
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    /// Adds an action item to `key` and returns its id.
    async fn add_item(&self, key: &str, item: Value) -> String {
        let (_, id) = self
            .store
            .add_item(
                &IncidentKey::parse(key).unwrap(),
                SectionItem::ActionItem(serde_json::from_value(item).unwrap()),
                None,
                &self.ctx,
            )
            .await
            .unwrap();
        id.to_string()
    }

    async fn version(&self, key: &str) -> i64 {
        self.store
            .get(&IncidentKey::parse(key).unwrap())
            .await
            .unwrap()
            .version
    }
}

fn keys(body: &Value, list: &str) -> Vec<(String, u64)> {
    body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = t.get("action").unwrap_or(t);
            (
                t["incident"]["key"].as_str().unwrap().to_owned(),
                t["item"]["number"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_filters_and_pages_and_stays_overdue_after_the_incident_closes() {
    let app = App::demo().await;
    let r = app.get("admin", "/api/v1/action-items?overdue=true").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 9);
    assert_eq!(r.body["today"], "2025-12-01");
    let items = r.body["items"].as_array().unwrap();
    assert!(items.iter().all(|t| t["overdue"] == true));
    let closed = items
        .iter()
        .find(|t| t["incident"]["key"] == CLOSED)
        .expect("the closed incident's open item is still overdue");
    assert_eq!(closed["incident"]["status"], "closed");
    assert_eq!(closed["item"]["number"], 3);
    assert_eq!(
        keys(&r.body, "items")[0],
        (CLOSED.to_owned(), 3),
        "longest overdue first"
    );

    let r = app
        .get(
            "admin",
            "/api/v1/action-items?status=planned&status=blocked",
        )
        .await;
    assert_eq!(r.body["total"], 31);
    let r = app
        .get(
            "admin",
            "/api/v1/action-items?status=planned,blocked&limit=10&offset=25",
        )
        .await;
    assert_eq!(
        (
            r.body["total"].as_u64(),
            r.body["items"].as_array().unwrap().len()
        ),
        (Some(31), 6)
    );
    let r = app
        .get(
            "admin",
            "/api/v1/action-items?horizon=long_term&team=Security%20Operations&limit=500",
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|t| t["item"]["horizon"] == "long_term"
                && t["item"]["team"] == "Security Operations")
    );
    assert_eq!(r.body["total"].as_u64().unwrap() as usize, items.len());
    let r = app
        .get("admin", "/api/v1/action-items?due_from=2025-11-01&due_to=2025-11-30&priority=critical&owner=Mike")
        .await;
    assert!(r.body["items"].as_array().unwrap().iter().all(|t| {
        let due = t["item"]["due"].as_str().unwrap();
        due.starts_with("2025-11")
            && t["item"]["priority"] == "critical"
            && t["item"]["owner"] == "Mike"
    }));

    for (query, field) in [
        ("status=done", "status"),
        ("priority=urgent", "priority"),
        ("horizon=soon", "horizon"),
        ("due_from=2025-02-30", "due_from"),
        ("overdue=maybe", "overdue"),
        ("limit=0", "limit"),
        ("owners=Mike", "owners"),
    ] {
        let r = app
            .get("admin", &format!("/api/v1/action-items?{query}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text
        );
        assert_eq!(r.body["error"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_restricted_incidents_items_are_only_listed_for_its_members() {
    let app = App::demo().await;
    for (user, total) in [("viewer", 151), ("mia", 161), ("admin", 161)] {
        let r = app.get(user, "/api/v1/action-items?limit=500").await;
        assert_eq!(r.body["total"], total, "{user}");
        let hidden = !r.text.contains(SECRET);
        assert_eq!(hidden, user == "viewer", "{user}");
    }
    // The reviews leave them out too: the featured incident's item #1
    // changed status in the last week.
    let viewer = app
        .get("viewer", "/api/v1/action-items/reviews/weekly")
        .await;
    let mia = app.get("mia", "/api/v1/action-items/reviews/weekly").await;
    assert!(!viewer.text.contains(SECRET));
    assert!(keys(&mia.body, "changes").contains(&(SECRET.to_owned(), 1)));
    let page = app.get("viewer", "/actions?limit=500").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(SECRET));
}

#[tokio::test]
async fn the_reviews_on_the_demo_data() {
    let app = App::demo().await;
    let w = app
        .get("admin", "/api/v1/action-items/reviews/weekly")
        .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    assert_eq!(
        (w.body["today"].as_str(), w.body["since"].as_str()),
        (Some("2025-12-01"), Some("2025-11-24"))
    );
    assert_eq!(w.body["changes"].as_array().unwrap().len(), 5);
    assert_eq!(w.body["overdue"].as_array().unwrap().len(), 9);
    assert_eq!(
        keys(&w.body, "due_soon"),
        [
            ("INC-2025-1104".to_owned(), 2),
            (SECRET.to_owned(), 2),
            (SECRET.to_owned(), 3),
            ("INC-2025-0520".to_owned(), 4)
        ]
    );
    let w = app
        .get(
            "admin",
            "/api/v1/action-items/reviews/weekly?date=2025-11-24",
        )
        .await;
    assert_eq!(w.body["since"], "2025-11-17");

    let m = app
        .get(
            "admin",
            "/api/v1/action-items/reviews/monthly?month=2025-11",
        )
        .await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.text);
    assert_eq!(m.body["completion"]["total"], 15);
    assert_eq!(m.body["completion"]["on_time"], 12);
    assert_eq!(m.body["completion"]["rate_percent"], 80);
    let team = m.body["by_team"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Network Team")
        .unwrap();
    assert_eq!(team["completion"]["rate_percent"], 50);
    assert_eq!(m.body["overdue_at_month_end"].as_array().unwrap().len(), 9);
    let m = app
        .get("admin", "/api/v1/action-items/reviews/monthly")
        .await;
    assert_eq!(m.body["month"], "2025-12", "the clock's month by default");

    let q = app
        .get(
            "admin",
            "/api/v1/action-items/reviews/quarterly?quarter=2025-Q3",
        )
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text);
    assert_eq!(q.body["effective"].as_array().unwrap().len(), 11);
    assert_eq!(q.body["ineffective"].as_array().unwrap().len(), 5);
    assert_eq!(q.body["effectiveness_percent"], 69);
    let q = app
        .get("admin", "/api/v1/action-items/reviews/quarterly")
        .await;
    assert_eq!(q.body["quarter"], "2025-Q4");
    assert_eq!(q.body["awaiting_verdict"].as_array().unwrap().len(), 91);

    for (uri, field) in [
        ("/api/v1/action-items/reviews/weekly?date=tomorrow", "date"),
        (
            "/api/v1/action-items/reviews/monthly?month=2025-13",
            "month",
        ),
        (
            "/api/v1/action-items/reviews/quarterly?quarter=2025-Q5",
            "quarter",
        ),
        (
            "/api/v1/action-items/reviews/quarterly?month=2025-11",
            "month",
        ),
    ] {
        let r = app.get("admin", uri).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert_eq!(r.body["error"]["field"], field, "{uri}");
    }
}

#[tokio::test]
async fn a_verdict_needs_evidence_and_every_criterion_and_a_failed_fix_reopens_the_item() {
    let app = App::demo().await;
    let key = "INC-2025-0514";
    let id = app
        .add_item(
            key,
            json!({"title": "Scan every data store", "priority": "high", "status": "complete",
                "due": "2025-11-20",
                "success_criteria": [{"text": "Buckets scanned", "done": true},
                                     {"text": "Indexes scanned", "done": false}],
                "status_history": [{"status": "complete", "on": "2025-11-19"}]}),
        )
        .await;
    let uri = format!("/api/v1/incidents/{key}/action_items/{id}/verification");
    let before = app.version(key).await;
    let r = app
        .post_json("ic", &uri, json!({"effective": true, "evidence": "  "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(fields(&r.body), ["evidence", "success_criteria[1]"]);
    assert!(r.text.contains("Indexes scanned"));
    assert_eq!(app.version(key).await, before, "nothing written");
    let r = app
        .post_json(
            "ic",
            &uri,
            json!({"effective": true, "evidence": "ok", "verdict": "x"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let r = app
        .post_json("viewer", &uri, json!({"effective": false, "evidence": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Failed: reopened, with the verdict kept and a note in the history.
    let r = app
        .post_json(
            "ic",
            &uri,
            json!({"effective": false, "evidence": "INC-2025-0730: an IAM role passed the checks"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"].as_i64(), Some(before + 1));
    let item = &r.body["item"];
    assert_eq!(item["status"], "in_progress");
    assert_eq!(item["verification"]["effective"], false);
    assert_eq!(item["verification"]["on"], "2025-12-01");
    let last = item["status_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "in_progress");
    assert!(last["note"].as_str().unwrap().contains("ineffective"));
    // A reopened item is not complete: no verdict until it is done again.
    let r = app
        .post_json("ic", &uri, json!({"effective": false, "evidence": "again"}))
        .await;
    assert_eq!(fields(&r.body), ["status"]);

    // Effective: every criterion met, evidence given; audited like any write.
    let uri = format!("/api/v1/incidents/{SECRET}/action_items/{FEATURED_1}/verification");
    let r = app
        .post_json(
            "ic",
            &uri,
            json!({"effective": true, "evidence": "No admin login without a key since"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["item"]["status"], "verified");
    assert_eq!(
        r.body["item"]["verification"]["evidence"],
        "No admin login without a key since"
    );
    let audit = app.get("admin", "/api/v1/audit?limit=5").await;
    assert!(audit.text.contains(FEATURED_1), "{}", audit.text);
    // Still 404 for someone who may not see the incident.
    let r = app
        .post_json("viewer", &uri, json!({"effective": true, "evidence": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_verification_route_leaves_the_section_routes_alone() {
    let app = App::demo().await;
    let key = "INC-2025-0514";
    let created = app
        .post_json(
            "ic",
            &format!("/api/v1/incidents/{key}/action_items"),
            json!({"title": "New item", "priority": "low", "status": "planned"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let put = app
        .send(
            "ic",
            "PUT",
            &format!("/api/v1/incidents/{key}/action_items/{id}"),
            Some((
                "application/json",
                json!({"title": "Renamed", "priority": "low", "status": "complete",
                    "success_criteria": [{"text": "Done", "done": true}]})
                .to_string(),
            )),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let del_other = app
        .send(
            "ic",
            "DELETE",
            &format!("/api/v1/incidents/{key}/lessons/{id}"),
            None,
        )
        .await;
    assert_eq!(del_other.status, StatusCode::NOT_FOUND);
    let r = app
        .post_json(
            "ic",
            &format!("/api/v1/incidents/{key}/action_items/{id}/verification"),
            json!({"effective": true, "evidence": "Seen working"}),
        )
        .await;
    assert_eq!(r.body["item"]["status"], "verified", "{}", r.text);
    let get = app
        .get(
            "ic",
            &format!("/api/v1/incidents/{key}/action_items/{id}/verification"),
        )
        .await;
    // Only POST has a policy: anything else is refused before a handler.
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::METHOD_NOT_ALLOWED].contains(&get.status),
        "{}",
        get.status
    );
}

#[tokio::test]
async fn the_pages_list_review_and_verify_with_user_text_escaped() {
    let app = App::demo().await;
    let evil = "<script>alert('x')</script> rotate keys";
    app.add_item(
        "INC-2025-0514",
        json!({"title": evil, "owner": "<b>Eve</b>", "priority": "high", "status": "planned",
            "due": "2025-11-15"}),
    )
    .await;
    let r = app.get("viewer", "/actions?q=rotate&overdue=true").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("&#60;script&#62;alert"), "{}", r.text);
    assert!(!r.text.contains("<script>alert"));
    assert!(!r.text.contains("<b>Eve</b>"));
    assert!(r.text.contains("Overdue"));
    assert!(r.text.contains(r#"href="/incidents/INC-2025-0514#action-"#));

    let r = app
        .get("viewer", "/actions?priority=urgent&status=done")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("field-error"));
    assert!(r.text.contains("is not one of"));

    let r = app
        .get("viewer", "/actions?status=planned&status=blocked&limit=20")
        .await;
    assert!(
        r.text.contains("of 24"),
        "31 demo items, less the restricted incident's 8, and ours: {}",
        r.text
    );
    assert!(r.text.contains("offset=20"), "a link to the next page");

    let r = app
        .get("viewer", "/actions/review?period=quarter&date=2025-08-01")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("2025-Q3") && r.text.contains("69%"));
    let r = app.get("viewer", "/actions/review").await;
    assert!(r.text.contains("Weekly check-in for 2025-12-01"));
    assert!(
        r.text.contains("&#60;script&#62;alert"),
        "the overdue item is listed, escaped"
    );
    // For the viewer: November's 15 demo items less the restricted
    // incident's #1 (done), plus ours (open): 11 of 15 done.
    let r = app
        .get("viewer", "/actions/review?period=month&date=2025-11-03")
        .await;
    assert!(r.text.contains("Monthly completion review for 2025-11"));
    assert!(r.text.contains("<strong>73%</strong>"), "{}", r.text);
    let r = app.get("viewer", "/actions/review?period=year").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The incident page offers "Verify" on complete items; a refusal says
    // why in the item's form and keeps the evidence typed.
    let page = app.get("mia", &format!("/incidents/{SECRET}")).await;
    assert!(!page.text.contains("/verify"), "viewers do not edit");
    let page = app.get("ic", &format!("/incidents/{SECRET}")).await;
    assert!(
        page.text
            .contains(&format!("/incidents/{SECRET}/actions/{FEATURED_1}/verify"))
    );
    let version = app.version(SECRET).await.to_string();
    let verify = format!("/incidents/{SECRET}/actions/{FEATURED_1}/verify");
    let r = app
        .post_form(
            "ic",
            &verify,
            &[
                ("version", &version),
                ("verdict", "effective"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("evidence: must not be empty"), "{}", r.text);
    let r = app
        .post_form(
            "ic",
            &verify,
            &[
                ("version", &version),
                ("verdict", "effective"),
                ("evidence", "<i>keys</i> everywhere"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.get("ic", &format!("/incidents/{SECRET}")).await;
    assert!(page.text.contains("Verified effective"));
    assert!(page.text.contains("&#60;i&#62;keys&#60;/i&#62; everywhere"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_action_item_routes() {
    let app = App::demo().await;
    let doc = app.get("viewer", "/api/openapi.json").await.body;
    for (path, method) in [
        ("/api/v1/action-items", "get"),
        ("/api/v1/action-items/reviews/weekly", "get"),
        ("/api/v1/action-items/reviews/monthly", "get"),
        ("/api/v1/action-items/reviews/quarterly", "get"),
        (
            "/api/v1/incidents/{key}/action_items/{id}/verification",
            "post",
        ),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/action-items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "owner", "team", "status", "priority", "horizon", "due_from", "due_to", "overdue", "q",
        "limit", "offset",
    ] {
        assert!(params.contains(&p), "{p}");
    }
    // Every schema the new answers refer to is in the document.
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
    refs(&doc, &mut found);
    for name in [
        "ActionList",
        "WeeklyReview",
        "MonthlyReview",
        "QuarterlyReview",
        "VerdictWritten",
        "TrackedAction",
    ] {
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
    for r in found {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(doc["components"]["schemas"][name].is_object(), "{r}");
    }
}
