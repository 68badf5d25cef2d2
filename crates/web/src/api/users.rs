//! Users and roles (admins only).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_core::access::UserRole;
use debrief_store::{NewUser, Notification, User};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// User name: letters, digits and `._-@`, at most 64.
    pub name: String,
    /// Role.
    pub role: UserRole,
    /// Initial password: at least 15 characters, not a known breached one.
    pub password: String,
}

impl std::fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// The role.
    pub role: UserRole,
}

/// Every user.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(state.store.users().await?))
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = state
        .store
        .create_user(
            NewUser {
                name: body.name,
                role: body.role,
                password: body.password,
            },
            &caller.ctx(state.clock.now()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Changes a user's role; takes effect on their next request.
#[utoipa::path(put, path = "/api/v1/users/{name}/role", tag = "users", request_body = RoleChange,
    params(("name" = String, Path, description = "User name")), responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        state
            .store
            .set_role(&name, body.role, &caller.ctx(state.clock.now()))
            .await?,
    ))
}

/// Disables a user: in one transaction every session ends, every token is
/// revoked and every restricted-incident membership is removed.
#[utoipa::path(post, path = "/api/v1/users/{name}/disable", tag = "users",
    params(("name" = String, Path, description = "User name")), responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<User>, ApiError> {
    if name.eq_ignore_ascii_case(&caller.principal.name) {
        return Err(ApiError::Forbidden(
            "you cannot disable your own account".into(),
        ));
    }
    Ok(Json(
        state
            .store
            .disable_user(&name, &caller.ctx(state.clock.now()))
            .await?,
    ))
}

/// Enables a disabled user (their old sessions and tokens stay ended).
#[utoipa::path(post, path = "/api/v1/users/{name}/enable", tag = "users",
    params(("name" = String, Path, description = "User name")), responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(
        state
            .store
            .enable_user(&name, &caller.ctx(state.clock.now()))
            .await?,
    ))
}

/// Security notifications (e.g. a backup code was used), newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "users", responses((status = 200, body = Vec<Notification>), (status = 403, body = ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
) -> Result<Json<Vec<Notification>>, ApiError> {
    Ok(Json(state.store.notifications(200).await?))
}
