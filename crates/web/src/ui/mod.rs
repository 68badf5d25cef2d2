//! The server-rendered web UI: askama templates (compiled and checked with
//! the crate, auto-escaped), htmx and one stylesheet served from the binary.
//!
//! Page handlers are rows of the one route table in [`crate::routes`], with
//! a policy like any API route. They answer HTML: a full page, a `303 See
//! Other` after a successful form post, or the same page again with the
//! input kept and the errors next to their fields. Forms work without
//! JavaScript: each carries the session's CSRF token in a hidden `csrf`
//! field, which the guard accepts in place of the `X-CSRF-Token` header
//! that htmx requests send (set once on `<body hx-headers>`).

pub mod account;
pub mod actions;
pub mod admin;
pub mod feeds;
pub mod incident;
pub mod incidents;
pub mod knowledge;
pub mod metrics;
pub mod pages;
pub mod search;
pub mod tracker;
pub mod webhooks;

use std::sync::LazyLock;

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_core::access::{Action, Decision, Principal, UserRole, decide};

use crate::auth::{Caller, Via};
use crate::error::ApiError;

/// The Content-Security-Policy of every page: scripts and styles only
/// from this server, never inline; nothing may frame the UI.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

tokio::task_local! {
    /// The id of the request being answered, so an error page can show it
    /// for the user to quote (set by the route guard around page routes).
    pub static REQUEST_ID: String;
}

/// The current request's id, or empty outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// The vendored htmx (2.x, 0BSD licence).
pub const HTMX_JS: &str = include_str!("../../assets/htmx.min.js");
/// The one hand-written stylesheet.
pub const APP_CSS: &str = include_str!("../../assets/app.css");

/// A short content hash, so an asset URL changes whenever its bytes do and
/// the asset can be cached for a year.
fn content_version(text: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

/// The versioned URL of the stylesheet.
pub static CSS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/app.css?v={}", content_version(APP_CSS)));
/// The versioned URL of htmx.
pub static JS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/htmx.min.js?v={}", content_version(HTMX_JS)));

/// Whether a request path belongs to the UI (HTML answers, redirects to
/// the sign-in page) rather than to the API, health check or assets.
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/api"
        || path == "/healthz"
        || path.starts_with("/assets/"))
}

/// What the base layout needs: who is signed in and the session's CSRF
/// token.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The signed-in user's name, when there is one.
    pub user: Option<String>,
    /// The user's role, as a label.
    pub role: String,
    /// Whether to show the Admin entry (admins and auditors).
    pub admin_nav: bool,
    /// The session's CSRF token (empty without a session).
    pub csrf: String,
    /// The page title.
    pub title: String,
    /// Which navigation entry is current: `incidents`, `metrics`, `account`,
    /// `admin`.
    pub nav: &'static str,
}

impl Layout {
    /// The layout for a page nobody is signed in to.
    pub fn anonymous(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            ..Self::default()
        }
    }

    /// The layout for `caller`, with the session's CSRF token.
    pub async fn of(caller: &Caller, title: &str, nav: &'static str) -> Result<Self, ApiError> {
        let csrf = match &caller.via {
            Via::Session { csrf, .. } => csrf.clone(),
            Via::Token => String::new(),
        };
        let role = caller.principal.role;
        Ok(Self {
            user: Some(caller.principal.name.clone()),
            role: role.label().to_owned(),
            admin_nav: matches!(role, UserRole::Admin | UserRole::Auditor),
            csrf,
            title: title.to_owned(),
            nav,
        })
    }

    /// The `hx-headers` value that makes every htmx request carry the
    /// CSRF token.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }

    /// The stylesheet URL.
    pub fn css_url(&self) -> &str {
        &CSS_URL
    }

    /// The htmx URL.
    pub fn js_url(&self) -> &str {
        &JS_URL
    }
}

/// Whether `principal` may do a global `action`.
pub fn may(principal: &Principal, action: Action) -> bool {
    decide(principal, action, None) == Decision::Allow
}

/// Security headers every HTML answer carries.
pub fn page_headers(headers: &mut HeaderMap) {
    headers.insert("content-security-policy", HeaderValue::from_static(CSP));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

/// Renders a template as an HTML answer with `status`.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut res =
                (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            page_headers(res.headers_mut());
            res
        }
        Err(e) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            &format!("the page could not be rendered ({e})"),
        ),
    }
}

/// `303 See Other` to `location`: after a successful form post, so a reload
/// does not post again. An htmx request gets `HX-Redirect` instead, which
/// makes the browser load the page in full.
pub fn see_other(location: &str, htmx: bool) -> Response {
    let mut res = if htmx {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::SEE_OTHER.into_response()
    };
    if let Ok(v) = HeaderValue::from_str(location) {
        let name = if htmx {
            "hx-redirect"
        } else {
            LOCATION.as_str()
        };
        res.headers_mut().insert(name, v);
    }
    res
}

/// Whether the request came from htmx.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout (anonymous: the error page must render without the store).
    pub layout: Layout,
    /// The HTTP status code.
    pub status: u16,
    /// A short heading.
    pub heading: String,
    /// What went wrong.
    pub message: String,
    /// The request id to quote, when known.
    pub request_id: String,
}

/// An HTML error page with `status`.
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        layout: Layout::anonymous(heading),
        status: status.as_u16(),
        heading: heading.to_owned(),
        message: message.to_owned(),
        request_id: current_request_id(),
    };
    let html = page
        .render()
        .unwrap_or_else(|_| format!("{} {heading}", status.as_u16()));
    let mut res = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    page_headers(res.headers_mut());
    res
}

/// A UI handler's error: any [`ApiError`], answered as an HTML page (or a
/// redirect to the sign-in page) rather than JSON.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<debrief_store::StoreError> for PageError {
    fn from(e: debrief_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        page_error(&self.0, "/")
    }
}

/// The HTML answer for `err` on the page at `path` (used for `next=`).
pub fn page_error(err: &ApiError, path: &str) -> Response {
    match err {
        ApiError::Unauthenticated(_) => see_other(&login_url(path), false),
        ApiError::MfaRequired => see_other("/login/mfa", false),
        ApiError::Forbidden(m) if m == crate::routes::ADMIN_SETUP => {
            see_other("/account/totp", false)
        }
        ApiError::Internal(cause) => {
            tracing::error!(%cause, "page failed");
            error_page(
                err.status(),
                "Something went wrong",
                "The request failed on our side. Try again; if it keeps failing, tell your operator the request id below.",
            )
        }
        ApiError::NotFound(_) => error_page(
            err.status(),
            "Not found",
            "There is nothing at this address, or you may not see it.",
        ),
        ApiError::Forbidden(m) => error_page(err.status(), "Not allowed", m),
        other => error_page(other.status(), "Cannot do that", &other.to_string()),
    }
}

/// `/login?next=<path>`, with `next` only when it is a local page worth
/// returning to.
pub fn login_url(path: &str) -> String {
    match local_path(path) {
        Some(p) if p != "/" && !p.starts_with("/login") && !p.starts_with("/logout") => {
            let q = serde_urlencoded::to_string([("next", p)]).unwrap_or_default();
            format!("/login?{q}")
        }
        _ => "/login".to_owned(),
    }
}

/// `path` when it is a path on this site (so `next=` cannot send a user
/// to another site after signing in), else `None`.
pub fn local_path(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(path)
}

/// The options of a `<select>` with `current` selected.
pub fn choices<'a>(
    current: &str,
    all: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<incidents::Choice> {
    all.into_iter()
        .map(|(value, label)| incidents::Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        })
        .collect()
}

/// A field error to show next to an input.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a message for `field`.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    /// The field errors of a store or API error, or `None` when it is not
    /// about fields.
    pub fn of(err: &ApiError) -> Option<Self> {
        match err {
            ApiError::Invalid(v) => Some(Self(
                v.0.iter()
                    .map(|e| (e.field.clone(), e.message.clone()))
                    .collect(),
            )),
            ApiError::BadParameter { field, message } => {
                Some(Self(vec![(field.clone(), message.clone())]))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_signing_in() {
        assert_eq!(local_path("/incidents?q=x"), Some("/incidents?q=x"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
        assert_eq!(login_url("/account"), "/login?next=%2Faccount");
        assert_eq!(login_url("/"), "/login");
        assert_eq!(login_url("/logout"), "/login");
        assert_eq!(login_url("//evil.example"), "/login");
    }

    #[test]
    fn pages_are_everything_but_the_api_health_and_assets() {
        assert!(is_page_path("/incidents"));
        assert!(is_page_path("/"));
        assert!(!is_page_path("/api/v1/incidents"));
        assert!(!is_page_path("/healthz"));
        assert!(!is_page_path("/assets/app.css"));
    }

    #[test]
    fn asset_urls_change_with_their_content() {
        assert_ne!(content_version("a"), content_version("b"));
        assert!(CSS_URL.starts_with("/assets/app.css?v="));
        assert!(JS_URL.starts_with("/assets/htmx.min.js?v="));
    }
}
