//! Extractors that turn bad input into [`ApiError`]s naming the field.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use debrief_core::IncidentKey;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body read with field-precise errors (see `debrief_core::input`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let RawJson(bytes) = RawJson::from_request(req, state).await?;
        Ok(JsonBody(debrief_core::input::from_json_slice(&bytes)?))
    }
}

/// The version named by an `If-Match` header, if any. Accepts the ETag the
/// API sends (`"3"`), a weak form (`W/"3"`) and a bare number.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let bad = || ApiError::BadParameter {
            field: "If-Match".into(),
            message: "expected the incident's ETag, e.g. \"3\"".into(),
        };
        let text = v.to_str().map_err(|_| bad())?.trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse().map(|n| IfMatch(Some(n))).map_err(|_| bad())
    }
}

/// Query parameters with errors that name the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| {
                let text = e.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_owned();
                let field = message
                    .split(':')
                    .next()
                    .filter(|f| !f.contains(' '))
                    .unwrap_or("query")
                    .to_owned();
                ApiError::BadParameter { field, message }
            })
    }
}

/// Parses an incident key from the path.
pub fn key(raw: &str) -> Result<IncidentKey, ApiError> {
    IncidentKey::parse(raw).map_err(|message| ApiError::BadParameter {
        field: "key".into(),
        message,
    })
}

/// The strong ETag of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A JSON body kept as bytes, for handlers that pick the type from the path
/// (the section endpoints): the content type is checked, the content is
/// parsed by the handler.
#[derive(Debug)]
pub struct RawJson(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::BadParameter {
                        field: "(body)".into(),
                        message: e.body_text(),
                    }
                }
            })?;
        Ok(RawJson(bytes))
    }
}
