//! The guided post-mortem process: response measures and their targets,
//! deadlines from the incident's close, the six steps, the review meeting's
//! agenda and the completion checklist, on the seed's worked example
//! INC-2025-1128 and on incidents built to hit each rule. Time is always
//! injected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use debrief_core::checklist::{self, ChecklistGroup, ChecklistItem};
use debrief_core::meeting::{
    Agenda, AgendaItem, AgendaWarningCode, Attendee, GROUND_RULES, MAX_ITEMS,
};
use debrief_core::process::{
    self, DeadlineState, ProcessFacts, ProcessPolicy, ProcessStep, ReviewStep,
};
use debrief_core::sla::{self, Measure, Moment, MomentSource, SlaMeasure, SlaTargets};
use debrief_core::{Lifecycle, PostMortem, PostmortemStatus, Role, Severity, demo};
use serde_json::json;

fn t(s: &str) -> DateTime<Utc> {
    debrief_core::time::parse_instant(s).unwrap()
}

fn day(s: &str) -> NaiveDate {
    debrief_core::time::parse_date(s).unwrap()
}

fn seed() -> PostMortem {
    demo::documents()
        .unwrap()
        .into_iter()
        .find(|d| d.key.as_str() == demo::FEATURED_KEY)
        .unwrap()
}

/// An incident with nothing in it but a header.
fn empty() -> PostMortem {
    serde_json::from_value(json!({
        "key": "INC-2025-0001", "title": "Empty", "severity": "low",
        "status": "open", "postmortem_status": "draft"
    }))
    .unwrap()
}

fn with(extra: serde_json::Value) -> PostMortem {
    let mut v = serde_json::to_value(empty()).unwrap();
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn minutes(m: i64) -> Option<Duration> {
    Some(Duration::minutes(m))
}

// ------------------------------------------------------- response measures

#[test]
fn inc_2025_1128_has_the_seeds_response_figures() {
    let (m, defs) = sla::measures(&seed());
    // Seed: "Detection to response: 5 minutes".
    assert_eq!(m.time_to_respond, minutes(5));
    // Seed: "Response to containment: 1 hour".
    assert_eq!(m.response_to_containment, minutes(60));
    // Seed: "Containment to recovery: 4 hours" (04:15 to 08:00, 3 h 45 min).
    assert_eq!(m.time_to_recover, minutes(225));
    // Seed: "Total incident duration: ~10 hours" (02:15 to 12:00, 9 h 45 min).
    assert_eq!(m.total_duration, minutes(585));
    assert_eq!(m.time_to_detect, minutes(55));
    assert_eq!(m.time_to_escalate, minutes(15));
    assert_eq!(m.time_to_contain, minutes(65));
    assert_eq!(m.dwell_time, minutes(120));
    assert_eq!(defs.len(), Measure::ALL.len());
    for d in &defs {
        assert_eq!(d.from.source, MomentSource::Recorded, "{}", d.measure);
        assert_eq!(d.to.source, MomentSource::Recorded, "{}", d.measure);
        assert!(d.explanation.contains("set by people"), "{}", d.explanation);
    }
}

#[test]
fn the_same_figures_follow_from_the_timeline_alone() {
    let mut doc = seed();
    doc.lifecycle = Lifecycle::default();
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.first_activity, Some(t("2025-11-28T02:15:00Z")));
    // The failed logins and the rate limit were signals; the successful
    // login at 03:10 set the response going.
    assert_eq!(l.detected, Some(t("2025-11-28T03:10:00Z")));
    assert_eq!(l.responded, Some(t("2025-11-28T03:15:00Z")));
    assert_eq!(l.escalated, Some(t("2025-11-28T03:25:00Z")));
    assert_eq!(l.contained, Some(t("2025-11-28T04:15:00Z")));
    assert_eq!(l.recovered, Some(t("2025-11-28T08:00:00Z")));
    assert_eq!(l.resolved, Some(t("2025-11-28T12:00:00Z")));
    assert_eq!(l.closed, None);
    assert!(l.validate().0.is_empty());
    // ... and match what people recorded in the demo.
    let recorded = seed().lifecycle;
    assert_eq!(
        Lifecycle {
            closed: recorded.closed,
            ..l
        },
        recorded
    );

    let (m, defs) = sla::measures(&doc);
    assert_eq!(m.time_to_respond, minutes(5));
    assert_eq!(m.response_to_containment, minutes(60));
    assert_eq!(m.time_to_recover, minutes(225));
    assert_eq!(m.total_duration, minutes(585));

    let respond = defs
        .iter()
        .find(|d| d.measure == Measure::TimeToRespond)
        .unwrap();
    match &respond.to.source {
        MomentSource::Timeline { entry_title, .. } => assert_eq!(entry_title, "On-call alerted"),
        other => panic!("{other:?}"),
    }
    match &respond.from.source {
        MomentSource::Timeline { entry_title, .. } => {
            assert_eq!(entry_title, "Successful login detected")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        respond.explanation.contains("On-call alerted"),
        "{}",
        respond.explanation
    );
    let moments = sla::derive_moments(&doc);
    let escalated = moments
        .iter()
        .find(|v| v.moment == Moment::Escalated)
        .unwrap();
    // The severity change and the entry "Incident escalated" agree; the
    // structured record is preferred.
    assert!(matches!(
        escalated.source,
        MomentSource::SeverityChange { index: 0, .. }
    ));
    let contained = moments
        .iter()
        .find(|v| v.moment == Moment::Contained)
        .unwrap();
    assert!(
        matches!(&contained.source, MomentSource::Timeline { entry_title, .. } if entry_title == "Complete containment")
    );
    let recovered = moments
        .iter()
        .find(|v| v.moment == Moment::Recovered)
        .unwrap();
    assert!(
        matches!(&recovered.source, MomentSource::Timeline { entry_title, .. } if entry_title == "Gradual recovery")
    );
}

fn entry(at: &str, phase: &str, title: &str) -> serde_json::Value {
    json!({"occurred_at": at, "phase": phase, "title": title})
}

#[test]
fn moments_set_by_people_win_over_the_timeline() {
    let doc = with(json!({
        "lifecycle": {"responded": "2025-11-01T10:30:00Z"},
        "timeline": [
            entry("2025-11-01T10:00:00Z", "detection", "Alert"),
            entry("2025-11-01T10:05:00Z", "response", "Paged")
        ]
    }));
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.detected, Some(t("2025-11-01T10:00:00Z")));
    assert_eq!(l.responded, Some(t("2025-11-01T10:30:00Z")));
}

#[test]
fn a_tag_names_a_moment_exactly() {
    let mut tagged = entry("2025-11-01T10:20:00Z", "response", "Firewall rule pushed");
    tagged["tags"] = json!(["Contained"]);
    let doc = with(json!({
        "timeline": [
            entry("2025-11-01T10:00:00Z", "detection", "Alert"),
            entry("2025-11-01T10:05:00Z", "response", "Paged"),
            tagged,
            entry("2025-11-01T11:00:00Z", "response", "Log review"),
            entry("2025-11-01T12:00:00Z", "recovery", "Service restored")
        ]
    }));
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.contained, Some(t("2025-11-01T10:20:00Z")));
    assert_eq!(l.recovered, Some(t("2025-11-01T12:00:00Z")));
}

#[test]
fn detection_uses_when_the_team_learned_of_it() {
    let mut e = entry("2025-11-01T10:00:00Z", "detection", "Login from new IP");
    e["learned_at"] = json!("2025-11-01T10:12:00Z");
    let doc = with(json!({"timeline": [e, entry("2025-11-01T10:20:00Z", "response", "Paged")]}));
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.first_activity, Some(t("2025-11-01T10:00:00Z")));
    assert_eq!(l.detected, Some(t("2025-11-01T10:12:00Z")));
}

#[test]
fn derived_moments_never_break_the_lifecycle_order() {
    // People put detection after every timeline entry: nothing in the
    // timeline can be the first response, and first activity must not come
    // after detection.
    let doc = with(json!({
        "lifecycle": {"detected": "2025-11-01T09:00:00Z"},
        "timeline": [
            entry("2025-11-01T08:00:00Z", "response", "Paged"),
            entry("2025-11-01T10:00:00Z", "detection", "Alert")
        ]
    }));
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.first_activity, Some(t("2025-11-01T08:00:00Z")));
    assert_eq!(l.responded, None);
    assert!(l.validate().0.is_empty(), "{:?}", l);

    let later = with(json!({
        "lifecycle": {"first_activity": "2025-11-01T09:30:00Z"},
        "timeline": [entry("2025-11-01T09:00:00Z", "detection", "Alert")]
    }));
    // The only detection candidate is before the recorded first activity.
    assert_eq!(sla::lifecycle_from_timeline(&later).detected, None);
}

#[test]
fn an_empty_timeline_leaves_every_moment_unknown() {
    let moments = sla::derive_moments(&empty());
    assert_eq!(moments.len(), Moment::ALL.len());
    assert!(
        moments
            .iter()
            .all(|v| v.at.is_none() && v.source == MomentSource::Unknown)
    );
    let (m, defs) = sla::measures(&empty());
    assert_eq!(m.time_to_respond, None);
    assert!(defs.iter().all(|d| d.value.is_none()));
}

#[test]
fn unresolved_is_not_resolved() {
    let doc = with(json!({"timeline": [
        entry("2025-11-01T10:00:00Z", "detection", "Alert"),
        entry("2025-11-01T11:00:00Z", "recovery", "Still unresolved"),
        entry("2025-11-01T12:00:00Z", "recovery", "Incident resolved")
    ]}));
    let l = sla::lifecycle_from_timeline(&doc);
    assert_eq!(l.resolved, Some(t("2025-11-01T12:00:00Z")));
}

// -------------------------------------------------------------- SLA targets

#[test]
fn inc_2025_1128_met_its_response_target() {
    let doc = seed();
    assert_eq!(doc.severity, Severity::High);
    let r = sla::evaluate(&doc, &SlaTargets::default());
    let by = |m: SlaMeasure| r.iter().find(|x| x.measure == m).unwrap();
    let respond = by(SlaMeasure::Respond);
    // Seed: "Response time: 5 minutes (SLA: 15 min)".
    assert_eq!(
        (respond.actual, respond.target, respond.met),
        (minutes(5), minutes(15), Some(true))
    );
    assert_eq!(respond.severity, Severity::High);
    let escalate = by(SlaMeasure::Escalate);
    assert_eq!(
        (escalate.actual, escalate.target, escalate.met),
        (minutes(15), minutes(60), Some(true))
    );
    let contain = by(SlaMeasure::Contain);
    assert_eq!(
        (contain.actual, contain.target, contain.met),
        (minutes(65), minutes(480), Some(true))
    );
    let recover = by(SlaMeasure::Recover);
    assert_eq!(
        (recover.actual, recover.target, recover.met),
        (minutes(290), minutes(48 * 60), Some(true))
    );
}

#[test]
fn a_target_is_met_on_the_dot_and_missed_a_minute_later() {
    let at = |responded: &str| {
        let mut d = with(json!({"lifecycle": {
            "detected": "2025-11-01T10:00:00Z", "responded": responded
        }}));
        d.severity = Severity::Critical;
        let r = sla::evaluate(&d, &SlaTargets::default());
        r[0].met
    };
    assert_eq!(at("2025-11-01T10:15:00Z"), Some(true));
    assert_eq!(at("2025-11-01T10:16:00Z"), Some(false));
}

#[test]
fn no_target_or_no_measure_means_no_verdict() {
    let mut d = with(json!({"lifecycle": {
        "detected": "2025-11-01T10:00:00Z", "escalated": "2025-11-01T13:00:00Z"
    }}));
    d.severity = Severity::Low; // low has no escalation target
    let r = sla::evaluate(&d, &SlaTargets::default());
    let escalate = &r[1];
    assert_eq!(escalate.measure, SlaMeasure::Escalate);
    assert_eq!(
        (escalate.actual, escalate.target, escalate.met),
        (minutes(180), None, None)
    );
    let respond = &r[0];
    assert_eq!(
        (respond.actual, respond.target, respond.met),
        (None, minutes(480), None)
    );
}

#[test]
fn default_targets_are_the_documented_ones() {
    let d = SlaTargets::default();
    let row = |s: Severity| {
        SlaMeasure::ALL
            .iter()
            .map(|m| d.for_severity(s).target(*m).map(|x| x.num_minutes()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row(Severity::Critical),
        [Some(15), Some(30), Some(240), Some(1440)]
    );
    assert_eq!(
        row(Severity::High),
        [Some(15), Some(60), Some(480), Some(2880)]
    );
    assert_eq!(
        row(Severity::Medium),
        [Some(60), Some(240), Some(1440), Some(4320)]
    );
    assert_eq!(
        row(Severity::Low),
        [Some(480), None, Some(4320), Some(10080)]
    );
    assert!(d.validate().0.is_empty());
}

#[test]
fn targets_are_configured_in_minutes_and_a_table_replaces_its_default() {
    let t: SlaTargets =
        serde_json::from_value(json!({"critical": {"respond_minutes": 10}})).unwrap();
    assert_eq!(t.critical.respond_minutes, Some(10));
    assert_eq!(t.critical.contain_minutes, None);
    assert_eq!(t.high, SlaTargets::default().high);

    let bad: SlaTargets = serde_json::from_value(json!({"high": {"respond_minutes": 0}})).unwrap();
    assert_eq!(bad.validate().0[0].field, "high.respond_minutes");

    let err = serde_json::from_value::<SlaTargets>(json!({"high": {"respond": 5}}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("respond"), "{err}");
}

#[test]
fn sla_results_carry_durations_as_seconds_in_json() {
    let r = sla::evaluate(&seed(), &SlaTargets::default());
    let v = serde_json::to_value(&r[0]).unwrap();
    assert_eq!(v["measure"], json!("respond"));
    assert_eq!(v["target_seconds"], json!(900));
    assert_eq!(v["actual_seconds"], json!(300));
    assert_eq!(v["met"], json!(true));
    assert_eq!(v["until"]["source"]["kind"], json!("recorded"));
}

// ---------------------------------------------------------------- deadlines

/// Closed at 2025-11-28T18:00Z, as INC-2025-1128.
fn closed_incident() -> PostMortem {
    let mut d = seed();
    d.postmortem_status = PostmortemStatus::Draft;
    d
}

fn deadline(
    doc: &PostMortem,
    facts: &ProcessFacts,
    now: &str,
    step: ProcessStep,
) -> process::Deadline {
    process::deadlines(doc, &ProcessPolicy::default(), facts, t(now))
        .into_iter()
        .find(|d| d.step == step)
        .unwrap()
}

#[test]
fn deadlines_run_from_the_close_as_the_seed_sets_them() {
    let doc = closed_incident();
    assert_eq!(doc.lifecycle.closed, Some(t("2025-11-28T18:00:00Z")));
    let all = process::deadlines(
        &doc,
        &ProcessPolicy::default(),
        &ProcessFacts::default(),
        t("2025-11-29T00:00:00Z"),
    );
    let dues: Vec<_> = all.iter().map(|d| (d.step, d.due)).collect();
    assert_eq!(
        dues,
        [
            (
                ProcessStep::ScheduleMeeting,
                Some(t("2025-11-30T18:00:00Z"))
            ),
            (ProcessStep::HoldMeeting, Some(t("2025-12-05T18:00:00Z"))),
            (ProcessStep::ShareFindings, Some(t("2025-12-12T18:00:00Z"))),
            (
                ProcessStep::AssignActionItems,
                Some(t("2025-12-28T18:00:00Z"))
            ),
            (
                ProcessStep::QuarterlyReview,
                Some(t("2026-02-26T18:00:00Z"))
            ),
        ]
    );
    assert_eq!(all[0].label, "Schedule post-mortem meeting");
}

#[test]
fn a_step_is_pending_before_and_on_its_due_time_and_overdue_after() {
    let doc = closed_incident();
    let f = ProcessFacts::default();
    let s = ProcessStep::ScheduleMeeting;
    let before = deadline(&doc, &f, "2025-11-30T17:59:00Z", s);
    assert_eq!(
        (before.state, before.overdue),
        (DeadlineState::Pending, false)
    );
    let on = deadline(&doc, &f, "2025-11-30T18:00:00Z", s);
    assert_eq!((on.state, on.overdue), (DeadlineState::Pending, false));
    let after = deadline(&doc, &f, "2025-11-30T18:01:00Z", s);
    assert_eq!((after.state, after.overdue), (DeadlineState::Overdue, true));
    assert_eq!(after.done_at, None);
    assert_eq!(after.evidence, None);
}

#[test]
fn a_step_done_is_done_and_says_whether_it_was_late() {
    let doc = closed_incident();
    let on_time = ProcessFacts {
        meeting_scheduled_at: Some(t("2025-11-29T09:00:00Z")),
        ..Default::default()
    };
    let d = deadline(
        &doc,
        &on_time,
        "2025-12-20T00:00:00Z",
        ProcessStep::ScheduleMeeting,
    );
    assert_eq!(d.state, DeadlineState::Done);
    assert_eq!(d.done_at, Some(t("2025-11-29T09:00:00Z")));
    assert!(!d.overdue && !d.done_late);
    assert!(d.evidence.is_some());

    let late = ProcessFacts {
        meeting_held_at: Some(t("2025-12-08T09:00:00Z")),
        ..Default::default()
    };
    let h = deadline(
        &doc,
        &late,
        "2025-12-20T00:00:00Z",
        ProcessStep::HoldMeeting,
    );
    assert_eq!(h.state, DeadlineState::Done);
    assert!(h.done_late);
    // A held meeting was scheduled, at a time nobody recorded.
    let s = deadline(
        &doc,
        &late,
        "2025-12-20T00:00:00Z",
        ProcessStep::ScheduleMeeting,
    );
    assert_eq!((s.state, s.done_at), (DeadlineState::Done, None));
}

#[test]
fn a_fact_from_the_future_has_not_happened_yet() {
    let doc = closed_incident();
    let f = ProcessFacts {
        meeting_held_at: Some(t("2025-12-03T14:00:00Z")),
        ..Default::default()
    };
    let d = deadline(&doc, &f, "2025-12-02T00:00:00Z", ProcessStep::HoldMeeting);
    assert_eq!(d.state, DeadlineState::Pending);
}

#[test]
fn without_a_close_time_the_clock_has_not_started() {
    let mut doc = closed_incident();
    doc.lifecycle.closed = None;
    doc.lifecycle.resolved = None;
    let all = process::deadlines(
        &doc,
        &ProcessPolicy::default(),
        &ProcessFacts::default(),
        t("2030-01-01T00:00:00Z"),
    );
    for d in &all {
        if d.step == ProcessStep::AssignActionItems {
            // Every demo action item has an owner and a due date.
            assert_eq!(d.state, DeadlineState::Done);
        } else {
            assert_eq!(d.state, DeadlineState::NotStarted, "{}", d.step);
        }
        assert_eq!(d.due, None);
        assert!(!d.overdue);
    }
}

#[test]
fn the_resolution_time_starts_the_clock_when_there_is_no_close_time() {
    let mut doc = closed_incident();
    doc.lifecycle.closed = None;
    let d = deadline(
        &doc,
        &ProcessFacts::default(),
        "2025-11-28T13:00:00Z",
        ProcessStep::ScheduleMeeting,
    );
    assert_eq!(d.due, Some(t("2025-11-30T12:00:00Z")));
}

#[test]
fn publishing_shares_the_findings() {
    let mut doc = closed_incident();
    let f = ProcessFacts::default();
    let now = "2025-12-20T00:00:00Z";
    assert_eq!(
        deadline(&doc, &f, now, ProcessStep::ShareFindings).state,
        DeadlineState::Overdue
    );
    doc.postmortem_status = PostmortemStatus::Published;
    let d = deadline(&doc, &f, now, ProcessStep::ShareFindings);
    assert_eq!((d.state, d.done_at), (DeadlineState::Done, None));
    let shared = ProcessFacts {
        shared_at: Some(t("2025-12-01T10:00:00Z")),
        ..Default::default()
    };
    let d = deadline(&closed_incident(), &shared, now, ProcessStep::ShareFindings);
    assert_eq!(d.done_at, Some(t("2025-12-01T10:00:00Z")));
}

#[test]
fn action_items_are_in_hand_when_every_one_has_an_owner_and_a_due_date() {
    let f = ProcessFacts::default();
    let now = "2025-12-29T00:00:00Z"; // past the 30 days
    let s = ProcessStep::AssignActionItems;
    let doc = closed_incident();
    let d = deadline(&doc, &f, now, s);
    assert_eq!(d.state, DeadlineState::Done);
    assert_eq!(
        d.evidence.as_deref(),
        Some("all 10 action items have an owner and a due date")
    );

    let mut no_owner = closed_incident();
    no_owner.action_items[1].owner = None;
    no_owner.action_items[4].due = None;
    let d = deadline(&no_owner, &f, now, s);
    assert_eq!(d.state, DeadlineState::Overdue);
    assert_eq!(
        process::ActionAssignment::of(&no_owner).describe(),
        "2 of 10 action items lack an owner or a due date (#2, #5)"
    );
    // Items decided against need no owner.
    no_owner.action_items[1].status = debrief_core::ActionStatus::WontDo;
    no_owner.action_items[4].status = debrief_core::ActionStatus::WontDo;
    assert_eq!(deadline(&no_owner, &f, now, s).state, DeadlineState::Done);

    let mut none = closed_incident();
    none.action_items.clear();
    assert_eq!(deadline(&none, &f, now, s).state, DeadlineState::Overdue);
}

#[test]
fn the_quarterly_review_is_due_ninety_days_after_the_close() {
    let doc = closed_incident();
    let s = ProcessStep::QuarterlyReview;
    let f = ProcessFacts::default();
    assert_eq!(
        deadline(&doc, &f, "2026-02-26T18:00:00Z", s).state,
        DeadlineState::Pending
    );
    assert_eq!(
        deadline(&doc, &f, "2026-02-27T00:00:00Z", s).state,
        DeadlineState::Overdue
    );
    let done = ProcessFacts {
        quarterly_review_at: Some(t("2026-02-20T10:00:00Z")),
        ..Default::default()
    };
    assert_eq!(
        deadline(&doc, &done, "2026-03-01T00:00:00Z", s).state,
        DeadlineState::Done
    );
}

#[test]
fn a_policy_is_configured_per_organisation() {
    let p: ProcessPolicy = serde_json::from_value(json!({"hold_meeting_days": 5})).unwrap();
    assert_eq!(p.hold_meeting_days, 5);
    assert_eq!(p.schedule_meeting_hours, 48);
    let d = process::deadlines(
        &closed_incident(),
        &p,
        &ProcessFacts::default(),
        t("2025-11-29T00:00:00Z"),
    );
    assert_eq!(d[1].due, Some(t("2025-12-03T18:00:00Z")));
    let bad = ProcessPolicy {
        share_days: 0,
        ..Default::default()
    };
    assert_eq!(bad.validate().0[0].field, "share_days");
    assert!(ProcessPolicy::default().validate().0.is_empty());
    assert!(serde_json::from_value::<ProcessPolicy>(json!({"share_weeks": 2})).is_err());
}

// ---------------------------------------------------------- the six steps

#[test]
fn inc_2025_1128_has_gone_through_all_six_steps_once_the_meeting_is_scheduled() {
    let doc = seed();
    let steps = process::six_steps(&doc, &ProcessFacts::default());
    let ids: Vec<_> = steps.iter().map(|s| s.step).collect();
    assert_eq!(ids, ReviewStep::ALL);
    let done: Vec<_> = steps.iter().map(|s| s.done).collect();
    assert_eq!(done, [false, true, true, true, true, true]);
    assert_eq!(steps[0].missing, ["schedule the post-mortem meeting"]);

    let facts = ProcessFacts {
        meeting_scheduled_at: Some(t("2025-11-29T09:00:00Z")),
        ..Default::default()
    };
    let steps = process::six_steps(&doc, &facts);
    assert!(steps.iter().all(|s| s.done && s.missing.is_empty()));
    let rca = &steps[2];
    assert_eq!(
        rca.evidence,
        [
            "primary root cause: Weak MFA implementation",
            "analysed with 5 Whys, fishbone"
        ]
    );
    assert_eq!(
        steps[1].evidence,
        ["timeline with 12 entries", "detection time set"]
    );
    assert_eq!(
        steps[5].evidence,
        [
            "post-mortem published",
            "all 10 action items have an owner and a due date"
        ]
    );
}

#[test]
fn an_empty_incident_has_done_none_of_the_six_steps() {
    let steps = process::six_steps(&empty(), &ProcessFacts::default());
    assert_eq!(steps.len(), 6);
    for s in &steps {
        assert!(!s.done, "{}", s.step);
        assert!(!s.missing.is_empty(), "{}", s.step);
        assert_eq!(s.label, s.step.label());
    }
    assert_eq!(steps[4].missing, ["add action items"]);
}

#[test]
fn information_gathering_accepts_a_detection_time_found_in_the_timeline() {
    let doc = with(json!({"timeline": [
        entry("2025-11-01T10:00:00Z", "detection", "Alert"),
        entry("2025-11-01T10:05:00Z", "response", "Paged"),
        entry("2025-11-01T11:00:00Z", "recovery", "Restored")
    ]}));
    let s = &process::six_steps(&doc, &ProcessFacts::default())[1];
    assert!(s.done);
    assert_eq!(s.evidence[1], "detection time found in the timeline");
}

// ----------------------------------------------------------------- agenda

#[test]
fn the_default_agenda_is_the_seeds_eight_sections() {
    let a = Agenda::default_for(&seed());
    let items: Vec<_> = a
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.minutes))
        .collect();
    assert_eq!(
        items,
        [
            ("Opening", 5),
            ("Incident Overview", 10),
            ("Detailed Timeline", 30),
            ("What Went Well", 15),
            ("What Went Wrong", 20),
            ("Root Cause Analysis", 20),
            ("Action Items", 20),
            ("Closing", 10),
        ]
    );
    assert_eq!(
        a.items[0].notes,
        "Set ground rules (blameless)\nReview agenda\nAssign note-taker"
    );
    assert_eq!(
        a.items[7].points().collect::<Vec<_>>(),
        ["Review action items", "Assign owners", "Set deadlines"]
    );
    // The seed's time boxes add up to 130 minutes, over its own 90-120.
    assert_eq!(a.total_minutes(), 130);
    assert_eq!(
        a.title,
        "Post-mortem: INC-2025-1128 Admin account compromise"
    );
    assert_eq!(a.attendees.len(), 9);
    assert_eq!(a.attendees[0].name, "Dana");
    assert_eq!(a.attendees[0].role, Role::IncidentCommander);
    assert_eq!(a.note_taker.as_deref(), Some("Lee"));
    assert_eq!(a.facilitator, None);
    assert_eq!(a.starts_at, None);
    assert!(a.validate().0.is_empty(), "{:?}", a.validate());
    let codes: Vec<_> = a.warnings().iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [AgendaWarningCode::TooLong, AgendaWarningCode::NoFacilitator]
    );
}

fn trimmed_agenda() -> Agenda {
    let mut a = Agenda::default_for(&seed());
    a.items[2].minutes = 20; // 120 minutes
    a.facilitator = Some("Priya".into());
    a
}

#[test]
fn a_complete_agenda_within_the_guideline_has_no_warnings() {
    let a = trimmed_agenda();
    assert_eq!(a.total_minutes(), 120);
    assert!(a.warnings().is_empty(), "{:?}", a.warnings());
    let mut short = trimmed_agenda();
    short.items.truncate(6); // 5+10+20+15+20+20 = 90
    assert_eq!(short.total_minutes(), 90);
    assert!(short.warnings().is_empty());
}

#[test]
fn a_short_agenda_is_flagged() {
    let mut a = trimmed_agenda();
    a.items.truncate(3);
    let w = a.warnings();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, AgendaWarningCode::TooShort);
    assert!(w[0].message.contains("35 minutes"), "{}", w[0].message);
}

#[test]
fn each_missing_required_role_is_flagged() {
    for role in [
        Role::Responder,
        Role::SystemOwner,
        Role::EngineeringLeadership,
        Role::Security,
    ] {
        let mut a = trimmed_agenda();
        a.attendees.retain(|x| {
            x.role != role && !(role == Role::Responder && x.role == Role::IncidentCommander)
        });
        let w = a.warnings();
        assert_eq!(w.len(), 1, "{role}: {w:?}");
        assert_eq!(
            (w[0].code, w[0].role),
            (AgendaWarningCode::MissingRole, Some(role))
        );
    }
    let mut none = trimmed_agenda();
    none.attendees.clear();
    assert_eq!(none.warnings().len(), 4);
}

#[test]
fn the_incident_commander_counts_as_a_responder() {
    let mut a = trimmed_agenda();
    a.attendees.retain(|x| x.role != Role::Responder);
    assert!(
        a.attendees
            .iter()
            .any(|x| x.role == Role::IncidentCommander)
    );
    assert!(a.warnings().is_empty());
}

#[test]
fn no_note_taker_and_no_facilitator_are_flagged() {
    let mut a = trimmed_agenda();
    a.note_taker = None;
    a.facilitator = None;
    let codes: Vec<_> = a.warnings().iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            AgendaWarningCode::NoNoteTaker,
            AgendaWarningCode::NoFacilitator
        ]
    );
}

#[test]
fn an_agenda_is_validated_field_by_field() {
    let mut a = trimmed_agenda();
    a.title = " ".into();
    a.items[1].title = String::new();
    a.items[2].minutes = 0;
    a.facilitator = Some("  ".into());
    a.attendees.push(Attendee {
        name: "Eve".into(),
        role: Role::Other,
        team: None,
        email: Some("eve@example.com\r\nATTENDEE:x".into()),
    });
    let fields: Vec<_> = a.validate().0.into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "title",
            "items[1].title",
            "items[2].minutes",
            "attendees[9].email",
            "facilitator"
        ]
    );

    let mut long = trimmed_agenda();
    long.items = vec![
        AgendaItem {
            title: "x".into(),
            minutes: 1,
            notes: String::new()
        };
        MAX_ITEMS + 1
    ];
    assert_eq!(long.validate().0[0].field, "items");
    let mut none = trimmed_agenda();
    none.items.clear();
    assert_eq!(none.validate().0[0].message, "add at least one item");
}

#[test]
fn the_ground_rules_are_blameless() {
    assert_eq!(GROUND_RULES[0], "No blame, only learning.");
    assert!(GROUND_RULES.iter().any(|r| r.contains("not who broke it")));
    assert!(GROUND_RULES.iter().any(|r| r.contains("known at the time")));
}

#[test]
fn an_agenda_round_trips_through_json() {
    let mut a = trimmed_agenda();
    a.starts_at = Some(t("2025-12-02T14:00:00Z"));
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["starts_at"], json!("2025-12-02T14:00:00Z"));
    assert_eq!(v["attendees"][0]["role"], json!("incident_commander"));
    let back: Agenda = serde_json::from_value(v).unwrap();
    assert_eq!(back, a);
    assert_eq!(a.ends_at(), Some(t("2025-12-02T16:00:00Z")));
    assert_eq!(a.offsets()[..3], [0, 5, 15]);
}

// -------------------------------------------------------------- checklist

fn meeting_facts() -> ProcessFacts {
    ProcessFacts {
        meeting_scheduled_at: Some(t("2025-11-29T09:00:00Z")),
        meeting_held_at: Some(t("2025-11-29T14:00:00Z")),
        shared_at: Some(t("2025-11-30T10:00:00Z")),
        quarterly_review_at: None,
    }
}

fn ticked(items: &[ChecklistItem]) -> Vec<&str> {
    items
        .iter()
        .filter(|i| i.auto)
        .map(|i| i.id.as_str())
        .collect()
}

#[test]
fn the_checklist_is_the_seeds_in_its_groups() {
    let items = checklist::evaluate(
        &empty(),
        &ProcessFacts::default(),
        &BTreeSet::new(),
        day("2025-12-01"),
    );
    assert_eq!(items.len(), 23);
    let count = |g: ChecklistGroup| items.iter().filter(|i| i.group == g).count();
    assert_eq!(
        [
            count(ChecklistGroup::Before),
            count(ChecklistGroup::During),
            count(ChecklistGroup::After),
            count(ChecklistGroup::FollowUp)
        ],
        [5, 8, 6, 4]
    );
    assert_eq!(items[0].text, "Schedule within 1 week of incident closure");
    assert_eq!(
        items[12].text,
        "Assign owners and deadlines to all action items"
    );
    assert_eq!(items[22].text, "Annual review of patterns and trends");
    assert_eq!(ChecklistGroup::FollowUp.label(), "Follow-up");
    let ids: BTreeSet<_> = items.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids.len(), 23);
    assert!(ids.iter().all(|id| {
        id.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }));
}

#[test]
fn inc_2025_1128_ticks_what_its_data_proves() {
    let items = checklist::evaluate(
        &seed(),
        &meeting_facts(),
        &BTreeSet::new(),
        day("2025-12-01"),
    );
    assert_eq!(
        ticked(&items),
        [
            "schedule-within-a-week",
            "prepare-timeline",
            "assign-note-taker",
            "walk-through-timeline",
            "discuss-went-well",
            "discuss-went-wrong",
            "identify-root-causes",
            "generate-action-items",
            "assign-owners-and-deadlines",
            "document-within-48-hours",
            "share-within-a-week",
            "add-to-knowledge-base",
            "update-detection-prevention",
        ]
    );
    let ev = |id: &str| {
        items
            .iter()
            .find(|i| i.id == id)
            .unwrap()
            .evidence
            .clone()
            .unwrap()
    };
    assert_eq!(ev("assign-note-taker"), "Lee is the note-taker");
    assert_eq!(
        ev("identify-root-causes"),
        "primary root cause: Weak MFA implementation"
    );
    assert_eq!(
        ev("update-detection-prevention"),
        "action item #1 (Invalidate all MFA backup codes) is complete"
    );
    assert_eq!(
        ev("schedule-within-a-week"),
        "meeting scheduled on 2025-11-29, less than a day after closure"
    );
    assert!(items.iter().all(|i| i.done == i.auto));
}

#[test]
fn facts_after_today_prove_nothing() {
    let items = checklist::evaluate(
        &seed(),
        &meeting_facts(),
        &BTreeSet::new(),
        day("2025-11-28"),
    );
    let t = ticked(&items);
    assert!(!t.contains(&"schedule-within-a-week"));
    assert!(!t.contains(&"share-within-a-week"));
    assert!(t.contains(&"prepare-timeline"));
}

#[test]
fn a_late_meeting_is_not_scheduled_within_a_week() {
    let facts = ProcessFacts {
        meeting_scheduled_at: Some(t("2025-12-06T09:00:00Z")),
        ..Default::default()
    };
    let items = checklist::evaluate(&seed(), &facts, &BTreeSet::new(), day("2025-12-10"));
    assert!(!items[0].done);
}

#[test]
fn an_empty_incident_is_ticked_only_by_hand() {
    let manual: BTreeSet<String> = ["invite-stakeholders", "update-playbook"]
        .into_iter()
        .map(String::from)
        .collect();
    let items = checklist::evaluate(
        &empty(),
        &ProcessFacts::default(),
        &manual,
        day("2025-12-01"),
    );
    assert!(ticked(&items).is_empty());
    let done: Vec<_> = items
        .iter()
        .filter(|i| i.done)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(done, ["invite-stakeholders", "update-playbook"]);
    assert!(items.iter().all(|i| i.evidence.is_none()));
    assert!(checklist::validate_ticks(&manual).0.is_empty());
    let unknown: BTreeSet<String> = ["invite-everyone".to_owned()].into();
    assert_eq!(
        checklist::validate_ticks(&unknown).0[0].message,
        "`invite-everyone` is not a checklist item"
    );
}

#[test]
fn tracking_tickets_and_the_quarterly_review_are_proved_by_the_data_too() {
    let mut doc = seed();
    for (i, a) in doc.action_items.iter_mut().enumerate() {
        a.external_ref = Some(format!("SEC-{}", 100 + i));
    }
    let mut facts = meeting_facts();
    facts.quarterly_review_at = Some(t("2026-02-20T10:00:00Z"));
    let items = checklist::evaluate(&doc, &facts, &BTreeSet::new(), day("2026-03-01"));
    let t = ticked(&items);
    assert!(t.contains(&"create-tracking-tickets"));
    assert!(t.contains(&"quarterly-review"));
}
