//! "Same incident twice": the similar-incidents panel of the incident page
//! (`GET /incidents/{key}/similar`) on the demo data, driven in-process
//! through the router: the repeat story of INC-2025-1128 with the earlier
//! incident's action items and the fix shown not to work, the page without
//! JavaScript, restricted incidents kept from non-members, and the JSON API
//! agreeing with the panel.

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
use serde_json::Value;
use tower::ServiceExt;

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
    viewer: String,
}

impl App {
    async fn demo() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        store
            .create_user(
                NewUser {
                    name: "viewer".into(),
                    role: UserRole::Viewer,
                    password: "a long passphrase for similar".into(),
                },
                &ctx,
            )
            .await
            .unwrap();
        let (_, secret) = store
            .create_token("viewer", "tests", Scope::Read, None, &ctx)
            .await
            .unwrap();
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
            viewer: format!("Bearer {}", secret.expose()),
        }
    }

    async fn get(&self, uri: &str, htmx: bool) -> (StatusCode, String) {
        let mut req = Request::builder()
            .uri(uri)
            .header("authorization", &self.viewer);
        if htmx {
            req = req.header("hx-request", "true");
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[tokio::test]
async fn the_panel_tells_that_the_admin_compromise_repeats_the_sms_bypass_and_its_fix_failed() {
    let app = App::demo().await;
    let (status, html) = app.get("/incidents/INC-2025-1128/similar", true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.starts_with("<section id=\"similar\""),
        "a partial: {html}"
    );
    assert!(!html.contains("<html"), "htmx gets the panel alone");
    // The story: recorded as a repeat of INC-2025-0523, whose SMS fix was
    // later shown not to work against SIM swapping.
    assert!(html.contains("This repeats <a href=\"/incidents/INC-2025-0523\">"));
    assert!(html.contains("Recorded as a repeat"));
    assert!(html.contains("Shown NOT effective"), "{html}");
    assert!(html.contains("class=\"failed-fix\""));
    let earlier = app
        .store
        .get(&IncidentKey::parse("INC-2025-0523").unwrap())
        .await
        .unwrap();
    for item in &earlier.action_items {
        assert!(html.contains(&format!("#{}", item.number)));
    }
    // Won't-do items are not counted: nobody meant to do them.
    let counted: Vec<_> = earlier
        .action_items
        .iter()
        .filter(|a| a.status != debrief_core::action::ActionStatus::WontDo)
        .collect();
    let done = counted.iter().filter(|a| a.status.is_done()).count();
    assert!(
        html.contains(&format!(
            "{done} of {} action items were done",
            counted.len()
        )),
        "{html}"
    );
    // Other similar incidents are listed with their reasons.
    assert!(html.contains("INC-2025-0812"));
    assert!(html.contains("same category (Authentication Bypass)"));
}

#[tokio::test]
async fn without_javascript_the_panel_is_a_page_and_the_incident_page_links_to_it() {
    let app = App::demo().await;
    let (status, page) = app.get("/incidents/INC-2025-1128", false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("hx-get=\"/incidents/INC-2025-1128/similar\""));
    assert!(page.contains("<a href=\"/incidents/INC-2025-1128/similar\">"));
    let (status, html) = app.get("/incidents/INC-2025-1128/similar", false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html"), "a whole page");
    assert!(html.contains("Back to INC-2025-1128"));
    assert!(html.contains("This repeats"));
}

#[tokio::test]
async fn a_first_incident_has_nothing_earlier_to_repeat() {
    let app = App::demo().await;
    let first = debrief_core::demo::documents()
        .unwrap()
        .into_iter()
        .min_by_key(|d| d.lifecycle.detected)
        .unwrap();
    let (status, html) = app
        .get(&format!("/incidents/{}/similar", first.key), true)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("This repeats"));
    assert!(html.contains("No earlier incident you can see"));
}

#[tokio::test]
async fn a_restricted_earlier_incident_is_never_named_to_a_non_member() {
    let app = App::demo().await;
    let earlier = IncidentKey::parse("INC-2025-0523").unwrap();
    app.store
        .set_restricted(&earlier, true, &app.ctx)
        .await
        .unwrap();
    let (status, html) = app.get("/incidents/INC-2025-1128/similar", true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("INC-2025-0523"), "{html}");
    assert!(!html.contains("This repeats <a href=\"/incidents/INC-2025-0523\""));
    let (_, json) = app
        .get("/api/v1/incidents/INC-2025-1128/similar", false)
        .await;
    let found: Value = serde_json::from_str(&json).unwrap();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["key"] != "INC-2025-0523")
    );
}

#[tokio::test]
async fn user_text_in_the_panel_is_escaped() {
    let app = App::demo().await;
    let key = IncidentKey::parse("INC-2025-0812").unwrap();
    let mut doc = app.store.get(&key).await.unwrap();
    doc.title = "<script>alert(1)</script> session theft".into();
    app.store.import(doc, true, &app.ctx).await.unwrap();
    let (_, html) = app.get("/incidents/INC-2025-1128/similar", true).await;
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; session theft"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test]
async fn the_api_and_the_panel_list_the_same_incidents() {
    let app = App::demo().await;
    let (_, json) = app
        .get("/api/v1/incidents/INC-2025-1128/similar", false)
        .await;
    let found: Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert!(!keys.is_empty());
    assert_eq!(keys[0], "INC-2025-0523", "the repeat scores highest");
    let (_, html) = app.get("/incidents/INC-2025-1128/similar", true).await;
    let mut at = 0;
    for k in keys {
        let pos = html[at..]
            .find(&format!("<span class=\"key\">{k}</span>"))
            .unwrap_or_else(|| panic!("{k} in order in the panel"));
        at += pos + 1;
    }
}
