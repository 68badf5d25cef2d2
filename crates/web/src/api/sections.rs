//! The sections of a post-mortem as nested resources: timeline entries,
//! 5 Whys chains, root causes, fishbone causes, FMEA rows, findings, action
//! items and lessons (create, replace, delete, reorder), plus the fishbone
//! frame and the communications (replaced whole).
//!
//! Every write names the incident version it was made against with
//! `If-Match`; a stale one is refused with 412 and nothing is written.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::ETAG;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_core::input::from_json_slice;
use debrief_core::{
    ActionItem, Communications, Finding, FishboneCause, FiveWhys, FmeaRow, Lesson, PostMortem,
    RootCause, TimelineEntry,
};
use debrief_store::{Section, SectionItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::api::incidents::document;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IfMatch, JsonBody, RawJson, etag, key};

/// Any section item; which one is named by the `{section}` path segment.
/// (Documentation only: the server reads the body as the section's type.)
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AnySectionItem {
    /// `timeline`
    Timeline(TimelineEntry),
    /// `five_whys`
    FiveWhys(FiveWhys),
    /// `root_causes`
    RootCause(RootCause),
    /// `fishbone_causes`
    FishboneCause(FishboneCause),
    /// `fmea`
    Fmea(FmeaRow),
    /// `went_well` and `went_wrong`
    Finding(Finding),
    /// `action_items`
    ActionItem(ActionItem),
    /// `lessons`
    Lesson(Lesson),
}

/// The result of writing one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemWritten {
    /// The item's id.
    pub id: Uuid,
    /// The incident's version after the write.
    pub version: i64,
    /// The item as stored, with computed fields filled in.
    #[schema(value_type = AnySectionItem)]
    pub item: serde_json::Value,
}

/// A new order for a section.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    /// Every id of the section, in the new order.
    pub ids: Vec<Uuid>,
}

/// The fishbone's head and bones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FishboneFrame {
    /// The effect at the head.
    #[serde(default)]
    pub effect: Option<String>,
    /// Category bones in drawing order.
    pub categories: Vec<String>,
}

fn section(raw: &str) -> Result<Section, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("section `{raw}`")))
}

fn parse_item(section: Section, body: &[u8]) -> Result<SectionItem, ApiError> {
    Ok(match section {
        Section::Timeline => SectionItem::Timeline(from_json_slice(body)?),
        Section::FiveWhys => SectionItem::FiveWhys(from_json_slice(body)?),
        Section::RootCauses => SectionItem::RootCause(from_json_slice(body)?),
        Section::FishboneCauses => SectionItem::FishboneCause(from_json_slice(body)?),
        Section::Fmea => SectionItem::Fmea(from_json_slice(body)?),
        Section::WentWell => SectionItem::WentWell(from_json_slice(body)?),
        Section::WentWrong => SectionItem::WentWrong(from_json_slice(body)?),
        Section::ActionItems => SectionItem::ActionItem(from_json_slice(body)?),
        Section::Lessons => SectionItem::Lesson(from_json_slice(body)?),
    })
}

/// Finds one item of a document as JSON.
fn item_json(doc: &PostMortem, section: Section, id: Uuid) -> Option<serde_json::Value> {
    fn pick<T: Serialize>(
        items: &[T],
        id: Uuid,
        id_of: impl Fn(&T) -> Uuid,
    ) -> Option<serde_json::Value> {
        items
            .iter()
            .find(|i| id_of(i) == id)
            .and_then(|i| serde_json::to_value(i).ok())
    }
    match section {
        Section::Timeline => pick(&doc.timeline, id, |i| i.id),
        Section::FiveWhys => pick(&doc.five_whys, id, |i| i.id),
        Section::RootCauses => pick(&doc.root_causes, id, |i| i.id),
        Section::FishboneCauses => pick(&doc.fishbone.causes, id, |i| i.id),
        Section::Fmea => pick(&doc.fmea, id, |i| i.id),
        Section::WentWell => pick(&doc.findings.went_well, id, |i| i.id),
        Section::WentWrong => pick(&doc.findings.went_wrong, id, |i| i.id),
        Section::ActionItems => pick(&doc.action_items, id, |i| i.id),
        Section::Lessons => pick(&doc.lessons, id, |i| i.id),
    }
}

fn written(status: StatusCode, doc: &PostMortem, section: Section, id: Uuid) -> Response {
    let item = item_json(doc, section, id).unwrap_or(serde_json::Value::Null);
    let mut res = (
        status,
        Json(ItemWritten {
            id,
            version: doc.version,
            item,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(doc.version)) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

fn store_err(e: debrief_store::StoreError) -> ApiError {
    ApiError::from_store(e, true)
}

/// Adds an item to a section.
#[utoipa::path(post, path = "/api/v1/incidents/{key}/{section}", tag = "sections", request_body = AnySectionItem,
    params(("key" = String, Path, description = "Incident key"),
        ("section" = String, Path, description = "timeline, five_whys, root_causes, fishbone_causes, fmea, went_well, went_wrong, action_items or lessons"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 201, body = ItemWritten), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_key, raw_section)): Path<(String, String)>,
    IfMatch(expected): IfMatch,
    RawJson(body): RawJson,
) -> Result<Response, ApiError> {
    let (key, section) = (key(&raw_key)?, section(&raw_section)?);
    let item = parse_item(section, &body)?;
    let (doc, id) = state
        .store
        .add_item(&key, item, expected, &caller.ctx(state.clock.now()))
        .await
        .map_err(store_err)?;
    Ok(written(StatusCode::CREATED, &doc, section, id))
}

/// Replaces an item of a section.
#[utoipa::path(put, path = "/api/v1/incidents/{key}/{section}/{id}", tag = "sections", request_body = AnySectionItem,
    params(("key" = String, Path, description = "Incident key"), ("section" = String, Path, description = "Section name"),
        ("id" = Uuid, Path, description = "Item id"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = ItemWritten), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_key, raw_section, raw_id)): Path<(String, String, String)>,
    IfMatch(expected): IfMatch,
    RawJson(body): RawJson,
) -> Result<Response, ApiError> {
    let (key, section, id) = (key(&raw_key)?, section(&raw_section)?, item_id(&raw_id)?);
    let item = parse_item(section, &body)?;
    let doc = state
        .store
        .update_item(&key, id, item, expected, &caller.ctx(state.clock.now()))
        .await
        .map_err(store_err)?;
    Ok(written(StatusCode::OK, &doc, section, id))
}

/// Deletes an item of a section.
#[utoipa::path(delete, path = "/api/v1/incidents/{key}/{section}/{id}", tag = "sections",
    params(("key" = String, Path, description = "Incident key"), ("section" = String, Path, description = "Section name"),
        ("id" = Uuid, Path, description = "Item id"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_key, raw_section, raw_id)): Path<(String, String, String)>,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let (key, section, id) = (key(&raw_key)?, section(&raw_section)?, item_id(&raw_id)?);
    let doc = state
        .store
        .delete_item(&key, section, id, expected, &caller.ctx(state.clock.now()))
        .await
        .map_err(store_err)?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(doc.version)) {
        res.headers_mut().insert(ETAG, v);
    }
    Ok(res)
}

/// Puts a section's items in a new order (action items are renumbered).
#[utoipa::path(put, path = "/api/v1/incidents/{key}/{section}/order", tag = "sections", request_body = Reorder,
    params(("key" = String, Path, description = "Incident key"), ("section" = String, Path, description = "Section name"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = PostMortem), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reorder(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_key, raw_section)): Path<(String, String)>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<Reorder>,
) -> Result<Response, ApiError> {
    let (key, section) = (key(&raw_key)?, section(&raw_section)?);
    let doc = state
        .store
        .reorder(
            &key,
            section,
            body.ids,
            expected,
            &caller.ctx(state.clock.now()),
        )
        .await
        .map_err(store_err)?;
    Ok(document(StatusCode::OK, &doc))
}

/// Sets the fishbone's effect and category bones.
#[utoipa::path(put, path = "/api/v1/incidents/{key}/fishbone", tag = "sections", request_body = FishboneFrame,
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = PostMortem), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn fishbone(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_key): Path<String>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<FishboneFrame>,
) -> Result<Response, ApiError> {
    let doc = state
        .store
        .set_fishbone_frame(
            &key(&raw_key)?,
            body.effect,
            body.categories,
            expected,
            &caller.ctx(state.clock.now()),
        )
        .await
        .map_err(store_err)?;
    Ok(document(StatusCode::OK, &doc))
}

/// Replaces the communications drafts.
#[utoipa::path(put, path = "/api/v1/incidents/{key}/communications", tag = "sections", request_body = Communications,
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = PostMortem), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn communications(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_key): Path<String>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<Communications>,
) -> Result<Response, ApiError> {
    let doc = state
        .store
        .set_communications(
            &key(&raw_key)?,
            body,
            expected,
            &caller.ctx(state.clock.now()),
        )
        .await
        .map_err(store_err)?;
    Ok(document(StatusCode::OK, &doc))
}

fn item_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::BadParameter {
        field: "id".into(),
        message: format!("`{raw}` is not a UUID"),
    })
}
