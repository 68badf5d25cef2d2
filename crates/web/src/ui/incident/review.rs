//! The guided review part: response measures with how each was computed
//! and the service-level targets met or missed, the post-mortem process
//! deadlines (with a form for when the meeting was scheduled and held, when
//! the learnings were shared, when the quarterly review took place), the six
//! steps of the review as progress, the completion checklist (ticked by the
//! data or by hand), the meeting agenda with its time boxes, warnings and
//! ground rules, and the coach's findings, each acknowledgeable with a
//! reason. What is computed comes from [`debrief_core::review::report`]; the
//! coach's findings are also shown next to the items they are about.
//!
//! The agenda form takes the items as text, one item per `minutes | title`
//! line followed by its talking points as `- point` lines, and the
//! attendees as `Name | role | e-mail` lines (role as in the participant
//! list: `responder`, `system_owner`, `engineering_leadership`,
//! `security`...).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use debrief_core::checklist::ChecklistGroup;
use debrief_core::coach::FindingSeverity;
use debrief_core::meeting::{Agenda, AgendaItem, Attendee};
use debrief_core::review::ReviewReport;
use debrief_core::{PostMortem, Review, Role};
use debrief_store::StoreError;
use serde::Deserialize;

use super::form::{
    duration_words, general, invalid, local_input, no_version, opt, parse_time, version_of, when,
};
use super::{Input, Loaded, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::api::review::{AcknowledgementInput, acknowledge_as, review_of};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;
use crate::ui::{FieldErrors, PageError};

/// One response measure.
pub struct MeasureRow {
    /// What it measures.
    pub label: &'static str,
    /// Its value in words, or empty when a time is missing.
    pub value: String,
    /// How it was computed.
    pub explanation: String,
}

/// One service-level target.
pub struct SlaRow {
    /// What must happen in time.
    pub label: &'static str,
    /// The target in words.
    pub target: String,
    /// How long it took, or empty.
    pub actual: String,
    /// `met`, `missed` or `unknown`.
    pub state: &'static str,
}

/// One process deadline.
pub struct DeadlineRow {
    /// The step.
    pub label: String,
    /// Due, or empty until the incident is closed.
    pub due: String,
    /// State machine form (badge class).
    pub state: &'static str,
    /// State label.
    pub state_label: &'static str,
    /// When it was done, if known.
    pub done_at: String,
    /// What shows it was done.
    pub evidence: String,
}

/// One of the six steps.
pub struct StepRow {
    /// The step.
    pub label: String,
    /// Done.
    pub done: bool,
    /// What shows it.
    pub evidence: String,
    /// What is left.
    pub missing: Vec<String>,
}

/// One checklist item.
pub struct CheckRow {
    /// Stable id.
    pub id: String,
    /// The seed's text.
    pub text: String,
    /// Ticked.
    pub done: bool,
    /// Ticked because the data proves it (cannot be unticked by hand).
    pub auto: bool,
    /// What proves it.
    pub evidence: String,
    /// Ticked by hand.
    pub manual: bool,
}

/// Checklist items of one group.
pub struct CheckGroup {
    /// The seed's heading.
    pub label: &'static str,
    /// Items in the seed's order.
    pub items: Vec<CheckRow>,
}

/// One coach finding.
pub struct FindingRow {
    /// Position, for form ids.
    pub n: usize,
    /// Rule id.
    pub rule: String,
    /// Severity machine form (class).
    pub severity: &'static str,
    /// What is wrong.
    pub message: String,
    /// The field it is about.
    pub field: String,
    /// The words it is about, if any.
    pub excerpt: String,
    /// What to do instead.
    pub suggestion: String,
    /// "Accepted by NAME at TIME: REASON", once acknowledged.
    pub ack: Option<String>,
}

/// One agenda item with its start.
pub struct AgendaRow {
    /// Start (clock time in UTC when scheduled, else offset).
    pub at: String,
    /// Minutes.
    pub minutes: u32,
    /// Section title.
    pub title: String,
    /// Talking points.
    pub points: Vec<String>,
}

/// A short inline note from the coach, shown next to an item.
#[derive(Debug, Clone)]
pub struct CoachNote {
    /// Severity machine form (class).
    pub severity: &'static str,
    /// What is wrong, with the rule id.
    pub text: String,
}

/// The coach's findings by item id, for notes next to the items.
#[derive(Debug, Default)]
pub struct CoachNotes(HashMap<String, Vec<CoachNote>>);

impl CoachNotes {
    /// Notes for item `id`.
    pub fn of(&self, id: &str) -> Vec<CoachNote> {
        self.0.get(id).cloned().unwrap_or_default()
    }

    /// The open findings of `r`, keyed by the id of the item their field
    /// path names (`timeline[i]`, `root_causes[i]`, `action_items[i]`,
    /// `five_whys[i]`).
    pub fn index(doc: &PostMortem, r: &ReviewReport) -> Self {
        let mut map: HashMap<String, Vec<CoachNote>> = HashMap::new();
        for f in r.findings.iter().filter(|f| f.acknowledgement.is_none()) {
            let Some(path) = f.finding.field.as_deref() else {
                continue;
            };
            let Some((section, rest)) = path.split_once('[') else {
                continue;
            };
            let Some(i) = rest.split(']').next().and_then(|n| n.parse::<usize>().ok()) else {
                continue;
            };
            let id = match section {
                "timeline" => doc.timeline.get(i).map(|e| e.id),
                "root_causes" => doc.root_causes.get(i).map(|c| c.id),
                "action_items" => doc.action_items.get(i).map(|a| a.id),
                "five_whys" => doc.five_whys.get(i).map(|w| w.id),
                _ => None,
            };
            if let Some(id) = id {
                map.entry(id.to_string()).or_default().push(CoachNote {
                    severity: severity_class(f.finding.severity),
                    text: format!("{} ({})", f.finding.message, f.finding.rule),
                });
            }
        }
        Self(map)
    }
}

fn severity_class(s: FindingSeverity) -> &'static str {
    match s {
        FindingSeverity::Blocking => "sev-blocking",
        FindingSeverity::Warning => "sev-warning",
        FindingSeverity::Info => "sev-info",
    }
}

/// The process facts form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FactsForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// When the meeting was scheduled (UTC).
    pub meeting_scheduled_at: String,
    /// When it was held (UTC).
    pub meeting_held_at: String,
    /// When the learnings were shared (UTC).
    pub shared_at: String,
    /// When the quarterly review took place (UTC).
    pub quarterly_review_at: String,
}

/// The agenda form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgendaForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Meeting title.
    pub title: String,
    /// Start (UTC).
    pub starts_at: String,
    /// Room or call link.
    pub location: String,
    /// Facilitator.
    pub facilitator: String,
    /// Note-taker.
    pub note_taker: String,
    /// Items: `minutes | title` lines, each followed by `- point` lines.
    pub items: String,
    /// Attendees: `Name | role | e-mail` lines.
    pub attendees: String,
}

impl AgendaForm {
    fn of(a: &Agenda, version: i64) -> Self {
        let mut items = String::new();
        for i in &a.items {
            items.push_str(&format!("{} | {}\n", i.minutes, i.title));
            for p in i.points() {
                items.push_str(&format!("- {p}\n"));
            }
        }
        let attendees = a
            .attendees
            .iter()
            .map(|p| {
                let mut l = format!("{} | {}", p.name, p.role.as_str());
                if let Some(e) = &p.email {
                    l.push_str(&format!(" | {e}"));
                }
                l
            })
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            version: version.to_string(),
            title: a.title.clone(),
            starts_at: a.starts_at.map(local_input).unwrap_or_default(),
            location: a.location.clone(),
            facilitator: a.facilitator.clone().unwrap_or_default(),
            note_taker: a.note_taker.clone().unwrap_or_default(),
            items,
            attendees,
        }
    }

    /// The agenda the form describes, or `None` with `errors` filled in.
    pub fn agenda(&self, errors: &mut FieldErrors) -> Option<Agenda> {
        let starts_at = parse_time(errors, "starts_at", &self.starts_at, false);
        let mut items: Vec<AgendaItem> = Vec::new();
        for (n, line) in self.items.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(point) = line.strip_prefix('-') {
                match items.last_mut() {
                    Some(item) => {
                        if !item.notes.is_empty() {
                            item.notes.push('\n');
                        }
                        item.notes.push_str(point.trim());
                    }
                    None => errors.push(
                        "items",
                        format!("line {}: a point before any `minutes | title` line", n + 1),
                    ),
                }
                continue;
            }
            match line.split_once('|') {
                Some((m, t)) => match m.trim().parse::<u32>() {
                    Ok(minutes) => items.push(AgendaItem {
                        title: t.trim().to_owned(),
                        minutes,
                        notes: String::new(),
                    }),
                    Err(_) => errors.push(
                        "items",
                        format!("line {}: `{}` is not a number of minutes", n + 1, m.trim()),
                    ),
                },
                None => errors.push(
                    "items",
                    format!(
                        "line {}: write `minutes | title`, or `- point` under an item",
                        n + 1
                    ),
                ),
            }
        }
        let mut attendees = Vec::new();
        for (n, line) in self.attendees.lines().enumerate() {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            if parts.iter().all(|p| p.is_empty()) {
                continue;
            }
            match parts.get(1).copied().unwrap_or("").parse::<Role>() {
                Ok(role) => attendees.push(Attendee {
                    name: parts[0].to_owned(),
                    role,
                    team: None,
                    email: parts.get(2).and_then(|e| opt(e)),
                }),
                Err(m) => errors.push("attendees", format!("line {}: {m}", n + 1)),
            }
        }
        let agenda = Agenda {
            title: self.title.trim().to_owned(),
            starts_at,
            location: self.location.trim().to_owned(),
            items,
            note_taker: opt(&self.note_taker),
            facilitator: opt(&self.facilitator),
            attendees,
        };
        for (f, m) in agenda
            .validate()
            .0
            .into_iter()
            .map(|e| (e.field, e.message))
        {
            // Item errors point at the text as a whole.
            let f = if f.starts_with("items") {
                "items".to_owned()
            } else {
                f
            };
            errors.push(&f, m);
        }
        errors.is_empty().then_some(agenda)
    }
}

/// The acknowledge form of one finding.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AckForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Rule id.
    pub rule: String,
    /// Field path.
    pub field: String,
    /// Why it needs no change.
    pub reason: String,
}

/// The guided review section (also answered alone to htmx).
pub struct ReviewView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Response measures.
    pub measures: Vec<MeasureRow>,
    /// Targets for the incident's severity.
    pub sla: Vec<SlaRow>,
    /// Severity the targets are for.
    pub sla_severity: &'static str,
    /// Process deadlines.
    pub deadlines: Vec<DeadlineRow>,
    /// Six steps.
    pub steps: Vec<StepRow>,
    /// Steps done.
    pub steps_done: usize,
    /// Checklist by group.
    pub checklist: Vec<CheckGroup>,
    /// Checklist items done, and in all.
    pub checklist_done: (usize, usize),
    /// Coach findings, open first.
    pub findings: Vec<FindingRow>,
    /// Open blocking findings.
    pub open_blocking: usize,
    /// What blocks publishing.
    pub publish_blockers: Vec<String>,
    /// Agenda items.
    pub agenda: Vec<AgendaRow>,
    /// Agenda heading facts (title, when, where, who).
    pub agenda_facts: Vec<super::Fact>,
    /// Total minutes.
    pub agenda_total: u32,
    /// Whether the agenda is saved (else the seed's default is shown).
    pub agenda_saved: bool,
    /// Whether it has a start (for the calendar download).
    pub agenda_scheduled: bool,
    /// Agenda warnings.
    pub agenda_warnings: Vec<String>,
    /// Ground rules.
    pub ground_rules: Vec<String>,
    /// Facts form.
    pub facts_form: FactsForm,
    /// The facts form's fields: name, label, value.
    pub fact_fields: Vec<(&'static str, &'static str, String)>,
    /// Agenda form.
    pub agenda_form: AgendaForm,
    /// Reason typed in a refused acknowledgement, by finding position.
    pub ack_reason: (usize, String),
    /// The form a refused write came from: `facts`, `agenda`, `ack` or empty.
    pub failed: &'static str,
    /// Field errors.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(when).unwrap_or_default()
}

impl ReviewView {
    /// The review of `doc` from its computed report, with a refused write shown.
    pub fn of(doc: &PostMortem, l: &Loaded, r: &ReviewReport, refused: Option<&Refusal>) -> Self {
        let version = Refusal::version(refused, doc.version);
        let measures = r
            .measures
            .iter()
            .map(|m| MeasureRow {
                label: m.measure.label(),
                value: m.value.map(duration_words).unwrap_or_default(),
                explanation: format!(
                    "From {} ({}) to {} ({}).",
                    m.from.moment.label().to_lowercase(),
                    m.from.source.describe(),
                    m.to.moment.label().to_lowercase(),
                    m.to.source.describe()
                ),
            })
            .collect();
        let sla = r
            .sla
            .iter()
            .filter(|s| s.target.is_some())
            .map(|s| SlaRow {
                label: s.measure.label(),
                target: s.target.map(duration_words).unwrap_or_default(),
                actual: s.actual.map(duration_words).unwrap_or_default(),
                state: match s.met {
                    Some(true) => "met",
                    Some(false) => "missed",
                    None => "unknown",
                },
            })
            .collect();
        let deadlines = r
            .deadlines
            .iter()
            .map(|d| DeadlineRow {
                label: d.label.clone(),
                due: time(d.due),
                state: d.state.as_str(),
                state_label: d.state.label(),
                done_at: time(d.done_at),
                evidence: d.evidence.clone().unwrap_or_default(),
            })
            .collect();
        let steps: Vec<StepRow> = r
            .steps
            .iter()
            .map(|s| StepRow {
                label: s.label.clone(),
                done: s.done,
                evidence: s.evidence.join("; "),
                missing: s.missing.clone(),
            })
            .collect();
        let checklist = ChecklistGroup::ALL
            .iter()
            .map(|g| CheckGroup {
                label: g.label(),
                items: r
                    .checklist
                    .iter()
                    .filter(|c| c.group == *g)
                    .map(|c| CheckRow {
                        id: c.id.clone(),
                        text: c.text.clone(),
                        done: c.done,
                        auto: c.auto,
                        evidence: c.evidence.clone().unwrap_or_default(),
                        manual: doc.review.checklist.contains(&c.id),
                    })
                    .collect(),
            })
            .collect();
        let mut findings: Vec<FindingRow> =
            r.findings
                .iter()
                .enumerate()
                .map(|(n, f)| {
                    let c = &f.finding;
                    FindingRow {
                        n,
                        rule: c.rule.clone(),
                        severity: severity_class(c.severity),
                        message: c.message.clone(),
                        field: c.field.clone().unwrap_or_default(),
                        excerpt: field_text(doc, c.field.as_deref())
                            .and_then(|t| t.get(c.start..c.end))
                            .unwrap_or_default()
                            .to_owned(),
                        suggestion: c.suggestion.clone(),
                        ack: f.acknowledgement.as_ref().map(|a| {
                            format!("Accepted by {} at {}: {}", a.by, when(a.at), a.reason)
                        }),
                    }
                })
                .collect();
        findings.sort_by_key(|f| (f.ack.is_some(), f.severity != "sev-blocking"));
        let a = &r.agenda;
        let offsets = a.offsets();
        let agenda = a
            .items
            .iter()
            .zip(offsets)
            .map(|(i, off)| AgendaRow {
                at: match a.starts_at {
                    Some(t) => (t + chrono::Duration::minutes(i64::from(off)))
                        .format("%H:%M")
                        .to_string(),
                    None => format!("+{}:{:02}", off / 60, off % 60),
                },
                minutes: i.minutes,
                title: i.title.clone(),
                points: i.points().map(str::to_owned).collect(),
            })
            .collect();
        let mut agenda_facts = vec![super::form::fact("Meeting", a.title.clone())];
        if let Some(t) = a.starts_at {
            agenda_facts.push(super::form::fact("Starts", when(t)));
        }
        if !a.location.is_empty() {
            agenda_facts.push(super::form::fact("Where", a.location.clone()));
        }
        if let Some(f) = &a.facilitator {
            agenda_facts.push(super::form::fact("Facilitator", f.clone()));
        }
        if let Some(n) = &a.note_taker {
            agenda_facts.push(super::form::fact("Note-taker", n.clone()));
        }
        if !a.attendees.is_empty() {
            let who: Vec<String> = a
                .attendees
                .iter()
                .map(|p| format!("{} ({})", p.name, p.role.label()))
                .collect();
            agenda_facts.push(super::form::fact("Attendees", who.join(", ")));
        }
        let facts = &doc.review.facts;
        let mut facts_form = FactsForm {
            version: version.to_string(),
            meeting_scheduled_at: facts
                .meeting_scheduled_at
                .map(local_input)
                .unwrap_or_default(),
            meeting_held_at: facts.meeting_held_at.map(local_input).unwrap_or_default(),
            shared_at: facts.shared_at.map(local_input).unwrap_or_default(),
            quarterly_review_at: facts
                .quarterly_review_at
                .map(local_input)
                .unwrap_or_default(),
        };
        let mut agenda_form = AgendaForm::of(a, version);
        let mut ack_reason = (usize::MAX, String::new());
        let errors = refused.map(|r| r.errors.clone()).unwrap_or_default();
        let failed = match refused.map(|r| &r.input) {
            Some(Input::Facts(f)) => {
                facts_form = f.clone();
                "facts"
            }
            Some(Input::Agenda(f)) => {
                agenda_form = f.clone();
                "agenda"
            }
            Some(Input::Ack(f)) => {
                if let Some(row) = findings
                    .iter()
                    .find(|row| row.rule == f.rule && row.field == f.field)
                {
                    ack_reason = (row.n, f.reason.clone());
                }
                "ack"
            }
            _ => "",
        };
        Self {
            key: doc.key.to_string(),
            version,
            can_edit: l.can_edit,
            csrf: String::new(),
            measures,
            sla,
            sla_severity: doc.severity.label(),
            deadlines,
            steps_done: steps.iter().filter(|s| s.done).count(),
            steps,
            checklist,
            checklist_done: (
                r.checklist.iter().filter(|c| c.done).count(),
                r.checklist.len(),
            ),
            open_blocking: r
                .findings
                .iter()
                .filter(|f| f.finding.is_blocking() && f.acknowledgement.is_none())
                .count(),
            findings,
            publish_blockers: r.publish_blockers.clone(),
            agenda,
            agenda_facts,
            agenda_total: a.total_minutes(),
            agenda_saved: r.agenda_saved,
            agenda_scheduled: a.starts_at.is_some(),
            agenda_warnings: r
                .agenda_warnings
                .iter()
                .map(|w| w.message.clone())
                .collect(),
            ground_rules: r.ground_rules.clone(),
            fact_fields: vec![
                (
                    "meeting_scheduled_at",
                    "Meeting scheduled (UTC)",
                    facts_form.meeting_scheduled_at.clone(),
                ),
                (
                    "meeting_held_at",
                    "Meeting held (UTC)",
                    facts_form.meeting_held_at.clone(),
                ),
                (
                    "shared_at",
                    "Learnings shared (UTC)",
                    facts_form.shared_at.clone(),
                ),
                (
                    "quarterly_review_at",
                    "Quarterly review (UTC)",
                    facts_form.quarterly_review_at.clone(),
                ),
            ],
            facts_form,
            agenda_form,
            ack_reason,
            failed,
            general_errors: general(&errors, |f| {
                [
                    "meeting_scheduled_at",
                    "meeting_held_at",
                    "shared_at",
                    "quarterly_review_at",
                    "starts_at",
                    "items",
                    "attendees",
                    "title",
                    "reason",
                ]
                .contains(&f)
            }),
            errors,
            conflict: refused.is_some_and(|r| r.conflict),
        }
    }
}

/// The text of the field a finding names, to quote the words it is about.
fn field_text<'a>(doc: &'a PostMortem, path: Option<&str>) -> Option<&'a str> {
    let path = path?;
    let (section, rest) = path.split_once('[')?;
    let (i, field) = rest.split_once("].")?;
    let i: usize = i.parse().ok()?;
    match (section, field) {
        ("timeline", "title") => Some(&doc.timeline.get(i)?.title),
        ("timeline", "we_knew") => doc.timeline.get(i)?.we_knew.as_deref(),
        ("timeline", "we_didnt_know") => doc.timeline.get(i)?.we_didnt_know.as_deref(),
        ("timeline", "decision") => doc.timeline.get(i)?.decision.as_deref(),
        ("timeline", "action_taken") => doc.timeline.get(i)?.action_taken.as_deref(),
        ("root_causes", "title") => Some(&doc.root_causes.get(i)?.title),
        ("root_causes", "details") => doc.root_causes.get(i)?.details.as_deref(),
        ("action_items", "title") => Some(&doc.action_items.get(i)?.title),
        ("action_items", "description") => Some(&doc.action_items.get(i)?.description),
        ("lessons", "text") => Some(&doc.lessons.get(i)?.text),
        _ => None,
    }
}

/// The guided review section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_review.html")]
pub struct ReviewPartial {
    /// The section.
    pub review: ReviewView,
}

/// Replaces the review record with `change` applied, against `version`.
async fn save(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    errors: &FieldErrors,
    change: impl FnOnce(&mut Review),
) -> Result<Result<PostMortem, StoreError>, PageError> {
    let k = key(raw)?;
    let Some(v) = version_of(version) else {
        return Ok(Err(no_version()));
    };
    if !errors.is_empty() {
        return Ok(Err(invalid(errors)));
    }
    let mut review = state.store.get(&k).await?.review;
    change(&mut review);
    let ctx = caller.ctx(state.clock.now());
    Ok(state.store.set_review(&k, review, Some(v), &ctx).await)
}

/// `POST /incidents/{key}/review/facts`: records when the process steps
/// happened.
pub async fn update_facts(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<FactsForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let mut t = |f: &str, v: &str| parse_time(&mut errors, f, v, false);
    let facts = debrief_core::process::ProcessFacts {
        meeting_scheduled_at: t("meeting_scheduled_at", &form.meeting_scheduled_at),
        meeting_held_at: t("meeting_held_at", &form.meeting_held_at),
        shared_at: t("shared_at", &form.shared_at),
        quarterly_review_at: t("quarterly_review_at", &form.quarterly_review_at),
    };
    let result = save(&state, &caller, &raw, &form.version, &errors, |r| {
        r.facts = facts;
    })
    .await?;
    let sub = Submission::new(Part::Review, form.version.clone(), Input::Facts(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/review/agenda`: saves the meeting agenda.
pub async fn update_agenda(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<AgendaForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let agenda = form.agenda(&mut errors);
    let result = save(&state, &caller, &raw, &form.version, &errors, |r| {
        r.agenda = agenda;
    })
    .await?;
    let sub = Submission::new(Part::Review, form.version.clone(), Input::Agenda(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/review/checklist/{id}`: ticks or unticks a
/// checklist item by hand.
pub async fn toggle_check(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, id)): Path<(String, String)>,
    Form(form): Form<super::head::VersionForm>,
) -> Result<Response, PageError> {
    if !debrief_core::checklist::ITEMS.iter().any(|d| d.id == id) {
        return Err(PageError(ApiError::NotFound(format!(
            "checklist item {id}"
        ))));
    }
    let errors = FieldErrors::default();
    let result = save(&state, &caller, &raw, &form.version, &errors, |r| {
        if !r.checklist.remove(&id) {
            r.checklist.insert(id);
        }
    })
    .await?;
    let sub = Submission::new(Part::Review, form.version.clone(), Input::Nothing);
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// `POST /incidents/{key}/review/acknowledge`: accepts a coach finding,
/// recorded with who, when and why.
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<AckForm>,
) -> Result<Response, PageError> {
    let result = match version_of(&form.version) {
        None => Err(no_version()),
        Some(v) => {
            let input = AcknowledgementInput {
                rule: form.rule.clone(),
                field: opt(&form.field),
                reason: form.reason.clone(),
            };
            match acknowledge_as(&state, &caller, &raw, input, Some(v)).await {
                Ok(doc) => Ok(doc),
                Err(ApiError::Invalid(errs)) => Err(StoreError::Invalid(errs)),
                Err(ApiError::VersionConflict { .. }) => Err(no_version()),
                Err(e) => return Err(PageError(e)),
            }
        }
    };
    // A reason is named `review.acknowledgements[i].reason` by the store.
    let result = result.map_err(|e| match e {
        StoreError::Invalid(errs) => StoreError::Invalid(debrief_core::ValidationErrors(
            errs.0
                .into_iter()
                .map(|mut f| {
                    if f.field.ends_with(".reason") {
                        f.field = "reason".into();
                    }
                    f
                })
                .collect(),
        )),
        other => other,
    });
    let sub = Submission::new(Part::Review, form.version.clone(), Input::Ack(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}

/// The review view of a loaded incident (computing its report).
pub async fn view(
    state: &AppState,
    l: &Loaded,
    refused: Option<&Refusal>,
) -> Result<(ReviewView, CoachNotes), PageError> {
    let r = review_of(state, &l.doc).await?;
    let notes = CoachNotes::index(&l.doc, &r);
    Ok((ReviewView::of(&l.doc, l, &r, refused), notes))
}
