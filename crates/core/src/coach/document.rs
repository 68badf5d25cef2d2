//! The coach over a whole post-mortem: the text rules over every field they
//! apply to, with field paths, and the checks only a whole document allows
//! (action item completeness, 5 Whys depth, timeline hindsight prompts and
//! the seed's pitfalls).

use chrono::NaiveDate;

use super::rules;
use super::{CoachFinding, FindingSeverity, ids};
use crate::action::{ActionItem, ActionStatus};
use crate::analysis::RootCauseKind;
use crate::document::PostMortem;
use crate::incident::{PostmortemStatus, Role};
use crate::time::format_instant;

/// Facts from outside the document that some pitfall checks need. All are
/// optional: a check whose facts are absent does not fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckContext {
    /// Today, for overdue action items.
    pub today: NaiveDate,
    /// Earlier incidents in the same category in the 365 days before this
    /// one.
    pub same_category_last_year: Option<usize>,
    /// Planned or held review meeting length, in minutes.
    pub meeting_minutes: Option<u32>,
    /// Whether a follow-up review of action item progress is scheduled.
    pub followup_review_scheduled: Option<bool>,
    /// Whether the learnings were shared (the internal summary sent).
    pub shared: Option<bool>,
}

impl CheckContext {
    /// A context that knows only today's date.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            same_category_last_year: None,
            meeting_minutes: None,
            followup_review_scheduled: None,
            shared: None,
        }
    }
}

/// Runs every rule over one post-mortem: the text rules over every
/// narrative field (with field paths), the root-cause rules over root
/// causes, the action-item rules over action items, shallow-whys over 5
/// Whys chains, hindsight prompts over the timeline, and the pitfall
/// checks. Findings come in document order, pitfalls last.
pub fn check(doc: &PostMortem, ctx: &CheckContext) -> Vec<CoachFinding> {
    let mut out = Vec::new();
    for (path, text) in narrative_fields(doc) {
        push_at(&mut out, &path, rules::narrative(text));
    }
    root_causes(doc, &mut out);
    action_items(doc, &mut out);
    five_whys(doc, &mut out);
    hindsight_prompts(doc, &mut out);
    pitfalls(doc, ctx, &mut out);
    out
}

/// Adds findings of one field's text, with the field path.
fn push_at(out: &mut Vec<CoachFinding>, path: &str, findings: Vec<CoachFinding>) {
    out.extend(findings.into_iter().map(|mut f| {
        f.field = Some(path.to_owned());
        f
    }));
}

/// Every field of free narrative text, with its path. Root causes and
/// action items are left to their own rules.
fn narrative_fields(doc: &PostMortem) -> Vec<(String, &str)> {
    let mut v: Vec<(String, &str)> = vec![
        ("title".into(), doc.title.as_str()),
        ("summary".into(), doc.summary.as_str()),
        (
            "impact.customer_impact".into(),
            doc.impact.customer_impact.as_str(),
        ),
    ];
    for (i, c) in doc.severity_history.iter().enumerate() {
        v.push((format!("severity_history[{i}].reason"), &c.reason));
    }
    for (i, e) in doc.timeline.iter().enumerate() {
        let p = format!("timeline[{i}]");
        v.push((format!("{p}.title"), &e.title));
        for (j, d) in e.details.iter().enumerate() {
            v.push((format!("{p}.details[{j}]"), d));
        }
        for (name, value) in [
            ("we_knew", &e.we_knew),
            ("we_didnt_know", &e.we_didnt_know),
            ("decision", &e.decision),
            ("action_taken", &e.action_taken),
        ] {
            if let Some(s) = value {
                v.push((format!("{p}.{name}"), s));
            }
        }
        for (j, f) in e.facts.iter().enumerate() {
            v.push((format!("{p}.facts[{j}].value"), &f.value));
        }
    }
    for (i, w) in doc.five_whys.iter().enumerate() {
        v.push((format!("five_whys[{i}].problem"), &w.problem));
        for (j, s) in w.steps.iter().enumerate() {
            v.push((format!("five_whys[{i}].steps[{j}].why"), &s.why));
            v.push((format!("five_whys[{i}].steps[{j}].because"), &s.because));
        }
    }
    for (i, r) in doc.fmea.iter().enumerate() {
        v.push((format!("fmea[{i}].failure_mode"), &r.failure_mode));
        v.push((format!("fmea[{i}].effect"), &r.effect));
    }
    for (group, list) in [
        ("went_well", &doc.findings.went_well),
        ("went_wrong", &doc.findings.went_wrong),
    ] {
        for (i, f) in list.iter().enumerate() {
            let p = format!("findings.{group}[{i}]");
            v.push((format!("{p}.title"), &f.title));
            for (j, d) in f.details.iter().enumerate() {
                v.push((format!("{p}.details[{j}]"), d));
            }
            if let Some(s) = &f.impact {
                v.push((format!("{p}.impact"), s));
            }
        }
    }
    for (i, l) in doc.lessons.iter().enumerate() {
        v.push((format!("lessons[{i}].text"), &l.text));
        if let Some(s) = &l.details {
            v.push((format!("lessons[{i}].details"), s));
        }
    }
    if let Some(m) = &doc.communications.internal {
        let p = "communications.internal";
        for (name, s) in [
            ("intro", &m.intro),
            ("what_happened", &m.what_happened),
            ("customer_impact", &m.customer_impact),
        ] {
            v.push((format!("{p}.{name}"), s));
        }
        for (j, s) in m.what_worked.iter().enumerate() {
            v.push((format!("{p}.what_worked[{j}]"), s));
        }
        for (j, s) in m.improvements.iter().enumerate() {
            v.push((format!("{p}.improvements[{j}].title"), &s.title));
            v.push((format!("{p}.improvements[{j}].detail"), &s.detail));
        }
    }
    if let Some(m) = &doc.communications.customer {
        let p = "communications.customer";
        v.push((format!("{p}.intro"), &m.intro));
        v.push((format!("{p}.what_happened"), &m.what_happened));
        for (j, s) in m.what_we_are_doing.iter().enumerate() {
            v.push((format!("{p}.what_we_are_doing[{j}]"), s));
        }
    }
    v.retain(|(_, s)| !s.trim().is_empty());
    v
}

/// `superficial-cause` (blocking on a primary root cause) and `blame` over
/// root causes, fishbone causes and FMEA causes.
fn root_causes(doc: &PostMortem, out: &mut Vec<CoachFinding>) {
    for (i, r) in doc.root_causes.iter().enumerate() {
        let severity = if r.kind == RootCauseKind::Primary {
            FindingSeverity::Blocking
        } else {
            FindingSeverity::Warning
        };
        let details = r.details.as_deref().unwrap_or("");
        let mut per_part = rules::root_cause(&[&r.title, details], severity).into_iter();
        let p = format!("root_causes[{i}]");
        push_at(
            out,
            &format!("{p}.title"),
            per_part.next().unwrap_or_default(),
        );
        push_at(
            out,
            &format!("{p}.details"),
            per_part.next().unwrap_or_default(),
        );
    }
    for (i, c) in doc.fishbone.causes.iter().enumerate() {
        let found = rules::root_cause(&[&c.text], FindingSeverity::Warning);
        push_at(
            out,
            &format!("fishbone.causes[{i}].text"),
            found.into_iter().flatten().collect(),
        );
    }
    for (i, r) in doc.fmea.iter().enumerate() {
        if r.cause.trim().is_empty() {
            continue;
        }
        let found = rules::root_cause(&[&r.cause], FindingSeverity::Warning);
        push_at(
            out,
            &format!("fmea[{i}].cause"),
            found.into_iter().flatten().collect(),
        );
    }
}

/// `vague-action` over action items: wording (acceptable once the item has
/// a measurable target anywhere, its success criteria included), and
/// completeness: owner, due date, success criteria. An item decided against
/// (won't do) is left alone.
fn action_items(doc: &PostMortem, out: &mut Vec<CoachFinding>) {
    for (i, a) in doc.action_items.iter().enumerate() {
        if a.status == ActionStatus::WontDo {
            continue;
        }
        let p = format!("action_items[{i}]");
        let everything = std::iter::once(a.title.as_str())
            .chain(std::iter::once(a.description.as_str()))
            .chain(a.success_criteria.iter().map(|c| c.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n");
        let measurable = rules::measurable(&everything);
        push_at(
            out,
            &format!("{p}.title"),
            rules::action_text(&a.title, measurable),
        );
        push_at(
            out,
            &format!("{p}.description"),
            rules::action_text(&a.description, measurable),
        );
        missing_parts(a, &p, out);
    }
}

/// Owner, due date and success criteria of one action item.
fn missing_parts(a: &ActionItem, p: &str, out: &mut Vec<CoachFinding>) {
    let name = label(a);
    let no_owner = a.owner.as_deref().is_none_or(|s| s.trim().is_empty())
        && a.team.as_deref().is_none_or(|s| s.trim().is_empty());
    let no_due = a.due.is_none();
    let severity = if no_owner && no_due {
        FindingSeverity::Blocking
    } else {
        FindingSeverity::Warning
    };
    if no_owner {
        out.push(CoachFinding::whole(
            ids::VAGUE_ACTION,
            severity,
            Some(format!("{p}.owner")),
            format!("{name} has no owner: an action item nobody owns is not done."),
            "Assign one person (and their team) who answers for it, e.g. 'Security Team \
             (Sarah)'."
                .into(),
        ));
    }
    if no_due {
        out.push(CoachFinding::whole(
            ids::VAGUE_ACTION,
            severity,
            Some(format!("{p}.due")),
            format!("{name} has no due date, so it can never be overdue and never chased."),
            "Set a date within its horizon: 0-7 days for immediate fixes, 7-30 short-term, \
             30-90 medium-term, 90+ long-term."
                .into(),
        ));
    }
    if a.success_criteria.iter().all(|c| c.text.trim().is_empty()) {
        out.push(CoachFinding::whole(
            ids::VAGUE_ACTION,
            FindingSeverity::Warning,
            Some(format!("{p}.success_criteria")),
            format!("{name} has no success criterion: nobody can tell when it is done."),
            "Add checkable criteria, e.g. '4 new detection rules deployed', 'rules tested with a \
             simulated backup-code login', 'runbook updated'."
                .into(),
        ));
    }
}

/// "Action item #3 (Rotate keys)".
fn label(a: &ActionItem) -> String {
    let title = a.title.trim();
    match (a.number, title.is_empty()) {
        (0, true) => "This action item".into(),
        (0, false) => format!("Action item \u{201c}{title}\u{201d}"),
        (n, true) => format!("Action item #{n}"),
        (n, false) => format!("Action item #{n} (\u{201c}{title}\u{201d})"),
    }
}

/// `shallow-whys`: chains of fewer than three steps, and chains whose last
/// answer is still superficial.
fn five_whys(doc: &PostMortem, out: &mut Vec<CoachFinding>) {
    for (i, w) in doc.five_whys.iter().enumerate() {
        let n = w.steps.len();
        if n < 3 {
            out.push(CoachFinding::whole(
                ids::SHALLOW_WHYS,
                FindingSeverity::Warning,
                Some(format!("five_whys[{i}].steps")),
                format!(
                    "The 5 Whys chain on \u{201c}{}\u{201d} stops after {n} step{}: causes found \
                     this early are usually symptoms.",
                    w.problem.trim(),
                    if n == 1 { "" } else { "s" }
                ),
                "Keep asking why of the last answer until it names a control, process, policy \
                 or design the organisation can change (the seed's chain takes five steps to get \
                 from 'admin account compromised' to 'backup codes never expire')."
                    .into(),
            ));
        }
        let Some(last) = w.steps.last() else {
            continue;
        };
        if let Some(f) = rules::superficial(&last.because) {
            out.push(CoachFinding {
                rule: ids::SHALLOW_WHYS.into(),
                severity: FindingSeverity::Warning,
                message: format!(
                    "The chain ends at a symptom or a human slip: {} Ask why once more.",
                    f.message
                ),
                field: Some(format!("five_whys[{i}].steps[{}].because", n - 1)),
                ..f
            });
        }
    }
}

/// The per-entry part of `hindsight`: a prompt on every decision or action
/// taken before the team knew what it knows now (the entry was learned of
/// later than it happened, or it records what the team did not know).
fn hindsight_prompts(doc: &PostMortem, out: &mut Vec<CoachFinding>) {
    for (i, e) in doc.timeline.iter().enumerate() {
        let learned_late = e.learned_at.is_some_and(|l| l > e.occurred_at);
        let unknowns = e.we_didnt_know.as_deref().filter(|s| !s.trim().is_empty());
        if !learned_late && unknowns.is_none() {
            continue;
        }
        let (name, what) = match (&e.decision, &e.action_taken) {
            (Some(d), _) if !d.trim().is_empty() => ("decision", d),
            (_, Some(a)) if !a.trim().is_empty() => ("action_taken", a),
            _ => continue,
        };
        let mut message = format!(
            "\u{201c}{}\u{201d} was decided at {}",
            what.trim(),
            format_instant(&e.occurred_at)
        );
        if let Some(u) = unknowns {
            message.push_str(&format!(", before the team knew: {}", u.trim()));
        }
        if let (true, Some(delay)) = (learned_late, e.learning_delay_minutes()) {
            message.push_str(&format!(" (this was learned {delay} minutes later)"));
        }
        message.push_str(". Judge it by what was known then, not by the outcome.");
        let known = e
            .we_knew
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map_or_else(
                || "Record what the team knew at that moment".to_owned(),
                |k| format!("The team knew: {}", k.trim()),
            );
        out.push(CoachFinding::whole(
            ids::HINDSIGHT,
            FindingSeverity::Info,
            Some(format!("timeline[{i}].{name}")),
            message,
            format!(
                "{known}. Note which options were open, what each would have cost, and why \
                 this one looked right at the time."
            ),
        ));
    }
}

/// The roles the seed wants in the review meeting ("Attendees"), with the
/// roles that count for each.
const REQUIRED_ROLES: &[(&[Role], &str, &str)] = &[
    (
        &[Role::Responder, Role::IncidentCommander],
        "incident responders",
        "they know what was seen, decided and done, and when",
    ),
    (
        &[Role::SystemOwner],
        "system owners",
        "they know how the affected systems work and own their fixes",
    ),
    (
        &[Role::EngineeringLeadership],
        "engineering leadership",
        "they prioritise and fund the action items",
    ),
    (
        &[Role::Security],
        "the security team",
        "they own detection and the security controls",
    ),
];

/// The seed's pitfalls, as far as the document and the context show them.
fn pitfalls(doc: &PostMortem, ctx: &CheckContext, out: &mut Vec<CoachFinding>) {
    if doc.timeline.is_empty() {
        out.push(CoachFinding::whole(
            ids::NO_TIMELINE,
            FindingSeverity::Blocking,
            Some("timeline".into()),
            "The timeline is empty: there is nothing to reconstruct what happened, what was \
             known when, and which decisions were taken."
                .into(),
            "Add the entries from detection to recovery, each with what the team knew and did \
             not know at that moment."
                .into(),
        ));
    }
    if !doc
        .root_causes
        .iter()
        .any(|r| r.kind == RootCauseKind::Primary)
    {
        out.push(CoachFinding::whole(
            ids::NO_PRIMARY_CAUSE,
            FindingSeverity::Blocking,
            Some("root_causes".into()),
            "No primary root cause: the analysis has not named the cause without which the \
             incident would not have happened."
                .into(),
            "Follow the 5 Whys to a systemic answer and record it as the primary root cause, \
             e.g. 'Weak MFA implementation: backup codes never expire and lack rate limiting'."
                .into(),
        ));
    }
    if doc.action_items.is_empty() {
        out.push(CoachFinding::whole(
            ids::NO_ACTION_ITEMS,
            FindingSeverity::Blocking,
            Some("action_items".into()),
            "There are no action items: a post-mortem without action items is just a story.".into(),
            "Add specific, measurable improvements with owners and deadlines: prevention, \
             detection and response."
                .into(),
        ));
    }
    let overdue: Vec<String> = doc
        .action_items
        .iter()
        .filter(|a| a.is_overdue(ctx.today))
        .map(|a| {
            let due = a.due.map(|d| d.to_string()).unwrap_or_default();
            format!(
                "{} due {due}, {}",
                label(a),
                a.status.label().to_lowercase()
            )
        })
        .collect();
    if !overdue.is_empty() {
        let n = overdue.len();
        out.push(CoachFinding::whole(
            ids::NO_FOLLOW_THROUGH,
            FindingSeverity::Warning,
            Some("action_items".into()),
            format!(
                "{n} action item{} past due and still open on {}: {}.",
                if n == 1 { " is" } else { "s are" },
                ctx.today,
                overdue.join("; ")
            ),
            "Review them now: finish, re-plan with a new date and the reason, or close as \
             won't do with the reason. Creating action items is easy; completing them prevents \
             the repeat."
                .into(),
        ));
    }
    if let Some(m) = ctx.meeting_minutes
        && !(90..=120).contains(&m)
    {
        let severity = if (30..=180).contains(&m) {
            FindingSeverity::Info
        } else {
            FindingSeverity::Warning
        };
        let (what, why) = if m < 90 {
            (
                "short",
                "there is no time to walk the timeline and dig to systemic causes",
            )
        } else {
            (
                "long",
                "attention fades and the last agenda items, the action items, suffer",
            )
        };
        out.push(CoachFinding::whole(
            ids::MEETING_LENGTH,
            severity,
            None,
            format!("A {m}-minute review is too {what}: {why}."),
            "Plan 90-120 minutes with the seed's agenda: overview 10, timeline 30, went well 15, \
             went wrong 20, root causes 20, action items 20, closing 10."
                .into(),
        ));
    }
    for (roles, name, why) in REQUIRED_ROLES {
        if !doc.participants.iter().any(|p| roles.contains(&p.role)) {
            out.push(CoachFinding::whole(
                ids::MISSING_PARTICIPANTS,
                FindingSeverity::Warning,
                Some("participants".into()),
                format!("No participant from {name}: {why}."),
                format!("Invite {name} to the review and record them as participants."),
            ));
        }
    }
    if ctx.followup_review_scheduled == Some(false) {
        out.push(CoachFinding::whole(
            ids::NO_FOLLOWUP_REVIEW,
            FindingSeverity::Warning,
            None,
            "No follow-up review is scheduled: one meeting and done.".into(),
            "Schedule weekly check-ins on action item progress and a quarterly review of their \
             effectiveness."
                .into(),
        ));
    }
    if let Some(n) = ctx.same_category_last_year
        && n >= 2
    {
        let category = doc.category.as_deref().unwrap_or("this category");
        let repeat = doc
            .repeat_of
            .as_ref()
            .map(|k| format!(" It is recorded as a repeat of {k}."))
            .unwrap_or_default();
        out.push(CoachFinding::whole(
            ids::RECURRING_CATEGORY,
            FindingSeverity::Warning,
            Some("category".into()),
            format!(
                "{n} earlier incidents in {category} in the year before this one: the same \
                 incident keeps happening.{repeat}"
            ),
            "Review the pattern across these incidents: which fixes were made, which failed, \
             and which systemic defence would cover the whole category."
                .into(),
        ));
    }
    match ctx.shared {
        Some(false) => out.push(CoachFinding::whole(
            ids::NOT_SHARED,
            FindingSeverity::Warning,
            None,
            "The learnings have not been shared: findings kept in a silo cannot prevent other \
             teams' incidents."
                .into(),
            "Send the internal summary to all engineering within a week of the review, and add \
             the lessons to the knowledge base."
                .into(),
        )),
        None if doc.communications.internal.is_none()
            && doc.postmortem_status == PostmortemStatus::Published =>
        {
            out.push(CoachFinding::whole(
                ids::NOT_SHARED,
                FindingSeverity::Info,
                Some("communications.internal".into()),
                "The post-mortem is published but has no internal summary to share its \
                 learnings."
                    .into(),
                "Draft the internal summary: what happened, what we learned, what we are \
                 improving, what everyone can do."
                    .into(),
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn action_items_are_named_by_number_and_title() {
        let a: ActionItem = serde_json::from_value(serde_json::json!({
            "number": 3, "title": "Rotate keys", "priority": "high", "status": "planned"
        }))
        .unwrap();
        assert_eq!(label(&a), "Action item #3 (\u{201c}Rotate keys\u{201d})");
    }
}
