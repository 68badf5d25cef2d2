//! Outbound webhooks for action items (admins only, `ManageIntegrations`):
//! register, list, remove, read the delivery log and queue a test event.
//!
//! The signing secret is in the answer to `POST /api/v1/webhooks` and
//! nowhere else: listing never returns it. Delivery itself happens in the
//! background (crate `debrief-notify`); these handlers only write rows, so
//! a slow or broken target never slows a request down.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_core::notify::EventKind;
use debrief_store::{Delivery, NewWebhook, Secret, Webhook, WebhookFormat};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, JsonBody};

/// A webhook to register. No `Debug`: it holds the secret, which must
/// never reach a log.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// A name for people, e.g. "#sec-actions on Slack".
    pub name: String,
    /// Where deliveries are POSTed: an `http://` or `https://` URL.
    pub url: String,
    /// Payload shape; `generic` when absent.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Event kinds to receive; all four (`due_soon`, `overdue`,
    /// `completed`, `reopened`) when absent.
    #[serde(default)]
    pub events: Option<Vec<EventKind>>,
    /// The signing secret (16 to 256 characters); 32 random bytes are
    /// generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A registered webhook: the signing secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook's record.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The secret that signs every delivery (`X-Debrief-Signature`).
    pub secret: String,
}

/// A queued test event.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedTest {
    /// The event's id; its delivery shows up in the delivery log.
    pub event_id: Uuid,
}

/// Paging of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Deliveries to return, newest first (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u64>,
}

fn webhook_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::BadParameter {
        field: "id".into(),
        message: format!("`{raw}` is not a UUID"),
    })
}

/// Every webhook (without secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(state.store.webhooks().await?))
}

/// Registers a webhook; the answer holds the signing secret, shown once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhookBody,
    responses((status = 201, body = CreatedWebhook), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewWebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let new = NewWebhook {
        name: body.name,
        url: body.url,
        format: body.format,
        events: body
            .events
            .unwrap_or_else(|| EventKind::SUBSCRIBABLE.to_vec()),
        secret: body.secret.map(Secret::new),
    };
    let (webhook, secret) = state
        .store
        .create_webhook(new, &caller.ctx(state.clock.now()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook,
            secret: secret.expose().to_owned(),
        }),
    ))
}

/// Removes a webhook; its pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_webhook(webhook_id(&raw)?, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log of a webhook, newest first, each delivery with every
/// attempt (status code or error).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"), LogQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let id = webhook_id(&raw)?;
    Ok(Json(
        state
            .store
            .webhook_deliveries(id, q.limit.unwrap_or(100))
            .await?,
    ))
}

/// Queues a `test` event for this webhook only; it is sent by the
/// background dispatcher within seconds and shows up in the delivery log.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 202, body = QueuedTest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<QueuedTest>), ApiError> {
    let event_id = state
        .store
        .queue_test_event(webhook_id(&raw)?, &caller.ctx(state.clock.now()))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedTest { event_id })))
}
