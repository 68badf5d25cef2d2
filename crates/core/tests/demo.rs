//! The demo data set: it is valid, it holds the seed's worked example
//! INC-2025-1128 without loss, and the seed's metrics dashboard and
//! knowledge-base entry follow from it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDate};
use debrief_core::metrics::{self, IncidentMeasures, QuarterKey};
use debrief_core::{
    ActionStatus, Area, Horizon, IncidentKey, IncidentStatus, Phase, PostMortem, Priority,
    RootCauseKind, Severity, demo, time::parse_instant,
};
use serde_json::Value;

const CATEGORIES: [&str; 11] = [
    "Authentication Bypass",
    "Data Exfiltration",
    "Malware",
    "Phishing",
    "Ransomware",
    "Denial of Service",
    "Insider Threat",
    "Vulnerability Exploitation",
    "Misconfiguration",
    "Account Compromise",
    "Supply Chain",
];

fn docs() -> Vec<PostMortem> {
    demo::documents().expect("the demo set parses")
}

fn incident(key: &str) -> PostMortem {
    docs()
        .into_iter()
        .find(|d| d.key.as_str() == key)
        .unwrap_or_else(|| panic!("{key} is in the demo set"))
}

fn seed() -> PostMortem {
    incident(demo::FEATURED_KEY)
}

fn date(s: &str) -> NaiveDate {
    debrief_core::time::parse_date(s).unwrap()
}

// ---------------------------------------------------------------- the set

#[test]
fn the_demo_set_parses_and_every_document_validates() {
    let docs = docs();
    assert_eq!(docs.len(), 35);
    for d in &docs {
        let errs = d.validate();
        assert!(errs.0.is_empty(), "{}: {:?}", d.key, errs.0);
    }
}

#[test]
fn the_demo_file_is_exactly_what_the_json_export_would_write() {
    let file: Value = serde_json::from_str(demo::DEMO_JSON).unwrap();
    let written = serde_json::to_value(docs()).unwrap();
    assert_eq!(written, file);
}

#[test]
fn every_demo_document_is_already_in_its_computed_form() {
    for d in docs() {
        assert_eq!(d.clone().with_computed(), d, "{}", d.key);
    }
}

#[test]
fn keys_are_unique_and_name_the_day_of_detection() {
    let docs = docs();
    let keys: HashSet<_> = docs.iter().map(|d| d.key.clone()).collect();
    assert_eq!(keys.len(), docs.len());
    for d in &docs {
        let detected = d.lifecycle.detected.unwrap();
        assert_eq!(
            d.key.as_str(),
            detected.format("INC-%Y-%m%d").to_string(),
            "key and detection day differ"
        );
    }
}

#[test]
fn documents_come_in_order_of_detection() {
    let detected: Vec<_> = docs().iter().map(|d| d.lifecycle.detected).collect();
    assert!(detected.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn every_id_is_unique_across_the_whole_set() {
    fn walk(v: &Value, ids: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("id") {
                    ids.push(id.clone());
                }
                m.values().for_each(|v| walk(v, ids));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, ids)),
            _ => {}
        }
    }
    let mut ids = Vec::new();
    walk(&serde_json::from_str(demo::DEMO_JSON).unwrap(), &mut ids);
    let unique: HashSet<_> = ids.iter().collect();
    assert!(ids.len() > 500);
    assert_eq!(unique.len(), ids.len());
    assert!(ids.iter().all(|id| !id.starts_with("00000000")));
}

#[test]
fn repeats_and_related_incidents_point_at_earlier_incidents_of_the_set() {
    let docs = docs();
    let by_key: BTreeMap<_, _> = docs.iter().map(|d| (d.key.clone(), d)).collect();
    for d in &docs {
        if let Some(r) = &d.repeat_of {
            let earlier = by_key
                .get(r)
                .unwrap_or_else(|| panic!("{} repeats {r}", d.key));
            assert!(earlier.lifecycle.detected < d.lifecycle.detected);
            assert!(d.related.contains(r), "{} lists {r} as related", d.key);
        }
        for r in &d.related {
            assert!(by_key.contains_key(r), "{} relates to {r}", d.key);
        }
    }
}

#[test]
fn every_incident_has_a_category_from_the_managed_list_and_a_full_story() {
    for d in docs() {
        let cat = d.category.as_deref().unwrap();
        assert!(CATEGORIES.contains(&cat), "{}: {cat}", d.key);
        assert!(!d.summary.is_empty(), "{}", d.key);
        assert!(d.timeline.len() >= 4, "{}", d.key);
        assert!(
            d.root_causes
                .iter()
                .any(|r| r.kind == RootCauseKind::Primary),
            "{}",
            d.key
        );
        assert!(
            !d.findings.went_well.is_empty() && !d.findings.went_wrong.is_empty(),
            "{}",
            d.key
        );
        assert!(d.action_items.len() >= 3, "{}", d.key);
        assert!(
            d.action_items
                .iter()
                .all(|a| a.owner.is_some() && a.due.is_some())
        );
    }
}

#[test]
fn no_status_change_or_verdict_lies_after_the_snapshot_day() {
    let snapshot = date("2025-12-01");
    for d in docs() {
        for a in &d.action_items {
            assert!(
                a.status_history.iter().all(|c| c.on <= snapshot),
                "{} #{}",
                d.key,
                a.number
            );
            assert!(a.verification.as_ref().is_none_or(|v| v.on <= snapshot));
        }
        assert!(d.updated_at.unwrap().date_naive() <= snapshot, "{}", d.key);
    }
}

// ---------------------------------------------------------------- INC-2025-1128

#[test]
fn incident_1128_has_the_seed_header() {
    let d = seed();
    assert_eq!(d.title, "Admin account compromise");
    assert_eq!(d.category.as_deref(), Some("Authentication Bypass"));
    assert_eq!(d.severity, Severity::High);
    assert_eq!(d.initial_severity(), Severity::Medium);
    let change = &d.severity_history[0];
    assert_eq!(d.severity_history.len(), 1);
    assert_eq!(change.at, parse_instant("2025-11-28T03:25:00Z").unwrap());
    assert_eq!((change.from, change.to), (Severity::Medium, Severity::High));
    assert!(!change.reason.is_empty());
    assert_eq!(d.status, IncidentStatus::Closed);
    assert_eq!(d.patient_zero.as_deref(), Some("admin@company.com"));
    assert_eq!(
        d.repeat_of,
        Some(IncidentKey::parse("INC-2025-0523").unwrap())
    );
    let related: Vec<_> = d.related.iter().map(IncidentKey::as_str).collect();
    assert_eq!(related, ["INC-2025-0523", "INC-2025-0812"]);
    assert!(
        d.attack_vectors
            .iter()
            .any(|v| v.contains("Credential stuffing"))
    );
    assert!(d.attack_vectors.iter().any(|v| v.contains("backup codes")));
    let techniques: Vec<_> = d.attack_techniques.iter().map(|t| t.as_str()).collect();
    for t in ["T1110.004", "T1078", "T1021.004", "T1552.004"] {
        assert!(techniques.contains(&t), "{t}");
    }
}

#[test]
fn incident_1128_has_the_seed_lifecycle() {
    let l = seed().lifecycle;
    let at = |hm: &str| Some(parse_instant(&format!("2025-11-28T{hm}:00Z")).unwrap());
    assert_eq!(l.first_activity, at("02:15"));
    assert_eq!(l.detected, at("03:10"));
    assert_eq!(l.responded, at("03:15"));
    assert_eq!(l.escalated, at("03:25"));
    assert_eq!(l.contained, at("04:15"));
    assert_eq!(l.recovered, at("08:00"));
    assert_eq!(l.resolved, at("12:00"));
    assert!(l.closed > l.resolved);
}

#[test]
fn incident_1128_measures_match_the_seed_total_timeline() {
    let m = IncidentMeasures::of(&seed());
    // "Detection to response: 5 minutes"
    assert_eq!(m.time_to_respond, Some(Duration::minutes(5)));
    // "Response to containment: 1 hour"
    assert_eq!(m.response_to_containment, Some(Duration::hours(1)));
    // "Containment to recovery: 4 hours" (04:15 to 08:00)
    assert_eq!(m.time_to_recover, Some(Duration::minutes(225)));
    // "Total incident duration: ~10 hours" (02:15 to 12:00)
    assert_eq!(m.total_duration, Some(Duration::minutes(585)));
    // "Escalation time: 10 minutes" counts from the response; from detection it is 15.
    assert_eq!(m.time_to_escalate, Some(Duration::minutes(15)));
}

#[test]
fn incident_1128_has_the_seed_impact() {
    let i = seed().impact;
    assert_eq!(i.records_affected, Some(50_000));
    assert_eq!(
        i.data_involved,
        ["Names", "Email addresses", "Account creation dates"]
    );
    assert_eq!(
        i.data_not_involved,
        [
            "Passwords (encrypted separately)",
            "Financial information",
            "Social security numbers"
        ]
    );
    assert_eq!(
        i.customer_impact,
        "Minimal. No data was exfiltrated, and the incident was contained within 10 hours."
    );
    assert!(i.systems_affected.iter().any(|s| s == "admin.company.com"));
}

#[test]
fn incident_1128_has_the_seed_participants_as_action_owners() {
    let d = seed();
    let teams: BTreeMap<_, _> = d
        .participants
        .iter()
        .map(|p| (p.name.as_str(), p.team.as_deref()))
        .collect();
    for (name, team) in [
        ("Mike", "Security Team"),
        ("Sarah", "Security Team"),
        ("Alex", "IT Team"),
        ("Jordan", "Platform Team"),
        ("Chris", "Network Team"),
        ("Emma", "HR Team"),
        ("David", "Architecture Team"),
    ] {
        assert_eq!(teams.get(name), Some(&Some(team)), "{name}");
    }
}

#[test]
fn incident_1128_has_every_seed_timeline_entry_with_what_we_knew_and_did_not_know() {
    let d = seed();
    let seen: Vec<_> = d
        .timeline
        .iter()
        .map(|e| {
            (
                e.occurred_at.format("%H:%M").to_string(),
                e.phase,
                e.title.as_str(),
            )
        })
        .collect();
    let want = [
        ("02:15", Phase::Detection, "First unusual activity"),
        ("02:35", Phase::Detection, "Rate limiting triggered"),
        ("03:10", Phase::Detection, "Successful login detected"),
        ("03:15", Phase::Response, "On-call alerted"),
        ("03:20", Phase::Response, "Initial investigation"),
        ("03:25", Phase::Response, "Incident escalated"),
        ("03:40", Phase::Response, "Lateral movement detected"),
        ("04:00", Phase::Response, "Full timeline reconstructed"),
        ("04:15", Phase::Response, "Complete containment"),
        ("06:00", Phase::Recovery, "Systems hardened"),
        ("08:00", Phase::Recovery, "Gradual recovery"),
        ("12:00", Phase::Recovery, "Incident declared resolved"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, p, s)| ((*t).to_owned(), *p, *s))
        .collect();
    assert_eq!(seen, want);

    let knew: Vec<_> = d
        .timeline
        .iter()
        .filter_map(|e| Some((e.we_knew.as_deref()?, e.we_didnt_know.as_deref()?)))
        .collect();
    assert_eq!(
        knew,
        [
            (
                "Potential brute force attack",
                "Credential stuffing with leaked credentials"
            ),
            ("Attacker persistent", "Multiple IPs being used"),
            (
                "Account potentially compromised",
                "MFA bypass used (password + backup code)"
            ),
        ]
    );

    let first = &d.timeline[0];
    assert_eq!(first.source.as_deref(), Some("SIEM alert"));
    assert_eq!(
        first.details,
        [
            "SIEM alert: Multiple failed login attempts",
            "Source: 185.220.101.45",
            "Target: admin.company.com",
            "Alert severity: MEDIUM"
        ]
    );
    assert_eq!(d.timeline[3].source.as_deref(), Some("PagerDuty"));
    let decision = &d.timeline[4];
    assert_eq!(
        decision.decision.as_deref(),
        Some("Disable account immediately")
    );
    assert_eq!(decision.action_taken.as_deref(), Some("Account disabled"));

    let facts: Vec<_> = d
        .timeline
        .iter()
        .flat_map(|e| e.facts.iter().map(|f| (f.label.as_str(), f.value.as_str())))
        .collect();
    assert_eq!(facts.len(), 5);
    assert!(facts[0].0 == "Response time" && facts[0].1.starts_with("5 minutes (SLA: 15 min)"));
    assert_eq!(
        facts[1..],
        [
            ("Escalation time", "10 minutes"),
            ("Impact", "~50,000 customer records viewed"),
            ("Containment", "Database access revoked"),
            ("Finding", "SSH key downloaded"),
        ]
    );
}

#[test]
fn incident_1128_has_the_five_whys_with_five_steps() {
    let d = seed();
    assert_eq!(d.five_whys.len(), 1);
    let w = &d.five_whys[0];
    assert_eq!(
        w.problem,
        "Admin account was compromised, leading to customer data access"
    );
    assert_eq!(w.steps.len(), 5);
    assert_eq!(w.steps[0].why, "Why was the admin account compromised?");
    assert_eq!(
        w.steps[0].because,
        "Attacker had valid password and backup MFA code"
    );
    assert_eq!(w.steps[4].why, "Why were backup codes a viable bypass?");
    assert_eq!(
        w.steps[4].because,
        "Backup codes never expire and can be used repeatedly"
    );
}

#[test]
fn incident_1128_has_one_primary_root_cause_five_contributing_factors_and_four_systemic_issues() {
    let d = seed();
    let count = |k| d.root_causes.iter().filter(|r| r.kind == k).count();
    assert_eq!(count(RootCauseKind::Primary), 1);
    assert_eq!(count(RootCauseKind::Contributing), 5);
    assert_eq!(count(RootCauseKind::Systemic), 4);
    let primary = &d.root_causes[0];
    assert_eq!(primary.title, "Weak MFA implementation");
    assert_eq!(
        primary.details.as_deref(),
        Some("Backup codes never expire and lack rate limiting")
    );
}

#[test]
fn incident_1128_has_the_seed_fishbone() {
    let fb = seed().fishbone;
    assert_eq!(
        fb.categories,
        ["People", "Process", "Technology", "Environment"]
    );
    let on = |cat: &str| -> Vec<String> {
        fb.causes
            .iter()
            .filter(|c| c.category == cat)
            .map(|c| c.text.clone())
            .collect()
    };
    assert_eq!(on("People"), ["Lack of training", "No security awareness"]);
    assert_eq!(
        on("Process"),
        ["No breach monitoring", "No security audits"]
    );
    assert_eq!(
        on("Technology"),
        ["Weak MFA implementation", "No hardware security keys"]
    );
    assert!(on("Environment").is_empty());
}

#[test]
fn incident_1128_has_nine_things_that_went_well_and_nine_that_went_wrong() {
    let f = seed().findings;
    let areas =
        |list: &[debrief_core::Finding]| -> Vec<Area> { list.iter().map(|f| f.area).collect() };
    assert_eq!(
        areas(&f.went_well),
        [
            Area::Detection,
            Area::Detection,
            Area::Containment,
            Area::Containment,
            Area::Communication,
            Area::Communication,
            Area::Documentation,
            Area::Recovery,
            Area::Lessons,
        ]
    );
    assert_eq!(
        areas(&f.went_wrong),
        [
            Area::Prevention,
            Area::Prevention,
            Area::Prevention,
            Area::Detection,
            Area::Detection,
            Area::Response,
            Area::Response,
            Area::Recovery,
            Area::Recovery,
        ]
    );
    assert_eq!(f.went_well[8].title, "Playbook worked");
    assert!(f.went_well.iter().all(|w| w.details.len() == 3));
    assert!(f.went_wrong.iter().all(|w| w.impact.is_some()));
    assert_eq!(
        f.went_wrong[3].impact.as_deref(),
        Some("20 minute delay in escalation")
    );
}

#[test]
fn incident_1128_has_the_ten_seed_action_items_with_owners_due_dates_and_priorities() {
    let d = seed();
    let seen: Vec<_> = d
        .action_items
        .iter()
        .map(|a| {
            (
                a.number,
                a.owner.as_deref().unwrap(),
                a.team.as_deref().unwrap(),
                a.due.unwrap(),
                a.priority,
            )
        })
        .collect();
    use Priority::*;
    let want = [
        (1, "Mike", "Security Team", "2025-11-30", Critical),
        (2, "Sarah", "Security Team", "2025-12-02", High),
        (3, "Alex", "IT Team", "2025-12-05", High),
        (4, "Mike", "Security Team", "2025-12-15", Medium),
        (5, "Sarah", "Security Team", "2025-12-20", High),
        (6, "Jordan", "Platform Team", "2025-12-22", Medium),
        (7, "Chris", "Network Team", "2026-01-15", Medium),
        (8, "Emma", "HR Team", "2026-01-31", Medium),
        (9, "Sarah", "Security Team", "2026-02-28", Low),
        (10, "David", "Architecture Team", "2026-04-30", Low),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(n, o, t, due, p)| (*n, *o, *t, date(due), *p))
        .collect();
    assert_eq!(seen, want);

    let titles: Vec<_> = d.action_items.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles[0], "Invalidate all MFA backup codes");
    assert_eq!(titles[9], "Zero-trust architecture");
    let horizons: Vec<_> = d.action_items.iter().map(|a| a.horizon.unwrap()).collect();
    use Horizon::*;
    assert_eq!(
        horizons,
        [
            Immediate, Immediate, Immediate, ShortTerm, ShortTerm, ShortTerm, MediumTerm,
            MediumTerm, MediumTerm, LongTerm
        ]
    );
    assert!(d.action_items.iter().all(|a| !a.description.is_empty()));
    assert!(
        d.action_items.iter().all(|a| !a.addresses.is_empty()),
        "every item fixes a cause"
    );
    assert!(d.action_items.iter().all(|a| a.kind.is_some()));
}

#[test]
fn incident_1128_action_items_have_the_seed_statuses_and_success_criteria() {
    let d = seed();
    let statuses: Vec<_> = d.action_items.iter().map(|a| a.status).collect();
    let mut want = vec![ActionStatus::Complete, ActionStatus::InProgress];
    want.extend([ActionStatus::Planned; 8]);
    assert_eq!(statuses, want);

    let first = &d.action_items[0];
    assert_eq!(first.status_history.len(), 1);
    assert_eq!(first.status_history[0].status, ActionStatus::Complete);
    assert_eq!(first.status_history[0].on, date("2025-11-29"));
    let criteria: Vec<_> = first
        .success_criteria
        .iter()
        .map(|c| (c.text.as_str(), c.done))
        .collect();
    assert_eq!(
        criteria,
        [
            ("All backup codes invalidated", true),
            ("New codes generated with expiration", true),
            ("Documented in security audit log", true),
        ]
    );
    let counts: Vec<_> = d
        .action_items
        .iter()
        .map(|a| a.success_criteria.len())
        .collect();
    assert_eq!(counts, [3, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    assert!(
        d.action_items[1..]
            .iter()
            .all(|a| a.success_criteria.iter().all(|c| !c.done))
    );
}

#[test]
fn incident_1128_action_items_link_to_the_causes_they_fix() {
    let d = seed();
    let primary = d.root_causes[0].id;
    let mfa_bone = d
        .fishbone
        .causes
        .iter()
        .find(|c| c.text == "Weak MFA implementation")
        .unwrap()
        .id;
    let first = &d.action_items[0].addresses;
    assert!(first.root_causes.contains(&primary));
    assert!(first.fishbone_causes.contains(&mfa_bone));
    // Every fishbone cause is addressed by some item.
    for c in &d.fishbone.causes {
        assert!(
            d.action_items
                .iter()
                .any(|a| a.addresses.fishbone_causes.contains(&c.id)),
            "{}",
            c.text
        );
    }
}

#[test]
fn incident_1128_keeps_every_sentence_of_the_internal_summary() {
    let i = seed().communications.internal.unwrap();
    assert_eq!(
        (i.to.as_str(), i.from.as_str()),
        ("All Engineering", "Security Team")
    );
    assert_eq!(i.subject, "Learnings from Recent Security Incident");
    assert_eq!(i.greeting, "Hi team,");
    assert!(i.intro.starts_with("Last week we experienced"));
    assert!(
        i.intro
            .ends_with("what we're doing to prevent it in the future.")
    );
    assert_eq!(
        i.what_happened,
        "An attacker used credentials leaked in a previous breach to access an admin account. They were able to bypass MFA using backup codes and accessed customer data."
    );
    assert_eq!(
        i.customer_impact,
        "Minimal. No data was exfiltrated, and the incident was contained within 10 hours."
    );
    assert_eq!(i.what_worked.len(), 3);
    let improvements: Vec<_> = i.improvements.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(
        improvements,
        [
            "MFA is stronger now",
            "Better monitoring",
            "Stronger passwords",
            "More automation"
        ]
    );
    assert_eq!(i.what_you_can_do.len(), 4);
    assert_eq!(i.what_you_can_do[1].title, "Use a password manager");
    assert_eq!(i.what_you_can_do[1].detail, "(we recommend 1Password)");
    assert_eq!(
        i.questions,
        "Drop by #security-team or come to our office hours (Thursdays 2pm)."
    );
    assert!(i.sign_off.starts_with("Thanks for helping keep us secure!"));
}

#[test]
fn incident_1128_keeps_every_sentence_of_the_customer_notification() {
    let c = seed().communications.customer.unwrap();
    assert_eq!(c.subject, "Security Incident Notification");
    assert_eq!(c.greeting, "Dear [Customer Name],");
    assert_eq!(
        c.what_happened,
        "On November 28, 2025, we detected unauthorized access to one of our administrative accounts. The attacker accessed our systems for approximately 3 hours before we contained the incident."
    );
    assert_eq!(
        c.information_involved,
        ["Names", "Email addresses", "Account creation dates"]
    );
    assert_eq!(
        c.information_involved_intro,
        "The attacker accessed customer records including:"
    );
    assert_eq!(
        c.information_not_involved_intro,
        "The attacker did NOT access:"
    );
    assert_eq!(c.information_not_involved.len(), 3);
    assert_eq!(c.what_you_should_do[0].title, "Change your password");
    assert_eq!(c.what_we_are_doing.len(), 4);
    assert_eq!(c.what_you_should_do.len(), 4);
    assert_eq!(
        c.more_information,
        "For questions, contact security@company.com or call 1-800-SECURITY."
    );
    assert_eq!(
        c.closing,
        "We take the security of your information seriously and apologize for this incident."
    );
    assert!(c.signature.ends_with("[Company Name] Security Team"));
}

#[test]
fn incident_1128_carries_the_knowledge_base_lessons() {
    let lessons: Vec<_> = seed().lessons.into_iter().map(|l| l.text).collect();
    assert_eq!(
        lessons,
        [
            "Backup codes should expire",
            "Hardware keys prevent most bypasses",
            "Admin access needs extra protection"
        ]
    );
}

// ---------------------------------------------------------------- dashboard

#[test]
fn the_quarterly_metrics_of_the_demo_set_are_the_seed_dashboard() {
    let q = metrics::quarterly(&docs());
    let quarters: Vec<_> = q.iter().map(|m| m.quarter.to_string()).collect();
    assert_eq!(quarters, ["Q2 2025", "Q3 2025", "Q4 2025"]);

    let incidents: Vec<_> = q.iter().map(|m| m.incidents).collect();
    assert_eq!(incidents, [15, 8, 12]);

    let mttd: Vec<_> = q.iter().map(|m| m.mttd.unwrap()).collect();
    assert_eq!(
        mttd,
        [
            Duration::minutes(45),
            Duration::minutes(15),
            Duration::minutes(8)
        ]
    );

    let mttr: Vec<_> = q.iter().map(|m| m.mttr.unwrap()).collect();
    assert_eq!(
        mttr,
        [
            Duration::minutes(35),
            Duration::minutes(20),
            Duration::minutes(12)
        ]
    );

    let mttc: Vec<_> = q.iter().map(|m| m.mttc.unwrap()).collect();
    assert_eq!(
        mttc,
        [
            Duration::hours(6),
            Duration::hours(4),
            Duration::minutes(150)
        ]
    );

    let repeats: Vec<_> = q.iter().map(|m| m.repeats).collect();
    assert_eq!(repeats, [5, 3, 1]);

    for m in &q {
        assert_eq!(
            m.mttd_incidents, m.incidents,
            "every incident counts in {}",
            m.quarter
        );
        assert_eq!(m.mttr_incidents, m.incidents);
        assert_eq!(m.mttc_incidents, m.incidents);
    }
}

#[test]
fn the_single_repeat_of_q4_is_incident_1128() {
    let q4 = QuarterKey {
        year: 2025,
        quarter: 4,
    };
    let repeats: Vec<_> = docs()
        .into_iter()
        .filter(|d| QuarterKey::of(d.lifecycle.detected.unwrap()) == q4 && d.repeat_of.is_some())
        .map(|d| d.key.to_string())
        .collect();
    assert_eq!(repeats, ["INC-2025-1128"]);
}

#[test]
fn action_item_completion_by_horizon_is_the_seed_dashboard() {
    let c = metrics::completion_by_horizon(&docs());
    let rates: Vec<_> = c
        .iter()
        .map(|h| (h.horizon, h.rate_percent.unwrap()))
        .collect();
    assert_eq!(
        rates,
        [
            (Horizon::Immediate, 95),
            (Horizon::ShortTerm, 78),
            (Horizon::MediumTerm, 62),
            (Horizon::LongTerm, 45),
        ]
    );
    // Exact, not just rounded: 38/40, 39/50, 31/50, 9/20.
    let exact: Vec<_> = c.iter().map(|h| (h.done, h.total)).collect();
    assert_eq!(exact, [(38, 40), (39, 50), (31, 50), (9, 20)]);
}

// ---------------------------------------------------------------- knowledge base

fn auth_bypass() -> Vec<PostMortem> {
    docs()
        .into_iter()
        .filter(|d| d.category.as_deref() == Some("Authentication Bypass"))
        .collect()
}

#[test]
fn the_knowledge_base_counts_three_authentication_bypass_incidents_the_last_on_2025_11_28() {
    let list = auth_bypass();
    let keys: Vec<_> = list.iter().map(|d| d.key.to_string()).collect();
    assert_eq!(keys, ["INC-2025-0523", "INC-2025-0812", "INC-2025-1128"]);
    let titles: Vec<_> = list.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "SMS MFA bypass",
            "Session hijacking",
            "Admin account compromise"
        ]
    );
    let last = list
        .iter()
        .filter_map(|d| d.lifecycle.detected)
        .max()
        .unwrap();
    assert_eq!(last.date_naive(), date("2025-11-28"));
}

#[test]
fn the_common_root_causes_of_authentication_bypass_are_weak_mfa_twice_and_session_hijacking_once() {
    let mut common: BTreeMap<String, usize> = BTreeMap::new();
    for d in auth_bypass() {
        for r in d
            .root_causes
            .iter()
            .filter(|r| r.kind == RootCauseKind::Primary)
        {
            *common.entry(r.title.clone()).or_default() += 1;
        }
    }
    let want: BTreeMap<String, usize> = [
        ("Weak MFA implementation".to_owned(), 2),
        ("Session hijacking".to_owned(), 1),
    ]
    .into();
    assert_eq!(common, want);
}

#[test]
fn verified_fixes_show_which_authentication_bypass_mitigations_worked_and_which_failed() {
    let (mut worked, mut failed) = (Vec::new(), Vec::new());
    for d in auth_bypass() {
        for a in &d.action_items {
            if let Some(v) = &a.verification {
                let text = format!("{} | {}", a.title, v.evidence).to_lowercase();
                if v.effective {
                    worked.push(text)
                } else {
                    failed.push(text)
                }
            }
        }
    }
    let any =
        |list: &[String], words: &[&str]| list.iter().any(|t| words.iter().all(|w| t.contains(w)));
    assert!(any(&worked, &["hardware security keys"]), "{worked:?}");
    assert!(any(&worked, &["short session timeouts"]), "{worked:?}");
    assert!(any(&worked, &["ip allowlisting"]), "{worked:?}");
    assert!(any(&failed, &["sms", "sim swap"]), "{failed:?}");
    assert!(any(&failed, &["email", "email compromise"]), "{failed:?}");
}

#[test]
fn the_repeat_of_0523_links_back_to_its_failed_or_unfinished_mfa_fixes() {
    let d = seed();
    let earlier = incident(d.repeat_of.as_ref().unwrap().as_str());
    assert!(
        earlier
            .root_causes
            .iter()
            .any(|r| r.title == d.root_causes[0].title)
    );
    let not_effective = earlier.action_items.iter().filter(|a| {
        a.verification.as_ref().is_some_and(|v| !v.effective)
            || matches!(a.status, ActionStatus::Blocked | ActionStatus::WontDo)
    });
    assert!(not_effective.count() >= 3);
}
