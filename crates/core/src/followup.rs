//! Following action items through across every incident: one filter over
//! all items, the three reviews a team holds (weekly check-in, monthly
//! completion review, quarterly effectiveness review) and the "verified
//! effective" close.
//!
//! Everything here is pure: the caller passes the items (with the header of
//! their incident, see [`TrackedAction`]) and the day the review is made
//! for. Overdue detection depends only on the item
//! ([`ActionItem::is_overdue`]): closing the incident does not stop an open
//! item from being overdue.
//!
//! # Decisions
//!
//! - **When an item was done** is the day of the *first* change into a done
//!   status (complete or verified) in its status history. A reopened item
//!   that is done again keeps its first day only if it is done now; a
//!   reopened, still open item is not done. An item that is done but has no
//!   such change has no known day: it counts as done, in its own
//!   `done_undated` bucket, never as on time.
//! - **Status on a past day** (for "overdue at month end") is the status of
//!   the last history change on or before that day; before its first change
//!   an item counts as planned, and an item without any history is assumed
//!   to have had its current status all along.
//! - **Weekly window**: the 7 days before the review day, that day excluded
//!   (`today - 7 ..= today - 1`), so weekly check-ins on the same weekday
//!   cover every day exactly once. Items carry no creation date, so the
//!   check-in does not list new items; it lists status changes, verdicts,
//!   overdue items and items due in the next 7 days (`today ..= today + 6`).
//! - **Monthly review** counts the items due in the month: done on time
//!   (done on or before the due day), done late, done (day unknown), dropped
//!   (won't do) and still open, with the completion rate (done over all,
//!   dropped included in "all") per horizon and per team; and the items
//!   overdue at month end (due before the next month, not closed then).
//! - **Quarterly review**: verdicts given in the quarter, effective and
//!   ineffective (failed fixes), the effectiveness rate (effective over all
//!   verdicts), and the items that are complete, done by the quarter's end
//!   and still wait for a verdict.
//! - **Verdicts** ([`verify`]): an effective verdict needs evidence and
//!   every success criterion met (and at least one criterion: a fix cannot
//!   be shown to work against nothing); the item becomes `verified`. An
//!   ineffective verdict needs evidence; the item is reopened (back to
//!   `in_progress`) with a note in its status history, and keeps the failed
//!   verdict until a later verdict replaces it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::{ActionItem, ActionStatus, Horizon, Priority, Verification};
use crate::document::PostMortem;
use crate::error::ValidationErrors;
use crate::incident::{IncidentKey, IncidentStatus, Severity};

/// What an action item row shows of its incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentRef {
    /// Key, e.g. `INC-2025-1128`.
    pub key: IncidentKey,
    /// Title.
    pub title: String,
    /// Current severity.
    pub severity: Severity,
    /// Category, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Incident status (an item stays overdue after the incident is closed).
    pub status: IncidentStatus,
    /// When the incident was detected.
    #[serde(default, with = "crate::time::utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected: Option<DateTime<Utc>>,
    /// The day horizons count from (detection, else first activity, else
    /// creation): see [`crate::PostMortem::horizon_base`].
    #[serde(default, with = "crate::time::date_opt")]
    #[schema(value_type = Option<String>, format = Date)]
    pub horizon_base: Option<NaiveDate>,
}

impl IncidentRef {
    /// The header of `doc`.
    pub fn of(doc: &PostMortem) -> Self {
        Self {
            key: doc.key.clone(),
            title: doc.title.clone(),
            severity: doc.severity,
            category: doc.category.clone(),
            status: doc.status,
            detected: doc.lifecycle.detected,
            horizon_base: doc.horizon_base(),
        }
    }
}

/// Every action item of `docs`, as seen on `today`.
pub fn tracked(docs: &[PostMortem], today: NaiveDate) -> Vec<TrackedAction> {
    docs.iter()
        .flat_map(|d| {
            let r = IncidentRef::of(d);
            d.action_items
                .iter()
                .map(move |a| TrackedAction::new(r.clone(), a.clone(), today))
        })
        .collect()
}

/// One action item with its incident, as the cross-incident views list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrackedAction {
    /// The incident the item belongs to.
    pub incident: IncidentRef,
    /// The item, with its horizon derived.
    pub item: ActionItem,
    /// Past due and still open on the day the list was made.
    pub overdue: bool,
}

impl TrackedAction {
    /// The item of `incident` as seen on `today`: its horizon derived from
    /// the due date and the incident's base day, its overdue flag set.
    pub fn new(incident: IncidentRef, mut item: ActionItem, today: NaiveDate) -> Self {
        if let Some(h) = item.derived_horizon(incident.horizon_base) {
            item.horizon = Some(h);
        }
        let overdue = item.is_overdue(today);
        Self {
            incident,
            item,
            overdue,
        }
    }
}

/// Which action items to list. Every field narrows; empty means all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// Owner, exactly as written on the item.
    pub owner: Option<String>,
    /// Team, exactly as written on the item.
    pub team: Option<String>,
    /// Any of these statuses.
    pub statuses: Vec<ActionStatus>,
    /// This priority.
    pub priority: Option<Priority>,
    /// This horizon.
    pub horizon: Option<Horizon>,
    /// Due on or after this day (items without a due day are left out).
    pub due_from: Option<NaiveDate>,
    /// Due on or before this day (items without a due day are left out).
    pub due_to: Option<NaiveDate>,
    /// Only items overdue on the day of the list.
    pub overdue: bool,
    /// Case-insensitive text in the title.
    pub q: Option<String>,
}

impl ActionFilter {
    /// Whether `t` passes every condition on `today`.
    pub fn matches(&self, t: &TrackedAction, today: NaiveDate) -> bool {
        let a = &t.item;
        self.owner
            .as_ref()
            .is_none_or(|o| a.owner.as_ref() == Some(o))
            && self
                .team
                .as_ref()
                .is_none_or(|x| a.team.as_ref() == Some(x))
            && (self.statuses.is_empty() || self.statuses.contains(&a.status))
            && self.priority.is_none_or(|p| a.priority == p)
            && self
                .horizon
                .is_none_or(|h| a.derived_horizon(t.incident.horizon_base) == Some(h))
            && self.due_from.is_none_or(|f| a.due.is_some_and(|d| d >= f))
            && self.due_to.is_none_or(|x| a.due.is_some_and(|d| d <= x))
            && (!self.overdue || a.is_overdue(today))
            && self.q.as_deref().is_none_or(|q| {
                let q = q.trim().to_lowercase();
                q.is_empty() || a.title.to_lowercase().contains(&q)
            })
    }

    /// Whether a condition is set that only [`ActionFilter::matches`] can
    /// check (the horizon, which depends on the incident's base day); a
    /// store can check every other condition in its query.
    pub fn needs_rust(&self) -> bool {
        self.horizon.is_some()
    }
}

/// The statuses that count as closed, for queries written outside Rust.
pub fn closed_statuses() -> Vec<ActionStatus> {
    ActionStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_closed())
        .collect()
}

/// The day `item` was first done (moved to complete or verified), if it is
/// done now and its history says when.
pub fn done_on(item: &ActionItem) -> Option<NaiveDate> {
    if !item.status.is_done() {
        return None;
    }
    item.status_history
        .iter()
        .find(|c| c.status.is_done())
        .map(|c| c.on)
}

/// The status `item` had at the end of `day` (see the module's decisions).
pub fn status_on(item: &ActionItem, day: NaiveDate) -> ActionStatus {
    if item.status_history.is_empty() {
        return item.status;
    }
    item.status_history
        .iter()
        .rev()
        .find(|c| c.on <= day)
        .map_or(ActionStatus::Planned, |c| c.status)
}

/// A completion rate in whole percent, rounded half up; `None` of nothing.
fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| (part * 200 + whole) / (whole * 2))
}

/// A calendar month, `2025-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month of `day`.
    pub fn containing(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a month as YYYY-MM");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (year, month) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Self { year, month })
    }

    /// Its first day.
    pub fn first(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The first day of the month after.
    pub fn next_first(self) -> NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
    }

    /// Its last day.
    pub fn last(self) -> NaiveDate {
        self.next_first().pred_opt().unwrap_or(NaiveDate::MAX)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A calendar quarter, `2025-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// Year.
    pub year: i32,
    /// Quarter, 1 to 4.
    pub quarter: u32,
}

impl Quarter {
    /// The quarter of `day`.
    pub fn containing(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            quarter: day.month0() / 3 + 1,
        }
    }

    /// Parses `YYYY-Qn` (`q` in either case).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a quarter as YYYY-Qn, e.g. 2025-Q4");
        let upper = s.trim().to_ascii_uppercase();
        let (y, q) = upper.split_once("-Q").ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let quarter: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&quarter) || NaiveDate::from_ymd_opt(year, 1, 1).is_none() {
            return Err(bad());
        }
        Ok(Self { year, quarter })
    }

    /// Its first day.
    pub fn first(self) -> NaiveDate {
        Month {
            year: self.year,
            month: (self.quarter - 1) * 3 + 1,
        }
        .first()
    }

    /// Its last day.
    pub fn last(self) -> NaiveDate {
        Month {
            year: self.year,
            month: self.quarter * 3,
        }
        .last()
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.quarter)
    }
}

/// One status change in a weekly check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Change {
    /// The item, as it is now.
    pub action: TrackedAction,
    /// The status before the change (`None` for an item's first change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ActionStatus>,
    /// The status it changed to.
    pub to: ActionStatus,
    /// The day of the change.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    /// The note recorded with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The weekly check-in: what changed in the past week, what is overdue and
/// what falls due in the coming week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WeeklyReview {
    /// The review day.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// First day looked back on (`today - 7`).
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub since: NaiveDate,
    /// Status changes in the week, oldest first.
    pub changes: Vec<Change>,
    /// Items given a verdict in the week.
    pub verdicts: Vec<TrackedAction>,
    /// Items overdue today, longest overdue first.
    pub overdue: Vec<TrackedAction>,
    /// Open items due in the next 7 days (today included), soonest first.
    pub due_soon: Vec<TrackedAction>,
}

/// Sorts by due day (none last), then incident key and number.
fn by_due(list: &mut [TrackedAction]) {
    list.sort_by(|a, b| {
        (
            a.item.due.is_none(),
            a.item.due,
            &a.incident.key,
            a.item.number,
        )
            .cmp(&(
                b.item.due.is_none(),
                b.item.due,
                &b.incident.key,
                b.item.number,
            ))
    });
}

/// The weekly check-in for `today` over `items`.
pub fn weekly(items: &[TrackedAction], today: NaiveDate) -> WeeklyReview {
    let since = today - Duration::days(7);
    let in_week = |d: NaiveDate| d >= since && d < today;
    let mut changes = Vec::new();
    let mut verdicts = Vec::new();
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for t in items {
        let t = TrackedAction::new(t.incident.clone(), t.item.clone(), today);
        let history = &t.item.status_history;
        for (i, c) in history.iter().enumerate() {
            if in_week(c.on) {
                changes.push(Change {
                    action: t.clone(),
                    from: i.checked_sub(1).map(|p| history[p].status),
                    to: c.status,
                    on: c.on,
                    note: c.note.clone(),
                });
            }
        }
        if t.item.verification.as_ref().is_some_and(|v| in_week(v.on)) {
            verdicts.push(t.clone());
        }
        if t.overdue {
            overdue.push(t);
        } else if !t.item.status.is_closed()
            && t.item
                .due
                .is_some_and(|d| d >= today && d < today + Duration::days(7))
        {
            due_soon.push(t);
        }
    }
    changes.sort_by(|a, b| {
        (a.on, &a.action.incident.key, a.action.item.number).cmp(&(
            b.on,
            &b.action.incident.key,
            b.action.item.number,
        ))
    });
    by_due(&mut verdicts);
    by_due(&mut overdue);
    by_due(&mut due_soon);
    WeeklyReview {
        today,
        since,
        changes,
        verdicts,
        overdue,
        due_soon,
    }
}

/// Counts of items due in a period, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Completion {
    /// Items counted.
    pub total: u32,
    /// Done on or before the due day.
    pub on_time: u32,
    /// Done after the due day.
    pub late: u32,
    /// Done, on a day the history does not tell.
    pub done_undated: u32,
    /// Decided against (won't do).
    pub dropped: u32,
    /// Not done yet.
    pub open: u32,
    /// Done (on time, late or undated) over total, in whole percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_percent: Option<u32>,
}

impl Completion {
    fn add(&mut self, item: &ActionItem) {
        self.total += 1;
        match (done_on(item), item.due) {
            (Some(done), Some(due)) if done <= due => self.on_time += 1,
            (Some(_), Some(_)) => self.late += 1,
            (Some(_), None) => self.on_time += 1,
            (None, _) if item.status.is_done() => self.done_undated += 1,
            (None, _) if item.status == ActionStatus::WontDo => self.dropped += 1,
            (None, _) => self.open += 1,
        }
    }

    fn finish(mut self) -> Self {
        self.rate_percent = percent(self.on_time + self.late + self.done_undated, self.total);
        self
    }
}

/// Completion of one horizon or team in a monthly review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GroupCompletion {
    /// The horizon (`immediate`...) or the team's name; `(no horizon)` or
    /// `(no team)` when unknown.
    pub name: String,
    /// The counts.
    pub completion: Completion,
}

/// The monthly completion review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthlyReview {
    /// The month, `2025-11`.
    pub month: String,
    /// Its first day.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Its last day.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The day the review was made: items not done by then are open.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    /// Every item due in the month.
    pub completion: Completion,
    /// Per horizon, in horizon order.
    pub by_horizon: Vec<GroupCompletion>,
    /// Per team, by name.
    pub by_team: Vec<GroupCompletion>,
    /// The items due in the month, by due day.
    pub due: Vec<TrackedAction>,
    /// Items overdue at the end of the month: due before the next month
    /// and not closed at the month's last day.
    pub overdue_at_month_end: Vec<TrackedAction>,
}

/// The monthly completion review of `month`, made on `today`.
pub fn monthly(items: &[TrackedAction], month: Month, today: NaiveDate) -> MonthlyReview {
    let (from, to) = (month.first(), month.last());
    let mut completion = Completion::default();
    let mut horizons: BTreeMap<Option<Horizon>, Completion> = BTreeMap::new();
    let mut teams: BTreeMap<Option<String>, Completion> = BTreeMap::new();
    let mut due = Vec::new();
    let mut overdue = Vec::new();
    for t in items {
        let t = TrackedAction::new(t.incident.clone(), t.item.clone(), today);
        let Some(d) = t.item.due else { continue };
        if d >= from && d <= to {
            completion.add(&t.item);
            horizons.entry(t.item.horizon).or_default().add(&t.item);
            let team = t.item.team.clone().filter(|x| !x.trim().is_empty());
            teams.entry(team).or_default().add(&t.item);
            due.push(t.clone());
        }
        if d <= to && !status_on(&t.item, to).is_closed() {
            overdue.push(t);
        }
    }
    by_due(&mut due);
    by_due(&mut overdue);
    // Known horizons in their order, the unknown one last.
    let mut by_horizon: Vec<GroupCompletion> = Horizon::ALL
        .iter()
        .filter_map(|h| {
            horizons.remove(&Some(*h)).map(|c| GroupCompletion {
                name: h.as_str().to_owned(),
                completion: c.finish(),
            })
        })
        .collect();
    if let Some(c) = horizons.remove(&None) {
        by_horizon.push(GroupCompletion {
            name: "(no horizon)".into(),
            completion: c.finish(),
        });
    }
    let mut by_team: Vec<GroupCompletion> = Vec::new();
    let mut no_team = None;
    for (team, c) in teams {
        match team {
            Some(name) => by_team.push(GroupCompletion {
                name,
                completion: c.finish(),
            }),
            None => no_team = Some(c),
        }
    }
    if let Some(c) = no_team {
        by_team.push(GroupCompletion {
            name: "(no team)".into(),
            completion: c.finish(),
        });
    }
    MonthlyReview {
        month: month.to_string(),
        from,
        to,
        today,
        completion: completion.finish(),
        by_horizon,
        by_team,
        due,
        overdue_at_month_end: overdue,
    }
}

/// The quarterly effectiveness review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuarterlyReview {
    /// The quarter, `2025-Q4`.
    pub quarter: String,
    /// Its first day.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Its last day.
    #[serde(with = "crate::time::date")]
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Complete items, done by the quarter's end, still without a verdict.
    pub awaiting_verdict: Vec<TrackedAction>,
    /// Verified effective in the quarter.
    pub effective: Vec<TrackedAction>,
    /// Verified ineffective in the quarter: fixes that failed.
    pub ineffective: Vec<TrackedAction>,
    /// Effective over all verdicts of the quarter, in whole percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effectiveness_percent: Option<u32>,
}

/// The quarterly effectiveness review of `quarter`, made on `today`.
pub fn quarterly(items: &[TrackedAction], quarter: Quarter, today: NaiveDate) -> QuarterlyReview {
    let (from, to) = (quarter.first(), quarter.last());
    let mut awaiting = Vec::new();
    let mut effective = Vec::new();
    let mut ineffective = Vec::new();
    for t in items {
        let t = TrackedAction::new(t.incident.clone(), t.item.clone(), today);
        match &t.item.verification {
            Some(v) if v.on >= from && v.on <= to => {
                if v.effective {
                    effective.push(t);
                } else {
                    ineffective.push(t);
                }
            }
            None if t.item.status == ActionStatus::Complete
                && done_on(&t.item).is_none_or(|d| d <= to) =>
            {
                awaiting.push(t);
            }
            _ => {}
        }
    }
    by_due(&mut awaiting);
    by_due(&mut effective);
    by_due(&mut ineffective);
    let verdicts = u32::try_from(effective.len() + ineffective.len()).unwrap_or(u32::MAX);
    let good = u32::try_from(effective.len()).unwrap_or(u32::MAX);
    QuarterlyReview {
        quarter: quarter.to_string(),
        from,
        to,
        effectiveness_percent: percent(good, verdicts),
        awaiting_verdict: awaiting,
        effective,
        ineffective,
    }
}

/// Gives `item` a verdict on the day of `now`, with `evidence` (see the
/// module's decisions). Errors name the field: `status`, `evidence`,
/// `success_criteria` or `success_criteria[i]`. On error the item is left
/// as it was.
pub fn verify(
    item: &mut ActionItem,
    effective: bool,
    evidence: &str,
    now: DateTime<Utc>,
) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let evidence = evidence.trim();
    match (item.status, effective) {
        (ActionStatus::Complete, _) | (ActionStatus::Verified, false) => {}
        (ActionStatus::Verified, true) => {
            errs.push("status", "the item is verified effective already");
        }
        (s, _) => errs.push(
            "status",
            format!("is `{s}`; only a complete item can be given a verdict"),
        ),
    }
    if evidence.is_empty() {
        errs.push("evidence", "must not be empty: say what shows the verdict");
    }
    if effective {
        if item.success_criteria.is_empty() {
            errs.push(
                "success_criteria",
                "the item has no success criteria; add them before verifying it effective",
            );
        }
        for (i, c) in item.success_criteria.iter().enumerate() {
            if !c.done {
                errs.push(
                    format!("success_criteria[{i}]"),
                    format!("not met: {}", c.text),
                );
            }
        }
    }
    errs.clone().into_result()?;
    let on = now.date_naive();
    item.verification = Some(Verification {
        effective,
        on,
        evidence: evidence.to_owned(),
    });
    if effective {
        item.set_status(
            ActionStatus::Verified,
            now,
            Some("verified effective".to_owned()),
        );
    } else {
        item.set_status(
            ActionStatus::InProgress,
            now,
            Some("reopened: the fix was verified ineffective".to_owned()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_quarters_parse_and_bound() {
        let m = Month::parse("2025-02").unwrap();
        assert_eq!(m.to_string(), "2025-02");
        assert_eq!(m.last().to_string(), "2025-02-28");
        assert_eq!(
            Month::parse("2025-12").unwrap().next_first().to_string(),
            "2026-01-01"
        );
        assert!(Month::parse("2025-13").is_err());
        assert!(Month::parse("2025").is_err());
        let q = Quarter::parse("2025-q4").unwrap();
        assert_eq!(
            (q.first().to_string(), q.last().to_string()),
            ("2025-10-01".into(), "2025-12-31".into())
        );
        assert!(Quarter::parse("2025-Q5").is_err());
        assert_eq!(Quarter::containing(q.first()), q);
    }

    #[test]
    fn rates_round_half_up() {
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(0, 0), None);
    }
}
