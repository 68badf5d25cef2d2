//! Reading and verifying the audit trail (auditors and admins).

use axum::Json;
use axum::extract::State;
use debrief_core::audit::{AuditEntry, Verification};
use debrief_store::{AuditFilter, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Filters for the trail.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Actor name, exactly.
    pub actor: Option<String>,
    /// Action prefix, e.g. `login.`.
    pub action: Option<String>,
    /// Object prefix, e.g. `incident:INC-2025-1128`.
    pub object: Option<String>,
    /// From this instant (RFC 3339).
    pub from: Option<String>,
    /// Before this instant (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1-1000 (default 100).
    pub limit: Option<u64>,
    /// Entries to skip.
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

/// The trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadParameter {
            field: "limit".into(),
            message: format!("{limit} is outside 1-1000"),
        });
    }
    let filter = AuditFilter {
        actor: p.actor,
        action: p.action,
        object: p.object,
        from: instant("from", p.from)?,
        to: instant("to", p.to)?,
        limit,
        offset: p.offset.unwrap_or(0),
    };
    Ok(Json(state.store.audit_list(&filter).await?))
}

/// A head hash kept outside the database, to check the tail was not cut.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// The head hash printed earlier by `debrief audit head`.
    pub head: Option<String>,
}

/// Walks the hash chain and reports the first broken link.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", params(VerifyParams),
    responses((status = 200, body = Verification), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<VerifyParams>,
) -> Result<Json<Verification>, ApiError> {
    Ok(Json(state.store.audit_verify(p.head).await?))
}
