//! The API's one error type and its mapping to HTTP.
//!
//! A handler returns [`ApiError`]; [`ApiError::into_response`] sets the
//! status and leaves the error in the response's extensions, and the
//! request-id middleware renders the JSON body with the request id in it.
//! Internal causes are logged with that id; the client gets a generic
//! message it can quote to an operator.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use debrief_core::input::InputError;
use debrief_core::{FieldError, ValidationErrors};
use debrief_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Everything that can go wrong in a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// The request's content does not fit: one or more named fields.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// A path or query parameter is wrong.
    #[error("{field}: {message}")]
    BadParameter {
        /// The parameter.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than the server accepts.
    #[error("the request body is too large (at most {} MiB)", crate::routes::BODY_LIMIT / (1024 * 1024))]
    TooLarge,
    /// The body is not `application/json`.
    #[error("expected a JSON body with Content-Type: application/json")]
    UnsupportedMediaType,
    /// No valid credentials: sign in, or send a valid token.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but a second factor is still needed.
    #[error("a second factor is required: POST /api/v1/auth/mfa")]
    MfaRequired,
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts; try again later.
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Nothing at that address.
    #[error("{0} not found")]
    NotFound(String),
    /// A resource with that identity exists already.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The write named a version that is no longer current. `precondition`
    /// tells an `If-Match` header (412) from a version in the body (409).
    #[error(
        "the incident changed since version {expected} (it is now at version {actual}); reload it and apply your change again"
    )]
    VersionConflict {
        /// Version the client named.
        expected: i64,
        /// Version stored.
        actual: i64,
        /// True when named by `If-Match`.
        precondition: bool,
    },
    /// Something failed on our side; the cause is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

/// The JSON error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error inside [`ErrorBody`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `invalid_field`, `version_conflict`.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// The first field at fault, as a path into the request body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of this request; quote it when asking for help.
    pub request_id: String,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson { .. } | ApiError::BadParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthenticated(_) | ApiError::MfaRequired => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::AlreadyExists(_) => StatusCode::CONFLICT,
            ApiError::VersionConflict {
                precondition: true, ..
            } => StatusCode::PRECONDITION_FAILED,
            ApiError::VersionConflict {
                precondition: false,
                ..
            } => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson { .. } => "malformed_json",
            ApiError::Invalid(_) => "invalid_field",
            ApiError::BadParameter { .. } => "bad_parameter",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooLarge => "too_large",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::MfaRequired => "mfa_required",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Throttled { .. } => "throttled",
            ApiError::NotFound(_) => "not_found",
            ApiError::AlreadyExists(_) => "already_exists",
            ApiError::VersionConflict { .. } => "version_conflict",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The body, given the request id.
    pub fn body(&self, request_id: &str) -> ErrorBody {
        let errors = match self {
            ApiError::Invalid(v) => v.0.clone(),
            ApiError::BadParameter { field, message } => vec![FieldError::new(field, message)],
            _ => Vec::new(),
        };
        let message = match self {
            ApiError::Invalid(v) => v.summary(),
            ApiError::Internal(_) => {
                format!("internal error; quote request id {request_id} to your operator")
            }
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                field: errors.first().map(|e| e.field.clone()),
                errors,
                request_id: request_id.to_owned(),
            },
        }
    }

    /// Maps a store error; a version conflict from the store is reported as
    /// coming from `If-Match` when `precondition` is set.
    pub fn from_store(e: StoreError, precondition: bool) -> Self {
        match e {
            StoreError::NotFound { what } => ApiError::NotFound(what),
            StoreError::AlreadyExists { what } => ApiError::AlreadyExists(what),
            StoreError::VersionMismatch { expected, actual } => ApiError::VersionConflict {
                expected,
                actual,
                precondition,
            },
            StoreError::Invalid(v) => ApiError::Invalid(v),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from_store(e, false)
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Malformed {
                line,
                column,
                message,
            } => ApiError::MalformedJson {
                line,
                column,
                message,
            },
            InputError::Field(f) => ApiError::Invalid(f.into()),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Invalid(e)
    }
}

/// Carried in the response extensions until the request-id middleware
/// renders it.
#[derive(Debug, Clone)]
pub struct PendingError(pub std::sync::Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        if let ApiError::Throttled { retry_after_secs } = &self
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res.extensions_mut()
            .insert(PendingError(std::sync::Arc::new(self)));
        res
    }
}
