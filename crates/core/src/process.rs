//! The guided post-mortem process: the deadlines that run from the
//! incident's close (seed 000's process timeline) and the progress through
//! the six steps of a post-mortem (seed 004).
//!
//! Nothing here reads the clock or the store: the caller passes "now" and
//! the [`ProcessFacts`] it holds (when the meeting was scheduled and held,
//! when the post-mortem was shared, when the quarterly review took place).
//!
//! # Deadlines
//!
//! The clock starts when the incident is closed (`lifecycle.closed`, or else
//! `lifecycle.resolved`, as set by people: a deadline is a commitment and
//! does not start from a time guessed from the timeline). With the default
//! [`ProcessPolicy`], from the seed:
//!
//! | step                 | due after close | done when |
//! |----------------------|-----------------|-----------|
//! | `schedule_meeting`   | 48 hours        | `meeting_scheduled_at` is known; or the meeting was held (then it was scheduled, time unknown) |
//! | `hold_meeting`       | 7 days          | `meeting_held_at` is known |
//! | `share_findings`     | 14 days         | `shared_at` is known; or the post-mortem is published (time unknown) |
//! | `assign_action_items`| 30 days         | there is at least one action item not decided against, and every such item has an owner (a person) and a due date |
//! | `quarterly_review`   | 90 days         | `quarterly_review_at` is known |
//!
//! The seed says "within 1 month: complete action items", yet its own ten
//! action items run to 2026-04-30, five months after the incident: what a
//! month can hold is every item owned and dated (seed 004's "responsibility
//! and deadline assignment"), so that is the step. Completion is followed
//! item by item through each item's due date ([`crate::ActionItem::is_overdue`]).
//! debrief does not record when an owner or a due date was set, so this step
//! has no completion time: it counts as done from the moment the data shows
//! it.
//!
//! A fact dated after "now" does not count: it cannot have happened yet.
//! A step is overdue when "now" is after its due time and it is not done;
//! exactly on the due time it is still pending. A step done after its due
//! time is done, and flagged `done_late`.
//!
//! # The six steps
//!
//! [`six_steps`] checks the six steps of seed 004 against the data:
//!
//! | step                          | done when |
//! |-------------------------------|-----------|
//! | `preparation`                 | the analysis team is named (at least one participant) and the meeting is scheduled (or was held) |
//! | `information_gathering`       | the timeline has at least [`MIN_TIMELINE_ENTRIES`] entries and the detection time is known (set by people, or found in the timeline by [`crate::sla::lifecycle_from_timeline`]) |
//! | `root_cause_analysis`         | a primary root cause is named, and a method backs it: a 5 Whys chain with at least one step, a fishbone cause or an FMEA row |
//! | `response_evaluation`         | what went well and what went wrong each hold at least one finding, and the time to respond is known (detection and first response, set or found in the timeline) |
//! | `recommendations`             | at least one action item not decided against |
//! | `documentation_and_follow_up` | the post-mortem is shared (`shared_at`) or published, and every action item not decided against has an owner and a due date |

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::action::{ActionItem, ActionStatus};
use crate::analysis::RootCauseKind;
use crate::document::PostMortem;
use crate::error::ValidationErrors;
use crate::incident::PostmortemStatus;
use crate::time::utc_opt;
use crate::vocabulary;

/// How long each step of the process may take, counted from the incident's
/// close. Configurable per organisation; the default is the seed's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessPolicy {
    /// Schedule the post-mortem meeting within this many hours (48).
    pub schedule_meeting_hours: u32,
    /// Hold the meeting within this many days (7).
    pub hold_meeting_days: u32,
    /// Document and share the findings within this many days (14).
    pub share_days: u32,
    /// Give every action item an owner and a due date within this many days
    /// (30: the seed's "within 1 month").
    pub action_items_days: u32,
    /// Review progress on the action items after this many days (90: the
    /// seed's "quarterly").
    pub quarterly_review_days: u32,
}

impl Default for ProcessPolicy {
    /// The seed's process timeline.
    fn default() -> Self {
        Self {
            schedule_meeting_hours: 48,
            hold_meeting_days: 7,
            share_days: 14,
            action_items_days: 30,
            quarterly_review_days: 90,
        }
    }
}

/// The longest offset a policy accepts, in days (ten years).
pub const MAX_POLICY_DAYS: u32 = 3650;

impl ProcessPolicy {
    /// The offset of `step` from the incident's close.
    pub fn offset(&self, step: ProcessStep) -> Duration {
        match step {
            ProcessStep::ScheduleMeeting => Duration::hours(i64::from(self.schedule_meeting_hours)),
            ProcessStep::HoldMeeting => Duration::days(i64::from(self.hold_meeting_days)),
            ProcessStep::ShareFindings => Duration::days(i64::from(self.share_days)),
            ProcessStep::AssignActionItems => Duration::days(i64::from(self.action_items_days)),
            ProcessStep::QuarterlyReview => Duration::days(i64::from(self.quarterly_review_days)),
        }
    }

    /// Checks that every offset is positive and at most ten years.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        if self.schedule_meeting_hours == 0 {
            errs.push("schedule_meeting_hours", "must be at least 1");
        } else if self.schedule_meeting_hours > MAX_POLICY_DAYS * 24 {
            errs.push(
                "schedule_meeting_hours",
                format!("must be at most {}", MAX_POLICY_DAYS * 24),
            );
        }
        for (name, days) in [
            ("hold_meeting_days", self.hold_meeting_days),
            ("share_days", self.share_days),
            ("action_items_days", self.action_items_days),
            ("quarterly_review_days", self.quarterly_review_days),
        ] {
            if days == 0 {
                errs.push(name, "must be at least 1");
            } else if days > MAX_POLICY_DAYS {
                errs.push(name, format!("must be at most {MAX_POLICY_DAYS}"));
            }
        }
        errs
    }
}

/// What the caller knows about the process beyond the document itself, from
/// stored data. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessFacts {
    /// When the post-mortem meeting was scheduled (the invitation went out).
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub meeting_scheduled_at: Option<DateTime<Utc>>,
    /// When the meeting was held.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub meeting_held_at: Option<DateTime<Utc>>,
    /// When the findings were shared, e.g. when the post-mortem was published.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub shared_at: Option<DateTime<Utc>>,
    /// When the quarterly review of the action items took place.
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub quarterly_review_at: Option<DateTime<Utc>>,
}

vocabulary! {
    /// A step of the process timeline that runs from the incident's close.
    pub enum ProcessStep {
        ScheduleMeeting => "schedule_meeting" / "Schedule post-mortem meeting",
        HoldMeeting => "hold_meeting" / "Conduct post-mortem",
        ShareFindings => "share_findings" / "Document and share findings",
        AssignActionItems => "assign_action_items" / "Assign owners and deadlines to action items",
        QuarterlyReview => "quarterly_review" / "Review progress on action items",
    }
}

vocabulary! {
    /// Where a deadline stands.
    pub enum DeadlineState {
        /// The step is done.
        Done => "done" / "Done",
        /// Not done, not yet due.
        Pending => "pending" / "Pending",
        /// Not done and past due.
        Overdue => "overdue" / "Overdue",
        /// Not done, and the clock has not started: the incident has no
        /// close (or resolution) time yet.
        NotStarted => "not_started" / "Not started",
    }
}

/// One step of the process and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deadline {
    /// The step.
    pub step: ProcessStep,
    /// The step's label, for people.
    pub label: String,
    /// When it is due; absent until the incident is closed.
    #[serde(default, with = "utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due: Option<DateTime<Utc>>,
    /// Where it stands.
    pub state: DeadlineState,
    /// When it was done, when known (a step can be done at an unknown time).
    #[serde(default, with = "utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<DateTime<Utc>>,
    /// True when the state is [`DeadlineState::Overdue`].
    pub overdue: bool,
    /// True when the step was done after it was due.
    pub done_late: bool,
    /// What shows the step done, in words; absent when it is not done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// The minimum number of timeline entries for information gathering to
/// count as done.
pub const MIN_TIMELINE_ENTRIES: usize = 3;

/// Whether the action items are owned and dated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionAssignment {
    /// Action items not decided against (`wont_do`).
    pub open: usize,
    /// Of those, the numbers of the items without an owner or a due date.
    pub unassigned: Vec<u32>,
}

impl ActionAssignment {
    /// Counts the action items of `doc`. An owner is a person (`owner`), not
    /// a team alone: somebody must answer for the item.
    pub fn of(doc: &PostMortem) -> Self {
        let open: Vec<&ActionItem> = doc
            .action_items
            .iter()
            .filter(|a| a.status != ActionStatus::WontDo)
            .collect();
        let unassigned = open
            .iter()
            .filter(|a| !is_assigned(a))
            .map(|a| a.number)
            .collect();
        Self {
            open: open.len(),
            unassigned,
        }
    }

    /// True when there is at least one open item and every one is owned and
    /// dated.
    pub fn is_complete(&self) -> bool {
        self.open > 0 && self.unassigned.is_empty()
    }

    /// The state in words, e.g. "all 10 action items have an owner and a due
    /// date" or "items #2, #5 have no owner or no due date".
    pub fn describe(&self) -> String {
        if self.open == 0 {
            "there are no action items".to_owned()
        } else if self.unassigned.is_empty() {
            format!(
                "all {} action item{} have an owner and a due date",
                self.open,
                if self.open == 1 { "" } else { "s" }
            )
        } else {
            let numbers: Vec<String> = self.unassigned.iter().map(|n| format!("#{n}")).collect();
            format!(
                "{} of {} action items lack an owner or a due date ({})",
                self.unassigned.len(),
                self.open,
                numbers.join(", ")
            )
        }
    }
}

fn is_assigned(a: &ActionItem) -> bool {
    a.owner.as_deref().is_some_and(|o| !o.trim().is_empty()) && a.due.is_some()
}

/// When the process clock starts: the close time, or else the resolution
/// time, as set by people.
pub fn clock_start(doc: &PostMortem) -> Option<DateTime<Utc>> {
    doc.lifecycle.closed.or(doc.lifecycle.resolved)
}

/// The deadlines of every [`ProcessStep`], in order, at `now`.
pub fn deadlines(
    doc: &PostMortem,
    policy: &ProcessPolicy,
    facts: &ProcessFacts,
    now: DateTime<Utc>,
) -> Vec<Deadline> {
    let start = clock_start(doc);
    // A fact from the future has not happened yet.
    let past = |t: Option<DateTime<Utc>>| t.filter(|t| *t <= now);
    let scheduled = past(facts.meeting_scheduled_at);
    let held = past(facts.meeting_held_at);
    let shared = past(facts.shared_at);
    let reviewed = past(facts.quarterly_review_at);
    let assignment = ActionAssignment::of(doc);
    ProcessStep::ALL
        .iter()
        .map(|&step| {
            // (done, done_at, evidence)
            let done: Option<(Option<DateTime<Utc>>, String)> = match step {
                ProcessStep::ScheduleMeeting => match (scheduled, held) {
                    (Some(t), _) => Some((Some(t), "the meeting was scheduled".to_owned())),
                    (None, Some(_)) => Some((
                        None,
                        "the meeting was held, so it was scheduled; when is not recorded"
                            .to_owned(),
                    )),
                    (None, None) => None,
                },
                ProcessStep::HoldMeeting => {
                    held.map(|t| (Some(t), "the meeting was held".to_owned()))
                }
                ProcessStep::ShareFindings => match shared {
                    Some(t) => Some((Some(t), "the findings were shared".to_owned())),
                    None if doc.postmortem_status == PostmortemStatus::Published => Some((
                        None,
                        "the post-mortem is published; when it was shared is not recorded"
                            .to_owned(),
                    )),
                    None => None,
                },
                ProcessStep::AssignActionItems => assignment
                    .is_complete()
                    .then(|| (None, assignment.describe())),
                ProcessStep::QuarterlyReview => reviewed.map(|t| {
                    (
                        Some(t),
                        "the quarterly review of the action items took place".to_owned(),
                    )
                }),
            };
            let due = start.and_then(|s| s.checked_add_signed(policy.offset(step)));
            let (state, done_at, evidence) = match done {
                Some((at, why)) => (DeadlineState::Done, at, Some(why)),
                None => match (start, due) {
                    (None, _) => (DeadlineState::NotStarted, None, None),
                    (Some(_), Some(due)) if now > due => (DeadlineState::Overdue, None, None),
                    (Some(_), _) => (DeadlineState::Pending, None, None),
                },
            };
            let done_late = matches!((done_at, due), (Some(at), Some(due)) if at > due);
            Deadline {
                step,
                label: step.label().to_owned(),
                due,
                state,
                done_at,
                overdue: state == DeadlineState::Overdue,
                done_late,
                evidence,
            }
        })
        .collect()
}

vocabulary! {
    /// The six steps of a post-mortem (seed 004).
    pub enum ReviewStep {
        Preparation => "preparation" / "Preparation",
        InformationGathering => "information_gathering" / "Information gathering",
        RootCauseAnalysis => "root_cause_analysis" / "Root cause analysis",
        ResponseEvaluation => "response_evaluation" / "Response evaluation",
        Recommendations => "recommendations" / "Recommendation development",
        DocumentationAndFollowUp => "documentation_and_follow_up" / "Documentation and follow-up",
    }
}

/// How far one of the six steps has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StepProgress {
    /// The step.
    pub step: ReviewStep,
    /// The step's label, for people.
    pub label: String,
    /// True when every condition of the step holds.
    pub done: bool,
    /// The conditions that hold, in words.
    pub evidence: Vec<String>,
    /// The conditions that do not hold yet, in words: what is left to do.
    pub missing: Vec<String>,
}

/// Collects the conditions of one step.
struct Conditions {
    evidence: Vec<String>,
    missing: Vec<String>,
}

impl Conditions {
    fn new() -> Self {
        Self {
            evidence: Vec::new(),
            missing: Vec::new(),
        }
    }

    fn check(&mut self, holds: bool, yes: impl Into<String>, no: impl Into<String>) {
        if holds {
            self.evidence.push(yes.into());
        } else {
            self.missing.push(no.into());
        }
    }

    fn into_progress(self, step: ReviewStep) -> StepProgress {
        StepProgress {
            step,
            label: step.label().to_owned(),
            done: self.missing.is_empty(),
            evidence: self.evidence,
            missing: self.missing,
        }
    }
}

/// Progress through the six steps of seed 004, in order; see the module
/// documentation for the rule of each. Facts are taken as given.
pub fn six_steps(doc: &PostMortem, facts: &ProcessFacts) -> Vec<StepProgress> {
    let lifecycle = crate::sla::lifecycle_from_timeline(doc);
    let assignment = ActionAssignment::of(doc);
    ReviewStep::ALL
        .iter()
        .map(|&step| {
            let mut c = Conditions::new();
            match step {
                ReviewStep::Preparation => {
                    let n = doc.participants.len();
                    c.check(
                        n > 0,
                        format!("analysis team named ({n} participants)"),
                        "name the analysis team (participants)",
                    );
                    c.check(
                        facts.meeting_scheduled_at.is_some() || facts.meeting_held_at.is_some(),
                        "the post-mortem meeting is scheduled",
                        "schedule the post-mortem meeting",
                    );
                }
                ReviewStep::InformationGathering => {
                    let n = doc.timeline.len();
                    c.check(
                        n >= MIN_TIMELINE_ENTRIES,
                        format!("timeline with {n} entries"),
                        format!(
                            "reconstruct the timeline (at least {MIN_TIMELINE_ENTRIES} entries; {n} so far)"
                        ),
                    );
                    let detected_by_people = doc.lifecycle.detected.is_some();
                    c.check(
                        lifecycle.detected.is_some(),
                        if detected_by_people {
                            "detection time set"
                        } else {
                            "detection time found in the timeline"
                        },
                        "record when the incident was detected",
                    );
                }
                ReviewStep::RootCauseAnalysis => {
                    let primary = doc
                        .root_causes
                        .iter()
                        .find(|r| r.kind == RootCauseKind::Primary);
                    c.check(
                        primary.is_some(),
                        format!(
                            "primary root cause: {}",
                            primary.map_or("", |r| r.title.as_str())
                        ),
                        "name the primary root cause",
                    );
                    let mut methods = Vec::new();
                    if doc.five_whys.iter().any(|w| !w.steps.is_empty()) {
                        methods.push("5 Whys");
                    }
                    if !doc.fishbone.causes.is_empty() {
                        methods.push("fishbone");
                    }
                    if !doc.fmea.is_empty() {
                        methods.push("FMEA");
                    }
                    c.check(
                        !methods.is_empty(),
                        format!("analysed with {}", methods.join(", ")),
                        "back the root cause with a 5 Whys chain, a fishbone or an FMEA",
                    );
                }
                ReviewStep::ResponseEvaluation => {
                    let (well, wrong) = (
                        doc.findings.went_well.len(),
                        doc.findings.went_wrong.len(),
                    );
                    c.check(
                        well > 0,
                        format!("{well} findings on what went well"),
                        "say what went well",
                    );
                    c.check(
                        wrong > 0,
                        format!("{wrong} findings on what went wrong"),
                        "say what went wrong",
                    );
                    c.check(
                        lifecycle.detected.is_some() && lifecycle.responded.is_some(),
                        "time to respond known",
                        "record when the incident was detected and first responded to",
                    );
                }
                ReviewStep::Recommendations => {
                    c.check(
                        assignment.open > 0,
                        format!("{} action items", assignment.open),
                        "add action items",
                    );
                }
                ReviewStep::DocumentationAndFollowUp => {
                    let published = doc.postmortem_status == PostmortemStatus::Published;
                    c.check(
                        facts.shared_at.is_some() || published,
                        if facts.shared_at.is_some() {
                            "findings shared"
                        } else {
                            "post-mortem published"
                        },
                        "share the findings (publish the post-mortem)",
                    );
                    c.check(
                        assignment.is_complete(),
                        assignment.describe(),
                        if assignment.open == 0 {
                            "add action items with an owner and a due date".to_owned()
                        } else {
                            assignment.describe()
                        },
                    );
                }
            }
            c.into_progress(step)
        })
        .collect()
}
