//! One's own account in the browser: who am I, the password, TOTP set-up
//! with a server-drawn QR code and backup codes, and API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use debrief_core::access::Scope;
use debrief_store::ApiToken;
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, Layout, PageError, render, see_other};
use crate::AppState;
use crate::auth::{Caller, Via, clear_cookie_header};
use crate::error::ApiError;

/// The account page.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    /// Layout.
    pub layout: Layout,
    /// User name.
    pub name: String,
    /// Role label.
    pub role: String,
    /// Whether TOTP is set up.
    pub totp_enabled: bool,
    /// Whether this is a browser session (password and TOTP changes need one).
    pub session: bool,
    /// Errors of the password form, by field.
    pub errors: FieldErrors,
}

async fn account_page(
    state: &AppState,
    caller: &Caller,
    errors: FieldErrors,
) -> Result<AccountPage, PageError> {
    let user = state
        .store
        .user(caller.principal.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("the account no longer exists".into()))?;
    Ok(AccountPage {
        layout: Layout::of(caller, "Your account", "account").await?,
        name: user.name,
        role: user.role.label().to_owned(),
        totp_enabled: user.totp_enabled,
        session: matches!(caller.via, Via::Session { .. }),
        errors,
    })
}

/// `GET /account`.
pub async fn show(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    let page = account_page(&state, &caller, FieldErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    /// The current password.
    #[serde(default)]
    pub current_password: String,
    /// The new password.
    #[serde(default)]
    pub new_password: String,
    /// The new password again.
    #[serde(default)]
    pub new_password_again: String,
}

/// `POST /account/password`: changes the password after checking the
/// current one. Every session ends, this one too: the browser goes to the
/// sign-in page.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    session_only(&caller)?;
    let mut errors = FieldErrors::default();
    if form.new_password != form.new_password_again {
        errors.push("new_password_again", "does not match the new password");
    }
    if errors.is_empty() {
        let result = state
            .store
            .change_password(
                caller.principal.user_id,
                &form.current_password,
                &form.new_password,
                &caller.ctx(state.clock.now()),
            )
            .await
            .map_err(ApiError::from);
        match result {
            Ok(()) => {
                let mut res = see_other("/login?changed=1", false);
                if let Some(v) = clear_cookie_header(state.secure_cookies) {
                    res.headers_mut().insert(SET_COOKIE, v);
                }
                return Ok(res);
            }
            Err(e) => match FieldErrors::of(&e) {
                // The store names the new password `password`.
                Some(f) => {
                    for (field, message) in f.0 {
                        let field = if field == "password" {
                            "new_password".to_owned()
                        } else {
                            field
                        };
                        errors.push(&field, message);
                    }
                }
                None => return Err(PageError(e)),
            },
        }
    }
    let page = account_page(&state, &caller, errors).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The TOTP page: status, enrollment with the QR code, or the backup codes.
#[derive(Template)]
#[template(path = "account_totp.html")]
pub struct TotpPage {
    /// Layout.
    pub layout: Layout,
    /// TOTP is on.
    pub enabled: bool,
    /// An admin who must set TOTP up before anything else.
    pub required: bool,
    /// During enrollment: the secret in base32.
    pub secret: Option<String>,
    /// During enrollment: the `otpauth://` URL.
    pub otpauth_url: String,
    /// During enrollment: the QR code as an SVG element, drawn here from
    /// the URL (no user text in it).
    pub qr_svg: String,
    /// After confirming: the backup codes, shown once.
    pub backup_codes: Vec<String>,
    /// Why the code was refused.
    pub error: Option<String>,
}

impl TotpPage {
    async fn new(state: &AppState, caller: &Caller) -> Result<Self, PageError> {
        let user = state
            .store
            .user(caller.principal.user_id)
            .await?
            .ok_or_else(|| ApiError::Unauthenticated("the account no longer exists".into()))?;
        let required = state.require_admin_mfa
            && user.role == debrief_core::access::UserRole::Admin
            && !user.totp_enabled;
        let mut layout = Layout::of(caller, "Two-factor sign-in", "account").await?;
        if required {
            // Nothing else is open to them yet.
            layout.admin_nav = false;
        }
        Ok(Self {
            layout,
            enabled: user.totp_enabled,
            required,
            secret: None,
            otpauth_url: String::new(),
            qr_svg: String::new(),
            backup_codes: Vec::new(),
            error: None,
        })
    }

    fn enrolling(mut self, secret: &debrief_auth::TotpSecret, account: &str) -> Self {
        let url = secret.otpauth_url("debrief", account);
        self.qr_svg = qr_svg(&url);
        self.otpauth_url = url;
        self.secret = Some(secret.base32());
        self
    }
}

/// The QR code of `text` as an inline `<svg>` element (no XML declaration,
/// no inline styles: only presentation attributes, which the CSP allows).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            let start = svg.find("<svg").unwrap_or(0);
            svg[start..].replacen(
                "<svg",
                "<svg role=\"img\" aria-label=\"QR code of the authenticator set-up link\" class=\"qr\"",
                1,
            )
        }
        Err(_) => String::new(),
    }
}

/// `GET /account/totp`.
pub async fn totp(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    let page = TotpPage::new(&state, &caller).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /account/totp`: starts enrollment and shows the secret and QR code.
pub async fn begin_totp(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, PageError> {
    session_only(&caller)?;
    let page = TotpPage::new(&state, &caller).await?;
    let secret = state
        .store
        .begin_totp_enrollment(caller.principal.user_id, &caller.ctx(state.clock.now()))
        .await?;
    let page = page.enrolling(&secret, &caller.principal.name);
    Ok(render(StatusCode::OK, &page))
}

/// The TOTP confirmation form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    /// A code from the authenticator.
    #[serde(default)]
    pub code: String,
    /// The secret being enrolled, so the QR code can be shown again when
    /// the code is wrong (the user has it already; it only draws the page).
    #[serde(default)]
    pub secret: String,
}

/// `POST /account/totp/confirm`: turns TOTP on and shows the backup codes once.
pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    session_only(&caller)?;
    let result = state
        .store
        .confirm_totp(
            caller.principal.user_id,
            form.code.trim(),
            &caller.ctx(state.clock.now()),
        )
        .await
        .map_err(ApiError::from);
    match result {
        Ok(codes) => {
            let mut page = TotpPage::new(&state, &caller).await?;
            page.backup_codes = codes.iter().map(|c| c.expose().to_owned()).collect();
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) => {
            let Some(errors) = FieldErrors::of(&e) else {
                return Err(PageError(e));
            };
            let mut page = TotpPage::new(&state, &caller).await?;
            if let Ok(secret) = debrief_auth::totp_secret_from_base32(&form.secret) {
                page = page.enrolling(&secret, &caller.principal.name);
            }
            page.error = Some(
                errors
                    .get("code")
                    .or_else(|| errors.0.first().map(|(_, m)| m.as_str()))
                    .unwrap_or("the code was refused")
                    .to_owned(),
            );
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `POST /account/backup-codes`: replaces the backup codes and shows the
/// new ones once.
pub async fn backup_codes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, PageError> {
    session_only(&caller)?;
    let codes = state
        .store
        .new_backup_codes(caller.principal.user_id, &caller.ctx(state.clock.now()))
        .await?;
    let mut page = TotpPage::new(&state, &caller).await?;
    page.backup_codes = codes.iter().map(|c| c.expose().to_owned()).collect();
    Ok(render(StatusCode::OK, &page))
}

/// The tokens page.
#[derive(Template)]
#[template(path = "account_tokens.html")]
pub struct TokensPage {
    /// Layout.
    pub layout: Layout,
    /// The caller's tokens.
    pub tokens: Vec<TokenRow>,
    /// A token just created: its name and secret, shown this once.
    pub created: Option<(String, String)>,
    /// Input kept on error.
    pub name: String,
    /// Scope kept on error.
    pub scope: String,
    /// Expiry kept on error.
    pub expires_days: String,
    /// Errors by field.
    pub errors: FieldErrors,
}

/// One token as listed.
pub struct TokenRow {
    /// Id, for revocation.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Scope.
    pub scope: &'static str,
    /// Created, as a date.
    pub created: String,
    /// Expires, as a date, or "never".
    pub expires: String,
    /// Last used, or "never".
    pub last_used: String,
    /// Revoked.
    pub revoked: bool,
}

impl From<ApiToken> for TokenRow {
    fn from(t: ApiToken) -> Self {
        let day = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map_or_else(|| "never".to_owned(), |d| d.format("%Y-%m-%d").to_string())
        };
        Self {
            id: t.id,
            name: t.name,
            scope: t.scope.label(),
            created: t.created_at.format("%Y-%m-%d").to_string(),
            expires: day(t.expires_at),
            last_used: t.last_used_at.map_or_else(
                || "never".to_owned(),
                |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
            revoked: t.revoked,
        }
    }
}

async fn tokens_page(state: &AppState, caller: &Caller) -> Result<TokensPage, PageError> {
    let tokens = state
        .store
        .tokens(Some(&caller.principal.name))
        .await?
        .into_iter()
        .map(TokenRow::from)
        .collect();
    Ok(TokensPage {
        layout: Layout::of(caller, "API tokens", "account").await?,
        tokens,
        created: None,
        name: String::new(),
        scope: "read".into(),
        expires_days: String::new(),
        errors: FieldErrors::default(),
    })
}

/// `GET /account/tokens`.
pub async fn tokens(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &tokens_page(&state, &caller).await?))
}

/// The new-token form.
#[derive(Deserialize)]
pub struct TokenForm {
    /// What it is for.
    #[serde(default)]
    pub name: String,
    /// `read`, `write` or `admin`.
    #[serde(default)]
    pub scope: String,
    /// Days until it expires; empty for never.
    #[serde(default)]
    pub expires_days: String,
}

/// `POST /account/tokens`: creates a token and shows its secret once.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let scope = match form.scope.parse::<Scope>() {
        Ok(s) => Some(s),
        Err(_) => {
            errors.push("scope", "choose read, write or admin");
            None
        }
    };
    if let (Some(own), Some(s)) = (caller.principal.scope, scope)
        && s > own
    {
        errors.push(
            "scope",
            format!("a `{own}` token cannot create a `{s}` token"),
        );
    }
    let expires = match form.expires_days.trim() {
        "" => None,
        days => match days.parse::<u32>() {
            Ok(d) if d > 0 => Some(d),
            _ => {
                errors.push(
                    "expires_days",
                    "a whole number of days, 1 or more, or empty for never",
                );
                None
            }
        },
    };
    if form.name.trim().is_empty() {
        errors.push("name", "say what the token is for");
    }
    if errors.is_empty()
        && let Some(scope) = scope
    {
        let result = state
            .store
            .create_token(
                &caller.principal.name,
                form.name.trim(),
                scope,
                expires,
                &caller.ctx(state.clock.now()),
            )
            .await
            .map_err(ApiError::from);
        match result {
            Ok((token, secret)) => {
                let mut page = tokens_page(&state, &caller).await?;
                page.created = Some((token.name, secret.expose().to_owned()));
                return Ok(render(StatusCode::CREATED, &page));
            }
            Err(e) => match FieldErrors::of(&e) {
                Some(f) => errors = f,
                None => return Err(PageError(e)),
            },
        }
    }
    let mut page = tokens_page(&state, &caller).await?;
    page.name = form.name;
    page.scope = form.scope;
    page.expires_days = form.expires_days;
    page.errors = errors;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the caller's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id: Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("token {raw}")))?;
    let mine = state.store.tokens(Some(&caller.principal.name)).await?;
    if !mine.iter().any(|t| t.id == id) {
        return Err(PageError(ApiError::NotFound(format!("token {id}"))));
    }
    state
        .store
        .revoke_token(id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other("/account/tokens", false))
}

/// Password and second-factor changes need the person in a browser
/// session, not a script holding a token.
fn session_only(caller: &Caller) -> Result<(), PageError> {
    match caller.via {
        Via::Session { .. } => Ok(()),
        Via::Token => Err(PageError(ApiError::Forbidden(
            "password and second-factor settings are changed in a signed-in browser session, not with a token".into(),
        ))),
    }
}
