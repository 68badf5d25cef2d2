//! Who may see a restricted incident.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, key};

/// An incident's access settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentAccessView {
    /// Only members (and admins and auditors) see it.
    pub restricted: bool,
    /// Members' user names.
    pub members: Vec<String>,
}

/// Restricts or opens an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRestricted {
    /// Restrict to members.
    pub restricted: bool,
}

/// A member to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// User name.
    pub name: String,
}

async fn view(state: &AppState, raw: &str) -> Result<IncidentAccessView, ApiError> {
    let key = key(raw)?;
    let restricted = state
        .store
        .is_restricted(&key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("incident {key}")))?;
    Ok(IncidentAccessView {
        restricted,
        members: state.store.members(&key).await?,
    })
}

/// The incident's access settings.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/access", tag = "access",
    params(("key" = String, Path, description = "Incident key")), responses((status = 200, body = IncidentAccessView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<IncidentAccessView>, ApiError> {
    Ok(Json(view(&state, &raw).await?))
}

/// Restricts or opens the incident; takes effect on the next request.
#[utoipa::path(put, path = "/api/v1/incidents/{key}/access", tag = "access", request_body = SetRestricted,
    params(("key" = String, Path, description = "Incident key")), responses((status = 200, body = IncidentAccessView), (status = 403, body = ErrorBody)))]
pub async fn set_restricted(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<SetRestricted>,
) -> Result<Json<IncidentAccessView>, ApiError> {
    state
        .store
        .set_restricted(&key(&raw)?, body.restricted, &caller.ctx(state.clock.now()))
        .await?;
    Ok(Json(view(&state, &raw).await?))
}

/// Adds a member.
#[utoipa::path(post, path = "/api/v1/incidents/{key}/members", tag = "access", request_body = NewMember,
    params(("key" = String, Path, description = "Incident key")), responses((status = 200, body = IncidentAccessView), (status = 404, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<NewMember>,
) -> Result<Json<IncidentAccessView>, ApiError> {
    state
        .store
        .add_member(&key(&raw)?, &body.name, &caller.ctx(state.clock.now()))
        .await?;
    Ok(Json(view(&state, &raw).await?))
}

/// Removes a member.
#[utoipa::path(delete, path = "/api/v1/incidents/{key}/members/{name}", tag = "access",
    params(("key" = String, Path, description = "Incident key"), ("name" = String, Path, description = "User name")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .remove_member(&key(&raw)?, &name, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
