//! The knowledge base in the browser: `/knowledge` lists the categories
//! with their incident counts; `/knowledge/{category}` shows the entry in
//! the seed's shape (total, last occurrence, common root causes, effective
//! and failed mitigations, lessons, related incidents), the curated notes,
//! and for editors a form to change the notes (`POST
//! /knowledge/{category}/notes`, a plain form: works without JavaScript).
//!
//! Everything comes from [`crate::api::knowledge::view`], the same call the
//! API makes, so the page shows only incidents the caller may see. The
//! notes are the one piece of HTML inserted unescaped: rendered by comrak
//! without raw HTML and cleaned by ammonia (see [`crate::api::knowledge`]).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use debrief_core::access::Action;
use debrief_core::knowledge::KnowledgeEntry;
use debrief_store::CategoryCount;
use serde::Deserialize;

use super::{FieldErrors, Layout, PageError, is_htmx, may, render, see_other};
use crate::AppState;
use crate::api::incidents::visibility;
use crate::api::knowledge::view;
use crate::auth::Caller;
use crate::error::ApiError;

/// The category index.
#[derive(Template)]
#[template(path = "knowledge.html")]
pub struct KnowledgeIndex {
    /// Layout.
    pub layout: Layout,
    /// Categories with counts.
    pub categories: Vec<CategoryRow>,
}

/// One category in the index.
pub struct CategoryRow {
    /// Name.
    pub name: String,
    /// Visible incidents.
    pub incidents: u64,
    /// Last detection day, or empty.
    pub last: String,
    /// The entry's URL.
    pub href: String,
}

impl From<CategoryCount> for CategoryRow {
    fn from(c: CategoryCount) -> Self {
        Self {
            href: format!("/knowledge/{}", path_segment(&c.name)),
            name: c.name,
            incidents: c.incidents,
            last: c
                .last_detected
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default(),
        }
    }
}

/// One category's entry page.
#[derive(Template)]
#[template(path = "knowledge_entry.html")]
pub struct EntryPage {
    /// Layout.
    pub layout: Layout,
    /// The entry.
    pub entry: KnowledgeEntry,
    /// Last occurrence as text, or empty.
    pub last: String,
    /// The notes as sanitised HTML, or empty.
    pub notes_html: String,
    /// Who last changed the notes and when, or empty.
    pub notes_by: String,
    /// The notes' Markdown, for the form.
    pub notes_body: String,
    /// Whether the caller may edit the notes.
    pub can_edit: bool,
    /// Where the notes form posts.
    pub action: String,
    /// Errors of the notes form.
    pub errors: FieldErrors,
}

/// The notes form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NotesForm {
    /// Markdown.
    pub body: String,
}

/// `GET /knowledge`.
pub async fn index(State(state): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    let categories = state
        .store
        .knowledge_categories(&visibility(&caller))
        .await?;
    let page = KnowledgeIndex {
        layout: Layout::of(&caller, "Knowledge base", "knowledge").await?,
        categories: categories.into_iter().map(Into::into).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn entry_page(
    state: &AppState,
    caller: &Caller,
    category: &str,
    form: Option<(String, FieldErrors)>,
) -> Result<EntryPage, ApiError> {
    let v = view(state, caller, category).await?;
    let (notes_body, errors) = match form {
        Some(f) => f,
        None => (
            v.notes.as_ref().map(|n| n.body.clone()).unwrap_or_default(),
            FieldErrors::default(),
        ),
    };
    Ok(EntryPage {
        layout: Layout::of(caller, category, "knowledge").await?,
        last: v
            .entry
            .last_occurrence
            .map(|d| d.to_string())
            .unwrap_or_default(),
        notes_html: v.notes_html.unwrap_or_default(),
        notes_by: v
            .notes
            .as_ref()
            .map(|n| {
                format!(
                    "{} on {}",
                    n.updated_by,
                    n.updated_at.format("%Y-%m-%d %H:%M UTC")
                )
            })
            .unwrap_or_default(),
        notes_body,
        can_edit: may(&caller.principal, Action::EditIncident),
        action: format!("/knowledge/{}/notes", path_segment(category)),
        errors,
        entry: v.entry,
    })
}

/// `GET /knowledge/{category}`.
pub async fn entry(
    State(state): State<AppState>,
    caller: Caller,
    Path(category): Path<String>,
) -> Result<Response, PageError> {
    let page = entry_page(&state, &caller, &category, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /knowledge/{category}/notes`: saves and goes back to the entry;
/// on a refusal the entry comes back with the text kept and the message
/// next to it.
pub async fn save_notes(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(category): Path<String>,
    Form(form): Form<NotesForm>,
) -> Result<Response, PageError> {
    match state
        .store
        .set_knowledge_note(&category, &form.body, &caller.ctx(state.clock.now()))
        .await
    {
        Ok(_) => {
            let to = format!("/knowledge/{}", path_segment(&category));
            Ok(see_other(&to, is_htmx(&headers)))
        }
        Err(e) => {
            let e = ApiError::from(e);
            let Some(errors) = FieldErrors::of(&e) else {
                return Err(e.into());
            };
            let page = entry_page(&state, &caller, &category, Some((form.body, errors))).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `text` percent-encoded for one path segment.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_become_one_path_segment() {
        assert_eq!(
            path_segment("Authentication Bypass"),
            "Authentication%20Bypass"
        );
        assert_eq!(path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(path_segment("Überwachung"), "%C3%9Cberwachung");
    }
}
