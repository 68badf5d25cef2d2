//! The guided review of one incident: response measures and targets, the
//! post-mortem process deadlines, the six steps, the checklist, the meeting
//! agenda (also as Markdown and iCalendar), the coach's findings and their
//! acknowledgements, and the fishbone as SVG.
//!
//! What is computed comes from [`debrief_core::review::report`]; what is
//! stored is the incident's [`Review`] record, replaced with `PUT .../review`
//! (agenda, process facts, checklist ticks) and added to with `POST
//! .../acknowledgements` (the server records who and when, so an
//! acknowledgement cannot be forged through the `PUT`).

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, ETAG};
use axum::response::{IntoResponse, Response};
use axum::{Json, http::HeaderValue};
use debrief_core::meeting::Agenda;
use debrief_core::process::ProcessFacts;
use debrief_core::review::{ReviewReport, report};
use debrief_core::{Acknowledgement, PostMortem, Review};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IfMatch, JsonBody, etag, key};

/// Days back the coach looks for incidents of the same category.
const RECURRENCE_DAYS: i64 = 365;

/// The guided review of `doc` now, with the recurrence count from the store.
pub async fn review_of(state: &AppState, doc: &PostMortem) -> Result<ReviewReport, ApiError> {
    let now = state.clock.now();
    let same = match &doc.category {
        Some(c) => {
            let before = doc.lifecycle.detected.or(doc.created_at).unwrap_or(now);
            Some(
                state
                    .store
                    .category_count_before(&doc.key, c, before, RECURRENCE_DAYS)
                    .await?,
            )
        }
        None => None,
    };
    Ok(report(doc, &state.guide, same, now))
}

fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}

/// The guided review: measures, targets, deadlines, steps, checklist,
/// agenda, coach findings and what blocks publishing.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/review", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, body = ReviewReport), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let r = review_of(&state, &doc).await?;
    Ok(with_etag(doc.version, Json(r)))
}

/// What `PUT .../review` replaces: everything but the acknowledgements.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// The meeting agenda; absent to keep none (the default is shown).
    #[serde(default)]
    pub agenda: Option<Agenda>,
    /// When the process steps happened.
    #[serde(default)]
    pub facts: ProcessFacts,
    /// Checklist items ticked by hand.
    #[serde(default)]
    pub checklist: BTreeSet<String>,
}

/// Replaces the agenda, the process facts and the checklist ticks; the
/// acknowledgements are kept.
#[utoipa::path(put, path = "/api/v1/incidents/{key}/review", tag = "review", request_body = ReviewInput,
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = ReviewReport), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_key): Path<String>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<ReviewInput>,
) -> Result<Response, ApiError> {
    let k = key(&raw_key)?;
    let old = state.store.get(&k).await?;
    let review = Review {
        agenda: body.agenda,
        facts: body.facts,
        checklist: body.checklist,
        acknowledgements: old.review.acknowledgements,
    };
    let ctx = caller.ctx(state.clock.now());
    let doc = state
        .store
        .set_review(&k, review, expected, &ctx)
        .await
        .map_err(|e| ApiError::from_store(e, true))?;
    let r = review_of(&state, &doc).await?;
    Ok(with_etag(doc.version, Json(r)))
}

/// An acknowledgement as sent: which finding, and why it needs no change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementInput {
    /// The finding's rule id.
    pub rule: String,
    /// The finding's field, as the finding names it.
    #[serde(default)]
    pub field: Option<String>,
    /// Why the finding needs no change.
    pub reason: String,
}

/// Records that the caller accepts a current coach finding, and why. The
/// finding must be one the coach reports now (422 naming `rule`
/// otherwise); who and when come from the request.
pub async fn acknowledge_as(
    state: &AppState,
    caller: &Caller,
    raw_key: &str,
    input: AcknowledgementInput,
    expected: Option<i64>,
) -> Result<PostMortem, ApiError> {
    let k = key(raw_key)?;
    let doc = state.store.get(&k).await?;
    let now = state.clock.now();
    let current = review_of(state, &doc).await?;
    let ack = Acknowledgement {
        rule: input.rule.trim().to_owned(),
        field: input.field.filter(|f| !f.trim().is_empty()),
        by: caller.principal.name.clone(),
        at: now,
        reason: input.reason.trim().to_owned(),
    };
    if !current.findings.iter().any(|f| ack.covers(&f.finding)) {
        let mut errs = debrief_core::ValidationErrors::default();
        errs.push(
            "rule",
            "the coach reports no such finding on this incident now",
        );
        return Err(ApiError::Invalid(errs));
    }
    let mut review = doc.review;
    review.acknowledgements.push(ack);
    state
        .store
        .set_review(&k, review, expected, &caller.ctx(now))
        .await
        .map_err(|e| ApiError::from_store(e, true))
}

/// Acknowledges a coach finding (recorded with who, when and why).
#[utoipa::path(post, path = "/api/v1/incidents/{key}/acknowledgements", tag = "review", request_body = AcknowledgementInput,
    params(("key" = String, Path, description = "Incident key"), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 201, body = ReviewReport), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_key): Path<String>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<AcknowledgementInput>,
) -> Result<Response, ApiError> {
    let doc = acknowledge_as(&state, &caller, &raw_key, body, expected).await?;
    let r = review_of(&state, &doc).await?;
    Ok(with_etag(doc.version, (StatusCode::CREATED, Json(r))))
}

/// The coach's findings on the incident now, with acknowledgements, and
/// what blocks publishing.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/checks", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, body = Checks), (status = 404, body = ErrorBody)))]
pub async fn checks(
    State(state): State<AppState>,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let r = review_of(&state, &doc).await?;
    let open_blocking = r
        .findings
        .iter()
        .filter(|f| f.finding.is_blocking() && f.acknowledgement.is_none())
        .count();
    Ok(with_etag(
        doc.version,
        Json(Checks {
            findings: r.findings,
            open_blocking,
            publish_blockers: r.publish_blockers,
        }),
    ))
}

/// The coach's view of one incident.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct Checks {
    /// Every finding, acknowledged or not.
    pub findings: Vec<debrief_core::review::CheckedFinding>,
    /// Blocking findings not acknowledged.
    pub open_blocking: usize,
    /// What keeps the post-mortem from being published.
    pub publish_blockers: Vec<String>,
}

fn download(content_type: &'static str, name: String, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The meeting agenda (stored, or the default) as Markdown, with the
/// ground rules and warnings.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/agenda.md", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 404, body = ErrorBody)))]
pub async fn agenda_md(
    State(state): State<AppState>,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let agenda = doc.agenda();
    let body = debrief_report::agenda::agenda_markdown(&doc, &agenda);
    Ok(download(
        "text/markdown; charset=utf-8",
        format!("{}-agenda.md", doc.key),
        body,
    ))
}

/// The meeting as an iCalendar invitation; the agenda needs a start time
/// (422 naming `agenda.starts_at` otherwise).
#[utoipa::path(get, path = "/api/v1/incidents/{key}/agenda.ics", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn agenda_ics(
    State(state): State<AppState>,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let agenda = doc.agenda();
    let ics = debrief_report::agenda::agenda_ics(&doc, &agenda, "debrief.local", state.clock.now())
        .map_err(|e| {
            let mut errs = debrief_core::ValidationErrors::default();
            errs.push("agenda.starts_at", e.to_string());
            ApiError::Invalid(errs)
        })?;
    Ok(download(
        "text/calendar; charset=utf-8",
        format!("{}-review.ics", doc.key),
        ics,
    ))
}

/// The fishbone diagram as SVG.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/fishbone.svg", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn fishbone_svg(
    State(state): State<AppState>,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let effect = doc.fishbone_effect();
    let svg = debrief_report::svg::fishbone(&doc.fishbone, &effect);
    Ok((
        [
            (CONTENT_TYPE, "image/svg+xml"),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        svg,
    )
        .into_response())
}

/// How many similar incidents are listed.
const SIMILAR_LIMIT: usize = 5;

/// The earlier incidents most like this one, with the reasons and whether it
/// repeats them, among those the caller may see (a restricted incident is
/// never named to a non-member).
#[utoipa::path(get, path = "/api/v1/incidents/{key}/similar", tag = "review",
    params(("key" = String, Path, description = "Incident key")),
    responses((status = 200, body = [debrief_core::similar::SimilarIncident]), (status = 404, body = ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_key): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.store.get(&key(&raw_key)?).await?;
    let visible = crate::api::incidents::visibility(&caller);
    let found: Vec<_> = state
        .store
        .similar_to(&doc, &visible, SIMILAR_LIMIT)
        .await?
        .into_iter()
        .map(|s| s.found)
        .collect();
    Ok(Json(found).into_response())
}
