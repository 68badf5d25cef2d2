//! The one route table of the service, and the guard that checks every
//! route against its declared policy before the handler runs.
//!
//! Each row names a method, a path, a handler and a [`Policy`]; a route
//! cannot be added without one. [`route_table`] exposes the rows so the
//! access-matrix test can walk every route with every role.
//!
//! The web UI's pages are rows of the same table. For them (every path
//! outside `/api/`, `/healthz` and `/assets/`) the guard answers the way a
//! browser needs: no credentials is `303 See Other` to the sign-in page,
//! a pending second factor is a redirect to it, and a refusal is an HTML
//! error page instead of JSON. A form post may carry the CSRF token in a
//! `csrf` field instead of the header, so forms work without JavaScript.

use axum::Router;
use axum::extract::{DefaultBodyLimit, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use debrief_core::IncidentKey;
use debrief_core::access::{Action, Decision, decide};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::webhooks;
use crate::api::{
    access, audit, auth, categories, health, incidents, metrics, review, sections, tokens, users,
};
use crate::auth::{Caller, Credentials, RequestMeta, Via, credentials, is_unsafe};
use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::ui::{account, pages};
use crate::{AppState, request_id, ui};

/// Largest request body accepted: a whole imported post-mortem with a long
/// timeline fits; anything bigger is refused with 413 before it is read.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The incident's version as the guard read it, for handlers that can
/// serve a cached rendering of exactly that version.
#[derive(Debug, Clone, Copy)]
pub struct CurrentVersion(pub i64);

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not (health, login, first-start setup).
    Public,
    /// A session that has given its password, with or without the second
    /// factor yet (the MFA step itself, logout).
    SignedInMfaPending,
    /// Any signed-in user, second factor done: their own account.
    SignedIn,
    /// An action not about one incident.
    Global(Action),
    /// An action on the incident named by the `{key}` path segment.
    Incident(Action),
}

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path pattern as axum writes it, e.g. `/api/v1/incidents/{key}`.
    pub path: &'static str,
    /// Who may call it.
    pub policy: Policy,
}

macro_rules! table {
    ($($method:ident $path:literal => $handler:path, $policy:expr;)+) => {
        /// Every route (API and pages) with its policy.
        pub fn route_table() -> Vec<RouteSpec> {
            use Action::*;
            use Policy::*;
            vec![$(RouteSpec { method: stringify!($method), path: $path, policy: $policy }),+]
        }

        fn api_routes() -> Router<AppState> {
            let router = Router::new();
            $(let router = router.route($path, table!(@method $method)($handler));)+
            router
        }
    };
    (@method GET) => { axum::routing::get };
    (@method POST) => { axum::routing::post };
    (@method PUT) => { axum::routing::put };
    (@method PATCH) => { axum::routing::patch };
    (@method DELETE) => { axum::routing::delete };
}

table! {
    GET "/healthz" => health::healthz, Public;
    POST "/api/v1/setup" => auth::setup, Public;
    POST "/api/v1/auth/login" => auth::login, Public;
    POST "/api/v1/auth/mfa" => auth::mfa, SignedInMfaPending;
    POST "/api/v1/auth/logout" => auth::logout, SignedInMfaPending;
    GET "/api/v1/me" => auth::me, SignedIn;
    POST "/api/v1/me/totp" => auth::begin_totp, SignedIn;
    POST "/api/v1/me/totp/confirm" => auth::confirm_totp, SignedIn;
    POST "/api/v1/me/backup-codes" => auth::backup_codes, SignedIn;
    GET "/api/v1/me/tokens" => tokens::mine, SignedIn;
    POST "/api/v1/me/tokens" => tokens::create, SignedIn;
    DELETE "/api/v1/me/tokens/{id}" => tokens::revoke_mine, SignedIn;
    GET "/api/v1/tokens" => tokens::all, Global(ManageUsers);
    DELETE "/api/v1/tokens/{id}" => tokens::revoke_any, Global(ManageUsers);
    GET "/api/v1/users" => users::list, Global(ManageUsers);
    POST "/api/v1/users" => users::create, Global(ManageUsers);
    PUT "/api/v1/users/{name}/role" => users::set_role, Global(ManageUsers);
    POST "/api/v1/users/{name}/disable" => users::disable, Global(ManageUsers);
    POST "/api/v1/users/{name}/enable" => users::enable, Global(ManageUsers);
    GET "/api/v1/notifications" => users::notifications, Global(ManageUsers);
    GET "/api/v1/webhooks" => webhooks::list, Global(ManageIntegrations);
    POST "/api/v1/webhooks" => webhooks::create, Global(ManageIntegrations);
    DELETE "/api/v1/webhooks/{id}" => webhooks::remove, Global(ManageIntegrations);
    GET "/api/v1/webhooks/{id}/deliveries" => webhooks::deliveries, Global(ManageIntegrations);
    POST "/api/v1/webhooks/{id}/test" => webhooks::test, Global(ManageIntegrations);
    GET "/api/v1/audit" => audit::list, Global(ReadAudit);
    GET "/api/v1/audit/verify" => audit::verify, Global(ReadAudit);
    GET "/api/v1/categories" => categories::list, Global(ReadIncident);
    POST "/api/v1/categories" => categories::add, Global(ManageCategories);
    GET "/api/v1/incidents" => incidents::list, Global(ReadIncident);
    // Aggregates over every incident, restricted ones included: no key or
    // title leaves the handler, so any reader may see them.
    GET "/api/v1/metrics" => metrics::get, Global(ReadIncident);
    // Search and the knowledge base filter by the caller's visibility.
    GET "/api/v1/search" => crate::api::search::search, Global(ReadIncident);
    GET "/api/v1/knowledge" => crate::api::knowledge::categories, Global(ReadIncident);
    GET "/api/v1/knowledge/{category}" => crate::api::knowledge::entry, Global(ReadIncident);
    PUT "/api/v1/knowledge/{category}/notes" => crate::api::knowledge::put_notes, Global(EditIncident);
    // Action items across incidents: only those the caller may see.
    GET "/api/v1/action-items" => crate::api::actions::list, Global(ReadIncident);
    GET "/api/v1/action-items/reviews/weekly" => crate::api::actions::weekly, Global(ReadIncident);
    GET "/api/v1/action-items/reviews/monthly" => crate::api::actions::monthly, Global(ReadIncident);
    GET "/api/v1/action-items/reviews/quarterly" => crate::api::actions::quarterly, Global(ReadIncident);
    POST "/api/v1/incidents/{key}/action_items/{id}/verification" => crate::api::actions::verify, Incident(EditIncident);
    // Tracker export and import: only items the caller may see; the import
    // checks edit rights per item, all or nothing.
    GET "/api/v1/action-items/export.csv" => crate::api::tracker::export_csv, Global(ReadIncident);
    GET "/api/v1/action-items/export.json" => crate::api::tracker::export_json, Global(ReadIncident);
    POST "/api/v1/action-items/import" => crate::api::tracker::import, Global(EditIncident);
    GET "/api/v1/me/feeds" => crate::api::feeds::mine, SignedIn;
    POST "/api/v1/me/feeds" => crate::api::feeds::create, SignedIn;
    DELETE "/api/v1/me/feeds/{id}" => crate::api::feeds::revoke, SignedIn;
    // The token in the path is the credential: calendar apps cannot sign in.
    GET "/feeds/{token}" => crate::api::feeds::fetch, Public;
    POST "/api/v1/incidents" => incidents::create, Global(CreateIncident);
    GET "/api/v1/incidents/{key}" => incidents::get, Incident(ReadIncident);
    PATCH "/api/v1/incidents/{key}" => incidents::patch, Incident(EditIncident);
    DELETE "/api/v1/incidents/{key}" => incidents::delete, Incident(DeleteIncident);
    GET "/api/v1/incidents/{key}/markdown" => incidents::markdown, Incident(ReadIncident);
    GET "/api/v1/incidents/{key}/access" => access::get, Incident(ReadIncident);
    PUT "/api/v1/incidents/{key}/access" => access::set_restricted, Incident(ManageMembers);
    POST "/api/v1/incidents/{key}/members" => access::add_member, Incident(ManageMembers);
    DELETE "/api/v1/incidents/{key}/members/{name}" => access::remove_member, Incident(ManageMembers);
    GET "/api/v1/incidents/{key}/review" => review::get, Incident(ReadIncident);
    PUT "/api/v1/incidents/{key}/review" => review::put, Incident(EditIncident);
    GET "/api/v1/incidents/{key}/checks" => review::checks, Incident(ReadIncident);
    GET "/api/v1/incidents/{key}/similar" => review::similar, Incident(ReadIncident);
    POST "/api/v1/incidents/{key}/acknowledgements" => review::acknowledge, Incident(EditIncident);
    GET "/api/v1/incidents/{key}/agenda.md" => review::agenda_md, Incident(ReadIncident);
    GET "/api/v1/incidents/{key}/agenda.ics" => review::agenda_ics, Incident(ReadIncident);
    GET "/api/v1/incidents/{key}/fishbone.svg" => review::fishbone_svg, Incident(ReadIncident);
    PUT "/api/v1/incidents/{key}/fishbone" => sections::fishbone, Incident(EditIncident);
    PUT "/api/v1/incidents/{key}/communications" => sections::communications, Incident(EditIncident);
    POST "/api/v1/incidents/{key}/{section}" => sections::add, Incident(EditIncident);
    PUT "/api/v1/incidents/{key}/{section}/order" => sections::reorder, Incident(EditIncident);
    PUT "/api/v1/incidents/{key}/{section}/{id}" => sections::update, Incident(EditIncident);
    DELETE "/api/v1/incidents/{key}/{section}/{id}" => sections::remove, Incident(EditIncident);
    GET "/" => pages::root, Public;
    GET "/assets/htmx.min.js" => pages::htmx_js, Public;
    GET "/assets/app.css" => pages::app_css, Public;
    GET "/login" => pages::login_form, Public;
    POST "/login" => pages::login, Public;
    GET "/login/mfa" => pages::mfa_form, SignedInMfaPending;
    POST "/login/mfa" => pages::mfa, SignedInMfaPending;
    POST "/logout" => pages::logout, SignedInMfaPending;
    GET "/account" => account::show, SignedIn;
    POST "/account/password" => account::change_password, SignedIn;
    GET "/account/totp" => account::totp, SignedIn;
    POST "/account/totp" => account::begin_totp, SignedIn;
    POST "/account/totp/confirm" => account::confirm_totp, SignedIn;
    POST "/account/backup-codes" => account::backup_codes, SignedIn;
    GET "/account/tokens" => account::tokens, SignedIn;
    POST "/account/tokens" => account::create_token, SignedIn;
    POST "/account/tokens/{id}/revoke" => account::revoke_token, SignedIn;
    GET "/account/feeds" => ui::feeds::show, SignedIn;
    POST "/account/feeds" => ui::feeds::create, SignedIn;
    POST "/account/feeds/{id}/revoke" => ui::feeds::revoke, SignedIn;
    GET "/actions/tracker" => ui::tracker::show, Global(ReadIncident);
    POST "/actions/tracker/import" => ui::tracker::import, Global(EditIncident);
    GET "/incidents" => ui::incidents::list, Global(ReadIncident);
    POST "/incidents" => ui::incidents::create, Global(CreateIncident);
    GET "/incidents/{key}" => ui::incident::show, Incident(ReadIncident);
    GET "/incidents/{key}/export.md" => ui::incident::export_md, Incident(ReadIncident);
    GET "/incidents/{key}/similar" => ui::incident::similar::show, Incident(ReadIncident);
    GET "/incidents/{key}/export.json" => ui::incident::export_json, Incident(ReadIncident);
    POST "/incidents/{key}/header" => ui::incident::head::update_header, Incident(EditIncident);
    POST "/incidents/{key}/overview" => ui::incident::head::update_overview, Incident(EditIncident);
    POST "/incidents/{key}/participants" => ui::incident::head::add_participant, Incident(EditIncident);
    POST "/incidents/{key}/participants/{n}/delete" => ui::incident::head::remove_participant, Incident(EditIncident);
    POST "/incidents/{key}/timeline" => ui::incident::timeline::add_entry, Incident(EditIncident);
    POST "/incidents/{key}/five_whys" => ui::incident::analysis::add_whys, Incident(EditIncident);
    POST "/incidents/{key}/root_causes" => ui::incident::analysis::add_root_cause, Incident(EditIncident);
    POST "/incidents/{key}/fishbone" => ui::incident::analysis::add_cause, Incident(EditIncident);
    POST "/incidents/{key}/fmea" => ui::incident::analysis::add_fmea, Incident(EditIncident);
    POST "/incidents/{key}/findings" => ui::incident::learning::add_finding, Incident(EditIncident);
    POST "/incidents/{key}/lessons" => ui::incident::learning::add_lesson, Incident(EditIncident);
    POST "/incidents/{key}/actions" => ui::incident::actions::add_action, Incident(EditIncident);
    POST "/incidents/{key}/actions/{id}/status" => ui::incident::actions::set_action_status, Incident(EditIncident);
    POST "/incidents/{key}/actions/{id}/criteria/{n}" => ui::incident::actions::toggle_criterion, Incident(EditIncident);
    POST "/incidents/{key}/actions/{id}/verify" => ui::incident::actions::verify_action, Incident(EditIncident);
    POST "/incidents/{key}/communications/internal" => ui::incident::comms::update_internal, Incident(EditIncident);
    POST "/incidents/{key}/communications/customer" => ui::incident::comms::update_customer, Incident(EditIncident);
    POST "/incidents/{key}/items/{section}/{id}" => ui::incident::items::update, Incident(EditIncident);
    GET "/incidents/{key}/items/{section}/{id}/edit" => ui::incident::items::edit_form, Incident(EditIncident);
    POST "/incidents/{key}/items/{section}/{id}/delete" => ui::incident::items::delete, Incident(EditIncident);
    POST "/incidents/{key}/items/{section}/{id}/move" => ui::incident::items::move_item, Incident(EditIncident);
    POST "/incidents/{key}/review/facts" => ui::incident::review::update_facts, Incident(EditIncident);
    POST "/incidents/{key}/review/agenda" => ui::incident::review::update_agenda, Incident(EditIncident);
    POST "/incidents/{key}/review/checklist/{id}" => ui::incident::review::toggle_check, Incident(EditIncident);
    POST "/incidents/{key}/review/acknowledge" => ui::incident::review::acknowledge, Incident(EditIncident);
    POST "/incidents/{key}/access" => ui::incident::access::set_restricted, Incident(ManageMembers);
    POST "/incidents/{key}/members" => ui::incident::access::add_member, Incident(ManageMembers);
    POST "/incidents/{key}/members/{name}/delete" => ui::incident::access::remove_member, Incident(ManageMembers);
    GET "/metrics" => ui::metrics::page, Global(ReadIncident);
    GET "/search" => ui::search::page, Global(ReadIncident);
    GET "/knowledge" => ui::knowledge::index, Global(ReadIncident);
    GET "/knowledge/{category}" => ui::knowledge::entry, Global(ReadIncident);
    POST "/knowledge/{category}/notes" => ui::knowledge::save_notes, Global(EditIncident);
    GET "/actions" => ui::actions::page, Global(ReadIncident);
    GET "/actions/review" => ui::actions::review, Global(ReadIncident);
    GET "/admin" => ui::admin::index, Global(ReadAudit);
    GET "/admin/audit" => ui::admin::audit, Global(ReadAudit);
    GET "/admin/users" => ui::admin::users, Global(ManageUsers);
    POST "/admin/users" => ui::admin::create_user, Global(ManageUsers);
    POST "/admin/users/{name}/role" => ui::admin::set_role, Global(ManageUsers);
    POST "/admin/users/{name}/disable" => ui::admin::disable, Global(ManageUsers);
    POST "/admin/users/{name}/enable" => ui::admin::enable, Global(ManageUsers);
    GET "/admin/tokens" => ui::admin::tokens, Global(ManageUsers);
    POST "/admin/tokens/{id}/revoke" => ui::admin::revoke_token, Global(ManageUsers);
    GET "/admin/webhooks" => ui::webhooks::page, Global(ManageIntegrations);
    POST "/admin/webhooks" => ui::webhooks::create, Global(ManageIntegrations);
    GET "/admin/webhooks/{id}" => ui::webhooks::log, Global(ManageIntegrations);
    POST "/admin/webhooks/{id}/delete" => ui::webhooks::delete, Global(ManageIntegrations);
    POST "/admin/webhooks/{id}/test" => ui::webhooks::test, Global(ManageIntegrations);
}

/// The refusal an admin without a second factor gets on anything but
/// their own account; pages turn it into a redirect to the TOTP set-up.
pub const ADMIN_SETUP: &str = "admins must set up a second factor first: POST /api/v1/me/totp";

/// Largest form body the guard reads to find a `csrf` field.
const FORM_LIMIT: usize = 1024 * 1024;

/// Builds the application: every route, its guard, middleware and state.
pub fn router(state: AppState) -> Router {
    api_routes()
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(request_id::middleware))
        // gzip when the client asks for it: a post-mortem page shrinks to a
        // fifth. Pages hold a CSRF token next to reflected input (BREACH),
        // but the SameSite=Lax session cookie keeps another site from making
        // the authenticated requests that attack needs.
        .layer(tower_http::compression::CompressionLayer::new())
        // The span names the path only (never the query string), and a
        // calendar feed's path with its token hidden: the token is the
        // credential, and secrets never reach the logs.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::debug_span!("request", method = %req.method(), path = %log_path(req.uri().path()))
        }))
        .with_state(state)
}

/// `path` as it may be logged: a calendar feed's token replaced.
pub fn log_path(path: &str) -> &str {
    if path.starts_with("/feeds/") {
        "/feeds/[token]"
    } else {
        path
    }
}

/// The policy of a route, looked up on every request: built once.
fn policy_of(method: &axum::http::Method, path: &str) -> Option<Policy> {
    static POLICIES: std::sync::LazyLock<
        std::collections::HashMap<(&'static str, &'static str), Policy>,
    > = std::sync::LazyLock::new(|| {
        route_table()
            .into_iter()
            .map(|r| ((r.method, r.path), r.policy))
            .collect()
    });
    POLICIES.get(&(method.as_str(), path)).copied()
}

/// No route: JSON for the API, an HTML page for a browser.
async fn fallback(uri: axum::http::Uri) -> Response {
    if ui::is_page_path(uri.path()) {
        ui::page_error(&ApiError::NotFound("page".into()), uri.path())
    } else {
        ApiError::NotFound("route".into()).into_response()
    }
}

/// Checks the caller against the route's policy, then runs the handler
/// with the [`Caller`] in the request. Page routes get their refusals as
/// redirects and HTML (see the module documentation).
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<request_id::RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    ui::REQUEST_ID.scope(id, guarded(state, req, next)).await
}

async fn guarded(state: AppState, mut req: Request, next: Next) -> Response {
    let page = ui::is_page_path(req.uri().path());
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    // An htmx request that must go to the sign-in page gets `HX-Redirect`,
    // so the whole page is replaced rather than a fragment of it.
    let htmx = ui::is_htmx(req.headers());
    let refuse = |e: &ApiError| {
        let res = ui::page_error(e, &here);
        match res.headers().get(axum::http::header::LOCATION) {
            Some(to) if htmx && res.status() == axum::http::StatusCode::SEE_OTHER => {
                ui::see_other(to.to_str().unwrap_or("/login"), true)
            }
            _ => res,
        }
    };
    if page && let Err(e) = csrf_from_form(&mut req).await {
        return refuse(&e);
    }
    match admit(&state, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) if page => refuse(&e),
        Err(e) => e.into_response(),
    }
}

/// A cookie-authenticated form post without the CSRF header may carry the
/// token in a `csrf` field: copy it into the header, so the one check in
/// [`authenticate`] covers both. The body is read (up to [`FORM_LIMIT`])
/// and put back for the handler.
async fn csrf_from_form(req: &mut Request) -> Result<(), ApiError> {
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_unsafe(req.method())
        || !is_form
        || req.headers().contains_key(crate::auth::CSRF_HEADER)
        || crate::auth::session_cookie(req.headers()).is_none()
    {
        return Ok(());
    }
    let (mut parts, body) = std::mem::take(req).into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            *req = Request::from_parts(parts, axum::body::Body::empty());
            return Err(ApiError::BadParameter {
                field: "body".into(),
                message: "the form is too large or could not be read".into(),
            });
        }
    };
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    if let Some(v) = token.and_then(|t| axum::http::HeaderValue::from_str(&t).ok()) {
        parts.headers.insert(crate::auth::CSRF_HEADER, v);
    }
    *req = Request::from_parts(parts, axum::body::Body::from(bytes));
    Ok(())
}

async fn admit(state: &AppState, req: &mut Request) -> Result<(), ApiError> {
    let path = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    // A route missing from the table cannot be reached: the table builds
    // the router, so this only guards against future hand-added routes.
    let policy = policy_of(req.method(), &path)
        .ok_or_else(|| ApiError::Forbidden("route has no access policy".into()))?;
    if policy == Policy::Public {
        return Ok(());
    }
    let (mut parts, body) = std::mem::take(req).into_parts();
    let result = authenticate(state, &mut parts, policy).await;
    *req = Request::from_parts(parts, body);
    let caller = result?;
    req.extensions_mut().insert(caller);
    Ok(())
}

async fn authenticate(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
    policy: Policy,
) -> Result<Caller, ApiError> {
    let now = state.clock.now();
    let meta = RequestMeta::of(parts);
    let caller = match credentials(&parts.headers)? {
        Credentials::None => {
            return Err(ApiError::Unauthenticated(
                "sign in, or send `Authorization: Bearer <token>`".into(),
            ));
        }
        Credentials::Bearer(token) => {
            let principal = state
                .store
                .principal_for_token(&token, now)
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthenticated("the token is invalid, expired or revoked".into())
                })?;
            Caller {
                principal,
                via: Via::Token,
                meta,
            }
        }
        Credentials::Session(token) => {
            let info = state
                .store
                .session(&token, &state.sessions, now)
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthenticated("the session has ended; sign in again".into())
                })?;
            if is_unsafe(&parts.method) {
                let sent = parts
                    .headers
                    .get(crate::auth::CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !debrief_auth::constant_time_eq(sent, &info.csrf) {
                    return Err(ApiError::Forbidden(format!(
                        "missing or wrong {} header",
                        crate::auth::CSRF_HEADER
                    )));
                }
            }
            let principal = debrief_core::access::Principal {
                user_id: info.user.id,
                name: info.user.name.clone(),
                role: info.user.role,
                scope: None,
            };
            let via = Via::Session {
                token,
                mfa_passed: info.mfa_passed,
                totp_enabled: info.user.totp_enabled,
                csrf: info.csrf.clone(),
            };
            Caller {
                principal,
                via,
                meta,
            }
        }
    };
    if let Via::Session {
        mfa_passed,
        totp_enabled,
        ..
    } = caller.via
    {
        if policy == Policy::SignedInMfaPending {
            return Ok(caller);
        }
        if !mfa_passed {
            return Err(ApiError::MfaRequired);
        }
        let needs_setup = state.require_admin_mfa
            && caller.principal.role == debrief_core::access::UserRole::Admin
            && !totp_enabled;
        if needs_setup && matches!(policy, Policy::Global(_) | Policy::Incident(_)) {
            return Err(ApiError::Forbidden(ADMIN_SETUP.into()));
        }
    }
    match policy {
        Policy::Public | Policy::SignedInMfaPending | Policy::SignedIn => {}
        Policy::Global(action) => {
            if decide(&caller.principal, action, None) != Decision::Allow {
                return Err(ApiError::Forbidden(forbidden(action)));
            }
        }
        Policy::Incident(action) => {
            let params = RawPathParams::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound("incident".into()))?;
            let raw = params
                .iter()
                .find(|(name, _)| *name == "key")
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default();
            let key = IncidentKey::parse(&raw).map_err(|message| ApiError::BadParameter {
                field: "key".into(),
                message,
            })?;
            let gate = state
                .store
                .incident_gate(&key, caller.principal.user_id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("incident {key}")))?;
            let access = gate.access;
            parts.extensions.insert(CurrentVersion(gate.version));
            match decide(&caller.principal, action, Some(access)) {
                Decision::Allow => {}
                // Exactly the answer for an incident that does not exist.
                Decision::Hide => return Err(ApiError::NotFound(format!("incident {key}"))),
                Decision::Deny => return Err(ApiError::Forbidden(forbidden(action))),
            }
            if access.restricted && action.is_read() {
                state
                    .store
                    .audit_record(
                        &caller.ctx(now),
                        "incident.read",
                        &format!("incident:{key}"),
                        None,
                        None,
                    )
                    .await?;
            }
        }
    }
    Ok(caller)
}

use axum::extract::FromRequestParts;

fn forbidden(action: Action) -> String {
    format!(
        "your role or token scope does not allow {}",
        match action {
            Action::ReadIncident => "reading incidents",
            Action::CreateIncident => "creating incidents",
            Action::EditIncident => "editing incidents",
            Action::DeleteIncident => "deleting incidents",
            Action::ManageMembers => "managing who may see an incident",
            Action::ManageCategories => "managing categories",
            Action::ReadAudit => "reading the audit trail",
            Action::ManageUsers => "managing users and tokens",
            Action::ManageIntegrations => "managing webhooks",
        }
    )
}

#[cfg(test)]
mod log_tests {
    use super::log_path;

    #[test]
    fn a_feed_token_never_reaches_the_log() {
        assert_eq!(log_path("/feeds/dbc_s3cr3t"), "/feeds/[token]");
        assert_eq!(
            log_path("/incidents/INC-2025-1128"),
            "/incidents/INC-2025-1128"
        );
    }
}
