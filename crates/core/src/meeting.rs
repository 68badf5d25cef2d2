//! The post-mortem review meeting: its agenda, who comes, and the warnings a
//! facilitator should see before sending the invitation.
//!
//! [`Agenda::default_for`] lays out the seed's meeting structure: the eight
//! sections with their time boxes and talking points, in the seed's words,
//! and the attendees taken from the incident's participants.
//!
//! The seed asks for a meeting of 90 to 120 minutes ("Duration: 90-120
//! minutes"; pitfall 7: "90-120 minutes with focused agenda"), yet its own
//! eight time boxes add up to 130 minutes. The default agenda keeps the
//! seed's time boxes, so it carries a `too_long` warning until the
//! facilitator trims a section: the warning is the seed's own advice, and
//! which section to cut is the team's call.
//!
//! [`Agenda::warnings`] flags what the seed says a good meeting has: a
//! length within the guideline, the four required kinds of attendee
//! (incident responders, system owners, engineering leadership, the
//! security team), a note-taker and a facilitator. Warnings never block;
//! [`Agenda::validate`] lists what is actually wrong.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::document::{MAX_TITLE, PostMortem};
use crate::error::ValidationErrors;
use crate::incident::Role;
use crate::time::utc_opt;
use crate::vocabulary;

/// The shortest meeting the seed recommends, in minutes.
pub const MIN_MEETING_MINUTES: u32 = 90;
/// The longest meeting the seed recommends, in minutes.
pub const MAX_MEETING_MINUTES: u32 = 120;
/// The most items an agenda may have.
pub const MAX_ITEMS: usize = 50;
/// The longest time box of one item, in minutes (a working day).
pub const MAX_ITEM_MINUTES: u32 = 480;
/// The most attendees an agenda may list.
pub const MAX_ATTENDEES: usize = 200;
/// The longest notes of one item, in characters.
pub const MAX_NOTES: usize = 4000;

/// The blameless ground rules, read out at the opening.
///
/// All but the last two are the seed's words: its "#1 rule" and its five
/// core principles, each with the points that make it a rule. The last two are the standard rules of blameless
/// reviews the seed implies but does not state: judge by what was known at
/// the time (its timeline asks "what we knew when"), and let every voice be
/// heard (its pitfall 6, "people afraid to speak honestly").
pub const GROUND_RULES: &[&str] = &[
    "No blame, only learning.",
    "People are not the problem, systems are: focus on what broke, not who broke it.",
    "Assume good intentions and competence.",
    "Look for systemic issues.",
    "Learning over punishment: the goal is prevention, not retribution.",
    "Context matters: understand pressures and constraints.",
    "Action-oriented: focus on what we can improve.",
    "Safe environment: no fear of consequences, confidential discussions.",
    "Judge decisions by what was known at the time, not by hindsight.",
    "Every voice counts: everyone who was involved gets to speak, one at a time.",
];

/// The seed's agenda: section title, time box in minutes, talking points.
pub const SEED_AGENDA: [(&str, u32, &[&str]); 8] = [
    (
        "Opening",
        5,
        &[
            "Set ground rules (blameless)",
            "Review agenda",
            "Assign note-taker",
        ],
    ),
    (
        "Incident Overview",
        10,
        &["Quick summary", "Impact scope", "Timeline highlights"],
    ),
    (
        "Detailed Timeline",
        30,
        &[
            "Walk through events",
            "What we knew when",
            "Decision points",
        ],
    ),
    (
        "What Went Well",
        15,
        &[
            "Successful actions",
            "Effective procedures",
            "Good decisions",
        ],
    ),
    (
        "What Went Wrong",
        20,
        &[
            "Failures and gaps",
            "Missed opportunities",
            "Ineffective responses",
        ],
    ),
    (
        "Root Cause Analysis",
        20,
        &[
            "Why did this happen?",
            "Contributing factors",
            "Systemic issues",
        ],
    ),
    (
        "Action Items",
        20,
        &[
            "Prevention measures",
            "Detection improvements",
            "Response enhancements",
        ],
    ),
    (
        "Closing",
        10,
        &["Review action items", "Assign owners", "Set deadlines"],
    ),
];

/// The kinds of attendee the seed requires, with its wording. A role on its
/// own line is satisfied by an attendee with that [`Role`]; incident
/// responders are also satisfied by the incident commander.
pub const REQUIRED_ROLES: [(Role, &str); 4] = [
    (Role::Responder, "Incident responders"),
    (Role::SystemOwner, "System owners"),
    (Role::EngineeringLeadership, "Engineering leadership"),
    (Role::Security, "Security team"),
];

/// One section of the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    /// Section title, e.g. "Detailed Timeline".
    pub title: String,
    /// Time box in minutes.
    pub minutes: u32,
    /// Talking points, one per line.
    #[serde(default)]
    pub notes: String,
}

impl AgendaItem {
    /// The talking points: the non-blank lines of the notes, trimmed.
    pub fn points(&self) -> impl Iterator<Item = &str> {
        self.notes.lines().map(str::trim).filter(|l| !l.is_empty())
    }
}

/// A person invited to the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    /// Name as people know them.
    pub name: String,
    /// The part they play.
    pub role: Role,
    /// Team, if useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// E-mail address, for a calendar invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The agenda of the post-mortem review meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agenda {
    /// Meeting title.
    pub title: String,
    /// When the meeting starts; absent until it is scheduled.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Room, call link or both.
    #[serde(default)]
    pub location: String,
    /// Sections, in order.
    pub items: Vec<AgendaItem>,
    /// Who takes notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_taker: Option<String>,
    /// Who facilitates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilitator: Option<String>,
    /// Who is invited.
    #[serde(default)]
    pub attendees: Vec<Attendee>,
}

vocabulary! {
    /// What an agenda warning is about.
    pub enum AgendaWarningCode {
        /// The time boxes add up to less than the guideline.
        TooShort => "too_short" / "Meeting too short",
        /// The time boxes add up to more than the guideline.
        TooLong => "too_long" / "Meeting too long",
        /// A required kind of attendee is missing.
        MissingRole => "missing_role" / "Required attendee missing",
        /// Nobody takes notes.
        NoNoteTaker => "no_note_taker" / "No note-taker",
        /// Nobody facilitates.
        NoFacilitator => "no_facilitator" / "No facilitator",
    }
}

/// Something a facilitator should look at; never blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgendaWarning {
    /// What it is about.
    pub code: AgendaWarningCode,
    /// The missing role, for `missing_role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The warning in words a facilitator can act on.
    pub message: String,
}

impl Agenda {
    /// The seed's agenda for `doc`: its eight sections and time boxes in
    /// order, attendees from the incident's participants, the note-taker
    /// from the first participant with that role. Not scheduled, no place,
    /// no facilitator yet.
    pub fn default_for(doc: &PostMortem) -> Self {
        let items = SEED_AGENDA
            .iter()
            .map(|(title, minutes, points)| AgendaItem {
                title: (*title).to_owned(),
                minutes: *minutes,
                notes: points.join("\n"),
            })
            .collect();
        let attendees = doc
            .participants
            .iter()
            .map(|p| Attendee {
                name: p.name.clone(),
                role: p.role,
                team: p.team.clone(),
                email: None,
            })
            .collect();
        let note_taker = doc
            .participants
            .iter()
            .find(|p| p.role == Role::NoteTaker)
            .map(|p| p.name.clone());
        Self {
            title: format!("Post-mortem: {} {}", doc.key, doc.title),
            starts_at: None,
            location: String::new(),
            items,
            note_taker,
            facilitator: None,
            attendees,
        }
    }

    /// The sum of the time boxes, in minutes.
    pub fn total_minutes(&self) -> u32 {
        self.items
            .iter()
            .fold(0u32, |sum, i| sum.saturating_add(i.minutes))
    }

    /// When the meeting ends, if it is scheduled.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at?
            .checked_add_signed(Duration::minutes(i64::from(self.total_minutes())))
    }

    /// The start of each item, in minutes from the start of the meeting.
    pub fn offsets(&self) -> Vec<u32> {
        let mut at = 0u32;
        self.items
            .iter()
            .map(|i| {
                let start = at;
                at = at.saturating_add(i.minutes);
                start
            })
            .collect()
    }

    /// Checks the agenda: a title, 1 to [`MAX_ITEMS`] items each with a
    /// title and a time box of 1 to [`MAX_ITEM_MINUTES`] minutes, named
    /// attendees with plausible e-mail addresses, and no blank note-taker or
    /// facilitator.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        title_rule(&mut errs, "title", &self.title);
        if self.location.chars().count() > MAX_TITLE {
            errs.push("location", format!("is longer than {MAX_TITLE} characters"));
        }
        if self.items.is_empty() {
            errs.push("items", "add at least one item");
        } else if self.items.len() > MAX_ITEMS {
            errs.push("items", format!("has more than {MAX_ITEMS} items"));
        }
        for (i, item) in self.items.iter().enumerate() {
            title_rule(&mut errs, &format!("items[{i}].title"), &item.title);
            if item.minutes == 0 {
                errs.push(format!("items[{i}].minutes"), "must be at least 1");
            } else if item.minutes > MAX_ITEM_MINUTES {
                errs.push(
                    format!("items[{i}].minutes"),
                    format!("must be at most {MAX_ITEM_MINUTES}"),
                );
            }
            if item.notes.chars().count() > MAX_NOTES {
                errs.push(
                    format!("items[{i}].notes"),
                    format!("is longer than {MAX_NOTES} characters"),
                );
            }
        }
        if self.attendees.len() > MAX_ATTENDEES {
            errs.push(
                "attendees",
                format!("has more than {MAX_ATTENDEES} attendees"),
            );
        }
        for (i, a) in self.attendees.iter().enumerate() {
            title_rule(&mut errs, &format!("attendees[{i}].name"), &a.name);
            if let Some(e) = &a.email
                && !is_plausible_email(e)
            {
                errs.push(
                    format!("attendees[{i}].email"),
                    "is not an e-mail address such as `sarah@example.com`",
                );
            }
        }
        for (field, v) in [
            ("note_taker", &self.note_taker),
            ("facilitator", &self.facilitator),
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                errs.push(field, "must not be blank; leave it out instead");
            }
        }
        errs
    }

    /// What a facilitator should look at before sending the invitation: the
    /// length against the 90–120 minute guideline, each required kind of
    /// attendee missing, no note-taker, no facilitator. In that order.
    pub fn warnings(&self) -> Vec<AgendaWarning> {
        let mut out = Vec::new();
        let total = self.total_minutes();
        if total < MIN_MEETING_MINUTES {
            out.push(AgendaWarning {
                code: AgendaWarningCode::TooShort,
                role: None,
                message: format!(
                    "The agenda runs {total} minutes; the guideline is {MIN_MEETING_MINUTES}–{MAX_MEETING_MINUTES} minutes. A rushed review stays on the surface."
                ),
            });
        } else if total > MAX_MEETING_MINUTES {
            out.push(AgendaWarning {
                code: AgendaWarningCode::TooLong,
                role: None,
                message: format!(
                    "The agenda runs {total} minutes; the guideline is {MIN_MEETING_MINUTES}–{MAX_MEETING_MINUTES} minutes. Trim a section to keep the meeting focused."
                ),
            });
        }
        for (role, label) in REQUIRED_ROLES {
            let present = self.attendees.iter().any(|a| {
                a.role == role || (role == Role::Responder && a.role == Role::IncidentCommander)
            });
            if !present {
                out.push(AgendaWarning {
                    code: AgendaWarningCode::MissingRole,
                    role: Some(role),
                    message: format!(
                        "No attendee is among the {}: invite them, the review needs every stakeholder.",
                        label.to_lowercase()
                    ),
                });
            }
        }
        if self
            .note_taker
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            out.push(AgendaWarning {
                code: AgendaWarningCode::NoNoteTaker,
                role: None,
                message: "Nobody is assigned to take notes.".to_owned(),
            });
        }
        if self
            .facilitator
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            out.push(AgendaWarning {
                code: AgendaWarningCode::NoFacilitator,
                role: None,
                message:
                    "Nobody is assigned to facilitate; ideally someone who was not in the response."
                        .to_owned(),
            });
        }
        out
    }
}

fn title_rule(errs: &mut ValidationErrors, field: &str, v: &str) {
    if v.trim().is_empty() {
        errs.push(field, "must not be empty");
    } else if v.chars().count() > MAX_TITLE {
        errs.push(field, format!("is longer than {MAX_TITLE} characters"));
    }
}

/// A deliberately strict e-mail check: one `@` with a non-empty local part
/// and a dotted domain, no white space, no control characters and none of
/// the characters that have a meaning in calendar or mail headers
/// (`"`, `,`, `;`, `:`, `<`, `>`, `\`).
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let clean = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| {
                !c.is_whitespace()
                    && !c.is_control()
                    && !matches!(c, '"' | ',' | ';' | ':' | '<' | '>' | '\\' | '@')
            })
    };
    s.len() <= 254
        && clean(local)
        && clean(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}
