//! The incident list in the browser: filters, text search, sort,
//! pagination, and the form that creates an incident.
//!
//! Lists through [`debrief_store::Store::list`] with the caller's
//! [`debrief_store::Visibility`], exactly like the API, so a restricted
//! incident never shows to someone who may not see it.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use debrief_core::access::Action;
use debrief_core::{IncidentKey, IncidentStatus, PostmortemType, Severity};
use debrief_store::{IncidentFilter, SortOrder};
use serde::Deserialize;

use super::{FieldErrors, Layout, PageError, choices, may, render, see_other};
use crate::AppState;
use crate::api::incidents::visibility;
use crate::auth::Caller;
use crate::error::ApiError;

/// Incidents per page.
pub const PAGE_SIZE: u64 = 25;

/// The list's query string: every value a string, so a bad one becomes a
/// message next to its filter instead of a refused request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Incident status.
    pub status: String,
    /// Severity.
    pub severity: String,
    /// Category, exactly.
    pub category: String,
    /// Post-mortem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Text to find.
    pub q: String,
    /// Detected on or after this day (`YYYY-MM-DD`).
    pub from: String,
    /// Detected on or before this day (`YYYY-MM-DD`).
    pub to: String,
    /// `-detected` (default), `detected`, `-updated`, `severity`, `key`.
    pub sort: String,
    /// Page number, from 1.
    pub page: String,
}

/// A choice in a `<select>`.
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What the user reads.
    pub label: String,
    /// Whether it is the current one.
    pub selected: bool,
}

const SORTS: &[(&str, &str)] = &[
    ("-detected", "Newest detected first"),
    ("detected", "Oldest detected first"),
    ("-updated", "Recently changed first"),
    ("severity", "Most severe first"),
    ("key", "By key"),
];

/// One line of the list.
pub struct Row {
    /// Key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Severity (machine form, for the badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Status label.
    pub status: &'static str,
    /// Category.
    pub category: String,
    /// Detected day, or empty.
    pub detected: String,
    /// Open action items.
    pub open_items: u64,
    /// Whether the incident is restricted.
    pub restricted: bool,
}

/// The new-incident form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewIncidentForm {
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Category from the managed list.
    pub category: String,
    /// Optional key.
    pub key: String,
}

/// The incident list page.
#[derive(Template)]
#[template(path = "incidents.html")]
pub struct IncidentsPage {
    /// Layout.
    pub layout: Layout,
    /// The rows of this page.
    pub rows: Vec<Row>,
    /// Matches over all pages.
    pub total: u64,
    /// Position of the first row shown (from 1), 0 when none.
    pub first: u64,
    /// Position of the last row shown.
    pub last: u64,
    /// The previous page's URL, if any.
    pub prev: Option<String>,
    /// The next page's URL, if any.
    pub next: Option<String>,
    /// The current filters.
    pub query: ListQuery,
    /// Status choices.
    pub statuses: Vec<Choice>,
    /// Severity choices (filter).
    pub severities: Vec<Choice>,
    /// Category choices (filter).
    pub categories: Vec<Choice>,
    /// Type choices.
    pub kinds: Vec<Choice>,
    /// Sort choices.
    pub sorts: Vec<Choice>,
    /// Errors in the filters, by field.
    pub filter_errors: FieldErrors,
    /// Whether the caller may create incidents.
    pub can_create: bool,
    /// The new-incident form's input.
    pub form: NewIncidentForm,
    /// Severity choices (form).
    pub form_severities: Vec<Choice>,
    /// Category choices (form).
    pub form_categories: Vec<Choice>,
    /// Errors of the new-incident form, by field.
    pub form_errors: FieldErrors,
    /// Whether any filter is set.
    pub filtered: bool,
}

fn parse_or<T: std::str::FromStr<Err = String>>(
    errors: &mut FieldErrors,
    field: &str,
    v: &str,
) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    match v.parse() {
        Ok(t) => Some(t),
        Err(m) => {
            errors.push(field, m);
            None
        }
    }
}

fn day(errors: &mut FieldErrors, field: &str, v: &str, end: bool) -> Option<chrono::DateTime<Utc>> {
    if v.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => {
            let t = if end {
                NaiveTime::from_hms_opt(23, 59, 59)
            } else {
                NaiveTime::from_hms_opt(0, 0, 0)
            };
            t.map(|t| Utc.from_utc_datetime(&d.and_time(t)))
        }
        Err(_) => {
            errors.push(field, "a date as YYYY-MM-DD");
            None
        }
    }
}

impl ListQuery {
    fn filter(&self, errors: &mut FieldErrors) -> (IncidentFilter, u64) {
        let sort = match self.sort.as_str() {
            "" | "-detected" => SortOrder::DetectedDesc,
            "detected" => SortOrder::DetectedAsc,
            "-updated" => SortOrder::UpdatedDesc,
            "severity" => SortOrder::Severity,
            "key" => SortOrder::Key,
            _ => {
                errors.push("sort", "choose an order from the list");
                SortOrder::DetectedDesc
            }
        };
        let page = match self.page.as_str() {
            "" => 1,
            p => p.parse::<u64>().ok().filter(|p| *p >= 1).unwrap_or(1),
        };
        let filter = IncidentFilter {
            status: parse_or::<IncidentStatus>(errors, "status", &self.status),
            severity: parse_or::<Severity>(errors, "severity", &self.severity),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            types: parse_or::<PostmortemType>(errors, "type", &self.kind),
            q: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            detected_from: day(errors, "from", &self.from, false),
            detected_to: day(errors, "to", &self.to, true),
            sort,
            limit: PAGE_SIZE,
            offset: (page - 1).saturating_mul(PAGE_SIZE),
        };
        (filter, page)
    }

    /// The query string of this list at `page`.
    fn url(&self, page: u64) -> String {
        let page = page.to_string();
        let pairs: Vec<(&str, &str)> = [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("severity", self.severity.as_str()),
            ("category", self.category.as_str()),
            ("type", self.kind.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("sort", self.sort.as_str()),
            ("page", if page == "1" { "" } else { page.as_str() }),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if q.is_empty() {
            "/incidents".to_owned()
        } else {
            format!("/incidents?{q}")
        }
    }

    fn is_filtered(&self) -> bool {
        [
            &self.q,
            &self.status,
            &self.severity,
            &self.category,
            &self.kind,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    query: ListQuery,
    form: NewIncidentForm,
    form_errors: FieldErrors,
) -> Result<IncidentsPage, PageError> {
    let mut filter_errors = FieldErrors::default();
    let (filter, page_no) = query.filter(&mut filter_errors);
    let found = state.store.list(&filter, &visibility(caller)).await?;
    let mut rows = Vec::with_capacity(found.items.len());
    for s in found.items {
        // The summary does not carry the flag; a page is at most 25 reads
        // of one indexed column.
        let restricted = state.store.is_restricted(&s.key).await?.unwrap_or(false);
        rows.push(Row {
            key: s.key.to_string(),
            title: s.title,
            severity: s.severity.as_str(),
            severity_label: s.severity.label(),
            status: s.status.label(),
            category: s.category.unwrap_or_default(),
            detected: s
                .detected
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            open_items: s.action_items_open,
            restricted,
        });
    }
    let shown = rows.len() as u64;
    let first = if shown == 0 { 0 } else { filter.offset + 1 };
    let last = filter.offset + shown;
    let categories = state.store.categories().await?;
    let cat_pairs: Vec<(&str, &str)> = categories
        .iter()
        .map(|c| (c.as_str(), c.as_str()))
        .collect();
    let sev_pairs: Vec<(&str, &str)> = Severity::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    Ok(IncidentsPage {
        layout: Layout::of(caller, "Incidents", "incidents").await?,
        rows,
        total: found.total,
        first,
        last,
        prev: (page_no > 1).then(|| query.url(page_no - 1)),
        next: (last < found.total).then(|| query.url(page_no + 1)),
        statuses: choices(
            &query.status,
            IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
        ),
        severities: choices(&query.severity, sev_pairs.iter().copied()),
        categories: choices(&query.category, cat_pairs.iter().copied()),
        kinds: choices(
            &query.kind,
            PostmortemType::ALL.iter().map(|s| (s.as_str(), s.label())),
        ),
        sorts: choices(&query.sort, SORTS.iter().copied()),
        filter_errors,
        can_create: may(&caller.principal, Action::CreateIncident),
        form_severities: choices(&form.severity, sev_pairs.iter().copied()),
        form_categories: choices(&form.category, cat_pairs.iter().copied()),
        form,
        form_errors,
        filtered: query.is_filtered(),
        query,
    })
}

/// `GET /incidents`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let form = NewIncidentForm {
        severity: "medium".into(),
        ..NewIncidentForm::default()
    };
    let page = page(&state, &caller, query, form, FieldErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /incidents`: creates an incident and goes to its page; on error
/// the list comes back with the input kept and the messages next to the
/// fields.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<NewIncidentForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let title = form.title.trim();
    if title.is_empty() {
        errors.push("title", "give the incident a short title");
    }
    let severity = match form.severity.parse::<Severity>() {
        Ok(s) => Some(s),
        Err(_) => {
            errors.push("severity", "choose a severity");
            None
        }
    };
    let key = match form.key.trim() {
        "" => None,
        k => match IncidentKey::parse(k) {
            Ok(k) => Some(k),
            Err(m) => {
                errors.push("key", m);
                None
            }
        },
    };
    if errors.is_empty()
        && let Some(severity) = severity
    {
        let input = serde_json::json!({
            "key": key,
            "title": title,
            "severity": severity,
            "category": Some(form.category.trim()).filter(|c| !c.is_empty()),
        });
        let input = serde_json::from_value(input)
            .map_err(|e| ApiError::Internal(format!("new incident form: {e}")))?;
        let result = state
            .store
            .create_incident(input, &caller.ctx(state.clock.now()))
            .await
            .map_err(ApiError::from);
        match result {
            Ok(doc) => return Ok(see_other(&format!("/incidents/{}", doc.key), false)),
            Err(ApiError::AlreadyExists(what)) => {
                errors.push("key", format!("{what} already exists; choose another key"));
            }
            Err(e) => match FieldErrors::of(&e) {
                Some(f) => errors = f,
                None => return Err(PageError(e)),
            },
        }
    }
    let page = page(&state, &caller, ListQuery::default(), form, errors).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
