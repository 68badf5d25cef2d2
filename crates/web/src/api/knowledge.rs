//! The knowledge base as JSON: the categories with their incident counts,
//! one category's entry (built by `debrief_core::knowledge::entry` from
//! the post-mortems the caller may see) with its curated notes, and the
//! notes' write.
//!
//! Notes are Markdown. They are rendered with comrak with raw HTML off
//! (raw HTML in the Markdown is dropped, dangerous link schemes such as
//! `javascript:` are removed) and the result is then cleaned by ammonia's
//! allow-list (which also adds `rel="noopener noreferrer"` to links): two
//! independent layers, so a gap in one is not a hole. Only that cleaned
//! HTML is ever inserted into a page unescaped.

use axum::Json;
use axum::extract::{Path, State};
use debrief_core::knowledge::{self, KnowledgeEntry};
use debrief_store::{CategoryCount, KnowledgeNote};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::incidents::visibility;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;

/// Markdown to safe HTML (see the module documentation).
pub fn render_markdown(md: &str) -> String {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.strikethrough = true;
    o.extension.autolink = true;
    o.render.r#unsafe = false;
    let html = comrak::markdown_to_html(md, &o);
    ammonia::clean(&html)
}

/// The categories.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryList {
    /// Every category, with the incidents the caller may see in it.
    pub categories: Vec<CategoryCount>,
}

/// One category's knowledge-base entry and its notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnowledgeView {
    /// The entry, built from the incidents the caller may see.
    pub entry: KnowledgeEntry,
    /// The curated notes, if any.
    pub notes: Option<KnowledgeNote>,
    /// The notes rendered to sanitised HTML.
    pub notes_html: Option<String>,
}

/// The body of a notes write.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesInput {
    /// Markdown; empty deletes the notes.
    pub body: String,
}

/// The entry of `category` with its notes, for the API and the page.
pub async fn view(
    state: &AppState,
    caller: &Caller,
    category: &str,
) -> Result<KnowledgeView, ApiError> {
    if !state.store.category_exists(category).await? {
        return Err(ApiError::NotFound(format!("category {category}")));
    }
    let docs = state
        .store
        .category_documents(&visibility(caller), category)
        .await?;
    let notes = state.store.knowledge_note(category).await?;
    Ok(KnowledgeView {
        entry: knowledge::entry(category, &docs),
        notes_html: notes.as_ref().map(|n| render_markdown(&n.body)),
        notes,
    })
}

/// Every category with the number of incidents in it the caller may see,
/// and the latest detection among them.
#[utoipa::path(get, path = "/api/v1/knowledge", tag = "knowledge",
    responses((status = 200, body = CategoryList)))]
pub async fn categories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CategoryList>, ApiError> {
    Ok(Json(CategoryList {
        categories: state
            .store
            .knowledge_categories(&visibility(&caller))
            .await?,
    }))
}

/// One category's entry: total incidents, last occurrence, common root
/// causes with counts, effective and failed mitigations, lessons learned,
/// related incidents (the rules are in `debrief_core::knowledge`), and the
/// curated notes. Built only from the incidents the caller may see.
#[utoipa::path(get, path = "/api/v1/knowledge/{category}", tag = "knowledge",
    params(("category" = String, Path, description = "The category, e.g. `Authentication Bypass`")),
    responses((status = 200, body = KnowledgeView), (status = 404, body = ErrorBody)))]
pub async fn entry(
    State(state): State<AppState>,
    caller: Caller,
    Path(category): Path<String>,
) -> Result<Json<KnowledgeView>, ApiError> {
    Ok(Json(view(&state, &caller, &category).await?))
}

/// Writes the curated notes of a category (Markdown, at most 50,000
/// characters); an empty body deletes them. Audited as `knowledge.notes`.
#[utoipa::path(put, path = "/api/v1/knowledge/{category}/notes", tag = "knowledge",
    params(("category" = String, Path, description = "The category")),
    request_body = NotesInput,
    responses((status = 200, body = KnowledgeView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_notes(
    State(state): State<AppState>,
    caller: Caller,
    Path(category): Path<String>,
    JsonBody(input): JsonBody<NotesInput>,
) -> Result<Json<KnowledgeView>, ApiError> {
    state
        .store
        .set_knowledge_note(&category, &input.body, &caller.ctx(state.clock.now()))
        .await?;
    Ok(Json(view(&state, &caller, &category).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_formatting_and_drops_anything_active() {
        let html = render_markdown(
            "**Use keys**\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [ok](https://example.com)",
        );
        assert!(html.contains("<strong>Use keys</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
    }
}
