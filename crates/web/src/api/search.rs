//! Full-text search over every post-mortem field: `GET /api/v1/search`.
//!
//! Thin over [`debrief_store::Store::search`] with the caller's
//! visibility, so a restricted incident is found only by its members (and
//! admins and auditors). The parameters are parsed here once for the API
//! and the `/search` page ([`parse`]): every bad one is named, and the API
//! answers 422 with the first.
//!
//! Snippets come from the store as plain text with private-use marks
//! around each hit. [`snippet_html`] escapes the text first and only then
//! turns the marks into `<mark>`, so nothing in an incident can inject
//! markup; the page renders the same parts through askama's escaping.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use debrief_core::{IncidentKey, IncidentStatus, Severity, ValidationErrors};
use debrief_store::search::{MAX_QUERY_CHARS, MAX_SEARCH_LIMIT, snippet_parts, snippet_text};
use debrief_store::{SearchHit, SearchQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::incidents::visibility;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// The deepest offset accepted: paging further is not a search any more.
pub const MAX_OFFSET: u64 = 10_000;

/// The query string, as given: strings, so every problem can be named.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: words (stemmed, any order), `"a phrase"`,
    /// `-word` to exclude, `a OR b`; on SQLite also `prefix*`.
    pub q: String,
    /// Only this category (exact name).
    pub category: String,
    /// Only this severity: `critical`, `high`, `medium`, `low`.
    pub severity: String,
    /// Only this incident status.
    pub status: String,
    /// Detected on or after this day, `YYYY-MM-DD` (UTC).
    pub from: String,
    /// Detected on or before this day, `YYYY-MM-DD` (UTC).
    pub to: String,
    /// Page size, 1 to 100 (default 20).
    pub limit: String,
    /// Hits to skip (default 0, at most 10,000).
    pub offset: String,
}

/// Parses the parameters; every problem is named by its parameter. A blank
/// `q` is a problem: there is nothing to search for.
pub fn parse(p: &SearchParams) -> Result<SearchQuery, Vec<(String, String)>> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut err = |f: &str, m: String| errors.push((f.to_owned(), m));
    let q = p.q.trim().to_owned();
    if q.is_empty() {
        err("q", "type something to search for".into());
    } else if q.chars().count() > MAX_QUERY_CHARS {
        err("q", format!("is longer than {MAX_QUERY_CHARS} characters"));
    }
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let severity = match opt(&p.severity).map(|s| s.parse::<Severity>()) {
        Some(Err(m)) => {
            err("severity", m);
            None
        }
        other => other.and_then(Result::ok),
    };
    let status = match opt(&p.status).map(|s| s.parse::<IncidentStatus>()) {
        Some(Err(m)) => {
            err("status", m);
            None
        }
        other => other.and_then(Result::ok),
    };
    let mut day = |field: &str, v: &str| match opt(v).map(|v| debrief_core::time::parse_date(&v)) {
        Some(Err(m)) => {
            err(field, m);
            None
        }
        other => other.and_then(Result::ok),
    };
    let from = day("from", &p.from);
    let to = day("to", &p.to);
    let mut number = |field: &str, v: &str, lo: u64, hi: u64, default: u64| match opt(v) {
        None => default,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (lo..=hi).contains(&n) => n,
            _ => {
                err(
                    field,
                    format!("`{v}` is not a whole number from {lo} to {hi}"),
                );
                default
            }
        },
    };
    let limit = number(
        "limit",
        &p.limit,
        1,
        MAX_SEARCH_LIMIT,
        debrief_store::search::DEFAULT_SEARCH_LIMIT,
    );
    let offset = number("offset", &p.offset, 0, MAX_OFFSET, 0);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        err("to", format!("{t} is before `from` ({f})"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let start = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    Ok(SearchQuery {
        q,
        category: opt(&p.category),
        severity,
        status,
        detected_from: from.map(start),
        detected_before: to.map(|d| start(d) + Duration::days(1)),
        limit,
        offset,
    })
}

/// Escapes text for HTML: element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The snippet as HTML: every run escaped, then the hits wrapped in `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    snippet_parts(snippet)
        .into_iter()
        .map(|(hit, text)| match hit {
            true => format!("<mark>{}</mark>", escape(&text)),
            false => escape(&text),
        })
        .collect()
}

/// One hit as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitView {
    /// Key, e.g. `INC-2025-1128`.
    pub key: IncidentKey,
    /// Title.
    pub title: String,
    /// Category, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Incident status.
    pub status: IncidentStatus,
    /// When the incident was detected.
    #[serde(with = "debrief_core::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected: Option<DateTime<Utc>>,
    /// Relevance, higher is better; comparable within one answer only.
    pub score: f64,
    /// The passage around the hits, plain text.
    pub snippet: String,
    /// The same passage as HTML: escaped, hits in `<mark>`.
    pub snippet_html: String,
}

impl From<SearchHit> for HitView {
    fn from(h: SearchHit) -> Self {
        Self {
            snippet: snippet_text(&h.snippet),
            snippet_html: snippet_html(&h.snippet),
            key: h.key,
            title: h.title,
            category: h.category,
            severity: h.severity,
            status: h.status,
            detected: h.detected,
            score: h.score,
        }
    }
}

/// One page of search results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    /// The query as searched.
    pub q: String,
    /// Matching incidents the caller may see, over all pages.
    pub total: u64,
    /// False when the count stopped at 10,000 (filters or a user's
    /// visibility with very many matches): `total` is then a floor.
    pub total_exact: bool,
    /// Page size.
    pub limit: u64,
    /// Hits skipped.
    pub offset: u64,
    /// Best first.
    pub hits: Vec<HitView>,
}

/// The first problem of [`parse`] as the API's 422.
pub fn invalid(errors: Vec<(String, String)>) -> ApiError {
    let mut v = ValidationErrors::default();
    for (f, m) in errors {
        v.push(f, m);
    }
    ApiError::Invalid(v)
}

/// Searches every field of every post-mortem the caller may see (title,
/// summary, timeline, 5 Whys, root causes, fishbone, FMEA, findings, action
/// items, communications, lessons...), best first, with highlighted
/// snippets. Restricted incidents are found only by their members, admins
/// and auditors.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let query = parse(&params).map_err(invalid)?;
    let page = state.store.search(&visibility(&caller), &query).await?;
    Ok(Json(SearchResults {
        q: query.q,
        total: page.total,
        total_exact: page.total_exact,
        limit: page.limit,
        offset: page.offset,
        hits: page.hits.into_iter().map(HitView::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use debrief_store::search::{HIT_END, HIT_START};

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let errors = parse(&params(&[
            ("q", " "),
            ("severity", "huge"),
            ("status", "x"),
            ("from", "2025-13-01"),
            ("to", "soon"),
            ("limit", "0"),
            ("offset", "-1"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["q", "severity", "status", "from", "to", "limit", "offset"]
        );
    }

    #[test]
    fn days_cover_whole_days_and_to_may_not_precede_from() {
        let q = parse(&params(&[
            ("q", "mfa"),
            ("from", "2025-11-01"),
            ("to", "2025-11-30"),
        ]))
        .unwrap();
        assert_eq!(
            q.detected_from.unwrap().to_rfc3339(),
            "2025-11-01T00:00:00+00:00"
        );
        assert_eq!(
            q.detected_before.unwrap().to_rfc3339(),
            "2025-12-01T00:00:00+00:00"
        );
        let e = parse(&params(&[
            ("q", "x"),
            ("from", "2025-11-02"),
            ("to", "2025-11-01"),
        ]))
        .unwrap_err();
        assert_eq!(e[0].0, "to");
    }

    #[test]
    fn snippets_are_escaped_before_they_are_marked() {
        let s = format!("<script>alert(1)</script> {HIT_START}<b>x</b>{HIT_END} & \"q\"");
        assert_eq!(
            snippet_html(&s),
            "&lt;script&gt;alert(1)&lt;/script&gt; <mark>&lt;b&gt;x&lt;/b&gt;</mark> &amp; &quot;q&quot;"
        );
    }
}
