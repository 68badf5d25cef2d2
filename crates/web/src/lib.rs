//! The debrief HTTP service.
//!
//! One route table ([`routes::router`]) serves the REST API under `/api/v1`,
//! its OpenAPI document at `/api/openapi.json`, Swagger UI at `/api/docs`
//! (vendored: works offline), `/healthz`, and the server-rendered web UI
//! ([`ui`]: askama templates and vendored htmx, no JavaScript build step).
//! Handlers are thin: they
//! extract, call the store or the domain, and render. Errors are one closed
//! enum ([`error::ApiError`]) mapped explicitly to HTTP statuses; every
//! error body carries the request id a user can quote.

pub mod api;
pub mod auth;
pub mod cache;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod ui;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use debrief_store::{SessionPolicy, Store};

pub use routes::router;

/// Where handlers get "now". Domain code never reads the clock; the server
/// passes this value in, and tests pin it.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant, for tests and reproducible demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// Idle and absolute session time-outs.
    pub sessions: SessionPolicy,
    /// Admins must set up TOTP before they may do anything else (default on).
    pub require_admin_mfa: bool,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Rendered documents by key and version.
    pub documents: cache::DocumentCache,
    /// Response targets and process deadlines for guided reviews.
    pub guide: Arc<debrief_core::review::Guide>,
    /// The server's public origin (`DEBRIEF_PUBLIC_URL`, e.g.
    /// `https://debrief.example.com`) for absolute links in exports and
    /// feeds; when absent they are built from the request's `Host`.
    pub public_url: Option<String>,
}

impl AppState {
    /// State over `store` with the system clock and default security settings.
    pub fn new(store: Store) -> Self {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// State over `store` with a given clock.
    pub fn with_clock(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            sessions: SessionPolicy::default(),
            require_admin_mfa: true,
            secure_cookies: false,
            documents: cache::DocumentCache::default(),
            guide: Arc::default(),
            public_url: None,
        }
    }
}
