//! Who is calling: authentication by session cookie or bearer token, the
//! CSRF check for cookie-authenticated writes, and the session cookie.
//!
//! Sessions live in the database (so several `debrief serve` processes on
//! one PostgreSQL share them); the cookie carries only a random token whose
//! hash the database keeps. A bearer token carries no ambient authority, so
//! only cookie-authenticated writes need the CSRF header.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use debrief_core::access::Principal;
use debrief_store::{Actor, Ctx};

use crate::error::ApiError;
use crate::request_id::RequestId;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "debrief_session";
/// Header a cookie-authenticated write must carry, holding the session's
/// CSRF token (returned at login and by `GET /api/v1/me`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A session cookie; the raw token is kept to end or rotate the session.
    Session {
        /// The session token from the cookie.
        token: String,
        /// Whether the second factor was given.
        mfa_passed: bool,
        /// Whether the user has TOTP set up.
        totp_enabled: bool,
        /// The session's CSRF token, for pages to embed in their forms.
        csrf: String,
    },
    /// An API token.
    Token,
}

/// Facts about the request every handler may need for the audit trail.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// Peer address, when the server knows it.
    pub source: Option<String>,
    /// The request id.
    pub request_id: String,
}

impl RequestMeta {
    /// Reads the meta from the request.
    pub fn of(parts: &Parts) -> Self {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        Self { source, request_id }
    }

    /// A write context for `actor` at `now`.
    pub fn ctx(&self, now: chrono::DateTime<chrono::Utc>, actor: Actor) -> Ctx {
        Ctx {
            now,
            actor,
            source: self.source.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }
}

/// An authenticated caller, placed in the request by the route guard.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who, with role and token scope.
    pub principal: Principal,
    /// How they authenticated.
    pub via: Via,
    /// Request facts.
    pub meta: RequestMeta,
}

impl Caller {
    /// The write context for this caller at `now`.
    pub fn ctx(&self, now: chrono::DateTime<chrono::Utc>) -> Ctx {
        self.meta.ctx(
            now,
            Actor {
                user_id: Some(self.principal.user_id),
                name: self.principal.name.clone(),
            },
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // The guard authenticates before any handler runs; a handler asking
        // for a caller on a public route is a programming error, reported as
        // "not signed in" rather than a panic.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthenticated("sign in first".into()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(RequestMeta::of(parts))
    }
}

/// What the request presents as credentials.
pub enum Credentials {
    /// `Authorization: Bearer ...`.
    Bearer(String),
    /// The session cookie.
    Session(String),
    /// Nothing.
    None,
}

/// Reads the credentials; a malformed `Authorization` header is an error,
/// not a fall-through to the cookie.
pub fn credentials(headers: &HeaderMap) -> Result<Credentials, ApiError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let text = v
            .to_str()
            .map_err(|_| ApiError::Unauthenticated("malformed Authorization header".into()))?;
        let token = text
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated("expected `Authorization: Bearer <token>`".into())
            })?;
        return Ok(Credentials::Bearer(token.to_owned()));
    }
    Ok(session_cookie(headers).map_or(Credentials::None, Credentials::Session))
}

/// The session token from the `Cookie` header, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether a method changes state (and so needs the CSRF header when
/// authenticated by cookie).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `Set-Cookie` value that carries a session token.
pub fn session_cookie_header(token: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie_header(secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .ok()
}
