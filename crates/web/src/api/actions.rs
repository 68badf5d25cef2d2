//! Action items across every incident: the filtered list, the weekly,
//! monthly and quarterly reviews, and the verdict on a completed fix.
//!
//! The list and the reviews answer only the items of incidents the caller
//! may see ([`Visibility::for_principal`]): a restricted incident's items
//! reach its members, admins and auditors, nobody else. Unlike the metrics
//! dashboard these answers name incidents and items, so restricted ones are
//! left out rather than counted.
//!
//! Query parameters are parsed here once for the API and the `/actions`
//! page ([`parse_list`]); a status may be given several times
//! (`status=planned&status=blocked`, as a form's checkboxes send it) or
//! comma-separated. Every bad parameter is named, with 422, as a field
//! error: the same answer shape as a bad body.
//!
//! The verdict (`POST .../action_items/{id}/verification`) applies the core
//! rule ([`debrief_core::followup::verify`]) and writes the item through
//! [`debrief_store::Store::update_item`], so the write is one audited
//! transaction like any other item change.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderValue;
use axum::http::header::ETAG;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use debrief_core::followup::{
    self, ActionFilter, Month, MonthlyReview, Quarter, QuarterlyReview, TrackedAction, WeeklyReview,
};
use debrief_core::{ActionItem, ActionStatus, Horizon, Priority, ValidationErrors};
use debrief_store::{DEFAULT_LIMIT, MAX_LIMIT, SectionItem, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IfMatch, JsonBody, etag, key};

/// The list's query parameters (documentation; they are read from the raw
/// query so a status may repeat).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Owner, exactly as written on the item.
    pub owner: Option<String>,
    /// Team, exactly as written on the item.
    pub team: Option<String>,
    /// One or more statuses: repeat the parameter or separate by commas
    /// (`planned`, `in_progress`, `blocked`, `complete`, `verified`, `wont_do`).
    pub status: Option<String>,
    /// `critical`, `high`, `medium` or `low`.
    pub priority: Option<String>,
    /// `immediate`, `short_term`, `medium_term` or `long_term`.
    pub horizon: Option<String>,
    /// Due on or after this day, `YYYY-MM-DD`.
    pub due_from: Option<String>,
    /// Due on or before this day, `YYYY-MM-DD`.
    pub due_to: Option<String>,
    /// `true`: only items past due and still open today.
    pub overdue: Option<bool>,
    /// Text in the title (case-insensitive).
    pub q: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u64>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// The list's query, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// The filter.
    pub filter: ActionFilter,
    /// Page size.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn text(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Parses the list's query pairs (empty values mean absent); every
/// problem is named by its parameter. Unknown parameters are refused, so
/// a misspelt filter does not silently list everything.
pub fn parse_list(pairs: &[(String, String)]) -> Result<ListQuery, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let mut q = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    let day = |errs: &mut ValidationErrors, field: &str, v: &str| match v.trim() {
        "" => None,
        v => debrief_core::time::parse_date(v)
            .map_err(|m| errs.push(field, m))
            .ok(),
    };
    for (name, value) in pairs {
        let v = value.trim();
        match name.as_str() {
            "owner" => q.filter.owner = text(v),
            "team" => q.filter.team = text(v),
            "q" => q.filter.q = text(v),
            "status" => {
                for s in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match s.parse::<ActionStatus>() {
                        Ok(s) if !q.filter.statuses.contains(&s) => q.filter.statuses.push(s),
                        Ok(_) => {}
                        Err(m) => errs.push("status", m),
                    }
                }
            }
            "priority" if !v.is_empty() => match v.parse::<Priority>() {
                Ok(p) => q.filter.priority = Some(p),
                Err(m) => errs.push("priority", m),
            },
            "horizon" if !v.is_empty() => match v.parse::<Horizon>() {
                Ok(h) => q.filter.horizon = Some(h),
                Err(m) => errs.push("horizon", m),
            },
            "priority" | "horizon" => {}
            "due_from" => q.filter.due_from = day(&mut errs, "due_from", v),
            "due_to" => q.filter.due_to = day(&mut errs, "due_to", v),
            "overdue" => match v {
                "" | "false" | "0" | "off" => q.filter.overdue = false,
                "true" | "1" | "on" => q.filter.overdue = true,
                _ => errs.push("overdue", format!("`{v}` is not one of: true, false")),
            },
            "limit" if !v.is_empty() => match v.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => q.limit = n,
                _ => errs.push("limit", format!("must be a number from 1 to {MAX_LIMIT}")),
            },
            "offset" if !v.is_empty() => match v.parse::<u64>() {
                Ok(n) => q.offset = n,
                Err(_) => errs.push("offset", "must be a whole number, 0 or more"),
            },
            "limit" | "offset" => {}
            other => errs.push(other, "is not a parameter of this list"),
        }
    }
    if let (Some(f), Some(t)) = (q.filter.due_from, q.filter.due_to)
        && t < f
    {
        errs.push("due_to", format!("{t} is before `due_from` ({f})"));
    }
    errs.into_result().map(|()| q)
}

/// One page of action items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionList {
    /// The items on this page.
    pub items: Vec<TrackedAction>,
    /// How many items match, over all pages.
    pub total: u64,
    /// Page size.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
    /// The day "overdue" was decided on (the service clock's UTC day).
    #[serde(with = "debrief_core::time::date")]
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
}

/// The page of items `query` asks for, as `caller` may see them.
pub async fn list_for(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<ActionList, ApiError> {
    let today = state.clock.now().date_naive();
    let page = state
        .store
        .tracked_actions(
            &Visibility::for_principal(&caller.principal),
            &query.filter,
            today,
            Some(query.limit),
            query.offset,
        )
        .await?;
    Ok(ActionList {
        items: page.items,
        total: page.total,
        limit: query.limit,
        offset: query.offset,
        today,
    })
}

/// Every action item the caller may see, filtered, a page at a time,
/// ordered by due day (items without one last). Items of closed incidents
/// are listed and flagged overdue like any other.
#[utoipa::path(get, path = "/api/v1/action-items", tag = "actions", params(ListParams),
    responses((status = 200, body = ActionList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<ActionList>, ApiError> {
    let query = parse_list(&pairs(raw.as_deref()))?;
    Ok(Json(list_for(&state, &caller, &query).await?))
}

/// Every item the caller may see that passes `filter`, for a review made
/// on the clock's day.
async fn everything(
    state: &AppState,
    caller: &Caller,
    filter: &ActionFilter,
) -> Result<Vec<TrackedAction>, ApiError> {
    let today = state.clock.now().date_naive();
    Ok(state
        .store
        .tracked_actions(
            &Visibility::for_principal(&caller.principal),
            filter,
            today,
            None,
            0,
        )
        .await?
        .items)
}

/// The one parameter of a review: `name`, refusing any other.
fn one_param(raw: Option<&str>, name: &str) -> Result<Option<String>, ApiError> {
    let mut errs = ValidationErrors::default();
    let mut value = None;
    for (k, v) in pairs(raw) {
        if k == name {
            value = text(&v);
        } else {
            errs.push(k, "is not a parameter of this review");
        }
    }
    errs.into_result()?;
    Ok(value)
}

fn invalid(field: &str, message: String) -> ApiError {
    let mut errs = ValidationErrors::default();
    errs.push(field, message);
    ApiError::Invalid(errs)
}

/// The weekly check-in's day: `date`, or the clock's day.
pub fn week_of(date: Option<&str>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    match date {
        None => Ok(today),
        Some(d) => debrief_core::time::parse_date(d).map_err(|m| invalid("date", m)),
    }
}

/// The monthly review's month: `month`, or the clock's month.
pub fn month_of(month: Option<&str>, today: NaiveDate) -> Result<Month, ApiError> {
    match month {
        None => Ok(Month::containing(today)),
        Some(m) => Month::parse(m).map_err(|e| invalid("month", e)),
    }
}

/// The quarterly review's quarter: `quarter`, or the clock's quarter.
pub fn quarter_of(quarter: Option<&str>, today: NaiveDate) -> Result<Quarter, ApiError> {
    match quarter {
        None => Ok(Quarter::containing(today)),
        Some(q) => Quarter::parse(q).map_err(|e| invalid("quarter", e)),
    }
}

/// The weekly check-in for `day` over what the caller may see.
pub async fn weekly_for(
    state: &AppState,
    caller: &Caller,
    day: NaiveDate,
) -> Result<WeeklyReview, ApiError> {
    // Changes live in each item's JSON history: every item is read.
    let all = everything(state, caller, &ActionFilter::default()).await?;
    Ok(followup::weekly(&all, day))
}

/// The monthly review of `month` over what the caller may see.
pub async fn monthly_for(
    state: &AppState,
    caller: &Caller,
    month: Month,
) -> Result<MonthlyReview, ApiError> {
    let today = state.clock.now().date_naive();
    // The review only looks at items due by the month's end: the store
    // leaves the rest out in SQL.
    let due_by_month_end = ActionFilter {
        due_to: Some(month.last()),
        ..ActionFilter::default()
    };
    let items = everything(state, caller, &due_by_month_end).await?;
    Ok(followup::monthly(&items, month, today))
}

/// The quarterly review of `quarter` over what the caller may see.
pub async fn quarterly_for(
    state: &AppState,
    caller: &Caller,
    quarter: Quarter,
) -> Result<QuarterlyReview, ApiError> {
    let today = state.clock.now().date_naive();
    let all = everything(state, caller, &ActionFilter::default()).await?;
    Ok(followup::quarterly(&all, quarter, today))
}

/// The weekly check-in: status changes and verdicts in the 7 days before
/// `date` (that day excluded), items overdue on `date` and open items due
/// in the 7 days from `date`. `date` defaults to today.
#[utoipa::path(get, path = "/api/v1/action-items/reviews/weekly", tag = "actions",
    params(("date" = Option<String>, Query, description = "Review day, YYYY-MM-DD; default today")),
    responses((status = 200, body = WeeklyReview), (status = 422, body = ErrorBody)))]
pub async fn weekly(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<WeeklyReview>, ApiError> {
    let day = week_of(
        one_param(raw.as_deref(), "date")?.as_deref(),
        state.clock.now().date_naive(),
    )?;
    Ok(Json(weekly_for(&state, &caller, day).await?))
}

/// The monthly completion review: the items due in `month`, done on time,
/// late, dropped or open, the completion rate per horizon and per team,
/// and the items overdue at the month's end. `month` defaults to this month.
#[utoipa::path(get, path = "/api/v1/action-items/reviews/monthly", tag = "actions",
    params(("month" = Option<String>, Query, description = "YYYY-MM; default this month")),
    responses((status = 200, body = MonthlyReview), (status = 422, body = ErrorBody)))]
pub async fn monthly(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<MonthlyReview>, ApiError> {
    let month = month_of(
        one_param(raw.as_deref(), "month")?.as_deref(),
        state.clock.now().date_naive(),
    )?;
    Ok(Json(monthly_for(&state, &caller, month).await?))
}

/// The quarterly effectiveness review: fixes verified effective and
/// ineffective in `quarter`, the effectiveness rate, and the completed
/// items still waiting for a verdict. `quarter` defaults to this quarter.
#[utoipa::path(get, path = "/api/v1/action-items/reviews/quarterly", tag = "actions",
    params(("quarter" = Option<String>, Query, description = "YYYY-Qn, e.g. 2025-Q4; default this quarter")),
    responses((status = 200, body = QuarterlyReview), (status = 422, body = ErrorBody)))]
pub async fn quarterly(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<QuarterlyReview>, ApiError> {
    let quarter = quarter_of(
        one_param(raw.as_deref(), "quarter")?.as_deref(),
        state.clock.now().date_naive(),
    )?;
    Ok(Json(quarterly_for(&state, &caller, quarter).await?))
}

/// A verdict on a completed action item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    /// True: the fix met its success criteria in practice (every criterion
    /// must be ticked); false: it failed, and the item is reopened.
    pub effective: bool,
    /// What shows it; required.
    #[serde(default)]
    pub evidence: String,
}

/// The item after a verdict, and the incident's new version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictWritten {
    /// The incident's version after the write.
    pub version: i64,
    /// The item as stored.
    pub item: ActionItem,
}

/// Gives the action item `id` of incident `key` a verdict on the day of
/// `ctx`: see [`followup::verify`]. `expected` is the version the caller
/// saw; `None` checks against the version just read. Refusals name the
/// field (`status`, `evidence`, `success_criteria[i]`) and write nothing.
pub async fn give_verdict(
    state: &AppState,
    caller: &Caller,
    key: &debrief_core::IncidentKey,
    id: Uuid,
    verdict: &VerdictRequest,
    expected: Option<i64>,
) -> Result<(i64, ActionItem), debrief_store::StoreError> {
    let now = state.clock.now();
    let doc = state.store.get(key).await?;
    let mut item = doc
        .action_items
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or_else(|| debrief_store::StoreError::NotFound {
            what: format!("action item {id}"),
        })?;
    followup::verify(&mut item, verdict.effective, &verdict.evidence, now)
        .map_err(debrief_store::StoreError::Invalid)?;
    // The store derives the horizon again; a stale one would be refused.
    item.horizon = None;
    let after = state
        .store
        .update_item(
            key,
            id,
            SectionItem::ActionItem(item),
            Some(expected.unwrap_or(doc.version)),
            &caller.ctx(now),
        )
        .await?;
    let stored = after
        .action_items
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| debrief_store::StoreError::NotFound {
            what: format!("action item {id}"),
        })?;
    Ok((after.version, stored))
}

/// Gives a completed action item a verdict with evidence. Effective: every
/// success criterion must be met; the item becomes `verified`. Ineffective:
/// the item is reopened (`in_progress`, with a note in its status history)
/// and keeps the failed verdict, so a repeat incident can point at it.
#[utoipa::path(post, path = "/api/v1/incidents/{key}/action_items/{id}/verification", tag = "actions",
    request_body = VerdictRequest,
    params(("key" = String, Path, description = "Incident key"), ("id" = Uuid, Path, description = "Action item id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    responses((status = 200, body = VerdictWritten), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_key, raw_id)): Path<(String, String)>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<VerdictRequest>,
) -> Result<Response, ApiError> {
    let key = key(&raw_key)?;
    let id: Uuid = raw_id.parse().map_err(|_| ApiError::BadParameter {
        field: "id".into(),
        message: format!("`{raw_id}` is not a UUID"),
    })?;
    let (version, item) = give_verdict(&state, &caller, &key, id, &body, expected)
        .await
        .map_err(|e| ApiError::from_store(e, expected.is_some()))?;
    let mut res = Json(VerdictWritten { version, item }).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(ETAG, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Vec<(String, String)> {
        pairs(Some(q))
    }

    #[test]
    fn statuses_repeat_or_are_comma_separated() {
        let q = parse_list(&p("status=planned&status=blocked,in_progress&overdue=on")).unwrap();
        assert_eq!(
            q.filter.statuses,
            [
                ActionStatus::Planned,
                ActionStatus::Blocked,
                ActionStatus::InProgress
            ]
        );
        assert!(q.filter.overdue);
        assert_eq!(q.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let errs = parse_list(&p(
            "status=done&priority=urgent&horizon=soon&due_from=2025-13-01&overdue=maybe&limit=0&offset=-1&colour=red",
        ))
        .unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "status", "priority", "horizon", "due_from", "overdue", "limit", "offset", "colour"
            ]
        );
        let errs = parse_list(&p("due_from=2025-12-01&due_to=2025-11-01")).unwrap_err();
        assert_eq!(errs.0[0].field, "due_to");
    }

    #[test]
    fn empty_values_mean_absent() {
        let q = parse_list(&p("owner=&priority=&horizon=&due_from=&limit=&offset=")).unwrap();
        assert_eq!(q.filter, ActionFilter::default());
    }
}
