//! The one route table of the service.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, put};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{categories, health, incidents, sections};
use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::{AppState, request_id};

/// Largest request body accepted: a whole imported post-mortem with a long
/// timeline fits; anything bigger is refused with 413 before it is read.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Builds the application: every route, its middleware and its state.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/categories", get(categories::list).post(categories::add))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route(
            "/incidents/{key}",
            get(incidents::get)
                .patch(incidents::patch)
                .delete(incidents::delete),
        )
        .route("/incidents/{key}/markdown", get(incidents::markdown))
        .route("/incidents/{key}/fishbone", put(sections::fishbone))
        .route(
            "/incidents/{key}/communications",
            put(sections::communications),
        )
        .route(
            "/incidents/{key}/{section}",
            axum::routing::post(sections::add),
        )
        .route("/incidents/{key}/{section}/order", put(sections::reorder))
        .route(
            "/incidents/{key}/{section}/{id}",
            put(sections::update).delete(sections::remove),
        );

    Router::new()
        .route("/healthz", get(health::healthz))
        .nest("/api/v1", api)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
        .fallback(|| async { ApiError::NotFound("route".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(request_id::middleware))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
