//! Action items across every incident in the browser: `/actions`, a filter
//! form that works without JavaScript (a plain GET form; statuses are
//! checkboxes) over a paged table, and `/actions/review`, the weekly
//! check-in, monthly completion review and quarterly effectiveness review.
//!
//! Both show exactly what the API answers ([`crate::api::actions`]): only
//! items of incidents the caller may see. A bad filter is shown next to its
//! field, with status 422, and no table.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use debrief_core::followup::{
    Change, Completion, GroupCompletion, Month, MonthlyReview, Quarter, QuarterlyReview,
    TrackedAction, WeeklyReview,
};
use debrief_core::{ActionStatus, Horizon, IncidentStatus, Priority};

use super::incidents::Choice;
use super::{FieldErrors, Layout, PageError, choices, render};
use crate::AppState;
use crate::api::actions::{
    list_for, month_of, monthly_for, parse_list, quarter_of, quarterly_for, week_of, weekly_for,
};
use crate::auth::Caller;
use crate::error::ApiError;

/// One item as a table row.
pub struct Row {
    /// Incident key.
    pub key: String,
    /// Incident title.
    pub incident_title: String,
    /// Whether the incident is closed (the item may still be overdue).
    pub incident_closed: bool,
    /// Item id, for the anchor on the incident page.
    pub id: String,
    /// Number within the incident.
    pub number: u32,
    /// Title.
    pub title: String,
    /// Owner, or empty.
    pub owner: String,
    /// Team, or empty.
    pub team: String,
    /// Due day, or empty.
    pub due: String,
    /// Horizon label, or empty.
    pub horizon: &'static str,
    /// Priority label.
    pub priority: &'static str,
    /// Priority machine form (badge class).
    pub priority_slug: &'static str,
    /// Status label.
    pub status: &'static str,
    /// Past due and still open.
    pub overdue: bool,
    /// The verdict, if any: "effective" or "ineffective".
    pub verdict: &'static str,
    /// The verdict's evidence.
    pub evidence: String,
}

impl Row {
    fn of(t: &TrackedAction) -> Self {
        let a = &t.item;
        Self {
            key: t.incident.key.to_string(),
            incident_title: t.incident.title.clone(),
            incident_closed: t.incident.status == IncidentStatus::Closed,
            id: a.id.to_string(),
            number: a.number,
            title: a.title.clone(),
            owner: a.owner.clone().unwrap_or_default(),
            team: a.team.clone().unwrap_or_default(),
            due: a.due.map(|d| d.to_string()).unwrap_or_default(),
            horizon: a.horizon.map_or("", |h| h.label()),
            priority: a.priority.label(),
            priority_slug: a.priority.as_str(),
            status: a.status.label(),
            overdue: t.overdue,
            verdict: match &a.verification {
                Some(v) if v.effective => "effective",
                Some(_) => "ineffective",
                None => "",
            },
            evidence: a
                .verification
                .as_ref()
                .map(|v| v.evidence.clone())
                .unwrap_or_default(),
        }
    }

    fn all(list: &[TrackedAction]) -> Vec<Self> {
        list.iter().map(Row::of).collect()
    }
}

/// The filter form's input, as typed.
#[derive(Debug, Clone, Default)]
pub struct FilterForm {
    /// Owner.
    pub owner: String,
    /// Team.
    pub team: String,
    /// Statuses ticked.
    pub statuses: Vec<String>,
    /// Priority.
    pub priority: String,
    /// Horizon.
    pub horizon: String,
    /// Due from.
    pub due_from: String,
    /// Due to.
    pub due_to: String,
    /// Overdue only.
    pub overdue: bool,
    /// Title text.
    pub q: String,
}

impl FilterForm {
    fn of(pairs: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "owner" => f.owner = v.clone(),
                "team" => f.team = v.clone(),
                "status" => f.statuses.extend(
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty()),
                ),
                "priority" => f.priority = v.clone(),
                "horizon" => f.horizon = v.clone(),
                "due_from" => f.due_from = v.clone(),
                "due_to" => f.due_to = v.clone(),
                "overdue" => f.overdue = matches!(v.trim(), "true" | "1" | "on"),
                "q" => f.q = v.clone(),
                _ => {}
            }
        }
        f
    }
}

/// A status checkbox.
pub struct StatusBox {
    /// Machine form.
    pub value: &'static str,
    /// Label.
    pub label: &'static str,
    /// Ticked.
    pub checked: bool,
}

/// `/actions`.
#[derive(Template)]
#[template(path = "actions.html")]
pub struct ActionsPage {
    /// Layout.
    pub layout: Layout,
    /// The form as typed.
    pub form: FilterForm,
    /// Status checkboxes.
    pub statuses: Vec<StatusBox>,
    /// Priority options (with "any").
    pub priorities: Vec<Choice>,
    /// Horizon options (with "any").
    pub horizons: Vec<Choice>,
    /// Errors by field.
    pub errors: FieldErrors,
    /// Whether the filter was valid (else only the form shows).
    pub valid: bool,
    /// The rows of this page.
    pub rows: Vec<Row>,
    /// Matches over all pages.
    pub total: u64,
    /// First row's position, from 1.
    pub first: u64,
    /// Last row's position.
    pub last: u64,
    /// Link to the previous page, or empty.
    pub prev: String,
    /// Link to the next page, or empty.
    pub next: String,
    /// The day overdue is decided on.
    pub today: String,
    /// The same filter as JSON from the API.
    pub api_link: String,
}

/// The form's fields; errors about anything else are listed below them.
const FILTER_FIELDS: &[&str] = &[
    "q", "owner", "team", "priority", "horizon", "due_from", "due_to", "status", "overdue",
];

impl ActionsPage {
    /// Errors not shown next to a field (unknown parameters, paging).
    pub fn other_errors(&self) -> Vec<String> {
        self.errors
            .0
            .iter()
            .filter(|(f, _)| !FILTER_FIELDS.contains(&f.as_str()))
            .map(|(f, m)| format!("{f}: {m}"))
            .collect()
    }
}

/// Options of a select with an "any" entry first.
fn with_any<'a>(current: &str, all: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Choice> {
    let mut list = vec![Choice {
        value: String::new(),
        label: "Any".into(),
        selected: current.is_empty(),
    }];
    list.extend(choices(current, all));
    list
}

/// The query string of `pairs` with `offset` replaced.
fn with_offset(pairs: &[(String, String)], offset: u64) -> String {
    let mut kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, v)| k != "offset" && !v.trim().is_empty())
        .cloned()
        .collect();
    if offset > 0 {
        kept.push(("offset".into(), offset.to_string()));
    }
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// `GET /actions`.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let form = FilterForm::of(&pairs);
    let layout = Layout::of(&caller, "Action items", "actions").await?;
    let statuses = ActionStatus::ALL
        .iter()
        .map(|s| StatusBox {
            value: s.as_str(),
            label: s.label(),
            checked: form.statuses.iter().any(|x| x == s.as_str()),
        })
        .collect();
    let priorities = with_any(
        &form.priority,
        Priority::ALL.iter().map(|p| (p.as_str(), p.label())),
    );
    let horizons = with_any(
        &form.horizon,
        Horizon::ALL.iter().map(|h| (h.as_str(), h.label())),
    );
    let mut page = ActionsPage {
        layout,
        form,
        statuses,
        priorities,
        horizons,
        errors: FieldErrors::default(),
        valid: false,
        rows: Vec::new(),
        total: 0,
        first: 0,
        last: 0,
        prev: String::new(),
        next: String::new(),
        today: state.clock.now().date_naive().to_string(),
        api_link: format!("/api/v1/action-items?{}", with_offset(&pairs, 0)),
    };
    let query = match parse_list(&pairs) {
        Ok(q) => q,
        Err(e) => {
            page.errors = FieldErrors::of(&ApiError::Invalid(e)).unwrap_or_default();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let list = list_for(&state, &caller, &query).await?;
    let shown = u64::try_from(list.items.len()).unwrap_or(0);
    page.valid = true;
    page.rows = Row::all(&list.items);
    page.total = list.total;
    page.first = if shown == 0 { 0 } else { list.offset + 1 };
    page.last = list.offset + shown;
    if list.offset > 0 {
        page.prev = format!(
            "/actions?{}",
            with_offset(&pairs, list.offset.saturating_sub(list.limit))
        );
    }
    if list.offset + shown < list.total {
        page.next = format!("/actions?{}", with_offset(&pairs, list.offset + shown));
    }
    Ok(render(StatusCode::OK, &page))
}

/// Which review `/actions/review` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The weekly check-in.
    Week,
    /// The monthly completion review.
    Month,
    /// The quarterly effectiveness review.
    Quarter,
}

/// One status change, as a row.
pub struct ChangeRow {
    /// The item.
    pub row: Row,
    /// Status before, or empty.
    pub from: &'static str,
    /// Status after.
    pub to: &'static str,
    /// Day.
    pub on: String,
    /// Note, or empty.
    pub note: String,
}

impl ChangeRow {
    fn of(c: &Change) -> Self {
        Self {
            row: Row::of(&c.action),
            from: c.from.map_or("", |s| s.label()),
            to: c.to.label(),
            on: c.on.to_string(),
            note: c.note.clone().unwrap_or_default(),
        }
    }
}

/// Completion counts, as shown.
pub struct CompletionRow {
    /// Horizon label or team name.
    pub name: String,
    /// The counts.
    pub c: Completion,
    /// "80%" or "–".
    pub rate: String,
}

impl CompletionRow {
    fn of(name: String, c: &Completion) -> Self {
        Self {
            name,
            rate: c
                .rate_percent
                .map_or_else(|| "–".into(), |r| format!("{r}%")),
            c: c.clone(),
        }
    }

    fn groups(list: &[GroupCompletion], horizon: bool) -> Vec<Self> {
        list.iter()
            .map(|g| {
                let name = if horizon {
                    g.name
                        .parse::<Horizon>()
                        .map_or_else(|_| g.name.clone(), |h| h.label().to_owned())
                } else {
                    g.name.clone()
                };
                Self::of(name, &g.completion)
            })
            .collect()
    }
}

/// The weekly check-in, as shown.
pub struct WeekView {
    /// First day looked back on.
    pub since: String,
    /// Last day looked back on.
    pub until: String,
    /// The review day.
    pub today: String,
    /// Status changes.
    pub changes: Vec<ChangeRow>,
    /// Verdicts given.
    pub verdicts: Vec<Row>,
    /// Overdue.
    pub overdue: Vec<Row>,
    /// Due in the coming week.
    pub due_soon: Vec<Row>,
}

/// The monthly review, as shown.
pub struct MonthView {
    /// `2025-11`.
    pub label: String,
    /// The whole month.
    pub total: CompletionRow,
    /// Per horizon.
    pub by_horizon: Vec<CompletionRow>,
    /// Per team.
    pub by_team: Vec<CompletionRow>,
    /// Due in the month.
    pub due: Vec<Row>,
    /// Overdue at month end.
    pub overdue: Vec<Row>,
    /// Its last day.
    pub last_day: String,
}

/// The quarterly review, as shown.
pub struct QuarterView {
    /// `2025-Q4`.
    pub label: String,
    /// Effective over all verdicts, or "–".
    pub rate: String,
    /// Verified effective.
    pub effective: Vec<Row>,
    /// Verified ineffective.
    pub ineffective: Vec<Row>,
    /// Awaiting a verdict.
    pub awaiting: Vec<Row>,
}

/// `/actions/review`.
#[derive(Template)]
#[template(path = "actions_review.html")]
pub struct ReviewPage {
    /// Layout.
    pub layout: Layout,
    /// `week`, `month` or `quarter`.
    pub period: &'static str,
    /// The day asked for, as typed.
    pub date: String,
    /// Errors by field.
    pub errors: FieldErrors,
    /// Period choices.
    pub periods: Vec<Choice>,
    /// Link to the period before.
    pub prev: String,
    /// Link to the period after.
    pub next: String,
    /// The weekly check-in, when asked for.
    pub week: Option<WeekView>,
    /// The monthly review, when asked for.
    pub month: Option<MonthView>,
    /// The quarterly review, when asked for.
    pub quarter: Option<QuarterView>,
}

fn week_view(w: &WeeklyReview) -> WeekView {
    WeekView {
        since: w.since.to_string(),
        until: (w.today - Duration::days(1)).to_string(),
        today: w.today.to_string(),
        changes: w.changes.iter().map(ChangeRow::of).collect(),
        verdicts: Row::all(&w.verdicts),
        overdue: Row::all(&w.overdue),
        due_soon: Row::all(&w.due_soon),
    }
}

fn month_view(m: &MonthlyReview) -> MonthView {
    MonthView {
        label: m.month.clone(),
        total: CompletionRow::of("All items due".into(), &m.completion),
        by_horizon: CompletionRow::groups(&m.by_horizon, true),
        by_team: CompletionRow::groups(&m.by_team, false),
        due: Row::all(&m.due),
        overdue: Row::all(&m.overdue_at_month_end),
        last_day: m.to.to_string(),
    }
}

fn quarter_view(q: &QuarterlyReview) -> QuarterView {
    QuarterView {
        label: q.quarter.clone(),
        rate: q
            .effectiveness_percent
            .map_or_else(|| "–".into(), |r| format!("{r}%")),
        effective: Row::all(&q.effective),
        ineffective: Row::all(&q.ineffective),
        awaiting: Row::all(&q.awaiting_verdict),
    }
}

fn review_link(period: &str, day: NaiveDate) -> String {
    format!("/actions/review?period={period}&date={day}")
}

/// `GET /actions/review?period=week|month|quarter&date=YYYY-MM-DD`: the
/// review of the period containing `date` (default today).
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (raw_period, date) = (get("period"), get("date"));
    let mut errors = FieldErrors::default();
    let period = match raw_period.as_str() {
        "" | "week" => Period::Week,
        "month" => Period::Month,
        "quarter" => Period::Quarter,
        other => {
            errors.push(
                "period",
                format!("`{other}` is not one of: week, month, quarter"),
            );
            Period::Week
        }
    };
    let today = state.clock.now().date_naive();
    let day = match week_of((!date.is_empty()).then_some(date.as_str()), today) {
        Ok(d) => d,
        Err(e) => {
            if let Some(f) = FieldErrors::of(&e) {
                errors.0.extend(f.0);
            }
            today
        }
    };
    let name = match period {
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
    };
    let layout = Layout::of(&caller, "Action item reviews", "actions").await?;
    let mut page = ReviewPage {
        layout,
        period: name,
        date: date.clone(),
        periods: choices(
            name,
            [
                ("week", "Weekly check-in"),
                ("month", "Monthly completion review"),
                ("quarter", "Quarterly effectiveness review"),
            ],
        ),
        prev: String::new(),
        next: String::new(),
        week: None,
        month: None,
        quarter: None,
        errors: FieldErrors::default(),
    };
    if !errors.is_empty() {
        page.errors = errors;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match period {
        Period::Week => {
            let w = weekly_for(&state, &caller, day).await?;
            page.prev = review_link(name, day - Duration::days(7));
            page.next = review_link(name, day + Duration::days(7));
            page.week = Some(week_view(&w));
        }
        Period::Month => {
            let m: Month = month_of(Some(&Month::containing(day).to_string()), today)?;
            let r = monthly_for(&state, &caller, m).await?;
            page.prev = review_link(name, m.first() - Duration::days(1));
            page.next = review_link(name, m.next_first());
            page.month = Some(month_view(&r));
        }
        Period::Quarter => {
            let q: Quarter = quarter_of(Some(&Quarter::containing(day).to_string()), today)?;
            let r = quarterly_for(&state, &caller, q).await?;
            page.prev = review_link(name, q.first() - Duration::days(1));
            page.next = review_link(
                name,
                q.last()
                    .succ_opt()
                    .unwrap_or_else(|| q.last().with_day(1).unwrap_or(day)),
            );
            page.quarter = Some(quarter_view(&r));
        }
    }
    Ok(render(StatusCode::OK, &page))
}
