//! `/actions/tracker`: the bridge to an external tracker in the browser.
//! Export links (Jira CSV, JSON) with optional filters, and the import of
//! status updates from a tracker's CSV.
//!
//! Decision: the import form is a textarea the CSV is pasted into, sent
//! as an ordinary form. That needs no multipart parsing and no JavaScript,
//! and the guard reads the CSRF token from the form like on every page
//! (form bodies up to 1 MiB). Files larger than that go through
//! `POST /api/v1/action-items/import` or `debrief actions import`.
//! The result page lists what changed, or every problem by line and
//! column with the pasted text kept for fixing; nothing is applied then.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use debrief_core::FieldError;
use debrief_core::access::{Action, Decision, decide};
use debrief_store::tracker::TrackerImport;
use serde::Deserialize;

use super::{Layout, PageError, render};
use crate::AppState;
use crate::api::tracker::import_csv;
use crate::auth::Caller;
use crate::error::ApiError;

/// The tracker page.
#[derive(Template)]
#[template(path = "tracker.html")]
pub struct TrackerPage {
    /// Layout.
    pub layout: Layout,
    /// Whether the caller may import (edit incidents).
    pub can_import: bool,
    /// The pasted CSV, kept when it had problems.
    pub csv: String,
    /// What the last import changed.
    pub result: Option<TrackerImport>,
    /// Every problem of the last import, by line and column.
    pub problems: Vec<FieldError>,
}

async fn page(caller: &Caller) -> Result<TrackerPage, PageError> {
    Ok(TrackerPage {
        layout: Layout::of(caller, "Trackers and calendars", "actions").await?,
        can_import: decide(&caller.principal, Action::EditIncident, None) == Decision::Allow,
        csv: String::new(),
        result: None,
        problems: Vec::new(),
    })
}

/// `GET /actions/tracker`.
pub async fn show(caller: Caller) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &page(&caller).await?))
}

/// The import form.
#[derive(Deserialize)]
pub struct ImportForm {
    /// The CSV, pasted.
    #[serde(default)]
    pub csv: String,
}

/// `POST /actions/tracker/import`: applies the pasted CSV, all or nothing.
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let mut p = page(&caller).await?;
    match import_csv(&state, &caller, form.csv.as_bytes()).await {
        Ok(result) => {
            p.result = Some(result);
            Ok(render(StatusCode::OK, &p))
        }
        Err(ApiError::Invalid(errs)) => {
            p.problems = errs.0;
            p.csv = form.csv;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(PageError(e)),
    }
}
