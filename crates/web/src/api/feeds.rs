//! Calendar feeds of action-item due dates: one's own feeds under
//! `/api/v1/me/feeds`, and the feed itself at `GET /feeds/{token}`.
//!
//! The feed URL is public in the route table (`Policy::Public`) because
//! calendar apps cannot sign in: the token in the path is the credential.
//! An unknown, malformed or revoked token, and the feed of a disabled user,
//! all answer the same 404. What the feed shows is decided at each fetch
//! with the owner's current access ([`debrief_store::feeds`]). The answer
//! is `Cache-Control: private, no-store`, so no shared proxy keeps a copy
//! of a possibly restricted calendar, and `Referrer-Policy: no-referrer`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use debrief_core::tracker::{ExportFilter, tracker_items};
use debrief_store::feeds::{CalendarFeed, FeedAccess, FeedScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::api::tracker::link_base;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// The domain of the events' UIDs; stable, so calendars update events.
const UID_DOMAIN: &str = "debrief.local";

/// A feed to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    /// `person` (items by owner) or `team` (items by team).
    pub scope: FeedScope,
    /// The person's or team's name, as written on the action items.
    pub subject: String,
}

/// A created feed: the URL holds the token and is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedFeed {
    /// The feed's record.
    #[serde(flatten)]
    pub feed: CalendarFeed,
    /// The address to subscribe to in a calendar app; it is the credential.
    pub url: String,
}

/// The address of a feed with `token`.
pub fn feed_url(base: &str, token: &str) -> String {
    format!("{base}/feeds/{token}")
}

/// The caller's calendar feeds, revoked ones included.
#[utoipa::path(get, path = "/api/v1/me/feeds", tag = "feeds",
    responses((status = 200, body = Vec<CalendarFeed>)))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CalendarFeed>>, ApiError> {
    Ok(Json(state.store.feeds(caller.principal.user_id).await?))
}

/// Creates a calendar feed of the due dates of one person's or one team's
/// open action items, as far as the caller may see them.
#[utoipa::path(post, path = "/api/v1/me/feeds", tag = "feeds", request_body = NewFeed,
    responses((status = 201, body = CreatedFeed), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewFeed>,
) -> Result<(StatusCode, Json<CreatedFeed>), ApiError> {
    let (feed, secret) = state
        .store
        .create_feed(
            caller.principal.user_id,
            body.scope,
            &body.subject,
            &caller.ctx(state.clock.now()),
        )
        .await?;
    let url = feed_url(&link_base(&state, &headers), secret.expose());
    Ok((StatusCode::CREATED, Json(CreatedFeed { feed, url })))
}

/// Revokes one of the caller's feeds; calendars polling it get 404 from
/// now on. Another user's feed is not found.
#[utoipa::path(delete, path = "/api/v1/me/feeds/{id}", tag = "feeds",
    params(("id" = Uuid, Path, description = "Feed id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("feed {raw}")))?;
    state
        .store
        .revoke_feed(caller.principal.user_id, id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calendar's name as apps show it.
fn calendar_name(access: &FeedAccess) -> String {
    match access.feed.scope {
        FeedScope::Person => format!("debrief: action items of {}", access.feed.subject),
        FeedScope::Team => format!("debrief: action items of team {}", access.feed.subject),
    }
}

/// The feed: an iCalendar with one all-day event per open action item
/// that is due, owned by the feed's person or team, in incidents the
/// feed's owner may see now. No sign-in: the token is the credential.
#[utoipa::path(get, path = "/feeds/{token}", tag = "feeds",
    params(("token" = String, Path, description = "The feed's secret token")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
pub async fn fetch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let access = state
        .store
        .feed_for_token(&token, now)
        .await?
        .ok_or_else(|| ApiError::NotFound("feed".into()))?;
    let docs = state
        .store
        .headers_and_action_items(&access.visibility)
        .await?;
    let subject = Some(access.feed.subject.clone());
    let filter = match access.feed.scope {
        FeedScope::Person => ExportFilter {
            owner: subject,
            ..ExportFilter::default()
        },
        FeedScope::Team => ExportFilter {
            team: subject,
            ..ExportFilter::default()
        },
    };
    let items = tracker_items(&docs, &filter, &link_base(&state, &headers));
    let ics =
        debrief_report::calendar::due_dates_ics(&calendar_name(&access), &items, UID_DOMAIN, now);
    Ok((
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (CACHE_CONTROL, "private, no-store"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        ics,
    )
        .into_response())
}
