//! Calendar feeds in the browser (`/account/feeds`): the caller's feeds,
//! a form to make one for a person or a team, and revocation. The feed's
//! address is shown once, right after it is made, like an API token: only
//! its hash is stored ([`debrief_store::feeds`]).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use debrief_store::feeds::{CalendarFeed, FeedScope};
use serde::Deserialize;
use uuid::Uuid;

use super::{FieldErrors, Layout, PageError, render, see_other};
use crate::AppState;
use crate::api::feeds::feed_url;
use crate::api::tracker::link_base;
use crate::auth::Caller;
use crate::error::ApiError;

/// The feeds page.
#[derive(Template)]
#[template(path = "account_feeds.html")]
pub struct FeedsPage {
    /// Layout.
    pub layout: Layout,
    /// The caller's feeds.
    pub feeds: Vec<FeedRow>,
    /// A feed just made: what it shows and its address, shown this once.
    pub created: Option<(String, String)>,
    /// Scope kept on error.
    pub scope: String,
    /// Subject kept on error.
    pub subject: String,
    /// Errors by field.
    pub errors: FieldErrors,
}

/// One feed as listed.
pub struct FeedRow {
    /// Id, for revocation.
    pub id: Uuid,
    /// "Person: Ana" or "Team: Identity".
    pub what: String,
    /// Created, as a date.
    pub created: String,
    /// Last fetched, or "never".
    pub last_used: String,
    /// Revoked.
    pub revoked: bool,
}

fn what(scope: FeedScope, subject: &str) -> String {
    match scope {
        FeedScope::Person => format!("Person: {subject}"),
        FeedScope::Team => format!("Team: {subject}"),
    }
}

impl From<CalendarFeed> for FeedRow {
    fn from(f: CalendarFeed) -> Self {
        Self {
            id: f.id,
            what: what(f.scope, &f.subject),
            created: f.created_at.format("%Y-%m-%d").to_string(),
            last_used: f.last_used_at.map_or_else(
                || "never".to_owned(),
                |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
            ),
            revoked: f.revoked_at.is_some(),
        }
    }
}

async fn feeds_page(state: &AppState, caller: &Caller) -> Result<FeedsPage, PageError> {
    let feeds = state
        .store
        .feeds(caller.principal.user_id)
        .await?
        .into_iter()
        .map(FeedRow::from)
        .collect();
    Ok(FeedsPage {
        layout: Layout::of(caller, "Calendar feeds", "account").await?,
        feeds,
        created: None,
        scope: "person".into(),
        subject: caller.principal.name.clone(),
        errors: FieldErrors::default(),
    })
}

/// `GET /account/feeds`.
pub async fn show(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &feeds_page(&state, &caller).await?))
}

/// The new-feed form.
#[derive(Deserialize)]
pub struct FeedForm {
    /// `person` or `team`.
    #[serde(default)]
    pub scope: String,
    /// The person's or team's name.
    #[serde(default)]
    pub subject: String,
}

/// `POST /account/feeds`: makes a feed and shows its address once.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Form(form): Form<FeedForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let scope = match form.scope.parse::<FeedScope>() {
        Ok(s) => Some(s),
        Err(_) => {
            errors.push("scope", "choose a person or a team");
            None
        }
    };
    if form.subject.trim().is_empty() {
        errors.push("subject", "name the person or the team");
    }
    if errors.is_empty()
        && let Some(scope) = scope
    {
        let result = state
            .store
            .create_feed(
                caller.principal.user_id,
                scope,
                &form.subject,
                &caller.ctx(state.clock.now()),
            )
            .await
            .map_err(ApiError::from);
        match result {
            Ok((feed, secret)) => {
                let mut page = feeds_page(&state, &caller).await?;
                page.created = Some((
                    what(feed.scope, &feed.subject),
                    feed_url(&link_base(&state, &headers), secret.expose()),
                ));
                return Ok(render(StatusCode::CREATED, &page));
            }
            Err(e) => match FieldErrors::of(&e) {
                Some(f) => errors = f,
                None => return Err(PageError(e)),
            },
        }
    }
    let mut page = feeds_page(&state, &caller).await?;
    page.scope = form.scope;
    page.subject = form.subject;
    page.errors = errors;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /account/feeds/{id}/revoke`: revokes one of the caller's feeds.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id: Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("feed {raw}")))?;
    state
        .store
        .revoke_feed(caller.principal.user_id, id, &caller.ctx(state.clock.now()))
        .await?;
    Ok(see_other("/account/feeds", false))
}
