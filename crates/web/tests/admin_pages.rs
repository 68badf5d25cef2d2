//! The admin pages, driven in-process through the router like a browser:
//! users and roles, tokens, and the audit trail with its chain check.

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
use serde_json::json;
use tower::ServiceExt;

const PASSWORD: &str = "a long passphrase for the admin pages";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.text.find(marker).expect("a csrf field") + marker.len();
        let end = self.text[start..].find('"').unwrap() + start;
        self.text[start..end].to_owned()
    }
}

struct Browser<'a> {
    app: &'a App,
    cookie: Option<String>,
}

impl App {
    async fn new() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        for (name, role) in [
            ("root", UserRole::Admin),
            ("viewer", UserRole::Viewer),
            ("audit", UserRole::Auditor),
        ] {
            store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: PASSWORD.into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
        }
        let mut state = AppState::with_clock(store.clone(), Arc::new(FixedClock(now)));
        // TOTP set-up for admins is tested with the account pages.
        state.require_admin_mfa = false;
        App {
            router: router(state),
            store,
            ctx,
        }
    }

    async fn signed_in(&self, name: &str) -> Browser<'_> {
        let mut b = Browser {
            app: self,
            cookie: None,
        };
        let r = b
            .post("/login", &[("name", name), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert!(b.cookie.is_some());
        b
    }
}

impl Browser<'_> {
    async fn send(&mut self, req: Request<Body>) -> Reply {
        let res = self.app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let reply = Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        };
        if let Some(s) = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("debrief_session="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .filter(|v| !v.is_empty())
        {
            self.cookie = Some(s);
        }
        reply
    }

    fn request(&self, method: Method, uri: &str) -> axum::http::request::Builder {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", format!("debrief_session={c}"));
        }
        req
    }

    async fn get(&mut self, uri: &str) -> Reply {
        let req = self.request(Method::GET, uri).body(Body::empty()).unwrap();
        self.send(req).await
    }

    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let req = self
            .request(Method::POST, uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
            .unwrap();
        self.send(req).await
    }
}

#[tokio::test]
async fn the_index_links_only_to_the_pages_the_caller_may_use() {
    let app = App::new().await;
    let r = app.signed_in("root").await.get("/admin").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for link in ["/admin/audit", "/admin/users", "/admin/tokens"] {
        assert!(r.text.contains(&format!("href=\"{link}\"")), "{link}");
    }
    let r = app.signed_in("audit").await.get("/admin").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("href=\"/admin/audit\""));
    assert!(!r.text.contains("href=\"/admin/users\""));
    assert!(!r.text.contains("href=\"/admin/tokens\""));
    let r = app.signed_in("viewer").await.get("/admin").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_sees_the_users_and_creates_one() {
    let app = App::new().await;
    let mut b = app.signed_in("root").await;
    let r = b.get("/admin/users").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for name in ["root", "viewer", "audit"] {
        assert!(r.text.contains(&format!("<td>{name}")), "{name}");
    }
    assert!(r.text.contains("<label for=\"user-name\">"));
    let csrf = r.csrf();

    // A bad password: the form comes back with the name and role kept,
    // the error next to the password, and the password not echoed.
    let r = b
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "newbie"),
                ("role", "contributor"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"user-password-error\""), "{}", r.text);
    assert!(r.text.contains("value=\"newbie\""));
    assert!(r.text.contains("<option value=\"contributor\" selected>"));
    assert!(!r.text.contains("value=\"short\""));

    let r = b
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "newbie"),
                ("role", "contributor"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/users");
    let user = app.store.user_by_name("newbie").await.unwrap().unwrap();
    assert_eq!(user.role, UserRole::Contributor);
    let r = b.get("/admin/users").await;
    assert!(r.text.contains("<td>newbie"));

    // The same name again is an error next to the name.
    let r = b
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "newbie"),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"user-name-error\""));

    // Role change, disable, enable.
    let r = b
        .post(
            "/admin/users/newbie/role",
            &[("csrf", &csrf), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = b
        .post("/admin/users/newbie/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let user = app.store.user_by_name("newbie").await.unwrap().unwrap();
    assert_eq!(user.role, UserRole::Viewer);
    assert!(user.disabled);
    let r = b
        .post("/admin/users/newbie/enable", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(
        !app.store
            .user_by_name("newbie")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );

    // Without the CSRF field, nothing happens.
    let r = b
        .post("/admin/users/newbie/disable", &[("csrf", "wrong")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves() {
    let app = App::new().await;
    let mut b = app.signed_in("root").await;
    let r = b.get("/admin/users").await;
    assert!(!r.text.contains("action=\"/admin/users/root/disable\""));
    let csrf = r.csrf();
    let r = b
        .post("/admin/users/root/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("you cannot disable your own account"));
    assert!(
        !app.store
            .user_by_name("root")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
}

#[tokio::test]
async fn a_viewer_is_refused_the_users_and_tokens_pages() {
    let app = App::new().await;
    let mut b = app.signed_in("viewer").await;
    for path in ["/admin/users", "/admin/tokens", "/admin/audit"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.text.contains("Not allowed"), "{path}");
    }
    // The auditor reads the trail but manages nobody.
    let mut b = app.signed_in("audit").await;
    assert_eq!(b.get("/admin/users").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_sees_every_token_and_revokes_one() {
    let app = App::new().await;
    let (token, _) = app
        .store
        .create_token("viewer", "ci <script>", Scope::Read, None, &app.ctx)
        .await
        .unwrap();
    let mut b = app.signed_in("root").await;
    let r = b.get("/admin/tokens").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("<td>viewer</td>"));
    assert!(r.text.contains("ci &#60;script&#62;"), "{}", r.text);
    assert!(!r.text.contains("ci <script>"));
    let action = format!("/admin/tokens/{}/revoke", token.id);
    assert!(r.text.contains(&action));
    let csrf = r.csrf();
    let r = b.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/tokens");
    let r = b.get("/admin/tokens").await;
    assert!(r.text.contains("Revoked"));
    assert!(!r.text.contains(&action));
    assert!(app.store.tokens(None).await.unwrap()[0].revoked);
}

#[tokio::test]
async fn an_auditor_sees_the_trail_with_an_intact_chain() {
    let app = App::new().await;
    let mut b = app.signed_in("audit").await;
    let r = b.get("/admin/audit").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Chain intact: "), "{}", r.text);
    let (_, head) = app.store.audit_head().await.unwrap().unwrap();
    assert!(r.text.contains(&head));
    assert!(r.text.contains("<code>user.create</code>"));
    assert!(r.text.contains("<code>login.success</code>"), "{}", r.text);

    // Filters: by action prefix, kept in the form.
    let r = b.get("/admin/audit?action=login.").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("<code>user.create</code>"));
    assert!(r.text.contains("value=\"login.\""));
    // A bad day is an error next to its field.
    let r = b.get("/admin/audit?from=yesterday").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"f-from-error\""));
    // A day range that excludes everything.
    let r = b.get("/admin/audit?to=2020-01-01").await;
    assert!(r.text.contains("No entries match."));
}

#[tokio::test]
async fn the_trail_pages_by_fifty_and_keeps_the_filters() {
    let app = App::new().await;
    for n in 0..60 {
        app.store
            .audit_record(&app.ctx, "test.event", &format!("thing:{n}"), None, None)
            .await
            .unwrap();
    }
    let mut b = app.signed_in("audit").await;
    let r = b.get("/admin/audit?action=test.").await;
    assert!(r.text.contains("(60; page 1 of 2)"), "{}", r.text);
    assert_eq!(r.text.matches("<code>test.event</code>").count(), 50);
    assert!(
        r.text
            .contains("href=\"/admin/audit?action=test.&#38;page=2\"")
    );
    let r = b.get("/admin/audit?action=test.&page=2").await;
    assert_eq!(r.text.matches("<code>test.event</code>").count(), 10);
    assert!(r.text.contains("rel=\"prev\""));
}

#[tokio::test]
async fn an_incident_title_with_a_script_is_escaped_in_the_trail() {
    let app = App::new().await;
    let input = serde_json::from_value(json!({
        "title": "<script>alert(1)</script>",
        "severity": "high"
    }))
    .unwrap();
    app.store.create_incident(input, &app.ctx).await.unwrap();
    let mut b = app.signed_in("audit").await;
    let r = b.get("/admin/audit?action=incident.create").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("<code>incident.create</code>"),
        "{}",
        r.text
    );
    assert!(r.text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(!r.text.contains("<script>alert"));
}
