//! The due dates of action items as an iCalendar feed (RFC 5545), for the
//! per-person and per-team calendar subscriptions.
//!
//! One all-day `VEVENT` per open action item that has a due date (closed
//! items and items without a date have nothing to put in a calendar):
//! - `SUMMARY` is `#N title (INC-...)`, so the event says which incident it
//!   belongs to in a month view;
//! - `DESCRIPTION` holds the item's description, its status, owner, team,
//!   priority and success criteria;
//! - `UID` is `action-item-{id}@{uid_domain}`, stable per item, so a
//!   calendar updates the event when the due date moves instead of adding
//!   a second one, and drops it once the item closes;
//! - `URL` is the incident's page.
//!
//! User text is data: as in [`crate::agenda`], control characters are
//! dropped from single-line values and the `icalendar` crate escapes and
//! folds. Nothing here reads the clock: `DTSTAMP` is a parameter.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use debrief_core::tracker::TrackerItem;
use icalendar::{Calendar, Component, EventLike, Property};

/// The product identifier written into every feed.
pub const FEED_PRODID: &str = "-//debrief//Action item due dates//EN";

/// The stable UID of an item's event.
pub fn item_uid(t: &TrackerItem, uid_domain: &str) -> String {
    format!("action-item-{}@{uid_domain}", t.item.id)
}

/// Renders the open, dated items of `items` as a calendar named `name`
/// (shown by calendar apps as the subscription's name).
pub fn due_dates_ics(
    name: &str,
    items: &[TrackerItem],
    uid_domain: &str,
    dtstamp: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", FEED_PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .append_property(Property::new("X-WR-CALNAME", one_line(name)));
    for t in items {
        let Some(due) = t.item.due else { continue };
        if t.item.status.is_closed() {
            continue;
        }
        let mut event = icalendar::Event::new();
        event
            .uid(&item_uid(t, uid_domain))
            .timestamp(dtstamp)
            .all_day(due)
            .summary(&one_line(&t.headline()))
            .description(&description(t));
        if !t.link.is_empty() {
            event.url(&t.link);
        }
        calendar.push(event.done());
    }
    calendar.to_string()
}

/// The event's description: plain text, one fact per line.
fn description(t: &TrackerItem) -> String {
    let a = &t.item;
    let mut d = String::new();
    if !a.description.trim().is_empty() {
        d.push_str(&clean(a.description.trim()));
        d.push_str("\n\n");
    }
    let _ = writeln!(
        d,
        "Incident: {} {}",
        t.incident,
        one_line(&t.incident_title)
    );
    let _ = writeln!(d, "Status: {}", a.status.label());
    let _ = writeln!(d, "Priority: {}", a.priority.label());
    if let Some(o) = &a.owner {
        let _ = writeln!(d, "Owner: {}", one_line(o));
    }
    if let Some(team) = &a.team {
        let _ = writeln!(d, "Team: {}", one_line(team));
    }
    if !a.success_criteria.is_empty() {
        d.push_str("Success criteria:\n");
        for c in &a.success_criteria {
            let _ = writeln!(
                d,
                "- [{}] {}",
                if c.done { "x" } else { " " },
                one_line(&c.text)
            );
        }
    }
    if let Some(r) = &a.external_ref {
        let _ = writeln!(d, "Ticket: {}", one_line(r));
    }
    d.trim_end().to_owned()
}

/// Multi-line user text: carriage returns become line breaks, other
/// control characters are dropped.
fn clean(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// Single-line user text: control characters dropped, white space runs
/// (line breaks included) one space.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use debrief_core::PostMortem;
    use debrief_core::tracker::{ExportFilter, tracker_items};
    use icalendar::{CalendarComponent, DatePerhapsTime};

    fn items() -> Vec<TrackerItem> {
        let doc: PostMortem = serde_json::from_value(serde_json::json!({
            "key": "INC-2025-1128", "title": "Admin account compromise", "severity": "critical",
            "status": "closed", "postmortem_status": "draft",
            "action_items": [
                {"number": 1, "title": "Enforce MFA;\r\nBEGIN:VEVENT", "priority": "critical",
                 "status": "planned", "owner": "Ana", "due": "2025-11-30",
                 "id": "0192f3c0-0000-7000-8000-000000000001",
                 "description": "Line one\r\nDESCRIPTION:forged"},
                {"number": 2, "title": "Done already", "priority": "low", "status": "complete",
                 "due": "2025-12-01", "id": "0192f3c0-0000-7000-8000-000000000002"},
                {"number": 3, "title": "No date", "priority": "low", "status": "planned",
                 "id": "0192f3c0-0000-7000-8000-000000000003"}
            ]
        }))
        .unwrap();
        tracker_items(&[doc], &ExportFilter::default(), "https://d.example")
    }

    #[test]
    fn one_all_day_event_per_open_dated_item() {
        let stamp = Utc.with_ymd_and_hms(2025, 11, 29, 8, 0, 0).unwrap();
        let ics = due_dates_ics("Ana's action items", &items(), "debrief.local", stamp);
        let parsed: Calendar = ics.parse().unwrap();
        let events: Vec<&icalendar::Event> = parsed
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 1, "{ics}");
        let e = events[0];
        assert_eq!(
            e.get_uid(),
            Some("action-item-0192f3c0-0000-7000-8000-000000000001@debrief.local")
        );
        assert_eq!(
            e.get_summary(),
            Some("#1 Enforce MFA; BEGIN:VEVENT (INC-2025-1128)")
        );
        assert_eq!(
            e.get_start(),
            Some(DatePerhapsTime::Date(
                chrono::NaiveDate::from_ymd_opt(2025, 11, 30).unwrap()
            ))
        );
        assert_eq!(
            e.get_url(),
            Some("https://d.example/incidents/INC-2025-1128")
        );
        // The user's line breaks stay inside the one DESCRIPTION value.
        assert!(!ics.contains("\r\nDESCRIPTION:forged"), "{ics}");
        assert!(
            e.get_description()
                .unwrap()
                .contains("Line one\nDESCRIPTION:forged")
        );
        assert_eq!(
            ics.split("\r\n").filter(|l| *l == "BEGIN:VEVENT").count(),
            1
        );
    }
}
