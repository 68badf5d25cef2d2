//! The metrics dashboard, `GET /api/v1/metrics` and the `/metrics` page,
//! driven in-process through the router on the demo data: the seed's
//! figures, month grouping, parameters named when wrong, and restricted
//! incidents counted without being revealed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::IncidentKey;
use debrief_core::access::{Scope, UserRole};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A restricted incident nobody but its members may see, detected in Q4.
const SECRET_KEY: &str = "SEC-2025-0001";
const SECRET_TITLE: &str = "Board member mailbox quietly forwarded";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
    /// Bearer headers by user name.
    tokens: Vec<(&'static str, String)>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    text: String,
}

impl App {
    /// The demo set, plus one viewer and one incident commander.
    async fn demo() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        // The demo's snapshot day: what "due" means for completion.
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut tokens = Vec::new();
        for (name, role) in [
            ("viewer", UserRole::Viewer),
            ("ic", UserRole::IncidentCommander),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: "a long passphrase for the metrics".into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
            let (_, secret) = store
                .create_token(name, "tests", Scope::Read, None, &ctx)
                .await
                .unwrap();
            tokens.push((name, format!("Bearer {}", secret.expose())));
        }
        for doc in debrief_core::demo::documents().unwrap() {
            store.import(doc, false, &ctx).await.unwrap();
        }
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

    /// Adds the restricted incident; `ic` is not a member either.
    async fn with_secret(self) -> App {
        let input = serde_json::from_value(json!({
            "key": SECRET_KEY, "title": SECRET_TITLE, "severity": "critical",
            "category": "Account Compromise",
            "lifecycle": {"first_activity": "2025-11-20T08:00:00Z", "detected": "2025-11-20T09:00:00Z",
                          "responded": "2025-11-20T09:10:00Z", "contained": "2025-11-20T11:00:00Z"}
        }))
        .unwrap();
        self.store.create_incident(input, &self.ctx).await.unwrap();
        self.store
            .set_restricted(&IncidentKey::parse(SECRET_KEY).unwrap(), true, &self.ctx)
            .await
            .unwrap();
        self
    }

    async fn get_as(&self, user: &str, uri: &str) -> Reply {
        let token = &self.tokens.iter().find(|(n, _)| *n == user).unwrap().1;
        let req = Request::builder()
            .uri(uri)
            .header("authorization", token)
            .body(Body::empty())
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.get_as("viewer", uri).await
    }
}

fn column(body: &Value, path: &[&str]) -> Vec<Value> {
    body["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| path.iter().fold(p, |v, k| &v[*k]).clone())
        .collect()
}

#[tokio::test]
async fn the_api_reproduces_the_seed_dashboard_on_the_demo_data() {
    let app = App::demo().await;
    let r = app.get("/api/v1/metrics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["group"], "quarter");
    assert_eq!(
        column(b, &["label"]),
        [json!("2025-Q2"), json!("2025-Q3"), json!("2025-Q4")]
    );
    assert_eq!(column(b, &["incidents"]), [json!(15), json!(8), json!(12)]);
    // Minutes and hours, as whole seconds.
    assert_eq!(
        column(b, &["mttd", "mean_seconds"]),
        [json!(45 * 60), json!(15 * 60), json!(8 * 60)]
    );
    assert_eq!(
        column(b, &["mttr", "mean_seconds"]),
        [json!(35 * 60), json!(20 * 60), json!(12 * 60)]
    );
    assert_eq!(
        column(b, &["mttc", "mean_seconds"]),
        [json!(6 * 3600), json!(4 * 3600), json!(9000)]
    );
    assert!(
        column(b, &["mttd", "median_seconds"])
            .iter()
            .all(Value::is_i64)
    );
    assert_eq!(column(b, &["repeats"]), [json!(5), json!(3), json!(1)]);
    let rates: Vec<&Value> = b["completion_by_horizon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["rate_percent"])
        .collect();
    assert_eq!(rates, [&json!(95), &json!(78), &json!(62), &json!(45)]);
    let trend = |m: &str| {
        b["trends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["measure"] == m && t.get("horizon").is_none())
            .unwrap()["direction"]
            .clone()
    };
    assert_eq!(trend("incidents"), "fewer", "the seed's \"Decreasing\"");
    for m in ["mttd", "mttr", "mttc", "repeats"] {
        assert_eq!(trend(m), "improving", "{m}");
    }
    let defined: Vec<&str> = b["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["measure"].as_str().unwrap())
        .collect();
    for m in ["incidents", "mttd", "mttr", "mttc", "repeats", "completion"] {
        assert!(defined.contains(&m), "{m} is defined");
    }
    assert_eq!(b["today"], "2025-12-01");
}

#[tokio::test]
async fn group_month_gives_one_period_per_month() {
    let app = App::demo().await;
    let r = app.get("/api/v1/metrics?group=month").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let labels = column(&r.body, &["label"]);
    assert_eq!(labels.len(), 8);
    assert_eq!(labels[0], "2025-04");
    assert_eq!(labels[7], "2025-11");
    let total: u64 = column(&r.body, &["incidents"])
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 35);
    assert_eq!(r.body["group"], "month");
}

#[tokio::test]
async fn from_and_to_limit_the_days_of_detection() {
    let app = App::demo().await;
    let r = app
        .get("/api/v1/metrics?from=2025-10-01&to=2025-12-31")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(column(&r.body, &["label"]), [json!("2025-Q4")]);
    assert_eq!(r.body["incidents"], 12);
    assert_eq!(r.body["from"], "2025-10-01");
    let r = app.get("/api/v1/metrics?from=2026-01-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["incidents"], 0);
}

#[tokio::test]
async fn bad_parameters_are_refused_with_the_field_named() {
    let app = App::demo().await;
    for (uri, field) in [
        ("/api/v1/metrics?group=week", "group"),
        ("/api/v1/metrics?from=2025-02-30", "from"),
        ("/api/v1/metrics?to=yesterday", "to"),
        ("/api/v1/metrics?from=2025-06-01&to=2025-01-01", "to"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{uri}: {}", r.text);
    }
    let r = app.get("/api/v1/metrics?group=week").await;
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("quarter, month"), "{message}");
    let r = app.get("/api/v1/metrics?grup=month").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn a_restricted_incident_is_counted_but_never_revealed() {
    let app = App::demo().await.with_secret().await;
    // The viewer may not see it...
    let list = app.get("/api/v1/incidents?limit=500").await;
    assert_eq!(list.body["total"], 35);
    let secret = app.get(&format!("/api/v1/incidents/{SECRET_KEY}")).await;
    assert_eq!(secret.status, StatusCode::NOT_FOUND);
    // ...but it counts in Q4, for the viewer as for everyone.
    for user in ["viewer", "ic"] {
        let r = app.get_as(user, "/api/v1/metrics").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(column(&r.body, &["incidents"])[2], 13, "{user}");
        assert_eq!(r.body["incidents"], 36);
        assert!(!r.text.contains(SECRET_KEY), "{user}: the key leaks");
        assert!(!r.text.contains(SECRET_TITLE), "{user}: the title leaks");
    }
    // No incident is named at all: not one key or title is in the answer.
    let r = app.get("/api/v1/metrics?group=month").await;
    for doc in debrief_core::demo::documents().unwrap() {
        assert!(!r.text.contains(doc.key.as_str()), "{}", doc.key);
        assert!(!r.text.contains(&doc.title), "{}", doc.title);
    }
    let page = app.get("/metrics?group=month").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(SECRET_KEY) && !page.text.contains(SECRET_TITLE));
    for doc in debrief_core::demo::documents().unwrap() {
        assert!(!page.text.contains(doc.key.as_str()), "{}", doc.key);
    }
}

#[tokio::test]
async fn the_page_shows_the_figures_charts_and_definitions_to_a_viewer() {
    let app = App::demo().await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Figures keep their unit on the same line with no-break spaces.
    assert!(r.text.contains("45\u{a0}min"));
    let html = &r.text.replace('\u{a0}', " ");
    // The nav marks the page.
    assert!(html.contains(r#"<a href="/metrics" aria-current="page">Metrics</a>"#));
    // The filter form.
    for input in [r#"name="from""#, r#"name="to""#, r#"name="group""#] {
        assert!(html.contains(input), "{input}");
    }
    // The seed's figures, as people read them.
    for figure in [
        "2025-Q2",
        "2025-Q4",
        ">15<",
        ">12<",
        "45 min",
        "8 min",
        "35 min",
        "2.5 h",
        "6 h",
        "95% (38/40)",
        "78% (39/50)",
        "62% (31/50)",
        "45% (9/20)",
    ] {
        assert!(html.contains(figure), "{figure} is on the page");
    }
    assert!(html.contains("improving") && html.contains("fewer"));
    // Six charts, inline SVG, accessible.
    assert_eq!(html.matches("<svg").count(), 6);
    assert_eq!(html.matches(r#"role="img""#).count(), 6);
    assert!(
        html.contains("aria-label=\"Incidents per quarter: 2025-Q2 15, 2025-Q3 8, 2025-Q4 12\"")
    );
    // Every measure is defined on the page, and so is the trend.
    for name in [
        "Incident volume",
        "Mean time to detect (MTTD)",
        "Mean time to respond (MTTR)",
        "Mean time to contain (MTTC)",
        "Repeat incidents",
        "Action-item completion rate",
    ] {
        assert!(html.contains(&format!("<dt>{name}</dt>")), "{name}");
    }
    assert!(html.contains("least-squares"));
    // Nothing inline the CSP would block.
    assert!(!html.contains("style=") && !html.contains("<style") && !html.contains("<script>"));
}

#[tokio::test]
async fn the_page_by_month_and_with_a_bad_filter() {
    let app = App::demo().await;
    let r = app.get("/metrics?group=month&from=2025-06-15").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("2025-06"));
    assert!(!r.text.contains(">2025-05<"));
    // June is cut by `from`: the days covered are shown.
    assert!(r.text.contains("2025-06-15 – 2025-06-30"), "cut period");
    let r = app.get("/metrics?group=week&to=soon").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("id=\"m-group-error\""));
    assert!(r.text.contains("id=\"m-to-error\""));
    assert!(!r.text.contains("<svg"), "no figures for a bad filter");
    assert!(r.text.contains("<dt>Mean time to detect (MTTD)</dt>"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_metrics() {
    let app = App::demo().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let op = &r.body["paths"]["/api/v1/metrics"]["get"];
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["from", "to", "group"]);
    assert!(r.body["components"]["schemas"]["Dashboard"].is_object());
}

#[tokio::test]
async fn every_schema_the_dashboard_refers_to_is_in_the_openapi_document() {
    let app = App::demo().await;
    let doc = app.get("/api/openapi.json").await.body;
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
    refs(&doc["components"]["schemas"]["Dashboard"], &mut found);
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
        "PeriodMetrics",
        "TimeStat",
        "Trend",
        "Definition",
        "HorizonCompletion",
    ] {
        assert!(seen.contains(name), "{name}");
    }
}
