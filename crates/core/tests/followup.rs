//! Following action items through across incidents, on the demo data as of
//! its snapshot day (2025-12-01): the filter, the weekly, monthly and
//! quarterly reviews, and the verdict rule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

use chrono::{NaiveDate, TimeZone, Utc};
use debrief_core::followup::{
    self, ActionFilter, Month, Quarter, TrackedAction, status_on, tracked, verify,
};
use debrief_core::{ActionItem, ActionStatus, Horizon, IncidentStatus, Priority};

fn d(s: &str) -> NaiveDate {
    debrief_core::time::parse_date(s).unwrap()
}

fn demo(today: &str) -> Vec<TrackedAction> {
    tracked(&debrief_core::demo::documents().unwrap(), d(today))
}

fn ids(list: &[TrackedAction]) -> Vec<(String, u32)> {
    list.iter()
        .map(|t| (t.incident.key.to_string(), t.item.number))
        .collect()
}

fn item(json: serde_json::Value) -> ActionItem {
    serde_json::from_value(json).unwrap()
}

#[test]
fn the_filter_narrows_by_every_field() {
    let today = d("2025-12-01");
    let all = demo("2025-12-01");
    assert_eq!(all.len(), 161);
    let count = |f: &ActionFilter| all.iter().filter(|t| f.matches(t, today)).count();
    assert_eq!(count(&ActionFilter::default()), 161);

    let overdue = ActionFilter {
        overdue: true,
        ..Default::default()
    };
    assert_eq!(count(&overdue), 9);
    let open_statuses = ActionFilter {
        statuses: vec![ActionStatus::Planned, ActionStatus::Blocked],
        ..Default::default()
    };
    assert_eq!(count(&open_statuses), 27 + 4);
    let medium_term = ActionFilter {
        horizon: Some(Horizon::MediumTerm),
        ..Default::default()
    };
    assert!(
        all.iter()
            .filter(|t| medium_term.matches(t, today))
            .all(|t| t.item.horizon == Some(Horizon::MediumTerm))
    );
    assert!(medium_term.needs_rust());
    let window = ActionFilter {
        due_from: Some(d("2025-11-01")),
        due_to: Some(d("2025-11-30")),
        ..Default::default()
    };
    assert_eq!(count(&window), 15);
    let text = ActionFilter {
        q: Some("hardware SECURITY".into()),
        ..Default::default()
    };
    assert_eq!(count(&text), 3);
    assert!(
        all.iter().filter(|t| text.matches(t, today)).all(|t| t
            .item
            .title
            .to_lowercase()
            .contains("hardware security"))
    );
    let owner_team = ActionFilter {
        owner: Some("Nina".into()),
        team: Some("Cloud Team".into()),
        priority: Some(Priority::Critical),
        ..Default::default()
    };
    assert!(
        all.iter()
            .filter(|t| owner_team.matches(t, today))
            .all(|t| {
                t.item.owner.as_deref() == Some("Nina") && t.item.priority == Priority::Critical
            })
    );
}

#[test]
fn an_item_stays_overdue_after_its_incident_is_closed() {
    let mut docs = debrief_core::demo::documents().unwrap();
    let doc = docs
        .iter_mut()
        .find(|x| x.key.as_str() == "INC-2025-0626")
        .unwrap();
    doc.status = IncidentStatus::Closed;
    let all = tracked(&docs, d("2025-12-01"));
    let t = all
        .iter()
        .find(|t| t.incident.key.as_str() == "INC-2025-0626" && t.item.number == 3)
        .unwrap();
    assert_eq!(t.incident.status, IncidentStatus::Closed);
    assert!(t.overdue);
}

#[test]
fn the_weekly_check_in_shows_the_last_seven_days_and_the_next() {
    let w = followup::weekly(&demo("2025-12-01"), d("2025-12-01"));
    assert_eq!(w.since, d("2025-11-24"));
    let changes: Vec<(String, u32, Option<ActionStatus>, ActionStatus)> = w
        .changes
        .iter()
        .map(|c| {
            (
                c.action.incident.key.to_string(),
                c.action.item.number,
                c.from,
                c.to,
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "INC-2025-0424".into(),
                2,
                Some(ActionStatus::Complete),
                ActionStatus::Verified
            ),
            ("INC-2025-1125".into(), 1, None, ActionStatus::Complete),
            ("INC-2025-1125".into(), 2, None, ActionStatus::InProgress),
            ("INC-2025-1128".into(), 1, None, ActionStatus::Complete),
            (
                "INC-2025-1119".into(),
                2,
                Some(ActionStatus::InProgress),
                ActionStatus::Complete
            ),
        ]
    );
    assert_eq!(ids(&w.verdicts), [("INC-2025-0424".into(), 2)]);
    assert_eq!(w.overdue.len(), 9);
    assert_eq!(
        ids(&w.overdue[..2]),
        [("INC-2025-0626".into(), 3), ("INC-2025-0610".into(), 4)],
        "longest overdue first"
    );
    assert_eq!(
        ids(&w.due_soon),
        [
            ("INC-2025-1104".into(), 2),
            ("INC-2025-1128".into(), 2),
            ("INC-2025-1128".into(), 3),
            ("INC-2025-0520".into(), 4),
        ]
    );
    // The day itself is not looked back on: a change made on the review
    // day belongs to next week's check-in.
    let w = followup::weekly(&demo("2025-11-29"), d("2025-11-29"));
    assert!(w.changes.iter().all(|c| c.on < d("2025-11-29")));
}

#[test]
fn the_monthly_review_counts_completion_per_horizon_and_team() {
    let m = followup::monthly(
        &demo("2025-12-01"),
        Month::parse("2025-11").unwrap(),
        d("2025-12-01"),
    );
    assert_eq!(
        (
            m.completion.total,
            m.completion.on_time,
            m.completion.late,
            m.completion.open
        ),
        (15, 12, 0, 3)
    );
    assert_eq!(m.completion.rate_percent, Some(80));
    let team = |name: &str| {
        m.by_team
            .iter()
            .find(|g| g.name == name)
            .map(|g| (g.completion.total, g.completion.rate_percent))
    };
    assert_eq!(team("Security Operations"), Some((4, Some(100))));
    assert_eq!(team("Network Team"), Some((2, Some(50))));
    let horizons: u32 = m.by_horizon.iter().map(|g| g.completion.total).sum();
    assert_eq!(horizons, 15);
    // Overdue at the end of November: everything overdue on 2025-12-01
    // was already open then.
    assert_eq!(m.overdue_at_month_end.len(), 9);
}

#[test]
fn late_items_and_the_status_at_month_end_come_from_the_history() {
    let a = item(serde_json::json!({
        "title": "Rotate keys", "priority": "high", "status": "complete", "due": "2025-11-10",
        "status_history": [
            {"status": "in_progress", "on": "2025-11-01"},
            {"status": "complete", "on": "2025-12-03"}
        ]
    }));
    assert_eq!(status_on(&a, d("2025-11-30")), ActionStatus::InProgress);
    assert_eq!(status_on(&a, d("2025-10-30")), ActionStatus::Planned);
    let mut docs = debrief_core::demo::documents().unwrap();
    docs.truncate(1);
    docs[0].action_items = vec![a];
    let m = followup::monthly(
        &tracked(&docs, d("2025-12-05")),
        Month::parse("2025-11").unwrap(),
        d("2025-12-05"),
    );
    assert_eq!((m.completion.late, m.completion.on_time), (1, 0));
    assert_eq!(m.overdue_at_month_end.len(), 1, "still open on 2025-11-30");
}

#[test]
fn the_quarterly_review_separates_effective_and_failed_fixes() {
    let all = demo("2025-12-01");
    let q3 = followup::quarterly(&all, Quarter::parse("2025-Q3").unwrap(), d("2025-12-01"));
    assert_eq!(q3.effective.len(), 11);
    let mut failed = ids(&q3.ineffective);
    failed.sort();
    assert_eq!(
        failed,
        [
            ("INC-2025-0514".to_owned(), 3),
            ("INC-2025-0523".to_owned(), 2),
            ("INC-2025-0523".to_owned(), 3),
            ("INC-2025-0529".to_owned(), 1),
            ("INC-2025-0616".to_owned(), 2),
        ]
    );
    assert_eq!(q3.ineffective.len(), 5);
    assert_eq!(q3.effectiveness_percent, Some(69), "11 of 16");
    let q4 = followup::quarterly(&all, Quarter::parse("2025-Q4").unwrap(), d("2025-12-01"));
    assert_eq!(q4.effective.len(), 4);
    assert!(q4.ineffective.is_empty());
    assert_eq!(q4.effectiveness_percent, Some(100));
    assert_eq!(q4.awaiting_verdict.len(), 91);
    assert!(
        q4.awaiting_verdict
            .iter()
            .all(|t| { t.item.status == ActionStatus::Complete && t.item.verification.is_none() })
    );
    assert_eq!(q3.awaiting_verdict.len(), 64, "done by the end of Q3");
}

fn complete_item() -> ActionItem {
    item(serde_json::json!({
        "title": "Hardware keys for admins", "priority": "critical", "status": "complete",
        "due": "2025-12-05",
        "success_criteria": [
            {"text": "All admins enrolled", "done": true},
            {"text": "SMS disabled", "done": true},
            {"text": "Phishing test passed", "done": false}
        ],
        "status_history": [{"status": "complete", "on": "2025-12-01"}]
    }))
}

#[test]
fn an_effective_verdict_needs_evidence_and_every_criterion_met() {
    let now = Utc.with_ymd_and_hms(2025, 12, 10, 9, 0, 0).unwrap();
    let mut a = complete_item();
    let err = verify(&mut a, true, "  ", now).unwrap_err();
    let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["evidence", "success_criteria[2]"]);
    assert!(err.0[1].message.contains("Phishing test passed"));
    assert_eq!(a, complete_item(), "a refused verdict changes nothing");

    a.success_criteria[2].done = true;
    verify(&mut a, true, "Red team could not phish an admin", now).unwrap();
    assert_eq!(a.status, ActionStatus::Verified);
    let v = a.verification.clone().unwrap();
    assert!(v.effective);
    assert_eq!(v.on, d("2025-12-10"));
    assert_eq!(v.evidence, "Red team could not phish an admin");
    assert_eq!(
        a.status_history.last().unwrap().status,
        ActionStatus::Verified
    );
    assert!(a.validate(Some(d("2025-11-28"))).0.is_empty());
    let again = verify(&mut a, true, "again", now).unwrap_err();
    assert_eq!(again.0[0].field, "status");
}

#[test]
fn an_ineffective_verdict_reopens_the_item_with_a_note() {
    let now = Utc.with_ymd_and_hms(2025, 12, 10, 9, 0, 0).unwrap();
    let mut a = complete_item();
    verify(
        &mut a,
        false,
        "INC-2025-1210: phished through the helpdesk",
        now,
    )
    .unwrap();
    assert_eq!(a.status, ActionStatus::InProgress);
    let last = a.status_history.last().unwrap();
    assert_eq!(last.status, ActionStatus::InProgress);
    assert!(last.note.as_deref().unwrap().contains("ineffective"));
    assert!(!a.verification.as_ref().unwrap().effective);
    assert!(a.validate(None).0.is_empty());
    // A reopened item is not complete: no verdict until it is done again.
    let err = verify(&mut a, true, "x", now).unwrap_err();
    assert_eq!(err.0[0].field, "status");
}

#[test]
fn an_item_without_success_criteria_cannot_be_verified_effective() {
    let now = Utc.with_ymd_and_hms(2025, 12, 10, 9, 0, 0).unwrap();
    let mut a = complete_item();
    a.success_criteria.clear();
    let err = verify(&mut a, true, "looks fine", now).unwrap_err();
    assert_eq!(err.0[0].field, "success_criteria");
}
