//! The REST API, driven in-process through the router (no socket), on
//! SQLite and, when `DEBRIEF_TEST_PG` is set, on PostgreSQL too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::access::{Scope, UserRole};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    store: Store,
    token: String,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl App {
    async fn new(store: Store) -> App {
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let clock = Arc::new(FixedClock(now));
        let ctx = Ctx::system(now);
        let user = NewUser {
            name: "ic".into(),
            role: UserRole::IncidentCommander,
            password: "a long test passphrase for ic".into(),
        };
        store.create_user(user, &ctx).await.unwrap();
        let (_, secret) = store
            .create_token("ic", "tests", Scope::Admin, None, &ctx)
            .await
            .unwrap();
        let token = format!("Bearer {}", secret.expose());
        App {
            router: router(AppState::with_clock(store.clone(), clock)),
            store,
            token,
        }
    }

    async fn sqlite() -> App {
        App::new(debrief_store::testing::sqlite_store().await).await
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", &self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None, &[]).await
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.send(Method::POST, uri, Some(&body.to_string()), &[])
            .await
    }

    async fn load_demo_incident(&self, key: &str) -> Value {
        let docs = debrief_core::demo::documents().unwrap();
        let doc = docs.into_iter().find(|d| d.key.as_str() == key).unwrap();
        self.store
            .import(doc, false, &Ctx::system(Utc::now()))
            .await
            .unwrap();
        self.get(&format!("/api/v1/incidents/{key}")).await.body
    }

    async fn version(&self, key: &str) -> i64 {
        self.get(&format!("/api/v1/incidents/{key}")).await.body["version"]
            .as_i64()
            .unwrap()
    }
}

fn assert_error(r: &Reply, status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["error"]["code"], code, "{}", r.text);
    if let Some(f) = field {
        assert_eq!(r.body["error"]["field"], f, "{}", r.text);
    }
    let id = r.body["error"]["request_id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert_eq!(
        r.headers["x-request-id"].to_str().unwrap(),
        id,
        "the body quotes the request's id"
    );
}

fn new_incident() -> Value {
    json!({"title": "Phishing wave against finance", "severity": "medium", "category": "Phishing",
           "lifecycle": {"first_activity": "2025-10-02T05:50:00Z", "detected": "2025-10-02T08:20:00+02:00"}})
}

#[tokio::test]
async fn health_answers_ok_when_the_database_does() {
    let app = App::sqlite().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
}

#[tokio::test]
async fn the_whole_post_mortem_of_inc_2025_1128_is_one_json_document() {
    let app = App::sqlite().await;
    let doc = app.load_demo_incident("INC-2025-1128").await;
    for member in [
        "key",
        "title",
        "summary",
        "severity",
        "status",
        "category",
        "types",
        "timeline",
        "five_whys",
        "root_causes",
        "fishbone",
        "fmea",
        "findings",
        "action_items",
        "communications",
        "lessons",
        "version",
    ] {
        assert!(doc.get(member).is_some(), "missing member {member}");
    }
    assert!(doc["findings"]["went_well"].as_array().unwrap().len() >= 8);
    assert!(doc["findings"]["went_wrong"].as_array().unwrap().len() >= 8);
    let items = doc["action_items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    for item in items {
        for member in [
            "number",
            "title",
            "owner",
            "due",
            "priority",
            "status",
            "success_criteria",
        ] {
            assert!(
                item.get(member).is_some(),
                "action item lacks {member}: {item}"
            );
        }
    }
    assert_eq!(items[0]["status"], "complete");
    assert_eq!(items[0]["horizon"], "immediate");
    assert_eq!(items[9]["horizon"], "long_term");
    let r = app.get("/api/v1/incidents/INC-2025-1128").await;
    assert_eq!(
        r.headers["etag"].to_str().unwrap(),
        format!("\"{}\"", doc["version"])
    );
}

#[tokio::test]
async fn creating_an_incident_generates_a_key_and_names_it_in_location() {
    let app = App::sqlite().await;
    let r = app.post("/api/v1/incidents", new_incident()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["key"], "INC-2025-0001");
    assert_eq!(r.headers["location"], "/api/v1/incidents/INC-2025-0001");
    assert_eq!(r.headers["etag"], "\"1\"");
    assert_eq!(
        r.body["lifecycle"]["detected"], "2025-10-02T06:20:00Z",
        "times are stored in UTC"
    );
    let r = app.post("/api/v1/incidents", new_incident()).await;
    assert_eq!(r.body["key"], "INC-2025-0002");
}

#[tokio::test]
async fn a_duplicate_key_is_refused_with_409_and_the_first_is_kept() {
    let app = App::sqlite().await;
    let mut body = new_incident();
    body["key"] = json!("SEC-7");
    assert_eq!(
        app.post("/api/v1/incidents", body.clone()).await.status,
        StatusCode::CREATED
    );
    body["title"] = json!("Other");
    let r = app.post("/api/v1/incidents", body).await;
    assert_error(&r, StatusCode::CONFLICT, "already_exists", None);
    assert_eq!(
        app.get("/api/v1/incidents/SEC-7").await.body["title"],
        "Phishing wave against finance"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = App::sqlite().await;
    let doc = app.load_demo_incident("INC-2025-1128").await;
    let v = doc["version"].as_i64().unwrap();
    let tl = "/api/v1/incidents/INC-2025-1128/timeline";

    let r = app
        .send(Method::POST, tl, Some("{\"occurred_at\": "), &[])
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "malformed_json", None);

    let r = app.post(tl, json!({"occurred_at": "2025-11-28T05:00:00Z", "phase": "response", "title": "x", "mood": "calm"})).await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("mood"),
    );

    let r = app
        .post(
            tl,
            json!({"occurred_at": "2025-11-28T05:00:00", "phase": "response", "title": "x"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("occurred_at"),
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time zone")
    );

    let r = app
        .post(
            tl,
            json!({"occurred_at": "2025-11-28T05:00:00Z", "phase": "response"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("title"),
    );

    let r = app
        .post(
            "/api/v1/incidents/INC-2025-1128/fmea",
            json!({"failure_mode": "x", "severity": 11, "occurrence": 2, "detection": 3}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("severity"),
    );

    let r = app
        .post(
            "/api/v1/incidents/INC-2025-1128/action_items",
            json!({"title": "x", "priority": "high", "status": "planned", "due": "2025-02-30"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("due"),
    );

    let r = app
        .post(
            "/api/v1/incidents/INC-2025-1128/fmea",
            json!({"failure_mode": "x", "severity": 2, "occurrence": 2, "detection": 3, "rpn": 99}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("rpn"),
    );

    let r = app
        .post("/api/v1/incidents", json!({"severity": "low"}))
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("title"),
    );

    let r = app
        .send(
            Method::POST,
            tl,
            Some("{}"),
            &[("content-type", "text/plain")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    assert_eq!(
        app.version("INC-2025-1128").await,
        v,
        "no refused write changed the incident"
    );
    assert_eq!(app.get("/api/v1/incidents/INC-2025-1128").await.body, doc);
}

#[tokio::test]
async fn a_write_against_a_stale_version_is_refused_and_nothing_is_overwritten() {
    let app = App::sqlite().await;
    app.post("/api/v1/incidents", new_incident()).await;
    let uri = "/api/v1/incidents/INC-2025-0001";
    let r = app
        .send(
            Method::PATCH,
            uri,
            Some(r#"{"title": "First edit"}"#),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["etag"], "\"2\"");

    let r = app
        .send(
            Method::PATCH,
            uri,
            Some(r#"{"title": "Second edit"}"#),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_error(
        &r,
        StatusCode::PRECONDITION_FAILED,
        "version_conflict",
        None,
    );
    let r = app
        .send(
            Method::PATCH,
            uri,
            Some(r#"{"title": "Second edit", "version": 1}"#),
            &[],
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "version_conflict", None);
    let r = app
        .send(
            Method::POST,
            &format!("{uri}/lessons"),
            Some(r#"{"text": "late"}"#),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_error(
        &r,
        StatusCode::PRECONDITION_FAILED,
        "version_conflict",
        None,
    );

    let doc = app.get(uri).await.body;
    assert_eq!(doc["title"], "First edit");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["lessons"], json!([]));
}

#[tokio::test]
async fn a_severity_change_is_recorded_with_its_reason() {
    let app = App::sqlite().await;
    app.post("/api/v1/incidents", new_incident()).await;
    let r = app
        .send(
            Method::PATCH,
            "/api/v1/incidents/INC-2025-0001",
            Some(r#"{"severity": "high", "severity_reason": "Finance director's mailbox compromised"}"#),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["severity_history"][0]["from"], "medium");
    assert_eq!(r.body["severity_history"][0]["to"], "high");
    assert_eq!(r.body["severity_history"][0]["at"], "2025-12-01T09:00:00Z");
}

#[tokio::test]
async fn every_section_can_be_added_to_updated_reordered_and_deleted() {
    let app = App::sqlite().await;
    app.post("/api/v1/incidents", new_incident()).await;
    let base = "/api/v1/incidents/INC-2025-0001";
    let samples: &[(&str, Value)] = &[
        (
            "timeline",
            json!({"occurred_at": "2025-10-02T06:25:00Z", "phase": "response", "title": "Mail purge", "we_knew": "12 recipients"}),
        ),
        (
            "five_whys",
            json!({"problem": "Mailbox compromised", "steps": [{"why": "Why?", "because": "Password reused"}]}),
        ),
        (
            "root_causes",
            json!({"kind": "primary", "title": "No phishing-resistant MFA"}),
        ),
        (
            "fishbone_causes",
            json!({"category": "People", "text": "No phishing drills"}),
        ),
        (
            "fmea",
            json!({"failure_mode": "Mail filter misses lookalike domain", "severity": 7, "occurrence": 5, "detection": 6}),
        ),
        (
            "went_well",
            json!({"area": "detection", "title": "User reported quickly"}),
        ),
        (
            "went_wrong",
            json!({"area": "prevention", "title": "Lookalike domain not blocked", "impact": "12 users phished"}),
        ),
        (
            "action_items",
            json!({"title": "Block lookalike domains", "priority": "high", "status": "planned", "due": "2025-10-05"}),
        ),
        ("lessons", json!({"text": "Report buttons work"})),
    ];
    for (section, body) in samples {
        let uri = format!("{base}/{section}");
        let a = app.post(&uri, body.clone()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{section}: {}", a.text);
        let b = app.post(&uri, body.clone()).await;
        let (ida, idb) = (
            a.body["id"].as_str().unwrap().to_owned(),
            b.body["id"].as_str().unwrap().to_owned(),
        );

        let r = app
            .send(
                Method::PUT,
                &format!("{uri}/order"),
                Some(&json!({"ids": [idb, ida]}).to_string()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{section} reorder: {}", r.text);

        let r = app
            .send(
                Method::PUT,
                &format!("{uri}/{ida}"),
                Some(&body.to_string()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{section} update: {}", r.text);

        let r = app
            .send(Method::DELETE, &format!("{uri}/{idb}"), None, &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "{section} delete: {}",
            r.text
        );
        let r = app
            .send(Method::DELETE, &format!("{uri}/{idb}"), None, &[])
            .await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found", None);
    }
    let doc = app.get(base).await.body;
    assert_eq!(doc["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(doc["fmea"][0]["rpn"], 210, "RPN is computed: 7 x 5 x 6");
    assert_eq!(doc["action_items"][0]["horizon"], "immediate");
    assert_eq!(
        doc["findings"]["went_wrong"][0]["impact"],
        "12 users phished"
    );
    assert_eq!(doc["version"], 1 + 9 * 5);
}

#[tokio::test]
async fn the_fishbone_frame_and_communications_are_replaced_whole() {
    let app = App::sqlite().await;
    app.post("/api/v1/incidents", new_incident()).await;
    let base = "/api/v1/incidents/INC-2025-0001";
    let r = app
        .send(Method::PUT, &format!("{base}/fishbone"), Some(r#"{"effect": "Mailbox compromise", "categories": ["People", "Process", "Technology", "Environment", "Vendors"]}"#), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["fishbone"]["categories"][4], "Vendors");
    let r = app
        .send(
            Method::PUT,
            &format!("{base}/communications"),
            Some(r#"{"internal": {"subject": "Learnings", "what_worked": ["Reporting"]}}"#),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["communications"]["internal"]["subject"], "Learnings");
}

#[tokio::test]
async fn the_list_filters_by_status_severity_category_and_text() {
    let app = App::sqlite().await;
    for doc in debrief_core::demo::documents().unwrap() {
        app.store
            .import(doc, false, &Ctx::system(Utc::now()))
            .await
            .unwrap();
    }
    let all = app.get("/api/v1/incidents?limit=500").await.body;
    assert_eq!(all["total"], 35);
    let r = app
        .get("/api/v1/incidents?category=Authentication%20Bypass&sort=detected")
        .await
        .body;
    let keys: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["INC-2025-0523", "INC-2025-0812", "INC-2025-1128"]);
    let r = app.get("/api/v1/incidents?q=admin%20ACCOUNT").await.body;
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["key"] == "INC-2025-1128")
    );
    let r = app
        .get("/api/v1/incidents?severity=high&limit=2")
        .await
        .body;
    assert!(r["items"].as_array().unwrap().len() <= 2);
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["severity"] == "high")
    );
    let r = app
        .get(
            "/api/v1/incidents?detected_from=2025-10-01T00:00:00Z&detected_to=2026-01-01T00:00:00Z",
        )
        .await
        .body;
    assert_eq!(r["total"], 12, "Q4 2025 has the seed's 12 incidents");
    let r = app.get("/api/v1/incidents?severity=urgent").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_parameter", None);
    let r = app.get("/api/v1/incidents?detected_from=2025-10-01").await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("detected_from"),
    );
}

#[tokio::test]
async fn unknown_incidents_and_routes_are_404_with_a_request_id() {
    let app = App::sqlite().await;
    assert_error(
        &app.get("/api/v1/incidents/INC-2025-9999").await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &app.get("/api/v1/nothing").await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &app.get("/api/v1/incidents/not%20a%20key").await,
        StatusCode::BAD_REQUEST,
        "bad_parameter",
        Some("key"),
    );
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served_offline() {
    let app = App::sqlite().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["paths"]["/api/v1/incidents/{key}"]["get"].is_object());
    assert!(r.body["components"]["schemas"]["PostMortem"].is_object());
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("swagger"),
        "{}",
        &r.text[..r.text.len().min(200)]
    );
    let r = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the Swagger UI assets are in the binary"
    );
}

#[tokio::test]
async fn the_markdown_export_is_served_as_markdown() {
    let app = App::sqlite().await;
    app.load_demo_incident("INC-2025-1128").await;
    let r = app.get("/api/v1/incidents/INC-2025-1128/markdown").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(r.text.contains("We didn't know"));
}

#[tokio::test]
async fn the_api_story_holds_on_postgresql_too() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        eprintln!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    let app = App::new(store).await;
    let r = app.post("/api/v1/incidents", new_incident()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let doc = app.load_demo_incident("INC-2025-1128").await;
    assert_eq!(doc["action_items"].as_array().unwrap().len(), 10);
    let r = app
        .send(
            Method::PATCH,
            "/api/v1/incidents/INC-2025-1128",
            Some(r#"{"title": "x"}"#),
            &[("if-match", "\"999\"")],
        )
        .await;
    assert_error(
        &r,
        StatusCode::PRECONDITION_FAILED,
        "version_conflict",
        None,
    );
    let r = app
        .post(
            "/api/v1/incidents/INC-2025-1128/timeline",
            json!({"occurred_at": "2025-11-28T05:00:00", "phase": "response", "title": "x"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        Some("occurred_at"),
    );
    assert_eq!(app.get("/api/v1/incidents/INC-2025-1128").await.body, doc);
}

#[tokio::test]
async fn a_cached_document_is_never_stale_and_if_none_match_gives_304() {
    let app = App::sqlite().await;
    app.post("/api/v1/incidents", new_incident()).await;
    let uri = "/api/v1/incidents/INC-2025-0001";
    let first = app.get(uri).await;
    assert_eq!(first.headers["etag"], "\"1\"");
    let again = app
        .send(Method::GET, uri, None, &[("if-none-match", "\"1\"")])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // A write through the store directly (as another server process would
    // make it) is seen at once: the guard reads the version every time.
    let patch = serde_json::from_value(json!({"title": "Changed elsewhere"})).unwrap();
    app.store
        .patch_incident(
            &"INC-2025-0001".parse().unwrap(),
            patch,
            None,
            &Ctx::system(Utc::now()),
        )
        .await
        .unwrap();
    let fresh = app.get(uri).await;
    assert_eq!(fresh.body["title"], "Changed elsewhere");
    assert_eq!(fresh.headers["etag"], "\"2\"");
    let stale = app
        .send(Method::GET, uri, None, &[("if-none-match", "\"1\"")])
        .await;
    assert_eq!(stale.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_before_it_is_parsed() {
    let app = App::sqlite().await;
    let huge = format!(
        "{{\"title\": \"{}\", \"severity\": \"low\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    let r = app
        .send(Method::POST, "/api/v1/incidents", Some(&huge), &[])
        .await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "too_large", None);
    assert_eq!(app.get("/api/v1/incidents").await.body["total"], 0);
}

/// The guided review story: measures, targets, deadlines, checklist,
/// agenda, and the coach gating publication.
async fn guided_review_story(app: &App) {
    app.load_demo_incident("INC-2025-1128").await;
    let base = "/api/v1/incidents/INC-2025-1128";
    let r = app.get(&format!("{base}/review")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    let respond = b["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["measure"] == "time_to_respond")
        .unwrap_or_else(|| panic!("no time_to_respond in {}", b["measures"]));
    assert_eq!(respond["value_seconds"], 300, "{respond}");
    let sla = b["sla"].as_array().unwrap();
    let respond_sla = sla.iter().find(|s| s["measure"] == "respond").unwrap();
    assert_eq!(respond_sla["met"], true);
    assert_eq!(b["deadlines"].as_array().unwrap().len(), 5);
    assert_eq!(b["steps"].as_array().unwrap().len(), 6);
    assert_eq!(b["agenda"]["items"].as_array().unwrap().len(), 8);
    assert_eq!(b["agenda_saved"], false);
    assert!(!b["ground_rules"].as_array().unwrap().is_empty());
    assert!(
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "blocking" && f["rule"] != "blame"),
        "{}",
        b["findings"]
    );

    // The record: agenda, facts, hand ticks; validated; versioned.
    let version = app.version("INC-2025-1128").await;
    let bad = json!({"checklist": ["no-such-item"]});
    let r = app
        .send(
            Method::PUT,
            &format!("{base}/review"),
            Some(&bad.to_string()),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("review.checklist"), "{}", r.text);
    let mut agenda = b["agenda"].clone();
    agenda["starts_at"] = json!("2025-12-02T14:00:00Z");
    let good = json!({
        "agenda": agenda,
        "facts": {"meeting_scheduled_at": "2025-11-29T10:00:00Z"},
        "checklist": ["invite-stakeholders"],
    });
    let r = app
        .send(
            Method::PUT,
            &format!("{base}/review"),
            Some(&good.to_string()),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["agenda_saved"], true);
    let ticked = r.body["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "invite-stakeholders")
        .unwrap()
        .clone();
    assert_eq!(
        (ticked["done"].clone(), ticked["auto"].clone()),
        (json!(true), json!(false))
    );
    let r = app
        .send(
            Method::PUT,
            &format!("{base}/review"),
            Some(&good.to_string()),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let doc = app.get(base).await.body;
    assert_eq!(doc["review"]["checklist"], json!(["invite-stakeholders"]));

    let r = app.get(&format!("{base}/agenda.ics")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(r.text.contains("DTSTART:20251202T140000Z"));
    let r = app.get(&format!("{base}/agenda.md")).await;
    assert!(r.text.contains("Blameless") || r.text.contains("blameless"));
    let r = app.get(&format!("{base}/fishbone.svg")).await;
    assert_eq!(r.headers["content-type"], "image/svg+xml");
    assert!(r.text.starts_with("<svg"));

    // Publishing is gated; a blocking finding is acknowledged with who and why.
    let r = app
        .post(
            "/api/v1/incidents",
            json!({"key": "GATE-1", "title": "Gate", "severity": "low"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let gate = "/api/v1/incidents/GATE-1";
    let publish = r#"{"postmortem_status": "published"}"#;
    let r = app.send(Method::PATCH, gate, Some(publish), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("pitfall-no-timeline"), "{}", r.text);
    for (section, item) in [
        (
            "timeline",
            json!({"occurred_at": "2025-11-28T03:00:00Z", "phase": "detection", "title": "Alert"}),
        ),
        (
            "root_causes",
            json!({"kind": "primary", "title": "Human error"}),
        ),
        (
            "action_items",
            json!({"title": "Require review of firewall changes in the change tool",
                "owner": "Dana", "due": "2026-01-31", "priority": "high", "status": "planned",
                "success_criteria": [{"text": "100% of changes reviewed in January"}]}),
        ),
    ] {
        let r = app.post(&format!("{gate}/{section}"), item).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let r = app.get(&format!("{gate}/checks")).await;
    assert_eq!(r.body["open_blocking"], 1, "{}", r.text);
    let finding = r.body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "blocking")
        .unwrap()
        .clone();
    assert_eq!(finding["rule"], "superficial-cause");
    let r = app.send(Method::PATCH, gate, Some(publish), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("superficial-cause"), "{}", r.text);

    let r = app
        .post(
            &format!("{gate}/acknowledgements"),
            json!({"rule": "blame", "field": "title", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .post(
            &format!("{gate}/acknowledgements"),
            json!({"rule": "superficial-cause", "field": finding["field"], "reason": "  "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .post(
            &format!("{gate}/acknowledgements"),
            json!({"rule": "superficial-cause", "field": finding["field"],
                "reason": "Placeholder until the 5 Whys session on Monday"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ack = &r.body["review"]["acknowledgements"][0];
    assert_eq!(ack["by"], "ic");
    assert_eq!(
        ack["reason"],
        "Placeholder until the 5 Whys session on Monday"
    );
    let r = app.send(Method::PATCH, gate, Some(publish), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["postmortem_status"], "published");
}

#[tokio::test]
async fn the_guided_review_computes_stores_and_gates_publication() {
    guided_review_story(&App::sqlite().await).await;
}

#[tokio::test]
async fn the_guided_review_holds_on_postgresql_too() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        eprintln!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    let app = App::new(store.clone()).await;
    guided_review_story(&app).await;
    debrief_store::testing::drop_postgres_store(store).await;
}

#[tokio::test]
async fn similar_incidents_name_the_repeat_and_hide_restricted_ones() {
    let app = App::sqlite().await;
    let ctx = Ctx::system(Utc::now());
    for doc in debrief_core::demo::documents().unwrap() {
        app.store.import(doc, false, &ctx).await.unwrap();
    }
    let r = app.get("/api/v1/incidents/INC-2025-1128/similar").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.body[0];
    assert_eq!(first["key"], "INC-2025-0523");
    assert_eq!(first["repeat"], true);
    assert!(
        first["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("same category")
    );
    // Restricted and the caller not a member: never named.
    let earlier = debrief_core::IncidentKey::parse("INC-2025-0523").unwrap();
    app.store
        .set_restricted(&earlier, true, &ctx)
        .await
        .unwrap();
    let r = app.get("/api/v1/incidents/INC-2025-1128/similar").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("INC-2025-0523"), "{}", r.text);
}
