//! The OpenAPI document, served at `/api/openapi.json`.

use utoipa::OpenApi;

use crate::api::{categories, health, incidents, sections};

/// The API's description, assembled from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "debrief", description = "Security incident post-mortems: the whole record of an incident, its analysis and its follow-through."),
    paths(
        health::healthz,
        categories::list, categories::add,
        incidents::list, incidents::create, incidents::get, incidents::patch, incidents::delete, incidents::markdown,
        sections::add, sections::update, sections::remove, sections::reorder, sections::fishbone, sections::communications,
    ),
    components(schemas(crate::error::ErrorBody, debrief_core::PostMortem)),
    tags(
        (name = "incidents", description = "Incidents and their whole post-mortem"),
        (name = "sections", description = "Timeline, analysis, findings, action items, communications and lessons"),
        (name = "categories", description = "The managed list of incident categories"),
        (name = "meta", description = "Health"),
    )
)]
pub struct ApiDoc;
