//! Signing in and out, the second factor, and one's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use debrief_core::access::{Scope, UserRole};
use debrief_store::{LoginOutcome, MfaOutcome, NewUser, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, RequestMeta, Via, clear_cookie_header, session_cookie_header};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// Name and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("name", &self.name)
            .field("password", &"***")
            .finish()
    }
}

/// The result of a password step.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Who signed in.
    pub user: User,
    /// A second factor is still needed: `POST /api/v1/auth/mfa`.
    pub mfa_required: bool,
    /// An admin without TOTP: set it up before anything else (`POST /api/v1/me/totp`).
    pub mfa_setup_required: bool,
    /// Send this in the `X-CSRF-Token` header with every cookie-authenticated write.
    pub csrf_token: String,
}

fn with_cookie(state: &AppState, token: &str, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Some(v) = session_cookie_header(token, state.secure_cookies) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    res
}

/// Signs in with name and password; sets the session cookie. The answer for
/// an unknown user, a wrong password and a disabled account is the same.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let ctx = meta.ctx(state.clock.now(), debrief_store::Actor::anonymous());
    match state.store.login(&body.name, &body.password, &ctx).await? {
        LoginOutcome::Ok {
            session,
            csrf,
            user,
            mfa_pending,
            mfa_setup_required,
        } => {
            let body = LoginResponse {
                user,
                mfa_required: mfa_pending,
                mfa_setup_required: mfa_setup_required && state.require_admin_mfa,
                csrf_token: csrf,
            };
            Ok(with_cookie(&state, session.expose(), Json(body)))
        }
        LoginOutcome::Invalid => Err(ApiError::Unauthenticated("wrong name or password".into())),
        LoginOutcome::Throttled { retry_after_secs } => {
            Err(ApiError::Throttled { retry_after_secs })
        }
    }
}

/// A TOTP code or a backup code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaRequest {
    /// Six digits from the authenticator app, or a backup code.
    pub code: String,
}

/// Gives the second factor; the session gets a new id.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth", request_body = MfaRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn mfa(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<MfaRequest>,
) -> Result<Response, ApiError> {
    let Via::Session { token, .. } = &caller.via else {
        return Err(ApiError::Forbidden(
            "the second factor is given in a browser session".into(),
        ));
    };
    match state
        .store
        .complete_mfa(token, &body.code, &caller.ctx(state.clock.now()))
        .await?
    {
        MfaOutcome::Ok { session } => Ok(with_cookie(
            &state,
            session.expose(),
            StatusCode::NO_CONTENT,
        )),
        MfaOutcome::Invalid => Err(ApiError::Unauthenticated("wrong or used code".into())),
        MfaOutcome::Throttled { retry_after_secs } => Err(ApiError::Throttled { retry_after_secs }),
    }
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Via::Session { token, .. } = &caller.via {
        state
            .store
            .logout(token, &caller.ctx(state.clock.now()))
            .await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(v) = clear_cookie_header(state.secure_cookies) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(res)
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User name.
    pub name: String,
    /// Role.
    pub role: UserRole,
    /// The token's scope, when calling with a token.
    pub scope: Option<Scope>,
    /// The CSRF token of the session, when calling with a session.
    pub csrf_token: Option<String>,
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> Result<Json<Me>, ApiError> {
    let csrf_token = match &caller.via {
        Via::Session { csrf, .. } => Some(csrf.clone()),
        Via::Token => None,
    };
    let p = caller.principal;
    Ok(Json(Me {
        name: p.name,
        role: p.role,
        scope: p.scope,
        csrf_token,
    }))
}

/// A new TOTP secret, to be confirmed with a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// The secret in base32, for manual entry.
    pub secret: String,
    /// The `otpauth://` URL an authenticator app reads from a QR code.
    pub otpauth_url: String,
}

/// Starts TOTP set-up for the caller.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth", responses((status = 200, body = TotpEnrollment)))]
pub async fn begin_totp(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TotpEnrollment>, ApiError> {
    session_only(&caller)?;
    let secret = state
        .store
        .begin_totp_enrollment(caller.principal.user_id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(Json(TotpEnrollment {
        otpauth_url: secret.otpauth_url("debrief", &caller.principal.name),
        secret: secret.base32(),
    }))
}

/// Backup codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodes {
    /// Ten single-use codes; each expires after 90 days.
    pub backup_codes: Vec<String>,
}

/// Confirms TOTP set-up with a first code; returns fresh backup codes.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", request_body = MfaRequest,
    responses((status = 200, body = BackupCodes), (status = 422, body = ErrorBody)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<MfaRequest>,
) -> Result<Json<BackupCodes>, ApiError> {
    session_only(&caller)?;
    let codes = state
        .store
        .confirm_totp(
            caller.principal.user_id,
            &body.code,
            &caller.ctx(state.clock.now()),
        )
        .await?;
    Ok(Json(BackupCodes {
        backup_codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
    }))
}

/// Replaces the caller's backup codes.
#[utoipa::path(post, path = "/api/v1/me/backup-codes", tag = "auth", responses((status = 200, body = BackupCodes)))]
pub async fn backup_codes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<BackupCodes>, ApiError> {
    session_only(&caller)?;
    let codes = state
        .store
        .new_backup_codes(caller.principal.user_id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(Json(BackupCodes {
        backup_codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
    }))
}

/// Second-factor changes need the person, not a script holding a token.
fn session_only(caller: &Caller) -> Result<(), ApiError> {
    match caller.via {
        Via::Session { .. } => Ok(()),
        Via::Token => Err(ApiError::Forbidden(
            "second-factor settings are changed in a signed-in session, not with a token".into(),
        )),
    }
}

/// The first admin, made with the one-time setup token `serve` printed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The setup token.
    pub token: String,
    /// The admin's user name.
    pub name: String,
    /// The admin's password.
    pub password: String,
}

impl std::fmt::Debug for SetupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupRequest")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Creates the first admin with the setup token; works once, only while there are no users.
#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", request_body = SetupRequest,
    responses((status = 201, body = User), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<SetupRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let ctx = meta.ctx(state.clock.now(), debrief_store::Actor::anonymous());
    let admin = NewUser {
        name: body.name,
        role: UserRole::Admin,
        password: body.password,
    };
    let user = state
        .store
        .redeem_setup_token(&body.token, admin, &ctx)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}
