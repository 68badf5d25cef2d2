//! Action-item events for outbound notifications: which events exist, when
//! an action item's change or due date raises one, and the facts an event
//! carries to a webhook.
//!
//! Pure rules only: the store writes events to its outbox and the
//! `debrief-notify` crate formats, signs and delivers them. Time is always
//! a parameter (`today`, `at`).
//!
//! Decisions:
//! - `completed` is a move from a not-done status (planned, in progress,
//!   blocked, won't do) into complete or verified; `reopened` is a move from
//!   complete or verified back to a not-done status. Complete -> verified is
//!   neither: the work was already done.
//! - `due_soon` and `overdue` are raised at most once per item per due date
//!   (the [`due_dedupe_key`]): moving the due date raises them again for the
//!   new date, scanning twice does not. Closed items (done or won't do)
//!   raise neither.
//! - Events of a restricted incident carry its key and the item's number,
//!   status and due date, never the titles, owner or team: a webhook target
//!   (a chat channel) is read by more people than the incident's members.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::action::{ActionItem, ActionStatus};
use crate::vocabulary;

vocabulary! {
    /// What happened to an action item.
    pub enum EventKind {
        /// Due within the configured window and not closed.
        DueSoon => "due_soon" / "Due soon",
        /// Past its due date and not closed.
        Overdue => "overdue" / "Overdue",
        /// Moved into complete or verified.
        Completed => "completed" / "Completed",
        /// Moved from done back to not done.
        Reopened => "reopened" / "Reopened",
        /// A test event queued by an administrator; sent to one webhook only.
        Test => "test" / "Test",
    }
}

impl EventKind {
    /// The kinds a webhook may subscribe to (every kind but `test`, which
    /// goes to the webhook it was queued for, subscribed or not).
    pub const SUBSCRIBABLE: &'static [EventKind] = &[
        EventKind::DueSoon,
        EventKind::Overdue,
        EventKind::Completed,
        EventKind::Reopened,
    ];
}

/// The event raised by a status change from `old` to `new`, if any.
pub fn transition_event(old: ActionStatus, new: ActionStatus) -> Option<EventKind> {
    match (old.is_done(), new.is_done()) {
        (false, true) => Some(EventKind::Completed),
        (true, false) => Some(EventKind::Reopened),
        _ => None,
    }
}

/// The due-date event an item with `status` and `due` raises on `today`,
/// given a "due soon" window of `window_days` days: overdue when the due
/// day has passed, due soon when it is at most `window_days` away (today
/// included), none for closed items or items without a due date.
pub fn due_event(
    today: NaiveDate,
    due: Option<NaiveDate>,
    status: ActionStatus,
    window_days: u32,
) -> Option<EventKind> {
    let due = due?;
    if status.is_closed() {
        return None;
    }
    let days = (due - today).num_days();
    if days < 0 {
        Some(EventKind::Overdue)
    } else if days <= i64::from(window_days) {
        Some(EventKind::DueSoon)
    } else {
        None
    }
}

/// The key that makes a due-date event unique: one `kind` per item per due
/// date.
pub fn due_dedupe_key(kind: EventKind, item: Uuid, due: NaiveDate) -> String {
    format!("{}:{item}:{due}", kind.as_str())
}

/// The incident an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventIncident {
    /// Key, e.g. `INC-2025-1128`.
    pub key: String,
    /// Title; `None` for a restricted incident.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether the incident is restricted to its members.
    #[serde(default)]
    pub restricted: bool,
}

/// The action item an event is about, as it was when the event was raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventItem {
    /// Stable id.
    pub id: Uuid,
    /// Number within the incident.
    pub number: u32,
    /// Title; `None` for an item of a restricted incident.
    #[serde(default)]
    pub title: Option<String>,
    /// Owner; `None` when unset or restricted.
    #[serde(default)]
    pub owner: Option<String>,
    /// Team; `None` when unset or restricted.
    #[serde(default)]
    pub team: Option<String>,
    /// Due date.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<NaiveDate>,
    /// Status at the time of the event.
    pub status: ActionStatus,
    /// The item's page, relative to the server (`/incidents/KEY#actions`);
    /// the dispatcher prefixes the public base URL when it has one.
    pub path: String,
}

/// One event, as stored in the outbox and rendered into every payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionEvent {
    /// Event id; the same in every delivery of the event, so a receiver
    /// can drop duplicates.
    pub id: Uuid,
    /// What happened.
    pub kind: EventKind,
    /// When it happened (or was detected, for due-date events).
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: DateTime<Utc>,
    /// The incident.
    pub incident: EventIncident,
    /// The action item.
    pub item: EventItem,
}

impl ActionEvent {
    /// The event `kind` about `item` of the incident `key` (titled `title`),
    /// hiding the titles, owner and team when the incident is restricted.
    pub fn new(
        id: Uuid,
        kind: EventKind,
        at: DateTime<Utc>,
        key: &str,
        title: &str,
        restricted: bool,
        item: &ActionItem,
    ) -> ActionEvent {
        let open = |s: &str| (!restricted).then(|| s.to_owned());
        ActionEvent {
            id,
            kind,
            occurred_at: at,
            incident: EventIncident {
                key: key.to_owned(),
                title: open(title),
                restricted,
            },
            item: EventItem {
                id: item.id,
                number: item.number,
                title: open(&item.title),
                owner: item.owner.as_deref().and_then(open),
                team: item.team.as_deref().and_then(open),
                due: item.due,
                status: item.status,
                path: format!("/incidents/{key}#actions"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionStatus::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn completing_and_reopening_are_moves_across_the_done_line() {
        assert_eq!(
            transition_event(InProgress, Complete),
            Some(EventKind::Completed)
        );
        assert_eq!(
            transition_event(WontDo, Verified),
            Some(EventKind::Completed)
        );
        assert_eq!(
            transition_event(Verified, Planned),
            Some(EventKind::Reopened)
        );
        assert_eq!(transition_event(Complete, Verified), None);
        assert_eq!(transition_event(Planned, Blocked), None);
        assert_eq!(transition_event(Complete, Complete), None);
    }

    #[test]
    fn due_events_follow_the_window_and_skip_closed_items() {
        let today = day("2026-01-10");
        let ev = |due: &str, s| due_event(today, Some(day(due)), s, 3);
        assert_eq!(ev("2026-01-09", Planned), Some(EventKind::Overdue));
        assert_eq!(ev("2026-01-10", InProgress), Some(EventKind::DueSoon));
        assert_eq!(ev("2026-01-13", Blocked), Some(EventKind::DueSoon));
        assert_eq!(ev("2026-01-14", Planned), None);
        assert_eq!(ev("2026-01-01", Complete), None);
        assert_eq!(ev("2026-01-01", WontDo), None);
        assert_eq!(due_event(today, None, Planned, 3), None);
    }

    #[test]
    fn a_restricted_incident_event_carries_no_titles_or_people() {
        let item = ActionItem {
            id: Uuid::nil(),
            number: 4,
            title: "Rotate the secret".into(),
            description: String::new(),
            owner: Some("ana".into()),
            team: Some("sec".into()),
            due: Some(day("2026-01-10")),
            priority: crate::action::Priority::High,
            horizon: None,
            kind: None,
            success_criteria: vec![],
            status: Planned,
            status_history: vec![],
            verification: None,
            addresses: Default::default(),
            external_ref: None,
        };
        let at = DateTime::<Utc>::default();
        let e = ActionEvent::new(
            Uuid::nil(),
            EventKind::Overdue,
            at,
            "INC-1",
            "Leak",
            true,
            &item,
        );
        assert_eq!(e.incident.title, None);
        assert_eq!(
            (e.item.title, e.item.owner, e.item.team),
            (None, None, None)
        );
        assert_eq!(e.item.path, "/incidents/INC-1#actions");
        let e = ActionEvent::new(
            Uuid::nil(),
            EventKind::Overdue,
            at,
            "INC-1",
            "Leak",
            false,
            &item,
        );
        assert_eq!(e.item.owner.as_deref(), Some("ana"));
        assert_eq!(e.incident.title.as_deref(), Some("Leak"));
    }
}
