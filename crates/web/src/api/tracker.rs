//! Action items for external trackers: the Jira CSV and JSON exports and
//! the import of status updates from a tracker's CSV.
//!
//! - The exports hold only items of incidents the caller may see
//!   ([`Visibility::for_principal`]): restricted incidents only for their
//!   members, admins and auditors. The CSV's columns and the date format to
//!   choose in Jira's importer are documented in
//!   [`debrief_core::tracker`].
//! - The import takes the CSV as the raw request body (`text/csv`, or
//!   `text/plain` / `application/octet-stream` as curl and browsers send a
//!   file), parses the whole file and applies all of it or nothing: any
//!   problem, in the file or in matching it to action items, is a 422 that
//!   lists every problem, each with its field `line L, column C (Name)`.
//! - Links in the export are absolute, built from the request's `Host`
//!   header (https when the service sets secure cookies): the service has
//!   no configured public address, and a forged `Host` only changes the
//!   forger's own download.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use debrief_core::tracker::{
    ExportFilter, TrackerItem, jira_csv, parse_status_updates, problems_as_errors, tracker_items,
};
use debrief_store::Visibility;
use debrief_store::tracker::TrackerImport;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, key};

/// Which action items to export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Only items of this owner (case-insensitive).
    pub owner: Option<String>,
    /// Only items of this team (case-insensitive).
    pub team: Option<String>,
    /// Only items with this status, e.g. `in_progress`.
    pub status: Option<String>,
    /// Only items of this incident, e.g. `INC-2025-1128`.
    pub incident: Option<String>,
}

impl ExportParams {
    /// The filter, each bad parameter named.
    pub fn filter(&self) -> Result<ExportFilter, ApiError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = match text(&self.status) {
            None => None,
            Some(s) => Some(s.parse().map_err(|message| ApiError::BadParameter {
                field: "status".into(),
                message,
            })?),
        };
        let incident = match text(&self.incident) {
            None => None,
            Some(s) => Some(key(&s).map_err(|e| match e {
                ApiError::BadParameter { message, .. } => ApiError::BadParameter {
                    field: "incident".into(),
                    message,
                },
                other => other,
            })?),
        };
        Ok(ExportFilter {
            owner: text(&self.owner),
            team: text(&self.team),
            status,
            incident,
        })
    }
}

/// The origin links should start with: the configured public URL, else from
/// the `Host` header; empty (links relative to the server) when there is
/// none or it is not a plain host.
pub fn link_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !plain {
        return String::new();
    }
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The action items the caller may see that pass `params`.
pub async fn visible_items(
    state: &AppState,
    caller: &Caller,
    filter: &ExportFilter,
    link_base: &str,
) -> Result<Vec<TrackerItem>, ApiError> {
    let docs = state
        .store
        .headers_and_action_items(&Visibility::for_principal(&caller.principal))
        .await?;
    Ok(tracker_items(&docs, filter, link_base))
}

/// Action items as a CSV for Jira's CSV importer: one row per item with
/// Summary, Description, Issue Type, Priority, Assignee, Due Date
/// (`yyyy-MM-dd`), Labels, Component (team), Status, Resolution,
/// External ID (debrief's item id) and Issue key (the item's external
/// reference). Only items of incidents the caller may see.
#[utoipa::path(get, path = "/api/v1/action-items/export.csv", tag = "tracker", params(ExportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let items = visible_items(
        &state,
        &caller,
        &params.filter()?,
        &link_base(&state, &headers),
    )
    .await?;
    let csv = jira_csv(&items).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"debrief-action-items.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Action items as JSON: each with its incident's key, title and link.
/// Only items of incidents the caller may see.
#[utoipa::path(get, path = "/api/v1/action-items/export.json", tag = "tracker", params(ExportParams),
    responses((status = 200, body = Vec<TrackerItem>), (status = 400, body = ErrorBody)))]
pub async fn export_json(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Json<Vec<TrackerItem>>, ApiError> {
    let items = visible_items(
        &state,
        &caller,
        &params.filter()?,
        &link_base(&state, &headers),
    )
    .await?;
    Ok(Json(items))
}

/// Whether a body with these headers may be a CSV file.
fn csv_content_type(headers: &HeaderMap) -> bool {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        ct.as_str(),
        "" | "text/csv" | "application/csv" | "text/plain" | "application/octet-stream"
    )
}

/// Parses a tracker's CSV and applies it as `caller`, all or nothing.
pub async fn import_csv(
    state: &AppState,
    caller: &Caller,
    bytes: &[u8],
) -> Result<TrackerImport, ApiError> {
    let updates = parse_status_updates(bytes)
        .map_err(|problems| ApiError::Invalid(problems_as_errors(&problems)))?;
    Ok(state
        .store
        .apply_tracker_updates(
            &updates,
            Some(&caller.principal),
            &caller.ctx(state.clock.now()),
        )
        .await?)
}

/// Applies status updates from a tracker's CSV export (body: the CSV, as
/// `text/csv`). Columns are found by name: `Issue key` and `Status`
/// required, `External ID` and `Resolution` optional. Every row must name
/// one action item the caller may edit, by its external reference (or,
/// for an item without one, by `External ID`, which links it). All or
/// nothing: on any problem nothing is applied and the 422 lists every
/// problem with its line and column.
#[utoipa::path(post, path = "/api/v1/action-items/import", tag = "tracker",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = TrackerImport), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TrackerImport>, ApiError> {
    if !csv_content_type(&headers) {
        return Err(ApiError::BadParameter {
            field: "Content-Type".into(),
            message: "send the file as text/csv".into(),
        });
    }
    Ok(Json(import_csv(&state, &caller, &body).await?))
}
