//! The search page, `/search`: a GET form that works without JavaScript
//! (htmx only swaps the results in place), the hits best first with their
//! highlighted snippets, filters and paging.
//!
//! It parses the parameters exactly like `GET /api/v1/search`
//! ([`crate::api::search::parse`]) and searches with the caller's
//! visibility; a bad parameter is shown next to its field. The snippet is
//! rendered as parts (plain and hit) through askama's escaping, the hits
//! inside `<mark>`: no incident text is ever inserted unescaped.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_core::{IncidentStatus, Severity};
use debrief_store::search::snippet_parts;
use serde::Deserialize;

use super::incidents::Choice;
use super::{FieldErrors, Layout, PageError, choices, render};
use crate::AppState;
use crate::api::incidents::visibility;
use crate::api::search::{SearchParams, parse};
use crate::auth::Caller;

/// Hits per page.
pub const PAGE_SIZE: u64 = 20;

/// The query string: the API's parameters, all strings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    /// What to look for.
    pub q: String,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: String,
    /// First day of detection.
    pub from: String,
    /// Last day of detection.
    pub to: String,
    /// Hits skipped.
    pub offset: String,
}

impl PageQuery {
    fn params(&self) -> SearchParams {
        SearchParams {
            q: self.q.clone(),
            category: self.category.clone(),
            severity: self.severity.clone(),
            status: self.status.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: PAGE_SIZE.to_string(),
            offset: self.offset.clone(),
        }
    }

    /// This search at another offset.
    fn url(&self, offset: u64) -> String {
        let mut pairs = vec![("q", self.q.as_str())];
        for (k, v) in [
            ("category", &self.category),
            ("severity", &self.severity),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.as_str()));
            }
        }
        let offset = offset.to_string();
        if offset != "0" {
            pairs.push(("offset", offset.as_str()));
        }
        format!(
            "/search?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }

    fn filtered(&self) -> bool {
        [
            &self.category,
            &self.severity,
            &self.status,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// A run of snippet text: a hit or not.
pub struct Part {
    /// Whether it is a hit (shown in `<mark>`).
    pub hit: bool,
    /// The text, escaped by the template.
    pub text: String,
}

/// One hit as shown.
pub struct HitRow {
    /// Key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Category, or empty.
    pub category: String,
    /// Severity (machine form, for the badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Status label.
    pub status: &'static str,
    /// Detection day, or empty.
    pub detected: String,
    /// The snippet.
    pub parts: Vec<Part>,
}

/// The search page.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    /// Layout.
    pub layout: Layout,
    /// The query as given.
    pub query: PageQuery,
    /// Severity choices.
    pub severities: Vec<Choice>,
    /// Status choices.
    pub statuses: Vec<Choice>,
    /// Category choices.
    pub categories: Vec<Choice>,
    /// Problems with the parameters, by field.
    pub errors: FieldErrors,
    /// Whether a search ran (else only the form shows).
    pub searched: bool,
    /// Matches over all pages.
    pub total: u64,
    /// Whether `total` is exact (else "more than").
    pub total_exact: bool,
    /// Number of the first hit shown.
    pub first: u64,
    /// Number of the last hit shown.
    pub last: u64,
    /// The hits.
    pub rows: Vec<HitRow>,
    /// The previous page's URL.
    pub prev: Option<String>,
    /// The next page's URL.
    pub next: Option<String>,
    /// Whether any filter is set.
    pub filtered: bool,
}

/// `GET /search`.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let layout = Layout::of(&caller, "Search", "search").await?;
    let categories = state.store.categories().await?;
    let mut page = SearchPage {
        layout,
        severities: choices(
            &query.severity,
            Severity::ALL.iter().map(|s| (s.as_str(), s.label())),
        ),
        statuses: choices(
            &query.status,
            IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
        ),
        categories: choices(
            &query.category,
            categories.iter().map(|c| (c.as_str(), c.as_str())),
        ),
        errors: FieldErrors::default(),
        searched: false,
        total: 0,
        total_exact: true,
        first: 0,
        last: 0,
        rows: Vec::new(),
        prev: None,
        next: None,
        filtered: query.filtered(),
        query,
    };
    // A bare visit shows the form; a blank query with filters is an error.
    if page.query.q.trim().is_empty() && !page.filtered {
        return Ok(render(StatusCode::OK, &page));
    }
    let q = match parse(&page.query.params()) {
        Ok(q) => q,
        Err(errors) => {
            page.errors = FieldErrors(errors);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let found = state.store.search(&visibility(&caller), &q).await?;
    let shown = found.hits.len() as u64;
    page.searched = true;
    page.total = found.total;
    page.total_exact = found.total_exact;
    page.first = if shown == 0 { 0 } else { q.offset + 1 };
    page.last = q.offset + shown;
    page.prev = (q.offset > 0).then(|| page.query.url(q.offset.saturating_sub(PAGE_SIZE)));
    page.next = (page.last < found.total).then(|| page.query.url(page.last));
    page.rows = found
        .hits
        .into_iter()
        .map(|h| HitRow {
            key: h.key.to_string(),
            title: h.title,
            category: h.category.unwrap_or_default(),
            severity: h.severity.as_str(),
            severity_label: h.severity.label(),
            status: h.status.label(),
            detected: h
                .detected
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default(),
            parts: snippet_parts(&h.snippet)
                .into_iter()
                .map(|(hit, text)| Part { hit, text })
                .collect(),
        })
        .collect();
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_the_filters_and_encode_them() {
        let q = PageQuery {
            q: "a&b \"c\"".into(),
            category: "Authentication Bypass".into(),
            ..PageQuery::default()
        };
        assert_eq!(
            q.url(20),
            "/search?q=a%26b+%22c%22&category=Authentication+Bypass&offset=20"
        );
        assert_eq!(
            q.url(0),
            "/search?q=a%26b+%22c%22&category=Authentication+Bypass"
        );
    }
}
