//! The review meeting's agenda for people: as Markdown (an insta snapshot,
//! and as a CommonMark renderer draws hostile text) and as an iCalendar
//! event (parsed back, and checked line by line against RFC 5545).

// A failed unwrap is a failed test, which is what a test should do.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use chrono::{DateTime, Utc};
use debrief_core::PostMortem;
use debrief_core::meeting::{Agenda, Attendee};
use debrief_core::{Role, time::parse_instant};
use debrief_report::agenda::{IcsError, agenda_ics, agenda_markdown, meeting_uid};
use icalendar::{Calendar, Component, EventLike};

fn t(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

/// INC-2025-1128, the seed's worked example, from the demo set.
fn inc_2025_1128() -> PostMortem {
    debrief_core::demo::documents()
        .unwrap()
        .into_iter()
        .find(|d| d.key.as_str() == debrief_core::demo::FEATURED_KEY)
        .unwrap()
}

/// The seed's agenda for INC-2025-1128, scheduled.
fn scheduled() -> Agenda {
    let mut a = Agenda::default_for(&inc_2025_1128());
    a.starts_at = Some(t("2025-12-02T14:00:00Z"));
    a.location = "War room 3 and https://meet.example.com/pm-1128".into();
    a
}

fn html(md: &str) -> String {
    let mut o = comrak::Options::default();
    o.extension.table = true;
    o.extension.tasklist = true;
    o.render.r#unsafe = true;
    comrak::markdown_to_html(md, &o)
}

// ---------------------------------------------------------------- Markdown

#[test]
fn the_seed_agenda_renders_for_inc_2025_1128() {
    let doc = inc_2025_1128();
    insta::assert_snapshot!("agenda_inc_2025_1128", agenda_markdown(&doc, &scheduled()));
}

#[test]
fn an_unscheduled_agenda_counts_from_the_start() {
    let doc = inc_2025_1128();
    let md = agenda_markdown(&doc, &Agenda::default_for(&doc));
    assert!(
        md.contains("- **When**: not scheduled yet (130 minutes)"),
        "{md}"
    );
    assert!(md.contains("- **Where**: not decided yet"), "{md}");
    assert!(md.contains("1. **Opening** (0:00–0:05, 5 min)"), "{md}");
    assert!(md.contains("8. **Closing** (2:00–2:10, 10 min)"), "{md}");
    assert!(md.contains("**Total**: 130 minutes"), "{md}");
}

#[test]
fn rendering_is_pure() {
    let doc = inc_2025_1128();
    assert_eq!(
        agenda_markdown(&doc, &scheduled()),
        agenda_markdown(&doc, &scheduled())
    );
}

#[test]
fn user_text_cannot_change_the_structure_of_the_agenda() {
    let doc = inc_2025_1128();
    let mut a = scheduled();
    a.title = "# Owned\n| a | b |\n|---|---|".into();
    a.location = "<script>alert(1)</script>".into();
    a.facilitator = Some("## Boss\n- [x] fired".into());
    a.items[0].title = "## Not a heading | cell".into();
    a.items[0].notes = "# heading\n| x | y |\n|---|---|\n<img src=x onerror=alert(1)>".into();
    a.attendees.push(Attendee {
        name: "Mallory\n\n# Pwned".into(),
        role: Role::Other,
        team: Some("|t|".into()),
        email: None,
    });
    let md = agenda_markdown(&doc, &a);
    let page = html(&md);
    // One h1 (ours) and our four h2 sections, nothing else.
    assert_eq!(page.matches("<h1>").count(), 1, "{page}");
    assert_eq!(page.matches("<h2>").count(), 4, "{page}");
    assert!(!page.contains("<table"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("<input"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("<h1># Owned | a | b | |---|---|</h1>"),
        "{page}"
    );
}

// --------------------------------------------------------------- iCalendar

fn ics(a: &Agenda) -> String {
    agenda_ics(
        &inc_2025_1128(),
        a,
        "debrief.example",
        t("2025-11-30T10:00:00Z"),
    )
    .unwrap()
}

/// The content lines with folding undone (RFC 5545 §3.1).
fn unfolded(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn event(ics: &str) -> icalendar::Event {
    let cal = Calendar::from_str(ics).unwrap();
    let events: Vec<_> = cal.events().cloned().collect();
    assert_eq!(events.len(), 1);
    events.into_iter().next().unwrap()
}

#[test]
fn an_agenda_without_a_start_cannot_go_in_a_calendar() {
    let doc = inc_2025_1128();
    let err = agenda_ics(
        &doc,
        &Agenda::default_for(&doc),
        "debrief.example",
        t("2025-11-30T10:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err, IcsError::Missing("starts_at"));
    assert!(err.to_string().contains("`starts_at`"), "{err}");
}

#[test]
fn a_uid_domain_must_be_a_host_name() {
    let err = agenda_ics(
        &inc_2025_1128(),
        &scheduled(),
        "evil\r\nATTENDEE:x",
        t("2025-11-30T10:00:00Z"),
    )
    .unwrap_err();
    assert!(matches!(err, IcsError::UidDomain(_)));
}

#[test]
fn the_event_holds_the_meeting() {
    let out = ics(&scheduled());
    let e = event(&out);
    assert_eq!(
        e.get_uid(),
        Some("postmortem-review-INC-2025-1128@debrief.example")
    );
    assert_eq!(
        meeting_uid(&inc_2025_1128(), "debrief.example"),
        e.get_uid().unwrap()
    );
    assert_eq!(
        e.get_summary(),
        Some("Post-mortem: INC-2025-1128 Admin account compromise")
    );
    assert_eq!(
        e.get_location(),
        Some("War room 3 and https://meet.example.com/pm-1128")
    );
    assert_eq!(e.get_timestamp(), Some(t("2025-11-30T10:00:00Z")));
    let lines = unfolded(&out);
    assert_eq!(lines.first().unwrap(), "BEGIN:VCALENDAR");
    assert_eq!(lines.last().unwrap(), "END:VCALENDAR");
    assert!(lines.contains(&"VERSION:2.0".to_owned()));
    assert!(lines.contains(&"DTSTART:20251202T140000Z".to_owned()));
    // 130 minutes later.
    assert!(lines.contains(&"DTEND:20251202T161000Z".to_owned()));
    assert!(lines.contains(&"DTSTAMP:20251130T100000Z".to_owned()));

    let d = e.get_description().unwrap();
    assert!(d.starts_with("Post-mortem review of INC-2025-1128: Admin account compromise\n"));
    assert!(d.contains("\n14:00 1. Opening (5 min)\n  - Set ground rules (blameless)\n"));
    assert!(d.contains("\n16:00 8. Closing (10 min)\n"));
    assert!(d.contains("\nGround rules\n- No blame, only learning.\n"));
    assert!(d.contains("\n- Dana, Incident commander, Security Team\n"));
    assert!(d.ends_with("Facilitator: not assigned\nNote-taker: Lee"));
    // Nobody has an e-mail address: no ATTENDEE lines.
    assert!(!lines.iter().any(|l| l.starts_with("ATTENDEE")));
}

#[test]
fn the_same_agenda_gives_the_same_bytes() {
    assert_eq!(ics(&scheduled()), ics(&scheduled()));
}

#[test]
fn lines_end_in_crlf_and_fold_at_75_octets() {
    let mut a = scheduled();
    a.title = "Revue post-mortem : compromission du compte administrateur — équipe sécurité 🔐 "
        .repeat(3);
    let out = ics(&a);
    assert!(out.ends_with("\r\n"));
    for (i, b) in out.bytes().enumerate() {
        if b == b'\n' {
            assert_eq!(out.as_bytes()[i - 1], b'\r', "bare LF at byte {i}");
        }
        if b == b'\r' {
            assert_eq!(
                out.as_bytes().get(i + 1),
                Some(&b'\n'),
                "bare CR at byte {i}"
            );
        }
    }
    let physical: Vec<&str> = out.split("\r\n").collect();
    assert!(physical.iter().all(|l| l.len() <= 75), "{physical:#?}");
    assert!(
        physical.iter().any(|l| l.starts_with(' ')),
        "nothing was folded"
    );
    assert_eq!(event(&out).get_summary(), Some(a.title.trim()));
}

#[test]
fn text_is_escaped_as_rfc_5545_says() {
    let mut a = scheduled();
    a.title = r"Review; causes, fixes \ owners".into();
    a.location = "Room 1;\nBuilding B".into();
    a.items[0].notes = "Point one, with a comma\nPoint two; with a semicolon".into();
    let out = ics(&a);
    let lines = unfolded(&out);
    assert!(
        lines.contains(&r"SUMMARY:Review\; causes\, fixes \\ owners".to_owned()),
        "{lines:#?}"
    );
    // A line break in a one-line field becomes a space.
    assert!(lines.contains(&r"LOCATION:Room 1\; Building B".to_owned()));
    let desc = lines.iter().find(|l| l.starts_with("DESCRIPTION")).unwrap();
    assert!(
        desc.contains(r"\n  - Point one\, with a comma\n  - Point two\; with a semicolon\n"),
        "{desc}"
    );
    let e = event(&out);
    assert_eq!(e.get_summary(), Some(a.title.as_str()));
    assert!(
        e.get_description()
            .unwrap()
            .contains("  - Point two; with a semicolon\n")
    );
}

#[test]
fn text_cannot_start_a_property_of_its_own() {
    let mut a = scheduled();
    a.title = "<script>alert('x')</script> review\r\nATTENDEE:mailto:evil@example.com".into();
    a.location = "here\rORGANIZER:mailto:evil@example.com".into();
    a.items[1].notes = "fine\r\nEND:VEVENT\r\nBEGIN:VEVENT".into();
    a.attendees[0].name = "Dana\r\nATTENDEE:mailto:evil@example.com".into();
    let out = ics(&a);
    let lines = unfolded(&out);
    assert!(
        !lines.iter().any(|l| l.starts_with("ATTENDEE")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("ORGANIZER")),
        "{lines:#?}"
    );
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 1);
    let e = event(&out);
    assert_eq!(
        e.get_summary(),
        Some("<script>alert('x')</script> review ATTENDEE:mailto:evil@example.com")
    );
}

#[test]
fn attendees_with_an_address_are_invited() {
    let mut a = scheduled();
    a.attendees[0].email = Some("dana@example.com".into());
    a.attendees[1].email = Some("not an address".into());
    a.attendees[2].name = "Mike \"The Responder\", Jr.".into();
    a.attendees[2].email = Some("mike@example.com".into());
    let out = ics(&a);
    let lines = unfolded(&out);
    let attendees: Vec<_> = lines.iter().filter(|l| l.starts_with("ATTENDEE")).collect();
    assert_eq!(attendees.len(), 2, "{attendees:#?}");
    assert!(attendees[0].ends_with(":mailto:dana@example.com"));
    assert!(attendees[0].contains("CN=Dana"));
    assert!(attendees[0].contains("ROLE=REQ-PARTICIPANT"));
    // A name with a comma is quoted; its own quotes are dropped.
    assert!(
        attendees[1].contains(r#"CN="Mike The Responder, Jr.""#),
        "{}",
        attendees[1]
    );
    // Everybody, invited or not, is in the description with their role.
    let d = event(&out).get_description().unwrap().to_owned();
    assert!(d.contains("- Lee, Note-taker, Security Team\n"), "{d}");
}
