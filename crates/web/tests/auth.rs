//! Signing in through the API as a person would: sessions, CSRF, the second
//! factor, logout, tokens, disabling, and hostile input.

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

const PASSWORD: &str = "a perfectly long passphrase";

struct App {
    router: Router,
    store: Store,
    ctx: Ctx,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn cookie(&self) -> Option<String> {
        let v = self.headers.get("set-cookie")?.to_str().ok()?;
        v.split(';')
            .next()?
            .strip_prefix("debrief_session=")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }
}

impl App {
    async fn new() -> App {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        for (name, role) in [
            ("alice", UserRole::Contributor),
            ("root", UserRole::Admin),
            ("vera", UserRole::Viewer),
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
        App { router, store, ctx }
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, String)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    async fn login(&self, name: &str, password: &str) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"name": name, "password": password})),
            &[],
        )
        .await
    }
}

fn cookie(token: &str) -> (&'static str, String) {
    ("cookie", format!("debrief_session={token}"))
}

#[tokio::test]
async fn a_session_signs_in_reads_writes_with_csrf_and_ends_at_logout() {
    let app = App::new().await;
    let r = app.login("alice", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = r.cookie().expect("a session cookie");
    let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();

    let r = app
        .send(Method::GET, "/api/v1/incidents", None, &[cookie(&token)])
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let new = json!({"title": "Phish", "severity": "low"});
    let r = app
        .send(
            Method::POST,
            "/api/v1/incidents",
            Some(new.clone()),
            &[cookie(&token)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a cookie write without the CSRF header is refused"
    );
    let r = app
        .send(
            Method::POST,
            "/api/v1/incidents",
            Some(new.clone()),
            &[cookie(&token), ("x-csrf-token", "nope".into())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .send(
            Method::POST,
            "/api/v1/incidents",
            Some(new),
            &[cookie(&token), ("x-csrf-token", csrf.clone())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let r = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            &[cookie(&token), ("x-csrf-token", csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .send(Method::GET, "/api/v1/incidents", None, &[cookie(&token)])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the session ends at logout"
    );
}

#[tokio::test]
async fn an_unknown_user_a_wrong_password_and_a_disabled_account_get_the_same_answer() {
    let app = App::new().await;
    app.store.disable_user("vera", &app.ctx).await.unwrap();
    let a = app.login("nobody", PASSWORD).await;
    let b = app.login("alice", "not the right passphrase").await;
    let c = app.login("vera", PASSWORD).await;
    assert_eq!(
        (a.status, b.status, c.status),
        (
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        )
    );
    assert_eq!(a.body["error"]["message"], b.body["error"]["message"]);
    assert_eq!(b.body["error"]["message"], c.body["error"]["message"]);
    assert!(a.cookie().is_none());
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = App::new().await;
    let mut last = StatusCode::OK;
    for _ in 0..8 {
        last = app.login("alice", "wrong wrong wrong wrong").await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let r = app.login("alice", PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the back-off"
    );
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn totp_is_set_up_then_required_and_the_session_id_changes_after_it() {
    let app = App::new().await;
    let r = app.login("root", PASSWORD).await;
    assert!(
        r.body["mfa_setup_required"].as_bool().unwrap(),
        "admins must set up a second factor"
    );
    let token = r.cookie().unwrap();
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();
    let auth = [cookie(&token), ("x-csrf-token", csrf.clone())];
    let r = app.send(Method::GET, "/api/v1/users", None, &auth).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "an admin without TOTP can only set it up"
    );

    let r = app.send(Method::POST, "/api/v1/me/totp", None, &auth).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = debrief_auth::totp_secret_from_base32(r.body["secret"].as_str().unwrap()).unwrap();
    let now = Utc
        .with_ymd_and_hms(2025, 12, 1, 9, 0, 0)
        .unwrap()
        .timestamp() as u64;
    let code = debrief_auth::totp_code(&secret, now);
    let r = app
        .send(
            Method::POST,
            "/api/v1/me/totp/confirm",
            Some(json!({"code": code})),
            &auth,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let backup: Vec<String> = serde_json::from_value(r.body["backup_codes"].clone()).unwrap();
    assert_eq!(backup.len(), 10);

    // Next sign-in: the password alone is not enough.
    let r = app.login("root", PASSWORD).await;
    assert!(r.body["mfa_required"].as_bool().unwrap());
    let pending = r.cookie().unwrap();
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();
    let r = app
        .send(Method::GET, "/api/v1/users", None, &[cookie(&pending)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], "mfa_required");

    let r = app
        .send(
            Method::POST,
            "/api/v1/auth/mfa",
            Some(json!({"code": backup[0]})),
            &[cookie(&pending), ("x-csrf-token", csrf.clone())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let fresh = r
        .cookie()
        .expect("a new session id after the second factor");
    assert_ne!(fresh, pending);
    let r = app
        .send(Method::GET, "/api/v1/users", None, &[cookie(&fresh)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .send(Method::GET, "/api/v1/users", None, &[cookie(&pending)])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the pre-MFA session id is dead"
    );

    // The backup code worked once, was audited and raised a notification.
    let audit = app
        .store
        .audit_list(&debrief_store::AuditFilter {
            action: Some("mfa.backup_code_used".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert!(!app.store.notifications(10).await.unwrap().is_empty());
    let r = app.login("root", PASSWORD).await;
    let again = r.cookie().unwrap();
    let csrf = r.body["csrf_token"].as_str().unwrap().to_owned();
    let r = app
        .send(
            Method::POST,
            "/api/v1/auth/mfa",
            Some(json!({"code": backup[0]})),
            &[cookie(&again), ("x-csrf-token", csrf)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a backup code is single-use"
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_tokens_on_the_next_request() {
    let app = App::new().await;
    let r = app.login("alice", PASSWORD).await;
    let session = r.cookie().unwrap();
    let (_, secret) = app
        .store
        .create_token("alice", "ci", Scope::Write, None, &app.ctx)
        .await
        .unwrap();
    let bearer = ("authorization", format!("Bearer {}", secret.expose()));
    assert_eq!(
        app.send(
            Method::GET,
            "/api/v1/me",
            None,
            std::slice::from_ref(&bearer)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(Method::GET, "/api/v1/me", None, &[cookie(&session)])
            .await
            .status,
        StatusCode::OK
    );
    app.store.disable_user("alice", &app.ctx).await.unwrap();
    assert_eq!(
        app.send(Method::GET, "/api/v1/me", None, &[bearer])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send(Method::GET, "/api/v1/me", None, &[cookie(&session)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_revoked_or_expired_token_stops_working_on_the_next_request() {
    let app = App::new().await;
    let (t, secret) = app
        .store
        .create_token("alice", "ci", Scope::Read, Some(1), &app.ctx)
        .await
        .unwrap();
    let bearer = ("authorization", format!("Bearer {}", secret.expose()));
    assert_eq!(
        app.send(
            Method::GET,
            "/api/v1/incidents",
            None,
            std::slice::from_ref(&bearer)
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = app
        .send(
            Method::POST,
            "/api/v1/incidents",
            Some(json!({"title": "x", "severity": "low"})),
            std::slice::from_ref(&bearer),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a read token cannot write");
    app.store.revoke_token(t.id, &app.ctx).await.unwrap();
    assert_eq!(
        app.send(Method::GET, "/api/v1/incidents", None, &[bearer])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Expiry: the same token seen by a server whose clock is two days on.
    let (_, secret) = app
        .store
        .create_token("alice", "short", Scope::Read, Some(1), &app.ctx)
        .await
        .unwrap();
    let later = router(AppState::with_clock(
        app.store.clone(),
        Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2025, 12, 3, 9, 0, 0).unwrap(),
        )),
    ));
    let req = Request::get("/api/v1/incidents")
        .header("authorization", format!("Bearer {}", secret.expose()))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        later.oneshot(req).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn hostile_credentials_get_a_clear_4xx_and_write_nothing() {
    let app = App::new().await;
    let before = app.store.audit_head().await.unwrap();
    let huge = "x".repeat(1024 * 1024);
    let r = app.login("alice", &huge).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for bad in [
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer dbf_\tinjected",
        "Bearer dbf_short",
        &format!("Bearer {huge}"),
    ] {
        let r = app
            .send(
                Method::GET,
                "/api/v1/me",
                None,
                &[("authorization", bad.to_owned())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad:.20}");
    }
    for bad in [
        "debrief_session=",
        "debrief_session=../../etc",
        "debrief_session=a;b",
        &format!("debrief_session={huge}"),
    ] {
        let r = app
            .send(
                Method::GET,
                "/api/v1/me",
                None,
                &[("cookie", bad.to_owned())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad:.30}");
    }
    // Failed logins are audited; nothing else was written.
    let after = app.store.audit_head().await.unwrap();
    let failures = app
        .store
        .audit_list(&debrief_store::AuditFilter {
            action: Some("login.failure".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.total, 1);
    assert_eq!(after.map(|h| h.0), before.map(|h| h.0 + 1));
}

#[tokio::test]
async fn user_names_with_line_breaks_or_nul_are_refused_so_no_audit_line_is_forged() {
    let app = App::new().await;
    let (_, secret) = app
        .store
        .create_token("root", "admin", Scope::Admin, None, &app.ctx)
        .await
        .unwrap();
    let mut disabled_mfa =
        AppState::with_clock(app.store.clone(), Arc::new(FixedClock(app.ctx.now)));
    disabled_mfa.require_admin_mfa = false;
    let admin = router(disabled_mfa);
    for name in ["eve\r\nlogin.success root", "eve\u{0}", "eve smith", ""] {
        let body = json!({"name": name, "role": "viewer", "password": PASSWORD}).to_string();
        let req = Request::post("/api/v1/users")
            .header("authorization", format!("Bearer {}", secret.expose()))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let res = admin.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["field"], "name");
    }
    assert_eq!(app.store.users().await.unwrap().len(), 3);
    // And a CR/LF typed at the login prompt is recorded as data, not as a line.
    app.login("mallory\r\nlogin.success", PASSWORD).await;
    assert!(app.store.audit_verify(None).await.unwrap().is_intact());
}
