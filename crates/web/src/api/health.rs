//! `GET /healthz`: the process is up and its database answers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;

/// Health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the response is 200.
    pub status: &'static str,
}

/// Liveness and database reachability; the floor for API benchmarks.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Health), (status = 500, body = crate::error::ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ok" }))
}
