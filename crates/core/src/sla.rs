//! Response-time targets (SLAs) per severity, the response measures of one
//! incident with where each of their ends came from, and whether each target
//! was met.
//!
//! # Lifecycle moments from the timeline
//!
//! The response measures of [`crate::metrics`] are computed from the
//! incident's [`Lifecycle`], which people fill in. Teams often reconstruct
//! the timeline first and never copy its moments into the lifecycle, so
//! [`lifecycle_from_timeline`] fills every moment left empty from the stored
//! timeline. A moment set by people always wins; the timeline only fills
//! gaps.
//!
//! For each empty moment, in this order of preference:
//!
//! 1. **A tag.** The earliest entry tagged with the moment's name
//!    (`first_activity`, `detected`, `responded`, `escalated`, `contained`,
//!    `recovered`, `resolved`, `closed`; case-insensitive) sets it. This is
//!    how a team states a moment exactly when the rules below guess wrong.
//! 2. **The rule of the moment:**
//!
//! | moment           | rule |
//! |------------------|------|
//! | `first_activity` | the earliest entry of the timeline |
//! | `detected`       | the last detection-phase entry before the first entry of any later phase (the detection that set the response going; the earlier ones were signals), or the last detection-phase entry when no later phase has begun; its `learned_at` when set, else its `occurred_at` |
//! | `responded`      | the first entry at or after detection that is in the response, containment, eradication or recovery phase, or that records an action taken |
//! | `escalated`      | the earlier of the first raise of severity (from the severity history) and the first entry whose title has a word starting with "escalat" |
//! | `contained`      | the last containment-phase entry; with none, the last response-phase entry before the first eradication, recovery or post-incident entry (a timeline without a containment phase ends its response when containment is complete) |
//! | `recovered`      | the first recovery-phase entry whose title speaks of recovery (a word starting with "recover" or "restor", or "back online" / "back in service"); else the last recovery-phase entry |
//! | `resolved`       | the first entry whose title has the word "resolved" |
//! | `closed`         | the first post-incident entry whose title has the word "closed" |
//!
//! Every derived moment must fall between the moments around it in the
//! lifecycle order (first activity, detected, responded, contained,
//! recovered, resolved, closed; escalation only after detection): a
//! candidate before the previous known moment is skipped, and one after the
//! next moment set by people is refused, so the filled lifecycle stays in
//! order whenever the recorded one is.
//!
//! # Targets
//!
//! [`SlaTargets`] holds, per [`Severity`], optional maximum durations for
//! four measures, all counted **from detection**:
//!
//! | measure    | from       | to          |
//! |------------|------------|-------------|
//! | `respond`  | `detected` | `responded` |
//! | `escalate` | `detected` | `escalated` |
//! | `contain`  | `detected` | `contained` |
//! | `recover`  | `detected` | `recovered` |
//!
//! An incident is held to the targets of its current severity: the
//! post-mortem judges the response against what the incident turned out to
//! be. A target is met when the measure is at most the target (exactly on
//! the target is met).
//!
//! The defaults ([`SlaTargets::default`]) are debrief's, in the shape of
//! common incident-response retainers; the one number the seed gives is the
//! 15-minute response target of INC-2025-1128 (HIGH):
//!
//! | severity | respond | escalate | contain | recover |
//! |----------|---------|----------|---------|---------|
//! | critical | 15 min  | 30 min   | 4 h     | 24 h    |
//! | high     | 15 min  | 1 h      | 8 h     | 48 h    |
//! | medium   | 1 h     | 4 h      | 24 h    | 72 h    |
//! | low      | 8 h     | none     | 72 h    | 7 days  |
//!
//! High responds as fast as critical because both page the on-call; they
//! differ in how fast escalation, containment and recovery must follow.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::document::PostMortem;
use crate::error::ValidationErrors;
use crate::incident::{Lifecycle, Severity};
use crate::metrics::IncidentMeasures;
use crate::time::utc_opt;
use crate::timeline::{Phase, TimelineEntry};
use crate::vocabulary;

vocabulary! {
    /// A named moment of the incident's lifecycle, as in [`Lifecycle`].
    pub enum Moment {
        FirstActivity => "first_activity" / "First activity",
        Detected => "detected" / "Detected",
        Responded => "responded" / "First response",
        Escalated => "escalated" / "Escalated",
        Contained => "contained" / "Contained",
        Recovered => "recovered" / "Recovered",
        Resolved => "resolved" / "Resolved",
        Closed => "closed" / "Closed",
    }
}

impl Moment {
    /// The moment's time in `lifecycle`.
    pub fn get(self, lifecycle: &Lifecycle) -> Option<DateTime<Utc>> {
        match self {
            Moment::FirstActivity => lifecycle.first_activity,
            Moment::Detected => lifecycle.detected,
            Moment::Responded => lifecycle.responded,
            Moment::Escalated => lifecycle.escalated,
            Moment::Contained => lifecycle.contained,
            Moment::Recovered => lifecycle.recovered,
            Moment::Resolved => lifecycle.resolved,
            Moment::Closed => lifecycle.closed,
        }
    }

    fn slot(self, lifecycle: &mut Lifecycle) -> &mut Option<DateTime<Utc>> {
        match self {
            Moment::FirstActivity => &mut lifecycle.first_activity,
            Moment::Detected => &mut lifecycle.detected,
            Moment::Responded => &mut lifecycle.responded,
            Moment::Escalated => &mut lifecycle.escalated,
            Moment::Contained => &mut lifecycle.contained,
            Moment::Recovered => &mut lifecycle.recovered,
            Moment::Resolved => &mut lifecycle.resolved,
            Moment::Closed => &mut lifecycle.closed,
        }
    }
}

/// The moments that must stay in this order; escalation is outside it.
const CHAIN: [Moment; 7] = [
    Moment::FirstActivity,
    Moment::Detected,
    Moment::Responded,
    Moment::Contained,
    Moment::Recovered,
    Moment::Resolved,
    Moment::Closed,
];

/// Where the time of a lifecycle moment came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MomentSource {
    /// Set by people in the incident's lifecycle.
    Recorded,
    /// Derived from a timeline entry.
    Timeline {
        /// The entry's id.
        entry_id: Uuid,
        /// The entry's title, for people.
        entry_title: String,
        /// The rule that picked it (see the module documentation).
        rule: String,
    },
    /// Derived from a change of severity (escalation only).
    SeverityChange {
        /// Index of the change in the severity history.
        index: usize,
        /// The rule that picked it.
        rule: String,
    },
    /// Neither set by people nor found in the timeline.
    Unknown,
}

impl MomentSource {
    /// True when the time was worked out rather than set by people.
    pub fn is_derived(&self) -> bool {
        matches!(
            self,
            MomentSource::Timeline { .. } | MomentSource::SeverityChange { .. }
        )
    }

    /// The source in a few words, e.g. `set by people` or `from timeline
    /// entry "On-call alerted" (first entry at or after detection ...)`.
    pub fn describe(&self) -> String {
        match self {
            MomentSource::Recorded => "set by people".to_owned(),
            MomentSource::Timeline {
                entry_title, rule, ..
            } => format!("from timeline entry \"{entry_title}\" ({rule})"),
            MomentSource::SeverityChange { rule, .. } => {
                format!("from the severity history ({rule})")
            }
            MomentSource::Unknown => "unknown".to_owned(),
        }
    }
}

/// One lifecycle moment, its time if known and where the time came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MomentValue {
    /// The moment.
    pub moment: Moment,
    /// Its time, if known.
    #[serde(default, with = "utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
    /// Where the time came from.
    pub source: MomentSource,
}

/// Every lifecycle moment of `doc`, in [`Moment::ALL`] order: set by people
/// where they are, otherwise derived from the timeline by the rules of the
/// module documentation.
pub fn derive_moments(doc: &PostMortem) -> Vec<MomentValue> {
    let mut entries: Vec<&TimelineEntry> = doc.timeline.iter().collect();
    entries.sort_by_key(|e| e.occurred_at);
    let mut filled = doc.lifecycle.clone();
    let mut values: Vec<MomentValue> = Vec::with_capacity(Moment::ALL.len());
    // Derive along the chain so each moment can lean on the one before it.
    for (pos, &moment) in CHAIN.iter().enumerate() {
        let value = if let Some(at) = moment.get(&doc.lifecycle) {
            MomentValue {
                moment,
                at: Some(at),
                source: MomentSource::Recorded,
            }
        } else {
            let lower = CHAIN[..pos].iter().rev().find_map(|m| m.get(&filled));
            let upper = CHAIN[pos + 1..].iter().find_map(|m| m.get(&doc.lifecycle));
            derive_one(doc, &entries, moment, lower, upper)
        };
        if let Some(at) = value.at {
            *moment.slot(&mut filled) = Some(at);
        }
        values.push(value);
    }
    let escalated = match doc.lifecycle.escalated {
        Some(at) => MomentValue {
            moment: Moment::Escalated,
            at: Some(at),
            source: MomentSource::Recorded,
        },
        None => derive_one(doc, &entries, Moment::Escalated, filled.detected, None),
    };
    values.push(escalated);
    values.sort_by_key(|v| v.moment);
    values
}

/// The incident's lifecycle with every moment left empty filled from the
/// timeline (see the module documentation). Moments set by people are kept.
pub fn lifecycle_from_timeline(doc: &PostMortem) -> Lifecycle {
    let mut lifecycle = doc.lifecycle.clone();
    for v in derive_moments(doc) {
        *v.moment.slot(&mut lifecycle) = v.at;
    }
    lifecycle
}

/// A candidate found by a rule, before the bounds are checked.
struct Candidate<'a> {
    at: DateTime<Utc>,
    entry: Option<&'a TimelineEntry>,
    severity_index: Option<usize>,
    rule: &'static str,
}

impl<'a> Candidate<'a> {
    fn entry(e: &'a TimelineEntry, rule: &'static str) -> Self {
        Self {
            at: e.occurred_at,
            entry: Some(e),
            severity_index: None,
            rule,
        }
    }
}

fn derive_one(
    doc: &PostMortem,
    entries: &[&TimelineEntry],
    moment: Moment,
    lower: Option<DateTime<Utc>>,
    upper: Option<DateTime<Utc>>,
) -> MomentValue {
    let after = |t: DateTime<Utc>| lower.is_none_or(|l| t >= l);
    let usable: Vec<&TimelineEntry> = entries
        .iter()
        .copied()
        .filter(|e| after(e.occurred_at))
        .collect();
    let tagged = usable
        .iter()
        .find(|e| {
            e.tags
                .iter()
                .any(|t| t.eq_ignore_ascii_case(moment.as_str()))
        })
        .map(|e| {
            let mut c = Candidate::entry(e, "tagged with the moment's name");
            if moment == Moment::Detected {
                c.at = e.learned_at.unwrap_or(e.occurred_at);
            }
            c
        });
    let candidate = tagged.or_else(|| rule(doc, &usable, moment, lower));
    let Some(c) = candidate.filter(|c| after(c.at) && upper.is_none_or(|u| c.at <= u)) else {
        return MomentValue {
            moment,
            at: None,
            source: MomentSource::Unknown,
        };
    };
    let source = match (c.entry, c.severity_index) {
        (Some(e), _) => MomentSource::Timeline {
            entry_id: e.id,
            entry_title: e.title.clone(),
            rule: c.rule.to_owned(),
        },
        (None, Some(index)) => MomentSource::SeverityChange {
            index,
            rule: c.rule.to_owned(),
        },
        (None, None) => MomentSource::Unknown,
    };
    MomentValue {
        moment,
        at: Some(c.at),
        source,
    }
}

/// The rule of each moment; `entries` are in time order and not before
/// `lower`.
fn rule<'a>(
    doc: &PostMortem,
    entries: &[&'a TimelineEntry],
    moment: Moment,
    lower: Option<DateTime<Utc>>,
) -> Option<Candidate<'a>> {
    let in_phase = |p: Phase| entries.iter().copied().filter(move |e| e.phase == p);
    match moment {
        Moment::FirstActivity => entries
            .first()
            .map(|e| Candidate::entry(e, "the earliest timeline entry")),
        Moment::Detected => {
            let handover = entries
                .iter()
                .find(|e| e.phase != Phase::Detection)
                .map(|e| e.occurred_at);
            in_phase(Phase::Detection)
                .rfind(|e| handover.is_none_or(|h| e.occurred_at <= h))
                .map(|e| Candidate {
                    at: e.learned_at.unwrap_or(e.occurred_at),
                    ..Candidate::entry(
                        e,
                        "the last detection-phase entry before the response began",
                    )
                })
        }
        Moment::Responded => entries
            .iter()
            .find(|e| {
                matches!(
                    e.phase,
                    Phase::Response | Phase::Containment | Phase::Eradication | Phase::Recovery
                ) || e
                    .action_taken
                    .as_deref()
                    .is_some_and(|a| !a.trim().is_empty())
            })
            .map(|e| {
                Candidate::entry(
                    e,
                    "the first entry after detection in a response phase or with an action taken",
                )
            }),
        Moment::Escalated => {
            let by_entry = entries
                .iter()
                .find(|e| has_word(&e.title, &["escalat"]))
                .map(|e| Candidate::entry(e, "the first entry titled as an escalation"));
            let by_severity = doc
                .severity_history
                .iter()
                .enumerate()
                .find(|(_, c)| c.to > c.from && lower.is_none_or(|l| c.at >= l))
                .map(|(index, c)| Candidate {
                    at: c.at,
                    entry: None,
                    severity_index: Some(index),
                    rule: "the first raise of severity",
                });
            match (by_entry, by_severity) {
                (Some(e), Some(s)) => Some(if s.at <= e.at { s } else { e }),
                (e, s) => e.or(s),
            }
        }
        Moment::Contained => in_phase(Phase::Containment)
            .next_back()
            .map(|e| Candidate::entry(e, "the last containment-phase entry"))
            .or_else(|| {
                let after_response = entries
                    .iter()
                    .find(|e| {
                        matches!(
                            e.phase,
                            Phase::Eradication | Phase::Recovery | Phase::PostIncident
                        )
                    })?
                    .occurred_at;
                in_phase(Phase::Response)
                    .rfind(|e| e.occurred_at <= after_response)
                    .map(|e| {
                        Candidate::entry(
                            e,
                            "the last response-phase entry before eradication or recovery began",
                        )
                    })
            }),
        Moment::Recovered => in_phase(Phase::Recovery)
            .find(|e| {
                has_word(&e.title, &["recover", "restor"])
                    || has_phrase(&e.title, &["back online", "back in service"])
            })
            .map(|e| Candidate::entry(e, "the first recovery-phase entry titled as a recovery"))
            .or_else(|| {
                in_phase(Phase::Recovery)
                    .next_back()
                    .map(|e| Candidate::entry(e, "the last recovery-phase entry"))
            }),
        Moment::Resolved => entries
            .iter()
            .find(|e| has_exact_word(&e.title, "resolved"))
            .map(|e| Candidate::entry(e, "the first entry titled as a resolution")),
        Moment::Closed => in_phase(Phase::PostIncident)
            .find(|e| has_exact_word(&e.title, "closed"))
            .map(|e| Candidate::entry(e, "the first post-incident entry titled as a closure")),
    }
}

/// Words of `text`, lower-cased, split on anything not alphanumeric.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// True when a word of `text` starts with one of `prefixes`.
fn has_word(text: &str, prefixes: &[&str]) -> bool {
    words(text).any(|w| prefixes.iter().any(|p| w.starts_with(p)))
}

/// True when `text` has `word` as a whole word.
fn has_exact_word(text: &str, word: &str) -> bool {
    words(text).any(|w| w == word)
}

/// True when the words of `text` contain one of `phrases` as a run of words.
fn has_phrase(text: &str, phrases: &[&str]) -> bool {
    let flat = format!(" {} ", words(text).collect::<Vec<_>>().join(" "));
    phrases.iter().any(|p| flat.contains(&format!(" {p} ")))
}

vocabulary! {
    /// A response measure of one incident, as in [`IncidentMeasures`].
    pub enum Measure {
        TimeToDetect => "time_to_detect" / "Time to detect",
        TimeToRespond => "time_to_respond" / "Detection to response",
        TimeToEscalate => "time_to_escalate" / "Detection to escalation",
        TimeToContain => "time_to_contain" / "Detection to containment",
        ResponseToContainment => "response_to_containment" / "Response to containment",
        TimeToRecover => "time_to_recover" / "Containment to recovery",
        TotalDuration => "total_duration" / "Total incident duration",
        DwellTime => "dwell_time" / "Dwell time",
    }
}

impl Measure {
    /// The moments the measure runs from and to, as [`crate::metrics`]
    /// defines them.
    pub fn ends(self) -> (Moment, Moment) {
        match self {
            Measure::TimeToDetect => (Moment::FirstActivity, Moment::Detected),
            Measure::TimeToRespond => (Moment::Detected, Moment::Responded),
            Measure::TimeToEscalate => (Moment::Detected, Moment::Escalated),
            Measure::TimeToContain => (Moment::Detected, Moment::Contained),
            Measure::ResponseToContainment => (Moment::Responded, Moment::Contained),
            Measure::TimeToRecover => (Moment::Contained, Moment::Recovered),
            Measure::TotalDuration => (Moment::FirstActivity, Moment::Resolved),
            Measure::DwellTime => (Moment::FirstActivity, Moment::Contained),
        }
    }

    /// The measure's value in `m`.
    pub fn value(self, m: &IncidentMeasures) -> Option<Duration> {
        match self {
            Measure::TimeToDetect => m.time_to_detect,
            Measure::TimeToRespond => m.time_to_respond,
            Measure::TimeToEscalate => m.time_to_escalate,
            Measure::TimeToContain => m.time_to_contain,
            Measure::ResponseToContainment => m.response_to_containment,
            Measure::TimeToRecover => m.time_to_recover,
            Measure::TotalDuration => m.total_duration,
            Measure::DwellTime => m.dwell_time,
        }
    }
}

/// How one measure was computed: its two ends, their times and where each
/// came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeasureDefinition {
    /// The measure.
    pub measure: Measure,
    /// The moment it runs from.
    pub from: MomentValue,
    /// The moment it runs to.
    pub to: MomentValue,
    /// Its value; absent when either end is unknown.
    #[serde(rename = "value_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub value: Option<Duration>,
    /// The computation in a sentence, e.g. "Detection to response: from
    /// `detected` (set by people) to `responded` (set by people)".
    pub explanation: String,
}

/// The response measures of `doc` from its lifecycle filled from the
/// timeline ([`lifecycle_from_timeline`]), and for each measure, in
/// [`Measure::ALL`] order, how it was computed.
pub fn measures(doc: &PostMortem) -> (IncidentMeasures, Vec<MeasureDefinition>) {
    let moments = derive_moments(doc);
    let mut filled = doc.clone();
    for v in &moments {
        *v.moment.slot(&mut filled.lifecycle) = v.at;
    }
    let m = IncidentMeasures::of(&filled);
    let find = |moment: Moment| {
        moments
            .iter()
            .find(|v| v.moment == moment)
            .cloned()
            .unwrap_or(MomentValue {
                moment,
                at: None,
                source: MomentSource::Unknown,
            })
    };
    let defs = Measure::ALL
        .iter()
        .map(|&measure| {
            let (from, to) = measure.ends();
            let (from, to) = (find(from), find(to));
            let explanation = format!(
                "{}: from `{}` ({}) to `{}` ({})",
                measure.label(),
                from.moment,
                from.source.describe(),
                to.moment,
                to.source.describe()
            );
            MeasureDefinition {
                measure,
                value: measure.value(&m),
                from,
                to,
                explanation,
            }
        })
        .collect();
    (m, defs)
}

vocabulary! {
    /// A measure that has a response-time target, counted from detection.
    pub enum SlaMeasure {
        /// `detected` to `responded`.
        Respond => "respond" / "Respond",
        /// `detected` to `escalated`.
        Escalate => "escalate" / "Escalate",
        /// `detected` to `contained`.
        Contain => "contain" / "Contain",
        /// `detected` to `recovered`.
        Recover => "recover" / "Recover",
    }
}

impl SlaMeasure {
    /// The moment the measure ends at; every SLA measure starts at detection.
    pub fn until(self) -> Moment {
        match self {
            SlaMeasure::Respond => Moment::Responded,
            SlaMeasure::Escalate => Moment::Escalated,
            SlaMeasure::Contain => Moment::Contained,
            SlaMeasure::Recover => Moment::Recovered,
        }
    }
}

/// The targets of one severity, in whole minutes; absent means no target.
///
/// In configuration, a severity's table replaces the default table of that
/// severity entirely: a field left out there means "no target".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityTargets {
    /// Detection to first response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond_minutes: Option<u32>,
    /// Detection to escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_minutes: Option<u32>,
    /// Detection to containment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contain_minutes: Option<u32>,
    /// Detection to recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover_minutes: Option<u32>,
}

impl SeverityTargets {
    /// The target of `measure`, if there is one.
    pub fn target(&self, measure: SlaMeasure) -> Option<Duration> {
        let minutes = match measure {
            SlaMeasure::Respond => self.respond_minutes,
            SlaMeasure::Escalate => self.escalate_minutes,
            SlaMeasure::Contain => self.contain_minutes,
            SlaMeasure::Recover => self.recover_minutes,
        }?;
        Some(Duration::minutes(i64::from(minutes)))
    }

    fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        for (name, v) in [
            ("respond_minutes", self.respond_minutes),
            ("escalate_minutes", self.escalate_minutes),
            ("contain_minutes", self.contain_minutes),
            ("recover_minutes", self.recover_minutes),
        ] {
            match v {
                Some(0) => errs.push(
                    name,
                    "must be at least 1 minute; leave it out for no target",
                ),
                Some(m) if m > MAX_TARGET_MINUTES => errs.push(
                    name,
                    format!("must be at most {MAX_TARGET_MINUTES} minutes (one year)"),
                ),
                _ => {}
            }
        }
        errs
    }
}

/// The longest target accepted: one year, in minutes.
pub const MAX_TARGET_MINUTES: u32 = 366 * 24 * 60;

/// Response-time targets per severity. Read from configuration (TOML or
/// JSON) with durations in minutes:
///
/// ```toml
/// [critical]
/// respond_minutes = 10
/// contain_minutes = 120
/// ```
///
/// A severity left out keeps its default table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlaTargets {
    /// Targets for critical incidents.
    pub critical: SeverityTargets,
    /// Targets for high incidents.
    pub high: SeverityTargets,
    /// Targets for medium incidents.
    pub medium: SeverityTargets,
    /// Targets for low incidents.
    pub low: SeverityTargets,
}

impl Default for SlaTargets {
    /// debrief's defaults; see the module documentation.
    fn default() -> Self {
        let t = |respond, escalate, contain, recover| SeverityTargets {
            respond_minutes: respond,
            escalate_minutes: escalate,
            contain_minutes: contain,
            recover_minutes: recover,
        };
        Self {
            critical: t(Some(15), Some(30), Some(4 * 60), Some(24 * 60)),
            high: t(Some(15), Some(60), Some(8 * 60), Some(48 * 60)),
            medium: t(Some(60), Some(4 * 60), Some(24 * 60), Some(72 * 60)),
            low: t(Some(8 * 60), None, Some(72 * 60), Some(7 * 24 * 60)),
        }
    }
}

impl SlaTargets {
    /// The targets of one severity.
    pub fn for_severity(&self, severity: Severity) -> &SeverityTargets {
        match severity {
            Severity::Critical => &self.critical,
            Severity::High => &self.high,
            Severity::Medium => &self.medium,
            Severity::Low => &self.low,
        }
    }

    /// Checks that every target is between 1 minute and one year.
    pub fn validate(&self) -> ValidationErrors {
        let mut errs = ValidationErrors::default();
        for s in Severity::ALL {
            errs.0
                .extend(self.for_severity(*s).validate().nest(s.as_str()).0);
        }
        errs
    }
}

/// One target checked against one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaResult {
    /// The measure.
    pub measure: SlaMeasure,
    /// The severity whose targets applied (the incident's current one).
    pub severity: Severity,
    /// The target, if the severity has one for this measure.
    #[serde(rename = "target_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub target: Option<Duration>,
    /// The measure's value, if both its ends are known.
    #[serde(rename = "actual_seconds", with = "seconds_opt")]
    #[schema(value_type = Option<i64>)]
    pub actual: Option<Duration>,
    /// Whether the target was met; absent when there is no target or no
    /// value to judge.
    pub met: Option<bool>,
    /// Where the end of the measure came from (the start is always
    /// detection).
    pub until: MomentValue,
}

/// Checks `doc` against the targets of its severity, one result per
/// [`SlaMeasure`] in order. Measures come from the lifecycle filled from the
/// timeline ([`lifecycle_from_timeline`]).
pub fn evaluate(doc: &PostMortem, targets: &SlaTargets) -> Vec<SlaResult> {
    let moments = derive_moments(doc);
    let at = |m: Moment| moments.iter().find(|v| v.moment == m);
    let detected = at(Moment::Detected).and_then(|v| v.at);
    let table = targets.for_severity(doc.severity);
    SlaMeasure::ALL
        .iter()
        .map(|&measure| {
            let until = at(measure.until()).cloned().unwrap_or(MomentValue {
                moment: measure.until(),
                at: None,
                source: MomentSource::Unknown,
            });
            let actual = detected.zip(until.at).map(|(d, u)| u - d);
            let target = table.target(measure);
            SlaResult {
                measure,
                severity: doc.severity,
                target,
                actual,
                met: target.zip(actual).map(|(t, a)| a <= t),
                until,
            }
        })
        .collect()
}

/// `#[serde(with = "seconds_opt")]`: an optional duration as whole seconds
/// (rounded toward zero), or null, as in [`crate::metrics`].
mod seconds_opt {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_i64(d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            Some(secs) => Duration::try_seconds(secs)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("{secs} seconds is out of range"))),
            None => Ok(None),
        }
    }
}
