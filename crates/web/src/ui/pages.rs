//! Signing in and out in the browser, the root redirect and the assets.
//!
//! Mirrors [`crate::api::auth`]: the same store calls, the same session
//! cookie, the same one answer for an unknown user, a wrong password and a
//! disabled account; only the answers are pages and redirects.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_store::{LoginOutcome, MfaOutcome};
use serde::Deserialize;

use super::{APP_CSS, HTMX_JS, Layout, PageError, is_htmx, local_path, render, see_other};
use crate::AppState;
use crate::auth::{Caller, RequestMeta, Via, clear_cookie_header, session_cookie_header};

/// `GET /`: the incident list is the home page.
pub async fn root() -> Response {
    see_other("/incidents", false)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            // The URL carries a content hash, so a year-long cache is safe.
        ],
        body,
    )
        .into_response()
}

/// `GET /assets/htmx.min.js`: the vendored htmx.
pub async fn htmx_js() -> Response {
    asset("text/javascript; charset=utf-8", HTMX_JS)
}

/// `GET /assets/app.css`: the stylesheet.
pub async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Layout.
    pub layout: Layout,
    /// The name typed, kept on error.
    pub name: String,
    /// Where to go after signing in.
    pub next: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// A note, e.g. after signing out or changing the password.
    pub notice: Option<String>,
}

/// Query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// Where to go after signing in (a local path).
    #[serde(default)]
    pub next: Option<String>,
    /// Set after signing out.
    #[serde(default)]
    pub signed_out: Option<String>,
    /// Set after a password change.
    #[serde(default)]
    pub changed: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.and_then(local_path)
        .filter(|p| !p.starts_with("/login") && !p.starts_with("/logout"))
        .unwrap_or("")
        .to_owned()
}

/// `GET /login`. Someone already signed in goes on to where they were
/// going instead.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    if let Some(token) = crate::auth::session_cookie(&headers)
        && let Some(info) = state
            .store
            .session(&token, &state.sessions, state.clock.now())
            .await?
        && info.mfa_passed
    {
        let next = safe_next(q.next.as_deref());
        let to = if next.is_empty() { "/incidents" } else { &next };
        return Ok(see_other(to, false));
    }
    let notice = if q.changed.is_some() {
        Some("Your password was changed. Sign in with the new one.".to_owned())
    } else if q.signed_out.is_some() {
        Some("You are signed out.".to_owned())
    } else {
        None
    };
    Ok(render(
        StatusCode::OK,
        &LoginPage {
            layout: Layout::anonymous("Sign in"),
            name: String::new(),
            next: safe_next(q.next.as_deref()),
            error: None,
            notice,
        },
    ))
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    /// User name.
    #[serde(default)]
    pub name: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// Where to go after signing in.
    #[serde(default)]
    pub next: Option<String>,
}

fn with_cookie(state: &AppState, token: &str, mut res: Response) -> Response {
    if let Some(v) = session_cookie_header(token, state.secure_cookies) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    res
}

/// `POST /login`: the password step. On success the session cookie is set
/// and the browser goes to the second factor, the TOTP set-up an admin
/// owes, or where it was going.
///
/// There is no session yet, so no CSRF token; a browser that says the form
/// came from another site (`Sec-Fetch-Site: cross-site`) is refused, so no
/// site can sign a visitor in to an account of its choosing.
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(PageError(crate::error::ApiError::Forbidden(
            "sign in from debrief's own sign-in page".into(),
        )));
    }
    let next = safe_next(form.next.as_deref());
    let ctx = meta.ctx(state.clock.now(), debrief_store::Actor::anonymous());
    let again = |status: StatusCode, error: String| {
        render(
            status,
            &LoginPage {
                layout: Layout::anonymous("Sign in"),
                name: form.name.clone(),
                next: next.clone(),
                error: Some(error),
                notice: None,
            },
        )
    };
    match state.store.login(&form.name, &form.password, &ctx).await? {
        LoginOutcome::Ok {
            session,
            mfa_pending,
            mfa_setup_required,
            ..
        } => {
            let to = if mfa_pending {
                if next.is_empty() {
                    "/login/mfa".to_owned()
                } else {
                    let q =
                        serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                    format!("/login/mfa?{q}")
                }
            } else if mfa_setup_required && state.require_admin_mfa {
                "/account/totp".to_owned()
            } else if next.is_empty() {
                "/incidents".to_owned()
            } else {
                next.clone()
            };
            Ok(with_cookie(&state, session.expose(), see_other(&to, false)))
        }
        LoginOutcome::Invalid => Ok(again(
            StatusCode::UNAUTHORIZED,
            "Wrong name or password.".to_owned(),
        )),
        LoginOutcome::Throttled { retry_after_secs } => {
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
            Ok(res)
        }
    }
}

/// The second-factor page.
#[derive(Template)]
#[template(path = "mfa.html")]
pub struct MfaPage {
    /// Layout.
    pub layout: Layout,
    /// Where to go afterwards.
    pub next: String,
    /// Why the last code was refused.
    pub error: Option<String>,
}

/// `GET /login/mfa`.
pub async fn mfa_form(caller: Caller, Query(q): Query<LoginQuery>) -> Result<Response, PageError> {
    let mut layout = Layout::of(&caller, "Second factor", "").await?;
    // Not through MFA yet: the navigation would lead nowhere.
    layout.user = None;
    Ok(render(
        StatusCode::OK,
        &MfaPage {
            layout,
            next: safe_next(q.next.as_deref()),
            error: None,
        },
    ))
}

/// The second-factor form.
#[derive(Deserialize)]
pub struct MfaForm {
    /// Six digits or a backup code.
    #[serde(default)]
    pub code: String,
    /// Where to go afterwards.
    #[serde(default)]
    pub next: Option<String>,
}

/// `POST /login/mfa`: a TOTP or backup code; the session gets a new token.
pub async fn mfa(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<MfaForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let Via::Session { token, .. } = &caller.via else {
        return Err(PageError(crate::error::ApiError::Forbidden(
            "the second factor is given in a browser session".into(),
        )));
    };
    let outcome = state
        .store
        .complete_mfa(token, form.code.trim(), &caller.ctx(state.clock.now()))
        .await?;
    let error = match outcome {
        MfaOutcome::Ok { session } => {
            let to = if next.is_empty() { "/incidents" } else { &next };
            return Ok(with_cookie(&state, session.expose(), see_other(to, false)));
        }
        MfaOutcome::Invalid => (
            StatusCode::UNAUTHORIZED,
            "That code is wrong, already used or expired.".to_owned(),
        ),
        MfaOutcome::Throttled { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
        ),
    };
    let mut layout = Layout::of(&caller, "Second factor", "").await?;
    layout.user = None;
    Ok(render(
        error.0,
        &MfaPage {
            layout,
            next,
            error: Some(error.1),
        },
    ))
}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, PageError> {
    if let Via::Session { token, .. } = &caller.via {
        state
            .store
            .logout(token, &caller.ctx(state.clock.now()))
            .await?;
    }
    let mut res = see_other("/login?signed_out=1", is_htmx(&headers));
    if let Some(v) = clear_cookie_header(state.secure_cookies) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(res)
}
