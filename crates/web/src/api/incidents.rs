//! Incidents: list, create, read the whole post-mortem, patch the header,
//! delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_core::{
    IncidentPatch, IncidentStatus, NewIncident, PostMortem, PostmortemType, Severity,
};
use debrief_store::{IncidentFilter, IncidentSummary, Page, SortOrder, Visibility};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, IfMatch, JsonBody, etag, key};
use crate::routes::CurrentVersion;

/// Filters, sort and paging for the incident list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Incident status.
    pub status: Option<IncidentStatus>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Category, exactly.
    pub category: Option<String>,
    /// Post-mortem type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<PostmortemType>,
    /// Text to find in the key, title or summary (case-insensitive).
    pub q: Option<String>,
    /// Detected at or after this instant (RFC 3339 with time zone).
    pub detected_from: Option<String>,
    /// Detected before this instant (RFC 3339 with time zone).
    pub detected_to: Option<String>,
    /// `-detected` (default), `detected`, `-updated`, `severity` or `key`.
    pub sort: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u64>,
    /// Items to skip.
    pub offset: Option<u64>,
}

fn instant(
    field: &str,
    v: Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    v.map(|s| debrief_core::time::parse_instant(&s))
        .transpose()
        .map_err(|message| ApiError::BadParameter {
            field: field.into(),
            message,
        })
}

impl ListParams {
    fn into_filter(self) -> Result<IncidentFilter, ApiError> {
        let sort = match self.sort.as_deref() {
            None | Some("-detected") => SortOrder::DetectedDesc,
            Some("detected") => SortOrder::DetectedAsc,
            Some("-updated") => SortOrder::UpdatedDesc,
            Some("severity") => SortOrder::Severity,
            Some("key") => SortOrder::Key,
            Some(other) => {
                return Err(ApiError::BadParameter {
                    field: "sort".into(),
                    message: format!(
                        "`{other}` is not one of: -detected, detected, -updated, severity, key"
                    ),
                });
            }
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::BadParameter {
                field: "limit".into(),
                message: format!("{limit} is outside 1-500"),
            });
        }
        Ok(IncidentFilter {
            status: self.status,
            severity: self.severity,
            category: self.category,
            types: self.kind,
            q: self.q.filter(|q| !q.trim().is_empty()),
            detected_from: instant("detected_from", self.detected_from)?,
            detected_to: instant("detected_to", self.detected_to)?,
            sort,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// Which incidents the caller may see in lists: restricted incidents only
/// for their members, admins and auditors.
pub(crate) fn visibility(caller: &Caller) -> Visibility {
    if caller.principal.role.sees_all_incidents() {
        Visibility::All
    } else {
        Visibility::User(caller.principal.user_id)
    }
}

/// A whole post-mortem with its ETag.
pub(crate) fn document(status: StatusCode, doc: &PostMortem) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&etag(doc.version)) {
        headers.insert(ETAG, v);
    }
    (status, headers, Json(doc)).into_response()
}

/// Lists incidents (summaries), filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(ListParams),
    responses((status = 200, body = Page<IncidentSummary>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<IncidentSummary>>, ApiError> {
    let visibility = visibility(&caller);
    Ok(Json(
        state
            .store
            .list(&params.into_filter()?, &visibility)
            .await?,
    ))
}

/// Creates an incident; the key is generated (`INC-YYYY-NNNN`) when absent.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses((status = 201, body = PostMortem, description = "Created; `Location` names it, `ETag` is its version"),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewIncident>,
) -> Result<Response, ApiError> {
    let doc = state
        .store
        .create_incident(input, &caller.ctx(state.clock.now()))
        .await?;
    let mut res = document(StatusCode::CREATED, &doc);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/incidents/{}", doc.key)) {
        res.headers_mut().insert(LOCATION, v);
    }
    Ok(res)
}

/// The whole post-mortem of one incident.
#[utoipa::path(get, path = "/api/v1/incidents/{key}", tag = "incidents",
    params(("key" = String, Path, description = "Incident key, e.g. INC-2025-1128")),
    responses((status = 200, body = PostMortem), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    current: Option<axum::Extension<CurrentVersion>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let key = key(&raw)?;
    let tag = current.map(|axum::Extension(CurrentVersion(v))| v);
    // A client that holds this version already gets 304 and no body.
    if let Some(v) = tag
        && headers.get(IF_NONE_MATCH).and_then(|h| h.to_str().ok()) == Some(etag(v).as_str())
    {
        return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), v));
    }
    if let Some(v) = tag
        && let Some(body) = state.documents.get(key.as_str(), v)
    {
        return Ok(json_bytes(body, v));
    }
    let doc = state.store.get(&key).await?;
    let body =
        Bytes::from(serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.to_string()))?);
    state.documents.put(key.as_str(), doc.version, body.clone());
    Ok(json_bytes(body, doc.version))
}

fn with_etag(mut res: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

fn json_bytes(body: Bytes, version: i64) -> Response {
    let res = ([(CONTENT_TYPE, "application/json")], body).into_response();
    with_etag(res, version)
}

/// Changes the header. Send `If-Match` (the ETag) or `version` to be refused
/// rather than overwrite someone else's change.
#[utoipa::path(patch, path = "/api/v1/incidents/{key}", tag = "incidents", request_body = IncidentPatch,
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = PostMortem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    IfMatch(if_match): IfMatch,
    JsonBody(patch): JsonBody<IncidentPatch>,
) -> Result<Response, ApiError> {
    let key = key(&raw)?;
    let (expected, precondition) = match (if_match, patch.version) {
        (Some(v), _) => (Some(v), true),
        (None, v) => (v, false),
    };
    let doc = state
        .store
        .patch_incident(&key, patch, expected, &caller.ctx(state.clock.now()))
        .await
        .map_err(|e| ApiError::from_store(e, precondition))?;
    Ok(document(StatusCode::OK, &doc))
}

/// Deletes an incident and its whole post-mortem.
#[utoipa::path(delete, path = "/api/v1/incidents/{key}", tag = "incidents",
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version deleted")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_incident(&key(&raw)?, expected, &caller.ctx(state.clock.now()))
        .await
        .map_err(|e| ApiError::from_store(e, true))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The post-mortem as Markdown, in the order of the review.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/markdown", tag = "incidents",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 404, body = ErrorBody)))]
pub async fn markdown(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw)?).await?;
    let text = debrief_report::markdown(&doc);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/markdown; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
