//! The access matrix: every route of the route table, with every role, as a
//! member and as a non-member of a restricted incident, and without
//! credentials; each answer checked against what the role may do.
//!
//! The expectations are written here, by hand, per route: a route added to
//! the table without an expectation below fails
//! `every_route_in_the_table_has_an_expectation`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{TimeZone, Utc};
use debrief_core::IncidentKey;
use debrief_core::access::{Scope, UserRole};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::routes::route_table;
use debrief_web::{AppState, FixedClock, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// What a route expects of its caller, as this test understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone.
    Public,
    /// Any signed-in user.
    Anyone,
    /// Any signed-in user, but only in a browser session (tokens get 403).
    SessionOnly,
    /// Only these roles, not about an incident.
    Roles(&'static [UserRole]),
    /// Roles that may act on an incident they can see; non-members who are
    /// not admin or auditor get 404.
    OnIncident(&'static [UserRole]),
}

use UserRole::*;
const ALL: &[UserRole] = &[Admin, IncidentCommander, Contributor, Viewer, Auditor];
const READERS: &[UserRole] = ALL;
const EDITORS: &[UserRole] = &[Admin, IncidentCommander, Contributor];
const COMMANDERS: &[UserRole] = &[Admin, IncidentCommander];
const ADMINS: &[UserRole] = &[Admin];
const AUDIT: &[UserRole] = &[Admin, Auditor];

/// Every route and its rule. Keep in step with `routes.rs`.
fn expectations() -> Vec<(&'static str, &'static str, Rule)> {
    use Rule::*;
    vec![
        ("GET", "/healthz", Public),
        ("POST", "/api/v1/setup", Public),
        ("POST", "/api/v1/auth/login", Public),
        ("POST", "/api/v1/auth/mfa", SessionOnly),
        ("POST", "/api/v1/auth/logout", Anyone),
        ("GET", "/api/v1/me", Anyone),
        ("POST", "/api/v1/me/totp", SessionOnly),
        ("POST", "/api/v1/me/totp/confirm", SessionOnly),
        ("POST", "/api/v1/me/backup-codes", SessionOnly),
        ("GET", "/api/v1/me/tokens", Anyone),
        ("POST", "/api/v1/me/tokens", Anyone),
        ("DELETE", "/api/v1/me/tokens/{id}", Anyone),
        ("GET", "/api/v1/tokens", Roles(ADMINS)),
        ("DELETE", "/api/v1/tokens/{id}", Roles(ADMINS)),
        ("GET", "/api/v1/users", Roles(ADMINS)),
        ("POST", "/api/v1/users", Roles(ADMINS)),
        ("PUT", "/api/v1/users/{name}/role", Roles(ADMINS)),
        ("POST", "/api/v1/users/{name}/disable", Roles(ADMINS)),
        ("POST", "/api/v1/users/{name}/enable", Roles(ADMINS)),
        ("GET", "/api/v1/notifications", Roles(ADMINS)),
        ("GET", "/api/v1/webhooks", Roles(ADMINS)),
        ("POST", "/api/v1/webhooks", Roles(ADMINS)),
        ("DELETE", "/api/v1/webhooks/{id}", Roles(ADMINS)),
        ("GET", "/api/v1/webhooks/{id}/deliveries", Roles(ADMINS)),
        ("POST", "/api/v1/webhooks/{id}/test", Roles(ADMINS)),
        ("GET", "/api/v1/audit", Roles(AUDIT)),
        ("GET", "/api/v1/audit/verify", Roles(AUDIT)),
        ("GET", "/api/v1/categories", Roles(READERS)),
        ("POST", "/api/v1/categories", Roles(COMMANDERS)),
        ("GET", "/api/v1/incidents", Roles(READERS)),
        ("GET", "/api/v1/metrics", Roles(READERS)),
        ("GET", "/api/v1/search", Roles(READERS)),
        ("GET", "/api/v1/knowledge", Roles(READERS)),
        ("GET", "/api/v1/knowledge/{category}", Roles(READERS)),
        ("PUT", "/api/v1/knowledge/{category}/notes", Roles(EDITORS)),
        ("GET", "/api/v1/action-items/export.csv", Roles(READERS)),
        ("GET", "/api/v1/action-items/export.json", Roles(READERS)),
        ("POST", "/api/v1/action-items/import", Roles(EDITORS)),
        ("GET", "/api/v1/me/feeds", Anyone),
        ("POST", "/api/v1/me/feeds", Anyone),
        ("DELETE", "/api/v1/me/feeds/{id}", Anyone),
        ("GET", "/feeds/{token}", Public),
        ("GET", "/api/v1/action-items", Roles(READERS)),
        ("GET", "/api/v1/action-items/reviews/weekly", Roles(READERS)),
        (
            "GET",
            "/api/v1/action-items/reviews/monthly",
            Roles(READERS),
        ),
        (
            "GET",
            "/api/v1/action-items/reviews/quarterly",
            Roles(READERS),
        ),
        (
            "POST",
            "/api/v1/incidents/{key}/action_items/{id}/verification",
            OnIncident(EDITORS),
        ),
        ("GET", "/actions", Roles(READERS)),
        ("GET", "/actions/review", Roles(READERS)),
        (
            "POST",
            "/incidents/{key}/actions/{id}/verify",
            OnIncident(EDITORS),
        ),
        ("POST", "/api/v1/incidents", Roles(EDITORS)),
        ("GET", "/api/v1/incidents/{key}", OnIncident(READERS)),
        ("PATCH", "/api/v1/incidents/{key}", OnIncident(EDITORS)),
        ("DELETE", "/api/v1/incidents/{key}", OnIncident(COMMANDERS)),
        (
            "GET",
            "/api/v1/incidents/{key}/markdown",
            OnIncident(READERS),
        ),
        ("GET", "/api/v1/incidents/{key}/review", OnIncident(READERS)),
        ("PUT", "/api/v1/incidents/{key}/review", OnIncident(EDITORS)),
        ("GET", "/api/v1/incidents/{key}/checks", OnIncident(READERS)),
        (
            "GET",
            "/api/v1/incidents/{key}/similar",
            OnIncident(READERS),
        ),
        (
            "POST",
            "/api/v1/incidents/{key}/acknowledgements",
            OnIncident(EDITORS),
        ),
        (
            "GET",
            "/api/v1/incidents/{key}/agenda.md",
            OnIncident(READERS),
        ),
        (
            "GET",
            "/api/v1/incidents/{key}/agenda.ics",
            OnIncident(READERS),
        ),
        (
            "GET",
            "/api/v1/incidents/{key}/fishbone.svg",
            OnIncident(READERS),
        ),
        ("GET", "/api/v1/incidents/{key}/access", OnIncident(READERS)),
        (
            "PUT",
            "/api/v1/incidents/{key}/access",
            OnIncident(COMMANDERS),
        ),
        (
            "POST",
            "/api/v1/incidents/{key}/members",
            OnIncident(COMMANDERS),
        ),
        (
            "DELETE",
            "/api/v1/incidents/{key}/members/{name}",
            OnIncident(COMMANDERS),
        ),
        (
            "PUT",
            "/api/v1/incidents/{key}/fishbone",
            OnIncident(EDITORS),
        ),
        (
            "PUT",
            "/api/v1/incidents/{key}/communications",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/api/v1/incidents/{key}/{section}",
            OnIncident(EDITORS),
        ),
        (
            "PUT",
            "/api/v1/incidents/{key}/{section}/order",
            OnIncident(EDITORS),
        ),
        (
            "PUT",
            "/api/v1/incidents/{key}/{section}/{id}",
            OnIncident(EDITORS),
        ),
        (
            "DELETE",
            "/api/v1/incidents/{key}/{section}/{id}",
            OnIncident(EDITORS),
        ),
        // The web UI's pages: the same rules, but without credentials a
        // page answers 303 to the sign-in page (see `expected_status`).
        ("GET", "/", Public),
        ("GET", "/assets/htmx.min.js", Public),
        ("GET", "/assets/app.css", Public),
        ("GET", "/login", Public),
        ("POST", "/login", Public),
        ("GET", "/login/mfa", Anyone),
        ("POST", "/login/mfa", SessionOnly),
        ("POST", "/logout", Anyone),
        ("GET", "/account", Anyone),
        ("POST", "/account/password", SessionOnly),
        ("GET", "/account/totp", Anyone),
        ("POST", "/account/totp", SessionOnly),
        ("POST", "/account/totp/confirm", SessionOnly),
        ("POST", "/account/backup-codes", SessionOnly),
        ("GET", "/account/tokens", Anyone),
        ("POST", "/account/tokens", Anyone),
        ("POST", "/account/tokens/{id}/revoke", Anyone),
        ("GET", "/account/feeds", Anyone),
        ("POST", "/account/feeds", Anyone),
        ("POST", "/account/feeds/{id}/revoke", Anyone),
        ("GET", "/actions/tracker", Roles(READERS)),
        ("POST", "/actions/tracker/import", Roles(EDITORS)),
        ("GET", "/incidents", Roles(READERS)),
        ("GET", "/metrics", Roles(READERS)),
        ("GET", "/search", Roles(READERS)),
        ("GET", "/knowledge", Roles(READERS)),
        ("GET", "/knowledge/{category}", Roles(READERS)),
        ("POST", "/knowledge/{category}/notes", Roles(EDITORS)),
        ("POST", "/incidents", Roles(EDITORS)),
        ("GET", "/incidents/{key}", OnIncident(READERS)),
        ("GET", "/incidents/{key}/export.md", OnIncident(READERS)),
        ("GET", "/incidents/{key}/similar", OnIncident(READERS)),
        ("GET", "/incidents/{key}/export.json", OnIncident(READERS)),
        ("POST", "/incidents/{key}/header", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/overview", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/participants", OnIncident(EDITORS)),
        (
            "POST",
            "/incidents/{key}/participants/{n}/delete",
            OnIncident(EDITORS),
        ),
        ("POST", "/incidents/{key}/timeline", OnIncident(EDITORS)),
        (
            "POST",
            "/incidents/{key}/items/{section}/{id}",
            OnIncident(EDITORS),
        ),
        (
            "GET",
            "/incidents/{key}/items/{section}/{id}/edit",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/items/{section}/{id}/delete",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/items/{section}/{id}/move",
            OnIncident(EDITORS),
        ),
        ("POST", "/incidents/{key}/root_causes", OnIncident(EDITORS)),
        (
            "POST",
            "/incidents/{key}/communications/internal",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/communications/customer",
            OnIncident(EDITORS),
        ),
        ("POST", "/incidents/{key}/review/facts", OnIncident(EDITORS)),
        (
            "POST",
            "/incidents/{key}/review/agenda",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/review/checklist/{id}",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/review/acknowledge",
            OnIncident(EDITORS),
        ),
        ("POST", "/incidents/{key}/access", OnIncident(COMMANDERS)),
        ("POST", "/incidents/{key}/members", OnIncident(COMMANDERS)),
        (
            "POST",
            "/incidents/{key}/members/{name}/delete",
            OnIncident(COMMANDERS),
        ),
        ("POST", "/incidents/{key}/five_whys", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/fishbone", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/fmea", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/findings", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/lessons", OnIncident(EDITORS)),
        ("POST", "/incidents/{key}/actions", OnIncident(EDITORS)),
        (
            "POST",
            "/incidents/{key}/actions/{id}/status",
            OnIncident(EDITORS),
        ),
        (
            "POST",
            "/incidents/{key}/actions/{id}/criteria/{n}",
            OnIncident(EDITORS),
        ), // Admin pages: the index is open to whoever may read the audit
        // trail; the rest follow the API's rules.
        ("GET", "/admin", Roles(AUDIT)),
        ("GET", "/admin/audit", Roles(AUDIT)),
        ("GET", "/admin/users", Roles(ADMINS)),
        ("POST", "/admin/users", Roles(ADMINS)),
        ("POST", "/admin/users/{name}/role", Roles(ADMINS)),
        ("POST", "/admin/users/{name}/disable", Roles(ADMINS)),
        ("POST", "/admin/users/{name}/enable", Roles(ADMINS)),
        ("GET", "/admin/tokens", Roles(ADMINS)),
        ("POST", "/admin/tokens/{id}/revoke", Roles(ADMINS)),
        ("GET", "/admin/webhooks", Roles(ADMINS)),
        ("POST", "/admin/webhooks", Roles(ADMINS)),
        ("GET", "/admin/webhooks/{id}", Roles(ADMINS)),
        ("POST", "/admin/webhooks/{id}/delete", Roles(ADMINS)),
        ("POST", "/admin/webhooks/{id}/test", Roles(ADMINS)),
    ]
}

/// A page of the web UI rather than the API, health check or an asset.
fn is_page(pattern: &str) -> bool {
    !(pattern.starts_with("/api/") || pattern == "/healthz" || pattern.starts_with("/assets/"))
}

#[test]
fn every_route_in_the_table_has_an_expectation() {
    let table: Vec<(String, String)> = route_table()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let expected: Vec<(String, String)> = expectations()
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    for route in &table {
        assert!(
            expected.contains(route),
            "route {} {} has no expectation in the access matrix",
            route.0,
            route.1
        );
    }
    for route in &expected {
        assert!(
            table.contains(route),
            "expectation for {} {} names no route",
            route.0,
            route.1
        );
    }
}

struct Fixture {
    router: Router,
    store: Store,
    ctx: Ctx,
    /// Per role: (user name, bearer header).
    users: Vec<(UserRole, String, String)>,
    seq: std::sync::atomic::AtomicU32,
}

const PASSWORD: &str = "matrix passphrase long enough";

impl Fixture {
    async fn new() -> Fixture {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let now = Utc.with_ymd_and_hms(2025, 12, 1, 9, 0, 0).unwrap();
        let ctx = Ctx::system(now);
        let mut users = Vec::new();
        for role in ALL {
            let name = format!("u-{}", role.as_str().replace('_', "-"));
            store
                .create_user(
                    NewUser {
                        name: name.clone(),
                        role: *role,
                        password: PASSWORD.into(),
                    },
                    &ctx,
                )
                .await
                .unwrap();
            let (_, secret) = store
                .create_token(&name, "matrix", Scope::Admin, None, &ctx)
                .await
                .unwrap();
            users.push((*role, name, format!("Bearer {}", secret.expose())));
        }
        let router = router(AppState::with_clock(
            store.clone(),
            Arc::new(FixedClock(now)),
        ));
        Fixture {
            router,
            store,
            ctx,
            users,
            seq: std::sync::atomic::AtomicU32::new(1),
        }
    }

    fn next(&self) -> u32 {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A fresh restricted incident with one timeline entry; `members` are added.
    async fn incident(&self, members: &[&str]) -> (IncidentKey, String) {
        let key = IncidentKey::parse(&format!("MX-{}", self.next())).unwrap();
        let input = serde_json::from_value(
            json!({"key": key, "title": "Matrix target", "severity": "high", "category": "Malware",
            "participants": [{"name": "Alex", "role": "responder"}]}),
        )
        .unwrap();
        self.store.create_incident(input, &self.ctx).await.unwrap();
        let entry = serde_json::from_value(
            json!({"occurred_at": "2025-11-28T02:15:00Z", "phase": "detection", "title": "Alert"}),
        )
        .unwrap();
        let (_, id) = self
            .store
            .add_item(
                &key,
                debrief_store::SectionItem::Timeline(entry),
                None,
                &self.ctx,
            )
            .await
            .unwrap();
        // A scheduled meeting, so the calendar export has a start.
        let doc = self.store.get(&key).await.unwrap();
        let mut agenda = debrief_core::meeting::Agenda::default_for(&doc);
        agenda.starts_at = Some(self.ctx.now);
        let review = debrief_core::Review {
            agenda: Some(agenda),
            ..Default::default()
        };
        self.store
            .set_review(&key, review, None, &self.ctx)
            .await
            .unwrap();
        self.store
            .set_restricted(&key, true, &self.ctx)
            .await
            .unwrap();
        for m in members {
            self.store.add_member(&key, m, &self.ctx).await.unwrap();
        }
        (key, id.to_string())
    }

    async fn victim(&self) -> String {
        let name = format!("victim-{}", self.next());
        self.store
            .create_user(
                NewUser {
                    name: name.clone(),
                    role: Viewer,
                    password: PASSWORD.into(),
                },
                &self.ctx,
            )
            .await
            .unwrap();
        name
    }

    /// A concrete request for a route pattern, with the resources it names
    /// freshly made, so a request that succeeds never spoils the next one.
    async fn request(
        &self,
        method: &str,
        pattern: &str,
        caller: Option<(&str, &str)>,
        member: bool,
    ) -> (String, Option<Value>) {
        let members: Vec<&str> = match (caller, member) {
            (Some((name, _)), true) => vec![name],
            _ => vec![],
        };
        let (key, entry) = self.incident(&members).await;
        // Timeline entries are placed by their time; lessons move.
        let section = if pattern.ends_with("/move") {
            "lessons"
        } else {
            "timeline"
        };
        let mut path = pattern
            .replace("{key}", key.as_str())
            .replace("{section}", section)
            .replace("{n}", "0");
        // A live feed's token: the token is the credential, whoever asks.
        if path.contains("{token}") {
            let viewer = self.store.user_by_name("u-viewer").await.unwrap().unwrap();
            let (_, token) = self
                .store
                .create_feed(
                    viewer.id,
                    debrief_store::feeds::FeedScope::Person,
                    "Sam",
                    &self.ctx,
                )
                .await
                .unwrap();
            path = path.replace("{token}", token.expose());
        }
        // A category every fresh database has.
        path = path.replace("{category}", "Phishing");
        if path.contains("{name}") {
            let name = if pattern.contains("/members/") {
                "u-viewer".to_owned()
            } else {
                self.victim().await
            };
            path = path.replace("{name}", &name);
        }
        if path.contains("{id}") {
            let id = if pattern.starts_with("/api/v1/me/tokens")
                || pattern.starts_with("/account/tokens")
            {
                let owner = caller.map_or("u-viewer", |c| c.0);
                self.store
                    .create_token(owner, "doomed", Scope::Read, None, &self.ctx)
                    .await
                    .unwrap()
                    .0
                    .id
                    .to_string()
            } else if pattern.starts_with("/api/v1/me/feeds")
                || pattern.starts_with("/account/feeds")
            {
                let owner = caller.map_or("u-viewer", |c| c.0);
                let user = self.store.user_by_name(owner).await.unwrap().unwrap();
                self.store
                    .create_feed(
                        user.id,
                        debrief_store::feeds::FeedScope::Person,
                        "Sam",
                        &self.ctx,
                    )
                    .await
                    .unwrap()
                    .0
                    .id
                    .to_string()
            } else if pattern.starts_with("/api/v1/tokens") || pattern.starts_with("/admin/tokens/")
            {
                self.store
                    .create_token("u-viewer", "doomed", Scope::Read, None, &self.ctx)
                    .await
                    .unwrap()
                    .0
                    .id
                    .to_string()
            } else if pattern.starts_with("/api/v1/webhooks/")
                || pattern.starts_with("/admin/webhooks/")
            {
                self.store
                    .create_webhook(
                        debrief_store::NewWebhook {
                            name: "matrix".into(),
                            url: "https://hooks.example/matrix".into(),
                            format: debrief_store::WebhookFormat::Generic,
                            events: vec![debrief_core::notify::EventKind::Overdue],
                            secret: None,
                        },
                        &self.ctx,
                    )
                    .await
                    .unwrap()
                    .0
                    .id
                    .to_string()
            } else if pattern.ends_with("/verify") || pattern.ends_with("/verification") {
                // A complete item with every criterion met: a verdict passes.
                let item = serde_json::from_value(
                    json!({"title": "Fixed", "priority": "high", "status": "complete",
                        "success_criteria": [{"text": "Done", "done": true}]}),
                )
                .unwrap();
                let (_, id) = self
                    .store
                    .add_item(
                        &key,
                        debrief_store::SectionItem::ActionItem(item),
                        None,
                        &self.ctx,
                    )
                    .await
                    .unwrap();
                id.to_string()
            } else if pattern.starts_with("/incidents/{key}/actions/") {
                let item = serde_json::from_value(
                    json!({"title": "Fix it", "priority": "high", "status": "planned",
                        "success_criteria": [{"text": "Done"}]}),
                )
                .unwrap();
                let (_, id) = self
                    .store
                    .add_item(
                        &key,
                        debrief_store::SectionItem::ActionItem(item),
                        None,
                        &self.ctx,
                    )
                    .await
                    .unwrap();
                id.to_string()
            } else if pattern.contains("/review/checklist/") {
                "invite-stakeholders".to_owned()
            } else if pattern.ends_with("/move") {
                let lesson = serde_json::from_value(json!({"text": "Learn"})).unwrap();
                let (_, id) = self
                    .store
                    .add_item(
                        &key,
                        debrief_store::SectionItem::Lesson(lesson),
                        None,
                        &self.ctx,
                    )
                    .await
                    .unwrap();
                id.to_string()
            } else {
                entry.clone()
            };
            path = path.replace("{id}", &id);
        }
        let n = self.next();
        let body = match (method, pattern) {
            ("POST", "/api/v1/setup") => {
                Some(json!({"token": "dbs_wrong", "name": "x", "password": PASSWORD}))
            }
            ("POST", "/api/v1/auth/login") => {
                Some(json!({"name": "u-viewer", "password": PASSWORD}))
            }
            ("POST", "/api/v1/auth/mfa") | ("POST", "/api/v1/me/totp/confirm") => {
                Some(json!({"code": "000000"}))
            }
            ("POST", "/api/v1/me/tokens") => Some(json!({"name": "new", "scope": "read"})),
            ("POST", "/api/v1/me/feeds") | ("POST", "/account/feeds") => {
                Some(json!({"scope": "person", "subject": "Sam"}))
            }
            ("POST", "/actions/tracker/import") => Some(json!({"csv": "Issue key,Status\n"})),
            ("POST", "/api/v1/users") => {
                Some(json!({"name": format!("new-{n}"), "role": "viewer", "password": PASSWORD}))
            }
            ("PUT", "/api/v1/users/{name}/role") => Some(json!({"role": "contributor"})),
            ("PUT", "/api/v1/knowledge/{category}/notes")
            | ("POST", "/knowledge/{category}/notes") => {
                Some(json!({"body": format!("Notes {n}")}))
            }
            ("POST", "/api/v1/webhooks") => {
                Some(json!({"name": "hook", "url": "https://hooks.example/x"}))
            }
            ("POST", "/admin/webhooks") => Some(json!({"name": "hook",
                "url": "https://hooks.example/x", "format": "slack", "ev_overdue": "on"})),
            ("POST", "/api/v1/categories") => Some(json!({"name": format!("Category {n}")})),
            ("POST", "/api/v1/incidents") => Some(json!({"title": "New", "severity": "low"})),
            ("PATCH", "/api/v1/incidents/{key}") => Some(json!({"title": "Changed"})),
            ("PUT", "/api/v1/incidents/{key}/review") => Some(json!({})),
            ("POST", "/api/v1/incidents/{key}/acknowledgements") => Some(
                json!({"rule": "pitfall-no-primary-cause", "field": "root_causes", "reason": "Later"}),
            ),
            ("PUT", "/api/v1/incidents/{key}/access") => Some(json!({"restricted": true})),
            ("POST", "/api/v1/incidents/{key}/members") => Some(json!({"name": "u-viewer"})),
            ("PUT", "/api/v1/incidents/{key}/fishbone") => {
                Some(json!({"categories": ["People", "Process", "Technology", "Environment"]}))
            }
            ("PUT", "/api/v1/incidents/{key}/communications") => {
                Some(json!({"internal": {"subject": "s"}}))
            }
            ("POST", "/api/v1/incidents/{key}/{section}")
            | ("PUT", "/api/v1/incidents/{key}/{section}/{id}") => Some(
                json!({"occurred_at": "2025-11-28T03:00:00Z", "phase": "response", "title": "Step"}),
            ),
            ("PUT", "/api/v1/incidents/{key}/{section}/order") => Some(json!({"ids": [entry]})),
            ("POST", "/api/v1/incidents/{key}/action_items/{id}/verification") => {
                Some(json!({"effective": true, "evidence": "Shown in the test"}))
            }
            ("POST", "/login") => Some(json!({"name": "u-viewer", "password": PASSWORD})),
            ("POST", "/login/mfa") | ("POST", "/account/totp/confirm") => {
                Some(json!({"code": "000000"}))
            }
            ("POST", "/account/password") => Some(json!({
                "current_password": PASSWORD,
                "new_password": "another matrix passphrase",
                "new_password_again": "another matrix passphrase"
            })),
            ("POST", "/account/tokens") => Some(json!({"name": "new", "scope": "read"})),
            ("POST", "/incidents") => Some(json!({"title": "New", "severity": "low"})),
            ("POST", "/admin/users") => {
                Some(json!({"name": format!("new-{n}"), "role": "viewer", "password": PASSWORD}))
            }
            ("POST", "/admin/users/{name}/role") => Some(json!({"role": "contributor"})),
            // The incident page's forms name the version they were made
            // against.
            ("POST", p) if p.starts_with("/incidents/{key}/") => {
                let version = self.store.get(&key).await.unwrap().version.to_string();
                Some(match p {
                    "/incidents/{key}/timeline" | "/incidents/{key}/items/{section}/{id}" => {
                        json!({"version": version,
                        "occurred_at": "2025-11-28T03:00", "phase": "response", "title": "Step"})
                    }
                    "/incidents/{key}/actions" => {
                        json!({"version": version, "title": "Fix", "priority": "high"})
                    }
                    "/incidents/{key}/header" => json!({"version": version, "title": "Renamed",
                        "severity": "critical", "status": "open", "postmortem_status": "draft"}),
                    "/incidents/{key}/five_whys" => json!({"version": version,
                        "problem": "Why?", "why_1": "Why this?", "because_1": "Because."}),
                    "/incidents/{key}/fishbone" => {
                        json!({"version": version, "category": "People", "text": "Tired"})
                    }
                    "/incidents/{key}/fmea" => json!({"version": version, "failure_mode": "Fails",
                        "severity": "5", "occurrence": "4", "detection": "3"}),
                    "/incidents/{key}/findings" => json!({"version": version,
                        "kind": "went_wrong", "area": "detection", "title": "Slow"}),
                    "/incidents/{key}/lessons" => json!({"version": version, "text": "Learn"}),
                    "/incidents/{key}/root_causes" => {
                        json!({"version": version, "kind": "primary", "title": "No review"})
                    }
                    "/incidents/{key}/participants" => {
                        json!({"version": version, "name": "Sam", "role": "security"})
                    }
                    "/incidents/{key}/communications/internal" => {
                        json!({"version": version, "subject": "What we learned"})
                    }
                    "/incidents/{key}/items/{section}/{id}/move" => {
                        json!({"version": version, "direction": "up"})
                    }
                    "/incidents/{key}/review/agenda" => json!({"version": version,
                        "title": "Review", "items": "30 | Timeline\n- What we knew"}),
                    "/incidents/{key}/review/acknowledge" => json!({"version": version,
                        "rule": "pitfall-no-primary-cause", "field": "root_causes", "reason": "Later"}),
                    "/incidents/{key}/access" => json!({ "restricted": "on" }),
                    "/incidents/{key}/members" => json!({ "name": "u-viewer" }),
                    "/incidents/{key}/actions/{id}/verify" => json!({"version": version,
                        "verdict": "effective", "evidence": "Shown in the test"}),
                    "/incidents/{key}/actions/{id}/status" => {
                        json!({"version": version, "status": "in_progress"})
                    }
                    _ => json!({ "version": version }),
                })
            }
            _ => None,
        };
        (path, body)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
    ) -> (StatusCode, String) {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        if let Some(b) = bearer {
            req = req.header("authorization", b);
        }
        let req = match body {
            // Pages take HTML form posts.
            Some(Value::Object(fields)) if is_page(path.split('?').next().unwrap_or(path)) => {
                let pairs: Vec<(String, String)> = fields
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                    .collect();
                req.header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(serde_urlencoded::to_string(pairs).unwrap()))
            }
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The status the route must answer for `role` (None: no credentials).
fn expected_status(
    method: &str,
    pattern: &str,
    rule: Rule,
    role: Option<UserRole>,
    member: bool,
) -> Option<StatusCode> {
    let Some(role) = role else {
        return match rule {
            Rule::Public => None, // checked for "not 401/403" below
            // A browser without a session is sent to the sign-in page.
            _ if is_page(pattern) => Some(StatusCode::SEE_OTHER),
            _ => Some(StatusCode::UNAUTHORIZED),
        };
    };
    let allowed = match rule {
        Rule::Public => return None,
        Rule::Anyone => true,
        // With a token: refused whatever the role.
        Rule::SessionOnly => return Some(StatusCode::FORBIDDEN),
        Rule::Roles(roles) => roles.contains(&role),
        Rule::OnIncident(roles) => {
            let sees = member || matches!(role, Admin | Auditor);
            if !sees {
                return Some(StatusCode::NOT_FOUND);
            }
            roles.contains(&role)
        }
    };
    if !allowed {
        return Some(StatusCode::FORBIDDEN);
    }
    Some(match (method, pattern) {
        (
            "POST",
            "/api/v1/me/tokens"
            | "/api/v1/users"
            | "/api/v1/categories"
            | "/api/v1/incidents"
            | "/api/v1/incidents/{key}/{section}"
            | "/api/v1/incidents/{key}/acknowledgements",
        ) => StatusCode::CREATED,
        ("POST", "/api/v1/me/feeds") => StatusCode::CREATED,
        ("POST", "/api/v1/webhooks") => StatusCode::CREATED,
        ("POST", "/api/v1/webhooks/{id}/test") => StatusCode::ACCEPTED,
        // Sent without a body: the policy let it through, the empty file
        // is refused (all-or-nothing import of nothing).
        ("POST", "/api/v1/action-items/import") => StatusCode::UNPROCESSABLE_ENTITY,
        // Sent without `q`: the policy let it through, the search is refused.
        ("GET", "/api/v1/search") => StatusCode::UNPROCESSABLE_ENTITY,
        ("DELETE", _) | ("POST", "/api/v1/auth/logout") => StatusCode::NO_CONTENT,
        // A page's successful form post redirects (post/redirect/get),
        // except where the answer shows a secret once.
        ("POST", "/account/tokens") => StatusCode::CREATED,
        ("POST", "/account/feeds") => StatusCode::CREATED,
        ("POST", "/admin/webhooks") => StatusCode::CREATED,
        ("POST", "/actions/tracker/import") => StatusCode::OK,
        ("POST", _) if is_page(pattern) => StatusCode::SEE_OTHER,
        _ => StatusCode::OK,
    })
}

#[tokio::test]
async fn every_route_answers_every_role_member_and_non_member_as_the_policy_says() {
    let f = Fixture::new().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, pattern, rule) in expectations() {
        let mut callers: Vec<(Option<UserRole>, bool)> = vec![(None, false)];
        for (role, _, _) in &f.users {
            callers.push((Some(*role), true));
            callers.push((Some(*role), false));
        }
        for (role, member) in callers {
            let who = role.map(|r| {
                f.users
                    .iter()
                    .find(|u| u.0 == r)
                    .map(|u| (u.1.clone(), u.2.clone()))
                    .unwrap()
            });
            let (path, body) = f
                .request(
                    method,
                    pattern,
                    who.as_ref().map(|(n, b)| (n.as_str(), b.as_str())),
                    member,
                )
                .await;
            let (status, text) = f
                .send(method, &path, body, who.as_ref().map(|w| w.1.as_str()))
                .await;
            checked += 1;
            let want = expected_status(method, pattern, rule, role, member);
            let ok = match want {
                Some(w) => status == w,
                // Public routes: the guard lets anyone through; the handler
                // may still refuse the content (wrong setup token, ...).
                None => status != StatusCode::FORBIDDEN && status != StatusCode::NOT_FOUND,
            };
            if !ok {
                failures.push(format!(
                    "{method} {pattern} as {} ({}): got {status}, want {want:?}: {text}",
                    role.map_or("nobody", |r| r.as_str()),
                    if member { "member" } else { "non-member" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn children_of_a_hidden_incident_are_404_by_id_for_every_kind_of_child() {
    let f = Fixture::new().await;
    let (key, _) = f.incident(&[]).await;
    let viewer = f.users.iter().find(|u| u.0 == Viewer).unwrap().2.clone();
    let commander = f
        .users
        .iter()
        .find(|u| u.0 == IncidentCommander)
        .unwrap()
        .2
        .clone();
    let samples = [
        (
            "timeline",
            json!({"occurred_at": "2025-11-28T03:00:00Z", "phase": "response", "title": "x"}),
        ),
        (
            "action_items",
            json!({"title": "x", "priority": "low", "status": "planned"}),
        ),
        ("went_well", json!({"area": "detection", "title": "x"})),
        ("went_wrong", json!({"area": "detection", "title": "x"})),
        (
            "five_whys",
            json!({"problem": "x", "steps": [{"why": "w", "because": "b"}]}),
        ),
        (
            "fishbone_causes",
            json!({"category": "People", "text": "x"}),
        ),
        (
            "fmea",
            json!({"failure_mode": "x", "severity": 2, "occurrence": 2, "detection": 2}),
        ),
        ("root_causes", json!({"kind": "primary", "title": "x"})),
        ("lessons", json!({"text": "x"})),
    ];
    for (section, body) in samples {
        let item = serde_json::from_value::<Value>(body.clone()).unwrap();
        let parsed =
            debrief_store::SectionItem::deserialize_for(section.parse().unwrap(), item).unwrap();
        let (_, id) = f.store.add_item(&key, parsed, None, &f.ctx).await.unwrap();
        let base = format!("/api/v1/incidents/{key}/{section}/{id}");
        for bearer in [&viewer, &commander] {
            let (s, _) = f.send("PUT", &base, Some(body.clone()), Some(bearer)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "PUT {section}");
            let (s, _) = f.send("DELETE", &base, None, Some(bearer)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "DELETE {section}");
        }
    }
    for path in [
        format!("/api/v1/incidents/{key}"),
        format!("/api/v1/incidents/{key}/markdown"),
        format!("/api/v1/incidents/{key}/access"),
    ] {
        let (s, _) = f.send("GET", &path, None, Some(&commander)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/api/v1/incidents/{key}/communications"),
        format!("/api/v1/incidents/{key}/fishbone"),
    ] {
        let (s, _) = f
            .send("PUT", &path, Some(json!({})), Some(&commander))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    // Nor is it in the list.
    let (_, text) = f
        .send("GET", "/api/v1/incidents?limit=500", None, Some(&commander))
        .await;
    assert!(
        !text.contains(key.as_str()),
        "a restricted incident leaked into a non-member's list"
    );
}
