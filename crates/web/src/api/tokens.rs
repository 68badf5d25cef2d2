//! API tokens: one's own, and (for admins) everyone's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_core::access::Scope;
use debrief_store::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for, e.g. "SIEM export job".
    pub name: String,
    /// What it may do; `read` when absent.
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Days until it expires; never when absent.
    #[serde(default)]
    pub expires_days: Option<u32>,
}

/// A created token: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token's record.
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret; send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The caller's tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "tokens", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(
        state.store.tokens(Some(&caller.principal.name)).await?,
    ))
}

/// Creates a token for the caller. A token never does more than its user's role allows.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    // A token may not mint a token wider than itself.
    let scope = body.scope.unwrap_or(Scope::Read);
    if let Some(own) = caller.principal.scope
        && scope > own
    {
        return Err(ApiError::Forbidden(format!(
            "a `{own}` token cannot create a `{scope}` token"
        )));
    }
    let (token, secret) = state
        .store
        .create_token(
            &caller.principal.name,
            &body.name,
            scope,
            body.expires_days,
            &caller.ctx(state.clock.now()),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            secret: secret.expose().to_owned(),
        }),
    ))
}

fn token_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::BadParameter {
        field: "id".into(),
        message: format!("`{raw}` is not a UUID"),
    })
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "tokens",
    params(("id" = Uuid, Path, description = "Token id")), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_mine(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = token_id(&raw)?;
    let mine = state.store.tokens(Some(&caller.principal.name)).await?;
    if !mine.iter().any(|t| t.id == id) {
        return Err(ApiError::NotFound(format!("token {id}")));
    }
    state
        .store
        .revoke_token(id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every token of every user.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn all(State(state): State<AppState>) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.store.tokens(None).await?))
}

/// Revokes any token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = Uuid, Path, description = "Token id")), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_any(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_token(token_id(&raw)?, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
