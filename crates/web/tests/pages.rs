//! The web UI's pages, driven in-process through the router like a browser
//! would: form posts, the session cookie, redirects, and the HTML that
//! comes back (escaped, with its security headers).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use debrief_core::access::UserRole;
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "a long passphrase for the pages";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
    now: DateTime<Utc>,
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

    /// The session token set by this answer, if any.
    fn session(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("debrief_session="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of the hidden `csrf` field of the page.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.text.find(marker).expect("a csrf field") + marker.len();
        let end = self.text[start..].find('"').unwrap() + start;
        self.text[start..end].to_owned()
    }
}

/// A browser: remembers the session cookie.
struct Browser<'a> {
    app: &'a App,
    cookie: Option<String>,
}

impl App {
    async fn new() -> App {
        App::on(debrief_store::testing::sqlite_store().await).await
    }

    async fn on(store: Store) -> App {
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        for (name, role) in [
            ("ic", UserRole::IncidentCommander),
            ("viewer", UserRole::Viewer),
            ("root", UserRole::Admin),
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
        let router = router(AppState::with_clock(
            store.clone(),
            Arc::new(FixedClock(now)),
        ));
        App {
            router,
            store,
            ctx,
            now,
        }
    }

    async fn with_demo() -> App {
        App::demo_on(debrief_store::testing::sqlite_store().await).await
    }

    async fn demo_on(store: Store) -> App {
        let app = App::on(store).await;
        for doc in debrief_core::demo::documents().unwrap() {
            app.store.import(doc, false, &app.ctx).await.unwrap();
        }
        app
    }

    fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookie: None,
        }
    }

    /// A browser signed in as `name` (no second factor).
    async fn signed_in(&self, name: &str) -> Browser<'_> {
        let mut b = self.browser();
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
        if let Some(s) = reply.session() {
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

    /// A form post, as a browser sends it (no CSRF header: the page's
    /// hidden field carries the token when the caller includes it).
    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let req = self
            .request(Method::POST, uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
            .unwrap();
        self.send(req).await
    }

    /// The CSRF token of the current session, read from a page.
    async fn csrf(&mut self) -> String {
        self.get("/account").await.csrf()
    }
}

#[tokio::test]
async fn the_login_page_renders_with_labelled_inputs_and_a_strict_csp() {
    let app = App::new().await;
    let r = app.browser().get("/login").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<label for=\"name\">"));
    assert!(r.text.contains("<label for=\"password\">"));
    assert!(r.text.contains("name=\"viewport\""));
    assert!(r.text.contains("class=\"skip-link\""));
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp} lacks {part}");
    }
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // No inline script or style anywhere.
    assert!(!r.text.contains("<script>"));
    assert!(!r.text.contains("style="));
    assert!(!r.text.contains("<style"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_message() {
    let app = App::new().await;
    let mut b = app.browser();
    let wrong = b
        .post(
            "/login",
            &[("name", "ic"), ("password", "not the password at all")],
        )
        .await;
    let unknown = b
        .post("/login", &[("name", "nobody"), ("password", PASSWORD)])
        .await;
    for r in [&wrong, &unknown] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text.contains("Wrong name or password."));
        assert!(r.session().is_none());
    }
    // The name typed is kept.
    assert!(wrong.text.contains("value=\"ic\""));
}

#[tokio::test]
async fn signing_in_leads_to_the_incident_list_showing_the_demo_incident() {
    let app = App::with_demo().await;
    let mut b = app.browser();
    let r = b
        .post("/login", &[("name", "ic"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/incidents");
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let r = b.get("/incidents").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("INC-2025-1128"));
    let again = b.get("/login").await;
    assert_eq!(again.location(), "/incidents", "signed in already");
    assert!(r.text.contains("href=\"/incidents/INC-2025-1128\""));
    assert!(r.text.contains("Showing 1–"));
    // The CSRF token rides on every htmx request.
    assert!(r.text.contains("hx-headers='{&#34;X-CSRF-Token&#34;:&#34;"));
    // A commander may create incidents.
    assert!(r.text.contains("id=\"new-incident\""));
}

#[tokio::test]
async fn a_local_next_is_followed_after_signing_in_and_a_foreign_one_is_not() {
    let app = App::new().await;
    let mut b = app.browser();
    let r = b
        .post(
            "/login",
            &[("name", "ic"), ("password", PASSWORD), ("next", "/account")],
        )
        .await;
    assert_eq!(r.location(), "/account");
    let mut b = app.browser();
    let r = b
        .post(
            "/login",
            &[
                ("name", "ic"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/incidents");
}

#[tokio::test]
async fn a_page_without_a_session_redirects_to_the_sign_in_page_with_next() {
    let app = App::new().await;
    let r = app.browser().get("/incidents?severity=high").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Fincidents%3Fseverity%3Dhigh");
    let r = app.browser().get("/").await;
    assert_eq!(r.location(), "/incidents");
    // htmx is told to load the sign-in page in full.
    let mut b = app.browser();
    let req = b
        .request(Method::GET, "/incidents?q=x")
        .header("hx-request", "true")
        .body(Body::empty())
        .unwrap();
    let r = b.send(req).await;
    assert_eq!(r.headers["hx-redirect"], "/login?next=%2Fincidents%3Fq%3Dx");
    // The API keeps answering JSON.
    let r = app.browser().get("/api/v1/incidents").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains("\"code\":\"unauthenticated\""));
}

#[tokio::test]
async fn unknown_pages_and_refusals_are_html_pages() {
    let app = App::new().await;
    let mut b = app.signed_in("viewer").await;
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("<h1>Not found</h1>"));
    assert!(r.headers.contains_key("content-security-policy"));
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/incidents",
            &[("csrf", &csrf), ("title", "Nope"), ("severity", "low")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("<h1>Not allowed</h1>"));
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert!(r.text.contains(&format!("request id <code>{id}</code>")));
    let r = b.get("/api/v1/nothing").await;
    assert!(r.text.contains("\"code\":\"not_found\""));
}

#[tokio::test]
async fn a_viewer_does_not_see_the_new_incident_form() {
    let app = App::with_demo().await;
    let mut b = app.signed_in("viewer").await;
    let r = b.get("/incidents").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("id=\"new-incident\""));
    assert!(!r.text.contains("New incident"));
    assert!(!r.text.contains(">Admin<"), "viewers have no Admin entry");
    let r = app.signed_in("ic").await.get("/incidents").await;
    assert!(r.text.contains("New incident"));
}

#[tokio::test]
async fn hostile_titles_are_shown_as_text_in_the_list() {
    let app = App::new().await;
    for (key, title) in [
        ("XSS-1", "<script>alert(1)</script>"),
        ("XSS-2", "\"><img src=x onerror=alert(1)>"),
    ] {
        let input = serde_json::from_value(
            serde_json::json!({"key": key, "title": title, "severity": "low"}),
        )
        .unwrap();
        app.store.create_incident(input, &app.ctx).await.unwrap();
    }
    let r = app.signed_in("ic").await.get("/incidents?q=XSS").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("<script>alert(1)</script>"));
    assert!(!r.text.contains("<img src=x"));
    assert!(r.text.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(
        r.text
            .contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;")
    );
}

#[tokio::test]
async fn creating_an_incident_redirects_to_it_and_errors_keep_the_input() {
    let app = App::with_demo().await;
    let mut b = app.signed_in("ic").await;
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/incidents",
            &[
                ("csrf", &csrf),
                ("title", "Phishing wave <b>"),
                ("severity", "high"),
                ("category", ""),
                ("key", "bad key"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"n-key-error\""));
    assert!(r.text.contains("value=\"Phishing wave &#60;b&#62;\""));
    assert!(r.text.contains("value=\"bad key\""));
    let r = b
        .post(
            "/incidents",
            &[
                ("csrf", &csrf),
                ("title", "Phishing wave"),
                ("severity", "high"),
                ("key", "INC-2025-0042"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/incidents/INC-2025-0042");
    let r = b.get("/incidents?q=phishing").await;
    assert!(r.text.contains("INC-2025-0042"));
    // A key in use is refused next to the key field.
    let r = b
        .post(
            "/incidents",
            &[
                ("csrf", &csrf),
                ("title", "Again"),
                ("severity", "low"),
                ("key", "INC-2025-0042"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("already exists"));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let app = App::new().await;
    let mut b = app.signed_in("ic").await;
    let r = b
        .post("/incidents", &[("title", "Forged"), ("severity", "low")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post(
            "/incidents",
            &[("csrf", "wrong"), ("title", "Forged"), ("severity", "low")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = app
        .store
        .list(&Default::default(), &debrief_store::Visibility::All)
        .await
        .unwrap();
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn the_list_filters_and_pages_by_25() {
    let app = App::new().await;
    for n in 1..=30 {
        let severity = if n % 3 == 0 { "critical" } else { "low" };
        let input = serde_json::from_value(serde_json::json!({
            "key": format!("PG-{n}"), "title": format!("Incident {n}"), "severity": severity
        }))
        .unwrap();
        app.store.create_incident(input, &app.ctx).await.unwrap();
    }
    let mut b = app.signed_in("viewer").await;
    let r = b.get("/incidents?sort=key").await;
    assert!(r.text.contains("Showing 1–25 of 30"));
    assert!(r.text.contains("href=\"/incidents?sort=key&#38;page=2\""));
    let r = b.get("/incidents?sort=key&page=2").await;
    assert!(r.text.contains("Showing 26–30 of 30"));
    assert!(r.text.contains("rel=\"prev\""));
    let r = b.get("/incidents?severity=critical").await;
    assert!(r.text.contains("of 10"));
    let r = b.get("/incidents?from=not-a-date").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("a date as YYYY-MM-DD"));
}

#[tokio::test]
async fn assets_are_served_from_the_binary_with_long_caching() {
    let app = App::new().await;
    let mut b = app.browser();
    let page = b.get("/login").await;
    for (path, kind) in [
        ("/assets/htmx.min.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let start = page.text.find(path).expect("a versioned asset URL");
        let url: String = page.text[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        assert!(url.contains("?v="), "{url}");
        let r = b.get(&url).await;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_eq!(
            r.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(r.text.len() > 1000);
    }
}

#[tokio::test]
async fn a_user_with_totp_passes_the_second_factor_before_any_page() {
    let app = App::with_demo().await;
    let user = app.store.user_by_name("ic").await.unwrap().unwrap();
    let secret = app
        .store
        .begin_totp_enrollment(user.id, &app.ctx)
        .await
        .unwrap();
    let code = debrief_auth::totp_code(&secret, app.now.timestamp() as u64);
    let backup = app
        .store
        .confirm_totp(user.id, &code, &app.ctx)
        .await
        .unwrap();
    let mut b = app.browser();
    let r = b
        .post(
            "/login",
            &[("name", "ic"), ("password", PASSWORD), ("next", "/account")],
        )
        .await;
    assert_eq!(r.location(), "/login/mfa?next=%2Faccount");
    let first = b.cookie.clone().unwrap();
    let r = b.get("/incidents").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login/mfa");
    let r = b.get("/login/mfa?next=%2Faccount").await;
    assert_eq!(r.status, StatusCode::OK);
    let csrf = r.csrf();
    let r = b
        .post(
            "/login/mfa",
            &[("csrf", &csrf), ("code", "000000"), ("next", "/account")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains("That code is wrong"));
    let r = b
        .post(
            "/login/mfa",
            &[
                ("csrf", &csrf),
                ("code", backup[0].expose()),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/account");
    assert_ne!(b.cookie.clone().unwrap(), first, "the session is rotated");
    let r = b.get("/incidents").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_sets_up_totp_with_a_server_drawn_qr_code_and_sees_backup_codes_once() {
    let app = App::new().await;
    let mut b = app.browser();
    let r = b
        .post("/login", &[("name", "root"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.location(), "/account/totp");
    let r = b.get("/incidents").await;
    assert_eq!(
        r.location(),
        "/account/totp",
        "nothing else until TOTP is on"
    );
    let r = b.get("/account/totp").await;
    assert!(r.text.contains("must set up two-factor sign-in"));
    let csrf = r.csrf();
    let r = b.post("/account/totp", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("<svg"));
    assert!(!r.text.contains("<?xml"));
    let marker = "name=\"secret\" value=\"";
    let start = r.text.find(marker).unwrap() + marker.len();
    let base32: String = r.text[start..].chars().take_while(|c| *c != '"').collect();
    let secret = debrief_auth::totp_secret_from_base32(&base32).unwrap();
    let r = b
        .post(
            "/account/totp/confirm",
            &[("csrf", &csrf), ("secret", &base32), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("<svg"), "the QR code is shown again");
    let code = debrief_auth::totp_code(&secret, app.now.timestamp() as u64);
    let r = b
        .post(
            "/account/totp/confirm",
            &[("csrf", &csrf), ("secret", &base32), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text.matches("<li><code>").count(), 10);
    let r = b.get("/account/totp").await;
    assert!(r.text.contains("is <strong>on</strong>"));
    assert_eq!(r.text.matches("<li><code>").count(), 0);
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_signs_out() {
    let app = App::new().await;
    let mut b = app.signed_in("ic").await;
    let csrf = b.csrf().await;
    let new = "a brand new passphrase for ic";
    let r = b
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not my password at all"),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"current_password-error\""));
    let r = b
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("new_password_again", "short"),
            ],
        )
        .await;
    assert!(r.text.contains("id=\"new_password-error\""), "{}", r.text);
    let r = b
        .post(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_again", new),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/login?changed=1");
    let r = b.get("/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the session ended");
    let mut b = app.browser();
    let r = b.post("/login", &[("name", "ic"), ("password", new)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn tokens_are_created_shown_once_and_revoked() {
    let app = App::new().await;
    let mut b = app.signed_in("ic").await;
    let csrf = b.csrf().await;
    let r = b
        .post(
            "/account/tokens",
            &[("csrf", &csrf), ("name", ""), ("scope", "read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"token-name-error\""));
    let r = b
        .post(
            "/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "export job"),
                ("scope", "write"),
                ("expires_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.text.contains("shown only this once"));
    let r = b.get("/account/tokens").await;
    assert!(r.text.contains("export job"));
    assert!(!r.text.contains("shown only this once"));
    let id = app.store.tokens(Some("ic")).await.unwrap()[0].id;
    let r = b
        .post(&format!("/account/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.store.tokens(Some("ic")).await.unwrap()[0].revoked);
    // Someone else's token is not found.
    let (other, _) = app
        .store
        .create_token(
            "viewer",
            "theirs",
            debrief_core::access::Scope::Read,
            None,
            &app.ctx,
        )
        .await
        .unwrap();
    let r = b
        .post(
            &format!("/account/tokens/{}/revoke", other.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = App::new().await;
    let mut b = app.signed_in("ic").await;
    let csrf = b.csrf().await;
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?signed_out=1");
    assert!(
        r.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = b.get("/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // htmx asks for a client-side redirect instead.
    let mut b = app.signed_in("ic").await;
    let csrf = b.csrf().await;
    let req = b
        .request(Method::POST, "/logout")
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
        .body(Body::empty())
        .unwrap();
    let r = b.send(req).await;
    assert_eq!(r.headers["hx-redirect"], "/login?signed_out=1");
}

#[tokio::test]
async fn restricted_incidents_are_marked_for_those_who_see_them_and_absent_for_others() {
    let app = App::new().await;
    app.store
        .create_user(
            NewUser {
                name: "auditor".into(),
                role: UserRole::Auditor,
                password: PASSWORD.into(),
            },
            &app.ctx,
        )
        .await
        .unwrap();
    let input = serde_json::from_value(
        serde_json::json!({"key": "SEC-1", "title": "Board member phished", "severity": "high"}),
    )
    .unwrap();
    app.store.create_incident(input, &app.ctx).await.unwrap();
    let key = debrief_core::IncidentKey::parse("SEC-1").unwrap();
    app.store
        .set_restricted(&key, true, &app.ctx)
        .await
        .unwrap();
    app.store.add_member(&key, "ic", &app.ctx).await.unwrap();
    for who in ["ic", "auditor"] {
        let r = app.signed_in(who).await.get("/incidents").await;
        assert!(r.text.contains("Board member phished"), "{who}");
        assert!(r.text.contains("Restricted"), "{who}");
    }
    let r = app.signed_in("viewer").await.get("/incidents?q=SEC").await;
    assert!(!r.text.contains("Board member phished"));
    assert!(r.text.contains("No incidents match these filters."));
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_a_message_and_retry_after() {
    let app = App::new().await;
    let mut b = app.browser();
    let mut last = None;
    for _ in 0..8 {
        let r = b
            .post(
                "/login",
                &[("name", "ic"), ("password", "wrong wrong wrong wrong")],
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            last = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = last.expect("throttled after repeated failures");
    assert!(r.text.contains("Too many failed attempts"));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused() {
    let app = App::new().await;
    let mut b = app.browser();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(
            serde_urlencoded::to_string([("name", "ic"), ("password", PASSWORD)]).unwrap(),
        ))
        .unwrap();
    let r = b.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(b.cookie.is_none());
}

#[tokio::test]
async fn the_browser_story_holds_on_postgresql_too() {
    let Some(store) = debrief_store::testing::postgres_store().await else {
        eprintln!("skipped: DEBRIEF_TEST_PG not set");
        return;
    };
    let app = App::demo_on(store.clone()).await;
    let mut b = app.signed_in("ic").await;
    let r = b.get("/incidents?q=admin%20account").await;
    assert!(r.text.contains("INC-2025-1128"), "{}", r.text);
    let csrf = r.csrf();
    let r = b
        .post(
            "/incidents",
            &[
                ("csrf", &csrf),
                ("title", "On PostgreSQL"),
                ("severity", "low"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = b.get("/incidents?severity=low&sort=-updated").await;
    assert!(r.text.contains("On PostgreSQL"));
    drop(b);
    drop(app);
    debrief_store::testing::drop_postgres_store(store).await;
}

#[tokio::test]
async fn backup_codes_can_be_replaced_and_are_shown_once() {
    let app = App::new().await;
    let user = app.store.user_by_name("ic").await.unwrap().unwrap();
    let secret = app
        .store
        .begin_totp_enrollment(user.id, &app.ctx)
        .await
        .unwrap();
    let code = debrief_auth::totp_code(&secret, app.now.timestamp() as u64);
    let old = app
        .store
        .confirm_totp(user.id, &code, &app.ctx)
        .await
        .unwrap();
    let mut b = app.browser();
    b.post("/login", &[("name", "ic"), ("password", PASSWORD)])
        .await;
    let csrf = b.get("/login/mfa").await.csrf();
    let r = b
        .post("/login/mfa", &[("csrf", &csrf), ("code", old[0].expose())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.get("/account/totp").await;
    assert!(r.text.contains("New backup codes"));
    let csrf = r.csrf();
    let r = b.post("/account/backup-codes", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text.matches("<li><code>").count(), 10);
    assert!(!r.text.contains(old[1].expose()));
}
