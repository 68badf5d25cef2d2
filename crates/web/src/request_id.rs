//! Request ids and error rendering.
//!
//! Every request gets an id (a sane incoming `X-Request-Id` is kept, so a
//! load balancer's id carries through), logged on its span and returned in
//! the `X-Request-Id` header. Error responses are rendered here, because
//! only here are both the error and the id at hand.

use axum::Json;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, PendingError};

/// The id of the current request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const HEADER: &str = "x-request-id";

fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The middleware: assigns the id, runs the request in a span, renders a
/// pending error as JSON and logs it.
pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = async {
        let res = next.run(req).await;
        match res.extensions().get::<PendingError>().cloned() {
            Some(PendingError(err)) => render(&err, &id, res),
            None => res,
        }
    }
    .instrument(span)
    .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

fn render(err: &ApiError, request_id: &str, original: Response) -> Response {
    match err {
        ApiError::Internal(cause) => tracing::error!(%cause, "request failed"),
        other => {
            tracing::info!(status = %other.status(), code = other.code(), "request refused: {other}")
        }
    }
    let (mut parts, _) = original.into_parts();
    parts.extensions.remove::<PendingError>();
    let body = Json(err.body(request_id)).into_response();
    let (body_parts, body) = body.into_parts();
    parts.headers.extend(body_parts.headers);
    Response::from_parts(parts, body)
}
