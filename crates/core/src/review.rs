//! The review of one incident as a record: the meeting agenda, the process
//! facts (when the meeting was scheduled and held, when the learnings were
//! shared, when the quarterly review took place), the checklist items ticked
//! by hand, and the coach findings people acknowledged, with who and why.
//!
//! It is part of the [`PostMortem`] document (exported and imported with it)
//! and is what the publish gate reads: a post-mortem is published only when
//! [`publish_blockers`] is empty.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::ActionStatus;
use crate::checklist::{self, ChecklistItem};
use crate::coach::{self, CheckContext, CoachFinding};
use crate::document::PostMortem;
use crate::error::ValidationErrors;
use crate::meeting::{Agenda, AgendaWarning, GROUND_RULES};
use crate::process::{self, Deadline, ProcessFacts, ProcessPolicy, StepProgress};
use crate::sla::{self, MeasureDefinition, SlaResult, SlaTargets};
use crate::time::utc;

/// Longest acknowledgement reason, in characters.
pub const MAX_REASON: usize = 2000;

/// A coach finding someone looked at and chose to accept, with who, when
/// and why. It matches findings by rule and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// The rule id, e.g. `superficial-cause`.
    pub rule: String,
    /// The field the finding is about, e.g. `root_causes[0].title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Who acknowledged it (a user name, set by the server).
    pub by: String,
    /// When.
    #[serde(with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Why the finding does not need a change.
    pub reason: String,
}

impl Acknowledgement {
    /// Whether this acknowledges `f`.
    pub fn covers(&self, f: &CoachFinding) -> bool {
        self.rule == f.rule && self.field == f.field
    }
}

/// How the review of one incident is going.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The meeting agenda, once someone planned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agenda: Option<Agenda>,
    /// When the process steps happened.
    #[serde(default)]
    pub facts: ProcessFacts,
    /// Checklist items ticked by hand (ids from [`crate::checklist::ITEMS`]).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub checklist: BTreeSet<String>,
    /// Coach findings acknowledged, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledgements: Vec<Acknowledgement>,
}

impl Review {
    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        *self == Review::default()
    }

    /// Checks the agenda, the checklist ids and the acknowledgements.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if let Some(a) = &self.agenda {
            errs.0.extend(a.validate().nest("agenda").0);
        }
        errs.0.extend(
            crate::checklist::validate_ticks(&self.checklist)
                .nest("checklist")
                .0,
        );
        for (i, a) in self.acknowledgements.iter().enumerate() {
            if a.rule.trim().is_empty() {
                errs.push(format!("acknowledgements[{i}].rule"), "must not be empty");
            }
            if a.reason.trim().is_empty() {
                errs.push(
                    format!("acknowledgements[{i}].reason"),
                    "say why the finding needs no change",
                );
            } else if a.reason.chars().count() > MAX_REASON {
                errs.push(
                    format!("acknowledgements[{i}].reason"),
                    format!("is longer than {MAX_REASON} characters"),
                );
            }
        }
        errs
    }

    /// Whether finding `f` has been acknowledged.
    pub fn acknowledged(&self, f: &CoachFinding) -> bool {
        self.acknowledgements.iter().any(|a| a.covers(f))
    }
}

/// What keeps a post-mortem from being published on `today`, each as a
/// message: no timeline, no primary root cause, no action items, an open
/// action item without an owner (person or team) or a due date, and every
/// blocking coach finding not acknowledged. Empty when it may be published.
pub fn publish_blockers(doc: &PostMortem, today: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    for a in doc
        .action_items
        .iter()
        .filter(|a| a.status != ActionStatus::WontDo)
    {
        let owned = a.owner.is_some() || a.team.is_some();
        match (owned, a.due.is_some()) {
            (true, true) => {}
            (false, true) => out.push(format!("action item #{} has no owner", a.number)),
            (true, false) => out.push(format!("action item #{} has no due date", a.number)),
            (false, false) => out.push(format!(
                "action item #{} has neither an owner nor a due date",
                a.number
            )),
        }
    }
    for f in coach::check(doc, &CheckContext::new(today)) {
        if f.is_blocking() && !doc.review.acknowledged(&f) {
            let at = f
                .field
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            let line = format!("{}{at}: {}", f.rule, f.message);
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

/// The organisation's settings for guided reviews: response targets per
/// severity and the post-mortem process deadlines (`[sla]` and `[process]`
/// in `debrief.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Guide {
    /// Response targets per severity.
    pub sla: SlaTargets,
    /// Process deadlines from the incident's close.
    pub process: ProcessPolicy,
}

impl Guide {
    /// Checks the settings.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = self.sla.validate().nest("sla");
        errs.0.extend(self.process.validate().nest("process").0);
        errs
    }
}

/// A coach finding with its acknowledgement, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: CoachFinding,
    /// Who accepted it and why; absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<Acknowledgement>,
}

/// Everything the guided review shows for one incident at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewReport {
    /// The stored review record.
    pub review: Review,
    /// Response measures, each with how it was computed.
    pub measures: Vec<MeasureDefinition>,
    /// Response targets for the incident's severity, met or missed.
    pub sla: Vec<SlaResult>,
    /// The process steps from the incident's close, with due dates.
    pub deadlines: Vec<Deadline>,
    /// The six steps of the review (seed 004) as progress.
    pub steps: Vec<StepProgress>,
    /// The completion checklist, ticked by data or by hand.
    pub checklist: Vec<ChecklistItem>,
    /// The meeting agenda: the stored one, or the seed's default.
    pub agenda: Agenda,
    /// Whether `agenda` is stored (false: the default, not yet saved).
    pub agenda_saved: bool,
    /// What the agenda lacks.
    pub agenda_warnings: Vec<AgendaWarning>,
    /// The blameless ground rules printed on the agenda.
    pub ground_rules: Vec<String>,
    /// Coach findings with their acknowledgements.
    pub findings: Vec<CheckedFinding>,
    /// What keeps the post-mortem from being published.
    pub publish_blockers: Vec<String>,
}

/// What the coach knows beyond the document: the facts of the review
/// record, and how many earlier incidents share the category.
pub fn check_context(
    doc: &PostMortem,
    same_category_last_year: Option<usize>,
    now: DateTime<Utc>,
) -> CheckContext {
    let facts = &doc.review.facts;
    let published = doc.postmortem_status == crate::PostmortemStatus::Published;
    let closed = doc.lifecycle.closed.or(doc.lifecycle.resolved);
    let mut ctx = CheckContext::new(now.date_naive());
    ctx.same_category_last_year = same_category_last_year;
    ctx.meeting_minutes = doc.review.agenda.as_ref().map(Agenda::total_minutes);
    // A follow-up review can only be missing once the meeting was held.
    ctx.followup_review_scheduled = facts
        .meeting_held_at
        .map(|_| facts.quarterly_review_at.is_some());
    // "Not shared" is a finding once the sharing deadline (14 days from the
    // close, the seed's) has passed without it.
    ctx.shared = if published || facts.shared_at.is_some() {
        Some(true)
    } else {
        closed
            .filter(|c| now - *c > chrono::Duration::days(14))
            .map(|_| false)
    };
    ctx
}

/// The guided review of `doc` at `now`.
pub fn report(
    doc: &PostMortem,
    guide: &Guide,
    same_category_last_year: Option<usize>,
    now: DateTime<Utc>,
) -> ReviewReport {
    let facts = &doc.review.facts;
    let ctx = check_context(doc, same_category_last_year, now);
    let agenda = doc.agenda();
    ReviewReport {
        review: doc.review.clone(),
        measures: sla::measures(doc).1,
        sla: sla::evaluate(doc, &guide.sla),
        deadlines: process::deadlines(doc, &guide.process, facts, now),
        steps: process::six_steps(doc, facts),
        checklist: checklist::evaluate(doc, facts, &doc.review.checklist, now.date_naive()),
        agenda_saved: doc.review.agenda.is_some(),
        agenda_warnings: agenda.warnings(),
        agenda,
        ground_rules: GROUND_RULES.iter().map(|r| (*r).to_owned()).collect(),
        findings: coach::check(doc, &ctx)
            .into_iter()
            .map(|finding| CheckedFinding {
                acknowledgement: doc
                    .review
                    .acknowledgements
                    .iter()
                    .rev()
                    .find(|a| a.covers(&finding))
                    .cloned(),
                finding,
            })
            .collect(),
        publish_blockers: publish_blockers(doc, now.date_naive()),
    }
}
