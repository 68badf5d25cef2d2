//! The coach: explainable, offline lint rules that help a team write a
//! blameless, actionable post-mortem.
//!
//! The seed's "Common Post-Mortem Pitfalls" are easy to state and easy to
//! fall into: "who made this mistake?", a root cause that stops at "user
//! clicked phishing link", an action item that says "we'll be more careful
//! next time", action items nobody follows through. The coach reads a
//! post-mortem the way a seasoned facilitator would and points at the exact
//! words, says what is wrong in plain language, and suggests a reframing.
//!
//! # Approach
//!
//! No model, no network, no magic: a small hand-written tokenizer and
//! sentence splitter (`coach/text.rs`), word lists grouped in families
//! with a comment on why each family is there (`coach/lexicon.rs`), and one
//! function per rule or sentence shape (`coach/rules.rs` for text,
//! `coach/document.rs` for whole documents). Matching is
//! ASCII-case-insensitive on whole words, through lists indexed once by
//! first word, so a whole post-mortem is checked in about a millisecond;
//! every finding carries the byte span of the phrase it is about, so a UI
//! can underline it and a CLI can quote it. The same text always gives the
//! same findings.
//!
//! Words whose meaning depends on the sentence are matched together with a
//! look at its structure. "Failed to" is blame in "the engineer failed to
//! rotate the key" and a plain report in "the backup job failed to start",
//! so the coach finds the subject of the verb (walking back over adverbs and
//! auxiliaries, stepping over prepositional phrases, following "and" and
//! "who" to the subject they share) and asks whether it is a person: a role
//! noun, a personal pronoun or a capitalised common first name. Beyond
//! fixed phrases, some rules look for a sentence shape rather than words: a
//! modal perfect ("ought to have rotated") or a missing virtue ("was not
//! careful enough") with a person as subject, a failing attributed to a
//! person ("a mistake by the new admin", "the analyst's failure to
//! escalate"), an action item whose main verb asks for no change ("focus
//! on", "address", "get the vendor to") or whose object is a quality
//! ("build resilience").
//!
//! The rules are measured against a labelled set of security-incident
//! sentences (`tests/data/coach_labelled.tsv`), written in rounds. Each
//! round was first measured before anything was tuned on it; rounds 1 to 4
//! were then used to widen the rules, by classes of language rather than by
//! the phrases seen, and round 5 was kept out. The tests hold precision and
//! recall at 0.9 or better per rule on the whole set. The held-out round
//! shows what to expect on unseen text: precision stayed at 1.000 on it,
//! recall was about two thirds (0.675 at its first measurement), because a
//! lexicon, however broad its families, misses some phrasings it has never
//! met. A false alarm is the costly mistake for a coach, so the rules lean
//! towards silence; when the coach says nothing, that is not a certificate
//! of a blameless text.
//!
//! # Rules
//!
//! Text rules, for [`lint`] and for every matching field in [`check`]:
//! - `blame` (warning): person-focused or punitive language. Character
//!   judgements ("careless", "negligent", "complacent"), blame and
//!   negligence idioms ("who made this mistake", "dropped the ball",
//!   "wasn't paying attention", "asleep at the wheel", "rookie mistake",
//!   "cut corners", "held accountable"), "human error" as an explanation,
//!   also with a job title ("admin error"), a person named as the cause
//!   ("Bob caused the outage", "because John disabled MFA", "Emma's
//!   mistake", "the analyst's failure to escalate", "a mistake by the new
//!   admin"), and phrases that judge only when a person is their subject:
//!   verb phrases ("failed to", "ignored", "forgot to", "wasted", "fell
//!   for"), modal perfects ("should have", "ought to have rotated", "could
//!   easily have spotted"), a missing virtue ("was not careful enough",
//!   "needs to be more vigilant") and a skipped check ("approved it without
//!   reading it").
//! - `superficial-cause` (warning; blocking on a primary root cause): a
//!   root cause that stops at human error ("human error", "human factors",
//!   "operator fatigue", "mistake", "wrong firewall rule", "failure to
//!   follow the policy", "clicked"), at an act of a person ("the intern
//!   deleted the backups") or of an outside party ("the DNS provider had an
//!   outage"), or at the symptom ("the attacker got in", "the certificate
//!   expired", "a bug", "the password was weak"). An opening such as "Root
//!   cause:" or "The root cause was" is read past. A cause that names what
//!   was missing or what the system allowed ("no process required review",
//!   "backup codes never expired", "users could approve pushes without
//!   number matching", "a template nobody reviewed") is systemic and passes.
//!   The parts of a cause (title and details) are read together, so details
//!   that explain a terse title rescue it.
//! - `vague-action` (warning): action wording that cannot be verified as
//!   done: try-harder wording and exhortations ("be more careful", "raise
//!   awareness", "always verify", "engineers should double-check",
//!   "retrain"), intentions ("look into", "investigate", "consider", "focus
//!   on", "socialise", "get buy-in", "get the vendor to fix it"),
//!   directions without a target ("improve monitoring", "strengthen",
//!   "address the problem", "fix the issue"), open-ended qualifiers ("as
//!   needed", "promptly"), and qualities instead of changes ("adopt best
//!   practices", "document lessons learned", "build resilience"). A vague
//!   verb that is only the purpose of a concrete change ("add a rule to
//!   ensure buckets stay private") passes. A number, a date, a percentage or
//!   a cadence ("each quarter") anywhere in the item makes it measurable. In
//!   [`check`] the same rule also reports an action item without an owner,
//!   without a due date (both blocking when both are missing) and without a
//!   success criterion.
//! - `hindsight` (info): hindsight and outcome-bias phrases ("obviously",
//!   "in hindsight", "should have seen"), and in [`check`] a prompt on every
//!   timeline decision taken before the team knew what it knows now.
//!
//! Document rules, for [`check`] only:
//! - `shallow-whys` (warning): a 5 Whys chain with fewer than three steps,
//!   or whose last answer is still superficial.
//! - `pitfall-*`: the seed's ten pitfalls as far as the data shows them; see
//!   [`rules()`] for each.

mod document;
mod lexicon;
mod rules;
mod text;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::vocabulary;

pub use document::{CheckContext, check};

/// The stable ids of the coach's rules.
pub mod ids {
    /// Person-focused or punitive language.
    pub const BLAME: &str = "blame";
    /// A root cause that stops at a symptom or at human error.
    pub const SUPERFICIAL_CAUSE: &str = "superficial-cause";
    /// An action item that cannot be verified as done.
    pub const VAGUE_ACTION: &str = "vague-action";
    /// A 5 Whys chain that stops too early.
    pub const SHALLOW_WHYS: &str = "shallow-whys";
    /// Hindsight and outcome bias.
    pub const HINDSIGHT: &str = "hindsight";
    /// Seed pitfall 3: no action items.
    pub const NO_ACTION_ITEMS: &str = "pitfall-no-action-items";
    /// Seed pitfall 4: action items without follow-through.
    pub const NO_FOLLOW_THROUGH: &str = "pitfall-no-follow-through";
    /// Seed pitfall 7: too long or too short.
    pub const MEETING_LENGTH: &str = "pitfall-meeting-length";
    /// Seed pitfall 8: missing key participants.
    pub const MISSING_PARTICIPANTS: &str = "pitfall-missing-participants";
    /// Seed pitfall 9: no follow-up.
    pub const NO_FOLLOWUP_REVIEW: &str = "pitfall-no-followup-review";
    /// Seed pitfall 10: same incidents keep happening.
    pub const RECURRING_CATEGORY: &str = "pitfall-recurring-category";
    /// Seed pitfall 5: not sharing learnings.
    pub const NOT_SHARED: &str = "pitfall-not-shared";
    /// Seed pitfall 2 at document level: no primary root cause.
    pub const NO_PRIMARY_CAUSE: &str = "pitfall-no-primary-cause";
    /// A post-mortem without a timeline has nothing to learn from.
    pub const NO_TIMELINE: &str = "pitfall-no-timeline";
}

/// What kind of text a lint runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TextKind {
    /// `narrative`: timeline entries, summaries, findings, lessons.
    Narrative,
    /// `root-cause`: a root cause, contributing factor or systemic issue.
    RootCause,
    /// `action-item`: what to do about it.
    ActionItem,
}

impl TextKind {
    /// Every kind.
    pub const ALL: &'static [TextKind] = &[
        TextKind::Narrative,
        TextKind::RootCause,
        TextKind::ActionItem,
    ];

    /// The stable text form: `narrative`, `root-cause`, `action-item`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::Narrative => "narrative",
            TextKind::RootCause => "root-cause",
            TextKind::ActionItem => "action-item",
        }
    }
}

impl FromStr for TextKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TextKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a text kind; use narrative, root-cause or action-item")
            })
    }
}

impl fmt::Display for TextKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

vocabulary! {
    /// How much a finding matters. Ordered: info < warning < blocking.
    pub enum FindingSeverity {
        /// A prompt to reflect; nothing is wrong as such.
        Info => "info" / "Info",
        /// Worth fixing before the post-mortem is published.
        Warning => "warning" / "Warning",
        /// Blocks publishing: the post-mortem misses something essential.
        Blocking => "blocking" / "Blocking",
    }
}

/// One thing the coach noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoachFinding {
    /// Stable rule id, e.g. `blame` (see [`ids`] and [`rules()`]).
    pub rule: String,
    /// How much it matters.
    pub severity: FindingSeverity,
    /// What is wrong, in plain words.
    pub message: String,
    /// Document field path, e.g. `root_causes[0].title` or
    /// `action_items[2]`; `None` for a lint of bare text and for findings
    /// about facts outside the document (meeting length, follow-up review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Byte offset where the offending phrase starts in the field's text;
    /// 0 when the finding is about the whole record.
    pub start: usize,
    /// Byte offset after the offending phrase; 0 when the finding is about
    /// the whole record.
    pub end: usize,
    /// A suggested reframing, or what to do instead.
    pub suggestion: String,
}

impl CoachFinding {
    /// A finding about bytes `start..end` of a text.
    pub(crate) fn at(
        rule: &str,
        severity: FindingSeverity,
        (start, end): (usize, usize),
        message: String,
        suggestion: &str,
    ) -> Self {
        Self {
            rule: rule.to_owned(),
            severity,
            message,
            field: None,
            start,
            end,
            suggestion: suggestion.to_owned(),
        }
    }

    /// A finding about a whole record of the document.
    pub(crate) fn whole(
        rule: &str,
        severity: FindingSeverity,
        field: Option<String>,
        message: String,
        suggestion: String,
    ) -> Self {
        Self {
            rule: rule.to_owned(),
            severity,
            message,
            field,
            start: 0,
            end: 0,
            suggestion,
        }
    }

    /// True when the finding blocks publishing.
    pub fn is_blocking(&self) -> bool {
        self.severity == FindingSeverity::Blocking
    }

    /// The phrase the finding points at in `text` (the text of its field),
    /// or `None` when it is about the whole record or the span does not fit.
    pub fn excerpt<'a>(&self, text: &'a str) -> Option<&'a str> {
        if self.start == self.end {
            return None;
        }
        text.get(self.start..self.end)
    }
}

/// Lints one piece of text: `blame` and `hindsight` for narrative,
/// `superficial-cause` and `blame` for a root cause, `vague-action` and
/// `blame` for an action item. Findings have no field and spans into `text`.
pub fn lint(text: &str, kind: TextKind) -> Vec<CoachFinding> {
    match kind {
        TextKind::Narrative => rules::narrative(text),
        TextKind::RootCause => rules::root_cause(&[text], FindingSeverity::Warning)
            .into_iter()
            .next()
            .unwrap_or_default(),
        TextKind::ActionItem => rules::action_text(text, rules::measurable(text)),
    }
}

/// A rule of the coach, for documentation, `--help` and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Usual severity of its findings.
    pub severity: FindingSeverity,
    /// Whether some of its findings block publishing.
    pub can_block: bool,
    /// What it checks and why, in one paragraph.
    pub summary: &'static str,
}

const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: ids::BLAME,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "Person-focused or punitive language in narrative: character judgements \
            (careless, negligent, complacent), blame and negligence idioms (\"who made this \
            mistake\", \"dropped the ball\", \"wasn't paying attention\", \"rookie mistake\", \
            \"at fault\"), \"human error\" as an explanation, a person named as the cause (\"Bob \
            caused the outage\", \"because John disabled MFA\", \"the analyst's failure to \
            escalate\"), and phrases such as \"failed to\", \"ignored\", \"should have\", \"ought \
            to have\" or \"was not careful enough\" when their subject is a person. \"The backup \
            job failed to start\" is not blame. Blame hides the conditions that made the step easy \
            to get wrong (seed pitfall 1).",
    },
    RuleInfo {
        id: ids::SUPERFICIAL_CAUSE,
        severity: FindingSeverity::Warning,
        can_block: true,
        summary: "A root cause that stops at human error (\"human error\", \"human factors\", \
            \"mistake\", \"wrong firewall rule\", \"failure to follow the policy\", \"user clicked a \
            phishing link\"), at the act of a person or of an outside party (\"the DNS provider \
            had an outage\"), or at the symptom (\"the attacker got in\", \"the certificate \
            expired\", \"a bug\"). A cause that names what was missing or what the system allowed \
            (\"no process required review of firewall changes\") passes. Blocking on a primary \
            root cause (seed pitfall 2).",
    },
    RuleInfo {
        id: ids::VAGUE_ACTION,
        severity: FindingSeverity::Warning,
        can_block: true,
        summary: "An action item that cannot be verified as done: wording such as \"be more \
            careful\", \"improve monitoring\", \"look into\", \"focus on\", \"address the \
            problem\", \"adopt best practices\" or \"raise awareness\", or a change handed to \
            others (\"get the vendor to fix it\"), without a number, date, percentage or cadence; \
            and, in a post-mortem, an item without an owner, without a due date (blocking when \
            both are missing) or without a success criterion. Action items must be SMART (seed \
            pitfall 3).",
    },
    RuleInfo {
        id: ids::SHALLOW_WHYS,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "A 5 Whys chain with fewer than three steps, or whose last answer is still a \
            symptom or human error rather than a missing or weak control, process, policy or \
            design. Keep asking why until the answer is something the organisation can change.",
    },
    RuleInfo {
        id: ids::HINDSIGHT,
        severity: FindingSeverity::Info,
        can_block: false,
        summary: "Hindsight and outcome-bias phrases (\"obviously\", \"in hindsight\", \"should \
            have seen\", \"if only\"), and a prompt on every timeline decision taken before the \
            team learned what it knows now: judge decisions by what was known at the time.",
    },
    RuleInfo {
        id: ids::NO_ACTION_ITEMS,
        severity: FindingSeverity::Blocking,
        can_block: true,
        summary: "The post-mortem has no action items. \"A post-mortem without action items is \
            just a story\" (seed pitfall 3).",
    },
    RuleInfo {
        id: ids::NO_FOLLOW_THROUGH,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "Action items past their due date and still open, listed in one finding. \
            Creating action items is easy; completing them is what prevents the repeat (seed \
            pitfall 4).",
    },
    RuleInfo {
        id: ids::MEETING_LENGTH,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "The review meeting is outside 90-120 minutes: info when it is within an hour \
            of that range, warning for a 15-minute rush or a 4-hour marathon (seed pitfall 7). \
            Needs the meeting length from outside the document.",
    },
    RuleInfo {
        id: ids::MISSING_PARTICIPANTS,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "No participant in one of the roles the seed requires: incident responders \
            (or the incident commander), system owners, engineering leadership, the security \
            team. One finding per missing role (seed pitfall 8).",
    },
    RuleInfo {
        id: ids::NO_FOLLOWUP_REVIEW,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "No follow-up review is scheduled to track action item progress: one meeting \
            and done (seed pitfall 9). Needs the schedule from outside the document.",
    },
    RuleInfo {
        id: ids::RECURRING_CATEGORY,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "Two or more earlier incidents in the same category in the 365 days before \
            this one: learning is not being applied; review the pattern and the fixes that \
            failed (seed pitfall 10).",
    },
    RuleInfo {
        id: ids::NOT_SHARED,
        severity: FindingSeverity::Warning,
        can_block: false,
        summary: "The learnings were not shared (warning), or a published post-mortem has no \
            internal summary to share them with (info) (seed pitfall 5).",
    },
    RuleInfo {
        id: ids::NO_PRIMARY_CAUSE,
        severity: FindingSeverity::Blocking,
        can_block: true,
        summary: "No root cause of kind primary: the analysis has not named the cause without \
            which the incident would not have happened.",
    },
    RuleInfo {
        id: ids::NO_TIMELINE,
        severity: FindingSeverity::Blocking,
        can_block: true,
        summary: "The timeline is empty: without what happened when, and what was known at each \
            point, there is nothing to learn from.",
    },
];

/// Every rule with its id, severity, and a one-paragraph description.
pub fn rules() -> &'static [RuleInfo] {
    RULES
}
