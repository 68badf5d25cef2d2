//! The managed list of incident categories.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Name, e.g. "Authentication Bypass".
    pub name: String,
}

/// Every category, sorted.
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", responses((status = 200, body = Vec<String>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(state.store.categories().await?))
}

/// Adds a category (idempotent).
#[utoipa::path(post, path = "/api/v1/categories", tag = "categories", request_body = NewCategory,
    responses((status = 201, description = "Added (or already present)"), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewCategory>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .add_category(&body.name, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::CREATED)
}
