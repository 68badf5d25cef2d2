//! Search and the knowledge base through the router, in-process, on the
//! demo data: `GET /api/v1/search` and `/search` (ranking, highlighted and
//! escaped snippets, filters, paging, bad parameters named), the knowledge
//! base (`/api/v1/knowledge...`, `/knowledge...`: the seed's entry for
//! Authentication Bypass, restricted incidents hidden from non-members,
//! notes written by editors only, audited, rendered without active HTML).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::IncidentKey;
use debrief_core::access::{Scope, UserRole};
use debrief_store::{AuditFilter, Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A restricted incident that neither `viewer` nor `ic` is a member of.
const SECRET_KEY: &str = "SEC-2025-0001";
const SECRET_WORD: &str = "quetzalcoatl";
/// Text an attacker could put in an incident.
const HOSTILE: &str = "<script>alert(\"pwned\")</script><img src=x onerror=alert(1)>";

struct App {
    router: Router,
    store: Store,
    tokens: Vec<(&'static str, String)>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    text: String,
    location: Option<String>,
}

impl App {
    async fn demo() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut tokens = Vec::new();
        for (name, role, scope) in [
            ("viewer", UserRole::Viewer, Scope::Read),
            ("ic", UserRole::IncidentCommander, Scope::Write),
            ("auditor", UserRole::Auditor, Scope::Read),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: "a long passphrase for searching".into(),
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
        for doc in debrief_core::demo::documents().unwrap() {
            store.import(doc, false, &ctx).await.unwrap();
        }
        let input = serde_json::from_value(json!({
            "key": SECRET_KEY, "severity": "critical", "category": "Authentication Bypass",
            "title": format!("The {SECRET_WORD} takeover"),
            "summary": format!("Only members may read about {SECRET_WORD}."),
            "lifecycle": {"detected": "2025-11-30T09:00:00Z"}
        }))
        .unwrap();
        store.create_incident(input, &ctx).await.unwrap();
        store
            .set_restricted(&IncidentKey::parse(SECRET_KEY).unwrap(), true, &ctx)
            .await
            .unwrap();
        let hostile = serde_json::from_value(json!({
            "key": "INC-2025-0666", "severity": "low", "category": "Phishing",
            "title": "Hostile text", "summary": format!("{HOSTILE} zebrafish lure")
        }))
        .unwrap();
        store.create_incident(hostile, &ctx).await.unwrap();
        App {
            router: router(AppState::with_clock(
                store.clone(),
                Arc::new(FixedClock(now)),
            )),
            store,
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
        let body = match body {
            Some((ct, b)) => {
                req = req.header("content-type", ct);
                Body::from(b)
            }
            None => Body::empty(),
        };
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            location,
        }
    }

    async fn get(&self, user: &str, uri: &str) -> Reply {
        self.send(user, "GET", uri, None).await
    }
}

fn hit_keys(r: &Reply) -> Vec<String> {
    r.body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_seeds_example_ranks_first_for_its_own_words_with_marked_snippets() {
    let app = App::demo().await;
    let r = app.get("viewer", "/api/v1/search?q=backup+codes").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(hit_keys(&r)[0], "INC-2025-1128");
    let first = &r.body["hits"][0];
    assert_eq!(first["title"], "Admin account compromise");
    let html = first["snippet_html"].as_str().unwrap();
    assert!(html.contains("<mark>"), "{html}");
    let text = first["snippet"].as_str().unwrap();
    assert!(
        !text.contains('\u{E000}') && text.to_lowercase().contains("backup"),
        "{text}"
    );
    assert_eq!(r.body["total"].as_u64().unwrap(), hit_keys(&r).len() as u64);

    // A phrase from deep inside one post-mortem (a lesson) finds just it.
    let r = app
        .get(
            "viewer",
            "/api/v1/search?q=%22SMS+is+not+a+second+factor%22",
        )
        .await;
    assert_eq!(hit_keys(&r), ["INC-2025-0523"]);
}

#[tokio::test]
async fn filters_and_paging_narrow_the_hits() {
    let app = App::demo().await;
    let all = app.get("viewer", "/api/v1/search?q=mfa").await;
    let total = all.body["total"].as_u64().unwrap();
    assert!(total >= 2, "{}", all.text);
    let r = app
        .get(
            "viewer",
            "/api/v1/search?q=mfa&category=Authentication+Bypass&from=2025-11-01&to=2025-11-30",
        )
        .await;
    assert_eq!(hit_keys(&r), ["INC-2025-1128"]);
    let page2 = app
        .get("viewer", "/api/v1/search?q=mfa&limit=1&offset=1")
        .await;
    assert_eq!(page2.body["total"].as_u64().unwrap(), total);
    assert_eq!(hit_keys(&page2), [hit_keys(&all)[1].clone()]);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_the_parameter() {
    let app = App::demo().await;
    for (query, field) in [
        ("q=", "q"),
        ("q=mfa&severity=huge", "severity"),
        ("q=mfa&status=gone", "status"),
        ("q=mfa&from=yesterday", "from"),
        ("q=mfa&from=2025-11-02&to=2025-11-01", "to"),
        ("q=mfa&limit=1000", "limit"),
        ("q=mfa&offset=x", "offset"),
    ] {
        let r = app.get("viewer", &format!("/api/v1/search?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text
        );
        assert_eq!(r.body["error"]["field"], field, "{query}: {}", r.text);
    }
    // Query syntax is never an error.
    for q in [
        "%22unbalanced",
        "NEAR(a+b)",
        "(((",
        "a*+-b",
        "%C3%BCber+%F0%9F%99%82",
    ] {
        let r = app.get("viewer", &format!("/api/v1/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    }
}

#[tokio::test]
async fn snippets_never_carry_markup_from_incident_text() {
    let app = App::demo().await;
    let r = app.get("viewer", "/api/v1/search?q=zebrafish").await;
    assert_eq!(hit_keys(&r), ["INC-2025-0666"]);
    let html = r.body["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(html.contains("<mark>zebrafish</mark>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");

    let page = app.get("viewer", "/search?q=zebrafish").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<mark>zebrafish</mark>"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<script>alert"), "{}", page.text);
    assert!(!page.text.contains("<img src=x"), "{}", page.text);
    // Shown as text, escaped (askama writes `<` as `&#60;`).
    assert!(
        page.text.contains("&#60;script&#62;") || page.text.contains("&lt;script&gt;"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn restricted_incidents_are_found_only_by_those_who_may_see_them() {
    let app = App::demo().await;
    let url = format!("/api/v1/search?q={SECRET_WORD}");
    let r = app.get("viewer", &url).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 0, "{}", r.text);
    assert!(!r.text.contains(SECRET_KEY));
    let page = app.get("ic", &format!("/search?q={SECRET_WORD}")).await;
    assert!(!page.text.contains(SECRET_KEY) && page.text.contains("Nothing found"));
    let r = app.get("auditor", &url).await;
    assert_eq!(hit_keys(&r), [SECRET_KEY]);

    // The knowledge base leaves it out for them too, counts included.
    let kb = app
        .get("viewer", "/api/v1/knowledge/Authentication%20Bypass")
        .await;
    assert_eq!(kb.body["entry"]["total_incidents"], 3);
    assert!(!kb.text.contains(SECRET_KEY) && !kb.text.contains(SECRET_WORD));
    let kb = app
        .get("auditor", "/api/v1/knowledge/Authentication%20Bypass")
        .await;
    assert_eq!(kb.body["entry"]["total_incidents"], 4);
    let list = app.get("viewer", "/api/v1/knowledge").await;
    let auth = list.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Authentication Bypass")
        .unwrap()
        .clone();
    assert_eq!(auth["incidents"], 3);
    let page = app
        .get("viewer", "/knowledge/Authentication%20Bypass")
        .await;
    assert!(!page.text.contains(SECRET_KEY) && !page.text.contains(SECRET_WORD));
}

#[tokio::test]
async fn the_knowledge_base_entry_is_the_seeds_for_authentication_bypass() {
    let app = App::demo().await;
    let r = app
        .get("viewer", "/api/v1/knowledge/Authentication%20Bypass")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = &r.body["entry"];
    assert_eq!(e["total_incidents"], 3);
    assert_eq!(e["last_occurrence"], "2025-11-28");
    assert_eq!(
        e["common_root_causes"][0]["text"],
        "Weak MFA implementation"
    );
    assert_eq!(e["common_root_causes"][0]["incidents"], 2);
    assert_eq!(e["common_root_causes"][1]["text"], "Session hijacking");
    assert_eq!(e["common_root_causes"][1]["incidents"], 1);
    assert_eq!(e["effective_mitigations"].as_array().unwrap().len(), 3);
    assert_eq!(e["failed_mitigations"].as_array().unwrap().len(), 2);
    let related: Vec<&str> = e["related_incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(related, ["INC-2025-0523", "INC-2025-0812", "INC-2025-1128"]);

    let page = app
        .get("viewer", "/knowledge/Authentication%20Bypass")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for seed in [
        "Weak MFA implementation",
        "(2 incidents",
        "Backup codes should expire",
        "SMS MFA",
        "Admin account compromise",
    ] {
        assert!(page.text.contains(seed), "{seed}");
    }
    // Viewers get no notes form.
    assert!(!page.text.contains("Save notes"));
    let index = app.get("viewer", "/knowledge").await;
    assert!(
        index
            .text
            .contains("href=\"/knowledge/Authentication%20Bypass\"")
    );

    let missing = app.get("viewer", "/api/v1/knowledge/No%20Such").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("viewer", "/knowledge/No%20Such").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn notes_are_written_by_editors_audited_and_rendered_without_active_html() {
    let app = App::demo().await;
    let url = "/api/v1/knowledge/Authentication%20Bypass/notes";
    let body =
        json!({"body": format!("**Use hardware keys.**\n\n{HOSTILE}\n\n[x](javascript:alert(1))")})
            .to_string();
    let json_ct = "application/json";
    let refused = app
        .send("viewer", "PUT", url, Some((json_ct, body.clone())))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let r = app.send("ic", "PUT", url, Some((json_ct, body))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let html = r.body["notes_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Use hardware keys.</strong>"),
        "{html}"
    );
    for bad in ["<script", "<img", "onerror", "javascript:"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert_eq!(r.body["notes"]["updated_by"], "ic");
    let trail = app
        .store
        .audit_list(&AuditFilter {
            action: Some("knowledge.notes".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.total, 1);
    assert_eq!(
        trail.items[0].event.object,
        "category:Authentication Bypass"
    );
    assert_eq!(trail.items[0].event.actor, "ic");

    let page = app
        .get("viewer", "/knowledge/Authentication%20Bypass")
        .await;
    assert!(page.text.contains("<strong>Use hardware keys.</strong>"));
    assert!(!page.text.contains("<script>alert") && !page.text.contains("<img src=x"));

    // Bad input names the field and writes nothing.
    let long = json!({"body": "x".repeat(50_001)}).to_string();
    let r = app.send("ic", "PUT", url, Some((json_ct, long))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "body");
    let r = app
        .send(
            "ic",
            "PUT",
            "/api/v1/knowledge/Nope/notes",
            Some((json_ct, json!({"body": "x"}).to_string())),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The page's form: post, redirect, and the new text shows.
    let form = "body=Plain+%3Cb%3Etext%3C%2Fb%3E".to_owned();
    let r = app
        .send(
            "ic",
            "POST",
            "/knowledge/Authentication%20Bypass/notes",
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        r.location.as_deref(),
        Some("/knowledge/Authentication%20Bypass")
    );
    let page = app.get("ic", "/knowledge/Authentication%20Bypass").await;
    assert!(page.text.contains("Save notes"));
    assert!(page.text.contains("Plain"));
    assert!(
        !page.text.contains("<b>text</b>"),
        "raw HTML in notes is dropped"
    );
    let trail = app
        .store
        .audit_list(&AuditFilter {
            action: Some("knowledge.notes".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.total, 2);
}

#[tokio::test]
async fn the_search_page_works_without_javascript() {
    let app = App::demo().await;
    let blank = app.get("viewer", "/search").await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.text.contains("method=\"get\" action=\"/search\""));
    assert!(blank.text.contains("href=\"/search\""), "nav link");
    assert!(blank.text.contains("href=\"/knowledge\""), "nav link");

    let r = app.get("viewer", "/search?q=mfa&offset=0").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("href=\"/incidents/INC-2025-1128\""));
    assert!(r.text.contains("<mark>"));
    let bad = app.get("viewer", "/search?q=mfa&severity=huge").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("is not one of"), "{}", bad.text);

    // The OpenAPI document lists the routes.
    let doc = app.get("viewer", "/api/openapi.json").await;
    for path in [
        "/api/v1/search",
        "/api/v1/knowledge",
        "/api/v1/knowledge/{category}",
        "/api/v1/knowledge/{category}/notes",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path}");
    }
    // Every schema those paths refer to is described.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.trim_start_matches("#/components/schemas/").to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for path in ["/api/v1/search", "/api/v1/knowledge/{category}"] {
        refs(&doc.body["paths"][path], &mut names);
    }
    assert!(names.iter().any(|n| n == "KnowledgeView"), "{names:?}");
    let schemas = &doc.body["components"]["schemas"];
    let mut i = 0;
    while i < names.len() {
        let name = names[i].clone();
        assert!(schemas.get(&name).is_some(), "schema {name} is missing");
        refs(&schemas[&name], &mut names);
        i += 1;
        assert!(i < 10_000);
    }
}
