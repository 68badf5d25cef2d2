//! The admin pages: an index, the audit trail with its chain verification,
//! users and roles, and every API token.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use debrief_core::access::{Action, UserRole};
use debrief_store::{ApiToken, AuditFilter, NewUser};
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, Layout, PageError, may, render, see_other};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Audit entries per page.
const AUDIT_PAGE: u64 = 50;

/// The admin index.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminIndex {
    /// Layout.
    pub layout: Layout,
    /// May read the audit trail.
    pub audit: bool,
    /// May manage users and tokens.
    pub users: bool,
}

/// `GET /admin`: links to the admin pages the caller may use.
pub async fn index(caller: Caller) -> Result<Response, PageError> {
    let page = AdminIndex {
        layout: Layout::of(&caller, "Admin", "admin").await?,
        audit: may(&caller.principal, Action::ReadAudit),
        users: may(&caller.principal, Action::ManageUsers),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The audit filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    /// Exact actor name.
    #[serde(default)]
    pub actor: String,
    /// Action prefix.
    #[serde(default)]
    pub action: String,
    /// Object prefix.
    #[serde(default)]
    pub object: String,
    /// First day (UTC), `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// Last day (UTC), `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
    /// Page number, from 1.
    #[serde(default)]
    pub page: String,
}

/// One audit entry as shown.
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    /// When, UTC.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub object: String,
    /// Source address.
    pub source: String,
    /// Request id.
    pub request_id: String,
    /// The value before.
    pub before: Option<String>,
    /// The value after.
    pub after: Option<String>,
}

/// The audit page.
#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    /// Layout.
    pub layout: Layout,
    /// The filters, kept.
    pub q: AuditQuery,
    /// Errors of the filters, by field.
    pub errors: FieldErrors,
    /// Whether the chain is intact.
    pub intact: bool,
    /// Entries checked.
    pub entries: u64,
    /// The head hash.
    pub head: String,
    /// Where the chain breaks, and why.
    pub broken: Option<(i64, String)>,
    /// The entries of this page.
    pub rows: Vec<AuditRow>,
    /// Entries matching the filters.
    pub total: u64,
    /// This page, from 1.
    pub page: u64,
    /// Number of pages.
    pub pages: u64,
    /// The link to the previous page.
    pub prev_url: Option<String>,
    /// The link to the next page.
    pub next_url: Option<String>,
}

fn day(raw: &str, field: &str, end: bool, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => {
            let t = if end {
                d.and_hms_micro_opt(23, 59, 59, 999_999)
            } else {
                d.and_hms_opt(0, 0, 0)
            };
            t.map(|t| t.and_utc())
        }
        Err(_) => {
            errors.push(field, "a day as YYYY-MM-DD");
            None
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// `GET /admin/audit`: the chain verification, then the filtered trail.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let from = day(&q.from, "from", false, &mut errors);
    let to = day(&q.to, "to", true, &mut errors);
    let page = match q.page.trim() {
        "" => 1,
        p => match p.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push("page", "a page number, 1 or more");
                1
            }
        },
    };
    let filter = AuditFilter {
        actor: non_empty(&q.actor),
        action: non_empty(&q.action),
        object: non_empty(&q.object),
        from,
        to,
        limit: AUDIT_PAGE,
        offset: (page - 1).saturating_mul(AUDIT_PAGE),
    };
    let verification = state.store.audit_verify(None).await?;
    let list = state.store.audit_list(&filter).await?;
    let pages = list.total.div_ceil(AUDIT_PAGE).max(1);
    let link = |n: u64| {
        let pairs = [
            ("actor", q.actor.as_str()),
            ("action", q.action.as_str()),
            ("object", q.object.as_str()),
            ("from", q.from.as_str()),
            ("to", q.to.as_str()),
        ];
        let mut kept: Vec<(&str, String)> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        kept.push(("page", n.to_string()));
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    };
    let prev_url = (page > 1).then(|| link(page - 1));
    let next_url = (page < pages).then(|| link(page + 1));
    let rows = list
        .items
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: e.event.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.event.actor,
            action: e.event.action,
            object: e.event.object,
            source: e.event.source.unwrap_or_default(),
            request_id: e.event.request_id.unwrap_or_default(),
            before: e.event.before,
            after: e.event.after,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditPage {
        layout: Layout::of(&caller, "Audit trail", "admin").await?,
        q,
        errors,
        intact: verification.is_intact(),
        entries: verification.entries,
        head: verification.head.unwrap_or_else(|| "(empty)".to_owned()),
        broken: verification.broken.map(|b| (b.seq, b.reason)),
        rows,
        total: list.total,
        page,
        pages,
        prev_url,
        next_url,
    };
    Ok(render(status, &page))
}

/// One user as listed.
pub struct UserRow {
    /// Name.
    pub name: String,
    /// Role, as stored (`admin`, ...).
    pub role: &'static str,
    /// Disabled.
    pub disabled: bool,
    /// TOTP on.
    pub totp: bool,
    /// The caller themselves.
    pub is_self: bool,
}

/// The users page.
#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    /// Layout.
    pub layout: Layout,
    /// Every user.
    pub users: Vec<UserRow>,
    /// Every role: value and label.
    pub roles: Vec<(&'static str, &'static str)>,
    /// A problem with a row action (role change, disable).
    pub error: Option<String>,
    /// The new user's name, kept on error.
    pub name: String,
    /// The new user's role, kept on error.
    pub role: String,
    /// Errors of the create form, by field.
    pub errors: FieldErrors,
}

async fn users_page(state: &AppState, caller: &Caller) -> Result<UsersPage, PageError> {
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == caller.principal.user_id,
            name: u.name,
            role: u.role.as_str(),
            disabled: u.disabled,
            totp: u.totp_enabled,
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::of(caller, "Users", "admin").await?,
        users,
        roles: UserRole::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        error: None,
        name: String::new(),
        role: UserRole::Viewer.as_str().to_owned(),
        errors: FieldErrors::default(),
    })
}

/// `GET /admin/users`.
pub async fn users(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &users_page(&state, &caller).await?))
}

/// The new-user form.
#[derive(Deserialize)]
pub struct NewUserForm {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Role.
    #[serde(default)]
    pub role: String,
    /// Initial password.
    #[serde(default)]
    pub password: String,
}

/// `POST /admin/users`: creates a user; on error the form comes back with
/// the input kept (but not the password).
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let role = match form.role.parse::<UserRole>() {
        Ok(r) => Some(r),
        Err(_) => {
            errors.push("role", "choose a role");
            None
        }
    };
    if let Some(role) = role {
        let result = state
            .store
            .create_user(
                NewUser {
                    name: form.name.trim().to_owned(),
                    role,
                    password: form.password,
                },
                &caller.ctx(state.clock.now()),
            )
            .await
            .map_err(ApiError::from);
        match result {
            Ok(_) => return Ok(see_other("/admin/users", false)),
            Err(ApiError::AlreadyExists(_)) => {
                errors.push("name", "a user with this name exists already");
            }
            Err(e) => match FieldErrors::of(&e) {
                Some(f) => errors = f,
                None => return Err(PageError(e)),
            },
        }
    }
    let mut page = users_page(&state, &caller).await?;
    page.name = form.name;
    page.role = form.role;
    page.errors = errors;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The role form.
#[derive(Deserialize)]
pub struct RoleForm {
    /// The new role.
    #[serde(default)]
    pub role: String,
}

/// A row action's error: shown at the top of the users page.
async fn row_error(state: &AppState, caller: &Caller, e: ApiError) -> Result<Response, PageError> {
    let Some(f) = FieldErrors::of(&e) else {
        return Err(PageError(e));
    };
    let mut page = users_page(state, caller).await?;
    page.error = Some(
        f.0.into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join("; "),
    );
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /admin/users/{name}/role`.
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    let Ok(role) = form.role.parse::<UserRole>() else {
        return row_error(
            &state,
            &caller,
            ApiError::BadParameter {
                field: "role".into(),
                message: format!("`{}` is not a role", form.role),
            },
        )
        .await;
    };
    let result = state
        .store
        .set_role(&name, role, &caller.ctx(state.clock.now()))
        .await
        .map_err(ApiError::from);
    match result {
        Ok(_) => Ok(see_other("/admin/users", false)),
        Err(e) => row_error(&state, &caller, e).await,
    }
}

/// `POST /admin/users/{name}/disable`: never oneself.
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    if name.eq_ignore_ascii_case(&caller.principal.name) {
        return row_error(
            &state,
            &caller,
            ApiError::BadParameter {
                field: "name".into(),
                message: "you cannot disable your own account".into(),
            },
        )
        .await;
    }
    let result = state
        .store
        .disable_user(&name, &caller.ctx(state.clock.now()))
        .await
        .map_err(ApiError::from);
    match result {
        Ok(_) => Ok(see_other("/admin/users", false)),
        Err(e) => row_error(&state, &caller, e).await,
    }
}

/// `POST /admin/users/{name}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    state
        .store
        .enable_user(&name, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other("/admin/users", false))
}

/// One token as listed for admins.
pub struct AdminTokenRow {
    /// Id, for revocation.
    pub id: Uuid,
    /// Owner.
    pub user: String,
    /// Name.
    pub name: String,
    /// Scope.
    pub scope: &'static str,
    /// Created.
    pub created: String,
    /// Expires, or "never".
    pub expires: String,
    /// Last used, or "never".
    pub last_used: String,
    /// `Active`, `Expired` or `Revoked`.
    pub state: &'static str,
}

impl AdminTokenRow {
    fn of(t: ApiToken, now: DateTime<Utc>) -> Self {
        let state = if t.revoked {
            "Revoked"
        } else if t.expires_at.is_some_and(|e| e <= now) {
            "Expired"
        } else {
            "Active"
        };
        Self {
            id: t.id,
            user: t.user,
            name: t.name,
            scope: t.scope.label(),
            created: t.created_at.format("%Y-%m-%d").to_string(),
            expires: t
                .expires_at
                .map_or_else(|| "never".to_owned(), |d| d.format("%Y-%m-%d").to_string()),
            last_used: t.last_used_at.map_or_else(
                || "never".to_owned(),
                |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
            state,
        }
    }
}

/// The tokens page.
#[derive(Template)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    /// Layout.
    pub layout: Layout,
    /// Every token.
    pub tokens: Vec<AdminTokenRow>,
}

/// `GET /admin/tokens`.
pub async fn tokens(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    let now = state.clock.now();
    let tokens = state
        .store
        .tokens(None)
        .await?
        .into_iter()
        .map(|t| AdminTokenRow::of(t, now))
        .collect();
    let page = TokensPage {
        layout: Layout::of(&caller, "API tokens", "admin").await?,
        tokens,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /admin/tokens/{id}/revoke`: revokes anyone's token.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id: Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("token {raw}")))?;
    state
        .store
        .revoke_token(id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other("/admin/tokens", false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit_page(broken: Option<(i64, String)>) -> AuditPage {
        AuditPage {
            layout: Layout::anonymous("Audit trail"),
            q: AuditQuery::default(),
            errors: FieldErrors::default(),
            intact: broken.is_none(),
            entries: 12,
            head: "abc123".into(),
            broken,
            rows: Vec::new(),
            total: 0,
            page: 1,
            pages: 1,
            prev_url: None,
            next_url: None,
        }
    }

    #[test]
    fn the_chain_check_is_shown_intact_or_broken_as_an_alert() {
        let html = audit_page(None).render().unwrap_or_default();
        assert!(html.contains("Chain intact: 12 entries, head <code class=\"wrap\">abc123</code>"));
        assert!(!html.contains("Chain broken"));
        let html = audit_page(Some((7, "hash <mismatch>".into())))
            .render()
            .unwrap_or_default();
        assert!(
            html.contains(
                "<p class=\"alert chain-status\" role=\"alert\">Chain broken at entry 7: hash &#60;mismatch&#62;</p>"
            ),
            "{html}"
        );
        assert!(!html.contains("Chain intact"));
    }
}
