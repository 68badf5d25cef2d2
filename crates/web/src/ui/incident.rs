//! The incident page: the whole post-mortem of one incident on one page, in
//! the order of the review (overview, timeline, analysis, what went well and
//! wrong, action items, communications, lessons), with its exports and the
//! forms that edit it in place.
//!
//! Everything shown is prepared here as plain strings and lists (view
//! models), so the templates only lay out and askama escapes every value.
//! The one exception is the SVG of the fishbone and of the timeline axis,
//! generated and escaped by [`debrief_report::svg`].
//!
//! Edits are htmx forms posted to page routes under `/incidents/{key}/`
//! (`header`, `timeline`, `timeline/{id}`, `timeline/{id}/delete`,
//! `five_whys`, `fishbone`, `fmea`, `findings`, `lessons`, `actions`,
//! `actions/{id}/status`, `actions/{id}/criteria/{n}`). Each carries the incident version it was
//! rendered from; the store refuses a write against an older version, and
//! the section comes back with a conflict message, a Reload link and the
//! user's input kept; a rule broken shows its message next to the field.
//! A successful write answers the re-rendered section plus an out-of-band
//! update of every form's version field (the change is the user's own, so
//! their other open forms stay valid). htmx only swaps 2xx answers, so
//! refusals to htmx are 200 with the message in the body. Without
//! JavaScript the same forms post normally (with the session's `csrf`
//! field) and are answered with a redirect, or with the whole page (409 or
//! 422) on error.
//!
//! A timeline entry's edit form is fetched when asked for
//! (`timeline/{id}/edit`), so the page does not carry a dozen hidden forms.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use debrief_core::access::{Action, Decision, IncidentAccess, decide};
use debrief_core::metrics::IncidentMeasures;
use debrief_core::{
    ActionItem, ActionStatus, Area, Communications, Finding, FindingKind, FiveWhys, IncidentPatch,
    IncidentStatus, Lesson, Phase, PostMortem, PostmortemStatus, Priority, RootCauseKind, Severity,
    TimelineEntry,
};
use debrief_store::{Section, SectionItem, StoreError};
use serde::Deserialize;
use uuid::Uuid;

use super::incidents::Choice;
use super::{FieldErrors, Layout, PageError, is_htmx, page_headers, render, see_other};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::key;

/// The message shown when a form was made against an older version.
pub const CONFLICT: &str = "Someone else changed this incident since you opened it.";

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A duration in words: "5 minutes", "3 hours 45 minutes", "2 days 4 hours".
pub fn duration_words(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    if secs == 0 {
        return "0 minutes".to_owned();
    }
    let minutes = (secs + 30) / 60;
    if minutes == 0 {
        return "less than a minute".to_owned();
    }
    if minutes < 60 {
        return count(minutes, "minute");
    }
    if minutes < 24 * 60 {
        let (h, m) = (minutes / 60, minutes % 60);
        return if m == 0 {
            count(h, "hour")
        } else {
            format!("{} {}", count(h, "hour"), count(m, "minute"))
        };
    }
    let hours = (minutes + 30) / 60;
    let (d, h) = (hours / 24, hours % 24);
    if h == 0 {
        count(d, "day")
    } else {
        format!("{} {}", count(d, "day"), count(h, "hour"))
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn choices<'a>(current: &str, all: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        })
        .collect()
}

/// A label and a value, for fact lists.
pub struct Fact {
    /// What it is.
    pub label: String,
    /// Its value.
    pub value: String,
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.into(),
    }
}

/// The overview: header facts, lifecycle, measures, impact and people.
pub struct Overview {
    /// Incident key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Summary paragraph.
    pub summary: String,
    /// Severity, machine form (badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Severity changes in words, oldest first.
    pub severity_history: Vec<String>,
    /// Incident status label.
    pub status: &'static str,
    /// Post-mortem status label.
    pub postmortem_status: &'static str,
    /// Category, if any.
    pub category: Option<String>,
    /// Post-mortem types, joined.
    pub types: String,
    /// Whether the incident is restricted to its members.
    pub restricted: bool,
    /// Lifecycle moments that are set.
    pub lifecycle: Vec<Fact>,
    /// Response measures that can be computed.
    pub measures: Vec<Fact>,
    /// Customer impact in words.
    pub customer_impact: String,
    /// Impact facts (records, data, systems).
    pub impact: Vec<Fact>,
    /// People and their roles.
    pub participants: Vec<Fact>,
    /// ATT&CK technique ids.
    pub techniques: Vec<String>,
    /// Attack vectors.
    pub vectors: Vec<String>,
    /// Patient zero.
    pub patient_zero: Option<String>,
    /// The incident this repeats.
    pub repeat_of: Option<String>,
    /// Related incidents.
    pub related: Vec<String>,
    /// Last change.
    pub updated: Option<String>,
}

fn lifecycle_label(name: &str) -> &'static str {
    match name {
        "first_activity" => "First malicious activity",
        "detected" => "Detected",
        "responded" => "First response",
        "escalated" => "Escalated",
        "contained" => "Contained",
        "recovered" => "Recovered",
        "resolved" => "Resolved",
        "closed" => "Closed",
        _ => "Other",
    }
}

impl Overview {
    fn of(doc: &PostMortem, restricted: bool) -> Self {
        let m = IncidentMeasures::of(doc);
        let measures = [
            ("Time to detect", m.time_to_detect),
            ("Time to respond", m.time_to_respond),
            ("Time to escalate", m.time_to_escalate),
            ("Time to contain", m.time_to_contain),
            ("Response to containment", m.response_to_containment),
            ("Containment to recovery", m.time_to_recover),
            ("Dwell time", m.dwell_time),
            ("Total duration", m.total_duration),
        ]
        .into_iter()
        .filter_map(|(l, d)| d.map(|d| fact(l, duration_words(d))))
        .collect();
        let mut impact = Vec::new();
        if let Some(n) = doc.impact.records_affected {
            impact.push(fact("Records affected", thousands(n)));
        }
        for (label, list) in [
            ("Data involved", &doc.impact.data_involved),
            ("Data not involved", &doc.impact.data_not_involved),
            ("Systems affected", &doc.impact.systems_affected),
        ] {
            if !list.is_empty() {
                impact.push(fact(label, list.join(", ")));
            }
        }
        Self {
            key: doc.key.to_string(),
            title: doc.title.clone(),
            summary: doc.summary.clone(),
            severity: doc.severity.as_str(),
            severity_label: doc.severity.label(),
            severity_history: doc
                .severity_history
                .iter()
                .map(|c| {
                    let mut s = format!("{} → {} at {}", c.from.label(), c.to.label(), when(c.at));
                    if !c.reason.trim().is_empty() {
                        s.push_str(": ");
                        s.push_str(&c.reason);
                    }
                    s
                })
                .collect(),
            status: doc.status.label(),
            postmortem_status: doc.postmortem_status.label(),
            category: doc.category.clone(),
            types: doc
                .types
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", "),
            restricted,
            lifecycle: doc
                .lifecycle
                .ordered()
                .iter()
                .filter_map(|(n, t)| t.map(|t| fact(lifecycle_label(n), when(t))))
                .collect(),
            measures,
            customer_impact: doc.impact.customer_impact.clone(),
            impact,
            participants: doc
                .participants
                .iter()
                .map(|p| {
                    let mut role = p.role.label().to_owned();
                    if let Some(t) = p.team.as_deref().filter(|t| !t.trim().is_empty()) {
                        role.push_str(&format!(" ({t})"));
                    }
                    fact(&p.name, role)
                })
                .collect(),
            techniques: doc
                .attack_techniques
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            vectors: doc.attack_vectors.clone(),
            patient_zero: doc.patient_zero.clone(),
            repeat_of: doc.repeat_of.as_ref().map(|k| k.to_string()),
            related: doc.related.iter().map(|k| k.to_string()).collect(),
            updated: doc.updated_at.map(when),
        }
    }
}

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
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

impl EntryView {
    fn of(e: &TimelineEntry, version: i64) -> Self {
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
            phase_choices: choices(
                e.phase.as_str(),
                Phase::ALL.iter().map(|p| (p.as_str(), p.label())),
            ),
            form: EntryForm::of(e, version),
            errors: FieldErrors::default(),
            open: false,
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

/// The add-entry form's input, kept on error.
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

/// A `datetime-local` value in UTC; seconds only when there are some.
fn local_input(t: DateTime<Utc>) -> String {
    if t.timestamp() % 60 == 0 {
        t.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
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

    /// The entry the form describes, or `None` with `errors` filled in.
    fn entry(&self, errors: &mut FieldErrors) -> Option<TimelineEntry> {
        let occurred = parse_time(errors, "occurred_at", &self.occurred_at, true);
        let learned = parse_time(errors, "learned_at", &self.learned_at, false);
        let phase = self
            .phase
            .parse::<Phase>()
            .map_err(|m| errors.push("phase", m))
            .ok();
        if self.title.trim().is_empty() {
            errors.push("title", "must not be empty");
        }
        Some(TimelineEntry {
            id: Uuid::nil(),
            occurred_at: occurred?,
            learned_at: learned,
            phase: phase?,
            title: self.title.trim().to_owned(),
            details: lines(&self.details),
            we_knew: opt(&self.we_knew),
            we_didnt_know: opt(&self.we_didnt_know),
            decision: opt(&self.decision),
            action_taken: opt(&self.action_taken),
            facts: Vec::new(),
            source: opt(&self.source),
            tags: Vec::new(),
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
    /// Field errors of the form.
    pub errors: FieldErrors,
    /// Errors not about a field of the form.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The add-entry form's fields.
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
    fn of(doc: &PostMortem, can_edit: bool, form: Option<(EntryForm, FieldErrors, bool)>) -> Self {
        let mut sorted: Vec<&TimelineEntry> = doc.timeline.iter().collect();
        sorted.sort_by_key(|e| e.occurred_at);
        let phases = Phase::ALL
            .iter()
            .filter_map(|p| {
                let entries: Vec<EntryView> = sorted
                    .iter()
                    .filter(|e| e.phase == *p)
                    .map(|e| EntryView::of(e, doc.version))
                    .collect();
                (!entries.is_empty()).then(|| PhaseGroup {
                    label: p.label(),
                    slug: p.as_str(),
                    entries,
                })
            })
            .collect();
        let (mut form, mut errors, conflict) = form.unwrap_or_else(|| {
            (
                EntryForm {
                    phase: "detection".into(),
                    ..EntryForm::default()
                },
                FieldErrors::default(),
                false,
            )
        });
        let mut phases: Vec<PhaseGroup> = phases;
        if !form.editing.is_empty() {
            // A refused edit: its input and errors go to that entry's form;
            // the add form stays empty (with the version the user had).
            let kept = std::mem::take(&mut form);
            let kept_errors = std::mem::take(&mut errors);
            form = EntryForm {
                version: kept.version.clone(),
                phase: "detection".into(),
                ..EntryForm::default()
            };
            if let Some(e) = phases
                .iter_mut()
                .flat_map(|g| g.entries.iter_mut())
                .find(|e| e.id == kept.editing)
            {
                e.phase_choices = choices(
                    &kept.phase,
                    Phase::ALL.iter().map(|p| (p.as_str(), p.label())),
                );
                e.form = kept;
                e.errors = kept_errors;
                e.open = true;
            }
        }
        Self {
            key: doc.key.to_string(),
            version: doc.version,
            can_edit,
            csrf: String::new(),
            count: doc.timeline.len(),
            svg: debrief_report::svg::timeline(doc),
            phase_choices: choices(
                &form.phase,
                Phase::ALL.iter().map(|p| (p.as_str(), p.label())),
            ),
            phases,
            form,
            general_errors: errors
                .0
                .iter()
                .filter(|(f, _)| !ENTRY_FIELDS.contains(&f.as_str()))
                .map(|(f, m)| format!("{f}: {m}"))
                .collect(),
            errors,
            conflict,
        }
    }
}

/// A root-cause group (primary, contributing, systemic).
pub struct CauseGroup {
    /// Heading.
    pub label: &'static str,
    /// Causes: title and optional details.
    pub causes: Vec<(String, Option<String>)>,
}

/// One FMEA row with its computed numbers.
pub struct FmeaView {
    /// Failure mode.
    pub failure_mode: String,
    /// Effect.
    pub effect: String,
    /// Cause.
    pub cause: String,
    /// Severity, occurrence, detection.
    pub sod: String,
    /// Risk priority number.
    pub rpn: u16,
    /// Controls today.
    pub controls: String,
    /// Recommended action.
    pub action: String,
    /// RPN after the action, if scored.
    pub rpn_after: Option<u16>,
}

/// How many why/because pairs the 5 Whys form offers.
pub const WHY_STEPS: usize = 5;

/// The add-5-Whys form's input, kept on error: up to five why/because
/// pairs (plain numbered fields, as HTML forms post them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WhysForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// The problem statement.
    pub problem: String,
    /// Question 1.
    pub why_1: String,
    /// Answer 1.
    pub because_1: String,
    /// Question 2.
    pub why_2: String,
    /// Answer 2.
    pub because_2: String,
    /// Question 3.
    pub why_3: String,
    /// Answer 3.
    pub because_3: String,
    /// Question 4.
    pub why_4: String,
    /// Answer 4.
    pub because_4: String,
    /// Question 5.
    pub why_5: String,
    /// Answer 5.
    pub because_5: String,
}

impl WhysForm {
    /// The why/because pairs in order.
    pub fn pairs(&self) -> [(&str, &str); WHY_STEPS] {
        [
            (&self.why_1, &self.because_1),
            (&self.why_2, &self.because_2),
            (&self.why_3, &self.because_3),
            (&self.why_4, &self.because_4),
            (&self.why_5, &self.because_5),
        ]
    }
}

/// The add-fishbone-cause form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CauseForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Category bone.
    pub category: String,
    /// The cause.
    pub text: String,
    /// Parent cause id, or empty for a cause on the bone itself.
    pub parent: String,
}

/// The add-FMEA-row form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FmeaForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Failure mode.
    pub failure_mode: String,
    /// Effect.
    pub effect: String,
    /// Cause.
    pub cause: String,
    /// Severity 1-10.
    pub severity: String,
    /// Occurrence 1-10.
    pub occurrence: String,
    /// Detection 1-10.
    pub detection: String,
    /// Controls in place.
    pub current_controls: String,
    /// Recommended action.
    pub recommended_action: String,
}

/// One why/because pair of the 5 Whys form.
pub struct StepInput {
    /// Position, from 1.
    pub n: usize,
    /// Question typed.
    pub why: String,
    /// Answer typed.
    pub because: String,
    /// Error for the question.
    pub why_error: Option<String>,
    /// Error for the answer.
    pub because_error: Option<String>,
}

/// Which analysis form a refused write came from, with its input.
#[derive(Debug, Clone)]
pub enum AnalysisInput {
    /// The 5 Whys form.
    Whys(WhysForm),
    /// The fishbone cause form.
    Cause(CauseForm),
    /// The FMEA form.
    Fmea(FmeaForm),
}

/// Root-cause analysis (also answered alone to htmx).
pub struct AnalysisView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// 5 Whys chains.
    pub five_whys: Vec<FiveWhys>,
    /// Root causes by kind; only kinds with causes.
    pub causes: Vec<CauseGroup>,
    /// The fishbone effect.
    pub effect: String,
    /// The fishbone SVG (generated and escaped by the report crate).
    pub fishbone_svg: String,
    /// Number of fishbone causes.
    pub fishbone_causes: usize,
    /// FMEA rows by RPN, highest first.
    pub fmea: Vec<FmeaView>,
    /// 5 Whys form input.
    pub whys_form: WhysForm,
    /// 5 Whys form steps.
    pub steps: Vec<StepInput>,
    /// Fishbone cause form input.
    pub cause_form: CauseForm,
    /// Category choices.
    pub category_choices: Vec<Choice>,
    /// Parent cause choices.
    pub parent_choices: Vec<Choice>,
    /// FMEA form input.
    pub fmea_form: FmeaForm,
    /// The form a refused write came from: `whys`, `cause`, `fmea` or empty.
    pub failed: &'static str,
    /// Field errors of that form.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// Fields shown next to their input in one of the analysis forms.
fn analysis_field(f: &str) -> bool {
    [
        "problem",
        "category",
        "text",
        "parent",
        "failure_mode",
        "severity",
        "occurrence",
        "detection",
    ]
    .contains(&f)
        || (f.starts_with("steps[") && (f.ends_with("].why") || f.ends_with("].because")))
}

impl AnalysisView {
    fn of(
        doc: &PostMortem,
        can_edit: bool,
        kept: Option<(AnalysisInput, FieldErrors, bool)>,
    ) -> Self {
        let causes = RootCauseKind::ALL
            .iter()
            .filter_map(|k| {
                let causes: Vec<_> = doc
                    .root_causes
                    .iter()
                    .filter(|c| c.kind == *k)
                    .map(|c| (c.title.clone(), nonempty(&c.details)))
                    .collect();
                (!causes.is_empty()).then_some(CauseGroup {
                    label: k.label(),
                    causes,
                })
            })
            .collect();
        let effect = doc
            .fishbone
            .effect
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| doc.title.clone());
        let mut fmea: Vec<FmeaView> = doc
            .fmea
            .iter()
            .map(|r| FmeaView {
                failure_mode: r.failure_mode.clone(),
                effect: r.effect.clone(),
                cause: r.cause.clone(),
                sod: format!(
                    "{} × {} × {}",
                    r.severity.get(),
                    r.occurrence.get(),
                    r.detection.get()
                ),
                rpn: r.computed_rpn(),
                controls: r.current_controls.clone(),
                action: r.recommended_action.clone(),
                rpn_after: r.computed_rpn_after(),
            })
            .collect();
        fmea.sort_by_key(|r| std::cmp::Reverse(r.rpn));
        let (input, errors, conflict) = match kept {
            Some((i, e, c)) => (Some(i), e, c),
            None => (None, FieldErrors::default(), false),
        };
        let (mut whys_form, mut cause_form, mut fmea_form) = (
            WhysForm::default(),
            CauseForm::default(),
            FmeaForm::default(),
        );
        let failed = match input {
            Some(AnalysisInput::Whys(f)) => {
                whys_form = f;
                "whys"
            }
            Some(AnalysisInput::Cause(f)) => {
                cause_form = f;
                "cause"
            }
            Some(AnalysisInput::Fmea(f)) => {
                fmea_form = f;
                "fmea"
            }
            None => "",
        };
        let steps = whys_form
            .pairs()
            .iter()
            .enumerate()
            .map(|(i, (why, because))| StepInput {
                n: i + 1,
                why: (*why).to_owned(),
                because: (*because).to_owned(),
                why_error: errors.get(&format!("steps[{i}].why")).map(str::to_owned),
                because_error: errors
                    .get(&format!("steps[{i}].because"))
                    .map(str::to_owned),
            })
            .collect();
        let mut categories: Vec<&str> =
            doc.fishbone.categories.iter().map(String::as_str).collect();
        if categories.is_empty() {
            categories = debrief_core::analysis::DEFAULT_FISHBONE_CATEGORIES.to_vec();
        }
        let category_choices = choices(&cause_form.category, categories.iter().map(|c| (*c, *c)));
        let parent_labels: Vec<(String, String)> = doc
            .fishbone
            .causes
            .iter()
            .map(|c| (c.id.to_string(), format!("{}: {}", c.category, c.text)))
            .collect();
        let parent_choices = choices(
            &cause_form.parent,
            parent_labels.iter().map(|(v, l)| (v.as_str(), l.as_str())),
        );
        Self {
            key: doc.key.to_string(),
            version: doc.version,
            can_edit,
            csrf: String::new(),
            five_whys: doc.five_whys.clone(),
            causes,
            fishbone_svg: debrief_report::svg::fishbone(&doc.fishbone, &effect),
            effect,
            fishbone_causes: doc.fishbone.causes.len(),
            fmea,
            whys_form,
            steps,
            cause_form,
            category_choices,
            parent_choices,
            fmea_form,
            failed,
            general_errors: errors
                .0
                .iter()
                .filter(|(f, _)| !analysis_field(f))
                .map(|(f, m)| format!("{f}: {m}"))
                .collect(),
            errors,
            conflict,
        }
    }
}

/// Findings of one area.
pub struct AreaGroup {
    /// Area label.
    pub label: &'static str,
    /// Findings.
    pub findings: Vec<Finding>,
}

fn by_area(list: &[Finding]) -> Vec<AreaGroup> {
    Area::ALL
        .iter()
        .filter_map(|a| {
            let findings: Vec<Finding> = list.iter().filter(|f| f.area == *a).cloned().collect();
            (!findings.is_empty()).then_some(AreaGroup {
                label: a.label(),
                findings,
            })
        })
        .collect()
}

/// One action item row.
pub struct ActionRow {
    /// Item id.
    pub id: String,
    /// Number within the incident.
    pub number: u32,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Owner, with team in brackets.
    pub owner: String,
    /// Due day, or empty.
    pub due: String,
    /// Priority label.
    pub priority: &'static str,
    /// Priority machine form (badge class).
    pub priority_slug: &'static str,
    /// Horizon label, or empty.
    pub horizon: &'static str,
    /// Status label.
    pub status: &'static str,
    /// Status choices with the current one selected.
    pub statuses: Vec<Choice>,
    /// Success criteria met.
    pub criteria_done: usize,
    /// Success criteria in all.
    pub criteria_total: usize,
    /// Success criteria: text and whether met.
    pub criteria: Vec<(String, bool)>,
    /// Past due and still open.
    pub overdue: bool,
    /// Whether its checklist is shown open.
    pub open: bool,
}

/// The add-action-item form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Title.
    pub title: String,
    /// Owner.
    pub owner: String,
    /// Team.
    pub team: String,
    /// Due day.
    pub due: String,
    /// Priority.
    pub priority: String,
    /// Success criteria, one per line.
    pub success_criteria: String,
    /// The row whose checklist stays open after the answer (from the
    /// address, never the body).
    #[serde(skip)]
    pub open: String,
}

/// The status form of one row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// New status.
    pub status: String,
}

/// The action items section (also answered alone to htmx).
pub struct ActionsView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Rows by number.
    pub rows: Vec<ActionRow>,
    /// Overdue rows.
    pub overdue: usize,
    /// Today, as used for overdue.
    pub today: String,
    /// Add form input.
    pub form: ActionForm,
    /// Priority choices.
    pub priority_choices: Vec<Choice>,
    /// Field errors of the add form (or of a status change, under `status`).
    pub errors: FieldErrors,
    /// Errors not about a field of the add form (e.g. of a status change).
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The add form's fields; errors about anything else are listed above the table.
const ACTION_FIELDS: &[&str] = &[
    "title",
    "owner",
    "team",
    "due",
    "priority",
    "success_criteria",
];

impl ActionsView {
    fn of(
        doc: &PostMortem,
        can_edit: bool,
        today: NaiveDate,
        form: Option<(ActionForm, FieldErrors, bool)>,
    ) -> Self {
        let base = doc.horizon_base();
        let mut items: Vec<&ActionItem> = doc.action_items.iter().collect();
        items.sort_by_key(|a| a.number);
        let rows: Vec<ActionRow> = items
            .into_iter()
            .map(|a| {
                let mut owner = a.owner.clone().unwrap_or_default();
                if let Some(t) = a.team.as_deref().filter(|t| !t.trim().is_empty()) {
                    owner = if owner.is_empty() {
                        t.to_owned()
                    } else {
                        format!("{owner} ({t})")
                    };
                }
                ActionRow {
                    id: a.id.to_string(),
                    number: a.number,
                    title: a.title.clone(),
                    description: a.description.clone(),
                    owner,
                    due: a.due.map(day).unwrap_or_default(),
                    priority: a.priority.label(),
                    priority_slug: a.priority.as_str(),
                    horizon: a
                        .derived_horizon(base)
                        .or(a.horizon)
                        .map_or("", |h| h.label()),
                    status: a.status.label(),
                    statuses: choices(
                        a.status.as_str(),
                        ActionStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
                    ),
                    criteria_done: a.success_criteria.iter().filter(|c| c.done).count(),
                    criteria_total: a.success_criteria.len(),
                    criteria: a
                        .success_criteria
                        .iter()
                        .map(|c| (c.text.clone(), c.done))
                        .collect(),
                    overdue: a.is_overdue(today),
                    open: false,
                }
            })
            .collect();
        let (form, errors, conflict) = form.unwrap_or_else(|| {
            (
                ActionForm {
                    priority: "medium".into(),
                    ..ActionForm::default()
                },
                FieldErrors::default(),
                false,
            )
        });
        Self {
            key: doc.key.to_string(),
            version: doc.version,
            can_edit,
            csrf: String::new(),
            overdue: rows.iter().filter(|r| r.overdue).count(),
            rows,
            today: day(today),
            general_errors: errors
                .0
                .iter()
                .filter(|(f, _)| !ACTION_FIELDS.contains(&f.as_str()))
                .map(|(f, m)| format!("{f}: {m}"))
                .collect(),
            priority_choices: choices(
                &form.priority,
                Priority::ALL.iter().map(|p| (p.as_str(), p.label())),
            ),
            form,
            errors,
            conflict,
        }
    }
}

/// The header edit form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HeaderForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// Why the severity changes, when it does.
    pub severity_reason: String,
    /// Incident status.
    pub status: String,
    /// Post-mortem status.
    pub postmortem_status: String,
}

/// The page head: title, badges, exports and the header edit form (also
/// answered alone to htmx).
pub struct HeaderView {
    /// Incident key.
    pub key: String,
    /// Version the form is made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// Title.
    pub title: String,
    /// Severity, machine form (badge class).
    pub severity: &'static str,
    /// Severity label.
    pub severity_label: &'static str,
    /// Incident status label.
    pub status: &'static str,
    /// Post-mortem status label.
    pub postmortem_status: &'static str,
    /// Whether the incident is restricted.
    pub restricted: bool,
    /// Form input.
    pub form: HeaderForm,
    /// Severity choices.
    pub severity_choices: Vec<Choice>,
    /// Status choices.
    pub status_choices: Vec<Choice>,
    /// Post-mortem status choices.
    pub postmortem_choices: Vec<Choice>,
    /// Field errors of the form.
    pub errors: FieldErrors,
    /// Errors not about a field of the form.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// The header form's fields.
const HEADER_FIELDS: &[&str] = &[
    "title",
    "severity",
    "severity_reason",
    "status",
    "postmortem_status",
];

impl HeaderView {
    fn of(
        doc: &PostMortem,
        restricted: bool,
        can_edit: bool,
        form: Option<(HeaderForm, FieldErrors, bool)>,
    ) -> Self {
        let (form, errors, conflict) = form.unwrap_or_else(|| {
            (
                HeaderForm {
                    version: doc.version.to_string(),
                    title: doc.title.clone(),
                    severity: doc.severity.as_str().to_owned(),
                    severity_reason: String::new(),
                    status: doc.status.as_str().to_owned(),
                    postmortem_status: doc.postmortem_status.as_str().to_owned(),
                },
                FieldErrors::default(),
                false,
            )
        });
        Self {
            key: doc.key.to_string(),
            version: doc.version,
            can_edit,
            csrf: String::new(),
            title: doc.title.clone(),
            severity: doc.severity.as_str(),
            severity_label: doc.severity.label(),
            status: doc.status.label(),
            postmortem_status: doc.postmortem_status.label(),
            restricted,
            severity_choices: choices(
                &form.severity,
                Severity::ALL.iter().map(|s| (s.as_str(), s.label())),
            ),
            status_choices: choices(
                &form.status,
                IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())),
            ),
            postmortem_choices: choices(
                &form.postmortem_status,
                PostmortemStatus::ALL
                    .iter()
                    .map(|s| (s.as_str(), s.label())),
            ),
            general_errors: errors
                .0
                .iter()
                .filter(|(f, _)| !HEADER_FIELDS.contains(&f.as_str()))
                .map(|(f, m)| format!("{f}: {m}"))
                .collect(),
            form,
            errors,
            conflict,
        }
    }
}

/// The add-finding form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FindingForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// `went_well` or `went_wrong`.
    pub kind: String,
    /// Area of the response.
    pub area: String,
    /// Headline.
    pub title: String,
    /// Supporting statements, one per line.
    pub details: String,
    /// What it led to.
    pub impact: String,
}

/// The add-lesson form's input, kept on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LessonForm {
    /// The incident version the form was rendered from.
    pub version: String,
    /// The lesson in a sentence.
    pub text: String,
    /// Elaboration.
    pub details: String,
}

/// What went well and wrong, and the lessons (also answered alone to htmx).
pub struct LearningView {
    /// Incident key.
    pub key: String,
    /// Version the forms are made against.
    pub version: i64,
    /// Whether edit controls are shown.
    pub can_edit: bool,
    /// The session's CSRF token for forms posted without JavaScript.
    pub csrf: String,
    /// What went well, by area.
    pub went_well: Vec<AreaGroup>,
    /// What went wrong, by area.
    pub went_wrong: Vec<AreaGroup>,
    /// Lessons learned.
    pub lessons: Vec<Lesson>,
    /// Finding form input.
    pub finding_form: FindingForm,
    /// Kind choices.
    pub kind_choices: Vec<Choice>,
    /// Area choices.
    pub area_choices: Vec<Choice>,
    /// Lesson form input.
    pub lesson_form: LessonForm,
    /// The form a refused write came from: `finding`, `lesson` or empty.
    pub failed: &'static str,
    /// Field errors of that form.
    pub errors: FieldErrors,
    /// Errors not shown next to a field.
    pub general_errors: Vec<String>,
    /// Whether the last write was refused as stale.
    pub conflict: bool,
}

/// Which learning form a refused write came from, with its input.
#[derive(Debug, Clone)]
pub enum LearningInput {
    /// The finding form.
    Finding(FindingForm),
    /// The lesson form.
    Lesson(LessonForm),
}

impl LearningView {
    fn of(
        doc: &PostMortem,
        can_edit: bool,
        kept: Option<(LearningInput, FieldErrors, bool)>,
    ) -> Self {
        let (input, errors, conflict) = match kept {
            Some((i, e, c)) => (Some(i), e, c),
            None => (None, FieldErrors::default(), false),
        };
        let mut finding_form = FindingForm {
            kind: "went_well".into(),
            area: "detection".into(),
            ..FindingForm::default()
        };
        let mut lesson_form = LessonForm::default();
        let failed = match input {
            Some(LearningInput::Finding(f)) => {
                finding_form = f;
                "finding"
            }
            Some(LearningInput::Lesson(f)) => {
                lesson_form = f;
                "lesson"
            }
            None => "",
        };
        Self {
            key: doc.key.to_string(),
            version: doc.version,
            can_edit,
            csrf: String::new(),
            went_well: by_area(&doc.findings.went_well),
            went_wrong: by_area(&doc.findings.went_wrong),
            lessons: doc.lessons.clone(),
            kind_choices: choices(
                &finding_form.kind,
                FindingKind::ALL.iter().map(|k| (k.as_str(), k.label())),
            ),
            area_choices: choices(
                &finding_form.area,
                Area::ALL.iter().map(|a| (a.as_str(), a.label())),
            ),
            finding_form,
            lesson_form,
            failed,
            general_errors: errors
                .0
                .iter()
                .filter(|(f, _)| !["kind", "area", "title", "text"].contains(&f.as_str()))
                .map(|(f, m)| format!("{f}: {m}"))
                .collect(),
            errors,
            conflict,
        }
    }
}

/// The whole incident page.
#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    /// Layout.
    pub layout: Layout,
    /// Page head and header form.
    pub h: HeaderView,
    /// Overview.
    pub o: Overview,
    /// Whether the overview replaces itself out of band (never on the page).
    pub overview_oob: bool,
    /// Timeline.
    pub tl: TimelineView,
    /// Analysis.
    pub analysis: AnalysisView,
    /// What went well and wrong, and the lessons.
    pub learning: LearningView,
    /// Action items.
    pub actions: ActionsView,
    /// Communications.
    pub comms: Communications,
}

/// The timeline section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_timeline.html")]
pub struct TimelinePartial {
    /// The section.
    pub tl: TimelineView,
}

/// The page head alone, for htmx, with the overview swapped out of band
/// (it shows the same severity and status).
#[derive(Template)]
#[template(path = "partials/incident_header.html")]
pub struct HeaderPartial {
    /// The head.
    pub h: HeaderView,
}

/// The overview section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_overview.html")]
pub struct OverviewPartial {
    /// The overview.
    pub o: Overview,
    /// Whether it replaces the section out of band.
    pub overview_oob: bool,
}

/// The analysis section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_analysis.html")]
pub struct AnalysisPartial {
    /// The section.
    pub analysis: AnalysisView,
}

/// What went well and wrong, alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_findings.html")]
pub struct FindingsPartial {
    /// The sections.
    pub learning: LearningView,
}

/// The lessons section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_lessons.html")]
pub struct LessonsPartial {
    /// The section.
    pub learning: LearningView,
}

fn render_learning(learning: LearningView, lessons: bool) -> Result<String, PageError> {
    if lessons {
        render_str(&LessonsPartial { learning })
    } else {
        render_str(&FindingsPartial { learning })
    }
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
    source = r#"<a class="tl-edit-link" href="/incidents/{{ key }}/timeline/{{ e.id }}/edit#entry-{{ e.id }}" hx-get="/incidents/{{ key }}/timeline/{{ e.id }}/edit" hx-target="closest .tl-edit-slot" hx-swap="innerHTML">Edit<span class="visually-hidden"> entry: {{ e.title }}</span></a>"#,
    ext = "html"
)]
pub struct EntryEditLink {
    /// Incident key.
    pub key: String,
    /// The entry.
    pub e: EntryView,
}

/// The action items section alone, for htmx.
#[derive(Template)]
#[template(path = "partials/incident_actions.html")]
pub struct ActionsPartial {
    /// The section.
    pub actions: ActionsView,
}

/// What a page handler knows about the incident and the caller.
struct Loaded {
    doc: PostMortem,
    restricted: bool,
    can_edit: bool,
}

async fn load(state: &AppState, caller: &Caller, raw: &str) -> Result<Loaded, PageError> {
    let key = key(raw)?;
    let doc = state.store.get(&key).await?;
    let access = state
        .store
        .incident_access(&key, caller.principal.user_id)
        .await?
        .unwrap_or(IncidentAccess {
            restricted: false,
            member: false,
        });
    let can_edit = decide(&caller.principal, Action::EditIncident, Some(access)) == Decision::Allow;
    Ok(Loaded {
        doc,
        restricted: access.restricted,
        can_edit,
    })
}

type TimelineState = Option<(EntryForm, FieldErrors, bool)>;
type ActionsState = Option<(ActionForm, FieldErrors, bool)>;
type HeaderState = Option<(HeaderForm, FieldErrors, bool)>;
type AnalysisState = Option<(AnalysisInput, FieldErrors, bool)>;
type LearningState = Option<(LearningInput, FieldErrors, bool)>;

/// Form states to show instead of empty forms (after a refused write).
#[derive(Default)]
struct Kept {
    tl: TimelineState,
    actions: ActionsState,
    header: HeaderState,
    analysis: AnalysisState,
    learning: LearningState,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    l: &Loaded,
    kept: Kept,
) -> Result<IncidentPage, PageError> {
    let Kept {
        tl,
        actions,
        header,
        analysis,
        learning,
    } = kept;
    let doc = &l.doc;
    let today = state.clock.now().date_naive();
    let title = format!("{}: {}", doc.key, doc.title);
    let layout = Layout::of(caller, &title, "incidents").await?;
    let mut h = HeaderView::of(doc, l.restricted, l.can_edit, header);
    h.csrf = layout.csrf.clone();
    let mut tl = TimelineView::of(doc, l.can_edit, tl);
    tl.csrf = layout.csrf.clone();
    let mut actions = ActionsView::of(doc, l.can_edit, today, actions);
    actions.csrf = layout.csrf.clone();
    let mut analysis = AnalysisView::of(doc, l.can_edit, analysis);
    analysis.csrf = layout.csrf.clone();
    let mut learning = LearningView::of(doc, l.can_edit, learning);
    learning.csrf = layout.csrf.clone();
    Ok(IncidentPage {
        layout,
        h,
        o: Overview::of(doc, l.restricted),
        overview_oob: false,
        tl,
        analysis,
        learning,
        actions,
        comms: doc.communications.clone(),
    })
}

/// `GET /incidents/{key}`: the whole post-mortem.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let l = load(&state, &caller, &raw).await?;
    let page = page(&state, &caller, &l, Kept::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    let mut res = (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response();
    page_headers(res.headers_mut());
    res
}

/// `GET /incidents/{key}/export.md`: the Markdown export as a download.
pub async fn export_md(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let doc = state.store.get(&key(&raw)?).await?;
    Ok(download(
        "text/markdown; charset=utf-8",
        format!("{}.md", doc.key),
        debrief_report::markdown(&doc).into_bytes(),
    ))
}

/// `GET /incidents/{key}/export.json`: the JSON document as a download,
/// exactly what `debrief import` reads back.
pub async fn export_json(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let doc = state.store.get(&key(&raw)?).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(
        "application/json",
        format!("{}.json", doc.key),
        body,
    ))
}

/// How a write turned out, for the form that asked for it.
enum Outcome {
    /// Written: the new document.
    Done(Box<PostMortem>),
    /// Refused: field errors, and whether the refusal was a stale version.
    Refused(FieldErrors, bool),
}

fn outcome(result: Result<PostMortem, StoreError>) -> Result<Outcome, PageError> {
    match result {
        Ok(doc) => Ok(Outcome::Done(Box::new(doc))),
        Err(StoreError::VersionMismatch { .. }) => {
            Ok(Outcome::Refused(FieldErrors::default(), true))
        }
        Err(e) => {
            let e = ApiError::from(e);
            match FieldErrors::of(&e) {
                Some(f) => Ok(Outcome::Refused(f, false)),
                None => Err(PageError(e)),
            }
        }
    }
}

fn version_of(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

/// The out-of-band update of every form's version field after a write.
fn version_oob(version: i64) -> String {
    format!(
        r#"<input type="hidden" name="version" class="incident-version" value="{version}" hx-swap-oob="outerHTML:.incident-version">"#
    )
}

fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    page_headers(res.headers_mut());
    res
}

fn render_str<T: Template>(t: &T) -> Result<String, PageError> {
    t.render()
        .map_err(|e| PageError(ApiError::Internal(format!("template: {e}"))))
}

/// Answers a timeline write: the section for htmx, or a redirect / the whole
/// page without JavaScript.
async fn timeline_answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    result: Result<PostMortem, StoreError>,
    form: EntryForm,
) -> Result<Response, PageError> {
    let htmx = is_htmx(headers);
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                return Ok(see_other(
                    &format!("/incidents/{}#timeline", doc.key),
                    false,
                ));
            }
            let tl = TimelineView::of(&doc, true, None);
            let mut body = render_str(&TimelinePartial { tl })?;
            body.push_str(&version_oob(doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(state, caller, raw).await?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            if htmx {
                // htmx swaps only 2xx answers; the message is in the body.
                let mut tl = TimelineView::of(&l.doc, l.can_edit, Some((form, errors, conflict)));
                // Keep the stale version in the form: a second click must
                // not silently overwrite; the Reload link fetches the new one.
                tl.version = version_of(&tl.form.version).unwrap_or(tl.version);
                return Ok(html(StatusCode::OK, render_str(&TimelinePartial { tl })?));
            }
            let kept = Kept {
                tl: Some((form, errors, conflict)),
                ..Kept::default()
            };
            let mut p = page(state, caller, &l, kept).await?;
            p.tl.version = version_of(&p.tl.form.version).unwrap_or(p.tl.version);
            Ok(render(status, &p))
        }
    }
}

fn parse_time(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
    required: bool,
) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            errors.push(field, "give the time (UTC)");
        }
        return None;
    }
    if let Ok(t) = debrief_core::time::parse_instant(raw) {
        return Some(t);
    }
    match NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
    {
        Ok(t) => Some(t.and_utc()),
        Err(_) => {
            errors.push(field, "a time in UTC as YYYY-MM-DD HH:MM");
            None
        }
    }
}

fn invalid(errors: &FieldErrors) -> StoreError {
    let mut errs = debrief_core::ValidationErrors::default();
    for (f, m) in &errors.0 {
        errs.push(f.clone(), m.clone());
    }
    StoreError::Invalid(errs)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
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
    let item = form.entry(&mut errors).map(SectionItem::Timeline);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    timeline_answer(&state, &caller, &headers, &raw, result, form).await
}

/// `POST /incidents/{key}/timeline/{id}`: replaces a timeline entry with
/// the edit form's content; its facts and tags (not on the form) are kept.
pub async fn update_entry(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    Form(mut form): Form<EntryForm>,
) -> Result<Response, PageError> {
    let (k, id) = (key(&raw)?, item_id(&raw_id)?);
    form.editing = id.to_string();
    let mut errors = FieldErrors::default();
    let entry = form.entry(&mut errors);
    let result = match (version_of(&form.version), entry) {
        (None, _) => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        (Some(v), Some(mut entry)) => {
            let doc = state.store.get(&k).await?;
            match doc.timeline.iter().find(|e| e.id == id) {
                None => Err(StoreError::NotFound {
                    what: format!("timeline entry {id}"),
                }),
                Some(old) => {
                    entry.id = id;
                    entry.facts = old.facts.clone();
                    entry.tags = old.tags.clone();
                    state
                        .store
                        .update_item(
                            &k,
                            id,
                            SectionItem::Timeline(entry),
                            Some(v),
                            &caller.ctx(state.clock.now()),
                        )
                        .await
                }
            }
        }
        (Some(_), None) => Err(invalid(&errors)),
    };
    timeline_answer(&state, &caller, &headers, &raw, result, form).await
}

/// `?cancel=1` on the edit-form address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    /// Answer the "Edit" link instead of the form.
    pub cancel: String,
}

/// `GET /incidents/{key}/timeline/{id}/edit`: one entry's edit form. htmx
/// swaps it in place of the "Edit" link (kept out of the page so the page
/// stays small); without JavaScript the whole page comes back with that
/// form open.
pub async fn edit_entry_form(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<EditQuery>,
) -> Result<Response, PageError> {
    let id = item_id(&raw_id)?;
    let l = load(&state, &caller, &raw).await?;
    let Some(entry) = l.doc.timeline.iter().find(|e| e.id == id) else {
        return Err(PageError(ApiError::NotFound(format!(
            "timeline entry {id}"
        ))));
    };
    let e = EntryView::of(entry, l.doc.version);
    if is_htmx(&headers) {
        let body = if q.cancel.is_empty() {
            let mut tl = TimelineView::of(&l.doc, l.can_edit, None);
            tl.phases.clear();
            render_str(&EntryEditPartial { tl, e })?
        } else {
            render_str(&EntryEditLink {
                key: l.doc.key.to_string(),
                e,
            })?
        };
        return Ok(html(StatusCode::OK, body));
    }
    let kept = Kept {
        tl: Some((e.form, FieldErrors::default(), false)),
        ..Kept::default()
    };
    let p = page(&state, &caller, &l, kept).await?;
    Ok(render(StatusCode::OK, &p))
}

/// The version field of a delete or status form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VersionForm {
    /// The incident version the form was rendered from.
    pub version: String,
}

fn item_id(raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| {
        PageError(ApiError::BadParameter {
            field: "id".into(),
            message: format!("`{raw}` is not a UUID"),
        })
    })
}

/// `POST /incidents/{key}/timeline/{id}/delete`: deletes a timeline entry.
pub async fn delete_entry(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    let (k, id) = (key(&raw)?, item_id(&raw_id)?);
    let result = match version_of(&form.version) {
        None => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        Some(v) => {
            state
                .store
                .delete_item(
                    &k,
                    Section::Timeline,
                    id,
                    Some(v),
                    &caller.ctx(state.clock.now()),
                )
                .await
        }
    };
    let kept = EntryForm {
        version: form.version,
        phase: "detection".into(),
        ..EntryForm::default()
    };
    timeline_answer(&state, &caller, &headers, &raw, result, kept).await
}

/// Answers an action-item write, like [`timeline_answer`].
async fn actions_answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    result: Result<PostMortem, StoreError>,
    form: ActionForm,
) -> Result<Response, PageError> {
    let htmx = is_htmx(headers);
    let today = state.clock.now().date_naive();
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                return Ok(see_other(&format!("/incidents/{}#actions", doc.key), false));
            }
            let mut actions = ActionsView::of(&doc, true, today, None);
            for r in &mut actions.rows {
                r.open = r.id == form.open;
            }
            let mut body = render_str(&ActionsPartial { actions })?;
            body.push_str(&version_oob(doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(state, caller, raw).await?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            if htmx {
                let mut actions =
                    ActionsView::of(&l.doc, l.can_edit, today, Some((form, errors, conflict)));
                actions.version = version_of(&actions.form.version).unwrap_or(actions.version);
                return Ok(html(
                    StatusCode::OK,
                    render_str(&ActionsPartial { actions })?,
                ));
            }
            let kept = Kept {
                actions: Some((form, errors, conflict)),
                ..Kept::default()
            };
            let mut p = page(state, caller, &l, kept).await?;
            p.actions.version = version_of(&p.actions.form.version).unwrap_or(p.actions.version);
            Ok(render(status, &p))
        }
    }
}

/// `POST /incidents/{key}/actions`: adds an action item.
pub async fn add_action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let k = key(&raw)?;
    let mut errors = FieldErrors::default();
    if form.title.trim().is_empty() {
        errors.push("title", "must not be empty");
    }
    let priority = form
        .priority
        .parse::<Priority>()
        .map_err(|m| errors.push("priority", m))
        .ok();
    let due = match form.due.trim() {
        "" => None,
        d => debrief_core::time::parse_date(d)
            .map_err(|m| errors.push("due", m))
            .ok(),
    };
    let result = match (version_of(&form.version), priority) {
        (None, _) => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        (Some(v), Some(priority)) if errors.is_empty() => {
            let item = serde_json::json!({
                "title": form.title.trim(),
                "owner": opt(&form.owner),
                "team": opt(&form.team),
                "due": due.map(day),
                "priority": priority,
                "status": "planned",
                "success_criteria": lines(&form.success_criteria)
                    .into_iter()
                    .map(|text| serde_json::json!({"text": text}))
                    .collect::<Vec<_>>(),
            });
            let item: ActionItem = serde_json::from_value(item)
                .map_err(|e| ApiError::Internal(format!("action item form: {e}")))?;
            state
                .store
                .add_item(
                    &k,
                    SectionItem::ActionItem(item),
                    Some(v),
                    &caller.ctx(state.clock.now()),
                )
                .await
                .map(|(doc, _)| doc)
        }
        _ => Err(invalid(&errors)),
    };
    actions_answer(&state, &caller, &headers, &raw, result, form).await
}

/// `POST /incidents/{key}/actions/{id}/status`: moves an action item to a
/// new status (recorded in its status history).
pub async fn set_action_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id)): Path<(String, String)>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let (k, id) = (key(&raw)?, item_id(&raw_id)?);
    let kept = ActionForm {
        version: form.version.clone(),
        priority: "medium".into(),
        ..ActionForm::default()
    };
    let result = match (
        version_of(&form.version),
        form.status.parse::<ActionStatus>(),
    ) {
        (None, _) => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        (Some(_), Err(m)) => {
            let mut errs = debrief_core::ValidationErrors::default();
            errs.push("status", m);
            Err(StoreError::Invalid(errs))
        }
        (Some(v), Ok(status)) => {
            let doc = state.store.get(&k).await?;
            match doc.action_items.iter().find(|a| a.id == id) {
                None => Err(StoreError::NotFound {
                    what: format!("action item {id}"),
                }),
                Some(item) => {
                    let now = state.clock.now();
                    let mut item = item.clone();
                    item.set_status(status, now, None);
                    item.horizon = None;
                    state
                        .store
                        .update_item(
                            &k,
                            id,
                            SectionItem::ActionItem(item),
                            Some(v),
                            &caller.ctx(now),
                        )
                        .await
                }
            }
        }
    };
    actions_answer(&state, &caller, &headers, &raw, result, kept).await
}

/// `POST /incidents/{key}/header`: changes the title, severity (recorded
/// in the severity history with the reason given) and statuses.
pub async fn update_header(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<HeaderForm>,
) -> Result<Response, PageError> {
    let k = key(&raw)?;
    let mut errors = FieldErrors::default();
    if form.title.trim().is_empty() {
        errors.push("title", "must not be empty");
    }
    let severity = form
        .severity
        .parse::<Severity>()
        .map_err(|m| errors.push("severity", m))
        .ok();
    let status = form
        .status
        .parse::<IncidentStatus>()
        .map_err(|m| errors.push("status", m))
        .ok();
    let pm_status = form
        .postmortem_status
        .parse::<PostmortemStatus>()
        .map_err(|m| errors.push("postmortem_status", m))
        .ok();
    let result = match version_of(&form.version) {
        None => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        Some(v) if errors.is_empty() => {
            let patch: IncidentPatch = serde_json::from_value(serde_json::json!({
                "title": form.title.trim(),
                "severity": severity,
                "severity_reason": opt(&form.severity_reason),
                "status": status,
                "postmortem_status": pm_status,
            }))
            .map_err(|e| ApiError::Internal(format!("header form: {e}")))?;
            state
                .store
                .patch_incident(&k, patch, Some(v), &caller.ctx(state.clock.now()))
                .await
        }
        Some(_) => Err(invalid(&errors)),
    };
    let htmx = is_htmx(&headers);
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                return Ok(see_other(&format!("/incidents/{}", doc.key), false));
            }
            let l = load(&state, &caller, &raw).await?;
            let h = HeaderView::of(&doc, l.restricted, true, None);
            let mut body = render_str(&HeaderPartial { h })?;
            body.push_str(&render_str(&OverviewPartial {
                o: Overview::of(&doc, l.restricted),
                overview_oob: true,
            })?);
            body.push_str(&version_oob(doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(&state, &caller, &raw).await?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let stale = version_of(&form.version);
            if htmx {
                let mut h = HeaderView::of(
                    &l.doc,
                    l.restricted,
                    l.can_edit,
                    Some((form, errors, conflict)),
                );
                h.version = stale.unwrap_or(h.version);
                return Ok(html(StatusCode::OK, render_str(&HeaderPartial { h })?));
            }
            let kept = Kept {
                header: Some((form, errors, conflict)),
                ..Kept::default()
            };
            let mut p = page(&state, &caller, &l, kept).await?;
            p.h.version = stale.unwrap_or(p.h.version);
            Ok(render(status, &p))
        }
    }
}

/// Answers an analysis write, like [`timeline_answer`].
async fn analysis_answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    result: Result<PostMortem, StoreError>,
    input: AnalysisInput,
) -> Result<Response, PageError> {
    let htmx = is_htmx(headers);
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                return Ok(see_other(
                    &format!("/incidents/{}#analysis", doc.key),
                    false,
                ));
            }
            let analysis = AnalysisView::of(&doc, true, None);
            let mut body = render_str(&AnalysisPartial { analysis })?;
            body.push_str(&version_oob(doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(state, caller, raw).await?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let stale = version_of(match &input {
                AnalysisInput::Whys(f) => &f.version,
                AnalysisInput::Cause(f) => &f.version,
                AnalysisInput::Fmea(f) => &f.version,
            });
            if htmx {
                let mut analysis =
                    AnalysisView::of(&l.doc, l.can_edit, Some((input, errors, conflict)));
                analysis.version = stale.unwrap_or(analysis.version);
                return Ok(html(
                    StatusCode::OK,
                    render_str(&AnalysisPartial { analysis })?,
                ));
            }
            let kept = Kept {
                analysis: Some((input, errors, conflict)),
                ..Kept::default()
            };
            let mut p = page(state, caller, &l, kept).await?;
            p.analysis.version = stale.unwrap_or(p.analysis.version);
            Ok(render(status, &p))
        }
    }
}

/// Adds `item` against the form's version, or refuses with `errors`.
async fn add_checked(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    version: &str,
    errors: &FieldErrors,
    item: Option<SectionItem>,
) -> Result<Result<PostMortem, StoreError>, PageError> {
    let k = key(raw)?;
    Ok(match (version_of(version), item) {
        (None, _) => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        (Some(v), Some(item)) if errors.is_empty() => state
            .store
            .add_item(&k, item, Some(v), &caller.ctx(state.clock.now()))
            .await
            .map(|(doc, _)| doc),
        _ => Err(invalid(errors)),
    })
}

/// `POST /incidents/{key}/five_whys`: adds a 5 Whys chain; pairs left
/// empty are skipped.
pub async fn add_whys(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<WhysForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    if form.problem.trim().is_empty() {
        errors.push("problem", "must not be empty");
    }
    let mut steps = Vec::new();
    // Steps are numbered as stored (skipped pairs close up), so the
    // store's `steps[i]` errors point at the right inputs only when no pair
    // is skipped before them; the form's own checks use the input's place.
    for (i, (why, because)) in form.pairs().into_iter().enumerate() {
        let (why, because) = (why.trim(), because.trim());
        match (why.is_empty(), because.is_empty()) {
            (true, true) => {}
            (false, false) => steps.push(serde_json::json!({"why": why, "because": because})),
            (true, false) => errors.push(&format!("steps[{i}].why"), "give the question too"),
            (false, true) => errors.push(&format!("steps[{i}].because"), "give the answer too"),
        }
    }
    let item = serde_json::from_value(serde_json::json!({
        "problem": form.problem.trim(), "steps": steps
    }))
    .ok()
    .map(SectionItem::FiveWhys);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    analysis_answer(
        &state,
        &caller,
        &headers,
        &raw,
        result,
        AnalysisInput::Whys(form),
    )
    .await
}

/// `POST /incidents/{key}/fishbone`: adds a cause to the fishbone, on a
/// category bone or under another cause.
pub async fn add_cause(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CauseForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    if form.text.trim().is_empty() {
        errors.push("text", "must not be empty");
    }
    let parent = match form.parent.trim() {
        "" => None,
        p => match p.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push("parent", "choose a cause from the list");
                None
            }
        },
    };
    let item = serde_json::from_value(serde_json::json!({
        "category": form.category.trim(), "text": form.text.trim(), "parent": parent
    }))
    .ok()
    .map(SectionItem::FishboneCause);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    analysis_answer(
        &state,
        &caller,
        &headers,
        &raw,
        result,
        AnalysisInput::Cause(form),
    )
    .await
}

fn score(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(v) if (1..=10).contains(&v) => Some(v),
        _ => {
            errors.push(field, "a whole number from 1 to 10");
            None
        }
    }
}

/// `POST /incidents/{key}/fmea`: adds an FMEA row (its RPN is computed).
pub async fn add_fmea(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<FmeaForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    if form.failure_mode.trim().is_empty() {
        errors.push("failure_mode", "must not be empty");
    }
    let s = score(&mut errors, "severity", &form.severity);
    let o = score(&mut errors, "occurrence", &form.occurrence);
    let d = score(&mut errors, "detection", &form.detection);
    let item = match (s, o, d) {
        (Some(s), Some(o), Some(d)) => serde_json::from_value(serde_json::json!({
            "failure_mode": form.failure_mode.trim(),
            "effect": form.effect.trim(),
            "cause": form.cause.trim(),
            "severity": s, "occurrence": o, "detection": d,
            "current_controls": form.current_controls.trim(),
            "recommended_action": form.recommended_action.trim(),
        }))
        .ok()
        .map(SectionItem::Fmea),
        _ => None,
    };
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    analysis_answer(
        &state,
        &caller,
        &headers,
        &raw,
        result,
        AnalysisInput::Fmea(form),
    )
    .await
}

/// Answers a findings or lessons write, like [`timeline_answer`].
async fn learning_answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: &str,
    result: Result<PostMortem, StoreError>,
    input: LearningInput,
) -> Result<Response, PageError> {
    let htmx = is_htmx(headers);
    let lessons = matches!(input, LearningInput::Lesson(_));
    match outcome(result)? {
        Outcome::Done(doc) => {
            if !htmx {
                let anchor = if lessons { "lessons" } else { "went-well" };
                return Ok(see_other(
                    &format!("/incidents/{}#{anchor}", doc.key),
                    false,
                ));
            }
            let learning = LearningView::of(&doc, true, None);
            let mut body = render_learning(learning, lessons)?;
            body.push_str(&version_oob(doc.version));
            Ok(html(StatusCode::OK, body))
        }
        Outcome::Refused(errors, conflict) => {
            let l = load(state, caller, raw).await?;
            let status = if conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let stale = version_of(match &input {
                LearningInput::Finding(f) => &f.version,
                LearningInput::Lesson(f) => &f.version,
            });
            if htmx {
                let mut learning =
                    LearningView::of(&l.doc, l.can_edit, Some((input, errors, conflict)));
                learning.version = stale.unwrap_or(learning.version);
                return Ok(html(StatusCode::OK, render_learning(learning, lessons)?));
            }
            let kept = Kept {
                learning: Some((input, errors, conflict)),
                ..Kept::default()
            };
            let mut p = page(state, caller, &l, kept).await?;
            p.learning.version = stale.unwrap_or(p.learning.version);
            Ok(render(status, &p))
        }
    }
}

/// `POST /incidents/{key}/findings`: adds something that went well or
/// wrong.
pub async fn add_finding(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<FindingForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    if form.title.trim().is_empty() {
        errors.push("title", "must not be empty");
    }
    let kind = form
        .kind
        .parse::<FindingKind>()
        .map_err(|m| errors.push("kind", m))
        .ok();
    let area = form
        .area
        .parse::<Area>()
        .map_err(|m| errors.push("area", m))
        .ok();
    let item = match (kind, area) {
        (Some(kind), Some(area)) => serde_json::from_value::<Finding>(serde_json::json!({
            "area": area,
            "title": form.title.trim(),
            "details": lines(&form.details),
            "impact": opt(&form.impact),
        }))
        .ok()
        .map(|f| match kind {
            FindingKind::WentWell => SectionItem::WentWell(f),
            FindingKind::WentWrong => SectionItem::WentWrong(f),
        }),
        _ => None,
    };
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    learning_answer(
        &state,
        &caller,
        &headers,
        &raw,
        result,
        LearningInput::Finding(form),
    )
    .await
}

/// `POST /incidents/{key}/lessons`: adds a lesson learned.
pub async fn add_lesson(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<LessonForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::default();
    if form.text.trim().is_empty() {
        errors.push("text", "must not be empty");
    }
    let item = serde_json::from_value(serde_json::json!({
        "text": form.text.trim(), "details": opt(&form.details)
    }))
    .ok()
    .map(SectionItem::Lesson);
    let result = add_checked(&state, &caller, &raw, &form.version, &errors, item).await?;
    learning_answer(
        &state,
        &caller,
        &headers,
        &raw,
        result,
        LearningInput::Lesson(form),
    )
    .await
}

/// `POST /incidents/{key}/actions/{id}/criteria/{n}`: ticks or unticks
/// the `n`-th success criterion (from 0) of an action item.
pub async fn toggle_criterion(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((raw, raw_id, raw_n)): Path<(String, String, String)>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    let (k, id) = (key(&raw)?, item_id(&raw_id)?);
    let n: usize = raw_n.parse().map_err(|_| {
        PageError(ApiError::BadParameter {
            field: "n".into(),
            message: format!("`{raw_n}` is not a criterion number"),
        })
    })?;
    let kept = ActionForm {
        version: form.version.clone(),
        priority: "medium".into(),
        open: id.to_string(),
        ..ActionForm::default()
    };
    let result = match version_of(&form.version) {
        None => Err(StoreError::VersionMismatch {
            expected: -1,
            actual: -1,
        }),
        Some(v) => {
            let doc = state.store.get(&k).await?;
            let item = doc.action_items.iter().find(|a| a.id == id);
            match item.filter(|a| n < a.success_criteria.len()) {
                None => Err(StoreError::NotFound {
                    what: format!("success criterion {n} of action item {id}"),
                }),
                Some(item) => {
                    let mut item = item.clone();
                    item.success_criteria[n].done = !item.success_criteria[n].done;
                    item.horizon = None;
                    state
                        .store
                        .update_item(
                            &k,
                            id,
                            SectionItem::ActionItem(item),
                            Some(v),
                            &caller.ctx(state.clock.now()),
                        )
                        .await
                }
            }
        }
    };
    actions_answer(&state, &caller, &headers, &raw, result, kept).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_words() {
        assert_eq!(duration_words(TimeDelta::minutes(5)), "5 minutes");
        assert_eq!(
            duration_words(TimeDelta::minutes(225)),
            "3 hours 45 minutes"
        );
        assert_eq!(
            duration_words(TimeDelta::minutes(60 * 52)),
            "2 days 4 hours"
        );
        assert_eq!(duration_words(TimeDelta::minutes(-3)), "0 minutes");
    }

    #[test]
    fn big_numbers_get_separators() {
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(999), "999");
    }
}
