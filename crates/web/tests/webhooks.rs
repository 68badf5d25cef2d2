//! The webhook API (`/api/v1/webhooks`) and admin page (`/admin/webhooks`),
//! driven in-process through the router: admins only (and only with an
//! admin-scoped token), the secret only in the answer that creates the
//! webhook, targets refused by field, the test event and the delivery log,
//! and user text escaped on the page.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::access::{Scope, UserRole};
use debrief_store::{AuditFilter, Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    store: Store,
    /// Bearer headers by name.
    tokens: Vec<(&'static str, String)>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    text: String,
}

impl App {
    async fn new() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut tokens = Vec::new();
        for (label, name, role, scope) in [
            ("admin", "ada", UserRole::Admin, Scope::Admin),
            ("admin-write", "ada", UserRole::Admin, Scope::Write),
            (
                "commander",
                "cole",
                UserRole::IncidentCommander,
                Scope::Admin,
            ),
            ("auditor", "audra", UserRole::Auditor, Scope::Admin),
        ] {
            if store.user_by_name(name).await.unwrap().is_none() {
                store
                    .create_user(
                        NewUser {
                            name: name.into(),
                            role,
                            password: "a long passphrase for webhooks".into(),
                        },
                        &ctx,
                    )
                    .await
                    .unwrap();
            }
            let (_, secret) = store
                .create_token(name, label, scope, None, &ctx)
                .await
                .unwrap();
            tokens.push((label, format!("Bearer {}", secret.expose())));
        }
        App {
            router: router(AppState::with_clock(
                store.clone(),
                Arc::new(FixedClock(now)),
            )),
            store,
            tokens,
        }
    }

    async fn call(
        &self,
        who: &str,
        method: &str,
        uri: &str,
        body: Option<Body>,
        form: bool,
    ) -> Reply {
        let token = &self.tokens.iter().find(|(n, _)| *n == who).unwrap().1;
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", token);
        if body.is_some() {
            req = req.header(
                "content-type",
                if form {
                    "application/x-www-form-urlencoded"
                } else {
                    "application/json"
                },
            );
        }
        let req = req.body(body.unwrap_or_else(Body::empty)).unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn json(&self, who: &str, method: &str, uri: &str, body: Value) -> Reply {
        self.call(who, method, uri, Some(Body::from(body.to_string())), false)
            .await
    }

    async fn get(&self, who: &str, uri: &str) -> Reply {
        self.call(who, "GET", uri, None, false).await
    }
}

#[tokio::test]
async fn an_admin_registers_a_webhook_and_sees_its_secret_only_once() {
    let app = App::new().await;
    let created = app
        .json(
            "admin",
            "POST",
            "/api/v1/webhooks",
            json!({"name": "#sec-actions", "url": "https://hooks.slack.example/T1/B2", "format": "slack"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    // 32 random bytes in base64url: 43 characters after the prefix.
    assert_eq!(secret.len(), "whsec_".len() + 43);
    assert_eq!(created.body["format"], "slack");
    assert_eq!(
        created.body["events"],
        json!(["due_soon", "overdue", "completed", "reopened"]),
        "every kind when none is named"
    );
    let id = created.body["id"].as_str().unwrap().to_owned();

    let list = app.get("admin", "/api/v1/webhooks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(list.body[0].get("secret").is_none());
    assert!(
        !list.text.contains(&secret),
        "the list never shows the secret"
    );
    let page = app.get("admin", "/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("#sec-actions"));
    assert!(!page.text.contains(&secret), "nor does the page");

    // A given secret is used as is, and shown once too.
    let mine = app
        .json(
            "admin",
            "POST",
            "/api/v1/webhooks",
            json!({"name": "siem", "url": "http://10.0.0.5:8080/in", "events": ["overdue"], "secret": "a shared secret of my own"}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED);
    assert_eq!(mine.body["secret"], "a shared secret of my own");
    assert_eq!(mine.body["events"], json!(["overdue"]));

    // Creating and removing are audited, without the secret.
    let gone = app
        .call(
            "admin",
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            None,
            false,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = app
        .call(
            "admin",
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            None,
            false,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let audit = app
        .store
        .audit_list(&AuditFilter {
            action: Some("webhook.".into()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .items
        .iter()
        .map(|e| e.event.action.as_str())
        .collect();
    assert_eq!(
        actions,
        ["webhook.delete", "webhook.create", "webhook.create"]
    );
    let trail = serde_json::to_string(&audit.items).unwrap();
    assert!(!trail.contains(&secret) && !trail.contains("a shared secret of my own"));
    assert_eq!(
        app.get("admin", "/api/v1/webhooks")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn only_admins_with_an_admin_token_manage_webhooks() {
    let app = App::new().await;
    for who in ["commander", "auditor", "admin-write"] {
        let list = app.get(who, "/api/v1/webhooks").await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            list.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("webhooks"),
            "{}",
            list.text
        );
        let create = app
            .json(
                who,
                "POST",
                "/api/v1/webhooks",
                json!({"name": "x", "url": "https://x.example"}),
            )
            .await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(
            app.get(who, "/admin/webhooks").await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    assert!(app.store.webhooks().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_bad_target_is_refused_naming_the_field_and_nothing_is_written() {
    let app = App::new().await;
    for (body, field) in [
        (json!({"name": "x", "url": "ftp://files.example/in"}), "url"),
        (json!({"name": "x", "url": "javascript:alert(1)"}), "url"),
        (json!({"name": "x", "url": "https://"}), "url"),
        (json!({"name": "x", "url": "https://a.example/ b"}), "url"),
        (json!({"name": " ", "url": "https://a.example"}), "name"),
        (
            json!({"name": "x", "url": "https://a.example", "events": []}),
            "events",
        ),
        (
            json!({"name": "x", "url": "https://a.example", "events": ["test"]}),
            "events",
        ),
        (
            json!({"name": "x", "url": "https://a.example", "secret": "short"}),
            "secret",
        ),
    ] {
        let r = app
            .json("admin", "POST", "/api/v1/webhooks", body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(
            r.text.contains(&format!("\"{field}\"")),
            "{body}: {}",
            r.text
        );
        assert!(!r.text.contains("short"), "a refused secret is not echoed");
    }
    let r = app
        .json(
            "admin",
            "POST",
            "/api/v1/webhooks",
            json!({"name": "x", "url": "https://a.example", "format": "teams"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("format"));
    assert!(app.store.webhooks().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_test_event_is_queued_and_shows_in_the_delivery_log() {
    let app = App::new().await;
    let created = app
        .json(
            "admin",
            "POST",
            "/api/v1/webhooks",
            json!({"name": "ops", "url": "https://ops.example/hook"}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let log = app
        .get("admin", &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.body, json!([]));

    let queued = app
        .call(
            "admin",
            "POST",
            &format!("/api/v1/webhooks/{id}/test"),
            None,
            false,
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let log = app
        .get("admin", &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    let entries = log.body.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "test");
    assert_eq!(entries[0]["status"], "pending");
    assert_eq!(entries[0]["attempts"], 0);
    assert_eq!(entries[0]["event_id"], queued.body["event_id"]);
    assert!(!log.text.contains(created.body["secret"].as_str().unwrap()));

    let page = app.get("admin", &format!("/admin/webhooks/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Pending") && page.text.contains("not tried yet"));

    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.get("admin", &format!("/api/v1/webhooks/{unknown}/deliveries"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .get("admin", "/api/v1/webhooks/not-a-uuid/deliveries")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
}

#[tokio::test]
async fn the_admin_page_registers_a_webhook_shows_the_secret_once_and_escapes_names() {
    let app = App::new().await;
    let form = "name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&url=https%3A%2F%2Fhooks.example%2Fx&format=generic&ev_completed=on";
    let r = app
        .call(
            "admin",
            "POST",
            "/admin/webhooks",
            Some(Body::from(form)),
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.text.contains("shown only this once"));
    let hooks = app.store.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].events,
        [debrief_core::notify::EventKind::Completed]
    );
    assert!(r.text.contains("whsec_"));
    assert!(!r.text.contains("<script>alert(1)</script>"));
    assert!(r.text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    let later = app.get("admin", "/admin/webhooks").await;
    assert!(
        !later.text.contains("whsec_"),
        "the secret is not shown again"
    );

    // A bad URL keeps the form and names the field.
    let r = app
        .call("admin", "POST", "/admin/webhooks", Some(Body::from("name=x&url=ftp%3A%2F%2Fa&format=generic&ev_overdue=on&secret=a+long+enough+secret+value")), true)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("wh-url-error"));
    assert!(
        !r.text.contains("a long enough secret value"),
        "a typed secret is not sent back"
    );
    assert_eq!(app.store.webhooks().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_openapi_document_describes_the_webhook_api_with_every_schema_it_refers_to() {
    let app = App::new().await;
    let doc = app.get("admin", "/api/openapi.json").await.body;
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/webhooks", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{id}", "delete"),
        ("/api/v1/webhooks/{id}/deliveries", "get"),
        ("/api/v1/webhooks/{id}/test", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
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
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}/deliveries",
        "/api/v1/webhooks/{id}/test",
    ] {
        refs(&paths[p], &mut found);
    }
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
        "Webhook",
        "CreatedWebhook",
        "NewWebhookBody",
        "Delivery",
        "Attempt",
        "EventKind",
    ] {
        assert!(
            seen.contains(name),
            "{name} not reached from the webhook paths: {seen:?}"
        );
    }
    assert!(schemas["CreatedWebhook"].to_string().contains("secret"));
    assert!(schemas["Webhook"]["properties"]["url"].is_object());
    assert!(schemas["Webhook"]["properties"].get("secret").is_none());
}
