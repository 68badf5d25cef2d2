//! The post-mortem review meeting for people: its agenda as Markdown, to
//! paste into a wiki or an invitation, and as an iCalendar (`.ics`) event,
//! to put in everybody's calendar.
//!
//! Both show the same things: the meeting's title, when and where, who
//! comes in which role, the blameless ground rules, each section with its
//! time box and running start time, the total and the facilitator's
//! warnings ([`Agenda::warnings`]; Markdown only).
//!
//! User text is data in both formats. In Markdown it goes through
//! [`crate::markdown::escape`], so a title cannot open a heading, a table or
//! an HTML element. In iCalendar the `icalendar` crate escapes `\`, `,`, `;`
//! and line breaks (RFC 5545 §3.3.11), folds lines at 75 octets and ends
//! them with CRLF; before that, carriage returns are turned into line breaks
//! and other control characters dropped, so no text can start a property of
//! its own.
//!
//! Times are in UTC. Nothing here reads the clock: the calendar's `DTSTAMP`
//! is a parameter.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Duration, Utc};
use debrief_core::PostMortem;
use debrief_core::meeting::{Agenda, GROUND_RULES, is_plausible_email};
use icalendar::{Calendar, Component, EventLike, Property};

use crate::markdown::escape;

/// Renders the agenda of `doc`'s review meeting as Markdown (CommonMark).
pub fn agenda_markdown(doc: &PostMortem, agenda: &Agenda) -> String {
    let mut out = String::new();
    let total = agenda.total_minutes();
    line(&mut out, &format!("# {}", escape(&agenda.title)));
    blank(&mut out);

    fact(
        &mut out,
        "Incident",
        &format!("{}, {}", doc.key, escape(&doc.title)),
    );
    let when = match (agenda.starts_at, agenda.ends_at()) {
        (Some(s), Some(e)) => format!(
            "{}–{} ({total} minutes)",
            s.format("%Y-%m-%d %H:%M"),
            if s.date_naive() == e.date_naive() {
                e.format("%H:%M UTC").to_string()
            } else {
                e.format("%Y-%m-%d %H:%M UTC").to_string()
            }
        ),
        _ => format!("not scheduled yet ({total} minutes)"),
    };
    fact(&mut out, "When", &when);
    fact(
        &mut out,
        "Where",
        &or_else(&agenda.location, "not decided yet"),
    );
    fact(
        &mut out,
        "Facilitator",
        &or_else(agenda.facilitator.as_deref().unwrap_or(""), "not assigned"),
    );
    fact(
        &mut out,
        "Note-taker",
        &or_else(agenda.note_taker.as_deref().unwrap_or(""), "not assigned"),
    );

    if !agenda.attendees.is_empty() {
        heading(&mut out, "Attendees");
        for a in &agenda.attendees {
            let team = a
                .team
                .as_deref()
                .map(escape)
                .filter(|t| !t.is_empty())
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            line(
                &mut out,
                &format!("- {}: {}{team}", escape(&a.name), a.role.label()),
            );
        }
    }

    heading(&mut out, "Ground rules");
    for (i, rule) in GROUND_RULES.iter().enumerate() {
        line(&mut out, &format!("{}. {}", i + 1, escape(rule)));
    }

    heading(&mut out, "Agenda");
    let offsets = agenda.offsets();
    for (i, (item, start)) in agenda.items.iter().zip(offsets).enumerate() {
        let number = format!("{}.", i + 1);
        let end = start.saturating_add(item.minutes);
        line(
            &mut out,
            &format!(
                "{number} **{}** ({}–{}, {} min)",
                escape(&item.title),
                clock(agenda.starts_at, start),
                clock(agenda.starts_at, end),
                item.minutes
            ),
        );
        let indent = " ".repeat(number.len() + 1);
        for point in item.points() {
            line(&mut out, &format!("{indent}- {}", escape(point)));
        }
    }
    blank(&mut out);
    line(&mut out, &format!("**Total**: {total} minutes"));

    let warnings = agenda.warnings();
    if !warnings.is_empty() {
        heading(&mut out, "Warnings");
        for w in warnings {
            line(
                &mut out,
                &format!("- **{}**: {}", w.code.label(), escape(&w.message)),
            );
        }
    }
    let mut s = out.trim_end().to_owned();
    s.push('\n');
    s
}

/// Why an agenda could not be exported as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IcsError {
    /// A field the event needs is not set; names the field.
    Missing(&'static str),
    /// The domain for the event's UID is not a host name.
    UidDomain(String),
    /// Writing the calendar failed.
    Format,
}

impl fmt::Display for IcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcsError::Missing(field) => write!(
                f,
                "`{field}` is not set; schedule the meeting before exporting it to a calendar"
            ),
            IcsError::UidDomain(d) => write!(
                f,
                "`{d}` is not a host name for event UIDs; use letters, digits, `.` and `-`"
            ),
            IcsError::Format => f.write_str("the calendar could not be written"),
        }
    }
}

impl std::error::Error for IcsError {}

/// The product identifier written into every calendar.
pub const PRODID: &str = "-//debrief//Post-mortem review meeting//EN";

/// The stable UID of `doc`'s review meeting under `uid_domain`: re-exporting
/// after a change updates the same event in a calendar instead of adding one.
pub fn meeting_uid(doc: &PostMortem, uid_domain: &str) -> String {
    format!("postmortem-review-{}@{uid_domain}", doc.key)
}

/// Renders the agenda of `doc`'s review meeting as an iCalendar object
/// (RFC 5545) with one event: UID from the incident key ([`meeting_uid`]),
/// `DTSTART` at `starts_at`, `DTEND` after the sum of the time boxes, the
/// title as `SUMMARY`, the location, and a `DESCRIPTION` holding the
/// agenda, the ground rules and the attendees. An `ATTENDEE` line is
/// written for each attendee with a plausible e-mail address.
///
/// Fails when `starts_at` is not set or `uid_domain` is not a host name.
pub fn agenda_ics(
    doc: &PostMortem,
    agenda: &Agenda,
    uid_domain: &str,
    dtstamp: DateTime<Utc>,
) -> Result<String, IcsError> {
    let starts = agenda.starts_at.ok_or(IcsError::Missing("starts_at"))?;
    let ends = agenda.ends_at().ok_or(IcsError::Missing("starts_at"))?;
    if !is_host_name(uid_domain) {
        return Err(IcsError::UidDomain(uid_domain.to_owned()));
    }
    let mut event = icalendar::Event::new();
    event
        .uid(&meeting_uid(doc, uid_domain))
        .timestamp(dtstamp)
        .starts(starts)
        .ends(ends)
        .summary(&one_line(&agenda.title))
        .description(&description(doc, agenda));
    let location = one_line(&agenda.location);
    if !location.is_empty() {
        event.location(&location);
    }
    for a in &agenda.attendees {
        let Some(email) = a.email.as_deref().filter(|e| is_plausible_email(e)) else {
            continue;
        };
        // DQUOTE cannot appear in a parameter value at all (RFC 5545 §3.1).
        let cn: String = one_line(&a.name).chars().filter(|c| *c != '"').collect();
        let mut attendee = icalendar::Attendee::new(format!("mailto:{email}"))
            .role(icalendar::Role::ReqParticipant);
        if !cn.is_empty() {
            attendee = attendee.cn(cn);
        }
        event.append_multi_property(attendee);
    }
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .push(event.done());
    let mut out = String::new();
    write!(out, "{calendar}").map_err(|_| IcsError::Format)?;
    Ok(out)
}

/// The event's description: plain text, one line per fact.
fn description(doc: &PostMortem, agenda: &Agenda) -> String {
    let mut d = String::new();
    let total = agenda.total_minutes();
    let _ = writeln!(
        d,
        "Post-mortem review of {}: {}",
        doc.key,
        one_line(&doc.title)
    );
    d.push('\n');
    let _ = writeln!(d, "Agenda ({total} minutes, times in UTC)");
    for ((i, item), start) in agenda.items.iter().enumerate().zip(agenda.offsets()) {
        let _ = writeln!(
            d,
            "{} {}. {} ({} min)",
            clock(agenda.starts_at, start),
            i + 1,
            one_line(&item.title),
            item.minutes
        );
        for point in item.points() {
            let _ = writeln!(d, "  - {}", one_line(point));
        }
    }
    d.push('\n');
    d.push_str("Ground rules\n");
    for rule in GROUND_RULES {
        let _ = writeln!(d, "- {rule}");
    }
    d.push('\n');
    d.push_str("Attendees\n");
    for a in &agenda.attendees {
        let team = a
            .team
            .as_deref()
            .map(one_line)
            .filter(|t| !t.is_empty())
            .map(|t| format!(", {t}"))
            .unwrap_or_default();
        let _ = writeln!(d, "- {}, {}{team}", one_line(&a.name), a.role.label());
    }
    let person = |p: &Option<String>| {
        let s = one_line(p.as_deref().unwrap_or(""));
        if s.is_empty() {
            "not assigned".to_owned()
        } else {
            s
        }
    };
    let _ = writeln!(d, "Facilitator: {}", person(&agenda.facilitator));
    let _ = write!(d, "Note-taker: {}", person(&agenda.note_taker));
    d
}

/// User text for a single-line iCalendar value: control characters
/// dropped, every run of white space (line breaks included) one space.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A host name: dot-separated labels of letters, digits and `-`.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A running time: the clock time in UTC when the meeting is scheduled
/// (`14:05`), otherwise the offset from the start (`0:05`).
fn clock(starts_at: Option<DateTime<Utc>>, offset_minutes: u32) -> String {
    let offset = Duration::minutes(i64::from(offset_minutes));
    match starts_at.and_then(|s| s.checked_add_signed(offset)) {
        Some(t) => t.format("%H:%M").to_string(),
        None => format!("{}:{:02}", offset_minutes / 60, offset_minutes % 60),
    }
}

fn or_else(text: &str, fallback: &str) -> String {
    let e = escape(text);
    if e.is_empty() { fallback.to_owned() } else { e }
}

fn line(out: &mut String, s: &str) {
    out.push_str(s);
    out.push('\n');
}

fn blank(out: &mut String) {
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn heading(out: &mut String, text: &str) {
    blank(out);
    line(out, &format!("## {text}"));
    blank(out);
}

fn fact(out: &mut String, label: &str, value: &str) {
    line(out, &format!("- **{label}**: {value}"));
}
