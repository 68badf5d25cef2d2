//! The seed's "Post-Mortem Completion Checklist", ticked by the data where
//! the data proves an item and by hand everywhere else.
//!
//! The items and their groups are the seed's, word for word, each with a
//! stable kebab-case id that the store keeps hand ticks under. An item is
//! done when the data proves it (`auto`) or when someone ticked it by hand.
//! A fact (from [`ProcessFacts`]) counts only when its day is not after
//! "today".
//!
//! | id | ticked automatically when |
//! |----|---------------------------|
//! | `schedule-within-a-week` | the meeting was scheduled (or, failing a record of that, held) within 7 days of the incident's close (`closed`, else `resolved`) |
//! | `invite-stakeholders` | by hand only: invitations are not recorded |
//! | `share-summary-in-advance` | by hand only |
//! | `prepare-timeline` | the timeline has at least one entry |
//! | `set-blameless-expectation` | by hand only |
//! | `assign-note-taker` | a participant has the note-taker role |
//! | `remind-blameless` | by hand only |
//! | `walk-through-timeline` | a timeline entry says what the team knew, did not know or decided at that moment (the walk-through's output) |
//! | `discuss-went-well` | what went well holds a finding |
//! | `discuss-went-wrong` | what went wrong holds a finding |
//! | `identify-root-causes` | a primary root cause is named |
//! | `generate-action-items` | there is an action item not decided against, and every such item has success criteria (what makes it specific and measurable) |
//! | `assign-owners-and-deadlines` | there is an action item not decided against, and every such item has an owner (a person) and a due date |
//! | `document-within-48-hours` | the meeting was held, findings or root causes are written down, and the post-mortem was shared or last changed within 48 hours of the meeting |
//! | `share-within-a-week` | the findings were shared within 7 days of the meeting |
//! | `create-tracking-tickets` | there is an action item not decided against, and every such item has an external tracker reference |
//! | `add-to-knowledge-base` | the post-mortem is published with a category and at least one lesson (the knowledge base is built from exactly these) |
//! | `update-playbook` | by hand only: playbooks live outside debrief |
//! | `update-detection-prevention` | an action item of kind detect or prevent is complete or verified |
//! | `weekly-check-ins` | by hand only |
//! | `monthly-review` | by hand only |
//! | `quarterly-review` | the quarterly review took place (`quarterly_review_at`) |
//! | `annual-review` | by hand only: it spans incidents |

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::{ActionKind, ActionStatus};
use crate::analysis::RootCauseKind;
use crate::document::PostMortem;
use crate::error::ValidationErrors;
use crate::incident::{PostmortemStatus, Role};
use crate::process::{ActionAssignment, ProcessFacts, clock_start};
use crate::vocabulary;

vocabulary! {
    /// The seed's groups of checklist items.
    pub enum ChecklistGroup {
        Before => "before" / "Before the Meeting",
        During => "during" / "During the Meeting",
        After => "after" / "After the Meeting",
        FollowUp => "follow_up" / "Follow-up",
    }
}

/// One item of the checklist as the seed writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistDef {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// The group it belongs to.
    pub group: ChecklistGroup,
    /// The seed's wording.
    pub text: &'static str,
}

const fn def(id: &'static str, group: ChecklistGroup, text: &'static str) -> ChecklistDef {
    ChecklistDef { id, group, text }
}

/// The seed's checklist, in its order.
pub const ITEMS: [ChecklistDef; 23] = {
    use ChecklistGroup::{After, Before, During, FollowUp};
    [
        def(
            "schedule-within-a-week",
            Before,
            "Schedule within 1 week of incident closure",
        ),
        def(
            "invite-stakeholders",
            Before,
            "Invite all relevant stakeholders",
        ),
        def(
            "share-summary-in-advance",
            Before,
            "Share incident summary in advance",
        ),
        def(
            "prepare-timeline",
            Before,
            "Prepare timeline with all available data",
        ),
        def(
            "set-blameless-expectation",
            Before,
            "Set blameless expectation in invite",
        ),
        def("assign-note-taker", During, "Assign note-taker"),
        def(
            "remind-blameless",
            During,
            "Remind participants: blameless environment",
        ),
        def(
            "walk-through-timeline",
            During,
            "Walk through detailed timeline",
        ),
        def("discuss-went-well", During, "Discuss what went well"),
        def("discuss-went-wrong", During, "Discuss what went wrong"),
        def(
            "identify-root-causes",
            During,
            "Identify root causes (not just symptoms)",
        ),
        def(
            "generate-action-items",
            During,
            "Generate specific action items",
        ),
        def(
            "assign-owners-and-deadlines",
            During,
            "Assign owners and deadlines to all action items",
        ),
        def(
            "document-within-48-hours",
            After,
            "Document findings within 48 hours",
        ),
        def(
            "share-within-a-week",
            After,
            "Share with broader team (within 1 week)",
        ),
        def(
            "create-tracking-tickets",
            After,
            "Create tracking tickets for action items",
        ),
        def(
            "add-to-knowledge-base",
            After,
            "Add learnings to knowledge base",
        ),
        def(
            "update-playbook",
            After,
            "Update incident response playbook",
        ),
        def(
            "update-detection-prevention",
            After,
            "Update detection/prevention systems",
        ),
        def(
            "weekly-check-ins",
            FollowUp,
            "Weekly check-ins on action item progress",
        ),
        def(
            "monthly-review",
            FollowUp,
            "Monthly review of completion status",
        ),
        def(
            "quarterly-review",
            FollowUp,
            "Quarterly review of effectiveness",
        ),
        def(
            "annual-review",
            FollowUp,
            "Annual review of patterns and trends",
        ),
    ]
};

/// One checklist item for one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistItem {
    /// Stable kebab-case id.
    pub id: String,
    /// The group it belongs to.
    pub group: ChecklistGroup,
    /// The seed's wording.
    pub text: String,
    /// Ticked, automatically or by hand.
    pub done: bool,
    /// Ticked because the data proves it.
    pub auto: bool,
    /// What in the data proves it, when `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Checks that every id ticked by hand names a checklist item.
pub fn validate_ticks(manual: &BTreeSet<String>) -> ValidationErrors {
    let mut errs = ValidationErrors::default();
    for (i, id) in manual.iter().enumerate() {
        if !ITEMS.iter().any(|d| d.id == id) {
            errs.push(format!("[{i}]"), format!("`{id}` is not a checklist item"));
        }
    }
    errs
}

/// The checklist for `doc`, in the seed's order: each item done when the
/// data proves it (see the module documentation) or when its id is in
/// `manual`. Facts dated after `today` do not count.
pub fn evaluate(
    doc: &PostMortem,
    facts: &ProcessFacts,
    manual: &BTreeSet<String>,
    today: NaiveDate,
) -> Vec<ChecklistItem> {
    let proof = Proof::new(doc, facts, today);
    ITEMS
        .iter()
        .map(|d| {
            let evidence = proof.of(d.id);
            ChecklistItem {
                id: d.id.to_owned(),
                group: d.group,
                text: d.text.to_owned(),
                done: evidence.is_some() || manual.contains(d.id),
                auto: evidence.is_some(),
                evidence,
            }
        })
        .collect()
}

/// What the data holds, gathered once.
struct Proof<'a> {
    doc: &'a PostMortem,
    close: Option<DateTime<Utc>>,
    scheduled: Option<DateTime<Utc>>,
    held: Option<DateTime<Utc>>,
    shared: Option<DateTime<Utc>>,
    reviewed: Option<DateTime<Utc>>,
    assignment: ActionAssignment,
}

impl<'a> Proof<'a> {
    fn new(doc: &'a PostMortem, facts: &ProcessFacts, today: NaiveDate) -> Self {
        let past = |t: Option<DateTime<Utc>>| t.filter(|t| t.date_naive() <= today);
        Self {
            doc,
            close: clock_start(doc),
            scheduled: past(facts.meeting_scheduled_at),
            held: past(facts.meeting_held_at),
            shared: past(facts.shared_at),
            reviewed: past(facts.quarterly_review_at),
            assignment: ActionAssignment::of(doc),
        }
    }

    /// The evidence for item `id`, when the data proves it.
    fn of(&self, id: &str) -> Option<String> {
        let doc = self.doc;
        let open = || {
            doc.action_items
                .iter()
                .filter(|a| a.status != ActionStatus::WontDo)
        };
        match id {
            "schedule-within-a-week" => {
                let close = self.close?;
                let (what, at) = match (self.scheduled, self.held) {
                    (Some(t), _) => ("scheduled", t),
                    (None, Some(t)) => ("held", t),
                    (None, None) => return None,
                };
                (at <= close.checked_add_signed(Duration::days(7))?).then(|| {
                    let when = if at < close {
                        "before closure".to_owned()
                    } else {
                        format!("{} after closure", days_words(at - close))
                    };
                    format!("meeting {what} on {}, {when}", at.format("%Y-%m-%d"))
                })
            }
            "prepare-timeline" => {
                let n = doc.timeline.len();
                (n > 0).then(|| format!("timeline with {n} entries"))
            }
            "assign-note-taker" => doc
                .participants
                .iter()
                .find(|p| p.role == Role::NoteTaker)
                .map(|p| format!("{} is the note-taker", p.name)),
            "walk-through-timeline" => {
                let n = doc
                    .timeline
                    .iter()
                    .filter(|e| {
                        [&e.we_knew, &e.we_didnt_know, &e.decision]
                            .iter()
                            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
                    })
                    .count();
                (n > 0).then(|| {
                    format!(
                        "{n} of {} timeline entries record what was known or decided at the time",
                        doc.timeline.len()
                    )
                })
            }
            "discuss-went-well" => {
                let n = doc.findings.went_well.len();
                (n > 0).then(|| format!("{n} findings on what went well"))
            }
            "discuss-went-wrong" => {
                let n = doc.findings.went_wrong.len();
                (n > 0).then(|| format!("{n} findings on what went wrong"))
            }
            "identify-root-causes" => doc
                .root_causes
                .iter()
                .find(|r| r.kind == RootCauseKind::Primary)
                .map(|r| format!("primary root cause: {}", r.title)),
            "generate-action-items" => {
                let n = open().count();
                (n > 0 && open().all(|a| !a.success_criteria.is_empty()))
                    .then(|| format!("{n} action items, each with success criteria"))
            }
            "assign-owners-and-deadlines" => self
                .assignment
                .is_complete()
                .then(|| self.assignment.describe()),
            "document-within-48-hours" => {
                let held = self.held?;
                let written = !doc.findings.went_well.is_empty()
                    || !doc.findings.went_wrong.is_empty()
                    || !doc.root_causes.is_empty();
                let limit = held.checked_add_signed(Duration::hours(48))?;
                let by = [self.shared, doc.updated_at]
                    .into_iter()
                    .flatten()
                    .filter(|t| *t <= limit)
                    .min()?;
                written.then(|| {
                    format!(
                        "findings written down by {}, within 48 hours of the meeting",
                        by.format("%Y-%m-%d %H:%M UTC")
                    )
                })
            }
            "share-within-a-week" => {
                let (held, shared) = (self.held?, self.shared?);
                (shared >= held && shared <= held.checked_add_signed(Duration::days(7))?).then(
                    || {
                        format!(
                            "shared on {}, {} after the meeting",
                            shared.format("%Y-%m-%d"),
                            days_words(shared - held)
                        )
                    },
                )
            }
            "create-tracking-tickets" => {
                let n = open().count();
                (n > 0
                    && open().all(|a| {
                        a.external_ref
                            .as_deref()
                            .is_some_and(|r| !r.trim().is_empty())
                    }))
                .then(|| format!("all {n} action items have a tracker reference"))
            }
            "add-to-knowledge-base" => {
                let category = doc.category.as_deref()?;
                (doc.postmortem_status == PostmortemStatus::Published && !doc.lessons.is_empty())
                    .then(|| {
                        format!(
                            "published under {category} with {} lessons",
                            doc.lessons.len()
                        )
                    })
            }
            "update-detection-prevention" => doc
                .action_items
                .iter()
                .find(|a| {
                    a.status.is_done()
                        && matches!(a.kind, Some(ActionKind::Detect | ActionKind::Prevent))
                })
                .map(|a| {
                    format!(
                        "action item #{} ({}) is {}",
                        a.number,
                        a.title,
                        a.status.label().to_lowercase()
                    )
                }),
            "quarterly-review" => self
                .reviewed
                .map(|t| format!("quarterly review held on {}", t.format("%Y-%m-%d"))),
            _ => None,
        }
    }
}

/// "3 days", "1 day", "less than a day".
fn days_words(d: Duration) -> String {
    match d.num_days() {
        0 => "less than a day".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}
