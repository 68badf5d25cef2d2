//! The timeline part: entries grouped by phase, each with what we knew and
//! didn't know, decisions and actions; the add form, and each entry's edit
//! form fetched when asked for (so the page does not carry a dozen hidden
//! forms). Entries are kept in time order, so there is no "move": changing
//! an entry's time moves it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use debrief_core::{Phase, PostMortem, TimelineEntry};
use debrief_store::SectionItem;
use serde::Deserialize;
use uuid::Uuid;

use super::form::{
    Fact, duration_words, fact, general, iso, lines, local_input, nonempty, opt, parse_choice,
    parse_time, require, when,
};
use super::items::add_checked;
use super::{Input, Part, Refusal, Submission, answer};
use crate::AppState;
use crate::auth::Caller;
use crate::ui::incidents::Choice;
use crate::ui::{FieldErrors, PageError, choices};

/// One timeline entry, ready to show.
pub struct EntryView {
    /// Entry id.
    pub id: String,
    /// When it happened, for people.
    pub time: String,
    /// When it happened, machine form.
    pub datetime: String,
    /// Headline.
    pub title: String,
    /// Detail statements.
    pub details: Vec<String>,
    /// What we knew.
    pub we_knew: Option<String>,
    /// What we did not know.
    pub we_didnt_know: Option<String>,
    /// Decision.
    pub decision: Option<String>,
    /// Action taken.
    pub action_taken: Option<String>,
    /// Labelled facts.
    pub facts: Vec<Fact>,
    /// Source of the information.
    pub source: Option<String>,
    /// "Learned at ..., N later", when learned later than it happened.
    pub learned: Option<String>,
    /// The edit form, filled in.
    pub form: EntryForm,
    /// Phase choices for the edit form.
    pub phase_choices: Vec<Choice>,
    /// Errors of the edit form.
    pub errors: FieldErrors,
    /// Whether the edit form is open (after a refused edit).
    pub open: bool,
    /// The coach's notes on this entry.
    pub notes: Vec<super::review::CoachNote>,
}

fn phase_choices(current: &str) -> Vec<Choice> {
    choices(current, Phase::ALL.iter().map(|p| (p.as_str(), p.label())))
}

impl EntryView {
    /// The entry, with its edit form filled in at `version`.
    pub fn of(e: &TimelineEntry, version: i64) -> Self {
        let learned = e.learned_at.filter(|l| *l > e.occurred_at).map(|l| {
            format!(
                "Learned at {}, {} after it happened",
                when(l),
                duration_words(l - e.occurred_at)
            )
        });
        Self {
            id: e.id.to_string(),
            time: when(e.occurred_at),
            datetime: iso(e.occurred_at),
            title: e.title.clone(),
            details: e.details.clone(),
            we_knew: nonempty(&e.we_knew),
            we_didnt_know: nonempty(&e.we_didnt_know),
            decision: nonempty(&e.decision),
            action_taken: nonempty(&e.action_taken),
            facts: e.facts.iter().map(|f| fact(&f.label, &f.value)).collect(),
            source: nonempty(&e.source),
            learned,
            phase_choices: phase_choices(e.phase.as_str()),
            form: EntryForm::of(e, version),
            errors: FieldErrors::default(),
            open: false,
            notes: Vec::new(),
        }
    }
}

/// The entries of one phase.
pub struct PhaseGroup {
    /// Phase label.
    pub label: &'static str,
    /// Phase machine form (class name).
    pub slug: &'static str,
    /// Entries in time order.
    pub entries: Vec<EntryView>,
}

/// A timeline entry form's input (add or edit), kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// When it happened (UTC, `YYYY-MM-DDTHH:MM`).
    pub occurred_at: String,
    /// When the team learned of it (UTC), optional.
    pub learned_at: String,
    /// Phase.
    pub phase: String,
    /// Headline.
    pub title: String,
    /// Details, one per line.
    pub details: String,
    /// What we knew.
    pub we_knew: String,
    /// What we did not know.
    pub we_didnt_know: String,
    /// Decision taken.
    pub decision: String,
    /// Action taken.
    pub action_taken: String,
    /// Source.
    pub source: String,
    /// The entry this form edits (from the address, never the body); empty
    /// for the add form.
    #[serde(skip)]
    pub editing: String,
}

impl EntryForm {
    /// The form filled in from a stored entry.
    pub fn of(e: &TimelineEntry, version: i64) -> Self {
        Self {
            version: version.to_string(),
            occurred_at: local_input(e.occurred_at),
            learned_at: e.learned_at.map(local_input).unwrap_or_default(),
            phase: e.phase.as_str().to_owned(),
            title: e.title.clone(),
            details: e.details.join("\n"),
            we_knew: e.we_knew.clone().unwrap_or_default(),
            we_didnt_know: e.we_didnt_know.clone().unwrap_or_default(),
            decision: e.decision.clone().unwrap_or_default(),
            action_taken: e.action_taken.clone().unwrap_or_default(),
            source: e.source.clone().unwrap_or_default(),
            editing: e.id.to_string(),
        }
    }

    /// The empty add form.
    fn blank(version: String) -> Self {
        Self {
            version,
            phase: Phase::Detection.as_str().to_owned(),
            ..Self::default()
        }
    }

    /// The entry the form describes, or `None` with `errors` filled in.
    /// Facts and tags are not on the form: an edit keeps those of `old`.
    pub fn entry(
        &self,
        old: Option<&TimelineEntry>,
        errors: &mut FieldErrors,
    ) -> Option<TimelineEntry> {
        let occurred: Option<DateTime<Utc>> =
            parse_time(errors, "occurred_at", &self.occurred_at, true);
        let learned = parse_time(errors, "learned_at", &self.learned_at, false);
        let phase: Option<Phase> = parse_choice(errors, "phase", &self.phase);
        require(errors, "title", &self.title);
        Some(TimelineEntry {
            id: old.map_or(Uuid::nil(), |o| o.id),
            occurred_at: occurred?,
            learned_at: learned,
            phase: phase?,
            title: self.title.trim().to_owned(),
            details: lines(&self.details),
            we_knew: opt(&self.we_knew),
            we_didnt_know: opt(&self.we_didnt_know),
            decision: opt(&self.decision),
            action_taken: opt(&self.action_taken),
            facts: old.map(|o| o.facts.clone()).unwrap_or_default(),
            source: opt(&self.source),
            tags: old.map(|o| o.tags.clone()).unwrap_or_default(),
        })
        .filter(|_| errors.is_empty())
    }
}

/// The timeline section (also answered alone to htmx).
pub struct TimelineView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Entries grouped by phase.
    pub phases: Vec<PhaseGroup>,
    /// Number of entries.
    pub count: usize,
    /// The horizontal overview SVG (generated and escaped by the report crate).
    pub svg: String,
    /// Add-entry form input.
    pub form: EntryForm,
    /// Phase choices.
    pub phase_choices: Vec<Choice>,
    /// Field errors of the add form.
    pub errors: FieldErrors,
    /// Errors not about a field of the form.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The entry form's fields.
const ENTRY_FIELDS: &[&str] = &[
    "occurred_at",
    "learned_at",
    "phase",
    "title",
    "details",
    "we_knew",
    "we_didnt_know",
    "decision",
    "action_taken",
    "source",
];

impl TimelineView {
    /// The timeline of `doc`, with a refused timeline write shown: an
    /// edit's input and errors in that entry's form, an add's in the add form.
    pub fn of(doc: &PostMortem, can_edit: bool, r: Option<&Refusal>) -> Self {
        let version = Refusal::version(r, doc.version);
        let mut sorted: Vec<&TimelineEntry> = doc.timeline.iter().collect();
        sorted.sort_by_key(|e| e.occurred_at);
        let mut phases: Vec<PhaseGroup> = Phase::ALL
            .iter()
            .filter_map(|p| {
                let entries: Vec<EntryView> = sorted
                    .iter()
                    .filter(|e| e.phase == *p)
                    .map(|e| EntryView::of(e, version))
                    .collect();
                (!entries.is_empty()).then(|| PhaseGroup {
                    label: p.label(),
                    slug: p.as_str(),
                    entries,
                })
            })
            .collect();
        let mut errors = r.map(|r| r.errors.clone()).unwrap_or_default();
        let mut form = EntryForm::blank(version.to_string());
        match r.map(|r| &r.input) {
            Some(Input::Entry(f)) if !f.editing.is_empty() => {
                if let Some(e) = phases
                    .iter_mut()
                    .flat_map(|g| g.entries.iter_mut())
                    .find(|e| e.id == f.editing)
                {
                    e.phase_choices = phase_choices(&f.phase);
                    e.form = f.clone();
                    e.errors = std::mem::take(&mut errors);
                    e.open = true;
                }
            }
            Some(Input::Entry(f)) => form = f.clone(),
            _ => {}
        }
        Self {
            key: doc.key.to_string(),
            version,
            can_edit,
            csrf: String::new(),
            count: doc.timeline.len(),
            svg: debrief_report::svg::timeline(doc),
            phase_choices: phase_choices(&form.phase),
            phases,
            form,
            general_errors: general(&errors, |f| ENTRY_FIELDS.contains(&f)),
            errors,
            conflict: r.is_some_and(|r| r.conflict),
        }
    }
}

impl TimelineView {
    /// Puts the coach's notes next to the entries they are about.
    pub fn annotate(&mut self, notes: &super::review::CoachNotes) {
        for e in self.phases.iter_mut().flat_map(|g| g.entries.iter_mut()) {
            e.notes = notes.of(&e.id);
        }
    }
}

/// The timeline section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_timeline.html")]
pub struct TimelinePartial {
    /// The section.
    pub tl: TimelineView,
}

/// One timeline entry's edit form, fetched when the user asks to edit.
#[derive(Template)]
#[template(path = "partials/incident_entry_edit.html")]
pub struct EntryEditPartial {
    /// The timeline (for its key and CSRF token).
    pub tl: TimelineView,
    /// The entry, with its form filled in.
    pub e: EntryView,
}

/// The "Edit" link that fetches an entry's form (after Cancel).
#[derive(Template)]
#[template(
    source = r#"<a class="tl-edit-link" href="/incidents/{{ key }}/items/timeline/{{ e.id }}/edit#entry-{{ e.id }}" hx-get="/incidents/{{ key }}/items/timeline/{{ e.id }}/edit" hx-target="closest .tl-edit-slot" hx-swap="innerHTML">Edit<span class="visually-hidden"> entry: {{ e.title }}</span></a>"#,
    ext = "html"
)]
pub struct EntryEditLink {
    /// Incident key.
    pub key: String,
    /// The entry.
    pub e: EntryView,
}

/// `POST /incidents/{key}/timeline`: adds a timeline entry.
pub async fn add_entry(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<EntryForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    let item = form.entry(None, &mut errors).map(SectionItem::Timeline);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    let sub = Submission::new(Part::Timeline, form.version.clone(), Input::Entry(form));
    answer(&state, &caller, &headers, &raw, sub, result).await
}
